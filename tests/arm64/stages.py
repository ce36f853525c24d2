"""Where the scoring's instructions go, stage by stage: `tests/arm64/run --bench --stages`.

Usage: stages.py record CLIP N OUT   (x86: the model's poses of N frames of CLIP, as JSON)
       stages.py count POSES         (guest, under icount.c: prints the stage names in
                                      region order; the plugin prints the counts)

The same poses are scored twice by a fresh Scorer: once with only ``Scorer.update``
bracketed (region 0, the figure ``--bench`` reports as scoring), once with each stage
(the method of the scorer's collaborator that does it) wrapped so that its calls are
bracketed with the plugin's marker, region 1 on.  The last region brackets calls of a
wrapped no-op: what wrapping and marking cost, which the lane subtracts from every call.
Recorded poses keep the model out of the count and make it quick (no emulated invoke).
"""

from __future__ import annotations

import ctypes
import json
import sys

from firmware_py.core import scorer as scoring
from firmware_py.core.cue import CueTracker
from firmware_py.core.placement import PlacementMonitor
from firmware_py.core.reps import RepCounter
from firmware_py.core.smoothing import PoseSmoother
from firmware_py.core.stance import StanceTracker
from firmware_py.core.validity import UprightLengths

MARK = 0x4B51  # icount.c
# (name, owner, attribute): owner.attribute is wrapped; functions the scorer imported
# by name are wrapped in the scorer's module.
STAGES = (
    ("smoothing (One Euro, 12 keypoints)", PoseSmoother, "smooth"),
    ("measuring the pose (levelling, chain gate)", scoring, "measure_flat"),
    ("stance", StanceTracker, "update_body"),
    ("metrics", scoring, "metrics_from_body"),
    ("camera placement vote", PlacementMonitor, "update_body"),
    ("cue decision", CueTracker, "update"),
    ("reps", RepCounter, "update"),
    ("upright lengths (validity gates)", UprightLengths, "update"),
    ("turn vote", scoring, "turn_vote"),
)
NOOP = len(STAGES) + 1


def record(clip: str, n: int, out: str) -> None:
    import os

    from firmware_py.app.build import build_model
    from firmware_py.pose.engine import PoseEngine
    from firmware_py.sources import make_source

    engine = PoseEngine(build_model(os.environ.get("KNEECUE_MODEL"), threads=1))
    frames = []
    with make_source(clip) as source:
        for frame in source:
            if len(frames) == n:
                break
            h, w = frame.rgb.shape[:2]
            frames.append([frame.index, frame.pts, w, h, engine.estimate(frame.rgb).tolist()])
    with open(out, "w") as f:
        json.dump(frames, f)


def count(poses: str) -> None:
    import numpy as np

    syscall = ctypes.CDLL(None, use_errno=True).syscall
    syscall.argtypes = (ctypes.c_long, ctypes.c_long, ctypes.c_long)

    def bracketed(region: int, fn):
        def call(*args, **kwargs):
            syscall(MARK, region, 1)
            try:
                return fn(*args, **kwargs)
            finally:
                syscall(MARK, region, 0)
        return call

    with open(poses) as f:
        frames = [(i, t, (w, h), np.array(p)) for i, t, w, h, p in json.load(f)]

    def play(scorer: scoring.Scorer) -> None:
        for i, t, size, pose in frames:
            scorer.update(pose, i, t, size)

    update = scoring.Scorer.update
    scoring.Scorer.update = bracketed(0, update)
    play(scoring.Scorer())
    scoring.Scorer.update = update
    for region, (_, owner, name) in enumerate(STAGES, 1):
        setattr(owner, name, bracketed(region, getattr(owner, name)))
    play(scoring.Scorer())
    noop = bracketed(NOOP, lambda *args: None)
    for _ in frames:
        noop(None)
    names = ["scoring (Scorer.update)"] + [name for name, _, _ in STAGES] + ["(wrapping and marking)"]
    for region, name in enumerate(names):
        print(f"stage {region}: {name}")


if __name__ == "__main__":
    if sys.argv[1] == "record":
        record(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        count(sys.argv[2])
