"""The foot stage: BlazePose beside the cue path, never in it.

The cue path stays MoveNet on the newest frame.  The foot stage takes the newest
frame it is offered (with MoveNet's pose of it, which gives the crop) and runs the
foot model on its own thread, as often as the CPU leaves room; frames offered while
it is busy are replaced by newer ones, never queued.  The scorer reads the newest
``FootReading`` each frame (``core.feet`` carries a planted foot along with the
ankle, and drops a reading older than half a second).

``threaded=False`` runs the model inline on every frame offered: what ``analyze``
does, so that a recorded clip is scored the same way on every machine.

Two kinds of frame matter more than the newest (issue 16): every frame of a guided
procedure (calibration, the tests), where the lights show the procedure and no cue
waits, so ``offer(..., wait=True)`` reads the frame there and then; and the frames
around a rep's bottom, which ``keep`` queues (up to ``KEPT``) ahead of the newest
frame, so a busy CPU still reads the foot where the knee is judged.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

import numpy as np

from firmware_py.core import keypoints as kp
from firmware_py.core.feet import FootReading
from firmware_py.pose.blazepose import FootModel

log = logging.getLogger("kneecue")
KEPT = 4  # rep-bottom frames queued at most


class FootStage:
    """Offer frames with ``offer``; read the newest result with ``latest``; ``close``."""

    def __init__(self, model: FootModel, *, threaded: bool = True) -> None:
        self.model = model
        self.threaded = threaded
        self.readings = 0  # foot readings made so far
        self._latest: FootReading | None = None
        self._pending: tuple[int, float, np.ndarray, np.ndarray] | None = None
        self._kept: deque[tuple[int, float, np.ndarray, np.ndarray]] = deque(maxlen=KEPT)
        self.history: deque[int] = deque(maxlen=256)  # the frames read lately, oldest first
        self._lock = threading.Lock()
        self._model_lock = threading.Lock()  # one invoke at a time: the worker's, or a ``wait``
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._loop, name="kneecue-feet", daemon=True)
            self._thread.start()

    def offer(self, frame_index: int, t: float, rgb: np.ndarray, pose: np.ndarray, *, wait: bool = False) -> None:
        """The newest frame and MoveNet's pose of it; returns at once when threaded,
        unless ``wait`` (a procedure's frame: read it now, after any invoke under way)."""
        if not self.threaded or wait:
            self._run(frame_index, t, rgb, pose)
            return
        with self._lock:
            self._pending = (frame_index, t, rgb, pose)
        self._wake.set()

    def keep(self, frames: list[tuple[int, float, np.ndarray, np.ndarray]]) -> None:
        """Frames to read before any newer one (a rep's bottom), unless read already."""
        if not frames:
            return
        if not self.threaded:
            for job in frames:
                if job[0] not in self.history:
                    self._run(*job)
            return
        with self._lock:
            self._kept.extend(job for job in frames if job[0] not in self.history)
        self._wake.set()

    def latest(self) -> FootReading | None:
        return self._latest

    def _run(self, frame_index: int, t: float, rgb: np.ndarray, pose: np.ndarray) -> None:
        with self._model_lock:
            feet = self.model.feet(rgb, pose)
            self.history.append(frame_index)
        if feet is None:
            return
        ankles = pose[[kp.L_ANKLE, kp.R_ANKLE], :2].astype(np.float64)
        self._latest = FootReading(frame_index, t, feet.points, feet.world, ankles)
        self.readings += 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            while not self._stop.is_set():
                with self._lock:
                    if self._kept:
                        job = self._kept.popleft()
                    else:
                        job, self._pending = self._pending, None
                if job is None:
                    break
                try:
                    self._run(*job)
                except Exception:  # the feet are never worth the cue path: log and go on
                    log.exception("foot stage")

    def close(self) -> None:
        """Stop the thread (within one foot-model invoke); idempotent."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    def __enter__(self) -> "FootStage":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
