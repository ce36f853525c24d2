"""The console's guided procedures: calibration and the tests (single-leg squat, ankle).

The commands only start or stop a procedure (``Device.start``/``cancel``); the frame
loop runs it, and its progress comes back to the console as notices.
"""

from __future__ import annotations

from typing import Any

from firmware_py.console.registry import Context, Reply, command, fail, usage
from firmware_py.core.ankle import AnkleTest
from firmware_py.core.defaults import CALIBRATION_S
from firmware_py.core.procedures import GuidedCalibration, SingleLegSquatTest
from firmware_py.core.vocabulary import ANKLE_TRIES, CALIBRATION_SECONDS, SLS_REPS
from firmware_py.device.state import Device


@command("calibrate [SECONDS|stop]", "guided calibration: the athlete stands still on both feet",
         "  a 3 s countdown, then SECONDS (default 3) of quiet standing; the amber light blinks.\n"
         "  The result is in use at once; 'save' keeps it with the athlete.", guarded=True)
def _calibrate(ctx: Context, args: list[str], now: float) -> Reply:
    dev = ctx.device
    if args and args[0].lower() == "stop":
        return _stop(dev, "calibrating", "calibration")
    if dev.mailbox.busy:
        return _busy(dev)
    try:
        seconds = float(args[0]) if args else CALIBRATION_S
    except ValueError:
        return usage("calibrate")
    fewest, most = CALIBRATION_SECONDS
    if len(args) > 1 or not fewest <= seconds <= most:
        return fail(f"calibrate takes {fewest:g} to {most:g} seconds of standing")
    if not dev.mailbox.start(GuidedCalibration(duration_s=seconds, min_score=dev.settings.config.thresholds.min_score)):
        return _busy(dev)
    return Reply(True, f"calibration starts on the next frame ({seconds:g} s of standing)", {"seconds": seconds})


@command("test sls|ankle left|right [N] | test stop", "the guided tests: single-leg squat, ankle (knee to wall)",
         "  sls: hands on hips, squat about halfway down and back up, N reps (default 5); a rep fails when\n"
         "  the knee goes inward, the hands leave the hips, the trunk sways or balance is lost (Ugalde 2015).\n"
         "  ankle: camera at the athlete's side, the tested foot forward; bend the knee toward the wall\n"
         "  as far as the heel stays down, N tries (default 3); the shin angle with the heel down\n"
         "  against ankle_min_shin_deg, and the difference from the other leg's last result.\n"
         "  The lights blink green and amber while a test runs; results print per rep or try and overall.",
         guarded=True, looks=True)
def _test(ctx: Context, args: list[str], now: float) -> Reply:
    dev = ctx.device
    words = [a.lower() for a in args]
    if words == ["stop"]:
        return _stop(dev, "testing", "test")
    if not words:
        return Reply(True, f"running: {dev.mailbox.busy}" if dev.mailbox.busy else "no test is running", {"procedure": dev.mailbox.busy})
    if words[0] not in ("sls", "ankle") or len(words) not in (2, 3) or words[1] not in ("left", "right"):
        return usage("test")
    kind, leg = words[0], words[1]
    fewest, most = SLS_REPS if kind == "sls" else ANKLE_TRIES
    try:
        count = int(words[2]) if len(words) == 3 else (5 if kind == "sls" else 3)
    except ValueError:
        count = 0
    if not fewest <= count <= most:
        return fail(f"N is a whole number, {fewest} to {most}")
    th = dev.settings.config.thresholds
    if kind == "sls":
        procedure: Any = SingleLegSquatTest(leg, count)
        what = f"{leg} leg, {count} reps"
    else:
        other = dev.mailbox.tests.get(f"ankle {'right' if leg == 'left' else 'left'}")
        procedure = AnkleTest(leg, min_shin_deg=th.ankle_min_shin_deg, attempts=count, min_score=th.min_score,
                              other=None if other is None else other.get("shin_deg"))
        what = f"ankle, {leg} leg, {count} tries"
    if not dev.mailbox.start(procedure):
        return _busy(dev)
    return Reply(True, f"test starts on the next frame: {what}", {"test": kind, "leg": leg, "count": count})


def _stop(dev: Device, state: str, noun: str) -> Reply:
    if dev.mailbox.busy != state:
        return fail(f"no {noun} is running")
    dev.mailbox.cancel()
    return Reply(True, f"stopping the {noun}")


def _busy(dev: Device) -> Reply:
    """Only one procedure at a time: say which runs and how to stop it."""
    stop = "calibrate stop" if dev.mailbox.busy == "calibrating" else "test stop"
    return fail(f"{dev.mailbox.busy} is running: '{stop}' first")
