"""Keypoints another tool extracted, read in place of a video.

Researchers and coaches who already have pose data can use KneeCue's judgement on it:
``kneecue analyze run.pose.json``.  Each frame carries its pose (``Frame.truth``, in
COCO-17 order, source pixels, scores 0-1) and a blank picture of the stated size, and
the pipeline reads the pose instead of running a model (``pose.given``).

Two schemas are read:

* **GaitLab** (``"schema": "gaitlab.pose/v1"``, RTMPose Halpe-26 and the like):
  ``fps``, ``width``, ``height``, ``keypoint_names``, ``frames`` (per frame, one
  ``[x, y, confidence]`` per name) and optionally ``timestamps`` (seconds).  Names
  map by side and joint (``l_hip`` is ``left_hip``); points COCO-17 has and the file
  does not (eyes, ears) read as unseen; extra points (neck, heels, toes) are left out;
  confidences above 1 (RTMPose's SimCC) are capped at 1.
* **COCO-17** (``"format": "coco17"``): ``fps``, ``width``, ``height``, and
  ``frames``: per frame either 17 ``[x, y, score]`` rows or COCO's flat
  ``keypoints`` list of 51 numbers (``{"keypoints": [...]}``), in COCO's order
  (MoveNet's); optionally ``timestamps``.

What would make the result wrong is refused with one line (``PoseFileError``): a
keypoint set without the hips, knees and ankles, no frame rate and no timestamps,
timestamps that go backwards or do not match the frames, frames of the wrong shape.
What only costs a frame is read as nobody seen and counted (``missing``): a frame
that is ``null`` or empty, points that are NaN.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from firmware_py.core import keypoints as kp
from firmware_py.errors import SourceOpenError
from firmware_py.sources.base import Frame, FrameSource, pace

__all__ = ["PoseFile", "PoseFileError", "is_pose_file"]

MAX_BYTES = 512 * 1024 * 1024
_JOINTS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "eye", "ear")
_NEEDED = ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")


class PoseFileError(SourceOpenError, ValueError):
    """A pose file whose result would be wrong: what is missing, in one line."""


def is_pose_file(path: str) -> bool:
    return path.lower().endswith(".json")


def coco_name(name: str) -> str | None:
    """A keypoint name in COCO-17's spelling (``l_hip``, ``LHip``, ``left_hip`` -> ``left_hip``), or None."""
    n = name.strip().lower().replace("-", "_").replace(" ", "_")
    if n == "nose":
        return n
    for prefix, side in (("left_", "left"), ("l_", "left"), ("right_", "right"), ("r_", "right")):
        if n.startswith(prefix) and n[len(prefix):] in _JOINTS:
            return f"{side}_{n[len(prefix):]}"
    if len(n) > 1 and n[0] in "lr" and n[1:] in _JOINTS:  # lhip, rknee
        return f"{'left' if n[0] == 'l' else 'right'}_{n[1:]}"
    return None


class PoseFile(FrameSource):
    """A pose file as a frame source; ``missing`` counts frames read as nobody seen."""

    poses_given = True  # the frames carry their poses: no model reads them

    def __init__(self, path: str | Path, *, realtime: bool = False):
        self.path = Path(path)
        self.name = str(path)
        self.realtime = realtime
        self.missing = 0
        self._poses: np.ndarray | None = None

    def open(self) -> "PoseFile":
        data = self._load()
        poses, times, (w, h), fps = _parse(data, self.name)
        self._poses, self._times, self.fps = poses, times, fps
        self.missing = int((poses[:, :, 2].max(axis=1) == 0).sum())
        self.expected_frames = self.frames_read = len(poses)
        self._blank = np.zeros((h, w, 3), np.uint8)
        self._blank.flags.writeable = False
        self._index, self._start = 0, None
        return self

    def _load(self) -> Any:
        if not self.path.is_file():
            raise PoseFileError(f"pose file {self.name!r} does not exist: check the path")
        if self.path.stat().st_size > MAX_BYTES:
            raise PoseFileError(f"pose file {self.name!r} is over {MAX_BYTES >> 20} MB")
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise PoseFileError(f"pose file {self.name!r} is not JSON ({type(e).__name__}: {e})") from None

    def read(self) -> Frame | None:
        if self._poses is None or self._index >= len(self._poses):
            return None
        i = self._index
        pts = float(self._times[i])
        if self.realtime:
            self._start = pace(self._start, pts)
        self._index += 1
        return Frame(i, time.monotonic_ns(), self._blank, pts, truth=self._poses[i].copy())

    def close(self) -> None:
        self._poses = None


def _parse(data: Any, name: str) -> tuple[np.ndarray, np.ndarray, tuple[int, int], float]:
    if not isinstance(data, dict):
        raise PoseFileError(f"{name}: a pose file is a JSON object (GaitLab's gaitlab.pose/v1, or "
                            f'"format": "coco17"), not a {type(data).__name__}')
    schema = data.get("schema") or data.get("format")
    if schema == "gaitlab.pose/v1":
        names = data.get("keypoint_names")
        if not isinstance(names, list):
            raise PoseFileError(f"{name}: gaitlab.pose/v1 without keypoint_names")
        columns = _columns(names, name)
    elif schema == "coco17":
        columns = list(range(kp.COUNT))
    else:
        raise PoseFileError(f"{name}: unknown pose schema {schema!r}: KneeCue reads \"schema\": "
                            f"\"gaitlab.pose/v1\" and \"format\": \"coco17\" (docs/drills.md, Pose files)")
    size = _size(data, name)
    frames = data.get("frames")
    if not isinstance(frames, list) or not frames:
        raise PoseFileError(f"{name}: no frames")
    poses = np.zeros((len(frames), kp.COUNT, 3), np.float32)
    width = len(data["keypoint_names"]) if schema == "gaitlab.pose/v1" else kp.COUNT
    for i, frame in enumerate(frames):
        rows = _rows(frame, width, schema, name, i)
        if rows is None:
            continue  # nobody seen
        for target, source in enumerate(columns):
            if source is None:
                continue
            x, y, s = rows[source]
            if all(math.isfinite(v) for v in (x, y, s)):
                poses[i, target] = (x, y, min(max(s, 0.0), 1.0))
    times = _times(data, len(frames), name)
    fps = _fps(data, name)
    if fps != fps:  # not stated: the timestamps' own rate
        fps = 1.0 / float(np.median(np.diff(times))) if len(times) > 1 else 30.0
    return poses, times, size, fps


def _columns(names: list, name: str) -> list[int | None]:
    """For each COCO-17 point, its column in the file (None: the file has none)."""
    found = {}
    for col, raw in enumerate(names):
        coco = coco_name(str(raw))
        if coco is not None:
            found.setdefault(coco, col)
    missing = [n for n in _NEEDED if n not in found]
    if missing:
        raise PoseFileError(f"{name}: its keypoint set ({', '.join(map(str, names[:8]))}...) has no "
                            f"{', '.join(missing)}: KneeCue needs hips, knees and ankles by side")
    return [found.get(n) for n in kp.NAMES]


def _rows(frame: Any, width: int, schema: str, name: str, i: int) -> list | None:
    if frame is None or frame == [] or frame == {}:
        return None
    if isinstance(frame, dict):
        flat = frame.get("keypoints")
        if not isinstance(flat, list) or len(flat) != 3 * width:
            raise PoseFileError(f"{name}: frame {i}: 'keypoints' must hold {3 * width} numbers")
        frame = [flat[j:j + 3] for j in range(0, len(flat), 3)]
    if not isinstance(frame, list) or len(frame) < width:
        raise PoseFileError(f"{name}: frame {i} has {len(frame) if isinstance(frame, list) else 'no'} points, "
                            f"expected {width} [x, y, score] rows")
    out = []
    for row in frame:
        if not isinstance(row, list) or len(row) < 3:
            raise PoseFileError(f"{name}: frame {i}: a point is not [x, y, score]")
        try:
            out.append(tuple(float("nan") if v is None else float(v) for v in row[:3]))
        except (TypeError, ValueError):
            raise PoseFileError(f"{name}: frame {i}: a point holds something that is not a number") from None
    return out


def _size(data: dict, name: str) -> tuple[int, int]:
    w, h = data.get("width"), data.get("height")
    if not all(isinstance(v, (int, float)) and 16 <= v <= 16384 for v in (w, h)):
        raise PoseFileError(f"{name}: needs the picture's width and height in pixels (16-16384)")
    return int(w), int(h)


def _fps(data: dict, name: str) -> float:
    fps = data.get("fps")
    if fps is None:
        return float("nan")
    if not isinstance(fps, (int, float)) or not 1 <= fps <= 1000:
        raise PoseFileError(f"{name}: fps must be a number from 1 to 1000, got {fps!r}")
    return float(fps)


def _times(data: dict, count: int, name: str) -> np.ndarray:
    stamps = data.get("timestamps")
    if stamps is None:
        fps = data.get("fps")
        if not isinstance(fps, (int, float)) or not 1 <= fps <= 1000:
            raise PoseFileError(f"{name}: states no frame rate: add \"fps\" (frames per second) or "
                                f"\"timestamps\" (seconds, one per frame); without them steps and reps have "
                                f"no time")
        return np.arange(count, dtype=np.float64) / float(fps)
    if not isinstance(stamps, list) or len(stamps) != count:
        raise PoseFileError(f"{name}: {len(stamps) if isinstance(stamps, list) else 'no'} timestamps for "
                            f"{count} frames: one per frame")
    try:
        times = np.array(stamps, dtype=np.float64)
    except (TypeError, ValueError):
        raise PoseFileError(f"{name}: timestamps must be numbers (seconds)") from None
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        raise PoseFileError(f"{name}: timestamps must be finite and increasing")
    return times
