"""systemd's notify protocol: one datagram to ``$NOTIFY_SOCKET`` per message.

Ten lines of socket code rather than a dependency.  Without ``$NOTIFY_SOCKET``
(not under systemd, or Type= is not notify) every call does nothing.  The
watchdog interval comes from ``$WATCHDOG_USEC`` (set with ``WatchdogSec=``);
``ping`` sends ``WATCHDOG=1`` at most twice per interval, as sd_watchdog_enabled(3)
advises, so calling it every frame costs a clock read.
"""

from __future__ import annotations

import os
import socket
import time


class Notifier:
    def __init__(self, environ: dict[str, str] | None = None, clock=time.monotonic) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):  # abstract namespace
            address = "\0" + address[1:]
        self.address = address or None
        self.clock = clock
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        watched = usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid()))
        self.watchdog_s = int(usec) / 1e6 if watched else None
        self._next_ping = float("-inf")
        self._sock: socket.socket | None = None

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, *lines: str) -> bool:
        """Send ``lines`` (``READY=1``, ``STATUS=...``) as one message; False if it could not go."""
        if self.address is None:
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto("\n".join(lines).encode(), self.address)
            return True
        except OSError:
            return False

    def ready(self, status: str) -> None:
        self.notify("READY=1", f"STATUS={status}")

    def status(self, text: str) -> None:
        self.notify(f"STATUS={text}")

    def ping(self) -> None:
        """``WATCHDOG=1``, rate-limited to half the watchdog interval (or 1 s if none is set)."""
        if self.address is None:
            return
        now = self.clock()
        if now >= self._next_ping:
            self._next_ping = now + (self.watchdog_s / 2 if self.watchdog_s else 1.0)
            self.notify("WATCHDOG=1")

    def stopping(self) -> None:
        self.notify("STOPPING=1")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
