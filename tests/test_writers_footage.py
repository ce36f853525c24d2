"""Every metric of every shared clip through every writer (issue 26, item 1).

``analyze --json --feet lite`` once stopped at the first frame whose foot flag was
numpy's bool.  Here each shared clip (and the pose file) goes through the models once
per foot model, on a stretch of its frames (``FRAMES`` frames at about the device's
15 per second; the foot models on every other one, as the device's foot stage reads
less often than MoveNet), and the cached poses and foot readings are then replayed
through every drill's scoring and every writer: ``analyze --json`` and its table,
the session file (read back, its report rendered and its CSV), and the console's
``stream`` line in text and JSON.  The models are the cost; the replays are cheap.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from firmware_py.core.feet import FOOT_METRIC_KEYS, FootReading
from firmware_py.core.metrictable import METRICS
from firmware_py.core.scorer import Scorer
from firmware_py.core.settings import Thresholds
from firmware_py.loop.pipeline import FrameResult, Pipeline
from firmware_py.loop.sinks import FrameSink, Outcome, ReadingsSink
from firmware_py.sources.base import Frame, FrameSource

pytestmark = pytest.mark.media

MODELS = Path(__file__).resolve().parents[1] / "models"
FOOTAGE = (".mp4", ".mov", ".gif", ".png", ".jpg", ".jpeg", ".pose.json")
DRILLS = ("sls", "squat", "run", "hop", "land", "auto")
FOOT_MODELS = ("lite", "full")
FRAMES = 24  # frames scored per clip
FEET_EVERY = 2  # the foot models on every other scored frame (a reading is used for half a second)
PLAIN = (bool, int, float, str, type(None))


@dataclass
class Clip:
    name: str
    still: bool
    size: tuple[int, int]
    frames: list[tuple[int, float, np.ndarray]]  # (index, t, MoveNet's pose)
    feet: dict[str, dict[int, FootReading]]  # foot model -> frame index -> its reading


def _footage(media_dir: Path) -> list[str]:
    return sorted(p.name for p in media_dir.iterdir() if p.name.endswith(FOOTAGE) and "expected" not in p.name
                  and "reference" not in p.name)


@pytest.fixture(scope="module")
def clips(movenet, media_dir) -> list[Clip]:
    """Every shared clip, photo and pose file: poses and foot readings, once."""
    from firmware_py.pose.blazepose import FootModel

    foot = {which: FootModel(MODELS / f"pose_landmark_{which}.tflite", num_threads=2) for which in FOOT_MODELS}
    return [load(media_dir / name, movenet, foot) for name in _footage(media_dir)]


def load(path: Path, movenet, foot) -> Clip:
    """``FRAMES`` frames of a clip at about 15 a second: MoveNet's pose of each (or the
    pose file's), and each foot model's reading of every ``FEET_EVERY``-th."""
    from firmware_py.pose.engine import PoseEngine
    from firmware_py.sources import make_source
    from firmware_py.sources.opencv import StillImage

    source = make_source(str(path))
    engine = PoseEngine(movenet)
    taken, feet, size = [], {which: {} for which in FOOT_MODELS}, (0, 0)
    with source:
        stride = max(1, round((source.fps or 15.0) / 15.0))
        for frame in source:
            if frame.index % stride:
                continue
            size = frame.rgb.shape[1], frame.rgb.shape[0]
            pose = frame.truth.copy() if frame.truth is not None else engine.pose_of(frame)
            if frame.truth is None and len(taken) % FEET_EVERY == 0:
                ankles = pose[[15, 16], :2].astype(np.float64)
                for which, model in foot.items():
                    if (got := model.feet(frame.rgb, pose)) is not None:
                        feet[which][frame.index] = FootReading(frame.index, frame.pts, got.points, got.world, ankles)
            taken.append((frame.index, frame.pts, pose))
            if len(taken) >= FRAMES:
                break
    return Clip(path.name, isinstance(source, StillImage), size, taken, feet)


class Replay(Pipeline):
    """The cached poses and foot readings, scored as ``Pipeline.process`` scores a frame."""

    def __init__(self, clip: Clip, scorer: Scorer, which: str) -> None:
        super().__init__(engine=None, scorer=scorer)
        self.scorer.feet_enabled = True
        self.clip, self.readings, self.latest = clip, clip.feet[which], None

    def process(self, frame: Frame, lap=None) -> FrameResult:
        self.latest = self.readings.get(frame.index, self.latest)
        score = self.scorer.update(frame.truth, frame.index, frame.pts, self.clip.size, self.latest)
        return FrameResult(frame.t_ns, frame.truth, score, self.latest)


class Frames(FrameSource):
    def __init__(self, clip: Clip) -> None:
        w, h = clip.size
        self.rgb = np.zeros((max(2, h // 16), max(2, w // 16), 3), np.uint8)  # pixels nobody reads: small
        self.frames = iter(clip.frames)

    def read(self) -> Frame | None:
        item = next(self.frames, None)
        return None if item is None else Frame(item[0], 0, self.rgb, item[1], truth=item[2])


class Watch(FrameSink):
    """The other writers beside analyze's own: the session file, the table, the console's
    stream line (text and JSON), and a check that the scorer hands over plain values."""

    def __init__(self, recorder, folder: Path, table: io.StringIO, *, check_types: bool) -> None:
        from firmware_py.console.session import ConsoleSession
        from firmware_py.device.config import DeviceConfig
        from firmware_py.device.state import Device
        from firmware_py.tools.analyze import Printer

        self.recorder, self.check_types, self.now = recorder, check_types, 0.0
        self.device = device = Device(DeviceConfig(), state_dir=folder, info={"model": "m.tflite"},
                                      clock=lambda: self.now)
        self.table = Printer(table, as_json=False, brief=False)
        self.text, self.json = ConsoleSession(device), ConsoleSession(device)
        for console in (self.text, self.json):
            console.ctx.stream_hz = 30.0
        self.json.ctx.json = True
        self.streamed, self.seen = [], {}

    def on_frame(self, o: Outcome) -> None:
        if self.check_types:
            assert_plain(o.result.score.metrics, f"frame {o.result.index}")
        for key, value in o.result.score.metrics.items():
            if value is not None:
                self.seen[key] = type(value).__name__
        self.recorder.on_frame(o)
        self.table.on_frame(o)
        ReadingsSink(self.device).on_frame(o)
        self.now += 1.0
        for console in (self.text, self.json):
            self.streamed.append(console.tick(self.now).decode())

    def test(self, record) -> None:  # (run_analyze's guided test: none here)
        self.recorder.test(record)


def assert_plain(value, where: str) -> None:
    """Plain Python all the way down: what a writer is handed."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str), (where, k)
            assert_plain(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for v in value:
            assert_plain(v, where)
    else:
        assert type(value) in PLAIN, f"{where}: {type(value).__module__}.{type(value).__name__} {value!r}"


def strict(line: str):
    """A line as JSON, refusing NaN and infinities (not JSON, though Python writes them)."""
    def refuse(token):
        raise ValueError(f"{token} in {line[:120]}")
    return json.loads(line, parse_constant=refuse)


def replay(clip: Clip, drill: str, which: str, folder: Path, *, view: str = "front", scorer_type=Scorer,
           check_types: bool = True) -> dict:
    """One clip, one drill, one foot model through every writer; what each wrote."""
    from firmware_py.records.recorder import Recorder
    from firmware_py.records.sessionfile import read_session, settings_header, to_csv
    from firmware_py.tools.analyze import run_analyze, summary_text

    thresholds = Thresholds().with_value("drill", drill).with_value("view", view)
    pipeline = Replay(clip, scorer_type(thresholds, still=clip.still), which)
    recorder = Recorder(folder, folder=folder / f"{clip.name}-{drill}-{which}-{view}", source=clip.name,
                        lossless=True, describe=lambda: settings_header("ana", "concurrent", thresholds, None))
    table, out = io.StringIO(), io.StringIO()
    watch = Watch(recorder, folder, table, check_types=check_types)
    try:
        run_analyze(pipeline, Frames(clip), out, as_json=True, recorder=watch)
    finally:
        recorder.close()
    table.write(summary_text(pipeline.scorer.summary()) + "\n")
    run = {"json": [strict(line) for line in out.getvalue().splitlines()], "table": table.getvalue(),
           "stream": [strict(x) for s in watch.streamed[1::2] for x in s.splitlines() if x],
           "text": watch.streamed[0::2], "seen": watch.seen, "scorer": pipeline.scorer, "session": None}
    if recorder.sessions:  # (nobody in view: no session, as on the device)
        session = run["session"] = read_session(recorder.sessions[0])
        run["file"] = [strict(line) for line in session.path.read_text().splitlines()]
        run["csv"] = to_csv(session)
    return run


def page(session, *, drawn: bool) -> str:
    """The session's report; without ``drawn`` the plots are not rasterised (a second
    each: a few runs draw them, every run renders the rest of the page)."""
    from firmware_py.records import plots, running
    from firmware_py.records.report import render

    with pytest.MonkeyPatch.context() as mp:
        if not drawn:
            for module, name in ((plots, "metric_plot"), (plots, "comparison_plot"), (running, "steps_plot")):
                mp.setattr(module, name, lambda *args: b"")
        return render(session, session.folder)


def units_of(run: dict) -> int:
    """Reps, steps and landings judged in a run."""
    return sum(1 for x in run["json"] if "rep" in x or "step" in x or "landing" in x)


def _check(run: dict, where: str, *, drawn: bool = False) -> None:
    lines, session, scorer = run["json"], run["session"], run["scorer"]
    units = units_of(run)
    assert "summary" in lines[-1], where
    assert sum("rep" in x for x in lines) == len(scorer.reps), where
    # a single-leg rep is not judged by the knees' separation, so it keeps none (nor is it the worst)
    assert all(r.leg == "both" or r.peak("knee_separation_ratio").value is None for r in scorer.reps), where
    assert "KneeCue is a training-feedback device" in run["table"], where
    assert all(text.strip() for text in run["text"]), where  # a stream line every frame
    assert all("stream" in x for x in run["stream"]) and run["stream"], where
    if session is None:
        assert units == 0, where
        return
    assert session.header.get("type") == "session" and not session.damaged and not session.torn, where
    assert len(session.reps) == len(scorer.reps) and len(session.steps) == len(scorer.steps), where
    assert len(session.landings) == sum("landing" in x for x in lines), where
    assert "KneeCue session" in page(session, drawn=drawn), where


def test_every_metric_of_every_clip_goes_through_every_writer(clips, tmp_path):
    seen: dict[str, str] = {}
    drawn: set[str] = set()  # the drills whose report was drawn whole, plots and all
    for i, clip in enumerate(clips):
        for which in FOOT_MODELS:
            for drill in DRILLS:
                run = replay(clip, drill, which, tmp_path)
                draw = drill not in drawn and units_of(run) > 0 and run["session"] is not None
                _check(run, f"{clip.name} {drill} {which}", drawn=draw)
                drawn |= {drill} if draw else set()
                seen.update(run["seen"])
            # and the camera at the side or behind (the ankle's and the rearfoot's metrics)
            view = "side" if "side" in clip.name or "sagittal" in clip.name or i % 2 else "rear"
            run = replay(clip, "auto", which, tmp_path, view=view)
            _check(run, f"{clip.name} {view} {which}")
            seen.update(run["seen"])
    assert len(clips) >= 25 and all(clip.frames for clip in clips)
    table = {k for m in METRICS for k in m.keys}
    missing = sorted((table | set(FOOT_METRIC_KEYS)) - set(seen))
    assert missing == [], f"never read on any clip: {missing}"
    assert drawn == set(DRILLS), f"no rep, step or landing judged in any clip's frames taken: {set(DRILLS) - drawn}"


class Numpyish(Scorer):
    """A scorer whose numbers come out as numpy's (a foot flag, a mean, a keypoint):
    what a writer must take without a fault."""

    def update(self, *args, **kwargs):
        score = super().update(*args, **kwargs)
        m = score.metrics
        for key, value in list(m.items()):
            if isinstance(value, bool):
                m[key] = np.bool_(value)
            elif isinstance(value, float):
                m[key] = np.float32(value) if math.isfinite(value) else np.float64("nan")
        m["pronation_suspected_left"] = np.bool_(True)
        m["knee_separation_ratio"] = np.float64("nan")
        m["stance_points"] = np.arange(3)
        if score.rep is not None:
            for peak in score.rep.peaks.values():
                peak.value = None if peak.value is None else np.float32(peak.value)
                peak.frame = None if peak.frame is None else np.int64(peak.frame)
        return score


def test_numpy_values_reach_every_writer_as_plain_json(clips, tmp_path):
    clip = next(c for c in clips if c.name.startswith("sqd_single_leg_sit_to_stand"))
    for drill in ("sls", "squat"):
        run = replay(clip, drill, "lite", tmp_path, scorer_type=Numpyish, check_types=False)
        _check(run, drill)
        frames = [x for x in run["json"] if "metrics" in x]
        assert all(x["metrics"]["pronation_suspected_left"] is True for x in frames)
        assert all(x["metrics"]["knee_separation_ratio"] is None for x in frames)  # NaN: null, not NaN
        assert all(x["stream"]["pronation_suspected_left"] is True for x in run["stream"])
        assert all(x["stream"]["stance_points"] == [0, 1, 2] for x in run["stream"])
