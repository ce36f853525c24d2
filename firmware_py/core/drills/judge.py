"""The drill in force, frame by frame: the steps found, the drill set or recognised,
and what of the frame's judgement the athlete is shown.

The scorer measures the body and judges every condition; this applies the drill: a
drill with reps shows only its own cue reasons and fails reps only on its criteria
(the rep counter reads ``criteria``), the running drill turns steps into its own cue.
"""

from __future__ import annotations

from ..cue import IDLE, Cue
from ..landing import Landing, LandingTracker
from ..running import Step, StepTracker
from . import UNDECIDED, DrillRecognizer, RunJudge, drill_named
from .auto import Decision
from .base import Drill
from .hop import HOP
from .land import LAND


class DrillJudge:
    def __init__(self) -> None:
        self.steps = StepTracker()
        self.landings = LandingTracker()
        self.run = RunJudge()
        self.auto = DrillRecognizer()
        self.fixed: Drill | None = None
        self.thresholds = None
        self.judged_landings: list[Landing] = []

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
                signal: float | None = None, metrics: dict | None = None) -> tuple[Step | None, Landing | None]:
        """Follow the steps and the landings (where the drill may have them) and let
        ``auto`` see the frame; returns the step and the landing that ended on it."""
        step = landing = None
        if self.fixed is None or self.fixed.unit == "step":
            step = self.steps.update(body, frame, t, frontal)
        if self.fixed is None or self.fixed.unit == "landing":
            self.landings.two_feet = self.fixed is not None and self.fixed.two_feet
            landing = self.landings.update(body, frame, t, metrics or {})
        if self.fixed is None:
            self.auto.update(t, stance, depth, step, signal, frontal, landing)
        return step, landing

    def saw_rep(self, rep, t: float) -> None:
        """A completed rep, as evidence for ``auto``."""
        if self.fixed is None and rep is not None:
            self.auto.saw_rep(t, rep.leg, rep.depth, self.thresholds.rep_min_depth)

    def shown(self, drill: Drill, cue: Cue, step: Step | None, t: float, *, present: bool,
              placement_warn: bool, keep: int | None,
              landing: Landing | None = None) -> tuple[Cue, Step | None, Landing | None]:
        """The cue the athlete is shown under ``drill``, and the step and landing reported
        (judged).  A landing drill shows no level while the athlete is in the air or
        pushing off: its cue is the verdict of each landing (the pattern selector's)."""
        if drill.unit == "landing":
            if landing is not None:
                landing.failed = drill.judge(landing, self.thresholds)
                self._keep(landing, keep)
            if not present:
                return IDLE, None, landing
            if placement_warn:
                return Cue("warn", ("camera_placement",), (("camera_placement", "warn"),)), None, landing
            return Cue("ok"), None, landing
        if landing is not None and drill is UNDECIDED:  # a fact until the drill is known, judged as one
            landing.failed = (LAND if landing.leg == "both" else HOP).judge(landing, self.thresholds)
            self._keep(landing, keep)
        else:
            landing = None
        if drill.unit == "step":
            cue = self.run.cue(t, self.thresholds, present=present)
            if cue.level == "ok" and placement_warn:
                cue = Cue("warn", ("camera_placement",), (("camera_placement", "warn"),))
        else:
            cue = drill.shown(cue)
            step = step if drill is UNDECIDED else None  # steps are facts until a drill with reps is known
        if step is not None:
            self.run.judge(step, self.thresholds, keep=keep)
        return cue, step, landing

    def _keep(self, landing: Landing, keep: int | None) -> None:
        self.judged_landings.append(landing)
        if keep is not None and len(self.judged_landings) > keep:
            del self.judged_landings[: len(self.judged_landings) - keep]

    def landing_summary(self) -> dict | None:
        """Landings per leg, how many failed and on what (None: none judged)."""
        done = self.judged_landings
        if not done:
            return None
        criteria = sorted({c for landing in done for c in landing.failed})
        return {"landings": len(done),
                "per_leg": {leg: sum(landing.leg == leg for landing in done) for leg in ("left", "right", "both")},
                "passed": sum(not landing.failed for landing in done),
                "failed": sum(bool(landing.failed) for landing in done),
                "failures": {c: sum(c in landing.failed for landing in done) for c in criteria},
                "held": sum(landing.held for landing in done)}
