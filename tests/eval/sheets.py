"""Contact sheets for labelling clips by eye: leg crops every STEP frames, frame number stamped.

    .venv/bin/python tests/eval/sheets.py CLIP STEP OUTPREFIX [PER_SHEET] [FIRST] [LAST] [--full]

Writes OUTPREFIX_00.png, _01.png, ... (8 columns).  The crop is framed around the hips,
knees and ankles MoveNet finds, but nothing is measured or drawn: labels must come from
the pictures (see labels.csv).  ``--full`` shows whole frames instead, for context.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np

from firmware_py.pose.engine import PoseEngine
from firmware_py.pose.modelfiles import find_model
from firmware_py.pose.movenet import MoveNet
from firmware_py.sources import make_source
from firmware_py.system.cv import cv2

TILE_W, TILE_H, COLS = 320, 360, 8


def tile(rgb: np.ndarray, pose: np.ndarray, index: int, full: bool) -> np.ndarray:
    h, w = rgb.shape[:2]
    legs = pose[11:17][pose[11:17, 2] > 0.2]
    if len(legs) >= 3 and not full:
        (x0, y0), (x1, y1) = legs[:, :2].min(0), legs[:, :2].max(0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + 0.05 * (y1 - y0)
        s = max(x1 - x0, y1 - y0) * 0.65 + 20
    else:
        cx, cy, s = w / 2, h / 2, max(w, h) / 2
    crop = rgb[int(max(0, cy - s)):int(min(h, cy + 1.1 * s)), int(max(0, cx - s)):int(min(w, cx + s))]
    crop = cv2.resize(crop, (TILE_W, max(1, int(TILE_W * crop.shape[0] / max(1, crop.shape[1])))))[:TILE_H]
    out = np.full((TILE_H, TILE_W, 3), 255, np.uint8)
    out[:crop.shape[0]] = crop
    out = cv2.cvtColor(out, cv2.COLOR_RGB2BGR)
    cv2.putText(out, str(index), (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 255), 2)
    return out


def main(argv: list[str]) -> int:
    full = "--full" in argv
    args = [a for a in argv if a != "--full"]
    if len(args) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    clip, step, prefix = args[0], int(args[1]), args[2]
    per_sheet = int(args[3]) if len(args) > 3 else 40
    first = int(args[4]) if len(args) > 4 else 0
    last = int(args[5]) if len(args) > 5 else 10**9
    engine = PoseEngine(MoveNet(find_model(None)))
    tiles = []
    with make_source(clip) as source:
        for frame in source:
            pose = engine.estimate(frame.rgb)  # every frame, so the crop keeps following
            if first <= frame.index <= last and frame.index % step == 0:
                tiles.append(tile(frame.rgb, pose, frame.index, full))
    for n in range(0, len(tiles), per_sheet):
        chunk = tiles[n:n + per_sheet]
        rows = math.ceil(len(chunk) / COLS)
        sheet = np.full((rows * TILE_H, COLS * TILE_W, 3), 255, np.uint8)
        for j, t in enumerate(chunk):
            r, c = divmod(j, COLS)
            sheet[r * TILE_H:(r + 1) * TILE_H, c * TILE_W:(c + 1) * TILE_W] = t
        cv2.imwrite(f"{prefix}_{n // per_sheet:02d}.png", sheet)
    print(f"{os.path.basename(clip)}: {len(tiles)} frames on {math.ceil(len(tiles) / per_sheet)} sheet(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
