"""A landing's frames measured again, at the camera's full rate.

The live loop scores the newest frame, as often as the model allows (a Pi 4 some 15 a
second), so the 150-300 ms from a foot's contact to peak knee flexion holds a handful of
scored frames; the camera meanwhile captured every frame of it (``loop.burst`` keeps
them).  Once a landing is found, this measures those frames the way the scorer measures
its own (the same smoothing, levelling, frontal-plane metrics with their validity gates,
and the upright thigh lengths the scorer has learnt, copied: a burst never changes what
the live scorer knows) on the landing's leg, and ``landing.refine`` reads the landing
again from them.  No foot model runs on them: where the live knee-inside-foot was judged
on the foot's line, that reading is kept.  (A side view runs no burst: ``loop.burst``.)

Pure: poses and times in, a refined ``Landing`` out.
"""

from __future__ import annotations

import copy

import numpy as np

from . import keypoints as kp
from .body import measure_flat
from .calibration import Calibration
from .landing import Landing, LandingFrame, landing_frame, refine
from .metrics import metrics_from_body
from .settings import Thresholds
from .smoothing import PoseSmoother, SmoothingParams
from .validity import UprightLengths

__all__ = ["LandingFrames"]

_SCORED_POINTS = range(kp.L_SHOULDER, kp.COUNT)  # as the scorer smooths


class LandingFrames:
    """``add(pose, frame_index, t)`` for each frame of the burst, in time order; then
    ``refine()`` reads the landing again from them (False: too few measured)."""

    def __init__(self, landing: Landing, thresholds: Thresholds, calibration: Calibration | None,
                 lengths: UprightLengths, *, knee_on_foot: bool = False) -> None:
        self.landing = landing
        # the live knee-inside-foot was judged on the foot's line (the foot model, which a
        # burst does not run): kept, rather than replaced by one judged on the ankle
        self.knee_on_foot = knee_on_foot
        self.thresholds = thresholds
        self.calibration = calibration
        self.lengths = copy.copy(lengths)  # read, never followed: the burst's frames are not upright
        self.stance = landing.leg  # "left", "right" or "both": a stance's name too
        self._smoother = PoseSmoother(SmoothingParams(min_score=thresholds.min_score), points=_SCORED_POINTS)
        self.frames: list[LandingFrame] = []

    def add(self, pose: np.ndarray, frame_index: int, t: float) -> None:
        th, cal = self.thresholds, self.calibration
        flat = kp.flat(pose)
        self._smoother.smooth(flat, t)
        body = measure_flat(flat, roll_deg=0.0 if cal is None else cal.roll_deg, min_score=th.min_score)
        metrics = metrics_from_body(body, thresholds=th, calibration=cal, stance=self.stance, lengths=self.lengths)
        measured = landing_frame(body, frame_index, t, metrics)
        if measured is not None:
            self.frames.append(measured)

    def refine(self) -> bool:
        landing = self.landing
        knee = landing.metrics.get("knee_medial"), landing.gated.get("knee_medial")
        if not refine(landing, self.frames):
            return False
        if self.knee_on_foot:
            landing.metrics["knee_medial"] = knee[0]
            landing.gated.pop("knee_medial", None)
            if knee[1] is not None:
                landing.gated["knee_medial"] = knee[1]
        return True
