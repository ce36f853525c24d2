"""A camera mounted turned: its picture turned back before anything reads it.

Pi camera ribbons often force a camera upside down or on its side.  The device's
``rotation`` setting (0, 90, 180 or 270 degrees clockwise) turns each frame with
OpenCV before the pose model, the recorder and the replays see it, so everything
downstream is the upright picture.  ``cv2.rotate`` is a transpose and/or flip of the
pixels, no interpolation; its cost per frame is printed by ``kneecue bench --rotate``.
(picamera2's own ``Transform(hflip=1, vflip=1)`` would do 180 in the camera pipeline
for nothing; it is not used, so that one setting, changed from the console at any
time, works the same for every source.)
"""

from __future__ import annotations

import dataclasses

from firmware_py.cv import cv2
from firmware_py.sources.base import Frame

_CODES = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def rotated(frame: Frame, degrees: int) -> Frame:
    """``frame`` with its picture turned ``degrees`` clockwise (0: the same frame)."""
    if not degrees:
        return frame
    return dataclasses.replace(frame, rgb=cv2.rotate(frame.rgb, _CODES[degrees]))
