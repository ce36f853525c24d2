"""A camera mounted turned: its picture turned back before anything reads it.

Pi camera ribbons often force a camera upside down or on its side.  The device's
``rotation`` setting (0, 90, 180 or 270 degrees clockwise) is first offered to the
source (``FrameSource.turn``): the Pi camera does 180 in its own pipeline, as
libcamera's hflip + vflip transform, for nothing, and marks its frames
``turned=180``.  Whatever is left (90 and 270 always: the Pi's ISP cannot transpose;
any turn of a video file) is done here with ``cv2.rotate``, a transpose and/or flip of
the pixels, no interpolation, before the pose model, the recorder and the replays see
the frame.  Its cost per frame is printed by ``kneecue bench --rotate``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from firmware_py.sources.base import Frame
from firmware_py.system.cv import cv2

_CODES = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def rotated(frame: Frame, degrees: int) -> Frame:
    """``frame`` with its picture turned ``degrees`` clockwise in all, counting what its
    source already turned (nothing left: the same frame)."""
    left = (degrees - frame.turned) % 360
    if not left:
        return frame
    truth = None if frame.truth is None else _turned_points(frame.truth, left, frame.rgb.shape)
    return dataclasses.replace(frame, rgb=turned(frame.rgb, left), turned=degrees, truth=truth)


def turned(rgb: np.ndarray, degrees: int) -> np.ndarray:
    """The picture turned ``degrees`` clockwise (a multiple of 90; 0: as it is)."""
    degrees = round(degrees / 90) * 90 % 360
    return cv2.rotate(rgb, _CODES[degrees]) if degrees else rgb


def _turned_points(pose: np.ndarray, degrees: int, shape: tuple[int, ...]) -> np.ndarray:
    """A synthetic frame's pose (x, y, score rows) turned with its picture."""
    h, w = shape[:2]
    x, y = pose[:, 0], pose[:, 1]
    out = pose.copy()
    if degrees == 90:
        out[:, 0], out[:, 1] = h - 1 - y, x
    elif degrees == 180:
        out[:, 0], out[:, 1] = w - 1 - x, h - 1 - y
    else:  # 270
        out[:, 0], out[:, 1] = y, w - 1 - x
    return out
