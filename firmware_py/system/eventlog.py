"""JSON Lines written on their own thread, so a slow disk never delays a cue.

The loop hands over a dict and goes on; the writer thread serialises, writes and
flushes each line (output changes are rare, and a flushed line survives a kill).
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import IO

from firmware_py.system.jsonedge import dumps

_STOP = object()


class JsonLinesWriter:
    def __init__(self, path: str | Path, *, append: bool = False):
        self.path = Path(path)
        self._file: IO[str] = open(self.path, "a" if append else "w", encoding="utf-8")
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._drain, name=f"writer {self.path.name}", daemon=True)
        self._thread.start()
        self.errors = 0

    def write(self, record: dict) -> None:
        """Queue one line; never blocks on the disk."""
        self._queue.put(record)

    def _drain(self) -> None:
        while (record := self._queue.get()) is not _STOP:
            try:
                self._file.write(dumps(record) + "\n")
                self._file.flush()
            except (OSError, ValueError, TypeError):
                self.errors += 1  # a full disk loses lines, never the cue

    def close(self, timeout: float = 2.0) -> None:
        """Write what is queued (within ``timeout``) and close the file; safe to call twice."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> "JsonLinesWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
