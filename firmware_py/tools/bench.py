"""``kneecue bench``: where the time per frame goes, against the bare model invoke.

The machine this runs on is shared and noisy, so the headline is a ratio measured
in one run on the same frames: the per-frame pipeline (a decoded frame in memory
→ metrics, decode excluded, as on the Pi where the camera hands over raw frames)
over the bare ``invoke()``.  The two are interleaved, alternating which goes first,
so drift in machine load hits both alike.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import time
from typing import Iterator

import numpy as np

from firmware_py.loop.pipeline import STAGES, Pipeline
from firmware_py.loop.step import FrameStep
from firmware_py.sources.base import Frame, FrameSource
from firmware_py.sources.rotation import rotated
from firmware_py.system.cv import cv2
from firmware_py.system.jsonedge import dumps

WARMUP = 5


def synthetic_frames(count: int, size: tuple[int, int] = (1280, 720)) -> Iterator[tuple[Frame, float | None]]:
    """A stick figure squatting on a grey background, for benching without footage."""
    w, h = size
    base = np.full((h, w, 3), 96, np.uint8)
    for i in range(count):
        img = base.copy()
        dip = int(60 * (1 - np.cos(2 * np.pi * i / 60)) / 2)
        cx, hip_y = w // 2, h // 2 + dip
        pts = {
            "head": (cx, hip_y - 260), "neck": (cx, hip_y - 200), "lhip": (cx + 45, hip_y),
            "rhip": (cx - 45, hip_y), "lknee": (cx + 55, hip_y + 150 - dip // 2),
            "rknee": (cx - 40, hip_y + 150 - dip // 2), "lank": (cx + 55, h - 60), "rank": (cx - 55, h - 60),
        }
        for a, b in (("neck", "lhip"), ("neck", "rhip"), ("lhip", "rhip"), ("lhip", "lknee"),
                     ("lknee", "lank"), ("rhip", "rknee"), ("rknee", "rank")):
            cv2.line(img, pts[a], pts[b], (230, 200, 180), 18)
        cv2.circle(img, pts["head"], 45, (230, 200, 180), -1)
        yield Frame(i, time.monotonic_ns(), img, i / 30.0), None


def file_frames(source: FrameSource, count: int) -> Iterator[tuple[Frame, float]]:
    with source:
        for _ in range(count):
            t0 = time.perf_counter_ns()
            frame = source.read()
            if frame is None:
                return
            yield frame, (time.perf_counter_ns() - t0) / 1e6


def _stats(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=np.float64)
    return {"median_ms": round(float(np.median(arr)), 4), "p95_ms": round(float(np.percentile(arr, 95)), 4)}


def run_bench(pipeline: Pipeline, frames: Iterator[tuple[Frame, float | None]], outputs=None,
              rotation: int = 0) -> dict:
    """Time every stage; with ``outputs`` (a CueOutputs) also capture → pin latency;
    with ``rotation`` the frames are turned first, as the loop does for a turned camera
    (its own ``rotate`` stage, counted in the pipeline).

    Latency runs from the frame's hand-over (its timestamp is taken just before the
    pipeline starts, as a live camera's frame arrives) to the return of the pin write.
    """
    model = pipeline.engine.model
    step = FrameStep(pipeline, show=None if outputs is None else outputs.play, rotation=rotation)
    laps: dict[str, list[float]] = {name: [] for name in ("decode", "rotate", *STAGES, "pipeline", "bare_invoke")}
    latency: list[float] = []
    mark = [0]

    def lap(stage: str) -> None:
        now = time.perf_counter_ns()
        laps[stage].append((now - mark[0]) / 1e6)
        mark[0] = now
        if stage == "scoring":  # the pipeline's end: what follows is the pattern and the pins
            laps["pipeline"].append((now - start[0]) / 1e6)

    def bare() -> float:
        t0 = time.perf_counter_ns()
        model.invoke()
        return (time.perf_counter_ns() - t0) / 1e6

    n, start = 0, [0]
    for frame, decode_ms in frames:
        if n == WARMUP:
            for values in (*laps.values(), latency):
                values.clear()
        if decode_ms is not None:
            laps["decode"].append(decode_ms)
        bare_first = n % 2 == 1
        if bare_first:  # same input the pipeline is about to build
            upright = rotated(frame, rotation).rgb
            pipeline.engine.prepare(upright, pipeline.engine.region_for(upright))
            laps["bare_invoke"].append(bare())
        frame = dataclasses.replace(frame, t_ns=time.monotonic_ns())
        start[0] = mark[0] = time.perf_counter_ns()
        outcome = step(frame, lap=lap)  # the one frame step the device runs
        if outputs is not None:
            latency.append((outcome.decided_ns - outcome.result.t_ns) / 1e6)
        if not bare_first:
            laps["bare_invoke"].append(bare())
        n += 1
    if n <= WARMUP:
        raise ValueError(f"bench needs more than {WARMUP} frames, got {n}")
    stages = {name: _stats(v) for name, v in laps.items() if v}
    report = {
        "frames": n - WARMUP,
        "model": model.path.name,
        "runtime": model.runtime,
        "threads": model.num_threads,
        "stages": stages,
        "bare_invoke_median_ms": stages["bare_invoke"]["median_ms"],
        "pipeline_median_ms": stages["pipeline"]["median_ms"],
        "scoring_median_us": round(stages["scoring"]["median_ms"] * 1000, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    report["ratio"] = round(report["pipeline_median_ms"] / report["bare_invoke_median_ms"], 4)
    if latency:
        lat = _stats(latency)
        report["latency_median_ms"], report["latency_p95_ms"] = lat["median_ms"], lat["p95_ms"]
        report["latency_over_invoke_ms"] = round(lat["median_ms"] - report["bare_invoke_median_ms"], 3)
    return report


def format_report(report: dict, source_name: str) -> str:
    lines = [
        f"kneecue bench: {source_name}, {report['frames']} frames, {report['model']} on "
        f"{report['runtime']} ({report['threads']} threads)",
        f"{'stage':<14}{'median ms':>11}{'p95 ms':>10}",
    ]
    for name, s in report["stages"].items():
        lines.append(f"{name:<14}{s['median_ms']:>11.3f}{s['p95_ms']:>10.3f}")
    lines.append(f"scoring median: {report['scoring_median_us']:.1f} µs per frame")
    lines.append(f"pipeline / bare invoke: {report['ratio']:.3f}  (peak RSS {report['peak_rss_mb']:.0f} MB)")
    if "feet" in report:
        lines.append(f"foot stage ({report['feet']['model']}) on its own thread throughout: "
                     f"{report['feet']['readings']} foot readings")
    if "latency_median_ms" in report:
        lines.append(f"capture → pin latency: median {report['latency_median_ms']:.2f} ms, p95 "
                     f"{report['latency_p95_ms']:.2f} ms ({report['latency_over_invoke_ms']:+.2f} ms over the bare invoke)")
    return "\n".join(lines)


def cmd_bench(args: argparse.Namespace) -> int:
    from firmware_py.app.build import build_foot_stage, build_model, build_pipeline
    from firmware_py.sources import make_source

    if args.landing:
        return _landing(args)

    if args.path:
        frames = file_frames(make_source(args.path), args.frames)
    else:
        frames = synthetic_frames(args.frames)
    from firmware_py.core.settings import Thresholds
    from firmware_py.cues.outputs import CueOutputs, make_pin_factory

    feet = build_foot_stage(args.feet, threaded=True, runtime=args.runtime)
    pipeline = build_pipeline(build_model(args.model, threads=args.threads, runtime=args.runtime), feet=feet,
                              thresholds=Thresholds().with_value("drill", args.drill))
    try:
        with CueOutputs(pin_factory=make_pin_factory("mock")) as outputs:
            report = run_bench(pipeline, frames, outputs, rotation=args.rotate)
    finally:
        if feet is not None:
            feet.close()
    report["source"] = args.path or "synthetic"
    report["drill"] = args.drill
    if feet is not None:
        report["feet"] = {"model": args.feet, "readings": feet.readings}
    print(dumps(report, compact=False) if args.json else format_report(report, report["source"]))
    return 0


def _landing(args: argparse.Namespace) -> int:
    from firmware_py.app.build import build_model
    from firmware_py.errors import KneeCueError
    from firmware_py.tools.landingbench import PI_FRAME_MS, format_landing_report, run_landing_bench

    if not args.path:
        raise KneeCueError("bench --landing needs a clip with landings, e.g. the shared hop clip")
    speeds = {}
    for item in args.frame_ms:
        name, _, ms = item.partition("=")
        try:
            speeds[name] = float(ms)
        except ValueError:
            raise KneeCueError(f"--frame-ms {item!r}: give NAME=MS, e.g. pi4=68") from None
        if not name or not 1.0 <= speeds[name] <= 1000.0:
            raise KneeCueError(f"--frame-ms {item!r}: a name and from 1 to 1000 ms")
    drill = args.drill if args.drill in ("hop", "land") else "hop"
    report = run_landing_bench(args.path, build_model(args.model, threads=args.threads, runtime=args.runtime),
                               drill, speeds or dict(PI_FRAME_MS))
    print(dumps(report, compact=False) if args.json else format_landing_report(report))
    return 0
