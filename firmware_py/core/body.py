"""One pose, levelled and judged for what in it can be trusted (the metric contract:
docs/judgement.md, "Metrics").

Two rules shape the metrics built on it (``core.metrics``):

* Trust whole chains, not points.  MoveNet predicts hidden points anyway and puts
  knees and hips at score 0.30-0.36 on a photo without legs, so a leg counts only
  when hip, knee and ankle all score >= ``min_score`` *and* their lengths make a
  plausible leg (see ``leg_trusted``).  Any metric built on an untrusted chain is
  ``None``.
* Never assume which way the athlete faces.  "Medial" is the side of the other
  hip, which is right whether the athlete faces the camera or turns their back.

"Horizontal" and "vertical" come from the calibration's camera roll when one is
given (the pose is first rotated into a levelled frame), else from the image axes.
FPPA, being an angle between two segments, does not depend on roll at all, which is
why calibration can measure it here before any roll is known.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from . import keypoints as kp
from .defaults import MIN_SCORE

__all__ = ["Body", "measure", "measure_flat", "leg_trusted", "knee_fppa", "fppa", "body_scale", "MIN_SEGMENT_PX"]

# Plausibility of a hip-knee-ankle chain.  A segment shorter than a few pixels says
# nothing about direction; a thigh 2.5x the shin (or the reverse) is not a leg
# (a frontal view foreshortens the thigh in a deep squat, so allow a wide margin).
MIN_SEGMENT_PX = 3.0
MAX_SEGMENT_RATIO = 2.5
# The longer leg segment against the torso (shoulder-mid to hip-mid, about
# 0.5 m against a 0.42 m thigh) and against hip width (about 0.25 m between
# MoveNet's hip points).  Broad ranges: trunk flexion foreshortens the torso and
# turning away from the camera narrows the hips.
SEGMENT_PER_TORSO = (0.2, 2.5)
SEGMENT_PER_HIP_WIDTH = (0.5, 8.0)

# An arm covers a knee when the forearm (elbow -> wrist) passes this many hip widths
# from the knee's point: half a knee's breadth plus half a forearm's (about 10 and 8 cm)
# is 9 cm, and MoveNet's hip points are about 20 cm apart, so 0.45; MoveNet then
# puts a covered knee on its outer edge (issue 26: both knees read over the feet with
# the arms held in front of them at a squat's bottom), a few cm further out.
KNEE_COVER = 0.5

# Adult leg (thigh + shin) over torso (shoulder-mid to hip-mid): 0.85 / 0.52 m.
TORSO_TO_LEG = 1.6
_DEG = 180.0 / math.pi


@dataclass
class Body:
    """One pose in the levelled frame, with what in it can be trusted.

    ``x``/``y`` are levelled coordinates (x horizontal, y down-vertical) in source
    pixels, ``image_x``/``image_y`` the unlevelled ones, ``ok`` says which
    keypoints reached ``min_score``.  The lengths are None when their keypoints
    are not all ok; ``leg_length`` is the longer thigh + shin of the trusted legs
    (None when no leg is trusted).
    """

    x: list[float]
    y: list[float]
    ok: list[bool]
    image_x: list[float]
    image_y: list[float]
    trusted_left: bool
    trusted_right: bool
    hip_width: float | None
    torso: float | None
    leg_length: float | None

    def trusted(self, side: str) -> bool:
        """Whether ``side``'s hip-knee-ankle chain is trustworthy."""
        return self.trusted_left if side == "left" else self.trusted_right

    @property
    def any_leg(self) -> bool:
        """At least one leg chain is trusted (the athlete is really there)."""
        return self.trusted_left or self.trusted_right

    def knee_covered(self, side: str) -> bool:
        """An arm lies across ``side``'s knee in the image (see ``KNEE_COVER``)."""
        return self._covered[0 if side == "left" else 1]

    @functools.cached_property
    def _covered(self) -> tuple[bool, bool]:
        """(left, right) knee covered, worked out once per pose: the knee measures, the
        separation ratio and the feet each ask."""
        if not self.hip_width:
            return False, False
        x, y, ok = self.x, self.y, self.ok
        reach = KNEE_COVER * self.hip_width
        arms = [(e, w) for e, w in ((kp.L_ELBOW, kp.L_WRIST), (kp.R_ELBOW, kp.R_WRIST)) if ok[w]]

        def covered(k: int) -> bool:
            return any(math.hypot(x[w] - x[k], y[w] - y[k]) < reach
                       or (ok[e] and _to_segment(x[k], y[k], x[e], y[e], x[w], y[w]) < reach) for e, w in arms)

        return covered(kp.L_KNEE), covered(kp.R_KNEE)

    def hip_mid(self) -> tuple[float, float]:
        """Midpoint of the hips (meaningful only when both hips are ok)."""
        x, y = self.x, self.y
        return (x[kp.L_HIP] + x[kp.R_HIP]) * 0.5, (y[kp.L_HIP] + y[kp.R_HIP]) * 0.5


def measure(pose: np.ndarray, *, roll_deg: float = 0.0, min_score: float = MIN_SCORE) -> Body:
    """Level ``pose`` by the camera roll and decide what in it can be trusted."""
    return measure_flat(kp.flat(pose), roll_deg=roll_deg, min_score=min_score)


def measure_flat(flat: list[float], *, roll_deg: float = 0.0, min_score: float = MIN_SCORE) -> Body:
    """``measure`` of a pose given as ``keypoints.flat(pose)`` (the scorer's form)."""
    image_x, image_y = flat[0::3], flat[1::3]
    if roll_deg:
        r = math.radians(roll_deg)
        c, s = math.cos(r), math.sin(r)
        # levelled x = x cos r + y sin r ; levelled y = -x sin r + y cos r
        x = [u * c + v * s for u, v in zip(image_x, image_y)]
        y = [v * c - u * s for u, v in zip(image_x, image_y)]
    else:
        x, y = image_x, image_y
    ok = list(map(float(min_score).__le__, flat[2::3]))  # score >= min_score; NaN compares False

    hip_width = None
    if ok[kp.L_HIP] and ok[kp.R_HIP]:
        hip_width = math.hypot(x[kp.L_HIP] - x[kp.R_HIP], y[kp.L_HIP] - y[kp.R_HIP])
    torso = None
    if hip_width is not None and ok[kp.L_SHOULDER] and ok[kp.R_SHOULDER]:
        torso = 0.5 * math.hypot(
            x[kp.L_SHOULDER] + x[kp.R_SHOULDER] - x[kp.L_HIP] - x[kp.R_HIP],
            y[kp.L_SHOULDER] + y[kp.R_SHOULDER] - y[kp.L_HIP] - y[kp.R_HIP],
        )
    left = _chain_length(x, y, ok, kp.LEG["left"], hip_width, torso)
    right = _chain_length(x, y, ok, kp.LEG["right"], hip_width, torso)
    return Body(
        x=x,
        y=y,
        ok=ok,
        image_x=image_x,
        image_y=image_y,
        trusted_left=left is not None,
        trusted_right=right is not None,
        hip_width=hip_width,
        torso=torso,
        leg_length=left if right is None else right if left is None else max(left, right),
    )


def _chain_length(
    x: list[float],
    y: list[float],
    ok: list[bool],
    chain: tuple[int, int, int],
    hip_width: float | None,
    torso: float | None,
) -> float | None:
    """Thigh + shin of a plausible chain, or None when the chain is not a leg."""
    h, k, a = chain
    if not (ok[h] and ok[k] and ok[a]):
        return None
    thigh = math.hypot(x[h] - x[k], y[h] - y[k])
    shin = math.hypot(x[k] - x[a], y[k] - y[a])
    short, long = (thigh, shin) if thigh <= shin else (shin, thigh)
    # Written as "not (good)" so that NaN coordinates fail every test.
    if not (short >= MIN_SEGMENT_PX and long <= MAX_SEGMENT_RATIO * short):
        return None
    if torso is not None and not (
        SEGMENT_PER_TORSO[0] * torso <= long <= SEGMENT_PER_TORSO[1] * torso
    ):
        return None
    if hip_width is not None and not (
        SEGMENT_PER_HIP_WIDTH[0] * hip_width <= long <= SEGMENT_PER_HIP_WIDTH[1] * hip_width
    ):
        return None
    return thigh + shin


def leg_trusted(pose: np.ndarray, side: str, min_score: float = MIN_SCORE) -> bool:
    """Whether ``side``'s hip-knee-ankle chain can be trusted.

    Each of hip, knee and ankle must score >= ``min_score``; thigh and shin must
    each be at least a few pixels long and neither more than 2.5x the other; and,
    where the torso and the hips are seen, the longer segment must be a plausible
    size against torso length and hip width.
    """
    _check_side(side)
    return measure(pose, min_score=min_score).trusted(side)


def knee_fppa(b: Body, side: str) -> float | None:
    """``fppa`` of an already measured body (None: chain untrusted, or no other hip)."""
    if not b.trusted(side):
        return None
    h, k, a = kp.LEG[side]
    o = kp.OTHER_HIP[side]
    if not b.ok[o]:
        return None  # no other hip, no way to tell medial from lateral
    x, y = b.x, b.y
    ux, uy = x[h] - x[k], y[h] - y[k]
    vx, vy = x[a] - x[k], y[a] - y[k]
    inner = math.atan2(abs(ux * vy - uy * vx), ux * vx + uy * vy) * _DEG
    angle = 180.0 - inner
    # Which side of the hip-ankle line are the knee and the other hip on?
    lx, ly = x[a] - x[h], y[a] - y[h]
    knee_side = lx * (y[k] - y[h]) - ly * (x[k] - x[h])
    other_side = lx * (y[o] - y[h]) - ly * (x[o] - x[h])
    return -angle if knee_side * other_side < 0 else angle


def fppa(pose: np.ndarray, side: str, min_score: float = MIN_SCORE) -> float | None:
    """Frontal-plane projection angle of ``side``'s knee, in degrees.

    180 minus the hip-knee-ankle angle; positive when the knee lies on the medial
    side of the hip-ankle line (valgus), the side the other hip is on, negative for
    varus.  None when the chain is not trusted or the other hip is not seen.
    Unrounded; independent of camera roll.
    """
    _check_side(side)
    return knee_fppa(measure(pose, min_score=min_score), side)


def body_scale(b: Body) -> float | None:
    """A length that stays put while the athlete squats: the longer of the leg
    (thigh + shin, which foreshortens in a deep squat) and 1.6 torso lengths (the
    adult leg-to-torso ratio; the torso foreshortens in trunk flexion instead).
    The torso alone serves when no leg chain is trusted (a deep pistol squat
    foreshortens the thigh past the chain gate).  None when neither is seen.
    """
    if b.torso:
        torso_scale = TORSO_TO_LEG * b.torso
        return torso_scale if b.leg_length is None else max(b.leg_length, torso_scale)
    return b.leg_length


def _check_side(side: str) -> None:
    if side not in kp.SIDES:
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")


def _to_segment(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    """Distance from point p to the segment a-b."""
    dx, dy = bx - ax, by - ay
    n = dx * dx + dy * dy
    u = 0.0 if n == 0.0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / n))
    return math.hypot(px - ax - u * dx, py - ay - u * dy)
