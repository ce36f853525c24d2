"""Running: steps, cadence and the midstance measures on real running (the rear-view
pose file at 120 fps and resampled to 60 and 30, the side-view clip through the real
model), the runner's cue, and `analyze` on a pose file."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from firmware_py.app.build import build_pipeline
from firmware_py.core.cue import Cue
from firmware_py.core.drills import RunJudge
from firmware_py.core.drills.run import REFRACTORY_S
from firmware_py.core.running import Step, cadence_spm
from firmware_py.core.settings import Thresholds
from firmware_py.sources import make_source

pytestmark = pytest.mark.media

REAR = "gaitlab_treadmill_running_rear.rtmpose.pose.json"
SIDE = "zzz_treadmill_running_sagittal.mp4"
REAR_CADENCE = 180.54  # measured from the video's pixels with no pose model (SOURCES.md)
SIDE_CADENCE = 168.9  # measured (issue 24)


def resampled(media, tmp_path, every: int) -> str:
    """The rear-view file at 120 / ``every`` fps: every ``every``-th frame, its timestamps kept."""
    data = json.loads(media(REAR).read_text())
    data["frames"] = data["frames"][::every]
    data["timestamps"] = data["timestamps"][::every]
    data["fps"] = data["fps"] / every
    path = tmp_path / f"rear_{every}.pose.json"
    path.write_text(json.dumps(data))
    return str(path)


def scored(path: str, model=None, **settings):
    thresholds = Thresholds()
    for key, value in settings.items():
        thresholds = thresholds.with_value(key, value)
    pipeline = build_pipeline(model, thresholds=thresholds)
    scores = []
    with make_source(path) as source:
        for frame in source:
            scores.append(pipeline.process(frame).score)
    return pipeline.scorer, scores


@pytest.mark.parametrize("every", [1, 2, 4])  # 120, 60 and 30 fps
def test_the_rear_view_runner_steps_at_her_measured_cadence_at_every_frame_rate(media, tmp_path, every):
    scorer, scores = scored(resampled(media, tmp_path, every))
    steps = [s.step for s in scores if s.step is not None]
    assert abs(cadence_spm(steps) - REAR_CADENCE) <= 0.03 * REAR_CADENCE
    for side in ("left", "right"):
        mine = [s for s in steps if s.side == side]
        assert len(mine) >= 7
        assert all(s.metrics["pelvic_drop"] is not None for s in mine)
    assert all(a.side != b.side for a, b in zip(steps, steps[1:]))  # strictly alternating, as the eye counts
    assert scorer.drill.name == "run" and scorer.decision.drill == "run"  # recognised, not told


def test_no_contralateral_drop_is_read_where_the_source_saw_none(media):
    """SOURCES.md: at the lowest pelvis of each step the stance-side hip reads lower, the
    opposite of a contralateral drop; read against her own level, both sides are negative."""
    scorer, _ = scored(str(media(REAR)))
    means = scorer.summary()["running"]["means"]
    assert means["left"]["pelvic_drop"] < 0 and means["right"]["pelvic_drop"] < 0
    assert scorer.summary()["running"]["cued"] == 0


def test_the_side_view_runner_is_counted_and_its_frontal_measures_gated(movenet, media):
    scorer, scores = scored(str(media(SIDE)), movenet)
    steps = [s.step for s in scores if s.step is not None]
    run = scorer.summary()["running"]
    assert abs(run["cadence_spm"] - SIDE_CADENCE) <= 0.03 * SIDE_CADENCE
    assert steps and all(s.metrics["pelvic_drop"] is None and s.gated["pelvic_drop"] == "side_view" for s in steps)
    assert not any(s.cue.level == "alert" for s in scores)


def step(i: int, side: str, t: float, drop: float, hip: float = 5.0) -> Step:
    return Step(i, side, 0, t - 0.05, 0, t, 0, t + 0.15, {"pelvic_drop": drop, "hip_adduction": hip})


def run_steps(drops: list[float], *, spm: float = 180.0, **settings) -> tuple[RunJudge, list[Step], Thresholds]:
    th = Thresholds()
    for key, value in settings.items():
        th = th.with_value(key, value)
    judge, steps = RunJudge(), []
    for i, drop in enumerate(drops):
        s = step(i, ("left", "right")[i % 2], i * 60.0 / spm, drop)
        judge.judge(s, th)
        steps.append(s)
    return judge, steps, th


def test_one_noisy_step_does_not_beep_two_of_three_on_a_side_do():
    _, steps, _ = run_steps([9.0, 0.0, 0.0, 0.0, 0.0, 0.0])  # one left step over 7 deg
    assert steps[0].failed == ("pelvic_drop",) and not any(s.cued for s in steps)
    _, steps, _ = run_steps([9.0, 0.0, 9.0, 0.0])  # two left steps in a row over it
    assert [s.cued for s in steps] == [False, False, True, False]


def test_a_runner_at_180_steps_a_minute_never_hears_a_buzzer_that_does_not_stop():
    """Every left step over the alert for a minute: a cue at most once per side per
    REFRACTORY_S, each lasting one step; amber between, from the side's mean."""
    th, judge = Thresholds(), RunJudge()
    pending = [step(i, ("left", "right")[i % 2], i / 3.0, 9.0 if i % 2 == 0 else 0.0) for i in range(180)]
    levels, done = [], []
    for frame in range(30 * 60):  # a minute at 30 fps: each step judged as it ends, as the scorer does
        t = frame / 30.0
        while pending and pending[0].end_t <= t:
            judge.judge(pending[0], th)
            done.append(pending.pop(0))
        levels.append(judge.cue(t, th, present=True).level)
    cued = [s.midstance_t for s in done if s.cued]
    assert cued and all(b - a >= REFRACTORY_S for a, b in zip(cued, cued[1:]))
    assert len(cued) <= 60.0 / REFRACTORY_S + 1
    assert levels.count("alert") / len(levels) < 0.15
    assert set(levels[30 * 5:]) <= {"alert", "warn"}  # after 7 left steps: amber, the left mean is past warn


def test_green_while_the_means_are_fine_and_nothing_without_a_runner():
    judge, steps, th = run_steps([1.0, 2.0] * 10)
    assert judge.cue(steps[-1].end_t, th, present=True) == Cue("ok")
    assert judge.cue(steps[-1].end_t, th, present=False).level == "idle"


@pytest.fixture(scope="module")
def analyzed(media, tmp_path_factory):
    """``kneecue analyze`` on the rear-view pose file, once: its JSON lines and its session."""
    folder = tmp_path_factory.mktemp("rear") / "session"
    done = subprocess.run([sys.executable, "-m", "firmware_py", "analyze", str(media(REAR)), "--json", "--report",
                           str(folder)], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()], folder


def test_analyze_reads_a_pose_file_and_writes_each_step(analyzed):
    records, _ = analyzed
    steps = [r["step"] for r in records if "step" in r]
    assert len(steps) >= 14
    for key in ("index", "side", "contact_frame", "midstance_frame", "pelvic_drop", "hip_adduction", "trunk_lean",
                "fppa", "knee_gap", "step_width", "crossover", "verdict"):
        assert key in steps[3], key
    assert all(s["side"] in ("left", "right") and s["contact_frame"] <= s["midstance_frame"] for s in steps)
    summary = records[-1]["summary"]
    assert abs(summary["running"]["cadence_spm"] - REAR_CADENCE) <= 0.03 * REAR_CADENCE
    assert summary["running"]["steps_per_side"]["left"] >= 7 and summary["running"]["means"]["left"]["pelvic_drop"]
    assert summary["drill"] == "run" and summary["decided"]["evidence"]["steps"] >= 4


def test_the_console_sets_the_drill_and_lists_the_steps_with_their_means(media, tmp_path):
    from firmware_py.console.session import ConsoleSession
    from firmware_py.device.config import load_config
    from firmware_py.device.state import Device

    now = [1000.0]
    device = Device(load_config(tmp_path)[0], state_dir=tmp_path, clock=lambda: now[0])
    console = ConsoleSession(device)

    def reply(line: str) -> str:
        now[0] += 0.5
        return console.receive(line.encode() + b"\r", now[0]).decode()

    assert "drill run (treadmill running)" in reply("drill run")
    assert "drill must be one of: auto, sls, squat, run, hop, land" in reply("drill hopscotch")
    assert device.settings.config.thresholds.drill == "run"
    pipeline = build_pipeline(None, thresholds=device.settings.config.thresholds)
    with make_source(str(media(REAR))) as source:
        for frame in source:
            score = pipeline.process(frame).score
            device.observe(score, None)
            device.mailbox.publish(score, "ok", 0, 0, 0)
    text = reply("steps 3")
    assert text.count("midstance") == 3 and "cadence 181 steps/min" in text
    assert "left mean of the last 7: pelvic drop" in text and "right mean of the last 7" in text
    assert "drill run (treadmill running)" in reply("status")


def test_the_session_file_and_the_report_keep_each_step(analyzed):
    from firmware_py.records.sessionfile import read_session

    _, folder = analyzed
    session = read_session(folder)
    assert len(session.steps) >= 14 and {s["side"] for s in session.steps} == {"left", "right"}
    assert session.summary()["drill"] == "run" and session.summary()["steps_per_side"]["left"] >= 7
    assert [d["drill"] for d in session.drills] == ["auto", "run"]
    page = (folder / "report.html").read_text()
    assert '<table id="running">' in page and 'data-side="left"' in page and 'data-side="right"' in page
    assert "cadence 181 steps/min" in page
