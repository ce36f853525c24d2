"""The console's port over a real pseudo-terminal whose far end stops reading."""

from __future__ import annotations

import os
import pty
import select
import time
import tty

from firmware_py.console.transport import SerialPort


def _read_until(fd: int, marker: bytes, timeout: float = 5.0) -> bytes:
    heard, deadline = b"", time.monotonic() + timeout
    while marker not in heard and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.1)[0]:
            heard += os.read(fd, 65536)
    return heard


def test_a_terminal_that_stops_reading_costs_one_timeout_then_hears_what_it_missed():
    master, slave = pty.openpty()
    tty.setraw(slave)
    port = SerialPort(os.ttyname(slave), 115200)
    try:
        chunk = b"x" * 1024
        for _ in range(4096):  # nobody reads the master: the pty buffer fills, then a write times out
            port.write(chunk)
            if port.dropped:
                break
        assert port.dropped, "4 MB went into a pty nobody reads"
        after_timeout = port.dropped
        for _ in range(50):  # stalled: dropped at once, counted
            port.write(chunk)
        assert port.dropped == after_timeout + 50 * 1024
        missed = port.dropped
        while select.select([master], [], [], 0.2)[0]:  # the terminal reads again, all of it
            os.read(master, 65536)
        port.write(b"kneecue> ")
        heard = _read_until(master, b"kneecue> ")
        assert f"[{missed} bytes of output dropped: the terminal was not reading]".encode() in heard
        assert port.dropped == 0
    finally:
        port.close()
        os.close(master)
        os.close(slave)


def test_a_notice_that_times_out_again_keeps_the_count_it_carried():
    """The terminal reads a little and stalls again: the notice goes out with the next
    write and times out with it; the bytes it counted are still told later."""
    master, slave = pty.openpty()
    tty.setraw(slave)
    port = SerialPort(os.ttyname(slave), 115200)
    try:
        for _ in range(4096):
            port.write(b"x" * 1024)
            if port.dropped:
                break
        missed = port.dropped
        os.read(master, 65536)  # a little room (the pty moves it across within a moment)...
        assert select.select([], [slave], [], 2.0)[1]
        port.write(b"y" * (1 << 20))  # ...not enough for this: it times out
        assert port.dropped == missed + (1 << 20)
        while select.select([master], [], [], 0.2)[0]:
            os.read(master, 65536)
        port.write(b"kneecue> ")
        assert f"[{missed + (1 << 20)} bytes of output dropped".encode() in _read_until(master, b"kneecue> ")
    finally:
        port.close()
        os.close(master)
        os.close(slave)
