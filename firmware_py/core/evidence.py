"""The numbers behind a failed rep's explanation, and how far each can be trusted.

``core.faults`` names the pattern a rep that failed on the knee fits; this module
holds what it reads.  ``RepEvidence`` keeps a few metrics of each frame of a rep
under way and, when the rep ends, gives their medians over its bottom (the frames at
least ``bottom_fraction`` of its deepest depth, the frames the working leg is read
from): a peak is the largest of many noisy readings and overstates, a median does
not.  The hip drift is given as its change from the rep's top (its frames shallower than a
quarter of its deepest depth, on the way down and back up): a stance hip sits outward of its ankle in
any single-leg stance (0.65-0.82 hip widths at the bottom of every shared single-leg
rep, passed or failed), so only its drift during the rep says the hip gave way.

Each reading's own uncertainty, measured on the shared footage
(``tests/benchmarks/turnout.py``; figures and method in docs/feet.md):

* ``JITTER``: the largest frame-to-frame standard deviation of one reading (RMS of
  successive differences over sqrt 2) over the shared clips: pelvic drop 3.0 deg and
  hip drift 0.04 hip widths on the four single-leg squat clips, foot turn-out 3.7 deg
  on the standing frames of the five two-footed clips with either foot model.  The
  uncertainty of a median is taken as twice one reading's (not shrunk by the number
  of frames: successive frames are smoothed, so they are not independent).
* ``TURNOUT_FLEXION_DEG``: turn-out read at a squat's bottom minus standing, on feet
  the frames show planted (lnc IMG_7035 and IMG_7054, the band squats): up to 26 deg
  more turned out (lite 26, full 23).  The model rotates the foot with the bent knee,
  so a change of turn-out at depth is an explanation only beyond that.
* ``TURNOUT_ABSOLUTE_DEG``: a standing foot's turn-out against the eye's reading of
  the frames (lnc IMG_7029, 7035, 7037, 7054; tests/eval/patterns.csv's notes): lite
  is within 6 deg, full up to 16 deg out (it reads the straighter foot as turned out as
  the other), so an absolute turn-out is known to the larger: a pattern named with
  one model is then named with the other.

Pure: numbers in, numbers out.
"""

from __future__ import annotations

import statistics
from typing import Any

__all__ = ["JITTER", "TURNOUT_FLEXION_DEG", "TURNOUT_ABSOLUTE_DEG", "RepEvidence", "uncertainty"]

JITTER = {"pelvic_drop": 3.0, "hip_drift": 0.04, "foot_turnout": 3.7}
TURNOUT_FLEXION_DEG = 26.0
TURNOUT_ABSOLUTE_DEG = 16.0
TOP_SHARE = 0.25  # the rep's top: frames shallower than this share of its deepest depth
_KEYS = ("pelvic_drop", "hip_drift", "foot_turnout_rel_left", "foot_turnout_rel_right",
         "foot_turnout_left", "foot_turnout_right")


def uncertainty(name: str) -> float:
    """How far a rep's evidence ``name`` can be off by the reading alone (95 %)."""
    if name == "hip_drift":  # a change: two medians, each off by its own
        return 2.0 * JITTER["hip_drift"] * 2 ** 0.5
    if name == "foot_turnout_rel":  # the change from standing, with the knee bent
        return 2.0 * JITTER["foot_turnout"] + TURNOUT_FLEXION_DEG
    if name == "foot_turnout":  # an absolute angle
        return 2.0 * JITTER["foot_turnout"] + TURNOUT_ABSOLUTE_DEG
    return 2.0 * JITTER[name]


class RepEvidence:
    """A rep's per-frame readings (depth and ``_KEYS``), summarised at its end."""

    __slots__ = ("_rows",)

    def __init__(self) -> None:
        self._rows: list[tuple] = []

    def add(self, depth: float, metrics: dict[str, Any]) -> None:
        self._rows.append((depth, *(metrics.get(k) for k in _KEYS)))

    def summary(self, deepest: float, bottom_fraction: float) -> dict[str, Any]:
        """Medians over the bottom (None where unread), the hip drift's change from the
        top, and ``n``: how many bottom frames each median had."""
        bottom = [r for r in self._rows if r[0] >= bottom_fraction * deepest]
        top = [r for r in self._rows if r[0] < TOP_SHARE * deepest]
        out: dict[str, Any] = {"n": {}}
        for i, key in enumerate(_KEYS, start=1):
            values = [r[i] for r in bottom if r[i] is not None]
            out[key] = round(statistics.median(values), 3) + 0.0 if values else None
            out["n"][key] = len(values)
        start = [r[2] for r in top if r[2] is not None]
        drift = out.pop("hip_drift")
        out["hip_drift"] = None if drift is None or not start else round(drift - statistics.median(start), 3) + 0.0
        return out
