"""The foot stage: BlazePose beside the cue path, never in it.

The cue path stays MoveNet on the newest frame.  The foot stage takes the newest
frame it is offered (with MoveNet's pose of it, which gives the crop) and runs the
foot model on its own thread, as often as the CPU leaves room; frames offered while
it is busy are replaced by newer ones, never queued.  The scorer reads the newest
``FootReading`` each frame (``core.feet`` carries a planted foot along with the
ankle, and drops a reading older than half a second).

``threaded=False`` runs the model inline on every frame offered: what ``analyze``
does, so that a recorded clip is scored the same way on every machine.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from firmware_py.core import keypoints as kp
from firmware_py.core.feet import FootReading
from firmware_py.pose.blazepose import FootModel

log = logging.getLogger("kneecue")


class FootStage:
    """Offer frames with ``offer``; read the newest result with ``latest``; ``close``."""

    def __init__(self, model: FootModel, *, threaded: bool = True) -> None:
        self.model = model
        self.threaded = threaded
        self.readings = 0  # foot readings made so far
        self._latest: FootReading | None = None
        self._pending: tuple[int, float, np.ndarray, np.ndarray] | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._loop, name="kneecue-feet", daemon=True)
            self._thread.start()

    def offer(self, frame_index: int, t: float, rgb: np.ndarray, pose: np.ndarray) -> None:
        """The newest frame and MoveNet's pose of it; returns at once when threaded."""
        if not self.threaded:
            self._run(frame_index, t, rgb, pose)
            return
        with self._lock:
            self._pending = (frame_index, t, rgb, pose)
        self._wake.set()

    def latest(self) -> FootReading | None:
        return self._latest

    def _run(self, frame_index: int, t: float, rgb: np.ndarray, pose: np.ndarray) -> None:
        feet = self.model.feet(rgb, pose)
        if feet is None:
            return
        ankles = pose[[kp.L_ANKLE, kp.R_ANKLE], :2].astype(np.float64)
        self._latest = FootReading(frame_index, t, feet.points, feet.world, ankles)
        self.readings += 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                job, self._pending = self._pending, None
            if job is None or self._stop.is_set():
                continue
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
