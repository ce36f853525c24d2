"""Poses that come with their frames: no model reads them.

A pose file (``sources.posefile``: keypoints another tool extracted) and a synthetic
athlete (``fakes.synthetic``) hand over each frame's pose in ``Frame.truth``; the
pipeline then takes it as the model's answer.  The same interface the pipeline uses of
``pose.engine.PoseEngine``."""

from __future__ import annotations

from typing import Callable

import numpy as np

from firmware_py.errors import KneeCueError
from firmware_py.sources.base import Frame


class GivenPoseEngine:
    model = None

    def pose_of(self, frame: Frame, lap: Callable[[str], None] | None = None) -> np.ndarray:
        if frame.truth is None:
            raise KneeCueError("this source's frames carry no pose: it needs the model (give a video, a "
                               "pose file or a synthetic athlete)")
        if lap:
            for stage in ("crop", "invoke", "keypoints"):
                lap(stage)
        return frame.truth.copy()

    @staticmethod
    def describe() -> str:
        return "poses given with the frames (a pose file or a synthetic athlete: no model)"
