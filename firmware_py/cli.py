"""The ``kneecue`` command: argument parsing and one clear line per error.

Every failure a user can cause (missing model, bad file, unreadable video) is a
KneeCueError and ends as ``kneecue: error: ...`` with exit status 1; bad usage (an
unknown option, a number out of its range) is one line too, with argparse's exit
status 2.  Each number an option takes is checked where the option is declared.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from firmware_py import __version__
from firmware_py.core.defaults import CALIBRATION_S
from firmware_py.core.vocabulary import CALIBRATION_SECONDS, DRILL_CHOICES, MODES
from firmware_py.errors import KneeCueError


class _Parser(argparse.ArgumentParser):
    """argparse, saying a mistake in one line (and where the options are), not its usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} ('{self.prog} --help' lists the options)\n")


def number(kind: type, low: float | str, high: float | None = None, unit: str = ""):
    """An argparse type: a finite ``kind`` (int or float) from ``low`` to ``high``, or in
    the (low, high) pair a module declares, named ``"module:NAME"`` and read only when
    the option is given (so ``kneecue --help`` imports nothing)."""
    def parse(text: str):
        lo, hi = low, high
        if isinstance(lo, str):
            module, _, name = lo.partition(":")
            lo, hi = getattr(importlib.import_module(module), name)
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{'a whole number' if kind is int else 'a number'} "
                                             f"{lo:.10g} to {hi:.10g}{unit} is needed, got {text!r}") from None
        if not lo <= value <= hi:  # NaN and infinities fail here too
            raise argparse.ArgumentTypeError(f"must be {lo:.10g} to {hi:.10g}{unit}, got {text}")
        return value
    return parse


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH", help="model file (default: $KNEECUE_MODEL_DIR, then models/)")
    p.add_argument("--threads", type=number(int, 1, 64), default=2, metavar="N",
                   help="interpreter threads, 1 to 64 (default 2)")
    p.add_argument("--runtime", choices=("litert", "tflite"), help="force a TFLite runtime")


def _state_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state-dir", metavar="DIR",
                   help="settings and calibration (default: $STATE_DIRECTORY, else ~/.local/state/kneecue)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kneecue", description=(
        "Real-time knee valgus biofeedback. A training-feedback device, not a diagnostic one."))
    parser.add_argument("--version", action="version", version=f"kneecue {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("analyze", help="score a recorded video or photo, frame by frame")
    p.add_argument("path", metavar="PATH", help="video file or image")
    p.add_argument("--json", action="store_true", help="JSON Lines, one object per frame")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--realtime", action="store_true",
                   help="pace the clip at its frame rate and drop frames the model cannot keep up with, as live")
    p.add_argument("--no-track", action="store_true", help="run every frame uncropped (for comparison)")
    p.add_argument("--brief", action="store_true", help="table: only reps and the summary, no per-frame rows")
    p.add_argument("--feet", choices=("off", "lite", "full"),
                   help="the foot model (BlazePose: heels and toes), run on every frame (default: the device's, "
                        "lite; off for a pose file or a synthetic source)")
    p.add_argument("--athlete", metavar="NAME",
                   help="use this saved athlete's thresholds and calibration (default: the defaults, no calibration)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="settings",
                   help="one threshold other than it would be (repeatable), e.g. check_hands_on_hips=off")
    p.add_argument("--view", choices=("front", "rear", "side"),
                   help="where the camera stood: which metrics are read (same as --set view=...; default front)")
    p.add_argument("--rotate", type=int, choices=(0, 90, 180, 270), default=0, metavar="DEG",
                   help="turn each frame DEG clockwise first (a clip filmed with the camera turned: 90, 180, 270)")
    p.add_argument("--task", choices=("ankle",),
                   help="run a guided test on the clip: ankle = the knee-to-wall lunge, camera at the side")
    p.add_argument("--leg", choices=("left", "right"), default="left",
                   help="--task ankle: the leg tested (the one forward in the lunge; default left)")
    p.add_argument("--mode", choices=MODES,
                   help="feedback mode recorded with the cues (default: the saved setting)")
    p.add_argument("--drill", choices=DRILL_CHOICES,
                   help="what the clip shows: sls (single-leg squat test), squat (two feet), run (treadmill), "
                        "or auto (recognised from the movement; the default)")
    p.add_argument("--report", metavar="DIR",
                   help="also record the clip as a session in DIR (reps, replay clips of failed reps) "
                        "and write DIR/report.html")
    _model_options(p)
    _state_option(p)

    p = sub.add_parser("demo", help="the live loop on the clip that ships with KneeCue, the lights and buzzer "
                                    "drawn in the terminal, then the session's summary")
    p.add_argument("--source", metavar="PATH", help="another clip instead of the shipped one")
    p.add_argument("--fast", action="store_true", help="as fast as it decodes, not at the clip's own pace")
    _model_options(p)

    p = sub.add_parser("eval", help="the knee judgement on the shared clips against labels made by eye")
    p.add_argument("labels", nargs="?", metavar="LABELS",
                   help="labels CSV (default: tests/eval/labels.csv of the checkout)")
    p.add_argument("--media", metavar="DIR", help="where the clips are (default: $KNEECUE_MEDIA_DIR)")
    p.add_argument("--json", action="store_true", help="one JSON object per clip")
    p.add_argument("--feet", choices=("off", "lite", "full"), default="off",
                   help="run the foot model inline on every frame (default off)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="settings",
                   help="a threshold other than its default (repeatable), e.g. knee_over_toe_trigger=on")
    _model_options(p)

    p = sub.add_parser("bench", help="time each pipeline stage against the bare model invoke")
    p.add_argument("path", nargs="?", metavar="PATH", help="clip to run (default: synthetic frames)")
    p.add_argument("--frames", type=number(int, 1, 1_000_000), default=300, metavar="N",
                   help="frames to time (default 300)")
    p.add_argument("--feet", choices=("off", "lite", "full"), default="off",
                   help="time the cue path while the foot stage runs on its own thread (default off)")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.add_argument("--rotate", type=int, choices=(0, 90, 180, 270), default=0, metavar="DEG",
                   help="turn each frame DEG clockwise first, as for a turned camera (its cost is the rotate stage)")
    p.add_argument("--drill", choices=DRILL_CHOICES, default="auto",
                   help="the drill the scorer judges (its cost is in the scoring stage; default auto)")
    p.add_argument("--landing", action="store_true",
                   help="a landing's burst instead: PATH played as a camera delivers it through the live loop, "
                        "every invoke as slow as a Pi 4's and a Pi 5's, with and without the burst (drill hop, "
                        "or --drill land)")
    p.add_argument("--frame-ms", action="append", default=[], metavar="NAME=MS",
                   help="with --landing: an emulated CPU's time per frame (repeatable; default pi4=68 pi5=18)")
    _model_options(p)

    p = sub.add_parser("run", help="the live loop: camera → pose → score → LEDs and buzzer")
    p.add_argument("--source", default="picamera", metavar="SRC",
                   help="picamera (default), webcam:N, a video/image PATH, or synthetic:squats|valgus|stand "
                        "(a scripted athlete, no camera or model needed)")
    p.add_argument("--gpio", choices=("auto", "mock"), default="auto",
                   help="pin factory: gpiozero's own choice (falls back to its mock without GPIO), or mock")
    p.add_argument("--realtime", action="store_true", help="pace a video file at its frame rate, as a camera")
    p.add_argument("--feet", choices=("off", "lite", "full"),
                   help="the foot model beside the cue path (default: lite; off for a synthetic source, "
                        "a stick figure with no feet to read)")
    p.add_argument("--loop", action="store_true", help="replay a video file forever")
    p.add_argument("--events", metavar="FILE", help="JSON Lines: one line per output change and per settings change")
    p.add_argument("--mode", choices=MODES, help="default: the saved setting")
    p.add_argument("--drill", choices=DRILL_CHOICES,
                   help="what the athlete is doing: sls, squat, run or auto (default: the saved setting, else auto)")
    p.add_argument("--rotate", type=int, choices=(0, 90, 180, 270), metavar="DEG",
                   help="the camera is mounted turned: turn each frame DEG clockwise (default: the saved setting)")
    p.add_argument("--mute", action="store_true", help="lights only, no buzzer (default: the saved setting)")
    p.add_argument("--console", metavar="PORT",
                   help="coach's console: a serial device (/dev/serial0, /dev/ttyGS0), a pyserial URL, "
                        "stdio, or none (default: the saved setting, else none)")
    p.add_argument("--baud", type=int, metavar="N", help="console baud rate (default: the saved setting, else 115200)")
    p.add_argument("--no-record", action="store_true",
                   help="no session files or replay clips (default: record into STATE_DIR/sessions)")
    p.add_argument("--clip-quota", type=number(float, "firmware_py.device.config:CLIP_QUOTA_MB", unit=" MB"),
                   metavar="MB",
                   help="disk space for replay clips; the oldest go first (default: the saved setting, else 500)")
    _model_options(p)
    _state_option(p)

    p = sub.add_parser("calibrate", help="measure camera roll and standing knee angles from quiet two-footed standing")
    p.add_argument("--source", default="picamera", metavar="SRC",
                   help="picamera (default), webcam:N, a PATH, or synthetic:stand (a scripted athlete standing)")
    p.add_argument("--seconds", type=number(float, *CALIBRATION_SECONDS, " s"), default=CALIBRATION_S, metavar="S",
                   help=f"quiet standing needed, {CALIBRATION_SECONDS[0]:g} to {CALIBRATION_SECONDS[1]:g} s "
                        f"(default {CALIBRATION_S:g})")
    p.add_argument("--gpio", choices=("auto", "mock"), default="auto", help="shows the calibrating pattern")
    p.add_argument("--timeout", type=number(float, 1, 3600, " s"), default=30.0, metavar="S",
                   help="give up after S seconds of source time")
    _model_options(p)
    _state_option(p)

    p = sub.add_parser("report", help="a recorded session as one HTML page: summary, reps, plots, clip links")
    p.add_argument("session", metavar="SESSION|DIR",
                   help="a session folder or file, a folder of sessions (each gets a page), or a session id "
                        "or 'last' (looked up in the state directory)")
    p.add_argument("--out", metavar="DIR", help="write the page(s) here (default: beside each session)")
    _state_option(p)

    p = sub.add_parser("outputs-off", help="drive every configured LED and buzzer pin low (for systemd's ExecStopPost)")
    p.add_argument("--gpio", choices=("auto", "mock"), default="auto", help="pin factory (default: gpiozero's own choice)")
    _state_option(p)

    p = sub.add_parser("doctor", help="on the Pi: check board, service, camera, model, pins (each in turn, to "
                                      "watch), console port, power and disk; one line each, with what to do")
    p.add_argument("--no-pins", action="store_true", help="do not drive the LEDs and buzzer")
    p.add_argument("--seconds", type=float, default=1.0, metavar="S", help="how long each output is on (default 1)")
    p.add_argument("--port", metavar="PORT", help="the console port to check (default: the service's)")
    _state_option(p)

    p = sub.add_parser("coach", help="the coach's view: every device on an MQTT broker, live on one web page "
                                     "(read-only)")
    p.add_argument("--broker", required=True, metavar="URL", help="mqtt://host[:1883] or mqtts://host[:8883] (TLS)")
    p.add_argument("--listen", default="127.0.0.1:8080", metavar="HOST:PORT",
                   help="where the page is served (default 127.0.0.1:8080; 0.0.0.0:8080 for the whole network)")
    p.add_argument("--credentials", metavar="FILE", help="a file holding one line username:password (chmod 600)")
    p.add_argument("--cafile", metavar="FILE", help="the certificate authority that signed the broker's certificate "
                                                  "(mqtts://; default: the system's)")

    p = sub.add_parser("model", help="fetch or check model files")
    msub = p.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    f = msub.add_parser("fetch", help="download pinned MoveNet models (sha256-checked)")
    f.add_argument("names", nargs="*", metavar="NAME", help="lightning-int8 (default, ships in models/), lightning-float16, thunder-int8, thunder-float16, all")
    f.add_argument("--dir", metavar="DIR", help="destination (default: the project's models/)")
    f.add_argument("--url", action="append", metavar="URL",
                   help="download from URL instead (a mirror or file://); the pinned sha256 still applies")
    c = msub.add_parser("check", help="verify a model file: format, checksum, signature")
    c.add_argument("path", nargs="?", metavar="PATH", help="model file (default: the one commands would load)")
    c.add_argument("--runtime", choices=("litert", "tflite"), help="force a TFLite runtime")
    msub.add_parser("list", help="the pinned models and where each is found")
    return parser


def cmd_outputs_off(args: argparse.Namespace) -> int:
    from firmware_py.app.build import open_settings
    from firmware_py.cues.outputs import make_pin_factory, outputs_off
    from firmware_py.cues.pins import PinMap

    try:  # the saved pin map (its last good copy, else the defaults), whatever the state folder holds
        pins = open_settings(args.state_dir)[0].pins
    except Exception as e:  # noqa: BLE001 - the pins go low first; the settings are a matter for later
        logging.getLogger("kneecue").warning("settings: cannot be read (%s); the default pins", e)
        pins = PinMap()
    levels = outputs_off(pins, pin_factory=make_pin_factory(args.gpio))
    where = pins.outputs()
    print("outputs off: " + ", ".join(f"{name} (GPIO{where[name]}) {value}" for name, value in levels.items()))
    return 0


# Each command's code sits with its tool and is imported only when run: `kneecue run`
# never loads matplotlib, and `kneecue --help` loads nothing.
COMMANDS = {
    "analyze": ("firmware_py.tools.analyze", "cmd_analyze"),
    "demo": ("firmware_py.tools.demo", "cmd_demo"),
    "eval": ("firmware_py.tools.evaluation", "cmd_eval"),
    "bench": ("firmware_py.tools.bench", "cmd_bench"),
    "model": ("firmware_py.tools.models", "cmd_model"),
    "run": ("firmware_py.app.service", "run_service"),
    "calibrate": ("firmware_py.tools.calibrate", "cmd_calibrate"),
    "outputs-off": ("firmware_py.cli", "cmd_outputs_off"),
    "report": ("firmware_py.tools.report", "cmd_report"),
    "doctor": ("firmware_py.tools.doctor", "cmd_doctor"),
    "coach": ("firmware_py.coach.app", "cmd_coach"),
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="kneecue: %(message)s", stream=sys.stderr)
    try:
        module, name = COMMANDS[args.command]
        return getattr(importlib.import_module(module), name)(args)
    except KneeCueError as e:
        print(f"kneecue: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
