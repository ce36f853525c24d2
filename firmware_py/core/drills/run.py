"""Running on a treadmill (``core.running`` finds the steps): each step judged at
midstance, the pelvis and the hip cued, the knee shown.

In elite runners 2D contralateral pelvic drop and hip adduction tracked their 3D
counterparts through stance, while 2D knee valgus did not track 3D knee abduction
(Dingenen, Phys Ther Sport): so a step fails on ``pelvic_drop`` (contralateral drop
>= ``pelvic_drop_alert``; each extra degree raised the odds of injury by 80 %, Bramah
2018) or ``hip_adduction`` (>= ``hip_adduction_alert``), and the knee angle is only
reported.  What the runner hears:

* a cue on the step that crossed, on its side, but held back: only when at least two
  of that side's last three steps crossed (one noisy step does not beep), and then not
  again on that side for ``REFRACTORY_S`` (at 180 steps a minute a buzzer on every
  step would never stop);
* between cues, amber while either side's mean over the last ``run_steps`` steps is
  past a warn line (``pelvic_drop_warn``, or the hip within ``hysteresis_deg`` of its
  alert), green while the means are fine.

Per side, the mean of the last ``run_steps`` steps (at least 7: 6.3 +- 0.3 steps
reach a stable mean, Dingenen 2018) and the left-right asymmetry are what a coach
reads; one step is noise of a few degrees (2D SDD 2.3-3.8 deg for hip adduction,
2.7-2.8 deg for pelvic drop).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ..cue import IDLE, Cue
from ..running import STEP_METRICS, Step, cadence_spm, side_means
from ..settings import Thresholds
from .base import Drill

REASONS = frozenset({"pelvic_drop", "hip_adduction", "camera_placement"})
RUN = Drill("run", "step", REASONS, ("pelvic_drop", "hip_adduction"),
            "treadmill running: each step at midstance; pelvic drop and hip adduction cued, the knee shown")
REFRACTORY_S = 3.0  # after a cue, that side is not cued again for this long
ALERT_HOLD_S = 0.3  # how long one step's cue sounds
SIDES = ("left", "right")


class RunJudge:
    """Judges each step and decides the runner's cue; keeps each side's last steps."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.recent: dict[str, deque[Step]] = {s: deque(maxlen=50) for s in SIDES}
        self._crossed: dict[str, deque[bool]] = {s: deque(maxlen=3) for s in SIDES}
        self._last_cue: dict[str, float] = dict.fromkeys(SIDES, float("-inf"))
        self._alert_until = float("-inf")
        self._alert: tuple[str, ...] = ()
        self.steps: list[Step] = []

    def judge(self, step: Step, th: Thresholds, keep: int | None = None) -> None:
        """Fill in ``step.failed`` and ``step.cued``; remember it."""
        m = step.metrics
        failed = []
        if m.get("pelvic_drop") is not None and m["pelvic_drop"] >= th.pelvic_drop_alert:
            failed.append("pelvic_drop")
        if m.get("hip_adduction") is not None and m["hip_adduction"] >= th.hip_adduction_alert:
            failed.append("hip_adduction")
        step.failed = tuple(failed)
        crossed = self._crossed[step.side]
        crossed.append(bool(failed))
        t = step.midstance_t
        if failed and sum(crossed) >= 2 and t - self._last_cue[step.side] >= REFRACTORY_S:
            step.cued = True
            self._last_cue[step.side] = t
            self._alert_until = step.end_t + ALERT_HOLD_S
            self._alert = step.failed
        self.recent[step.side].append(step)
        self.steps.append(step)
        if keep is not None and len(self.steps) > keep:
            del self.steps[: len(self.steps) - keep]

    def means(self, side: str, n: int | None = None) -> dict[str, float | None]:
        """Each metric's mean over ``side``'s last ``n`` steps (None: all kept), None where
        none read it."""
        return side_means(self.steps if n is None else list(self.recent[side]), side, n)

    def cue(self, t: float, th: Thresholds, *, present: bool) -> Cue:
        if not present:
            return IDLE
        if t < self._alert_until:
            return Cue("alert", self._alert, tuple((r, "alert") for r in self._alert))
        warns = []
        for side in SIDES:
            if len(self.recent[side]) < th.run_steps:
                continue
            mean = self.means(side, int(th.run_steps))
            if mean["pelvic_drop"] is not None and mean["pelvic_drop"] >= th.pelvic_drop_warn:
                warns.append("pelvic_drop")
            if mean["hip_adduction"] is not None and mean["hip_adduction"] >= th.hip_adduction_alert - th.hysteresis_deg:
                warns.append("hip_adduction")
        reasons = tuple(dict.fromkeys(warns))
        if reasons:
            return Cue("warn", reasons, tuple((r, "warn") for r in reasons))
        return Cue("ok")

    def summary(self, n: int) -> dict[str, Any]:
        """Steps per side, cadence, and each side's means: over every step kept, and over
        the last ``n`` (what the cue reads); the asymmetry is left minus right."""
        cadence = cadence_spm(self.steps)
        means = {s: self.means(s) for s in SIDES}
        return {
            "steps": len(self.steps),
            "steps_per_side": {s: sum(st.side == s for st in self.steps) for s in SIDES},
            "cadence_spm": None if cadence is None else round(cadence, 1),
            "failed": sum(bool(s.failed) for s in self.steps),
            "cued": sum(s.cued for s in self.steps),
            "means": means,
            "means_last": {s: self.means(s, n) for s in SIDES},
            "window_steps": n,
            "asymmetry": {k: _diff(means["left"][k], means["right"][k]) for k in STEP_METRICS},
        }


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 2)
