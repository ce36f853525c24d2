"""OpenCV, imported one way everywhere.

FFmpeg's own log lines ("moov atom not found") would land before our one-line
errors, which already say what went wrong; the variable must be set before cv2 is
first imported, so every module takes cv2 from here.
"""

import os

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402

# One thread for OpenCV's own parallel loops.  The frame loop's OpenCV work is a
# 192x192 crop, too small to gain from threads, and the pool is shared by every
# thread in the process: the recorder's resizes and clip drawing would otherwise
# run on pool workers at full priority, beside the model's threads, and the crop
# would queue behind them (tests/benchmarks/recording.py: slow-frame spikes and
# +8% mean per-frame time with it; FFmpeg's decoding threads are separate).
cv2.setNumThreads(1)

__all__ = ["cv2"]
