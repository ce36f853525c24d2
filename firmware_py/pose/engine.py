"""Frames in, keypoints out: crop, invoke, map back to source pixels, track.

The stages are separate methods so ``kneecue bench`` can time each one; ``estimate``
runs them in order and remembers where to crop next.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from firmware_py.core.crop import MIN_CROP_SCORE, Square, follow_crop, full_frame, next_crop
from firmware_py.pose.movenet import MoveNet
from firmware_py.sources.base import Frame
from firmware_py.system.cv import cv2


class PoseEngine:
    """Tracks one athlete: each frame is cropped around where they were on the last."""

    def __init__(self, model: MoveNet, *, track: bool = True, min_crop_score: float = MIN_CROP_SCORE):
        self.model = model
        self.track = track
        self.min_crop_score = min_crop_score
        self._region: Square | None = None
        self._frame_shape: tuple[int, int] | None = None

    def reset(self) -> None:
        """Forget the athlete: the next frame is searched whole."""
        self._region = None

    def adopt(self, other: "PoseEngine", rgb: np.ndarray, scale: float = 1.0) -> "PoseEngine":
        """Start from ``other``'s crop, scaled by ``scale`` for frames like ``rgb`` (frames
        read beside the live ones, a landing's burst, kept at a smaller size), on this
        engine's own model; ``other``'s tracking is untouched.  Returns self."""
        r = other._region
        if r is None:
            self._region = None
        else:
            h, w = rgb.shape[:2]
            self._region, self._frame_shape = Square(r.x0 * scale, r.y0 * scale, r.size * scale), (w, h)
        return self

    def region_for(self, rgb: np.ndarray) -> Square:
        h, w = rgb.shape[:2]
        if self._region is None or self._frame_shape != (w, h):
            self._frame_shape = (w, h)
            self._region = full_frame(w, h)
        return self._region

    def prepare(self, rgb: np.ndarray, region: Square) -> None:
        """Crop and resize ``region`` of the frame into the model's input (zero padding outside)."""
        size = self.model.input_size
        out = self.model.input_buffer
        if out.dtype == np.uint8:
            cv2.warpAffine(rgb, region.affine(size), (size, size), dst=out,
                           flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        else:
            out[...] = cv2.warpAffine(rgb, region.affine(size), (size, size),
                                      flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                      borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    def infer(self) -> np.ndarray:
        return self.model.invoke()

    @staticmethod
    def decode(raw: np.ndarray, region: Square) -> np.ndarray:
        """(y, x, score) normalised to the crop → (x, y, score) in source pixels."""
        pose = np.empty((raw.shape[0], 3), dtype=np.float64)
        pose[:, 0] = region.x0 + raw[:, 1] * region.size
        pose[:, 1] = region.y0 + raw[:, 0] * region.size
        pose[:, 2] = raw[:, 2]
        return pose

    def follow(self, pose: np.ndarray, rgb: np.ndarray) -> None:
        """Choose the crop for the next frame from this frame's pose."""
        if self.track:
            h, w = rgb.shape[:2]
            self._region = follow_crop(self._region, next_crop(pose, w, h, self.min_crop_score), w, h)

    def pose_of(self, frame: Frame, lap: Callable[[str], None] | None = None) -> np.ndarray:
        """``estimate`` of one frame, calling ``lap`` after each stage (crop, invoke,
        keypoints) for the benchmark."""
        rgb = frame.rgb
        region = self.region_for(rgb)
        self.prepare(rgb, region)
        if lap:
            lap("crop")
        raw = self.infer()
        if lap:
            lap("invoke")
        pose = self.decode(raw, region)
        self.follow(pose, rgb)
        if lap:
            lap("keypoints")
        return pose

    def estimate(self, rgb: np.ndarray) -> np.ndarray:
        """The athlete's keypoints in this RGB frame: (17, 3) of x, y, score."""
        return self.pose_of(Frame(0, 0, rgb, 0.0))
