"""Instruction budget regions, run by `tests/arm64/run --bench` under QEMU with icount.c.

Usage (guest python): budget.py CLIP [--frames N] [--warmup W] [--feet N] [--beside]

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
the same frame).  With ``--beside``, 7 brackets the whole per-frame pipeline again
with the foot stage on its own thread beside it (lite): the cue path while the foot
stage runs.  The counter
is one for all threads, so the foot thread is held at its model lock through each
bracket (it wakes, takes the frame and waits: those few instructions are counted)
and reads the frame between brackets, so every frame is scored with a fresh reading.
The models run on one thread so the count is exact.  8 brackets a landing burst's frame
(``loop.burst``: the ring's half-size copy of the frame, the pose on the burst's own
engine, the measuring for the landing) and 9 the ring's copy alone, which the capture
thread makes of every frame the camera delivers while a landing drill runs.
Frames are decoded before the regions.  Prints nothing the lane reads; the plugin
prints the counts at exit.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import sys
import time

from firmware_py.app.build import build_model, build_pipeline
from firmware_py.core.landing import Landing
from firmware_py.core.patterns import PatternSelector
from firmware_py.loop.burst import FrameRing
from firmware_py.pose.engine import PoseEngine
from firmware_py.sources import make_source

MARK = 0x4B51  # icount.c
BARE, PIPELINE, SCORING, EMPTY = 1, 2, 3, 4  # EMPTY: a bracket around nothing, what marking itself costs
FEET_LITE, FEET_FULL, PIPELINE_WITH_FEET = 5, 6, 7
BURST_FRAME, RING_ADD = 8, 9
# Warm-up of the pipeline with the foot stage: the code it shares with the first
# pipeline is warm already; its own (the foot metrics) specialises within a few frames.
BESIDE_WARMUP = 8
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
    ap.add_argument("--beside", action="store_true", help="also count the pipeline with the foot stage beside it")
    args = ap.parse_args()
    feet = {}
    if args.feet:
        from firmware_py.pose.blazepose import FootModel
        from firmware_py.pose.modelfiles import find_model

        feet = {FEET_LITE: FootModel(find_model(name="blazepose-lite"), num_threads=1),
                FEET_FULL: FootModel(find_model(name="blazepose-full"), num_threads=1)}
    model = build_model(os.environ.get("KNEECUE_MODEL"), threads=1)
    pipeline = build_pipeline(model)
    beside = None  # the pipeline with the foot stage on its thread
    if args.beside:
        from firmware_py.pose.blazepose import FootModel
        from firmware_py.pose.feetstage import FootStage
        from firmware_py.pose.modelfiles import find_model


        stage = FootStage(FootModel(find_model(name="blazepose-lite"), num_threads=1), threaded=True)
        beside = build_pipeline(build_model(os.environ.get("KNEECUE_MODEL"), threads=1), feet=stage)
    selector = PatternSelector(pipeline.scorer.mode.value)
    engine = pipeline.engine
    ring = FrameRing()
    ring.enabled = True
    burst_engine = PoseEngine(model.twin())
    measured = pipeline.scorer.landing_frames(Landing(0, "right", 0, 0.0, 0, 0.0))

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
                burst_frame(ring, frame, engine, burst_engine, measured)
                for region, foot in feet.items():
                    if i < args.warmup + args.feet:
                        mark(region, True)
                        foot.feet(frame.rgb, result.pose)
                        mark(region, False)
            elif feet and i >= args.warmup - 2:
                for foot in feet.values():  # warm-up: first-invoke allocations are not the steady cost
                    foot.feet(frame.rgb, result.pose)
            if beside is not None and i >= args.warmup - BESIDE_WARMUP:
                with_feet(beside, frame, counting)
    if beside is not None:
        beside.feet.close()
    print(f"budget: {args.frames} frames on {model.runtime}")


def burst_frame(ring, frame, engine, burst_engine, measured) -> None:
    """One frame as a landing's burst reads it (see the module docstring)."""
    gc.collect()
    mark(RING_ADD, True)
    ring.add(frame)
    mark(RING_ADD, False)
    gc.collect()
    mark(BURST_FRAME, True)
    ring.add(frame)
    kept, shrink = ring.between(frame.pts, frame.pts)[-1]
    pose = burst_engine.adopt(engine, kept.rgb, 1.0 / shrink).pose_of(kept)
    pose[:, :2] = pose[:, :2] * shrink + (shrink - 1) / 2
    measured.add(pose, frame.index, frame.pts)
    mark(BURST_FRAME, False)


def with_feet(pipeline, frame, counting: bool) -> None:
    """One frame of the pipeline with its foot stage: the foot thread is held at its
    model lock while the frame is bracketed, then reads the frame before the next."""
    stage = pipeline.feet
    done = stage.readings
    gc.collect()
    with stage._model_lock:
        if counting:
            mark(PIPELINE_WITH_FEET, True)
        pipeline.process(frame)
        if counting:
            mark(PIPELINE_WITH_FEET, False)
    deadline = time.monotonic() + 120.0  # a foot reading under QEMU takes seconds
    while stage.readings == done and not stage.history.count(frame.index) and time.monotonic() < deadline:
        time.sleep(0.005)
    if stage.readings == done:
        print(f"budget: no foot reading of frame {frame.index} (the next frame's count is without one)",
              file=sys.stderr)


if __name__ == "__main__":
    main()
