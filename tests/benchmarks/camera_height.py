"""Can the thigh and shank tell a camera too high for frontal judgement (issue 25, item 5)?
The figures behind the answer (docs/judgement.md, "A camera looking down").

Usage: KNEECUE_MODEL_DIR=... KNEECUE_MEDIA_DIR=... python tests/benchmarks/camera_height.py [CLIP ...]
(default: every clip in $KNEECUE_MEDIA_DIR; photos have no standing frames and are skipped)

The geometry: a camera looking down at theta shows a segment tilted from vertical by
cos(tilt -+ theta) of its length.  A bent knee's thigh tilts phi toward the camera and its
shank beta away, so thigh over shank while flexed, over thigh over shank standing, is
R = cos(phi - theta) / cos(beta + theta): cos(phi) / cos(beta) <= 1 level (phi >= beta in a
squat or a landing deep enough to judge), well over 1 from above (theta 30, phi 45, beta 30:
1.93 against 0.82).  The rule measured here: MoveNet (lightning int8) and the scorer with the
default thresholds; each loaded leg's standing ratio is the median of its last 15 readings on
upright frames (the scorer's: no rep under way); a frame at least ``MIN_DEPTH`` leg lengths
deep (a rep's minimum depth) votes "high" when R (the loaded legs' geometric mean) is at least
``MAX_RISE`` = exp(2 x 0.09): the level bound 1 and twice the standing jitter; the votes are
then taken over 2 s as the placement check takes its own (raise at 60 %, clear at 30 %, at
least 8 votes, kept between squats).  Per clip:

* ``stand``: upright loaded-leg readings; ``jitter``: their SD in log about each leg's median
  (the larger leg's); ``ref``: the standing ratio the votes were taken against (median over
  the votes);
* ``votes``; ``R50``/``R90``: R's median and 90th percentile; ``yes``: share of votes >= MAX_RISE;
* ``raised``: share of frames the 2-s vote would have raised ``camera_high`` on.

It measures and asserts nothing.
"""

from __future__ import annotations

import math
import os
import statistics
import sys
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import firmware_py.core.scorer as scoring  # noqa: E402
from firmware_py.app.build import build_model, build_pipeline  # noqa: E402
from firmware_py.core import keypoints as kp  # noqa: E402
from firmware_py.core.placement import PlacementParams  # noqa: E402
from firmware_py.sources import make_source  # noqa: E402

MIN_DEPTH = 0.15  # leg lengths: RepParams.min_depth, Thresholds.rep_min_depth
MAX_RISE = round(math.exp(2 * 0.09), 2)  # 1.2
READINGS, MIN_READINGS = 15, 5
VIDEO = (".mp4", ".mov", ".gif")


class Vote:
    """The placement check's 2-s vote (core.placement.PlacementMonitor), for one problem kept
    between squats."""

    def __init__(self, p: PlacementParams = PlacementParams()) -> None:
        self.p, self.votes, self.raised = p, deque(), False

    def update(self, t: float, vote: bool | None) -> bool:
        self.votes.append((t, vote))
        while self.votes[0][0] <= t - self.p.window_s:
            self.votes.popleft()
        seen = [v for _, v in self.votes if v is not None]
        if len(seen) >= self.p.min_votes:
            share = sum(seen) / len(seen)
            self.raised = share > self.p.clear_fraction if self.raised else share >= self.p.raise_fraction
        return self.raised


def measure(model, path: Path) -> dict:
    bodies = []
    measure_flat = scoring.measure_flat

    def keep(*args, **kwargs):
        bodies.append(measure_flat(*args, **kwargs))
        return bodies[-1]

    pipeline = build_pipeline(model)
    reps = pipeline.scorer._reps
    readings = {s: deque(maxlen=READINGS) for s in ("left", "right")}
    standing = {"left": [], "right": []}
    rises, refs, frames, raised, vote = [], [], 0, 0, Vote()
    scoring.measure_flat = keep
    try:
        with make_source(str(path)) as source:
            for frame in source:
                depth = reps.depth  # what the scorer reads before this frame's rep update
                upright = depth < reps.params.start_depth
                score = pipeline.process(frame).score
                body, stance, logs = bodies[-1], score.metrics.get("stance"), []
                for side, (h, k, a) in kp.LEG.items():
                    if stance not in (side, "both") or not body.trusted(side):
                        continue
                    x, y = body.x, body.y
                    shank = math.hypot(x[k] - x[a], y[k] - y[a])
                    if not shank > 0:
                        continue
                    ratio = math.hypot(x[h] - x[k], y[h] - y[k]) / shank
                    if upright:
                        readings[side].append(ratio)
                        standing[side].append(math.log(ratio))
                    elif depth >= MIN_DEPTH and len(readings[side]) >= MIN_READINGS:
                        ref = statistics.median(readings[side])
                        logs.append(math.log(ratio / ref))
                        refs.append(ref)
                rise = math.exp(sum(logs) / len(logs)) if logs else None
                if rise is not None:
                    rises.append(rise)
                frames += 1
                raised += vote.update(frame.pts, None if rise is None else rise >= MAX_RISE)
    finally:
        scoring.measure_flat = measure_flat
    jitter = [statistics.pstdev([v - statistics.median(s) for v in s]) for s in standing.values() if len(s) >= 5]
    return {"stand": sum(len(s) for s in standing.values()), "jitter": max(jitter) if jitter else None,
            "ref": statistics.median(refs) if refs else None, "votes": len(rises),
            "r50": statistics.median(rises) if rises else None,
            "r90": statistics.quantiles(rises, n=10)[-1] if len(rises) >= 2 else None,
            "yes": sum(r >= MAX_RISE for r in rises) / len(rises) if rises else None,
            "raised": raised / frames if frames else 0.0}


def main(argv: list[str]) -> int:
    media = Path(os.environ["KNEECUE_MEDIA_DIR"])
    clips = argv or sorted(p.name for p in media.iterdir() if p.suffix.lower() in VIDEO)
    model = build_model(str(Path(os.environ["KNEECUE_MODEL_DIR"]) / "movenet_singlepose_lightning_int8.tflite"))
    print(f"MIN_DEPTH {MIN_DEPTH} leg lengths, MAX_RISE {MAX_RISE}")
    print(f"{'clip':56s} {'stand':>5s} {'jitter':>6s} {'ref':>5s} {'votes':>5s} {'R50':>5s} {'R90':>5s} "
          f"{'yes':>5s} {'raised':>6s}")

    def f(v, fmt):
        return "–" if v is None else format(v, fmt)
    for name in clips:
        m = measure(model, media / name)
        print(f"{name:56s} {m['stand']:5d} {f(m['jitter'], '6.3f')} {f(m['ref'], '5.2f')} {m['votes']:5d} "
              f"{f(m['r50'], '5.2f')} {f(m['r90'], '5.2f')} {f(m['yes'], '5.2f')} {m['raised']:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
