"""One frame through the whole chain: crop → invoke → keypoints → scoring.

``analyze``, ``bench`` and the live loop all call ``Pipeline.process`` so what is
measured is what runs.  ``lap`` (optional) is called after each stage with the
stage's name, which is how ``bench`` times stages without a second code path.
"""

from __future__ import annotations

from collections import deque
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
    frame after MoveNet; its newest reading goes to the scorer, never waited for,
    except while ``feet_every_frame`` (the loop sets it while a guided procedure runs,
    when no cue waits on the frame).  The last ``RECENT`` frames are kept so that, once
    a rep's deepest frame so far has held for two frames, the frames around it go to
    the foot stage ahead of newer ones (a rep that goes deeper again sends its new
    bottom too)."""

    RECENT = 8

    def __init__(self, engine: PoseEngine, scorer: Scorer | None = None, feet=None):
        self.engine = engine
        self.scorer = scorer if scorer is not None else Scorer()
        self.feet = feet
        self.scorer.feet_enabled = feet is not None
        self.feet_every_frame = False
        self._recent: deque[tuple[int, float, np.ndarray, np.ndarray]] = deque(maxlen=self.RECENT)

    def process(self, frame: Frame, lap: Lap | None = None) -> FrameResult:
        pose = self.engine.pose_of(frame, lap)
        h, w = frame.rgb.shape[:2]
        reading = None
        feet = self.feet
        if feet is not None:
            feet.offer(frame.index, frame.pts, frame.rgb, pose, wait=self.feet_every_frame)
            reading = feet.latest()
        score = self.scorer.update(pose, frame.index, frame.pts, (w, h), reading)
        if feet is not None:
            self._recent.append((frame.index, frame.pts, frame.rgb, pose))
            bottom = self.scorer.bottom_frame
            if bottom is not None and frame.index == bottom + 2:  # the deepest frame has held for two
                feet.keep([job for job in self._recent if abs(job[0] - bottom) <= 1])
        if lap:
            lap("scoring")
        return FrameResult(frame.t_ns, pose, score, reading)
