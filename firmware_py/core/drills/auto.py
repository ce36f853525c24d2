"""``drill auto``: which drill the athlete is doing, recognised from the movement.

A coach knows the drill; when none is set, the device watches and says what it
decided, from what, and how sure it is:

* ``run``: at least ``run_steps`` running steps (``core.running``: each under 0.6 s)
  on alternating legs within ``run_window_s``, at 100-240 steps a minute;
* ``sls``: one leg held for ``sls_hold_s`` (a step into a wider stance takes well
  under a second; a single-leg squat holds the leg for the whole rep), with the
  stance evidence (``stance.stance_signal``) reaching ``sls_signal`` leg lengths on the
  way: the stance tracker enters single-leg stance at 0.22, which two feet set a
  little apart front to back reach in a slightly oblique view (0.23 in the band-squat
  clip, a false single-leg stance of 2-3 s), while a lifted foot gives 0.24-0.51 as a
  median (core.stance);
* ``hop``: two landings (``core.landing``) within ``hop_window_s`` on one leg;
  ``land``: two on both feet (drop jumps). A landing overrides the squats, as running does.
* ``squat``: a rep completed on both feet (``core.reps``: at least ``rep_min_depth``
  deep) with no leg held in the last ``forget_s``: one dip on two feet is not yet a
  squat set (the pistol clip's athlete dips on both feet before his first pistol).

Single-leg stance is not read from a side view (``frontal`` false): with the legs
behind each other, the stance evidence there is the camera's, not the athlete's.

A decision holds until another drill's evidence appears (running overrides both
squats; a held leg turns squats into the single-leg test; squats come back only after
``forget_s`` with no leg held).  Until the first decision, only what every drill with
reps judges is judged: the knees (``UNDECIDED`` in ``__init__``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ..running import Step


@dataclass(frozen=True)
class AutoParams:
    run_steps: int = 4
    hop_landings: int = 2  # landings in hop_window_s: hops (single-leg) or drop jumps (both feet)
    hop_window_s: float = 4.0
    run_window_s: float = 3.0
    sls_hold_s: float = 1.0
    sls_signal: float = 0.3
    forget_s: float = 10.0


@dataclass(frozen=True)
class Decision:
    drill: str
    t: float  # when it was decided
    evidence: dict  # what it was decided from: steps and cadence_spm, held_s, or depth (wording.drills words it)
    confidence: float  # 0.5: the evidence just reached its line; 1.0: twice that

    def to_dict(self) -> dict:
        return {"drill": self.drill, "t": round(self.t, 3), "evidence": dict(self.evidence),
                "confidence": round(self.confidence, 2)}


class DrillRecognizer:
    def __init__(self, params: AutoParams | None = None) -> None:
        self.params = params or AutoParams()
        self.decision: Decision | None = None
        self._steps: deque[Step] = deque(maxlen=16)
        self._landings: deque = deque(maxlen=8)
        self._one_leg_since: float | None = None
        self._one_leg_peak = 0.0  # the largest stance evidence while the leg is held
        self._last_one_leg: float | None = None

    def update(self, t: float, stance: str, depth: float, step: Step | None,
               signal: float | None = None, frontal: bool = True, landing=None) -> Decision | None:
        """This frame's evidence; returns the decision in force (None: not yet)."""
        p = self.params
        if step is not None:
            self._steps.append(step)
        if landing is not None:
            self._landings.append(landing)
        while self._landings and t - self._landings[0].peak_t > p.hop_window_s:
            self._landings.popleft()
        while self._steps and t - self._steps[0].midstance_t > p.run_window_s:
            self._steps.popleft()
        run = self._running()
        if run is not None:
            return self._decide("run", t, *run)
        current = self.decision.drill if self.decision else None
        if (current == "run" and self._steps) or self._alternating() >= 2:
            return self.decision  # stepping: a missed step is no change of drill, two steps may be a run starting
        hops = self._hopping()
        if hops is not None:
            drill, evidence, confidence = hops
            return self._decide(drill, t, evidence, confidence)
        if current in ("hop", "land") and self._landings:
            return self.decision  # still landing: standing on one leg between hops is no squat test
        if stance in ("left", "right") and frontal:
            if self._one_leg_since is None:
                self._one_leg_since, self._one_leg_peak = t, 0.0
            if signal is not None:
                self._one_leg_peak = max(self._one_leg_peak, abs(signal))
            held = t - self._one_leg_since
            if held >= p.sls_hold_s and self._one_leg_peak >= p.sls_signal:
                self._last_one_leg = t
                return self._decide("sls", t, {"held_s": round(held, 1)}, min(1.0, 0.5 * held / p.sls_hold_s))
        else:
            self._one_leg_since = None
        if current == "run" and not self._steps and (stance == "both" or depth > 0):
            self.decision = None  # stopped running: watch again
        return self.decision

    def saw_rep(self, t: float, leg: str, depth: float, min_depth: float) -> Decision | None:
        """A rep completed (``core.reps``): on both feet, with no leg held lately, squats."""
        recent_leg = self._last_one_leg is not None and t - self._last_one_leg < self.params.forget_s
        current = self.decision.drill if self.decision else None
        if leg == "both" and not recent_leg and current != "run":
            return self._decide("squat", t, {"depth": round(depth, 2)}, min(1.0, 0.5 * depth / min_depth))
        return self.decision

    def _running(self) -> tuple[dict, float] | None:
        steps = list(self._steps)[-self._alternating():] if self._steps else []
        if len(steps) < self.params.run_steps:
            return None
        alternating = True
        span = steps[-1].midstance_t - steps[0].midstance_t
        if not alternating or span <= 0:
            return None
        cadence = 60.0 * (len(steps) - 1) / span
        if not 100.0 <= cadence <= 240.0:
            return None
        return ({"steps": len(steps), "cadence_spm": round(cadence)},
                min(1.0, 0.5 * len(steps) / self.params.run_steps))

    def _hopping(self) -> tuple[str, dict, float] | None:
        """Landings: ``hop`` when the last ``hop_landings`` were on one leg, ``land`` on both feet."""
        last = list(self._landings)[-self.params.hop_landings:]
        if len(last) < self.params.hop_landings:
            return None
        legs = {landing.leg for landing in last}
        drill = "land" if legs == {"both"} else "hop" if len(legs) == 1 else None  # alternating legs: running
        if drill is None:
            return None
        return drill, {"landings": len(self._landings)}, min(1.0, 0.5 * len(self._landings) / self.params.hop_landings)

    def _alternating(self) -> int:
        """How many of the latest steps alternate legs (0 without steps)."""
        steps = self._steps
        if not steps:
            return 0
        run = 1
        while run < len(steps) and steps[-run].side != steps[-run - 1].side:
            run += 1
        return run

    def _decide(self, drill: str, t: float, evidence: dict, confidence: float) -> Decision:
        if self.decision is None or self.decision.drill != drill:
            self.decision = Decision(drill, t, evidence, confidence)
        elif confidence > self.decision.confidence:
            self.decision = Decision(drill, self.decision.t, evidence, confidence)
        return self.decision
