"""Moves console bytes between a port and a ConsoleSession, on a thread of its own.

The port is anything pyserial opens (``/dev/serial0``, ``/dev/ttyGS0``, a USB
adapter, a pty, ``loop://``), opened exclusively, or ``stdio`` for a terminal in
cooked mode or a pipe.  When the port vanishes (cable pulled, adapter gone, pty
closed) the device goes on cueing and this thread reopens the same path with
back-off; a fresh session greets whoever is there.  Input is taken at a bounded
rate and a backlog beyond any typist is thrown away, so a flood costs the frame
loop next to nothing.  Only this thread ever touches the port.
"""

from __future__ import annotations

import logging
import os
import select
import sys
import threading
import time
from typing import Callable, Protocol

from firmware_py.console.session import ConsoleSession
from firmware_py.device.state import Device
from firmware_py.errors import PortClosed

log = logging.getLogger("kneecue")

READ_TIMEOUT_S = 0.05
WRITE_TIMEOUT_S = 1.0
CHUNK = 512
BYTES_PER_S = 32768.0  # about 3x a 115200-baud line; more is a flood
BACKLOG_LIMIT = 4096  # bytes waiting unread beyond this are discarded
BACKOFF_S = (0.25, 8.0)


class Port(Protocol):
    echo: bool

    def read(self, size: int) -> bytes: ...

    def write(self, data: bytes) -> object: ...

    def close(self) -> None: ...


class SerialPort:
    """A pyserial port; ``read`` returns b"" on timeout and raises when the port is lost."""

    echo = True

    def __init__(self, spec: str, baud: int) -> None:
        import serial

        self._serial = serial.serial_for_url(spec, baudrate=baud, timeout=READ_TIMEOUT_S,
                                             write_timeout=WRITE_TIMEOUT_S, exclusive=True)
        self._timeout_error = serial.SerialTimeoutException
        self.dropped = 0  # bytes of output dropped since the terminal stopped reading

    def read(self, size: int) -> bytes:
        """What has arrived, up to ``size``: waits only for the first byte."""
        first = self._serial.read(1)
        if not first:
            return b""
        return first + self._serial.read(min(self._serial.in_waiting, size - 1))

    def write(self, data: bytes) -> None:
        """Write, or drop when nobody reads (flow control, a stalled terminal): the first
        write that times out waits ``WRITE_TIMEOUT_S``; after it, output is dropped at
        once until the port takes bytes again, and then the terminal is told how much."""
        missed, payload = self.dropped, data
        if missed:
            if not self._writable():
                self.dropped += len(data)
                return
            payload = (f"\r\n[{missed} bytes of output dropped: the terminal was not reading]\r\n"
                       .encode() + data)
        try:
            self._serial.write(payload)
        except self._timeout_error:
            # A pty's buffer can free a little room and fill again: then the notice itself
            # times out, and the count it carried must not be lost with it.
            if not missed:
                log.warning("console: %s is not reading; output dropped until it does", self._serial.port)
            self.dropped = missed + len(data)
            return
        self.dropped = 0

    def _writable(self) -> bool:
        try:
            fd = self._serial.fileno()
        except Exception:  # a URL port (loop://) has no descriptor: it always takes bytes
            return True
        return bool(select.select([], [fd], [], 0)[1])

    def backlog(self) -> int:
        return self._serial.in_waiting

    def discard_input(self) -> None:
        self._serial.reset_input_buffer()

    def close(self) -> None:
        self._serial.close()


class StdioPort:
    """Standard input and output; the terminal (or pipe) does its own echo and editing."""

    echo = False

    def __init__(self) -> None:
        self._in, self._out = sys.stdin.fileno(), sys.stdout.fileno()

    def read(self, size: int) -> bytes:
        ready, _, _ = select.select([self._in], [], [], READ_TIMEOUT_S)
        if not ready:
            return b""
        data = os.read(self._in, size)
        if not data:
            raise PortClosed("end of standard input")
        return data

    def write(self, data: bytes) -> None:
        os.write(self._out, data)

    def close(self) -> None:
        pass


def open_port(spec: str, baud: int) -> Port:
    return StdioPort() if spec == "stdio" else SerialPort(spec, baud)


class ConsoleThread(threading.Thread):
    def __init__(self, spec: str, baud: int, device: Device, *,
                 opener: Callable[[str, int], Port] = open_port, clock: Callable[[], float] = time.monotonic):
        super().__init__(name=f"console {spec}", daemon=True)
        self.spec, self.baud, self.device = spec, baud, device
        self.opener, self.clock = opener, clock
        self.opened = 0  # how many times the port has been opened
        self._stop_event = threading.Event()

    def stop(self, timeout: float = 1.0) -> None:
        self._stop_event.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    def run(self) -> None:
        delay, said = BACKOFF_S[0], False
        while not self._stop_event.is_set():
            try:
                port = self.opener(self.spec, self.baud)
            except Exception as e:  # pyserial raises SerialException, OSError or ValueError
                if not said:
                    log.warning("console: cannot open %s (%s); retrying, cues go on", self.spec, e)
                    said = True
                self._stop_event.wait(delay)
                delay = min(2 * delay, BACKOFF_S[1])
                continue
            self.opened += 1
            log.info("console: on %s%s", self.spec, " again" if self.opened > 1 else "")
            delay, said = BACKOFF_S[0], False
            try:
                self._serve(port)
            except PortClosed as e:
                log.info("console: %s", e)
                return
            except Exception as e:  # the port went away mid-session
                log.warning("console: lost %s (%s); reopening, cues go on", self.spec, e)
            finally:
                try:
                    port.close()
                except Exception:
                    pass

    def _serve(self, port: Port) -> None:
        session = ConsoleSession(self.device, echo=port.echo)
        port.write(session.greeting())
        allowance, last = BYTES_PER_S * 0.1, self.clock()
        while not self._stop_event.is_set():
            now = self.clock()
            allowance = min(BYTES_PER_S * 0.1, allowance + (now - last) * BYTES_PER_S)
            last = now
            if allowance < CHUNK:  # over the rate: let the input wait, or go if it piles up
                backlog = getattr(port, "backlog", None)
                if backlog is not None and backlog() > BACKLOG_LIMIT:
                    session.discarded(backlog())
                    port.discard_input()
                self._stop_event.wait(CHUNK / BYTES_PER_S)
                continue
            data = port.read(CHUNK)
            allowance -= len(data)
            now = self.clock()
            out = session.receive(data, now) if data else b""
            out += session.tick(now)
            if out:
                port.write(out)
