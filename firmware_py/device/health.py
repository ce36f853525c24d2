"""What is wrong with the device right now: faults (the cues cannot go on; the LEDs show
the fault pattern) and warnings (worked around; shown in status and the log).

The capture, monitor, recorder and service threads raise and clear them while the
console and systemd's status line read them.  So they live behind a lock and are
handed out as copies: a reader iterating a plain shared dict while another thread
adds to it dies with "dictionary changed size during iteration", which on the monitor
thread would freeze systemd's status line.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

log = logging.getLogger("kneecue")


class Health:
    def __init__(self, *, warning: str | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._faults: dict[str, str] = {}
        self._since: dict[str, float] = {}
        self._warnings: dict[str, str] = {"settings": warning} if warning else {}

    @property
    def faults(self) -> dict[str, str]:
        """A copy: name -> problem, in the order they were raised."""
        with self._lock:
            return dict(self._faults)

    @property
    def warnings(self) -> dict[str, str]:
        """A copy: name -> problem."""
        with self._lock:
            return dict(self._warnings)

    def set_fault(self, name: str, problem: str | None) -> None:
        """Raise (or with None clear) a fault that stops the cues; logged once each way."""
        now = self.clock()
        with self._lock:
            if problem is None:
                if self._faults.pop(name, None) is None:
                    return
                since = self._since.pop(name, now)
                message = ("%s: back after %.0f s", name, now - since)
                level = logging.WARNING
            else:
                level = logging.ERROR if self._faults.get(name) != problem else None
                message = ("%s: %s", name, problem)
                self._since.setdefault(name, now)
                self._faults[name] = problem
        if level is not None:  # outside the lock: a slow log handler holds nobody up
            log.log(level, *message)

    def set_warning(self, name: str, problem: str | None) -> None:
        """A problem the device works around: shown in status and the log, no fault pattern."""
        with self._lock:
            if problem is None:
                self._warnings.pop(name, None)
                return
            if self._warnings.get(name) == problem:
                return
            self._warnings[name] = problem
        log.warning("%s: %s", name, problem)
