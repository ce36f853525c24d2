"""The replay-clip thread: draws and writes the clip of each failed rep or landing from
the ring's frames (``ring.FrameRing``), then trims the clips to the quota.

It runs at SCHED_IDLE, on CPU time the frame loop and the model leave over; at most
PENDING_CLIPS clips wait for it, and a clip past those is skipped (its line says so)
rather than let the frames it needs pile up in memory.  A clip's line goes back to the
recorder's log thread through ``done``: only that thread writes the session file.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from firmware_py.records import clips
from firmware_py.records.ring import FrameRing, background

log = logging.getLogger("kneecue")
PENDING_CLIPS = 4  # failed reps and landings waiting for their clip; more are skipped (a CPU too busy)


@dataclass(frozen=True)
class ClipJob:
    writer: Any  # the SessionWriter whose session the clip's line belongs to
    key: tuple[str, int]  # ("rep" | "landing", its number in the session)
    name: str  # the clip's path within the session folder
    overlays: list[clips.Overlay]
    title: str
    reason: str
    hold: int | None  # the ring's hold on the frames (a file replayed), released once they are read
    slow: float  # played this many times slower than it happened


class ReplayWriter:
    """``quota_root(folder)``: the folder whose clips the quota counts, for a session's
    ``folder``; ``done(writer, record)``: a clip's line, written or why not."""

    def __init__(self, ring: FrameRing, *, quota_bytes: int, quota_root: Callable[[Path], Path],
                 done: Callable[[Any, dict[str, Any]], None]) -> None:
        self.ring = ring
        self.quota_bytes = quota_bytes
        self.written = 0
        self._quota_root = quota_root
        self._done = done
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._slots = threading.BoundedSemaphore(PENDING_CLIPS)
        self._thread = threading.Thread(target=self._loop, name="replay clips", daemon=True)
        self._thread.start()

    def offer(self, writer: Any, key: tuple[str, int], name: str, overlays: list[clips.Overlay], title: str,
              reason: str, slow: float = 1.0) -> dict[str, Any] | None:
        """Queue a clip; None, or (PENDING_CLIPS already waiting) the line saying it was skipped."""
        if not self._slots.acquire(blocking=False):
            return {"type": "clip", key[0]: key[1], "path": None,
                    "error": f"skipped: {PENDING_CLIPS} clips were already waiting for CPU time"}
        lossless = overlays and self.ring.lossless  # a file's clip: its frames kept until it has them
        hold = self.ring.hold(overlays[0].index, overlays[-1].index) if lossless else None
        self._jobs.put(ClipJob(writer, key, name, overlays, title, reason, hold, slow))
        return None

    def mark(self, done: threading.Event) -> None:
        """Set ``done`` once every clip queued so far is written."""
        self._jobs.put(done)

    def close(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(timeout)

    def _loop(self) -> None:
        background(idle=True)
        while (job := self._jobs.get()) is not None:
            if isinstance(job, threading.Event):
                job.set()
                continue
            try:
                record = self.make(job)
            except Exception as e:  # a clip is never worth the device
                log.exception("replay clip")
                record = {"type": "clip", job.key[0]: job.key[1], "path": None, "error": str(e)}
            finally:
                self.ring.release(job.hold)
                self._slots.release()
            self._done(job.writer, record)

    def make(self, job: ClipJob) -> dict[str, Any]:
        """Write ``job``'s clip; its line."""
        record: dict[str, Any] = {"type": "clip", job.key[0]: job.key[1], "path": None}
        if not job.overlays:
            return {**record, "error": "no frames"}
        # (held: the frames are kept for it, so wait as long as the ring takes to reach them)
        first, last = job.overlays[0].index, job.overlays[-1].index
        kept = self.ring.between(first, last, timeout=None if job.hold is not None else 2.0)
        self.ring.release(job.hold)
        if not kept:
            return {**record, "error": "the frames had already left the replay buffer"}
        folder = job.writer.folder
        if not clips.has_room(folder):
            return {**record, "error": "disk nearly full: clip skipped"}
        done = clips.replay(folder / job.name, kept, job.overlays, job.title, job.reason, slow=job.slow)
        self.written += 1
        removed = clips.enforce_quota(self._quota_root(folder), self.quota_bytes)
        if removed:
            log.info("clip quota (%.0f MB): removed %d oldest clip(s)", self.quota_bytes / (1 << 20), len(removed))
        return {**record, "path": job.name, **done}
