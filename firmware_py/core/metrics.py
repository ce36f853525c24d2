"""Frontal-plane knee metrics from one pose (GUIDE.md section 2).

Everything here is a pure function of one pose (plus an optional calibration and
the stance decided elsewhere), so the same numbers come out of the live device,
``kneecue analyze`` and the tests.  Two rules shape the code:

* Trust whole chains, not points.  MoveNet predicts hidden points anyway and puts
  knees and hips at score 0.30-0.36 on a photo without legs, so a leg counts only
  when hip, knee and ankle all score >= ``min_score`` *and* their lengths make a
  plausible leg (see ``leg_trusted``).  Any metric built on an untrusted chain is
  ``None``.
* Never assume which way the athlete faces.  "Medial" is the side of the other
  hip, which is right whether the athlete faces the camera or turns their back.

"Horizontal" and "vertical" come from the calibration's camera roll when one is
given (the pose is first rotated into a levelled frame), else from the image axes.
FPPA, being an angle between two segments, does not depend on roll at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import keypoints as kp
from . import validity as gate
from .settings import DEFAULT, Thresholds

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
# Adult leg (thigh + shin) over torso (shoulder-mid to hip-mid): 0.85 / 0.52 m.
TORSO_TO_LEG = 1.6
# Lateral (centre-of-mass) stance evidence, in leg lengths, that starts to / fully
# overrides contrary ankle height (see stance_signal).
LATERAL_OVERRIDES_HEIGHT = (0.1, 0.2)
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

    def hip_mid(self) -> tuple[float, float]:
        """Midpoint of the hips (meaningful only when both hips are ok)."""
        x, y = self.x, self.y
        return (x[kp.L_HIP] + x[kp.R_HIP]) * 0.5, (y[kp.L_HIP] + y[kp.R_HIP]) * 0.5


def measure(pose: np.ndarray, *, roll_deg: float = 0.0, min_score: float = 0.3) -> Body:
    """Level ``pose`` by the camera roll and decide what in it can be trusted."""
    return measure_flat(kp.flat(pose), roll_deg=roll_deg, min_score=min_score)


def measure_flat(flat: list[float], *, roll_deg: float = 0.0, min_score: float = 0.3) -> Body:
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


def leg_trusted(pose: np.ndarray, side: str, min_score: float = 0.3) -> bool:
    """Whether ``side``'s hip-knee-ankle chain can be trusted.

    Each of hip, knee and ankle must score >= ``min_score``; thigh and shin must
    each be at least a few pixels long and neither more than 2.5x the other; and,
    where the torso and the hips are seen, the longer segment must be a plausible
    size against torso length and hip width.
    """
    _check_side(side)
    return measure(pose, min_score=min_score).trusted(side)


def _fppa(b: Body, side: str) -> float | None:
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


def fppa(pose: np.ndarray, side: str, min_score: float = 0.3) -> float | None:
    """Frontal-plane projection angle of ``side``'s knee, in degrees.

    180 minus the hip-knee-ankle angle; positive when the knee lies on the medial
    side of the hip-ankle line (valgus), the side the other hip is on, negative for
    varus.  None when the chain is not trusted or the other hip is not seen.
    Unrounded; independent of camera roll.
    """
    _check_side(side)
    return _fppa(measure(pose, min_score=min_score), side)


def _medial_sign(b: Body, side: str) -> float:
    """+1 if the midline lies toward +x from ``side``'s hip, -1 if toward -x."""
    h, o = kp.LEG[side][0], kp.OTHER_HIP[side]
    return 1.0 if b.x[o] > b.x[h] else -1.0


def _knee_medial(b: Body, side: str) -> float | None:
    if not b.trusted(side) or not b.hip_width:
        return None
    _, k, a = kp.LEG[side]
    return (b.x[k] - b.x[a]) * _medial_sign(b, side) / b.hip_width


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


def stance_signal(b: Body) -> float | None:
    """Evidence, in leg lengths, that the LEFT foot carries the body (+) or the right (-).

    Two signs of single-leg stance are added: the free ankle rises above the
    stance ankle, and the body's centre of mass (halfway between the hip and
    shoulder midpoints) sits over the stance ankle while the free one is away
    from it.  Height alone fails in a pistol squat: a free leg reaching forward
    toward the camera puts its ankle *lower* in the image than the stance ankle
    (seen in sqd_single_leg_squat_pistol_good_and_bad_frontal.mp4), while
    balance still puts the centre of mass over the stance foot, so when the two
    disagree the lateral evidence wins.  Near zero with both feet down.  None
    when either ankle, either hip or the scale is missing.
    """
    scale = body_scale(b)
    if scale is None or not (b.ok[kp.L_ANKLE] and b.ok[kp.R_ANKLE]) or not b.hip_width:
        return None
    x = b.x
    com = b.hip_mid()[0]
    if b.torso:
        com = 0.5 * com + 0.25 * (x[kp.L_SHOULDER] + x[kp.R_SHOULDER])
    height = (b.y[kp.L_ANKLE] - b.y[kp.R_ANKLE]) / scale  # right foot higher: +
    lateral = (abs(x[kp.R_ANKLE] - com) - abs(x[kp.L_ANKLE] - com)) / scale  # right further: +
    if height * lateral < 0.0:
        # The higher foot is the one under the body.  Either a free foot reaches
        # forward and shows low in the image (pistol: lateral 0.15-0.3), or a free
        # foot is tucked up near the midline (dance clip: raised 0.5-0.65, lateral
        # within 0.12).  Clear balance evidence wins; weak balance evidence defers
        # to height; in between, blend (no jump for the trigger to chatter on).
        low, high = LATERAL_OVERRIDES_HEIGHT
        height *= min(1.0, max(0.0, (high - abs(lateral)) / (high - low)))
    return height + lateral


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


def instant_stance(b: Body, enter: float) -> str:
    """Stance from this pose alone: single-leg when ``stance_signal`` passes
    ``enter`` either way, else ``both``; ``none`` when it cannot be measured.
    The tracker in ``stance`` adds hysteresis and dwell.
    """
    z = stance_signal(b)
    if z is None:
        return "none"
    if z > enter:
        return "left"
    if z < -enter:
        return "right"
    return "both"


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

    # Which per-knee measures are read at all (core.validity), before computing them.
    gated: dict[str, str] = {}
    why_left = _knee_gate(b, "left", stance, lengths, thresholds.min_thigh_ratio)
    why_right = _knee_gate(b, "right", stance, lengths, thresholds.min_thigh_ratio)
    f_left = knee_left = f_right = knee_right = None
    if why_left is None:
        f_left, knee_left = _fppa(b, "left"), _knee_medial(b, "left")
    else:
        gated["fppa_left"] = gated["fppa_rel_left"] = gated["knee_medial_left"] = why_left
    if why_right is None:
        f_right, knee_right = _fppa(b, "right"), _knee_medial(b, "right")
    else:
        gated["fppa_right"] = gated["fppa_rel_right"] = gated["knee_medial_right"] = why_right
    rel_left = rel_right = None
    if calibration is not None:
        base = calibration.fppa_baseline_left
        rel_left = None if f_left is None or base is None else f_left - base
        base = calibration.fppa_baseline_right
        rel_right = None if f_right is None or base is None else f_right - base

    x, y = b.x, b.y
    pelvic_drop = hip_drift = None
    single = stance in ("left", "right")
    if single and b.trusted(stance) and b.hip_width and b.hip_width >= MIN_SEGMENT_PX:
        s_hip, ankle = kp.LEG[stance][0], kp.LEG[stance][2]
        f_hip = kp.OTHER_HIP[stance]
        pelvic_drop = math.atan2(y[f_hip] - y[s_hip], abs(x[f_hip] - x[s_hip])) * _DEG
        hip_drift = -(x[s_hip] - x[ankle]) * _medial_sign(b, stance) / b.hip_width

    trunk_lean = None
    v = _torso_vector(b)
    if v is not None:
        vx, vy = v
        if single and b.ok[kp.LEG[stance][0]] and b.hip_width:
            toward_stance = 1.0 if x[kp.LEG[stance][0]] > b.hip_mid()[0] else -1.0
            trunk_lean = math.atan2(vx * toward_stance, -vy) * _DEG
        else:
            trunk_lean = math.atan2(abs(vx), -vy) * _DEG

    separation = None
    if stance == "both" and b.trusted_left and b.trusted_right and b.hip_width:
        ankles = abs(x[kp.L_ANKLE] - x[kp.R_ANKLE])
        if ankles >= max(MIN_SEGMENT_PX, MIN_ANKLE_SEPARATION_PER_HIP_WIDTH * b.hip_width):
            # Against the smaller of the ankle separation (Mizner 2012) and where
            # straight legs would put the knees (halfway between hips and ankles,
            # thigh = shank): in a stance wider than the hips straight legs already
            # bring the knees inside the ankles, which is not valgus.
            hips = abs(x[kp.L_HIP] - x[kp.R_HIP])
            separation = abs(x[kp.L_KNEE] - x[kp.R_KNEE]) / min(ankles, 0.5 * (ankles + hips))
        else:
            gated["knee_separation_ratio"] = gate.FEET_TOGETHER
    else:
        gated["knee_separation_ratio"] = gate.NOT_TWO_FOOTED if stance != "both" else gate.NOT_SEEN
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


def _knee_gate(b: Body, side: str, stance: str, lengths: gate.UprightLengths | None, limit: float) -> str | None:
    """Why ``side``'s per-knee measures are not read (None: they are).  Without
    ``lengths`` only an untrusted chain stops them (the plain geometry)."""
    if not ((b.trusted_left if side == "left" else b.trusted_right) and b.ok[kp.OTHER_HIP[side]]):
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
    """All GUIDE section 2 metrics of one pose, as a plain dict (keys: METRIC_KEYS).

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


def _check_side(side: str) -> None:
    if side not in kp.SIDES:
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
