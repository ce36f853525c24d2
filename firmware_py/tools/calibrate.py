"""``kneecue calibrate``: the guided calibration the console runs (``calibrate``), run
from a terminal on the camera or a clip, and saved with the current athlete.

It is ``core.procedures.GuidedCalibration`` stepped over the frames, its notices
printed as the console prints them, with no countdown: whoever typed the command is
already standing where the camera sees them, or is filming a clip that starts so.
"""

from __future__ import annotations

import argparse
import sys

from firmware_py.errors import KneeCueError


def cmd_calibrate(args: argparse.Namespace) -> int:
    from firmware_py.app.build import build_pipeline, load_settings, model_for, state_folder
    from firmware_py.core.procedures import GuidedCalibration
    from firmware_py.cues.outputs import CueOutputs, make_pin_factory
    from firmware_py.device.config import save_config
    from firmware_py.loop.step import FrameStep
    from firmware_py.sources import make_source
    from firmware_py.wording import notice_text

    config = load_settings(args.state_dir)
    source = make_source(args.source)
    source.turn(config.rotation)  # the saved rotation, as the loop turns it: a camera upside down does 180 itself
    pipeline = build_pipeline(model_for(source, args), thresholds=config.thresholds)
    procedure = GuidedCalibration(countdown_s=0, duration_s=args.seconds, timeout_s=args.timeout,
                                  min_score=config.thresholds.min_score)
    problem = None

    def observe(result) -> str:  # the calibration reads the pose, as on the device's console
        nonlocal problem
        for notice in procedure.step(result.pose, result.score, result.feet):
            problem = notice.data.get("problem") or problem
            if notice.kind not in ("calibration_done", "calibration_failed"):  # the outcome is said below
                print(notice_text(notice), file=sys.stderr)
        return procedure.state

    with source, CueOutputs(config.pins, pin_factory=make_pin_factory(args.gpio)) as out:
        step = FrameStep(pipeline, observe=observe, show=out.play, rotation=config.rotation)
        for frame in source:
            step(frame)  # the pins show the calibrating pattern, as the device does
            if procedure.done:
                break
    cal = procedure.result
    if cal is None:
        why = problem.replace("_", " ") if problem else "not enough quiet standing"
        raise KneeCueError(f"calibration failed ({why}): it needs {args.seconds:g} s of still, two-footed "
                           f"standing with the whole body in view; nothing was saved")
    path = save_config(state_folder(args.state_dir), config.with_profile(calibration=cal))
    base = ", ".join(f"{side} {v:+.1f}°" for side, v in (("left", cal.fppa_baseline_left),
                                                          ("right", cal.fppa_baseline_right)) if v is not None)
    print(f"calibrated: camera roll {cal.roll_deg:+.1f}°, standing FPPA {base or 'not measured'}; saved to {path}")
    return 0
