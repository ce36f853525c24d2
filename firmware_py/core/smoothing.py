"""One Euro smoothing of keypoint coordinates (Casiez, Roussel & Vogel, CHI 2012).

MoveNet jitters by a pixel or two on a still athlete, which is enough to make a
knee angle dance around a threshold.  A fixed low-pass filter would trade that
jitter for lag, and lag is what makes feedback feel late.  The One Euro filter
lowers its cutoff when a point is still (jitter removed) and raises it with speed
(lag removed), so a moving knee is followed within a frame at 30 fps.

Speeds are measured in torso lengths per second, so the same settings work for a
small athlete far away and a large one close up.  The filter starts afresh when
the person is lost (hips/shoulders not seen), jumps (the torso moves more than a
fraction of its own length in one frame: a new detection, not a movement) or when
time has a gap (dropped frames).  Scores pass through unsmoothed, and points below
``min_score`` pass through raw, so a guessed point never drags a good one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from . import keypoints as kp
from .defaults import MIN_SCORE

__all__ = ["SmoothingParams", "PoseSmoother"]

_TORSO = [kp.L_SHOULDER, kp.R_SHOULDER, kp.L_HIP, kp.R_HIP]


@dataclass(frozen=True)
class SmoothingParams:
    """One Euro settings.  Cutoffs in Hz, speeds in torso lengths per second.

    With these defaults a still point is smoothed with a 1 Hz cutoff (jitter of
    1.5% of torso length drops by about 45%), and a steady movement of just 0.1
    torso lengths per second (a slow knee drift; a squat descent is nearer 0.7)
    is followed with under one 33 ms frame of lag: 0.97 frames at 0.1, 0.63 at
    0.2, 0.24 at 0.75 torso lengths per second (measured at 30 fps on a ramp).
    """

    min_cutoff: float = 1.0
    beta: float = 20.0
    d_cutoff: float = 1.0
    jump_fraction: float = 0.5  # torso lengths moved in one frame that mean "new person"
    max_gap_s: float = 0.5  # longer without a frame: start afresh
    min_score: float = MIN_SCORE


class PoseSmoother:
    """One Euro filter over the coordinates of a pose stream, point by point.

    ``update(pose, t)`` takes a (17, 3) pose and its time in seconds and returns a
    new (17, 3) array: smoothed x, y and the raw scores.  ``smooth(flat, t)`` does
    the same in place on ``keypoints.flat(pose)``, which is what the scorer uses.
    ``points`` limits the work to the keypoints a caller reads (the torso is always
    included: it decides resets); the others pass through raw.  ``reset_reason``
    says why the last update started afresh (``"start"``, ``"lost"``, ``"jump"``,
    ``"gap"``, ``"time"``) or is None when it continued smoothly.
    """

    def __init__(self, params: SmoothingParams | None = None, points: Iterable[int] = range(kp.COUNT)) -> None:
        self.params = params or SmoothingParams()
        self._slots = tuple((i, 3 * i) for i in sorted(set(points) | set(_TORSO)))
        self._x: list[float] | None = None  # filtered coordinates, one per keypoint
        self._y: list[float] = []
        self._vx = [0.0] * kp.COUNT  # filtered velocity, px/s
        self._vy = [0.0] * kp.COUNT
        self._t = 0.0
        self.reset_reason: str | None = None

    def reset(self) -> None:
        """Forget the past: the next pose is taken as it is."""
        self._x = None

    @property
    def active(self) -> bool:
        """Whether a person is being followed (the filter has state)."""
        return self._x is not None

    def update(self, pose: np.ndarray, t: float) -> np.ndarray:
        flat = kp.flat(pose)
        self.smooth(flat, t)
        return np.array(flat).reshape(kp.COUNT, 3)

    def smooth(self, flat: list[float], t: float) -> None:
        """Smooth ``flat`` (x, y, score per keypoint, 51 floats) in place."""
        p = self.params
        min_score = p.min_score
        lsx, lsy, lss, rsx, rsy, rss = flat[15:21]  # l/r shoulder
        lhx, lhy, lhs, rhx, rhy, rhs = flat[33:39]  # l/r hip
        if not (lss >= min_score and rss >= min_score and lhs >= min_score and rhs >= min_score):
            return self._lost()  # also catches NaN
        torso = 0.5 * math.hypot(lsx + rsx - lhx - rhx, lsy + rsy - lhy - rhy)
        if not torso > 1.0:
            return self._lost()
        fx, fy = self._x, self._y
        reason = None
        dt = t - self._t
        if fx is None:
            reason = "start"
        elif not dt > 0.0:
            reason = "time"
        elif dt > p.max_gap_s:
            reason = "gap"
        else:
            moved = 0.25 * (
                abs(lsx - fx[5]) + abs(lsy - fy[5]) + abs(rsx - fx[6]) + abs(rsy - fy[6])
                + abs(lhx - fx[11]) + abs(lhy - fy[11]) + abs(rhx - fx[12]) + abs(rhy - fy[12])
            )
            if moved > p.jump_fraction * torso:
                reason = "jump"
        self._t = t
        self.reset_reason = reason
        if reason is not None:
            self._x, self._y = flat[0::3], flat[1::3]
            self._vx = [0.0] * kp.COUNT
            self._vy = [0.0] * kp.COUNT
            return

        # One Euro: alpha = k / (k + 1) with k = 2 pi cutoff dt; the cutoff rises
        # with speed (torso lengths per second).
        two_pi_dt = 2.0 * math.pi * dt
        k = two_pi_dt * p.d_cutoff
        alpha_d = k / (k + 1.0)
        rate = 1.0 / dt
        base = two_pi_dt * p.min_cutoff
        slope = two_pi_dt * p.beta / torso
        vxs, vys = self._vx, self._vy
        for i, j in self._slots:
            x, y = flat[j], flat[j + 1]
            if not flat[j + 2] >= min_score:
                # Untrusted points pass through raw and carry no velocity into the future.
                fx[i], fy[i], vxs[i], vys[i] = x, y, 0.0, 0.0
                continue
            px, py = fx[i], fy[i]
            vx = vxs[i] + alpha_d * ((x - px) * rate - vxs[i])
            vy = vys[i] + alpha_d * ((y - py) * rate - vys[i])
            vxs[i], vys[i] = vx, vy
            k = base + slope * math.sqrt(vx * vx + vy * vy)
            a = k / (k + 1.0)
            fx[i] = flat[j] = px + a * (x - px)
            fy[i] = flat[j + 1] = py + a * (y - py)

    def _lost(self) -> None:
        self.reset()
        self.reset_reason = "lost"
