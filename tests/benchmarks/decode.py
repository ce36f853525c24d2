"""Decode time per frame of every shared clip through OpenCV and through PyAV, one run.

Usage: python tests/benchmarks/decode.py [MEDIA_DIR]   (default: $KNEECUE_MEDIA_DIR)

Prints the median milliseconds per frame (decode and conversion to RGB) of each, the
frame size, and which one ``VideoFile`` picks (PyAV from FAST_DECODE_PIXELS up).  This
machine is shared: compare the two columns of one run, not runs with each other.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from firmware_py.sources.opencv import VideoFile

VIDEO = {".mp4", ".mov", ".gif", ".avi", ".mkv", ".ts"}


def per_frame_ms(path: Path, decoder: str) -> tuple[float, int, tuple[int, ...]]:
    times, shape = [], ()
    with VideoFile(path, decoder=decoder) as source:
        while True:
            t0 = time.perf_counter()
            frame = source.read()
            if frame is None:
                break
            times.append(time.perf_counter() - t0)
            shape = frame.rgb.shape
    return statistics.median(times) * 1e3, len(times), shape


def main() -> None:
    media = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ["KNEECUE_MEDIA_DIR"])
    print(f"{'clip':<52}{'size':>11}{'OpenCV ms':>11}{'PyAV ms':>10}  picked")
    for path in sorted(p for p in media.iterdir() if p.suffix.lower() in VIDEO):
        cv_ms, n, shape = per_frame_ms(path, "opencv")
        av_ms, m, _ = per_frame_ms(path, "pyav")
        with VideoFile(path) as source:
            picked = source.decoded_by
        size = f"{shape[1]}x{shape[0]}"
        print(f"{path.name[:51]:<52}{size:>11}{cv_ms:>11.1f}{av_ms:>10.1f}  {picked}"
              + ("" if n == m else f"  (frames: OpenCV {n}, PyAV {m})"))


if __name__ == "__main__":
    main()
