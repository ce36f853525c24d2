"""A landing captured at the camera's full rate and read again before its verdict.

A landing's knee is judged in the 150-300 ms from the foot's contact to peak knee
flexion.  The camera delivers frames faster than MoveNet scores them on a Pi 4 (some 15 a
second), and the live loop, which always scores the newest frame so that cues never lag,
reads a handful of that window.  So, while a landing drill runs (and the
``landing_burst`` setting is on):

* the camera is asked for ``LANDING_FPS`` (it gives the fastest rate that keeps its
  field of view: a Camera Module 3 56 fps, ``sources.picam``), and the capture thread
  keeps every frame of the last ``RING_S`` seconds in a ``FrameRing`` (memory, never
  disk), each frame wider than ``SHRINK_ABOVE`` pixels at half its width and height
  (``cv2.resize``'s area average, which at exactly half is a 2x2 mean, six times cheaper
  here than numpy's strided every-other-pixel copy, 17 M instructions a frame on a Pi 4's
  core; MoveNet reads a 192-pixel square of the athlete either way): some 46 MB at 56 fps
  from a 1280x720 stream;
* as soon as the live scorer has found a landing (its hip risen again from the lowest
  point, before the balance window closes), ``LandingBurst`` queues it for its own
  thread, which has its own interpreter (one serves one thread) so that the live loop
  never waits: it takes the frames captured from just before the contact to just after
  peak flexion (by the gap between the frames the live loop read, how far either may be
  off), scores as many as fit before the verdict is due (``CUE_WITHIN_S`` after the
  window's first frame was captured, less a margin and a live frame), evenly spread,
  from the live crop, and measures them for the landing (``core.burst``);
* the loop hands the landing on (judged, its verdict shown) only once its burst is over,
  read again from the burst's frames if they were at least twice those the live loop
  read (two readings of the same frames differ by MoveNet's noise).  How many frames
  fit comes from the measured cost of a burst frame, else of a live one; the landing's
  ``burst`` says what was done.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from firmware_py.core.burst import LandingFrames
from firmware_py.core.landing import Landing
from firmware_py.core.scorer import Scorer
from firmware_py.pose.engine import PoseEngine
from firmware_py.sources.base import Frame
from firmware_py.sources.rotation import rotated
from firmware_py.system.cv import cv2

log = logging.getLogger(__name__)
__all__ = ["FrameRing", "LandingBurst", "RING_S", "CUE_WITHIN_S", "LANDING_FPS"]

LANDING_FPS = 120.0  # what a landing drill asks of the camera (which keeps its field of view: sources.picam)
# A landing found at peak flexion + its balance window (0.3 s) + the live loop's lag, and
# read back to its contact (at most 0.45 s before peak) less a gap: under 1.2 s.
RING_S = 1.2
RING_MAX = int(RING_S * 130)  # frames, whatever a source claims its rate is
SHRINK_ABOVE = 800  # pixels wide: kept at half size
CUE_WITHIN_S = 1.0  # the verdict is shown within this of the contact frame's capture
MARGIN_S = 0.05  # kept back for the pattern, the pins and the clock's jitter
MIN_FRAMES = 3
KEEP_JOB_S = 5.0  # a finished job whose landing never settled is dropped after this


class FrameRing:
    """The last ``keep_s`` seconds of frames, filled by the capture thread while
    ``enabled``; read by the loop's thread (``newest``) and the burst's (``between``)."""

    def __init__(self, keep_s: float = RING_S, max_frames: int = RING_MAX) -> None:
        self.keep_s = keep_s
        self._lock = threading.Lock()
        self._frames: deque[tuple[Frame, int]] = deque(maxlen=max_frames)  # (frame as kept, shrunk by)
        self._enabled = False

    @property
    def enabled(self) -> bool:
        return self._enabled

    @enabled.setter
    def enabled(self, on: bool) -> None:
        if on != self._enabled:
            self._enabled = on
            if not on:
                with self._lock:
                    self._frames.clear()  # its memory back as soon as no landing drill runs

    def add(self, frame: Frame) -> None:
        if not self._enabled:
            return
        shrink = 2 if frame.rgb.shape[1] > SHRINK_ABOVE else 1
        if shrink > 1:
            h, w = frame.rgb.shape[:2]
            frame = dataclasses.replace(frame, rgb=cv2.resize(frame.rgb, (w // 2, h // 2), interpolation=cv2.INTER_AREA))
        with self._lock:
            frames = self._frames
            frames.append((frame, shrink))
            while frames and frame.pts - frames[0][0].pts > self.keep_s:
                frames.popleft()

    def newest(self) -> Frame | None:
        with self._lock:
            return self._frames[-1][0] if self._frames else None

    def between(self, t0: float, t1: float) -> list[tuple[Frame, int]]:
        """The frames kept from ``t0`` to ``t1`` (pts), each with how much it was shrunk
        (read by the burst's thread while the capture thread adds)."""
        with self._lock:
            return [(f, s) for f, s in self._frames if t0 <= f.pts <= t1]

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)


@dataclass
class _Job:
    landing: Landing
    measured: LandingFrames
    rotation: int
    live_cost_s: float | None
    deadline_ns: int  # the burst stops, and the loop stops waiting for it, here
    report: dict = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)


class LandingBurst:
    """Reads landings again from the ring, one after another on a thread of its own
    with its own interpreter, so that the live loop goes on scoring (on a hop grid the
    next landing comes half a second after this one's contact).

    On the loop's thread: ``start(landing, scorer, rotation, live_cost_s)`` once the live
    scorer has found a landing (before its balance window closes); ``ready(landing)``
    says whether its burst is over (done, or out of time: a burst never runs past its
    landing's cue deadline, and one that cannot start in time scores nothing);
    ``finish(landing, scorer)`` reads the landing again from what was scored and has the
    drill judge it again.
    """

    def __init__(self, ring: FrameRing, engine: PoseEngine, *, within_s: float = CUE_WITHIN_S,
                 clock: Callable[[], int] = time.monotonic_ns) -> None:
        self.ring = ring
        self.engine = engine
        self.within_s = within_s
        self.clock = clock
        self.cost_s: float | None = None  # seconds a burst frame takes, measured
        self._engine: PoseEngine | None = None  # the burst's own (a twin interpreter), made on first use
        self._jobs: dict[int, _Job] = {}  # by id(landing)
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def prepare(self) -> None:
        """Start the burst's thread, which first loads its own interpreter (a tenth of a
        second or more, which must not land in the live loop in the middle of a landing):
        the live loop calls this when a landing drill begins."""
        if self._thread is None and not self._stopping:
            self._thread = threading.Thread(target=self._work, name="landing burst", daemon=True)
            self._thread.start()

    def _job(self, landing: Landing) -> _Job | None:
        job = self._jobs.get(id(landing))
        return job if job is not None and job.landing is landing else None

    def started(self, landing: Landing) -> bool:
        return self._job(landing) is not None

    def start(self, landing: Landing, scorer: Scorer, rotation: int = 0, live_cost_s: float | None = None) -> None:
        if self._stopping or self.started(landing) or scorer.thresholds.view == "side":
            return  # (a side view reads no frontal-plane measure a burst could sharpen)
        newest = self.ring.newest()
        if newest is None:
            return
        for key, old in list(self._jobs.items()):  # a landing found and then replaced never settles
            if old.done.is_set() and landing.peak_t - old.landing.peak_t > KEEP_JOB_S:
                del self._jobs[key]
        # The verdict is due a second after the contact's capture, and the contact may be found up
        # to a frame gap before the live loop's; the loop sees the burst end on its next frame.
        earliest = landing.contact_t - _pad(landing)
        contact_ns = newest.t_ns - int((newest.pts - earliest) * 1e9)
        deadline = contact_ns + int((self.within_s - MARGIN_S - (live_cost_s or 0.0)) * 1e9)
        job = _Job(landing, scorer.landing_frames(landing), rotation, live_cost_s, deadline)
        self._jobs[id(landing)] = job
        self.prepare()
        self._queue.put(job)

    def _work(self) -> None:
        broken = None
        try:
            self._engine = PoseEngine(self.engine.model.twin(), track=self.engine.track)
            self.cost_s = self._time_invoke()
        except Exception as e:  # memory, a runtime that will not load twice: landings keep their live reading
            broken = f"no interpreter of its own ({e})"
            log.warning("landing burst: %s: landings are read on the live frames only", broken)
        while (job := self._queue.get()) is not None:
            try:
                if broken is None:
                    self._run(job)
                else:
                    job.report["why"] = broken
            except Exception as e:  # one landing's burst, never the next one's, nor the live loop
                job.report["why"] = f"failed: {e}"
                log.warning("landing burst: landing %d: %s", job.landing.index, e, exc_info=True)
            finally:
                job.done.set()

    def _time_invoke(self) -> float:
        """What a frame costs the twin (one thread, where the live interpreter may have
        more): its second invoke, timed (the first allocates), and the crop beside it."""
        model = self._engine.model
        model.invoke()
        begun = self.clock()
        model.invoke()
        return (self.clock() - begun) / 1e9 * 1.1

    def _run(self, job: _Job) -> None:
        landing, report = job.landing, job.report
        pad = _pad(landing)
        kept = self.ring.between(landing.contact_t - pad, landing.peak_t + pad)
        report.update(captured=len(kept), scored=0)
        if len(kept) < MIN_FRAMES:
            return
        frames = [f for f, _ in kept]
        window = sum(landing.contact_t <= f.pts <= landing.peak_t for f in frames)
        if window < 2 * landing.frames_read:  # a fast CPU: nothing to gain (see ``finish``)
            report["why"] = "the live loop read half the frames or more"
            return
        report["fps"] = round((len(frames) - 1) / max(frames[-1].pts - frames[0].pts, 1e-6), 1)
        deadline = job.deadline_ns
        begun = self.clock()
        cost = self.cost_s or job.live_cost_s or 0.05
        fit = int((deadline - begun) / 1e9 / cost)
        if fit < MIN_FRAMES:
            report["why"] = "no time left before the cue"
            return
        picked = [kept[i] for i in np.unique(np.linspace(0, len(kept) - 1, min(fit, len(kept))).round().astype(int))]
        engine = self._engine.adopt(self.engine, rotated(picked[0][0], job.rotation).rgb, 1.0 / picked[0][1])
        scored = 0
        for frame, shrink in picked:
            now = self.clock()
            if self._stopping or now + cost * 1e9 > deadline:
                break
            frame = rotated(frame, job.rotation)
            pose = engine.pose_of(frame)
            if shrink > 1:  # back to the live frames' pixels, which the scorer's lengths are in
                pose[:, :2] = pose[:, :2] * shrink + (shrink - 1) / 2  # a kept pixel's centre in the full frame
            job.measured.add(pose, frame.index, frame.pts)
            scored += 1
            took = (self.clock() - now) / 1e9
            cost = took if self.cost_s is None else 0.8 * self.cost_s + 0.2 * took
            self.cost_s = cost
        end = self.clock()
        report.update(scored=scored, took_ms=round((end - begun) / 1e6, 1),
                      done_after_window_s=round((end - frames[0].t_ns) / 1e9, 3))

    def ready(self, landing: Landing) -> bool:
        """Its burst is over, or out of time (then ``finish`` leaves the landing as read live)."""
        job = self._job(landing)
        return job is None or job.done.is_set() or self.clock() > job.deadline_ns

    def wait(self, landing: Landing, timeout: float) -> None:
        job = self._job(landing)
        if job is not None:
            job.done.wait(timeout)

    def finish(self, landing: Landing, scorer: Scorer) -> None:
        """Read ``landing`` again from its burst (it must be ``ready``) and judge it again."""
        job = self._job(landing)
        if job is None:
            return
        del self._jobs[id(landing)]
        if not job.done.is_set():  # out of time (queued behind another, or stopping): the live reading
            landing.burst = {"captured": 0, "scored": 0, "why": "not done in time", "live_read": landing.frames_read}
            return
        landing.burst = report = job.report
        report["live_read"] = landing.frames_read
        scored = report.get("scored", 0)
        # Read again only from at least twice the frames the live loop read it on: two readings of
        # the same frames differ by MoveNet's own noise (on the hop clip's 30 fps frames FPPA at peak
        # moved by a median of ~5 deg between the live crop and the burst's), so fewer frames than
        # that would trade one noisy reading for another (docs/performance.md, "A landing's burst").
        if scored >= max(MIN_FRAMES, 2 * landing.frames_read) and job.measured.refine():
            scorer.rejudge(landing)
            report["used"] = True

    def stop(self) -> None:
        self._stopping = True
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(2.0)


def _pad(landing: Landing) -> float:
    """How far the live loop's contact and peak may be off: the gap between its frames."""
    return max(landing.frame_gap_s, 0.02)
