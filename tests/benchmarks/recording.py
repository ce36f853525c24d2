"""Recording's cost to the frame loop: per-frame time with session records on vs off.

Usage: python tests/benchmarks/recording.py CLIP [--passes 2] [--json]

Runs the loop's per-frame work (pipeline, pattern, pins, and with recording the
hand-over to the recorder) over the whole clip, alternating passes with and
without a Recorder (on, off, off, on, ...), each pass with a fresh scorer so the
same reps fail and the same clips get written.  The recorder's threads (ring,
session file, clip encoding) run meanwhile, so what they take from the loop on
this 2-core machine shows up in its time.  Decoding is outside the timing, as on
the Pi.  Prints the ratio of median per-frame times (the issue's bar: at most
1.05); asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPWMPin

from firmware_py.app.build import build_model, build_pipeline
from firmware_py.core.patterns import PatternSelector
from firmware_py.cues.outputs import CueOutputs
from firmware_py.loop.sinks import Outcome
from firmware_py.records.recorder import Recorder
from firmware_py.records.sessionfile import read_session, session_files
from firmware_py.sources import make_source


def one_pass(model, clip: str, outputs: CueOutputs, recorder: Recorder | None) -> list[float]:
    pipeline = build_pipeline(model)
    selector = PatternSelector(pipeline.scorer.mode.value)
    times = []
    with make_source(clip) as source:
        for frame in source:
            frame = dataclasses.replace(frame, t_ns=time.monotonic_ns())
            t0 = time.perf_counter_ns()
            result = pipeline.process(frame)
            score = result.score
            pattern = selector.select(score.t, level=score.cue.level,
                                      verdict=None if score.rep is None else score.rep.verdict)
            changed = outputs.play(pattern)
            if recorder is not None:
                recorder.on_frame(Outcome(frame, result, pattern, changed, time.monotonic_ns(), 0))
            times.append((time.perf_counter_ns() - t0) / 1e6)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip")
    ap.add_argument("--passes", type=int, default=2, help="passes each way (default 2)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    model = build_model(None)
    outputs = CueOutputs(pin_factory=MockFactory(pin_class=MockPWMPin))
    folder = Path(tempfile.mkdtemp(prefix="kneecue-recbench-"))
    on: list[float] = []
    off: list[float] = []
    clips = dropped = 0
    order = [True, False, False, True] * ((args.passes + 1) // 2)
    for i, recording in enumerate(order[:2 * args.passes]):
        recorder = None
        if recording:
            recorder = Recorder(folder / f"pass{i}", source=args.clip, describe=lambda: {})
        times = one_pass(model, args.clip, outputs, recorder)
        (on if recording else off).extend(times[5:])  # the first frames warm caches up
        if recorder is not None:
            recorder.close()
            dropped += recorder.ring.dropped
            clips += sum(len(read_session(p, trace=False).clips) for p in session_files(folder / f"pass{i}"))
    outputs.close()
    report = {
        "clip": Path(args.clip).name,
        "frames_per_pass": len(on) // args.passes + 5,
        "passes_each_way": args.passes,
        "off_median_ms": round(statistics.median(off), 3),
        "on_median_ms": round(statistics.median(on), 3),
        "off_mean_ms": round(statistics.fmean(off), 3),
        "on_mean_ms": round(statistics.fmean(on), 3),
        "off_p95_ms": round(statistics.quantiles(off, n=20)[-1], 3),
        "on_p95_ms": round(statistics.quantiles(on, n=20)[-1], 3),
        "clips_written": clips,
        "ring_frames_dropped": dropped,
    }
    report["ratio_median"] = round(report["on_median_ms"] / report["off_median_ms"], 4)
    report["ratio_mean"] = round(report["on_mean_ms"] / report["off_mean_ms"], 4)
    if args.json:
        print(json.dumps(report))
    else:
        print(f"recording: {report['clip']}, {report['frames_per_pass']} frames x {args.passes} passes each way; "
              f"{clips} clips written, {dropped} frames dropped by the replay ring")
        print(f"per-frame loop time, median: off {report['off_median_ms']:.2f} ms, on {report['on_median_ms']:.2f} ms"
              f" -> ratio {report['ratio_median']:.3f}; mean ratio {report['ratio_mean']:.3f}; p95 "
              f"{report['off_p95_ms']:.2f} -> {report['on_p95_ms']:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
