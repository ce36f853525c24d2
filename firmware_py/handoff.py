"""Latest-frame hand-off between the capture thread and the scoring loop.

A slot, not a queue: the producer overwrites whatever the consumer has not taken
yet and counts it as dropped.  However slow the model gets, the frame scored is
always the newest one, so cues never lag further and further behind the athlete.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

from firmware_py.errors import SourceError
from firmware_py.sources.base import Frame, FrameSource

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """One item deep.  ``lossless=True`` makes ``put`` wait for the consumer instead of
    overwriting: for replaying a file as fast as it can be scored, every frame once.
    """

    def __init__(self, *, lossless: bool = False) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._closed = False
        self.lossless = lossless
        self.dropped = 0
        self.delivered = 0

    def put(self, item: T) -> None:
        with self._cond:
            if self.lossless:
                self._cond.wait_for(lambda: self._item is None or self._closed)
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self._cond.notify_all()

    def get(self, timeout: float | None = None) -> T | None:
        """The newest item, waiting up to ``timeout``; None on timeout or once closed and empty."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._item is not None or self._closed, timeout):
                return None
            item, self._item = self._item, None
            if item is not None:
                self.delivered += 1
                self._cond.notify_all()
            return item

    def close(self) -> None:
        """No more items: a waiting ``get`` returns what is left, then None."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed


class CaptureThread(threading.Thread):
    """Reads a source as fast as it delivers and puts each frame in a LatestSlot.

    Ends at the end of the source, on ``stop()``, or on a source error (kept in
    ``error`` for the loop to report); the slot is closed either way.
    """

    def __init__(self, source: FrameSource, slot: LatestSlot[Frame] | None = None):
        super().__init__(name=f"capture {source.name}", daemon=True)
        self.source = source
        # A camera, or a clip paced like one, drops what the model cannot keep up
        # with; an unpaced clip is scored frame by frame.
        paced = source.live or getattr(source, "realtime", False)
        self.slot = slot if slot is not None else LatestSlot(lossless=not paced)
        self.error: SourceError | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            while not self._stop_event.is_set():
                frame = self.source.read()
                if frame is None:
                    break
                self.slot.put(frame)
        except SourceError as e:
            self.error = e
        finally:
            self.slot.close()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop_event.set()
        self.slot.close()  # releases a lossless put waiting for a consumer that left
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)
