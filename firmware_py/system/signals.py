"""Stop signals turned into a ``threading.Event``, safely.

A Python signal handler runs in the main thread between two of its bytecodes, which
may be inside ``stop.set()`` already: a second SIGTERM while the first handler was
waking the loop re-entered ``Event.set``, whose lock is not re-entrant, and the device
hung until killed (seen in the team's end-to-end test, which sends SIGTERM twice).  So
the Python handler does nothing; the interpreter's C handler writes each signal's
number to a pipe (``signal.set_wakeup_fd``), and a thread of its own reads the pipe and
sets the event, from an ordinary thread, as often as signals come.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Callable, Iterable

__all__ = ["stop_on"]


def stop_on(signals: Iterable[int], stop: threading.Event) -> Callable[[], None]:
    """Set ``stop`` when any of ``signals`` arrives (call from the main thread); returns
    the undo: the previous handlers and wake-up fd back, the pipe closed."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    previous = {sig: signal.signal(sig, _nothing) for sig in signals}

    def watch() -> None:
        while os.read(read_fd, 64):  # b"" once the write end is closed
            stop.set()
        os.close(read_fd)

    watcher = threading.Thread(target=watch, name="signals", daemon=True)
    watcher.start()

    def undo() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(previous_fd)
        os.close(write_fd)
        watcher.join(1.0)

    return undo


def _nothing(signum: int, frame: object) -> None:
    """The Python-level handler: the wake-up fd carries the signal (see the module)."""
