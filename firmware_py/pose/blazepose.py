"""The feet: BlazePose's landmark model on the crop MoveNet's keypoints already give.

MoveNet's 17 points end at the ankle; BlazePose's 33 landmarks add each foot's heel
and foot index (the shoe's tip, near the second toe).  Its landmark model expects a
square crop around the person, upright (MediaPipe rotates it so that "up" runs from
mid-hip toward mid-shoulder) and 1.25 times the body's extent; MoveNet's keypoints
give exactly that, so no second detector is needed (docs/feet.md).

``FootModel.feet(rgb, pose)`` returns ``Feet``: heels and foot indices in source
pixels with a score, and the same four points as world landmarks (metres, origin
between the hips), which are steadier for angles.  Where the files come from and
their checksums: models/README.md (the shared model set's SOURCES.md, outside the
repository, has the signature, checks and pitfalls).  Both lite and full load; which
one runs is a setting.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from firmware_py.core import keypoints as kp
from firmware_py.errors import ModelInvalid
from firmware_py.pose.movenet import open_interpreter
from firmware_py.system.cv import cv2

INPUT_SIZE = 256
LANDMARKS = 33
# BlazePose landmark indices (subject's sides): heels 29/30, foot index 31/32.
HEEL = {"left": 29, "right": 30}
TOE = {"left": 31, "right": 32}
FOOT_POINTS = (HEEL["left"], HEEL["right"], TOE["left"], TOE["right"])
FOOT_NAMES = ("left_heel", "right_heel", "left_foot_index", "right_foot_index")
WORLD_POINTS = FOOT_POINTS + (23, 24)  # the four foot points, then the hips (facing direction)
ROI_SCALE = 1.25  # MediaPipe's pose ROI: 1.25 x the body's extent
MIN_PRESENCE = 0.5  # pose-present probability below which no foot is reported


class Feet(NamedTuple):
    """Both feet in one frame.

    ``points``: (4, 3) of x, y (source pixels) and score, in FOOT_NAMES order;
    ``world``: (6, 3) metres (x right, y down, z away from the camera, origin between
    the hips) of the same four points and then the left and right hip;
    ``present``: the model's pose-present probability.
    """

    points: np.ndarray
    world: np.ndarray
    present: float

    def heel(self, side: str) -> tuple[float, float]:
        i = 0 if side == "left" else 1
        return float(self.points[i, 0]), float(self.points[i, 1])

    def toe(self, side: str) -> tuple[float, float]:
        i = 2 if side == "left" else 3
        return float(self.points[i, 0]), float(self.points[i, 1])

    def to_dict(self) -> dict:
        return {name: [round(float(x), 1), round(float(y), 1), round(float(s), 3)]
                for name, (x, y, s) in zip(FOOT_NAMES, self.points)}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0)))


def roi_for(pose: np.ndarray, min_score: float = 0.2) -> np.ndarray | None:
    """The 2x3 affine (crop pixel -> source pixel, for WARP_INVERSE_MAP) of the upright
    square around the person in ``pose``, or None without hips and shoulders."""
    s = pose[:, 2]
    if not (s[kp.L_HIP] > min_score and s[kp.R_HIP] > min_score
            and s[kp.L_SHOULDER] > min_score and s[kp.R_SHOULDER] > min_score):
        return None
    hip = 0.5 * (pose[kp.L_HIP, :2] + pose[kp.R_HIP, :2])
    up = 0.5 * (pose[kp.L_SHOULDER, :2] + pose[kp.R_SHOULDER, :2]) - hip
    norm = math.hypot(up[0], up[1])
    if not norm > 1.0:
        return None
    ux, uy = up / norm
    seen = pose[s > min_score, :2]
    radius = float(np.max(np.hypot(*(seen - hip).T)))
    side = 2.0 * ROI_SCALE * radius
    scale = side / INPUT_SIZE
    # crop x runs along (-uy, ux) (the body's right-to-left... its image "right"), crop y along -up
    u_dir = np.array([-uy, ux])
    v_dir = np.array([-ux, -uy])
    half = 0.5 * INPUT_SIZE
    origin = hip - scale * half * (u_dir + v_dir)
    return np.array([[scale * u_dir[0], scale * v_dir[0], origin[0] + 0.5 * scale * (u_dir[0] + v_dir[0])],
                     [scale * u_dir[1], scale * v_dir[1], origin[1] + 0.5 * scale * (u_dir[1] + v_dir[1])]])


def refine(xy: np.ndarray, heatmaps: np.ndarray, kernel: int = 7, min_confidence: float = 0.5) -> np.ndarray:
    """Each landmark moved to the confidence-weighted centre of its heatmap around it, as
    MediaPipe's RefineLandmarksFromHeatmap does (7x7 window, sigmoid confidences, only
    where the window's best reaches ``min_confidence``).  ``xy`` in crop pixels (N, 2),
    ``heatmaps`` (H, W, N) logits; returns refined (N, 2)."""
    h, w, _ = heatmaps.shape
    out = xy.copy()
    half = (kernel - 1) // 2
    cols, rows = np.meshgrid(np.arange(w), np.arange(h))
    for i, (x, y) in enumerate(xy):
        col, row = int(x / INPUT_SIZE * w), int(y / INPUT_SIZE * h)
        if not (0 <= col < w and 0 <= row < h):
            continue
        r0, r1, c0, c1 = max(0, row - half), min(h, row + half + 1), max(0, col - half), min(w, col + half + 1)
        conf = _sigmoid(heatmaps[r0:r1, c0:c1, i].astype(np.float64))
        total = conf.sum()
        if conf.max() >= min_confidence and total > 0:
            out[i, 0] = (cols[r0:r1, c0:c1] * conf).sum() / total / w * INPUT_SIZE
            out[i, 1] = (rows[r0:r1, c0:c1] * conf).sum() / total / h * INPUT_SIZE
    return out


class FootModel:
    """A loaded, validated BlazePose landmark model (lite or full)."""

    def __init__(self, path: str | os.PathLike, *, num_threads: int = 1, runtime: str | None = None):
        self.path = Path(path)
        self.runtime, interpreter = open_interpreter(self.path, num_threads, runtime)
        self._interpreter = interpreter
        inp = interpreter.get_input_details()
        outs = {d["name"]: d for d in interpreter.get_output_details()}
        shape = [int(v) for v in inp[0]["shape"]] if len(inp) == 1 else []
        if (shape != [1, INPUT_SIZE, INPUT_SIZE, 3] or np.dtype(inp[0]["dtype"]) != np.float32
                or [int(v) for v in outs.get("Identity", {}).get("shape", [])] != [1, 39 * 5]
                or [int(v) for v in outs.get("Identity_4", {}).get("shape", [])] != [1, 39 * 3]):
            raise ModelInvalid(f"{str(self.path)!r} is not a BlazePose landmark model: expected input "
                               f"[1, 256, 256, 3] float32 and outputs Identity [1, 195], Identity_4 [1, 117]")
        self._input = inp[0]["index"]
        self._landmarks = outs["Identity"]["index"]
        self._present = outs["Identity_1"]["index"]
        self._world = outs["Identity_4"]["index"]
        self._heatmaps = outs["Identity_3"]["index"]
        self._batch = np.zeros((1, INPUT_SIZE, INPUT_SIZE, 3), np.float32)
        self._crop = np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.uint8)

    def describe(self) -> str:
        return f"{self.path.name} ({self.runtime})"

    def feet(self, rgb: np.ndarray, pose: np.ndarray) -> Feet | None:
        """Heels and foot indices of the person MoveNet found at ``pose`` in ``rgb``
        (None when the pose gives no crop or the model sees no person)."""
        affine = roi_for(pose)
        if affine is None:
            return None
        cv2.warpAffine(rgb, affine, (INPUT_SIZE, INPUT_SIZE), dst=self._crop,
                       flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        np.multiply(self._crop, 1.0 / 255.0, out=self._batch[0], casting="unsafe")
        it = self._interpreter
        it.set_tensor(self._input, self._batch)
        it.invoke()
        present = float(_sigmoid(it.get_tensor(self._present).reshape(-1))[0])
        if present < MIN_PRESENCE:
            return None
        raw = it.get_tensor(self._landmarks).reshape(39, 5)[list(FOOT_POINTS)].astype(np.float64)
        raw[:, :2] = refine(raw[:, :2], it.get_tensor(self._heatmaps)[0][:, :, list(FOOT_POINTS)])
        world = it.get_tensor(self._world).reshape(39, 3)[list(WORLD_POINTS)].astype(np.float64)
        # crop pixels -> source pixels (the landmarks are continuous crop coordinates)
        a = affine[:, :2]
        offset = affine[:, 2] - 0.5 * (a[:, 0] + a[:, 1])
        xy = raw[:, :2] @ a.T + offset
        score = _sigmoid(raw[:, 4]) * _sigmoid(raw[:, 3])
        return Feet(np.column_stack([xy, score]), world, present)
