"""One frame through the whole chain: crop → invoke → keypoints → scoring.

``analyze``, ``bench`` and the live loop all call ``Pipeline.process`` so what is
measured is what runs.  ``lap`` (optional) is called after each stage with the
stage's name, which is how ``bench`` times stages without a second code path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from firmware_py.core.feet import FootReading
from firmware_py.core.scorer import FrameScore, Scorer
from firmware_py.pose.engine import PoseEngine
from firmware_py.sources.base import Frame

STAGES = ("crop", "invoke", "keypoints", "scoring")
Lap = Callable[[str], None]


@dataclass
class FrameResult:
    t_ns: int  # capture timestamp (monotonic ns), what latency is measured from
    pose: np.ndarray  # raw model keypoints, source pixels
    score: FrameScore
    feet: FootReading | None = None  # the newest foot reading the frame was scored with

    @property
    def index(self) -> int:
        return self.score.frame_index

    @property
    def t(self) -> float:
        return self.score.t

    @property
    def metrics(self) -> dict:
        return self.score.metrics


class Pipeline:
    """``feet``: an optional foot stage (``pose.feetstage.FootStage``), offered each
    frame after MoveNet; its newest reading goes to the scorer, never waited for."""

    def __init__(self, engine: PoseEngine, scorer: Scorer | None = None, feet=None):
        self.engine = engine
        self.scorer = scorer if scorer is not None else Scorer()
        self.feet = feet
        self.scorer.feet_enabled = feet is not None

    def process(self, frame: Frame, lap: Lap | None = None) -> FrameResult:
        engine = self.engine
        region = engine.region_for(frame.rgb)
        engine.prepare(frame.rgb, region)
        if lap:
            lap("crop")
        raw = engine.infer()
        if lap:
            lap("invoke")
        pose = engine.decode(raw, region)
        engine.follow(pose, frame.rgb)
        if lap:
            lap("keypoints")
        h, w = frame.rgb.shape[:2]
        reading = None
        if self.feet is not None:
            self.feet.offer(frame.index, frame.pts, frame.rgb, pose)
            reading = self.feet.latest()
        score = self.scorer.update(pose, frame.index, frame.pts, (w, h), reading)
        if lap:
            lap("scoring")
        return FrameResult(frame.t_ns, pose, score, reading)
