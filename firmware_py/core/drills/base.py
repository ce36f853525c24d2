"""What a drill is: its unit of work, the cue reasons it shows and the criteria its
units fail on.  Each drill is a module of this package that declares one ``Drill``;
the scorer and everything after it read only this shape (and the registry in
``__init__``), never a drill by name, as gpiozero's devices share one pin machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..cue import Cue


@dataclass(frozen=True)
class Drill:
    name: str
    unit: str  # what is counted and judged: "rep", "step" or "landing"
    reasons: frozenset[str]  # the cue reasons the athlete is shown (``vocabulary.REASONS``)
    criteria: tuple[str, ...]  # what a unit fails on
    summary: str  # one line for the console's help and status
    judge: Callable[[Any, Any], tuple[str, ...]] | None = None  # a landing drill's: (landing, thresholds) -> failed
    two_feet: bool = False  # a landing drill on both feet

    def shown(self, cue: Cue) -> Cue:
        """``cue`` with only this drill's reasons: nothing outside the drill is cued."""
        kept = tuple((r, level) for r, level in cue.levels if r in self.reasons)
        if len(kept) == len(cue.levels):
            return cue
        if cue.level == "idle":
            return cue
        level = "alert" if any(v == "alert" for _, v in kept) else "warn" if kept else "ok"
        return Cue(level, tuple(r for r, _ in kept), kept)
