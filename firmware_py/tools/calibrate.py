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
    from firmware_py.app.build import build_engine, load_settings, model_for, state_folder
    from firmware_py.core.procedures import GuidedCalibration
    from firmware_py.cues.outputs import CueOutputs, make_pin_factory
    from firmware_py.device.config import save_config
    from firmware_py.sources import make_source
    from firmware_py.sources.rotation import rotated
    from firmware_py.wording import notice_text

    config = load_settings(args.state_dir)
    source = make_source(args.source)
    source.turn(config.rotation)  # the saved rotation, as the loop turns it: a camera upside down does 180 itself
    engine = build_engine(model_for(source, args))
    procedure = GuidedCalibration(countdown_s=0, duration_s=args.seconds, timeout_s=args.timeout)
    problem = None
    with source, CueOutputs(config.pins, pin_factory=make_pin_factory(args.gpio)) as out:
        out.play("calibrating")
        for frame in source:
            frame = rotated(frame, config.rotation)
            for notice in procedure.update(engine.pose_of(frame), frame.pts):
                problem = notice.data.get("problem") or problem
                if notice.kind not in ("calibration_done", "calibration_failed"):  # the outcome is said below
                    print(notice_text(notice), file=sys.stderr)
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
