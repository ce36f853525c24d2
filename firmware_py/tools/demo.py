"""``kneecue demo``: the live loop on the clip that ships with KneeCue, the lights and
buzzer drawn in the terminal as the athlete would see and hear them."""

from __future__ import annotations

import argparse
import sys


def cmd_demo(args: argparse.Namespace) -> int:
    from firmware_py.app.build import build_pipeline, model_for
    from firmware_py.cues.outputs import CueOutputs, make_pin_factory
    from firmware_py.loop.live import LiveLoop
    from firmware_py.loop.sinks import EventSink
    from firmware_py.sources import make_source
    from firmware_py.system.terminal import DEMO_CLIP, DEMO_CREDIT, TerminalLights
    from firmware_py.tools.analyze import rep_row, summary_text

    path = args.source or str(DEMO_CLIP)
    source = make_source(path, realtime=not args.fast)
    pipeline = build_pipeline(model_for(source, args))
    source.open()  # the loop takes it open, and closes it
    what = DEMO_CREDIT if args.source is None else path
    print(f"KneeCue demo: the live loop on {what}, default thresholds.\n"
          f"Each line is a change of the lights and buzzer the athlete sees and hears (Ctrl-C stops).")
    lights = TerminalLights(sys.stdout)
    with CueOutputs(pin_factory=make_pin_factory("mock")) as outputs:
        stats = LiveLoop(source, pipeline, outputs, sinks=[EventSink(lights, outputs)]).run()
    if stats.error is not None:
        raise stats.error
    reps = pipeline.scorer.reps
    print(f"\n{stats.frames} frames scored, {lights.changes} changes of the lights.")
    for rep in reps:
        print(rep_row(rep, feet=pipeline.feet is not None))
    print(summary_text(pipeline.scorer.summary()))
    print("On a Pi: `kneecue run` does the same with the camera, the real pins and the coach's console.")
    return 0
