"""The last few seconds of frames, downscaled, for replay clips.

The frame loop only hands over a reference (``offer``); this thread shrinks the
frame and keeps it in a ring bounded by bytes, so memory stays flat whatever the
camera's resolution.  It keeps only what a clip shows: about ``clips.CLIP_FPS``
frames a second, so the same bytes hold twice the seconds, or, as here, frames with
2.25 times the pixels (longest side 480, not 320) for the same seconds.  Which frames:
a token bucket filled at CLIP_FPS a second, holding at most ``BURST`` (every second
frame of a steady 30 fps stream; three in four at 20 fps; and about 15 a second when a
busy loop scores frames 33 and 67 ms apart by turns, where a plain minimum gap would
keep only one in two of them, 10 a second).  For a live camera the hand-over drops frames when this
thread falls behind rather than hold the loop up; replaying a file (``lossless``) it
waits, so every frame is kept, and a failed rep's frames are held (``hold``) until its
clip has them: however late the idle-priority threads run on a busy machine, a file's
replays are the same.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import threading
from collections import deque
from typing import NamedTuple

import numpy as np

from firmware_py.records.clips import CLIP_FPS, downscale

log = logging.getLogger("kneecue")
BUDGET_BYTES = 64 << 20  # about 170 frames of 480x270: 11 s at 15 fps
BURST = 2.0  # frames the bucket may save up: smooths a loop whose frames arrive unevenly
NICENESS = 10  # the recorder's threads yield the CPU to the frame loop
_STOP = None


class Kept(NamedTuple):
    index: int
    t: float
    small: np.ndarray  # RGB, longest side clips.CLIP_SIDE at most
    source_size: tuple[int, int]  # (width, height) of the frame the pose is in


class ClipRate:
    """Which frames to keep for about ``fps`` a second: a token bucket (see above)."""

    def __init__(self, fps: float = CLIP_FPS, burst: float = BURST) -> None:
        self.fps, self.burst = fps, burst
        self._last: float | None = None
        self._tokens = 1.0

    def take(self, t: float) -> bool:
        """Whether the frame at ``t`` s is kept (a time going back starts afresh)."""
        if self._last is not None:
            self._tokens = min(self.burst, self._tokens + (t - self._last) * self.fps) if t >= self._last else 1.0
        self._last = t
        if self._tokens < 1.0 - 1e-6:
            return False
        self._tokens -= 1.0
        return True


class FrameRing:
    def __init__(self, *, budget_bytes: int = BUDGET_BYTES, lossless: bool = False) -> None:
        self.budget_bytes = budget_bytes
        self.lossless = lossless
        self.dropped = 0
        self.latest = -1
        self._in: queue.Queue = queue.Queue(maxsize=4)  # full-size frames: keep few (a 720p frame is 2.8 MB)
        self._kept: deque[Kept] = deque()
        self._bytes = 0
        self._cond = threading.Condition()
        self._holds: dict[int, tuple[int, int]] = {}  # a clip's (first, last) frames, kept until it has them
        self._tokens = itertools.count()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="frame ring", daemon=True)
        self._thread.start()

    def offer(self, rgb: np.ndarray, index: int, t: float) -> None:
        """Called by the frame loop: never copies, and (live) never waits."""
        if self.lossless:
            self._in.put((rgb, index, t))
            return
        try:
            self._in.put_nowait((rgb, index, t))
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        background(idle=True)
        rate = ClipRate()
        while (item := self._in.get()) is not _STOP:
            rgb, index, t = item
            if not rate.take(t):
                with self._cond:  # not kept, but seen: a clip ending on it need not wait
                    self.latest = index
                    self._cond.notify_all()
                continue
            small = downscale(rgb)
            kept = Kept(index, t, small, (rgb.shape[1], rgb.shape[0]))
            with self._cond:
                self._kept.append(kept)
                self._bytes += small.nbytes
                self.latest = index
                self._cond.notify_all()
                while self._bytes > self.budget_bytes and len(self._kept) > 1:
                    if self._held(self._kept[0].index):  # its clip will take it soon: wait for that
                        self._cond.wait(0.1)
                        continue
                    self._bytes -= self._kept.popleft().small.nbytes

    def _held(self, index: int) -> bool:
        """Frame ``index`` belongs to a held clip whose frames are all in (so only the clip
        taking them can end the wait; a rep longer than the ring loses its start, as live)."""
        return not self._closing and any(first <= index <= last <= self.latest
                                         for first, last in self._holds.values())

    def hold(self, first: int, last: int) -> int:
        """Keep frames ``first..last`` (a failed rep's) until ``release``: the ring waits,
        and with it a lossless hand-over, rather than let them go."""
        with self._cond:
            token = next(self._tokens)
            self._holds[token] = (first, last)
            return token

    def release(self, token: int | None) -> None:
        with self._cond:
            self._holds.pop(token, None)
            self._cond.notify_all()

    def between(self, first: int, last: int, timeout: float | None = 2.0) -> list[Kept]:
        """The kept frames with ``first <= index <= last``, once frame ``last`` is in
        (waiting up to ``timeout``, None: as long as it takes; the ring runs behind the loop)."""
        with self._cond:
            self._cond.wait_for(lambda: self.latest >= last or self._closing, timeout)
            return [k for k in self._kept if first <= k.index <= last]

    def close(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread.is_alive():
            try:
                self._in.put(_STOP, timeout=timeout)
            except queue.Full:
                return
            self._thread.join(timeout)


def background(niceness: int = NICENESS, *, idle: bool = False) -> None:
    """Lower the calling thread's CPU priority (Linux sets it per thread), so on a busy
    CPU the frame loop and the model's threads go first: nice ``niceness``, or with
    ``idle`` SCHED_IDLE, which runs only on CPU time nobody else wants.  Best effort."""
    tid = threading.get_native_id()
    try:
        if idle:
            os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
        else:
            os.setpriority(os.PRIO_PROCESS, tid, niceness)
    except (AttributeError, OSError) as e:  # another OS, or a system-call filter
        log.warning("%s keeps its normal CPU priority (%s): recording may slow the cues on a busy CPU",
                    threading.current_thread().name, e)
