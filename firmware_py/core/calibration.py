"""What a few seconds of quiet two-footed standing tell us about camera and athlete.

A camera on a shelf is rarely level, and a rolled camera turns a level pelvis into
a "pelvic drop" and an upright trunk into a "lean".  Standing still with both feet
down, the hip line and the ankle line are level and the trunk is vertical, so their
tilt in the image is the camera's roll.  The same seconds give each leg's static
FPPA (structural knee alignment differs between people) and the standing hip
height and leg length the rep counter measures depth against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from . import keypoints as kp
from .body import Body, knee_fppa, measure
from .defaults import CALIBRATION_S, MIN_SCORE
from .errors import CalibrationError

__all__ = ["Calibration", "CalibrationError", "CalibrationStatus", "Calibrator"]


@dataclass(frozen=True)
class Calibration:
    """The result of calibrating on quiet standing.

    ``roll_deg`` is the angle at which a level line appears in the image, measured
    from the image x axis toward +y (so positive means the image's right side of a
    level line sits lower).  Lengths and heights are in source pixels in the
    levelled frame; ``hip_height_px`` is how far the hip midpoint sits above the
    ankle midpoint.  ``None`` means "not measured".
    """

    roll_deg: float = 0.0
    fppa_baseline_left: float | None = None
    fppa_baseline_right: float | None = None
    hip_height_px: float | None = None
    leg_length_px: float | None = None
    hip_width_px: float | None = None
    torso_length_px: float | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.name != "roll_deg":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise CalibrationError(f"{f.name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise CalibrationError(f"{f.name} must be finite, got {value!r}")
        if not -45.0 <= self.roll_deg <= 45.0:
            raise CalibrationError(f"roll_deg {self.roll_deg} is outside -45..45")
        for name in ("hip_height_px", "leg_length_px", "hip_width_px", "torso_length_px"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise CalibrationError(f"{name} must be positive, got {value!r}")

    def fppa_baseline(self, side: str) -> float | None:
        """The standing FPPA of ``side`` ("left"/"right"), if measured."""
        return self.fppa_baseline_left if side == "left" else self.fppa_baseline_right

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Any) -> Calibration:
        """Strict inverse of ``to_dict``: unknown keys, wrong types or bad values raise.

        Missing keys take their defaults (a record from an older version still loads).
        """
        if not isinstance(data, dict):
            raise CalibrationError(f"calibration must be a mapping, got {type(data).__name__}")
        names = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in names)
        if unknown:
            raise CalibrationError(f"unknown calibration key(s): {', '.join(unknown)}")
        return cls(**data)


# --- the calibrator -----------------------------------------------------------

# Why a calibration attempt is not (yet) usable.
NOT_TRUSTED = "not_trusted"  # legs, hips or shoulders not all seen plausibly
NOT_BOTH_FEET = "not_both_feet"  # one ankle clearly above the other
MOVED = "moved"  # hips, shoulders or ankles drifted: not quiet standing


@dataclass(frozen=True)
class CalibrationStatus:
    """Where a calibration attempt stands after a frame.

    ``problem`` is None while all is well, else one of ``not_trusted``,
    ``not_both_feet``, ``moved`` (the window restarts on every problem);
    ``progress`` runs 0..1 over the quiet-standing window; ``calibration`` is set
    once ``done``.
    """

    done: bool
    progress: float
    problem: str | None
    calibration: Calibration | None = None
    unseen: tuple[str, ...] = ()  # with not_trusted: the keypoints not seen (kp.NAMES)
    implausible: tuple[str, ...] = ()  # with not_trusted: legs whose lengths do not add up


_CALIBRATION_POINTS = (kp.L_SHOULDER, kp.R_SHOULDER, kp.L_HIP, kp.R_HIP, kp.L_KNEE, kp.R_KNEE,
                       kp.L_ANKLE, kp.R_ANKLE)


def _untrusted(b: Body) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Why a body is not trusted: (the points not seen, else the legs whose lengths
    do not add up, a point seen in the wrong place); both empty: the torso."""
    unseen = tuple(kp.NAMES[i] for i in _CALIBRATION_POINTS if not b.ok[i])
    return unseen, () if unseen else tuple(side for side in kp.SIDES if not b.trusted(side))


class Calibrator:
    """Collects a few seconds of quiet two-footed standing and makes a Calibration.

    Every frame must show both leg chains and the torso trusted, both feet down
    (the ankle line parallel to the hip line within ``max_lift`` leg lengths) and the hips, shoulders and
    ankles within ``max_motion`` leg lengths of their average over the window so
    far; any failure restarts the window and is reported.  ``max_lift`` is loose on
    purpose: MoveNet's ankles on people really standing on both feet, with the
    camera rolled 4 degrees either way, read up to 0.11 leg lengths off the hip line
    (first frames of the lnc_ clips, tfex_image1), while a foot lifted far enough to
    count as single-leg stance reads 0.22 and more (``stance.StanceParams.enter``).
    After ``duration_s`` of
    good frames the medians of the per-frame estimates become the calibration.

    Camera roll combines three lines that are level or vertical in quiet standing:
    the hip line, the ankle line and the trunk axis, each weighted by its squared
    length (the angle error of a line falls with its length).
    """

    def __init__(
        self,
        *,
        duration_s: float = CALIBRATION_S,
        min_score: float = MIN_SCORE,
        max_lift: float = 0.15,
        max_motion: float = 0.06,
        min_frames: int = 10,
    ) -> None:
        if not 0 < duration_s < math.inf:  # NaN too: an empty window is no calibration
            raise CalibrationError(f"a calibration needs some seconds of standing, got {duration_s!r}")
        self.duration_s = duration_s
        self.min_score = min_score
        self.max_lift = max_lift
        self.max_motion = max_motion
        self.min_frames = min_frames
        self.reset()

    def reset(self) -> None:
        """Start over, forgetting any result."""
        self._rows: list[tuple[float, ...]] = []
        self._sum = np.zeros(6)  # running sums of hip/shoulder/ankle midpoints
        self._start = 0.0
        self._result: Calibration | None = None

    @property
    def calibration(self) -> Calibration | None:
        """The finished calibration, or None."""
        return self._result

    def _restart(self, problem: str, why: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())) -> CalibrationStatus:
        self._rows.clear()
        self._sum[:] = 0.0
        return CalibrationStatus(False, 0.0, problem, None, *why)

    def update(self, pose: np.ndarray, t: float) -> CalibrationStatus:
        """Feed one frame (pose and time in seconds); say how the attempt stands."""
        if self._result is not None:
            return CalibrationStatus(True, 1.0, None, self._result)
        b = measure(pose, min_score=self.min_score)
        if not (b.trusted_left and b.trusted_right and b.torso) or not b.hip_width \
                or not (b.ok[kp.L_ANKLE] and b.ok[kp.R_ANKLE]):
            return self._restart(NOT_TRUSTED, _untrusted(b))
        x, y = b.x, b.y
        # Both feet down: the ankle line runs parallel to the hip line.  (The image
        # axes cannot be used yet: finding their roll is the point of the exercise.)
        a = math.radians(_line_angle(x[kp.R_HIP] - x[kp.L_HIP], y[kp.R_HIP] - y[kp.L_HIP]))
        dx, dy = x[kp.R_ANKLE] - x[kp.L_ANKLE], y[kp.R_ANKLE] - y[kp.L_ANKLE]
        if abs(dy * math.cos(a) - dx * math.sin(a)) > self.max_lift * b.leg_length:
            return self._restart(NOT_BOTH_FEET)
        mids = np.array(
            [
                (x[kp.L_HIP] + x[kp.R_HIP]) * 0.5,
                (y[kp.L_HIP] + y[kp.R_HIP]) * 0.5,
                (x[kp.L_SHOULDER] + x[kp.R_SHOULDER]) * 0.5,
                (y[kp.L_SHOULDER] + y[kp.R_SHOULDER]) * 0.5,
                (x[kp.L_ANKLE] + x[kp.R_ANKLE]) * 0.5,
                (y[kp.L_ANKLE] + y[kp.R_ANKLE]) * 0.5,
            ]
        )
        if self._rows:
            mean = self._sum / len(self._rows)
            drift = np.hypot(*(mids - mean).reshape(3, 2).T).max()
            if drift > self.max_motion * b.leg_length:
                self._restart(MOVED)
                self._add(b, mids, t)
                return CalibrationStatus(False, 0.0, MOVED)
        self._add(b, mids, t)
        elapsed = t - self._start
        progress = min(1.0, elapsed / self.duration_s) if self.duration_s > 0 else 1.0
        if progress >= 1.0 and len(self._rows) >= self.min_frames:
            self._result = self._finish()
            return CalibrationStatus(True, 1.0, None, self._result)
        return CalibrationStatus(False, min(progress, 0.99), None)

    def _add(self, b: Body, mids: np.ndarray, t: float) -> None:
        if not self._rows:
            self._start = t
        self._sum += mids
        x, y = b.x, b.y
        hip = _line_angle(x[kp.R_HIP] - x[kp.L_HIP], y[kp.R_HIP] - y[kp.L_HIP])
        ankle = _line_angle(x[kp.R_ANKLE] - x[kp.L_ANKLE], y[kp.R_ANKLE] - y[kp.L_ANKLE])
        tx, ty = mids[2] - mids[0], mids[3] - mids[1]
        trunk = math.degrees(math.atan2(tx, -ty))
        w_hip = b.hip_width**2
        w_ankle = (x[kp.R_ANKLE] - x[kp.L_ANKLE]) ** 2 + (y[kp.R_ANKLE] - y[kp.L_ANKLE]) ** 2
        w_trunk = tx * tx + ty * ty
        roll = (hip * w_hip + ankle * w_ankle + trunk * w_trunk) / (w_hip + w_ankle + w_trunk)
        self._rows.append(
            (
                roll,
                knee_fppa(b, "left"),
                knee_fppa(b, "right"),
                mids[4] - mids[0],  # hip above ankle, image x
                mids[5] - mids[1],  # and image y
                b.leg_length,
                b.hip_width,
                b.torso,
            )
        )

    def _finish(self) -> Calibration:
        rows = np.array(self._rows, dtype=np.float64)
        med = np.median(rows, axis=0)
        roll = float(med[0])
        r = math.radians(roll)
        # height along the levelled "up" direction, which appears as (sin r, -cos r)
        height = float(np.median(-(rows[:, 3] * math.sin(r) - rows[:, 4] * math.cos(r))))
        return Calibration(
            roll_deg=round(roll, 2),
            fppa_baseline_left=round(float(med[1]), 1),
            fppa_baseline_right=round(float(med[2]), 1),
            hip_height_px=round(height, 1),
            leg_length_px=round(float(med[5]), 1),
            hip_width_px=round(float(med[6]), 1),
            torso_length_px=round(float(med[7]), 1),
        )


def _line_angle(dx: float, dy: float) -> float:
    """Angle of a line (either direction) to the image x axis, degrees in -90..90."""
    if dx < 0:
        dx, dy = -dx, -dy
    return math.degrees(math.atan2(dy, dx))
