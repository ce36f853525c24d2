"""Each foot model's turn-out: repeatability, lite against full, and the change from
standing to the bottom of a squat on feet the eye sees stay put.

Usage: python tests/benchmarks/turnout.py [CLIP ...] [--json]
(default: the shared frontal squat clips in $KNEECUE_MEDIA_DIR)

Runs ``kneecue analyze --json --feet lite`` and ``--feet full`` on each clip and, per
foot, prints:

* ``stand``: the median turn-out (+ toes out, degrees) over the frames before the first
  rep (the scorer's ``standing`` phase, both feet down);
* ``jitter``: frame-to-frame repeatability there, the RMS of successive differences
  over sqrt 2 (the SD of one reading if the foot is still);
* ``bottom``: the median over the frames within 5 of each rep's deepest frame, and
  ``change``, bottom minus stand: on a squat whose frames show the feet planted, the
  change is the reading's own error with knee flexion (the artefact an "ankle"
  explanation must clear);
* ``lite-full``: the two models' standing medians apart.

The eye's reading of the same feet is in docs/feet.md (and tests/eval/patterns.csv's
notes); this script measures, it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
from pathlib import Path

CLIPS = (
    "lnc_overhead_squat_frontal_bad_IMG_7029.mov",
    "lnc_overhead_squat_frontal_bad_IMG_7037.mov",
    "lnc_overhead_squat_frontal_good_IMG_7035.mov",
    "lnc_overhead_squat_frontal_good_IMG_7054.mov",
    "tfjs_bodyweight_squats_band_frontal.mp4",
)
MODELS = ("lite", "full")
NEAR_BOTTOM = 5  # frames either side of a rep's deepest frame


def records(clip: Path, model: str) -> list[dict]:
    cmd = [sys.executable, "-m", "firmware_py", "analyze", str(clip), "--json", "--feet", model,
           "--set", "drill=squat"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def jitter(values: list[float]) -> float | None:
    diffs = [b - a for a, b in zip(values, values[1:])]
    return math.sqrt(sum(d * d for d in diffs) / len(diffs) / 2) if diffs else None


def feet(recs: list[dict]) -> dict[str, dict[str, float | None]]:
    frames = [r for r in recs if "frame" in r and "metrics" in r]
    reps = [r["rep"] for r in recs if "rep" in r]
    first_rep = min((rep["start_frame"] for rep in reps), default=None)
    bottoms = [rep["bottom_frame"] for rep in reps]
    out = {}
    for side in ("left", "right"):
        key = "foot_turnout_" + side
        stand = [f["metrics"][key] for f in frames
                 if f["metrics"].get(key) is not None and f.get("phase") == "standing"
                 and (first_rep is None or f["frame"] < first_rep)]
        bottom = [f["metrics"][key] for f in frames if f["metrics"].get(key) is not None
                  and any(abs(f["frame"] - b) <= NEAR_BOTTOM for b in bottoms)]
        s = statistics.median(stand) if stand else None
        b = statistics.median(bottom) if bottom else None
        out[side] = {"depth": max((rep["depth"] for rep in reps), default=None), "stand": s, "stand_n": len(stand), "jitter": jitter(stand), "bottom": b,
                     "bottom_n": len(bottom), "change": None if s is None or b is None else b - s}
    return out


def _f(v: float | None) -> str:
    return "    --" if v is None else f"{v:+6.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", nargs="*")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    media = Path(os.environ.get("KNEECUE_MEDIA_DIR", "../shared/media"))
    clips = [Path(c) for c in args.clips] or [media / c for c in CLIPS]
    result = {c.name: {m: feet(records(c, m)) for m in MODELS} for c in clips}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{'clip':46} {'foot':5} {'model':5} {'stand':>6} {'n':>3} {'jitter':>6} {'bottom':>6} {'change':>6}"
          f" {'lite-full':>9} {'depth':>5}")
    for name, by_model in result.items():
        for side in ("left", "right"):
            lite, full = by_model["lite"][side], by_model["full"][side]
            apart = None if lite["stand"] is None or full["stand"] is None else lite["stand"] - full["stand"]
            for model in MODELS:
                r = by_model[model][side]
                print(f"{name[:46]:46} {side:5} {model:5} {_f(r['stand'])} {r['stand_n']:3d} {_f(r['jitter'])}"
                      f" {_f(r['bottom'])} {_f(r['change'])} {_f(apart) if model == 'lite' else '':>9}"
                      f" {r['depth'] or 0:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
