"""``kneecue analyze``: a recorded clip or photo, scored frame by frame.

The coach's "record yourself and watch it back".  JSON Lines for scripts (one
object per frame; later lines add reps and a summary), or a table for people.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import IO, Iterable, Iterator

from firmware_py.core.settings import SettingError, Thresholds
from firmware_py.errors import KneeCueError
from firmware_py.loop.handoff import CaptureThread
from firmware_py.loop.pipeline import FrameResult, Pipeline
from firmware_py.loop.sinks import FrameSink, Outcome
from firmware_py.loop.step import FrameStep
from firmware_py.sources.base import Frame, FrameSource
from firmware_py.system.jsonedge import dumps
from firmware_py.tools.analyzelines import columns, drill_line, rep_row, summary_text, table_header, table_row
from firmware_py.wording import drill_words, landing_line, notice_text, step_line
from firmware_py.wording.judged import gate_legend


def frames_of(source: FrameSource, *, drop_late: bool) -> Iterator[Frame]:
    """Every frame in order, or (``drop_late``, a paced replay) only the newest each time.

    Dropping is what the live device does when the model is slower than the camera.
    """
    if not drop_late:
        yield from source
        return
    capture = CaptureThread(source)
    capture.start()
    try:
        while (frame := capture.slot.get()) is not None:
            yield frame
    finally:
        capture.stop()
    if capture.error is not None:
        raise capture.error


def _clean(value):
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def frame_record(result: FrameResult) -> dict:
    keypoints = [[round(float(x), 1), round(float(y), 1), round(float(s), 3)] for x, y, s in result.pose]
    score = result.score
    return {
        "frame": score.frame_index,
        "t": round(score.t, 3),
        "keypoints": keypoints,
        "metrics": _clean(score.metrics),
        "cue": {"level": score.cue.level, "reasons": list(score.cue.reasons)},
        "placement": list(score.placement),
        "phase": score.phase,
        **({} if result.feet is None else {"feet": _feet(result.feet)}),
    }


def _feet(reading) -> dict:
    """The foot reading a frame was scored with: heels and foot indices (x, y, score)."""
    names = ("left_heel", "right_heel", "left_foot_index", "right_foot_index")
    points = {n: [round(float(x), 1), round(float(y), 1), round(float(s), 3)] for n, (x, y, s) in zip(names, reading.points)}
    return {"frame": reading.frame_index, **points}


def _notices(notices, out: IO[str], as_json: bool) -> None:
    for notice in notices:
        out.write((dumps({"test": _clean(notice.to_dict())}) if as_json else notice_text(notice))
                  + "\n")


class Printer(FrameSink):
    """analyze's own output, as a sink: one JSON object per frame and per rep, or a
    table row per frame (none when ``brief``) and a line per rep.  The table's columns
    are the drill's (``core.metrictable``), headed again when the drill judged changes;
    ``feet``: a foot model runs (else no knee-over-the-toes column)."""

    def __init__(self, out: IO[str], *, as_json: bool, brief: bool, feet: bool = False) -> None:
        self.out, self.as_json, self.brief, self.feet = out, as_json, brief, feet
        self.columns = columns(None, feet=feet)

    def header(self, drill: str | None) -> None:
        """The table's header for ``drill``'s columns."""
        self.columns = columns(drill, feet=self.feet)
        if not self.as_json and not self.brief:
            self.out.write(table_header(self.columns) + "\n")

    def legend(self) -> None:
        """Under the table: what the words in its empty cells mean."""
        if not self.as_json and not self.brief:
            self.out.write(gate_legend() + "\n")

    def emit(self, record: dict) -> None:
        self.out.write(dumps(record) + "\n")

    def on_frame(self, o: Outcome) -> None:
        score = o.result.score
        rep, step = score.rep, score.step
        if score.drill != self._drill:  # the drill judged changed (auto recognised one)
            self._drill = score.drill
            self._say_drill(score)
        if self.as_json:
            self.emit(frame_record(o.result))
            if rep is not None:
                self.emit({"rep": _clean(rep.to_dict())})
            if step is not None:
                self.emit({"step": _clean(step.to_dict())})
            if score.landing is not None:
                self.emit({"landing": _clean(score.landing.to_dict())})
            return
        if not self.brief:
            self.out.write(table_row(o.result, self.columns, feet=self.feet) + "\n")
        if rep is not None:
            self.out.write(rep_row(rep, feet=self.feet) + "\n")
        if step is not None:
            self.out.write(step_line(step) + "\n")
        if score.landing is not None:
            self.out.write(landing_line(score.landing) + "\n")

    _drill: str | None = None

    def _say_drill(self, score) -> None:
        decided = self.decision() if self.decision is not None else None
        if self.as_json:
            self.emit({"drill": {"drill": score.drill, "frame": score.frame_index, "t": round(score.t, 3),
                                 "decided": None if decided is None else decided.to_dict()}})
        else:
            self.out.write(drill_line(score.drill, score.frame_index, decided) + "\n")
            self.header(score.drill)

    decision = None  # a callable giving the auto decision in force (the scorer's)


def run_analyze(pipeline: Pipeline, source: FrameSource, out: IO[str], *, as_json: bool,
                realtime: bool = False, progress: bool = False, brief: bool = False, recorder=None,
                test=None, rotation: int = 0) -> int:
    """Score every frame of ``source`` into ``out``; returns the number of frames scored.

    The frames go to the same sinks as on the device (``loop.sinks``): this command's
    output, and with ``recorder`` (a records.recorder.Recorder) the session, with the
    pattern the athlete would have been shown; ``test`` (a guided test, e.g.
    ``core.ankle.AnkleTest``) runs over the frames as on the device, its lines in the
    output, finished with what it has at the end."""
    from tqdm import tqdm

    printer = Printer(out, as_json=as_json, brief=brief, feet=pipeline.feet is not None)
    printer.decision = lambda: pipeline.scorer.decision
    printer._drill = pipeline.scorer.thresholds.drill  # the first line says it; a change gets a line of its own
    sinks: list[FrameSink] = [printer] + ([recorder] if recorder is not None else [])

    def observe(result: FrameResult) -> str:  # the guided test, its lines in the output
        _notices(test.step(result.pose, result.score, result.feet), out, as_json)
        return "run" if test.done else test.state

    step = FrameStep(pipeline, observe=None if test is None else observe, rotation=rotation)
    count = 0
    with source:
        frames: Iterable[Frame] = frames_of(source, drop_late=realtime)
        bar = tqdm(frames, disable=not progress, unit="frame", file=sys.stderr, leave=False)
        printer.header(pipeline.scorer.thresholds.drill)
        for frame in bar:
            outcome = step(frame)  # a clip filmed with the camera turned is turned first
            for sink in sinks:
                sink.on_frame(outcome)
            count += 1
    printer.legend()
    if test is not None:
        _notices(test.finish("clip ended"), out, as_json)
        if recorder is not None and test.record is not None:
            recorder.test(test.record)
    summary = pipeline.scorer.summary()
    if as_json:
        printer.emit({"summary": _clean(summary)})
    else:
        out.write(summary_text(summary) + "\n")
    return count


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
    from firmware_py.app.build import build_foot_stage, build_pipeline, load_settings, model_for, scripted
    from firmware_py.sources import make_source
    from firmware_py.sources.opencv import StillImage
    from firmware_py.system.outpaths import output_file, output_folder
    from firmware_py.tools.report import write_reports

    if args.out:  # where the output goes is checked before any work (one line, nothing written)
        output_file(args.out, "--out")
    if args.report:
        output_folder(args.report, "--report")
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
    sets = list(args.settings) + ([f"view={view}"] if view else []) + (
        [f"drill={args.drill}"] if getattr(args, "drill", None) else [])
    thresholds = with_settings(thresholds, sets)
    # the device's foot model unless told (so a clip is explained the same way everywhere);
    # none for a pose file or a synthetic athlete, which have no frames to read feet from
    feet = args.feet or ("off" if scripted(source) else None)
    pipeline = build_pipeline(model_for(source, args),
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
        out.write((dumps(first, compact=False) if args.json else
                   f"thresholds: {whose}" + (f", with {', '.join(sets)}" if sets else "")
                   + f"; drill {drill_words(thresholds.drill)}") + "\n")
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
    if getattr(source, "missing", 0):  # a pose file's empty frames: nobody seen there
        print(f"kneecue: {source.missing} frames had nobody in them (empty or null in the pose file)",
              file=sys.stderr)
    if recorder is not None:
        if not recorder.sessions:  # the folder could not be made after all (the log says why)
            raise KneeCueError(f"--report {args.report}: no session could be written there; no report")
        try:
            write_reports(recorder.sessions, None)
        except OSError as e:
            raise KneeCueError(f"--report {args.report}: cannot write the report ({e})") from None
    if test is not None and test.record is None:  # refused: the one line says why
        print("kneecue: " + (notice_text(test.refusal) if test.refusal else "no test result"), file=sys.stderr)
        return 1
    return 0


def _describe(config, pipeline) -> dict:
    from firmware_py.records.sessionfile import settings_header

    scorer = pipeline.scorer
    return settings_header(config.athlete, scorer.mode.value, scorer.thresholds, scorer.calibration)
