"""Guided procedures a coach starts from the console: calibration with a countdown,
and the single-leg squat test.

Pure, like the rest of the core: the frame loop feeds each one every frame's pose
(or the rep completed on it) with the frame time, and gets back Notices: what
happened, as a ``kind`` and JSON-ready ``data``, never in words.  The console,
``analyze`` and ``kneecue calibrate`` put them into words (``firmware_py.wording``),
and scripts get the data as it is.  ``step(pose, score, feet)`` (the raw pose, the
scorer's FrameScore, the newest foot reading) is the one call the loop makes on any
of them; ``state`` names the LED pattern to show while it runs; ``done`` is set once
it has finished, passed or failed; a finished test leaves its ``record`` for the
session file.  The ankle test, which reads side views, is in ``core.ankle``.

The test follows Ugalde et al. 2015 (docs/sources.md): hands on hips, squat
about halfway down and back up; a rep fails when the knee travels inward, the
hands leave the hips, the trunk sways or balance is lost (``reps.CRITERIA``).
Clinicians judge the test over several reps rather than one, so the overall
verdict allows noise: the leg passes when at least ``PASS_SHARE`` of its reps pass
(4 of 5).  That share is our choice, not a published cut-off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .calibration import Calibration, Calibrator
from .defaults import CALIBRATION_S, MIN_SCORE
from .reps import Rep
from .vocabulary import SLS_REPS

__all__ = ["Notice", "GuidedCalibration", "SingleLegSquatTest", "PASS_SHARE", "KINDS"]

PASS_SHARE = 0.8
LEGS = ("left", "right")

# What a notice can say.  Each kind's data holds everything its words need.
KINDS = (
    "calibration_started", "calibration_countdown", "calibration_measuring", "calibration_problem",
    "calibration_failed", "calibration_cancelled", "calibration_done",
    "sls_started", "sls_ignored", "sls_rep", "sls_finished",
    "ankle_started", "ankle_try", "ankle_refused", "ankle_finished",
)


@dataclass(frozen=True)
class Notice:
    """One thing a procedure has to tell the coach: ``kind`` (one of KINDS) and its data,
    typed (a rep is a ``Rep``) until ``to_dict`` makes it plain at the console's and the
    files' edge."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """What a script gets (console JSON mode, ``analyze --json``): the kind and its data."""
        return {"kind": self.kind, **{k: _plain(v) for k, v in self.data.items()}}


def _plain(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class GuidedCalibration:
    """Counts down, then collects quiet two-footed standing until it has a calibration.

    Gives up ``timeout_s`` after the countdown; problems (moved, one foot up, body
    not seen) restart the window and are told at most once a second.
    """

    state = "calibrating"

    def __init__(self, *, countdown_s: int = 3, duration_s: float = CALIBRATION_S, timeout_s: float = 30.0,
                 min_score: float = MIN_SCORE) -> None:
        self.countdown_s = countdown_s
        self.timeout_s = timeout_s
        self.calibrator = Calibrator(duration_s=duration_s, min_score=min_score)
        self.done = False
        self.result: Calibration | None = None
        self._start: float | None = None
        self._told = countdown_s + 1
        self._problem_told = -math.inf
        self._problem: str | None = None

    def update(self, pose: np.ndarray, t: float) -> list[Notice]:
        if self.done:
            return []
        out: list[Notice] = []
        if self._start is None:
            self._start = t
            out.append(Notice("calibration_started", {"event": "calibration", "state": "countdown"}))
        elapsed = t - self._start
        if elapsed < self.countdown_s:
            left = self.countdown_s - int(elapsed)
            if left < self._told:
                self._told = left
                out.append(Notice("calibration_countdown", {"event": "calibration", "countdown": left}))
            return out
        if self._told > 0:
            self._told = 0
            out.append(Notice("calibration_measuring", {"event": "calibration", "state": "measuring"}))
        status = self.calibrator.update(pose, t)
        if status.done:
            self.done, self.result = True, status.calibration
            return out + [Notice("calibration_done", {"event": "calibration", "state": "done",
                                                      "calibration": status.calibration.to_dict()})]
        if status.problem:
            self._problem = status.problem
            if t - self._problem_told >= 1.0:
                self._problem_told = t
                out.append(Notice("calibration_problem", {"event": "calibration", "problem": status.problem,
                                                          "unseen": list(status.unseen),
                                                          "implausible": list(status.implausible)}))
        if elapsed - self.countdown_s > self.timeout_s:
            self.done = True
            out.append(Notice("calibration_failed", {"event": "calibration", "state": "failed",
                                                     "problem": self._problem, "timeout_s": self.timeout_s}))
        return out

    def step(self, pose: np.ndarray, score: Any, feet: Any = None) -> list[Notice]:
        """The loop's one call for any procedure: this one reads the pose."""
        return self.update(pose, score.t)

    def cancel(self) -> list[Notice]:
        self.done = True
        return [Notice("calibration_cancelled", {"event": "calibration", "state": "cancelled"})]


class SingleLegSquatTest:
    """Counts ``reps`` completed reps on ``leg``, then gives the verdicts.

    Reps on the other leg or on both feet are told and not counted.  With no
    counted rep for ``idle_s`` the test ends with what it has.
    """

    state = "testing"

    def __init__(self, leg: str, reps: int = 5, *, idle_s: float = 60.0) -> None:
        if leg not in LEGS:
            raise ValueError(f"leg must be left or right, got {leg!r}")
        if not SLS_REPS[0] <= reps <= SLS_REPS[1]:
            raise ValueError(f"reps must be {SLS_REPS[0]}..{SLS_REPS[1]}, got {reps}")
        self.leg, self.target, self.idle_s = leg, reps, idle_s
        self.reps: list[Rep] = []
        self.done = False
        self.record: dict[str, Any] | None = None  # the finished test, for the session file
        self._last: float | None = None

    @property
    def needed(self) -> int:
        """Passing reps the leg needs for an overall pass."""
        return math.ceil(PASS_SHARE * self.target - 1e-9)

    def update(self, rep: Rep | None, t: float) -> list[Notice]:
        if self.done:
            return []
        out: list[Notice] = []
        if self._last is None:
            self._last = t
            out.append(Notice("sls_started", {"event": "test", "state": "started", "leg": self.leg,
                                              "reps": self.target}))
        if rep is not None:
            if rep.leg != self.leg:
                out.append(Notice("sls_ignored", {"event": "test", "leg": self.leg, "ignored": rep}))
            else:
                self.reps.append(rep)
                self._last = t
                out.append(Notice("sls_rep", {"event": "test", "rep": len(self.reps), "reps": self.target,
                                              "result": rep}))
                if len(self.reps) == self.target:
                    return out + self._finish("complete")
        if t - self._last > self.idle_s:
            return out + self._finish("stopped")
        return out

    def step(self, pose: np.ndarray, score: Any, feet: Any = None) -> list[Notice]:
        """The loop's one call for any procedure: this one reads completed reps."""
        return self.update(score.rep, score.t)

    def cancel(self) -> list[Notice]:
        return self._finish("cancelled")

    def _finish(self, how: str) -> list[Notice]:
        """``how``: complete, cancelled, or stopped (no rep for ``idle_s``)."""
        self.done = True
        passed = sum(r.passed for r in self.reps)
        complete = len(self.reps) == self.target
        verdict = ("PASS" if passed >= self.needed else "FAIL") if complete else "incomplete"
        self.record = {"test": "sls", "state": how, "leg": self.leg, "verdict": verdict.lower(),
                       "passed": passed, "counted": len(self.reps), "reps": self.target,
                       "rep_indices": [r.index for r in self.reps]}
        return [Notice("sls_finished", {
            "event": "test", "state": how, "leg": self.leg, "verdict": verdict.lower(),
            "passed": passed, "counted": len(self.reps), "reps": self.target, "needed": self.needed,
            "idle_s": self.idle_s, "results": list(self.reps)})]
