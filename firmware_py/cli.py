"""The ``kneecue`` command: argument parsing and one clear line per error.

Every failure a user can cause (missing model, bad file, unreadable video) is a
KneeCueError and ends as ``kneecue: error: ...`` with exit status 1; bad usage is
argparse's exit status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from firmware_py import __version__
from firmware_py.core.settings import SettingError, Thresholds
from firmware_py.errors import KneeCueError, ModelInvalid


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH", help="model file (default: $KNEECUE_MODEL_DIR, then models/)")
    p.add_argument("--threads", type=int, default=2, metavar="N", help="interpreter threads (default 2)")
    p.add_argument("--runtime", choices=("litert", "tflite"), help="force a TFLite runtime")


def _state_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state-dir", metavar="DIR",
                   help="settings and calibration (default: $STATE_DIRECTORY, else ~/.local/state/kneecue)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kneecue", description=(
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
                   help="run BlazePose on every frame for heels and toes (slower; default off, lite with --task ankle)")
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
    p.add_argument("--mode", choices=("concurrent", "terminal", "silent"),
                   help="feedback mode recorded with the cues (default: the saved setting)")
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
    p.add_argument("--frames", type=int, default=300, metavar="N", help="frames to time (default 300)")
    p.add_argument("--feet", choices=("off", "lite", "full"), default="off",
                   help="time the cue path while the foot stage runs on its own thread (default off)")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.add_argument("--rotate", type=int, choices=(0, 90, 180, 270), default=0, metavar="DEG",
                   help="turn each frame DEG clockwise first, as for a turned camera (its cost is the rotate stage)")
    _model_options(p)

    p = sub.add_parser("run", help="the live loop: camera → pose → score → LEDs and buzzer")
    p.add_argument("--source", default="picamera", metavar="SRC",
                   help="picamera (default), webcam:N, or a video/image PATH")
    p.add_argument("--gpio", choices=("auto", "mock"), default="auto",
                   help="pin factory: gpiozero's own choice (falls back to its mock without GPIO), or mock")
    p.add_argument("--realtime", action="store_true", help="pace a video file at its frame rate, as a camera")
    p.add_argument("--feet", choices=("off", "lite", "full"),
                   help="the foot model beside the cue path (default: lite)")
    p.add_argument("--loop", action="store_true", help="replay a video file forever")
    p.add_argument("--events", metavar="FILE", help="JSON Lines: one line per output change and per settings change")
    p.add_argument("--mode", choices=("concurrent", "terminal", "silent"), help="default: the saved setting")
    p.add_argument("--rotate", type=int, choices=(0, 90, 180, 270), metavar="DEG",
                   help="the camera is mounted turned: turn each frame DEG clockwise (default: the saved setting)")
    p.add_argument("--mute", action="store_true", help="lights only, no buzzer (default: the saved setting)")
    p.add_argument("--console", metavar="PORT",
                   help="coach's console: a serial device (/dev/serial0, /dev/ttyGS0), a pyserial URL, "
                        "stdio, or none (default: the saved setting, else none)")
    p.add_argument("--baud", type=int, metavar="N", help="console baud rate (default: the saved setting, else 115200)")
    p.add_argument("--no-record", action="store_true",
                   help="no session files or replay clips (default: record into STATE_DIR/sessions)")
    p.add_argument("--clip-quota", type=float, metavar="MB",
                   help="disk space for replay clips; the oldest go first (default: the saved setting, else 500)")
    _model_options(p)
    _state_option(p)

    p = sub.add_parser("calibrate", help="measure camera roll and standing knee angles from quiet two-footed standing")
    p.add_argument("--source", default="picamera", metavar="SRC", help="picamera (default), webcam:N, or a PATH")
    p.add_argument("--seconds", type=float, default=3.0, metavar="S", help="quiet standing needed (default 3)")
    p.add_argument("--gpio", choices=("auto", "mock"), default="auto", help="shows the calibrating pattern")
    p.add_argument("--timeout", type=float, default=30.0, metavar="S", help="give up after S seconds of source time")
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


def with_settings(thresholds: Thresholds, items: list[str]) -> Thresholds:
    """``thresholds`` with each ``KEY=VALUE`` of ``--set`` applied (checked as the console does)."""
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise KneeCueError(f"--set takes KEY=VALUE, got {item!r}")
        try:
            thresholds = thresholds.with_value(key.strip().lower(), value.strip())
        except SettingError as e:
            raise KneeCueError(f"--set {item}: {e}") from None
    return thresholds


def cmd_analyze(args: argparse.Namespace) -> int:
    from firmware_py.tools.analyze import run_analyze
    from firmware_py.app.build import build_foot_stage, build_model, build_pipeline, load_settings
    from firmware_py.sources import make_source
    from firmware_py.sources.opencv import StillImage

    source = make_source(args.path, realtime=args.realtime)
    source.open().close()  # fail on a bad clip before the model loads
    config = load_settings(args.state_dir)
    whose, thresholds, calibration = "defaults", Thresholds(), None
    if args.athlete is not None:
        profile = config.athletes.get(args.athlete)
        if profile is None:
            known = ", ".join(sorted(config.athletes)) or "none saved"
            raise KneeCueError(f"no athlete {args.athlete!r} in the saved settings (athletes: {known})")
        thresholds, calibration = profile.thresholds, profile.calibration
        whose = f"athlete {args.athlete} ({'calibrated' if calibration else 'not calibrated'})"
    view = args.view or ("side" if args.task == "ankle" else None)  # the ankle test reads a side view
    sets = list(args.settings) + ([f"view={view}"] if view else [])
    thresholds = with_settings(thresholds, sets)
    feet = args.feet or ("lite" if args.task == "ankle" else "off")
    pipeline = build_pipeline(build_model(args.model, threads=args.threads, runtime=args.runtime),
                              track=not args.no_track, thresholds=thresholds,
                              mode=args.mode or config.mode, calibration=calibration,
                              still=isinstance(source, StillImage),
                              feet=build_foot_stage(feet, threaded=False, runtime=args.runtime))
    test = None
    if args.task == "ankle":
        from firmware_py.core.ankle import AnkleTest

        test = AnkleTest(args.leg, min_shin_deg=thresholds.ankle_min_shin_deg, min_score=thresholds.min_score)
    recorder = None
    if args.report:
        from firmware_py.records.recorder import Recorder
        from firmware_py.records.sessionfile import FILE_NAME

        folder = Path(args.report)
        if (folder / FILE_NAME).exists():
            raise KneeCueError(f"{folder} already holds a session: pick an empty folder for --report")
        recorder = Recorder(folder.parent, folder=folder, source=args.path, lossless=True,
                            quota_mb=config.clip_quota_mb, describe=lambda: _describe(config, pipeline))
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    try:
        progress = sys.stderr.isatty() and (args.out is not None or not sys.stdout.isatty())
        first = {"settings": {"from": whose, "set": dict(item.partition("=")[::2] for item in sets),
                              "calibrated": calibration is not None, "thresholds": thresholds.to_dict()}}
        out.write((json.dumps(first) if args.json else
                   f"thresholds: {whose}" + (f", with {', '.join(sets)}" if sets else "")) + "\n")
        count = run_analyze(pipeline, source, out, as_json=args.json, realtime=args.realtime,
                            progress=progress, brief=args.brief or test is not None, recorder=recorder, test=test,
                            rotation=args.rotate)
    finally:
        if args.out:
            out.close()
        if recorder is not None:
            recorder.close()
    if args.out:
        print(f"kneecue: {count} frames written to {args.out}", file=sys.stderr)
    read, expected = getattr(source, "frames_read", None), getattr(source, "expected_frames", None)
    if read is not None and expected is not None and read < expected:
        raise KneeCueError(f"{args.path} ends early: {read} of the {expected} frames its header promises could "
                           f"be decoded (the file is cut short or damaged); the {read} read were scored")
    if read is not None:
        print(f"kneecue: {read} frames read" + (f" of {expected}" if expected else
              " (the container holds no frame count)"), file=sys.stderr)
    if recorder is not None:
        _write_reports(recorder.sessions, None)
    if test is not None and test.record is None:  # refused: the one line says why
        print("kneecue: " + test.refusal if test.refusal else "kneecue: no test result", file=sys.stderr)
        return 1
    return 0


def _describe(config, pipeline) -> dict:
    from firmware_py.records.recorder import settings_header

    scorer = pipeline.scorer
    return settings_header(config.athlete, scorer.mode.value, scorer.thresholds, scorer.calibration)


def _write_reports(files, out: str | None) -> None:
    from firmware_py.records.report import write_report

    for file in files:
        print(f"kneecue: report {write_report(file, out)}", file=sys.stderr)


def cmd_report(args: argparse.Namespace) -> int:
    from firmware_py.app.build import state_folder
    from firmware_py.records.sessionfile import find_session, session_files

    target = Path(args.session)
    if target.is_dir() or target.is_file():
        files = [target] if target.is_file() else session_files(target)
        if not files:
            raise KneeCueError(f"no sessions in {target} (looked for */session.jsonl and sessions/*/session.jsonl)")
    else:
        root = state_folder(args.state_dir) / "sessions"
        try:
            files = [find_session(root, args.session)]
        except LookupError as e:
            raise KneeCueError(str(e)) from None
    try:
        _write_reports(files, args.out)
    except OSError as e:
        raise KneeCueError(f"cannot make the report: {e}") from None
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from firmware_py.tools import evaluation
    from firmware_py.app.build import build_foot_stage, build_model, build_pipeline
    from firmware_py.sources import make_source
    from firmware_py.sources.opencv import StillImage

    labels_path = args.labels or evaluation.default_labels_path()
    if labels_path is None:
        raise KneeCueError("no labels file given and no tests/eval/labels.csv beside the package")
    media = args.media or os.environ.get("KNEECUE_MEDIA_DIR")
    if not media or not Path(media).is_dir():
        raise KneeCueError("the clips are not found: give --media DIR or set KNEECUE_MEDIA_DIR "
                           "(the shared footage, ../shared/media beside a checkout)")
    labels = evaluation.read_labels(labels_path)
    thresholds = with_settings(Thresholds(), args.settings)
    model = build_model(args.model, threads=args.threads, runtime=args.runtime)
    missing = []

    def score_clip(name: str):
        path = Path(media) / name
        if not path.is_file():
            missing.append(name)
            return None
        source = make_source(str(path))
        # the defaults (and --set), never a saved athlete's thresholds or calibration
        pipeline = build_pipeline(model, still=isinstance(source, StillImage), thresholds=thresholds,
                                  feet=build_foot_stage(args.feet, threaded=False, runtime=args.runtime))
        with source:
            return [pipeline.process(frame).score for frame in source]

    results = evaluation.evaluate(labels, score_clip)
    if args.json:
        for r in results:
            print(json.dumps(r.to_dict()))
    else:
        changed = ", ".join(args.settings)
        print(f"labels {labels_path}, default thresholds{' but ' + changed if changed else ''}, feet {args.feet}")
        print(evaluation.format_table(results))
    for name in missing:
        print(f"kneecue: {name} is not in {media}: skipped", file=sys.stderr)
    return 1 if missing else 0


def cmd_bench(args: argparse.Namespace) -> int:
    from firmware_py.app.build import build_foot_stage, build_model, build_pipeline
    from firmware_py.tools.bench import file_frames, format_report, run_bench, synthetic_frames
    from firmware_py.sources import make_source

    if args.path:
        frames = file_frames(make_source(args.path), args.frames)
    else:
        frames = synthetic_frames(args.frames)
    from firmware_py.cues.outputs import CueOutputs, make_pin_factory

    feet = build_foot_stage(args.feet, threaded=True, runtime=args.runtime)
    pipeline = build_pipeline(build_model(args.model, threads=args.threads, runtime=args.runtime), feet=feet)
    try:
        with CueOutputs(pin_factory=make_pin_factory("mock")) as outputs:
            report = run_bench(pipeline, frames, outputs, rotation=args.rotate)
    finally:
        if feet is not None:
            feet.close()
    report["source"] = args.path or "synthetic"
    if feet is not None:
        report["feet"] = {"model": args.feet, "readings": feet.readings}
    print(json.dumps(report) if args.json else format_report(report, report["source"]))
    return 0


def cmd_model(args: argparse.Namespace) -> int:
    from firmware_py.pose import modelfiles

    if args.model_command == "fetch":
        names = args.names or [modelfiles.DEFAULT_MODEL]
        if "all" in names:
            names = [spec.name for spec in modelfiles.MODELS.values() if spec.urls]
        for name in names:
            path = modelfiles.fetch(name, Path(args.dir) if args.dir else None,
                                    urls=tuple(args.url) if args.url else None)
            print(f"{name}: {path} (sha256 ok)")
        return 0
    if args.model_command == "list":
        for spec in modelfiles.MODELS.values():
            try:
                where = str(modelfiles.find_model(name=spec.name))
            except KneeCueError:
                where = "not found"
            print(f"{spec.name:<18} {spec.kind:<9} {spec.input_size}px  {spec.size:>10,} bytes  {where}")
        return 0
    from firmware_py.pose.blazepose import FootModel
    from firmware_py.pose.movenet import MoveNet

    path = modelfiles.find_model(args.path)
    modelfiles.check_header(path)
    spec = modelfiles.identify(path)
    try:
        if spec is not None and spec.kind == "blazepose":
            model = FootModel(path, runtime=args.runtime)
        else:
            model = MoveNet(path, runtime=args.runtime)
    except ModelInvalid as e:  # this is the check: the way out is a good copy, not another check
        what = getattr(e, "unloadable", None) or str(e)
        raise ModelInvalid(f"{what}; the file is truncated or corrupt: `kneecue model fetch` gets a good copy "
                           f"of a pinned model (`kneecue model list` shows them)") from None
    origin = f"pinned {spec.name}, sha256 ok" if spec else "not a pinned file (sha256 unknown), signature ok"
    print(f"{path}: {model.describe()}; {origin}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from firmware_py.tools.analyze import rep_line, summary_text
    from firmware_py.app.build import build_model, build_pipeline
    from firmware_py.cues.outputs import CueOutputs, make_pin_factory
    from firmware_py.loop.live import LiveLoop
    from firmware_py.loop.sinks import EventSink
    from firmware_py.sources import make_source
    from firmware_py.system.terminal import DEMO_CLIP, DEMO_CREDIT, TerminalLights

    path = args.source or str(DEMO_CLIP)
    source = make_source(path, realtime=not args.fast)
    pipeline = build_pipeline(build_model(args.model, threads=args.threads, runtime=args.runtime))
    source.open()  # the loop takes it open, and closes it
    what = DEMO_CREDIT if args.source is None else path
    print(f"KneeCue demo: the live loop on {what}, default thresholds.\n"
          f"Each line is a change of the lights and buzzer the athlete sees and hears (Ctrl-C stops).")
    lights = TerminalLights(sys.stdout)
    with CueOutputs(pin_factory=make_pin_factory("mock")) as outputs:
        stats = LiveLoop(source, pipeline, outputs, sinks=[EventSink(lights, outputs)]).run()
    reps = pipeline.scorer.reps
    print(f"\n{stats.frames} frames scored, {lights.changes} changes of the lights.")
    for rep in reps:
        print(rep_line(rep))
    print(summary_text(pipeline.scorer.summary()))
    print("On a Pi: `kneecue run` does the same with the camera, the real pins and the coach's console.")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from firmware_py.app.service import run_service

    return run_service(args)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from firmware_py.app.build import build_model, load_settings
    from firmware_py.device.config import default_state_dir, save_config
    from firmware_py.core.calibration import Calibrator
    from firmware_py.cues.outputs import CueOutputs, make_pin_factory
    from firmware_py.errors import KneeCueError
    from firmware_py.pose.engine import PoseEngine
    from firmware_py.sources import make_source

    config = load_settings(args.state_dir)
    engine = PoseEngine(build_model(args.model, threads=args.threads, runtime=args.runtime))
    calibrator = Calibrator(duration_s=args.seconds)
    status, said_at = None, float("-inf")
    with make_source(args.source) as source, CueOutputs(config.pins, pin_factory=make_pin_factory(args.gpio)) as out:
        out.play("calibrating")
        print("stand still on both feet, facing the camera…", file=sys.stderr)
        for frame in source:
            status = calibrator.update(engine.estimate(frame.rgb), frame.pts)
            if status.problem and frame.pts - said_at >= 1.0:  # at most one message a second
                said_at = frame.pts
                print(f"  {status.told}: starting over", file=sys.stderr)
            if status.done or frame.pts > args.timeout:
                break
    if status is None or not status.done:
        why = status.problem.replace("_", " ") if status and status.problem else "not enough quiet standing"
        raise KneeCueError(f"calibration failed ({why}): it needs {args.seconds:g} s of still, two-footed "
                           f"standing with the whole body in view; nothing was saved")
    cal = status.calibration
    folder = Path(args.state_dir) if args.state_dir else default_state_dir()
    path = save_config(folder, config.with_profile(calibration=cal))
    base = ", ".join(f"{side} {v:+.1f}°" for side, v in (("left", cal.fppa_baseline_left),
                                                          ("right", cal.fppa_baseline_right)) if v is not None)
    print(f"calibrated: camera roll {cal.roll_deg:+.1f}°, standing FPPA {base or 'not measured'}; saved to {path}")
    return 0


def cmd_outputs_off(args: argparse.Namespace) -> int:
    from firmware_py.app.build import open_settings
    from firmware_py.cues.outputs import make_pin_factory, outputs_off

    pins = open_settings(args.state_dir)[0].pins  # the saved pin map (its last good copy, else the defaults)
    levels = outputs_off(pins, pin_factory=make_pin_factory(args.gpio))
    where = pins.outputs()
    print("outputs off: " + ", ".join(f"{name} (GPIO{where[name]}) {value}" for name, value in levels.items()))
    return 0


COMMANDS = {"analyze": cmd_analyze, "demo": cmd_demo, "eval": cmd_eval, "bench": cmd_bench, "model": cmd_model, "run": cmd_run,
            "calibrate": cmd_calibrate, "outputs-off": cmd_outputs_off, "report": cmd_report}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="kneecue: %(message)s", stream=sys.stderr)
    try:
        return COMMANDS[args.command](args)
    except KneeCueError as e:
        print(f"kneecue: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
