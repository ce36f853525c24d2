"""Instruction budget regions, run by `tests/arm64/run --bench` under QEMU with icount.c.

Usage (guest python): budget.py CLIP [--frames N] [--warmup W] [--feet N]

W defaults to 20 frames: CPython 3.11 specialises each bytecode only after it has run
a few times, and with 2 frames of warm-up the scoring's count included that warm-up of
code that runs once a frame (the same code read 0.34 M after 2 frames, 0.31 M after 20;
the stage table's 200-frame average agrees with the latter).

Brackets, for each of N frames after W warm-up frames, with the marker system call
the plugin watches: 1 the bare ``invoke()`` (on the input the pipeline builds for
that frame), 2 the whole per-frame pipeline (crop/resize, invoke, keypoint
decoding, metrics, cue decision and pattern), 3 the scoring alone (smoothing,
metrics, stance, cue, reps), and 4 an empty bracket: what the marking costs, which
the lane subtracts.  With ``--feet N``, 5 and 6 bracket N invokes of the BlazePose
landmark model, lite and full (the foot stage's cost per reading, on the pose of
the same frame).  The models run on one thread so the count is exact.
Frames are decoded before the regions.  Prints nothing the lane reads; the plugin
prints the counts at exit.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os

from firmware_py.app import build_model, build_pipeline
from firmware_py.core.patterns import PatternSelector
from firmware_py.sources import make_source

MARK = 0x4B51  # icount.c
BARE, PIPELINE, SCORING, EMPTY = 1, 2, 3, 4  # EMPTY: a bracket around nothing, what marking itself costs
FEET_LITE, FEET_FULL = 5, 6
_syscall = ctypes.CDLL(None, use_errno=True).syscall
_syscall.argtypes = (ctypes.c_long, ctypes.c_long, ctypes.c_long)


def mark(region: int, start: bool) -> None:
    _syscall(MARK, region, 1 if start else 0)  # ENOSYS; the plugin has counted it


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("clip")
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--feet", type=int, default=0, help="foot-model invokes to count (lite and full)")
    args = ap.parse_args()
    feet = {}
    if args.feet:
        from firmware_py.pose.blazepose import FootModel
        from firmware_py.pose.modelfiles import find_model

        feet = {FEET_LITE: FootModel(find_model(name="blazepose-lite"), num_threads=1),
                FEET_FULL: FootModel(find_model(name="blazepose-full"), num_threads=1)}
    model = build_model(os.environ.get("KNEECUE_MODEL"), threads=1)
    pipeline = build_pipeline(model)
    selector = PatternSelector(pipeline.scorer.mode.value)
    engine = pipeline.engine

    def lap(stage: str) -> None:
        if counting and stage == "keypoints":
            mark(SCORING, True)
        elif counting and stage == "scoring":
            mark(SCORING, False)

    with make_source(args.clip) as source:
        for i, frame in enumerate(source):
            if i >= args.warmup + args.frames:
                break
            counting = i >= args.warmup
            gc.collect()  # each frame starts with an empty young generation, wherever the last one left it
            engine.prepare(frame.rgb, engine.region_for(frame.rgb))  # the input this frame's pipeline builds
            if counting:
                mark(BARE, True)
            model.invoke()
            if counting:
                mark(BARE, False)
                mark(PIPELINE, True)
            result = pipeline.process(frame, lap)
            score = result.score
            selector.select(score.t, level=score.cue.level,
                            verdict=None if score.rep is None else score.rep.verdict)
            if counting:
                mark(PIPELINE, False)
                mark(EMPTY, True)
                mark(EMPTY, False)
                for region, foot in feet.items():
                    if i < args.warmup + args.feet:
                        mark(region, True)
                        foot.feet(frame.rgb, result.pose)
                        mark(region, False)
            elif feet:
                for foot in feet.values():  # warm-up: first-invoke allocations are not the steady cost
                    foot.feet(frame.rgb, result.pose)
    print(f"budget: {args.frames} frames on {model.runtime}")


if __name__ == "__main__":
    main()
