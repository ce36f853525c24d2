"""OpenCV, imported one way everywhere.

FFmpeg's own log lines ("moov atom not found") would land before our one-line
errors, which already say what went wrong; the variable must be set before cv2 is
first imported, so every module takes cv2 from here.
"""

import os

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402

__all__ = ["cv2"]
