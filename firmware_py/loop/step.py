"""One frame, one path: rotate → pose → score → what is watching → pattern → shown.

In the manner of pyserial's ``ReaderThread`` (it takes a protocol and never names one)
and picamera2's encoder (it feeds whatever outputs it was given), the live loop,
``analyze``, ``bench``, ``calibrate`` and the demo all turn a frame into an ``Outcome``
here, and differ only in where frames come from and which sinks they feed:

* ``observe`` is what watches the frame beside the cues: the device (its console's
  guided procedures), a guided test run on a clip, a calibration; it returns the
  state the pattern selector needs (``run``, ``calibrating``, ``testing``);
* ``show`` puts the pattern where the athlete sees it (the pins: ``CueOutputs.play``)
  and says whether it changed; without it the step remembers what it last decided;
* ``rotation`` turns each frame first, as a camera mounted turned needs;
* ``burst`` (``loop.burst.LandingBurst``, the live loop's with a landing drill) reads a
  landing again from the frames the camera captured at full rate before its verdict is
  shown; the step measures what a frame costs, which tells the burst how many fit.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

from firmware_py.core.patterns import PatternSelector
from firmware_py.loop.burst import CUE_WITHIN_S
from firmware_py.loop.pipeline import FrameResult, Lap, Pipeline
from firmware_py.loop.sinks import Outcome
from firmware_py.sources.base import Frame
from firmware_py.sources.rotation import rotated

Observe = Callable[[FrameResult], str]


class FrameStep:
    def __init__(self, pipeline: Pipeline, *, selector: PatternSelector | None = None,
                 observe: Observe | None = None, show: Callable[[str], bool] | None = None, rotation: int = 0,
                 burst=None):
        self.pipeline = pipeline
        self.burst = burst
        self.cost_s: float | None = None  # seconds a frame takes through the pipeline (a running mean)
        self.selector = selector or PatternSelector(pipeline.scorer.mode.value)
        self.observe = observe
        self.show = show
        self.rotation = rotation
        self._shown: str | None = None
        self._waiting: list = []  # landings handed over while their burst runs

    def drain(self, last: Outcome, *, stopping: bool = False) -> list[Outcome]:
        """The landings still waiting for their bursts, each as an outcome of the last frame:
        at a clip's end the bursts are let finish (none runs past its landing's deadline)
        and each verdict is shown; on a stop request (``stopping``, the bursts stopped
        first) they go to the sinks as the live loop read them, and the pins are left alone."""
        out = []
        while self._waiting:
            landing = self._waiting.pop(0)
            if not stopping:
                self.burst.wait(landing, timeout=CUE_WITHIN_S)
            self.burst.finish(landing, self.pipeline.scorer)
            result = dataclasses.replace(last.result, score=last.result.score._replace(landing=landing))
            if stopping:
                out.append(Outcome(last.frame, result, last.pattern, False, time.monotonic_ns(), last.dropped))
            else:
                out.append(self._shown_outcome(last.frame, result, last.dropped))
        return out

    def _burst(self, score):
        """Start a landing's burst as soon as the scorer has found it, and hand the landing
        on only once its burst is over (on this frame, or a later one)."""
        burst, scorer = self.burst, self.pipeline.scorer
        pending = scorer.pending_landing
        if pending is not None and not burst.started(pending) and burst.ring.enabled:
            burst.start(pending, scorer, self.rotation, self.cost_s)
        if score.landing is not None:
            self._waiting.append(score.landing)
            score = score._replace(landing=None)
        if self._waiting and burst.ready(self._waiting[0]):
            landing = self._waiting.pop(0)
            burst.finish(landing, scorer)
            score = score._replace(landing=landing)
        return score

    def __call__(self, frame: Frame, *, lap: Lap | None = None, dropped: int = 0) -> Outcome:
        frame = rotated(frame, self.rotation)  # what the source has not turned itself
        if lap and self.rotation:
            lap("rotate")
        begun = time.monotonic_ns()
        result = self.pipeline.process(frame, lap)
        took = (time.monotonic_ns() - begun) / 1e9
        self.cost_s = took if self.cost_s is None else 0.9 * self.cost_s + 0.1 * took
        if self.burst is not None:
            result.score = self._burst(result.score)
        return self._shown_outcome(frame, result, dropped)

    def _shown_outcome(self, frame: Frame, result, dropped: int) -> Outcome:
        score = result.score
        state = "run" if self.observe is None else self.observe(result)
        unit = score.rep if score.rep is not None else score.landing  # (a step's cue is its drill's level)
        pattern = self.selector.select(score.t, level=score.cue.level, state=state,
                                       verdict=None if unit is None else unit.verdict,
                                       landing=None if score.landing is None else score.landing.leg)
        changed = self.show(pattern) if self.show is not None else pattern != self._shown
        decided_ns = time.monotonic_ns()
        self._shown = pattern
        return Outcome(frame, result, pattern, changed, decided_ns, dropped)
