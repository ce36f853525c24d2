"""The console's port over a real pseudo-terminal whose far end stops reading."""

from __future__ import annotations

import os
import pty
import tty

from firmware_py.console.transport import SerialPort


def test_a_terminal_that_stops_reading_costs_one_timeout_then_hears_what_it_missed():
    master, slave = pty.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    port = SerialPort(os.ttyname(slave), 115200)
    try:
        chunk = b"x" * 1024
        while not port.dropped:  # nobody reads the master: the pty buffer fills, then a write times out
            port.write(chunk)
        after_timeout = port.dropped
        for _ in range(50):  # stalled: dropped at once, counted
            port.write(chunk)
        assert port.dropped == after_timeout + 50 * 1024
        missed = port.dropped
        while True:  # the terminal reads again
            try:
                if not os.read(master, 65536):
                    break
            except BlockingIOError:
                break
        port.write(b"kneecue> ")
        heard = b""
        while b"kneecue> " not in heard:
            heard += os.read(master, 65536)
        assert f"[{missed} bytes of output dropped: the terminal was not reading]".encode() in heard
        assert port.dropped == 0
    finally:
        port.close()
        os.close(master)
        os.close(slave)
