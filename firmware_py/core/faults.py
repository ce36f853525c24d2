"""Which of the patterns behind a knee collapse a failed rep fits, named only where
the evidence is stronger than the measurement's own uncertainty.

Three common faults lead the knee inward, and the drill that helps differs
(docs/sources.md, "The problem", and docs/feet.md): excessive foot pronation,
avoiding ankle dorsiflexion (the foot turned out, the shin twisted in) and the
Trendelenburg pattern (the pelvis drops on the free side, the hip drifts outward).
Feet pointing in are a fault of their own: the knees follow the toes in.  A rep that
failed on ``knee_inward`` is matched against what the device read over its bottom
(``core.evidence``), on its working leg(s):

* ``hip``: the pelvic drop's median reached ``pelvic_drop_warn`` (Bramah 2018: each
  degree of contralateral drop matters), or the stance hip drifted outward by
  ``HIP_DRIFT`` hip widths or more since the rep's top;
* ``ankle``: the foot turned out by ``feet.TURNOUT_DEG`` or more from its standing
  angle, and it points out (not a foot turned in coming back to straight);
* ``feet_in``: the foot pointed in while standing (``foot_turnout`` below zero,
  against the direction the hips face; walking, feet point 5-15 deg out);
* ``pronation_suspected``: the shin tilted in with the ankle medial of the foot line
  and no turn-out, on at least ``PRONATION_SHARE`` of the frames the foot was read.

Each is named only when its number clears both its threshold and its uncertainty
(``evidence.uncertainty``: the reading's jitter, and for the turn-out the artefact
of a bent knee or the two foot models' disagreement); a share of frames only when
it clears ``PRONATION_SHARE`` by two standard errors.  At the measured jitter the
uncertainty is the higher bar for every pattern (pelvic drop 6 deg against the warn of
4, hip drift 0.11 against 0.10, a turn-out change 33 deg against 10, feet in 23 deg
short of straight against 0): a ``pelvic_drop_warn`` set below 6 does not name the hip
pattern sooner, since the reading cannot tell less.  Where several fit, the one
that clears its bar by the widest factor leads (first).  Where none does, the rep
fits no pattern the device can vouch for ("pattern unclear") and the numbers go
with it all the same.  The result is a pattern a coach can check on the replay,
never a diagnosis (``firmware_py.wording`` puts both into the coach's words).
"""

from __future__ import annotations

from typing import Any

from .evidence import uncertainty
from .feet import TURNOUT_DEG
from .reps import Rep
from .settings import Thresholds

__all__ = ["PATTERNS", "HIP_DRIFT", "PRONATION_SHARE", "MIN_FOOT_FRAMES", "fault_pattern"]

PATTERNS = ("hip", "ankle", "feet_in", "pronation_suspected")
HIP_DRIFT = 0.10  # hip widths outward since the rep's top
PRONATION_SHARE = 0.3
MIN_FOOT_FRAMES = 5  # fewer foot readings in a rep give no share worth a claim


def _clears(value: float | None, threshold: float, name: str) -> float:
    """How many times over ``value`` clears the larger of its threshold and its
    uncertainty (0.0 where it does not)."""
    bar = max(threshold, uncertainty(name))
    return value / bar if value is not None and value >= bar else 0.0


def fault_pattern(rep: Rep, thresholds: Thresholds,
                  standing_turnout: dict[str, float | None] | None = None) -> tuple[tuple[str, ...], dict[str, Any]]:
    """(the patterns the rep fits, the leading one first; the numbers read, named or not).

    ``standing_turnout``: each foot's standing turn-out (the scorer's baseline)."""
    if "knee_inward" not in rep.failed:
        return (), {}
    b = rep.bottom
    legs = ("left", "right") if rep.leg == "both" else (rep.leg,)
    evidence: dict[str, Any] = {}
    score: dict[str, float] = {}
    drop, drift = b.get("pelvic_drop"), b.get("hip_drift")
    if drop is not None or drift is not None:
        evidence["pelvic_drop"], evidence["hip_drift"] = drop, drift
        score["hip"] = max(_clears(drop, thresholds.pelvic_drop_warn, "pelvic_drop"),
                           _clears(drift, HIP_DRIFT, "hip_drift"))
    turns = [(b.get("foot_turnout_rel_" + s), b.get("foot_turnout_" + s)) for s in legs]
    turns = [(rel, now) for rel, now in turns if rel is not None]
    if turns:
        rel, now = max(turns, key=lambda pair: pair[0])
        evidence["foot_turnout_rel"] = rel
        score["ankle"] = _clears(rel, TURNOUT_DEG, "foot_turnout_rel") if now is not None and now > 0 else 0.0
    standing = [standing_turnout.get(s) for s in legs] if standing_turnout else []
    standing = [v for v in standing if v is not None]
    if standing:
        evidence["foot_turnout_standing"] = round(min(standing), 1) + 0.0
        score["feet_in"] = _clears(-min(standing), 0.0, "foot_turnout")
    read = sum(rep.foot_frames.get(s, 0) for s in legs)
    if read:
        share = sum(rep.pronation_frames.get(s, 0) for s in legs) / read
        evidence["pronation_share"], evidence["foot_frames"] = round(share, 2), read
        error = 2.0 * (share * (1.0 - share) / read) ** 0.5
        clear = read >= MIN_FOOT_FRAMES and share - error >= PRONATION_SHARE and not score.get("ankle")
        score["pronation_suspected"] = share / PRONATION_SHARE if clear else 0.0
    fits = sorted((p for p in PATTERNS if score.get(p)), key=lambda p: -score[p])
    return tuple(fits), evidence
