"""When a frontal knee measure means something (docs/judgement.md, "When a
knee angle means nothing"), and why it is missing when it does not.

Three things break a measure seen from the front (depth and turning a per-knee
angle, a forward bend the trunk lean):

* **Depth.**  A thigh that points at the camera foreshortens, and an angle drawn
  on a short thigh swings by tens of degrees with the smallest turn of the body.
  A thigh at angle phi from vertical projects to cos(phi) of its upright length,
  and a body turned by psi moves the knee sideways by about tan(phi) sin(psi) of
  the projected thigh.  So a per-knee measure is read only while the thigh keeps
  ``min_thigh_ratio`` (default 0.6) of its upright length: phi <= 53 deg, past
  the single-leg squat test's half depth (45-60 deg of knee flexion puts the thigh
  about 30-40 deg from vertical, ratio 0.77-0.87), short of a parallel squat.
* **A trunk bent forward.**  The same holds for the trunk: bent forward by theta
  it projects to cos(theta) of its upright length, and a turn of psi reads as a
  sideways lean of atan(tan(theta) sin(psi)).  Trunk lean is read only while the
  torso keeps ``min_torso_ratio`` (default 0.8: theta <= 37 deg, where a turn too
  small to be flagged, <= ``max_turn_deg`` 15, moves it by at most 11 deg, about
  the alert and its hysteresis).  Off axis by 25-35 deg, the band-squat clip's
  forward trunk read as 21-31 deg of sideways lean at every squat's bottom.
* **Turning.**  A body turned off frontal moves both knees the same way in the
  image while valgus moves them toward each other.  In a two-footed squat each
  thigh's foreshortening says how far its knee came forward (F = sqrt(upright^2 -
  projected^2)); a common sideways shift of both knees of F sin(psi) means a turn
  of psi, provided the hips have not moved the same way (hips shifted over one
  foot carry both knees with them: lnc_..._IMG_7037 does that, squarely facing
  the camera; a turned squat, as in the band-squat clip, puts the hips, which sit
  back, the other way).  With a calibration (athlete square to the camera) the
  hip width against the torso shrinks by cos(psi) while standing, which works on
  one leg too.

Upright lengths come from ``UprightLengths``: seeded by the calibration (half the
leg length: thigh and shank are 0.245 and 0.246 of stature, Winter 2009) and
followed over the athlete's own upright frames.  Before either exists the shank
of the same leg stands in for the upright thigh.

Reasons a metric is missing (the ``gated`` map of every scored frame):
``not_seen`` (its keypoints are not trusted, or an arm lies across the knee:
``Body.knee_covered``), ``thigh_foreshortened``,
``two_footed`` (a per-knee measure in two-footed stance: the knee separation
ratio judges those), ``trunk_foreshortened``, ``not_two_footed``, ``feet_together`` (the separation ratio
needs the feet apart), ``not_single_leg`` (pelvic drop, hip drift).
"""

from __future__ import annotations

import math

from . import keypoints as kp

__all__ = [
    "GATE_REASONS",
    "THIGH_SHARE",
    "UprightLengths",
    "turn_vote",
    "follow_upright",
]

NOT_SEEN = "not_seen"
THIGH_FORESHORTENED = "thigh_foreshortened"
TRUNK_FORESHORTENED = "trunk_foreshortened"
TWO_FOOTED = "two_footed"
NOT_TWO_FOOTED = "not_two_footed"
FEET_TOGETHER = "feet_together"
NOT_SINGLE_LEG = "not_single_leg"
SIDE_VIEW = "side_view"
GATE_REASONS = (NOT_SEEN, THIGH_FORESHORTENED, TWO_FOOTED, TRUNK_FORESHORTENED, NOT_TWO_FOOTED, FEET_TOGETHER,
                NOT_SINGLE_LEG, SIDE_VIEW)
# What a side view cannot read (the ``view`` setting ``side``): every frontal-plane measure.
FRONTAL_PLANE = ("fppa_left", "fppa_right", "fppa_rel_left", "fppa_rel_right", "knee_medial_left",
                 "knee_medial_right", "knee_separation_ratio", "pelvic_drop", "trunk_lean", "hip_drift")

THIGH_SHARE = 0.5  # thigh / (thigh + shank), Winter 2009: 0.245 / 0.491 of stature
# Time constants over upright frames: a longer thigh is taken up quickly (a clip
# may open mid-squat, and the athlete may step closer), a shorter one slowly
# (MoveNet jitters a thigh by ~10 %, and a trunk may bend before the hips sink;
# the reference sits near the top of the jitter).
RISE_TAU_S = 0.25
FALL_TAU_S = 5.0
# A turn is read from the knees only once each knee has come forward by this
# fraction of its upright thigh (phi >= 17 deg): before that the shift is noise.
MIN_FORWARD_FOR_TURN = 0.3


class UprightLengths:
    """Each thigh's and the torso's projected length while the athlete stands
    upright, in pixels.

    ``update(body, t, upright)`` follows the trusted thighs and the torso over
    upright frames (up with a ``RISE_TAU_S`` time constant, down with
    ``FALL_TAU_S``) and holds still otherwise; ``left``/``right`` (thighs) and
    ``torso`` are None until known.
    """

    __slots__ = ("left", "right", "torso", "_t")

    def __init__(self, leg_length_px: float | None = None, torso_px: float | None = None) -> None:
        seed = None if leg_length_px is None else THIGH_SHARE * leg_length_px
        self.left: float | None = seed
        self.right: float | None = seed
        self.torso: float | None = torso_px
        self._t: float | None = None

    def get(self, side: str) -> float | None:
        return self.left if side == "left" else self.right

    def update(self, b, t: float, upright: bool) -> None:
        last, self._t = self._t, t
        if not upright:
            return
        dt = 1e9 if last is None or t <= last else t - last
        rise = 1.0 if dt >= RISE_TAU_S else dt / RISE_TAU_S
        fall = 1.0 if dt >= FALL_TAU_S else dt / FALL_TAU_S
        x, y = b.x, b.y
        if b.trusted_left:
            length, ref = math.hypot(x[kp.L_HIP] - x[kp.L_KNEE], y[kp.L_HIP] - y[kp.L_KNEE]), self.left
            self.left = length if ref is None else ref + (rise if length > ref else fall) * (length - ref)
        if b.trusted_right:
            length, ref = math.hypot(x[kp.R_HIP] - x[kp.R_KNEE], y[kp.R_HIP] - y[kp.R_KNEE]), self.right
            self.right = length if ref is None else ref + (rise if length > ref else fall) * (length - ref)
        if b.torso and (b.trusted_left or b.trusted_right):
            length, ref = b.torso, self.torso
            self.torso = length if ref is None else ref + (rise if length > ref else fall) * (length - ref)


def follow_upright(ref: float | None, length: float, t: float, last: float | None) -> float:
    """One upright length followed as ``UprightLengths`` follows the thighs (for the
    shanks, which only the foot metrics need)."""
    if ref is None:
        return length
    dt = 1e9 if last is None or t <= last else t - last
    tau = RISE_TAU_S if length > ref else FALL_TAU_S
    return ref + (1.0 if dt >= tau else dt / tau) * (length - ref)


def turn_vote(
    b,
    stance: str,
    thighs: UprightLengths,
    max_turn_deg: float,
    *,
    upright: bool,
    frontal_widths: float | None,
) -> bool | None:
    """This frame's vote on ``turned``: True, False, or None (no evidence).

    ``frontal_widths`` is hip width / torso length when square to the camera (the
    calibration's), else None.
    """
    if upright:  # standing tall: only the calibration's widths can tell (knees are not forward)
        if frontal_widths and b.hip_width and b.torso:
            return b.hip_width / b.torso < frontal_widths * math.cos(math.radians(max_turn_deg))
        return None
    if stance != "both" or not (b.trusted_left and b.trusted_right):
        return None
    limit = math.sin(math.radians(max_turn_deg))
    ref_l, ref_r = thighs.left, thighs.right
    if ref_l is None or ref_r is None:
        return None
    x, y = b.x, b.y
    thigh_l = math.hypot(x[kp.L_HIP] - x[kp.L_KNEE], y[kp.L_HIP] - y[kp.L_KNEE])
    thigh_r = math.hypot(x[kp.R_HIP] - x[kp.R_KNEE], y[kp.R_HIP] - y[kp.R_KNEE])
    fwd_l = math.sqrt(max(0.0, ref_l * ref_l - thigh_l * thigh_l))
    fwd_r = math.sqrt(max(0.0, ref_r * ref_r - thigh_r * thigh_r))
    if fwd_l < MIN_FORWARD_FOR_TURN * ref_l or fwd_r < MIN_FORWARD_FOR_TURN * ref_r:
        return None
    # each knee's sideways offset (image x) from the midpoint of its hip and ankle
    off_l = x[kp.L_KNEE] - 0.5 * (x[kp.L_HIP] + x[kp.L_ANKLE])
    off_r = x[kp.R_KNEE] - 0.5 * (x[kp.R_HIP] + x[kp.R_ANKLE])
    common, squeeze = 0.5 * (off_l + off_r), 0.5 * (off_l - off_r)
    # Conservative: the knee's forward reach past the hip-ankle midpoint is at most
    # the thigh's (the shank leans less), so common / F underestimates sin(psi).
    if not (abs(common) > abs(squeeze) and abs(common) >= limit * 0.5 * (fwd_l + fwd_r)):
        return False
    # Hips shifted sideways over one foot move both knees the same way too.  A turn
    # shows the hips, which sit back over or behind the ankles in a squat, level
    # with the ankles or shifted the other way; a shift carries them with the knees.
    hips = 0.5 * (x[kp.L_HIP] + x[kp.R_HIP] - x[kp.L_ANKLE] - x[kp.R_ANKLE])
    return hips * common <= 0.0
