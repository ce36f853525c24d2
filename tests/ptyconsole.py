"""A coach's end of a real pseudo-terminal, for talking to ``kneecue run --console``.

The device is given a stable path (a symlink, as ``socat pty,link=...`` makes) so
the test can close this end and open a fresh pty behind the same path, as when a
USB serial adapter is pulled and plugged back in.
"""

from __future__ import annotations

import os
import pty
import re
import select
import threading
import time
import tty


class PtyConsole:
    def __init__(self, link):
        self.link = link
        self.master = None
        self.output = bytearray()
        self._lock = threading.Lock()
        self._reader = None
        self.plug()

    def plug(self) -> None:
        """A new pty behind ``link`` (raw, as a serial line)."""
        master, slave = pty.openpty()
        tty.setraw(slave)
        path = os.ttyname(slave)
        self._slave = slave  # held open, or reading the master fails until the device opens it
        tmp = f"{self.link}.new"
        os.symlink(path, tmp)
        os.replace(tmp, self.link)
        self.master = master
        self._unplugging = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(master,), daemon=True)
        self._reader.start()

    def unplug(self) -> None:
        # Stop the reader first: a read blocked on the master keeps it open in the kernel.
        self._unplugging.set()
        self._reader.join(2)
        os.close(self.master)
        os.close(self._slave)
        self.master = None

    def _read(self, fd: int) -> None:
        while not self._unplugging.is_set():
            if not select.select([fd], [], [], 0.05)[0]:
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.output += data

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = (data + "\r").encode()
        view = memoryview(data)
        while view:
            written = os.write(self.master, view[:1024])
            view = view[written:]

    def text(self) -> str:
        with self._lock:
            return self.output.decode("utf-8", "replace")

    def mark(self) -> int:
        with self._lock:
            return len(self.output)

    def expect(self, pattern: str, timeout: float = 20.0, since: int = 0) -> re.Match:
        """Wait until output after ``since`` matches ``pattern``."""
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = rx.search(self.output[since:].decode("utf-8", "replace"))
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} in console output:\n{self.text()[since:][-3000:]}")
            time.sleep(0.02)

    def command(self, line: str, reply: str, timeout: float = 20.0) -> str:
        """Send ``line`` and wait for ``reply`` then the next prompt; returns what came back."""
        start = self.mark()
        self.send(line)
        found = self.expect(f"{reply}.*?kneecue[*#]*> ", timeout, since=start)
        return found.group(0)

    def close(self) -> None:
        if self.master is not None:
            self.unplug()
