"""Frontal-plane knee metrics from one pose (defined in docs/judgement.md, "Metrics").

Everything here is a pure function of one pose (plus an optional calibration and
the stance decided elsewhere), so the same numbers come out of the live device,
``kneecue analyze`` and the tests.  The pose is first measured (``core.body``:
levelled by the camera roll, each leg chain trusted or not, "medial" the side of
the other hip); every metric built on an untrusted chain is ``None``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from . import keypoints as kp, validity as gate
from .body import MIN_SEGMENT_PX, Body, body_scale, fppa, knee_fppa, leg_trusted, measure, measure_flat
from .settings import DEFAULT, Thresholds
from .stance import instant_stance, stance_signal

if TYPE_CHECKING:
    from .calibration import Calibration

__all__ = [
    "STANCES",
    "METRIC_KEYS",
    "Body",
    "measure",
    "measure_flat",
    "leg_trusted",
    "fppa",
    "body_scale",
    "stance_signal",
    "hip_height",
    "instant_stance",
    "compute_metrics",
    "metrics_from_body",
]

STANCES = ("left", "right", "both", "none")

# Hands on hips bend the elbows; straighter than this (degrees) is an arm hanging.
MAX_ELBOW_ANGLE_ON_HIPS = 140.0
# ... and flare the elbows out: each elbow at least this many shoulder widths
# outside its shoulder.  Hands clasped in front (the sqd_ man and woman single-leg
# squat clips) keep the elbows within 0.11-0.27 of it (5th-95th percentile);
# akimbo arms put them about 0.5 out (0.2 m of a 0.38 m shoulder width).  No
# real hands-on-hips footage was available to confirm the upper figure.
MIN_ELBOW_FLARE = 0.35
_ARMS = (
    (kp.L_SHOULDER, kp.L_ELBOW, kp.L_WRIST, kp.L_HIP),
    (kp.R_SHOULDER, kp.R_ELBOW, kp.R_WRIST, kp.R_HIP),
)
# Two-footed knee separation needs the feet apart to mean anything.
MIN_ANKLE_SEPARATION_PER_HIP_WIDTH = 0.25

METRIC_KEYS = (
    "fppa_left",
    "fppa_right",
    "fppa_rel_left",
    "fppa_rel_right",
    "knee_medial_left",
    "knee_medial_right",
    "knee_separation_ratio",
    "pelvic_drop",
    "trunk_lean",
    "hip_drift",
    "stance",
    "hands_on_hips",
    "leg_trusted_left",
    "leg_trusted_right",
)
# Beside the metrics, each metric dict carries "gated": {metric: why it is None}.
# The per-knee measures the thigh and two-footed gates apply to.
_PER_KNEE = {
    "left": ("fppa_left", "fppa_rel_left", "knee_medial_left"),
    "right": ("fppa_right", "fppa_rel_right", "knee_medial_right"),
}

_DEG = 180.0 / math.pi


def _medial_sign(b: Body, side: str) -> float:
    """+1 if the midline lies toward +x from ``side``'s hip, -1 if toward -x."""
    h, o = kp.LEG[side][0], kp.OTHER_HIP[side]
    return 1.0 if b.x[o] > b.x[h] else -1.0


def _knee_medial(b: Body, side: str) -> float | None:
    if not b.trusted(side) or not b.hip_width:
        return None
    _, k, a = kp.LEG[side]
    return (b.x[k] - b.x[a]) * _medial_sign(b, side) / b.hip_width


def hip_height(b: Body, stance: str) -> float | None:
    """Height of the hip midpoint above the floor ankle, in levelled pixels.

    The floor ankle is the stance ankle in single-leg stance (None when it is not
    seen) and otherwise the lower of the seen ankles.  None without both hips.
    """
    if not b.hip_width:
        return None
    ok, y = b.ok, b.y
    if stance in ("left", "right"):
        # never fall back to the free ankle: it is off the floor
        ankle = kp.L_ANKLE if stance == "left" else kp.R_ANKLE
        if not ok[ankle]:
            return None
        floor = y[ankle]
    elif ok[kp.L_ANKLE] and ok[kp.R_ANKLE]:
        floor = max(y[kp.L_ANKLE], y[kp.R_ANKLE])
    elif ok[kp.L_ANKLE] or ok[kp.R_ANKLE]:
        floor = y[kp.L_ANKLE] if ok[kp.L_ANKLE] else y[kp.R_ANKLE]
    else:
        return None
    return floor - b.hip_mid()[1]


def _torso_vector(b: Body) -> tuple[float, float] | None:
    if b.torso is None or not b.any_leg or b.torso < MIN_SEGMENT_PX:
        return None
    x, y = b.x, b.y
    vx = 0.5 * (x[kp.L_SHOULDER] + x[kp.R_SHOULDER] - x[kp.L_HIP] - x[kp.R_HIP])
    vy = 0.5 * (y[kp.L_SHOULDER] + y[kp.R_SHOULDER] - y[kp.L_HIP] - y[kp.R_HIP])
    return vx, vy


def _hands_on_hips(b: Body, tolerance: float) -> bool | None:
    ok = b.ok
    if b.torso is None or not b.any_leg:
        return None
    if not (ok[kp.L_WRIST] and ok[kp.R_WRIST] and ok[kp.L_ELBOW] and ok[kp.R_ELBOW]):
        return None
    x, y, reach = b.x, b.y, tolerance * b.torso
    # the shoulder line, left to right, and its length
    sx, sy = x[kp.R_SHOULDER] - x[kp.L_SHOULDER], y[kp.R_SHOULDER] - y[kp.L_SHOULDER]
    shoulders = math.hypot(sx, sy)
    if not shoulders > 0.0:
        return None
    for shoulder, elbow, wrist, hip in _ARMS:
        if math.hypot(x[wrist] - x[hip], y[wrist] - y[hip]) > reach:
            return False
        # Hands clasped in front of the belly also bend the elbows near the hips,
        # but keep the elbows by the sides; hands on hips flare them out along
        # the shoulder line.
        outward = (x[elbow] - x[shoulder]) * sx + (y[elbow] - y[shoulder]) * sy
        if shoulder == kp.L_SHOULDER:
            outward = -outward
        if outward < MIN_ELBOW_FLARE * shoulders * shoulders:
            return False
        # Arms hanging at the sides also put the wrists near the hips; a hand on
        # the hip bends the elbow out to the side.
        ux, uy = x[shoulder] - x[elbow], y[shoulder] - y[elbow]
        vx, vy = x[wrist] - x[elbow], y[wrist] - y[elbow]
        if math.atan2(abs(ux * vy - uy * vx), ux * vx + uy * vy) * _DEG > MAX_ELBOW_ANGLE_ON_HIPS:
            return False
    return True


def metrics_from_body(
    b: Body,
    *,
    thresholds: Thresholds = DEFAULT,
    calibration: Calibration | None = None,
    stance: str | None = None,
    lengths: gate.UprightLengths | None = None,
) -> dict[str, Any]:
    """The metric dict (see ``compute_metrics``) of an already measured body.

    ``lengths`` turns the validity gates on (``core.validity``): it holds the
    upright thigh lengths the foreshortening gate compares against (an empty one
    lets each shank stand in, as for a photo).  None: the plain geometry, as
    ``compute_metrics`` gives it, with only untrusted chains missing.
    """
    if stance is None:
        stance = instant_stance(b, thresholds.stance_enter)
    elif stance not in STANCES:
        raise ValueError(f"stance must be one of {STANCES}, got {stance!r}")

    gated: dict[str, str] = {}
    f_left, knee_left, rel_left = _knee(b, "left", stance, lengths, thresholds, calibration, gated)
    f_right, knee_right, rel_right = _knee(b, "right", stance, lengths, thresholds, calibration, gated)
    single = stance in ("left", "right")
    pelvic_drop, hip_drift = _pelvis(b, stance) if single else (None, None)
    trunk_lean = _trunk_lean(b, stance if single else None)
    separation = _separation(b, stance, gated)
    if pelvic_drop is None:
        gated["pelvic_drop"] = gated["hip_drift"] = gate.NOT_SEEN if single else gate.NOT_SINGLE_LEG
    if trunk_lean is None:
        gated["trunk_lean"] = gate.NOT_SEEN
    elif lengths is not None and lengths.torso and b.torso < thresholds.min_torso_ratio * lengths.torso:
        trunk_lean = None
        gated["trunk_lean"] = gate.TRUNK_FORESHORTENED

    # Rounded inline (a call per value costs more than the rest of a metric); "+ 0.0"
    # turns a rounded -0.0 into 0.0, which reads better in a log.
    return {
        "fppa_left": None if f_left is None else round(f_left, 1) + 0.0,
        "fppa_right": None if f_right is None else round(f_right, 1) + 0.0,
        "fppa_rel_left": None if rel_left is None else round(rel_left, 1) + 0.0,
        "fppa_rel_right": None if rel_right is None else round(rel_right, 1) + 0.0,
        "knee_medial_left": None if knee_left is None else round(knee_left, 3) + 0.0,
        "knee_medial_right": None if knee_right is None else round(knee_right, 3) + 0.0,
        "knee_separation_ratio": None if separation is None else round(separation, 3) + 0.0,
        "pelvic_drop": None if pelvic_drop is None else round(pelvic_drop, 1) + 0.0,
        "trunk_lean": None if trunk_lean is None else round(trunk_lean, 1) + 0.0,
        "hip_drift": None if hip_drift is None else round(hip_drift, 3) + 0.0,
        "stance": stance,
        "hands_on_hips": _hands_on_hips(b, thresholds.hands_on_hips_tolerance),
        "leg_trusted_left": b.trusted_left,
        "leg_trusted_right": b.trusted_right,
        "gated": gated,
    }


def _knee(b: Body, side: str, stance: str, lengths: gate.UprightLengths | None, thresholds: Thresholds,
          calibration: Calibration | None, gated: dict[str, str]) -> tuple[float | None, float | None, float | None]:
    """FPPA, knee-medial offset and FPPA against the calibrated baseline of one knee,
    unrounded; when the validity gates stop them, why goes into ``gated``."""
    why = _knee_gate(b, side, stance, lengths, thresholds.min_thigh_ratio)
    if why is not None:
        for key in _PER_KNEE[side]:
            gated[key] = why
        return None, None, None
    angle = knee_fppa(b, side)
    base = None if calibration is None else (
        calibration.fppa_baseline_left if side == "left" else calibration.fppa_baseline_right)
    return angle, _knee_medial(b, side), None if angle is None or base is None else angle - base


def _pelvis(b: Body, stance: str) -> tuple[float | None, float | None]:
    """Pelvic drop (deg, + free side lower) and hip drift (hip widths, + the stance hip
    outward of its ankle) on one leg."""
    if not (b.trusted(stance) and b.hip_width and b.hip_width >= MIN_SEGMENT_PX):
        return None, None
    x, y = b.x, b.y
    s_hip, ankle = kp.LEG[stance][0], kp.LEG[stance][2]
    f_hip = kp.OTHER_HIP[stance]
    drop = math.atan2(y[f_hip] - y[s_hip], abs(x[f_hip] - x[s_hip])) * _DEG
    return drop, -(x[s_hip] - x[ankle]) * _medial_sign(b, stance) / b.hip_width


def _trunk_lean(b: Body, stance: str | None) -> float | None:
    """Trunk against vertical (deg): + toward the stance side on one leg, unsigned otherwise."""
    v = _torso_vector(b)
    if v is None:
        return None
    vx, vy = v
    if stance is not None and b.ok[kp.LEG[stance][0]] and b.hip_width:
        toward_stance = 1.0 if b.x[kp.LEG[stance][0]] > b.hip_mid()[0] else -1.0
        return math.atan2(vx * toward_stance, -vy) * _DEG
    return math.atan2(abs(vx), -vy) * _DEG


def _separation(b: Body, stance: str, gated: dict[str, str]) -> float | None:
    """Knee separation ratio on two feet (see ``compute_metrics``); why not, into ``gated``."""
    if not (stance == "both" and b.trusted_left and b.trusted_right and b.hip_width):
        gated["knee_separation_ratio"] = gate.NOT_TWO_FOOTED if stance != "both" else gate.NOT_SEEN
        return None
    if b.knee_covered("left") or b.knee_covered("right"):
        gated["knee_separation_ratio"] = gate.NOT_SEEN
        return None
    x = b.x
    ankles = abs(x[kp.L_ANKLE] - x[kp.R_ANKLE])
    if not ankles >= max(MIN_SEGMENT_PX, MIN_ANKLE_SEPARATION_PER_HIP_WIDTH * b.hip_width):  # NaN: not apart
        gated["knee_separation_ratio"] = gate.FEET_TOGETHER
        return None
    # Against the smaller of the ankle separation (Mizner 2012) and where straight legs
    # would put the knees (halfway between hips and ankles, thigh = shank): in a stance
    # wider than the hips straight legs already bring the knees inside the ankles,
    # which is not valgus.
    hips = abs(x[kp.L_HIP] - x[kp.R_HIP])
    return abs(x[kp.L_KNEE] - x[kp.R_KNEE]) / min(ankles, 0.5 * (ankles + hips))


def _knee_gate(b: Body, side: str, stance: str, lengths: gate.UprightLengths | None, limit: float) -> str | None:
    """Why ``side``'s per-knee measures are not read (None: they are).  Without
    ``lengths`` only an untrusted chain stops them (the plain geometry)."""
    if not ((b.trusted_left if side == "left" else b.trusted_right) and b.ok[kp.OTHER_HIP[side]]):
        return gate.NOT_SEEN
    if b.knee_covered(side):  # an arm across the knee: its point is a guess at the knee's edge
        return gate.NOT_SEEN
    if lengths is None:
        return None
    if stance == "both":
        return gate.TWO_FOOTED
    h, k, a = kp.LEG[side]
    x, y = b.x, b.y
    upright = lengths.left if side == "left" else lengths.right
    if upright is None:  # the shank of the same leg stands in (thigh and shank are alike)
        upright = math.hypot(x[k] - x[a], y[k] - y[a])
    need = limit * upright
    # (the thigh's height alone settles most frames: its length is at least that)
    if y[k] - y[h] < need and math.hypot(x[h] - x[k], y[h] - y[k]) < need:
        return gate.THIGH_FORESHORTENED
    return None


def compute_metrics(
    pose: np.ndarray,
    *,
    thresholds: Thresholds | None = None,
    calibration: Calibration | None = None,
    stance: str | None = None,
) -> dict[str, Any]:
    """All the metrics of docs/judgement.md's table for one pose, as a plain dict (keys: METRIC_KEYS).

    Angles are degrees rounded to 0.1, ratios rounded to 0.001, and each is None
    when its keypoints are not trustworthy:

    * ``fppa_left/right``: 180 - angle(hip, knee, ankle), + valgus (knee medial of
      the hip-ankle line).  ``fppa_rel_left/right``: the same minus the calibrated
      standing baseline (None without one).
    * ``knee_medial_left/right``: knee's horizontal offset from the ankle toward
      the midline / hip width; + when the knee is inside the foot.
    * ``knee_separation_ratio``: knee-to-knee horizontal separation over the
      smaller of the ankle-to-ankle separation (Mizner 2012) and the knee
      separation straight legs would give (halfway between hips and ankles), so
      a stance wider than the hips does not read as valgus; two-footed stance
      only, feet apart.
    * ``pelvic_drop``: hip line against horizontal, + when the free side is lower;
      single-leg stance only.
    * ``trunk_lean``: hip-mid to shoulder-mid line against vertical.  In single-leg
      stance + toward the stance side; in "both"/"none" stance the unsigned
      magnitude (there is no stance side to sign it by).  Needs a trusted leg, so
      hips guessed on a legless photo give None.
    * ``hip_drift``: stance hip's horizontal offset outward of the stance ankle /
      hip width, + outward; single-leg stance only.
    * ``stance``: the ``stance`` argument (e.g. the tracked stance), or when it is
      None the stance of this pose alone (``instant_stance``).
    * ``hands_on_hips``: each wrist within ``hands_on_hips_tolerance`` torso
      lengths of its own hip, with the elbow bent (<= 140 deg; arms hanging at
      the sides also bring the wrists near the hips) and flared out past the
      shoulder (hands clasped in front are near the hips and bent too); None
      when wrists, elbows, hips or shoulders are not seen.
    * ``leg_trusted_left/right``: the chain gate itself.
    * ``gated``: for each metric that is None, why (``validity.GATE_REASONS``).
      With the validity gates on (``metrics_from_body(lengths=...)``, as the
      scorer always runs), the per-knee measures (FPPA, relative FPPA,
      knee-medial) are also None in two-footed stance (the separation ratio
      judges those) and while the thigh is foreshortened below
      ``min_thigh_ratio`` of its upright length; trunk lean while the torso is
      foreshortened below ``min_torso_ratio`` (bent toward the camera).

    ``calibration`` supplies camera roll (defining horizontal) and baselines.
    """
    t = DEFAULT if thresholds is None else thresholds
    roll = 0.0 if calibration is None else calibration.roll_deg
    body = measure(pose, roll_deg=roll, min_score=t.min_score)
    return metrics_from_body(body, thresholds=t, calibration=calibration, stance=stance)
