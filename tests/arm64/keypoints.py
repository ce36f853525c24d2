"""Keypoints of the first frames of a clip: the x86 reference the arm64 lane compares with.

Usage: keypoints.py CLIP N DIR   (x86: writes DIR/frame-NNN.png and DIR/keypoints.json)

The frames go through PNG (lossless) so both architectures score the very same
pixels: decoding a clip is not bit-identical across them (FFmpeg's and OpenCV's
colour conversion round differently on x86 and NEON), and the crop follows the
keypoints, so a one-level pixel difference would be compounded frame by frame.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from firmware_py.app.build import build_model
from firmware_py.pose.engine import PoseEngine
from firmware_py.sources import make_source
from firmware_py.system.cv import cv2


def poses(folder: str) -> tuple[str, list]:
    """(runtime, one pose per frame-*.png in ``folder``, tracked from frame to frame)."""
    model = build_model(os.environ.get("KNEECUE_MODEL"), threads=1)
    engine = PoseEngine(model)
    out = []
    for png in sorted(Path(folder).glob("frame-*.png")):
        rgb = cv2.cvtColor(cv2.imread(str(png)), cv2.COLOR_BGR2RGB)
        out.append(engine.estimate(rgb).round(3).tolist())
    return model.runtime, out


def main(clip: str, n: int, folder: str) -> None:
    Path(folder).mkdir(parents=True, exist_ok=True)
    with make_source(clip) as source:
        for i, frame in enumerate(source):
            if i == n:
                break
            cv2.imwrite(str(Path(folder) / f"frame-{i:03d}.png"), cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2BGR))
    runtime, found = poses(folder)
    with open(Path(folder) / "keypoints.json", "w") as f:
        json.dump({"clip": os.path.basename(clip), "runtime": runtime, "poses": found}, f)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
