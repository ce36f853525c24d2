"""The drill in force, frame by frame: the steps found, the drill set or recognised,
and what of the frame's judgement the athlete is shown.

The scorer measures the body and judges every condition; this applies the drill: a
drill with reps shows only its own cue reasons and fails reps only on its criteria
(the rep counter reads ``criteria``), the running drill turns steps into its own cue.
"""

from __future__ import annotations

from ..cue import Cue
from ..running import Step, StepTracker
from . import UNDECIDED, DrillRecognizer, RunJudge, drill_named
from .auto import Decision
from .base import Drill


class DrillJudge:
    def __init__(self) -> None:
        self.steps = StepTracker()
        self.run = RunJudge()
        self.auto = DrillRecognizer()
        self.fixed: Drill | None = None
        self.thresholds = None

    def configure(self, thresholds) -> None:
        self.thresholds = thresholds
        self.fixed = drill_named(thresholds.drill)  # None: auto

    @property
    def drill(self) -> Drill:
        """The drill set, or the one ``auto`` recognised (``UNDECIDED`` until it has)."""
        if self.fixed is not None:
            return self.fixed
        decision = self.auto.decision
        return UNDECIDED if decision is None else (drill_named(decision.drill) or UNDECIDED)

    @property
    def decision(self) -> Decision | None:
        return None if self.fixed is not None else self.auto.decision

    def observe(self, body, frame: int, t: float, stance: str, depth: float, frontal: bool,
                signal: float | None = None) -> Step | None:
        """Follow the steps (when running is possible) and let ``auto`` see the frame;
        returns the step that ended on this frame, if any."""
        step = None
        if self.fixed is None or self.fixed.unit == "step":
            step = self.steps.update(body, frame, t, frontal)
        if self.fixed is None:
            self.auto.update(t, stance, depth, step, signal, frontal)
        return step

    def saw_rep(self, rep, t: float) -> None:
        """A completed rep, as evidence for ``auto``."""
        if self.fixed is None and rep is not None:
            self.auto.saw_rep(t, rep.leg, rep.depth, self.thresholds.rep_min_depth)

    def shown(self, drill: Drill, cue: Cue, step: Step | None, t: float, *, present: bool,
              placement_warn: bool, keep: int | None) -> tuple[Cue, Step | None]:
        """The cue the athlete is shown under ``drill``, and the step reported (judged)."""
        if drill.unit == "step":
            cue = self.run.cue(t, self.thresholds, present=present)
            if cue.level == "ok" and placement_warn:
                cue = Cue("warn", ("camera_placement",), (("camera_placement", "warn"),))
        else:
            cue = drill.shown(cue)
            step = step if drill is UNDECIDED else None  # steps are facts until a drill with reps is known
        if step is not None:
            self.run.judge(step, self.thresholds, keep=keep)
        return cue, step
