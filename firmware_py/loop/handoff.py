"""Latest-frame hand-off between the capture thread and the scoring loop.

A slot, not a queue: the producer overwrites whatever the consumer has not taken
yet and counts it as dropped.  However slow the model gets, the frame scored is
always the newest one, so cues never lag further and further behind the athlete.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Callable, Generic, TypeVar

from firmware_py.errors import SourceError, SourceGivenUp, SourceLost
from firmware_py.sources.base import Frame, FrameSource

T = TypeVar("T")
BACKOFF_S = (0.5, 8.0)  # a lost camera is retried after 0.5 s, doubling to 8 s


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

    A clip ends at its end or on an error (kept in ``error`` for the loop to
    report).  A live source (camera) is never given up: when it cannot be opened
    or stops delivering, ``on_fault`` hears why, the source is closed and reopened
    with back-off, and ``on_fault(None)`` says it is back; one this process cannot
    open again (``SourceGivenUp``) stays a fault, the thread idling until stopped.
    Frame numbers and times run on across a reopen, so the scorer never sees time go
    backwards.  The slot is closed when the thread ends.

    ``stuck_s()`` says how long the thread has been inside one call to the source (0
    when it is between calls or waiting out a back-off): a camera driver that never
    answers shows here, and the service's watchdog stops being fed.

    ``ring`` (``loop.burst.FrameRing``), when given, gets every frame before the slot
    does: a landing's frames at the camera's full rate, whatever the slot dropped.
    """

    def __init__(self, source: FrameSource, slot: LatestSlot[Frame] | None = None, *, opened: bool = True,
                 retry: bool | None = None, on_fault: Callable[[str | None], None] | None = None,
                 backoff: tuple[float, float] = BACKOFF_S, ring=None):
        super().__init__(name=f"capture {source.name}", daemon=True)
        self.source = source
        # A camera, or a clip paced like one, drops what the model cannot keep up
        # with; an unpaced clip is scored frame by frame.
        paced = source.live or getattr(source, "realtime", False)
        self.slot = slot if slot is not None else LatestSlot(lossless=not paced)
        self.retry = source.live if retry is None else retry
        self.on_fault = on_fault or (lambda problem: None)
        self.backoff = backoff
        self.ring = ring
        self.error: SourceError | None = None
        self.reopened = 0
        self._opened = opened
        self._stop_event = threading.Event()
        self._last: Frame | None = None
        self._offset: tuple[int, float] | None = None  # added to index and pts after a reopen
        self._called_at: float | None = None  # monotonic s when the current source call began
        self.gave_up = False

    def stuck_s(self, now: float | None = None) -> float:
        called = self._called_at
        return 0.0 if called is None else max(0.0, (time.monotonic() if now is None else now) - called)

    def _call(self, fn):
        self._called_at = time.monotonic()
        try:
            return fn()
        finally:
            self._called_at = None

    def run(self) -> None:
        delay, faulty = self.backoff[0], False
        try:
            while not self._stop_event.is_set():
                try:
                    if not self._opened:
                        self._call(self.source.open)
                        self._opened = True
                    frame = self._call(self.source.read)
                    if frame is None and self.retry:
                        raise SourceLost(f"{self.source.name} ended")
                except SourceGivenUp as e:
                    self.gave_up = True
                    self.on_fault(str(e))
                    if self.retry:
                        self._stop_event.wait()  # the fault stays on show; the console stays up
                    else:
                        self.error = e
                    break
                except SourceError as e:
                    if not self.retry:
                        self.error = e
                        break
                    faulty = True
                    self.on_fault(str(e))
                    self._close_source()
                    self._stop_event.wait(delay)
                    delay = min(2 * delay, self.backoff[1])
                    continue
                if frame is None:
                    break
                if faulty:
                    faulty, delay = False, self.backoff[0]
                    self.reopened += 1
                    self.on_fault(None)
                frame = self._run_on(frame)
                if self.ring is not None:
                    self.ring.add(frame)
                self.slot.put(frame)
        finally:
            self.slot.close()

    def _close_source(self) -> None:
        if self._opened:
            self._opened = False
            try:
                self._call(self.source.close)
            except Exception:  # a half-dead camera may fail to close; it is reopened anyway
                pass
            if self._last is not None:
                self._offset = None  # measured again on the first frame after the reopen

    def _run_on(self, frame: Frame) -> Frame:
        """The frame with index and time continuing from before any reopen."""
        last = self._last
        if last is not None and self._offset is None and (frame.index <= last.index or frame.pts <= last.pts):
            gap = max(frame.t_ns - last.t_ns, 1) / 1e9
            self._offset = (last.index + 1 - frame.index, last.pts + gap - frame.pts)
        if self._offset is not None:
            frame = dataclasses.replace(frame, index=frame.index + self._offset[0], pts=frame.pts + self._offset[1])
        self._last = frame
        return frame

    def stop(self, timeout: float = 2.0) -> None:
        self._stop_event.set()
        self.slot.close()  # releases a lossless put waiting for a consumer that left
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)
