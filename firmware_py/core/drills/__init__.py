"""The drills: what the device watches for and judges.  One module each; this
registry is the only place that names them, and ``vocabulary.DRILLS`` spells their
names for settings and files (a test holds the two equal).

``UNDECIDED`` is what ``drill auto`` judges before it has recognised a drill: what
every drill with reps judges, the knees."""

from __future__ import annotations

from .auto import Decision, DrillRecognizer
from .base import Drill
from .hop import HOP
from .land import LAND
from .run import RUN, RunJudge
from .sls import SLS
from .squat import KNEE_REASONS, SQUAT

__all__ = ["DRILLS", "UNDECIDED", "Decision", "Drill", "DrillRecognizer", "RunJudge", "drill_named"]

DRILLS: dict[str, Drill] = {d.name: d for d in (SLS, SQUAT, RUN, HOP, LAND)}
UNDECIDED = Drill("auto", "rep", KNEE_REASONS, ("knee_inward",),
                  "recognised from the movement: until then the knees only")


def drill_named(name: str) -> Drill | None:
    """The drill called ``name``; None for ``auto``."""
    return DRILLS.get(name)
