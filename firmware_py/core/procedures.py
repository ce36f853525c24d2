"""Guided procedures a coach starts from the console: calibration with a countdown,
and the single-leg squat test.

Pure, like the rest of the core: the frame loop feeds each one every frame's pose
(or the rep completed on it) with the frame time, and gets back Notices, the
lines the console shows the coach, each with a JSON-ready ``data`` for scripts.
``step(pose, score, feet)`` (the raw pose, the scorer's FrameScore, the newest
foot reading) is the one call the loop makes on any of them; ``state`` names the
LED pattern to show while it runs; ``done`` is set once it has finished, passed
or failed; a finished test leaves its ``record`` for the session file.  The ankle
test, which reads side views, is in ``core.ankle``.

The test follows GUIDE.md section 1 (Ugalde et al. 2015): hands on hips, squat
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
from .faults import pattern_words
from .reps import Rep
from .vocabulary import SLS_REPS

__all__ = ["Notice", "GuidedCalibration", "SingleLegSquatTest", "PASS_SHARE", "rep_line"]

PASS_SHARE = 0.8
LEGS = ("left", "right")


@dataclass(frozen=True)
class Notice:
    text: str
    data: dict[str, Any] = field(default_factory=dict)


def _deg(value: float | None) -> str:
    return "--" if value is None else f"{value:+.1f}°"


def _ratio(value: float | None) -> str:
    return "--" if value is None else f"{value:+.2f}"


def rep_line(rep: Rep) -> str:
    """One rep in a line: leg, verdict and reasons, and the working leg's peaks."""
    fppa, medial = rep.working_peak("fppa"), rep.working_peak("knee_medial")
    verdict = "pass" if rep.passed else "FAIL (" + ", ".join(r.replace("_", " ") for r in rep.failed) + ")"
    line = (f"#{rep.index + 1} {rep.leg} {verdict}: depth {rep.depth:.2f}, FPPA {_deg(fppa)}, "
            f"knee inside foot {_ratio(medial)}, pelvic drop {_deg(rep.pelvic_drop.value)}, "
            f"trunk lean {_deg(rep.trunk_lean.value)}")
    pattern = pattern_words(rep)
    return f"{line}; {pattern}" if pattern else line


class GuidedCalibration:
    """Counts down, then collects quiet two-footed standing until it has a calibration.

    Gives up ``timeout_s`` after the countdown; problems (moved, one foot up, body
    not seen) restart the window and are told at most once a second.
    """

    state = "calibrating"

    def __init__(self, *, countdown_s: int = 3, duration_s: float = 3.0, timeout_s: float = 30.0,
                 min_score: float = 0.3) -> None:
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
            out.append(Notice("calibrating: stand still on both feet, facing the camera, arms relaxed",
                              {"event": "calibration", "state": "countdown"}))
        elapsed = t - self._start
        if elapsed < self.countdown_s:
            left = self.countdown_s - int(elapsed)
            if left < self._told:
                self._told = left
                out.append(Notice(f"  {left}…", {"event": "calibration", "countdown": left}))
            return out
        if self._told > 0:
            self._told = 0
            out.append(Notice("  hold still…", {"event": "calibration", "state": "measuring"}))
        status = self.calibrator.update(pose, t)
        if status.done:
            self.done, self.result = True, status.calibration
            return out + [self._success(status.calibration)]
        if status.problem:
            self._problem = status.problem
            if t - self._problem_told >= 1.0:
                self._problem_told = t
                out.append(Notice(f"  {status.told}: starting over",
                                  {"event": "calibration", "problem": status.problem, "detail": status.detail}))
        if elapsed - self.countdown_s > self.timeout_s:
            self.done = True
            why = (self._problem or "not enough quiet standing").replace("_", " ")
            out.append(Notice(f"calibration failed ({why}) after {self.timeout_s:g} s; nothing changed",
                              {"event": "calibration", "state": "failed", "problem": self._problem}))
        return out

    def step(self, pose: np.ndarray, score: Any, feet: Any = None) -> list[Notice]:
        """The loop's one call for any procedure: this one reads the pose."""
        return self.update(pose, score.t)

    def cancel(self) -> list[Notice]:
        self.done = True
        return [Notice("calibration cancelled; nothing changed", {"event": "calibration", "state": "cancelled"})]

    @staticmethod
    def _success(cal: Calibration) -> Notice:
        return Notice(
            f"calibrated: camera roll {cal.roll_deg:+.1f}°, standing FPPA left {_deg(cal.fppa_baseline_left)}, "
            f"right {_deg(cal.fppa_baseline_right)}; in use now, 'save' keeps it",
            {"event": "calibration", "state": "done", "calibration": cal.to_dict()})


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
            out.append(Notice(
                f"single-leg squat test, {self.leg} leg, {self.target} reps: hands on hips, stand on the "
                f"{self.leg} leg, squat about halfway down and back up",
                {"event": "test", "state": "started", "leg": self.leg, "reps": self.target}))
        if rep is not None:
            if rep.leg != self.leg:
                out.append(Notice(f"  a rep on {'both feet' if rep.leg == 'both' else 'the ' + rep.leg + ' leg'}"
                                  f" is not counted: this test is on the {self.leg} leg",
                                  {"event": "test", "ignored": rep.to_dict()}))
            else:
                self.reps.append(rep)
                self._last = t
                line = rep_line(rep).split(" ", 2)[2]
                out.append(Notice(f"  rep {len(self.reps)}/{self.target}: {line}",
                                  {"event": "test", "rep": len(self.reps), "result": rep.to_dict()}))
                if len(self.reps) == self.target:
                    return out + self._finish("complete")
        if t - self._last > self.idle_s:
            return out + self._finish(f"stopped: no {self.leg}-leg rep for {self.idle_s:g} s")
        return out

    def step(self, pose: np.ndarray, score: Any, feet: Any = None) -> list[Notice]:
        """The loop's one call for any procedure: this one reads completed reps."""
        return self.update(score.rep, score.t)

    def cancel(self) -> list[Notice]:
        return self._finish("cancelled")

    def _finish(self, how: str) -> list[Notice]:
        self.done = True
        passed = sum(r.passed for r in self.reps)
        complete = len(self.reps) == self.target
        verdict = ("PASS" if passed >= self.needed else "FAIL") if complete else "incomplete"
        lines = [f"test {how}: {self.leg} leg {verdict}, {passed} of {len(self.reps)} reps passed"
                 + (f" (a pass needs {self.needed} of {self.target})" if complete else "")]
        lines += [f"  rep {i + 1}: " + rep_line(r).split(" ", 2)[2] for i, r in enumerate(self.reps)]
        failures = sorted({c for r in self.reps for c in r.failed})
        if failures:
            lines.append("  faults seen: " + ", ".join(c.replace("_", " ") for c in failures))
        lines.append("  (a training screen, not a diagnosis)")
        self.record = {"test": "sls", "state": how.split(":")[0], "leg": self.leg, "verdict": verdict.lower(),
                       "passed": passed, "counted": len(self.reps), "reps": self.target,
                       "rep_indices": [r.index for r in self.reps]}
        return [Notice("\n".join(lines), {
            "event": "test", "state": how.split(":")[0], "leg": self.leg, "verdict": verdict.lower(),
            "passed": passed, "counted": len(self.reps), "reps": self.target,
            "results": [r.to_dict() for r in self.reps]})]
