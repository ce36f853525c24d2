"""Which of the three patterns behind a knee collapse a failed rep fits.

docs/sources.md ("The problem") and docs/feet.md: excessive foot pronation, avoiding
ankle dorsiflexion (the foot turned out, the shin twisted in) and the Trendelenburg
pattern (the pelvis drops on the free side, the hip drifts outside the foot) each lead
the knee inward, and the drill that helps differs.  A rep that failed on
``knee_inward`` is matched against the evidence the device saw during it, on its
working leg:

* ``hip``: pelvic drop reached ``pelvic_drop_warn`` (Bramah 2018: each degree of
  contralateral drop matters), or the stance hip drifted outward of the ankle by
  ``HIP_DRIFT`` hip widths or more;
* ``ankle``: the foot turned out by ``feet.TURNOUT_DEG`` or more from its standing
  angle (foot points needed);
* ``pronation_suspected``: the shin tilted in with the ankle medial of the foot line
  and no turn-out, on at least ``PRONATION_SHARE`` of the frames the foot was read.

A rep can fit more than one, or none the device can see.  The result is a pattern a
coach can check on the replay, never a diagnosis; the numbers behind it go with it
(``firmware_py.wording`` puts both into the coach's words).
"""

from __future__ import annotations

from typing import Any

from .feet import TURNOUT_DEG
from .reps import Rep
from .settings import Thresholds

__all__ = ["PATTERNS", "HIP_DRIFT", "PRONATION_SHARE", "fault_pattern"]

PATTERNS = ("hip", "ankle", "pronation_suspected")
HIP_DRIFT = 0.10  # hip widths outward of the stance ankle
PRONATION_SHARE = 0.3


def fault_pattern(rep: Rep, thresholds: Thresholds) -> tuple[tuple[str, ...], dict[str, Any]]:
    """(patterns the rep fits, in PATTERNS order; the evidence behind each)."""
    if "knee_inward" not in rep.failed:
        return (), {}
    fits: list[str] = []
    evidence: dict[str, Any] = {}
    drop, drift = rep.peak("pelvic_drop").value, rep.peak("hip_drift").value
    if (drop is not None and drop >= thresholds.pelvic_drop_warn) or (drift is not None and drift >= HIP_DRIFT):
        fits.append("hip")
        evidence["pelvic_drop"], evidence["hip_drift"] = drop, drift
    legs = ("left", "right") if rep.leg == "both" else (rep.leg,)
    turns = [rep.peak("foot_turnout_rel_" + s).value for s in legs]
    turns = [v for v in turns if v is not None]
    if turns and max(turns) >= TURNOUT_DEG:
        fits.append("ankle")
        evidence["foot_turnout_rel"] = max(turns)
    read = sum(rep.foot_frames.get(s, 0) for s in legs)
    suspected = sum(rep.pronation_frames.get(s, 0) for s in legs)
    if read and suspected >= PRONATION_SHARE * read and "ankle" not in fits:
        fits.append("pronation_suspected")
        evidence["pronation_share"] = round(suspected / read, 2)
    return tuple(fits), evidence
