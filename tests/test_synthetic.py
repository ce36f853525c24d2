"""The fakes that ship: a synthetic athlete through the real loop, console and service,
in-process and in milliseconds (no model, no footage)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from firmware_py.app.build import build_pipeline
from firmware_py.console.session import ConsoleSession
from firmware_py.cues.outputs import CueOutputs
from firmware_py.device.config import DeviceConfig
from firmware_py.device.state import Device
from firmware_py.errors import KneeCueError, SourceOpenError
from firmware_py.fakes.synthetic import ScriptedPoseEngine, SyntheticSource
from firmware_py.loop.live import LiveLoop
from firmware_py.loop.sinks import EventSink, ReadingsSink
from firmware_py.sources import make_source
from firmware_py.tools.analyze import run_analyze


class Events:
    def __init__(self):
        self.records = []

    def write(self, record):
        self.records.append(record)


def test_a_synthetic_frame_is_drawn_from_the_pose_the_scripted_engine_returns():
    source = make_source("synthetic:squats").open()
    frame = source.read()
    assert frame.rgb.shape == (480, 640, 3) and frame.truth.shape == (17, 3)
    x, y = frame.truth[11, :2].astype(int)  # the left hip is drawn where the pose says
    assert frame.rgb[y, x].tolist() != [96, 96, 96]
    assert np.array_equal(ScriptedPoseEngine().pose_of(frame), frame.truth)
    with pytest.raises(KneeCueError, match="carry no pose"):
        ScriptedPoseEngine().pose_of(frame.__class__(0, 0, frame.rgb, 0.0))
    with pytest.raises(SourceOpenError, match="synthetic:squats"):
        SyntheticSource("dance")


def test_the_scripted_valgus_fails_the_second_rep_alone_through_analyze():
    out = io.StringIO()
    count = run_analyze(build_pipeline(None), make_source("synthetic:valgus"), out, as_json=True)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    reps = [line["rep"] for line in lines if "rep" in line]
    assert count > 200 and [(r["leg"], r["failed"]) for r in reps] == [("left", []), ("left", ["knee_inward"]),
                                                                      ("left", [])]
    assert 20.0 <= reps[1]["fppa_left"]["value"] <= 30.0  # the 25° the script drew


def test_the_live_loop_cues_the_scripted_valgus_and_the_console_sees_it():
    device = Device(DeviceConfig())
    events = Events()
    factory = MockFactory(pin_class=MockPWMPin)
    with CueOutputs(pin_factory=factory) as outputs:
        stats = LiveLoop(make_source("synthetic:valgus"), build_pipeline(None), outputs, device=device,
                         sinks=[EventSink(events, outputs), ReadingsSink(device)]).run()
        assert all(not factory.pin(p).state for p in device.settings.config.pins.outputs().values())
    patterns = [e["pattern"] for e in events.records if "pattern" in e]
    assert "alert" in patterns and patterns[-1] == "dark" and stats.frames > 200
    alert = next(e for e in events.records if e.get("pattern") == "alert")
    assert alert["reasons"][0] == "knee_valgus_left" and alert["metrics"]["fppa_left"] >= 12.0
    reps = ConsoleSession(device).receive(b"reps\r", 0.0).decode().split("\r\n")[1:4]
    assert [line.split(":")[0] for line in reps] == ["#1 left pass", "#2 left FAIL (knee inward)", "#3 left pass"]


def test_kneecue_run_on_a_synthetic_athlete_needs_no_model(tmp_path):
    """The service end to end (console on stdin, events, records) with no model file at all."""
    events = tmp_path / "events.jsonl"
    done = subprocess.run([sys.executable, "-m", "firmware_py", "run", "--source", "synthetic:valgus", "--gpio",
                           "mock", "--events", str(events), "--state-dir", str(tmp_path / "state"),
                           "--model", str(tmp_path / "no-such-model.tflite")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in events.read_text().splitlines()]
    assert "alert" in [r.get("pattern") for r in records] and records[-1]["pattern"] == "dark"
    assert "Put a good model" not in done.stderr  # no model fault: none was needed


def test_a_synthetic_athlete_runs_without_the_foot_model_unless_asked(tmp_path):
    """A stick figure has no feet to read: `run` leaves the foot model off for it (a
    corrupt foot model in KNEECUE_MODEL_DIR goes unread), and `--feet lite` still asks."""
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[1] / "models" / "pose_landmark_lite.tflite"
    (tmp_path / shipped.name).write_bytes(shipped.read_bytes()[:5000])
    env = {**os.environ, "KNEECUE_MODEL_DIR": str(tmp_path)}

    def run(*extra):
        return subprocess.run([sys.executable, "-m", "firmware_py", "run", "--source", "synthetic:squats", "--gpio",
                               "mock", "--no-record", "--state-dir", str(tmp_path / "state"), *extra],
                              capture_output=True, text=True, timeout=60, env=env)

    quiet, asked = run(), run("--feet", "lite")
    assert quiet.returncode == asked.returncode == 0, quiet.stderr + asked.stderr
    assert "no foot points" not in quiet.stderr
    assert "feet: no foot points" in asked.stderr


def test_calibration_from_the_command_line_on_a_scripted_standing_athlete(tmp_path):
    done = subprocess.run([sys.executable, "-m", "firmware_py", "calibrate", "--source", "synthetic:stand",
                           "--gpio", "mock", "--seconds", "2", "--state-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "calibrated: camera roll +0.0°" in done.stdout
    cal = json.loads((tmp_path / "config.json").read_text())["athletes"]["default"]["calibration"]
    assert abs(cal["roll_deg"]) < 0.5 and abs(cal["fppa_baseline_left"]) < 1.0


def test_the_loop_stops_promptly_on_a_looped_synthetic_source():
    stop = threading.Event()
    device = Device(DeviceConfig())
    with CueOutputs(pin_factory=MockFactory(pin_class=MockPWMPin)) as outputs:
        loop = LiveLoop(SyntheticSource("squats", loop=True, realtime=True), build_pipeline(None), outputs,
                        device=device, stop=stop, sinks=[ReadingsSink(device)])
        worker = threading.Thread(target=loop.run)
        worker.start()
        threading.Timer(0.5, stop.set).start()
        worker.join(5)
    assert not worker.is_alive() and 5 <= loop.stats.frames <= 30  # paced at 30 fps for 0.5 s


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_turned_synthetic_frame_keeps_its_pose_on_the_figure(degrees):
    from firmware_py.sources.rotation import rotated

    frame = rotated(make_source("synthetic:squats").open().read(), degrees)
    for joint in (0, 11, 12, 15, 16):  # nose, hips, ankles: on the drawn figure, not the grey
        x, y = np.round(frame.truth[joint, :2]).astype(int)
        assert frame.rgb[y, x].tolist() != [96, 96, 96], joint
