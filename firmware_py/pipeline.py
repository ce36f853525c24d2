"""One frame through the whole chain: crop → invoke → keypoints → scoring.

``analyze``, ``bench`` and the live loop all call ``Pipeline.process`` so what is
measured is what runs.  ``lap`` (optional) is called after each stage with the
stage's name, which is how ``bench`` times stages without a second code path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from firmware_py.core.metrics import compute_metrics
from firmware_py.pose.engine import PoseEngine
from firmware_py.sources.base import Frame

STAGES = ("crop", "invoke", "keypoints", "scoring")
Lap = Callable[[str], None]


@dataclass
class FrameResult:
    index: int
    t: float
    t_ns: int
    pose: np.ndarray
    metrics: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


class Pipeline:
    def __init__(self, engine: PoseEngine, *, score: Callable[[np.ndarray, Frame], dict] | None = None):
        self.engine = engine
        self._score = score or (lambda pose, frame: {"metrics": compute_metrics(pose)})

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
        scored = self._score(pose, frame)
        if lap:
            lap("scoring")
        metrics = scored.pop("metrics")
        return FrameResult(frame.index, frame.pts, frame.t_ns, pose, metrics, scored)
