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
