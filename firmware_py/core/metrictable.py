"""Every metric the device reports, declared once.

A metric is named here with whether it is read per leg, its unit, which drills read
it, whether a unit of work (a rep, a step, a landing) keeps its peak and how, and
whether a coach compares reps by it.  Everything else is derived from this table: the
per-leg keys (``fppa_left``, ``fppa_right``), the peaks a rep keeps, the metrics logged
with each cue and traced per frame, the columns of ``analyze``'s table, the console's
stream line; as gpiozero declares each pin once and derives the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

SIDES = ("left", "right")
ALL_DRILLS = frozenset({"sls", "squat", "run"})


@dataclass(frozen=True)
class Metric:
    name: str
    sided: bool  # one value per leg (``name_left``, ``name_right``)
    unit: str
    drills: frozenset[str]  # the drills that read it
    peak: str | None = None  # a rep keeps its "max" (largest value), "min" (smallest: narrower is worse) or
    # "magnitude" (largest |value|, sign kept)
    compared: bool = False  # reps are compared by it: rep lines, the summary's worst, the cue log, the trace
    header: str = ""  # analyze's column heading ({side}: L or R)
    width: int = 8
    digits: int = 1
    two_footed: bool = False  # read on both feet only: a single-leg rep keeps no peak of it

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key(self.name, s) for s in SIDES) if self.sided else (self.name,)


def key(name: str, side: str) -> str:
    """A per-leg metric's key: ``key("fppa", "left")`` is ``fppa_left``."""
    return name + "_" + side


METRICS = (
    Metric("fppa", True, "deg", frozenset({"sls", "squat", "run"}), peak="max", compared=True,
           header="FPPA {side}°"),
    Metric("knee_medial", True, "hip widths", frozenset({"sls", "squat"}), peak="max", compared=True,
           header="knee-in {side}", width=10, digits=2),
    Metric("pelvic_drop", False, "deg", frozenset({"sls", "run"}), peak="max", compared=True, header="pelvis°"),
    Metric("trunk_lean", False, "deg", frozenset({"sls", "run"}), peak="magnitude", compared=True,
           header="trunk°", width=7),
    Metric("hip_drift", False, "hip widths", frozenset({"sls"}), peak="max"),
    Metric("foot_turnout_rel", True, "deg", frozenset({"sls", "squat"}), peak="max"),
    # Two feet: the knees' separation against the ankles' judges the knees (core.drills.squat); narrower is worse.
    Metric("knee_separation_ratio", False, "ratio", frozenset({"squat"}), peak="min", compared=True,
           header="knee sep", width=9, digits=2, two_footed=True),
    # The knee inside the foot's heel->toe line, in upright shank lengths (core.feet; with a foot model only).
    Metric("knee_over_toe", True, "shank lengths", frozenset({"sls", "squat"}), peak="max", compared=True,
           header="over-toe {side}", width=11, digits=2),
    Metric("stance", False, "", ALL_DRILLS, header="stance", width=7, digits=0),
)
BY_NAME = {m.name: m for m in METRICS}

# Derived: the peaks a rep keeps, the peaks reps are compared by, the metrics behind a cue.
PEAK_KEYS = tuple(k for m in METRICS if m.peak for k in m.keys)
MAGNITUDE_PEAKS = frozenset(k for m in METRICS if m.peak == "magnitude" for k in m.keys)
LOWEST_PEAKS = frozenset(k for m in METRICS if m.peak == "min" for k in m.keys)
TWO_FOOTED_PEAKS = frozenset(k for m in METRICS if m.peak and m.two_footed for k in m.keys)
FOOT_KEYS = frozenset(key("knee_over_toe", s) for s in SIDES)  # read only with a foot model
COMPARED_PEAKS = tuple(k for m in METRICS if m.peak and m.compared for k in m.keys)
CUE_METRICS = (*COMPARED_PEAKS, "stance")


def table_columns(drill: str | None = None, *, feet: bool = True) -> tuple[tuple[str, str, int, int], ...]:
    """analyze's per-frame columns (header, key, width, digits): every metric with a
    heading that ``drill`` reads (a drill no metric names, or None: the compared metrics
    and the stance); without ``feet`` (no foot model) none a foot model reads."""
    drill = drill if drill in ALL_DRILLS else None
    return tuple((m.header.format(side=k[-5:].strip("_")[0].upper() if m.sided else ""), k, m.width, m.digits)
                 for m in METRICS if m.header and (m.compared or m.name == "stance" if drill is None
                                                   else drill in m.drills)
                 for k in m.keys if feet or k not in FOOT_KEYS)
