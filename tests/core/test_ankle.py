"""The ankle from the side: shin angle, heel lift, and the knee-to-wall test, on
stick figures filmed from the side (and from the front, which the test refuses)."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

from firmware_py.core import keypoints as kp
from firmware_py.core.ankle import AnkleTest, HeelLift, foot_pitch, shin_angle, side_metrics
from firmware_py.core.feet import FootReading
from firmware_py.core.procedures import Notice
from firmware_py.core.scorer import Scorer
from firmware_py.core.settings import SettingError, Thresholds
from firmware_py.fakes.stickfigure import Camera, shoot
from firmware_py.wording import notice_text

SIDE = Camera(yaw_deg=90)  # the athlete faces image-left
FPS = 30.0


def _feet(pose, frame, t, *, lift_deg=0.0):
    """A foot reading under the left ankle: heel just behind it, toe ahead (image-left),
    the heel raised by ``lift_deg`` about the toe."""
    ax, ay = pose[kp.L_ANKLE, :2]
    toe = np.array([ax - 60.0, ay + 20.0])
    length = 80.0
    a = math.radians(lift_deg)
    heel = toe + length * np.array([math.cos(a), -math.sin(a)])
    points = np.array([[*heel, 0.9], [*heel, 0.9], [*toe, 0.9], [*toe, 0.9]])
    ankles = pose[[kp.L_ANKLE, kp.R_ANKLE], :2].astype(float)
    return FootReading(frame, t, points, np.zeros((6, 3)), ankles)


def _lunges(peaks, *, lift_from=None, camera=SIDE, seconds=2.0):
    """Frames of lunges to each peak shin angle (deg), standing between; with
    ``lift_from`` the heel rises 25 deg whenever the shin passes that angle."""
    frames = [(0.0, 0.0)] * int(FPS)  # a second of standing first
    for peak in peaks:
        n = int(seconds * FPS)
        frames += [(peak * math.sin(math.pi * i / n), 0.0) for i in range(n)]
        frames += [(0.0, 0.0)] * int(FPS / 2)
    out = []
    for i, (shin, _) in enumerate(frames):
        t = i / FPS
        pose = shoot(camera, flexion=2.0 * shin)  # the figure's shank pitches half the knee flexion
        lift = 25.0 if lift_from is not None and shin > lift_from else 0.0
        out.append((t, pose, _feet(pose, i, t, lift_deg=lift)))
    return out


def run(test, frames, *, feet=True):
    notices = []
    for i, (t, pose, reading) in enumerate(frames):
        notices += test.step(pose, SimpleNamespace(t=t, rep=None), reading if feet else None)
        if test.done:
            break
    if not test.done:
        notices += test.finish("clip ended")
    return notices


def test_shin_angle_and_foot_pitch_signs():
    assert shin_angle((90.0, 0.0), (100.0, 100.0), -1.0) == pytest.approx(math.degrees(math.atan(0.1)))
    assert shin_angle((90.0, 0.0), (100.0, 100.0), +1.0) < 0  # knee behind the ankle
    assert foot_pitch((0.0, 0.0), (100.0, 0.0)) == pytest.approx(0.0)
    assert foot_pitch((0.0, -10.0), (100.0, 0.0)) > 0  # heel higher than the toe


def test_a_side_view_reads_the_shin_as_posed_and_a_camera_off_the_side_reads_less():
    side = side_metrics(shoot(SIDE, flexion=70.0), None, 0.0)
    assert side["shin_angle_left"] == pytest.approx(35.0, abs=0.5)
    oblique = side_metrics(shoot(Camera(yaw_deg=60), flexion=70.0), None, 0.0)
    assert 31.0 <= oblique["shin_angle_left"] < 35.0  # tan x sin 60: 4 deg under at most


def test_heel_lift_is_against_the_straight_leg_pitch_and_ignores_a_repeated_reading():
    heel = HeelLift()
    assert heel.update(0, 20.0, straight=False) is None  # no standing pitch yet
    for frame in range(1, 6):
        heel.update(frame, 20.0, straight=True)
    assert heel.update(6, 20.0, straight=False) == pytest.approx(0.0)
    for frame in range(7, 10):
        lift = heel.update(frame, 40.0, straight=False)
    assert lift == pytest.approx(20.0)  # the median of the last five readings moved
    assert heel.update(9, 90.0, straight=False) == pytest.approx(20.0)  # same reading again: not counted


def test_best_heel_down_lunge_passes_against_the_threshold():
    test = AnkleTest("left", min_shin_deg=35.0, attempts=3)
    notices = run(test, _lunges([30.0, 40.0, 38.0]))
    assert test.done and test.record["verdict"] == "pass"
    assert test.record["shin_deg"] == pytest.approx(40.0, abs=1.0)
    assert test.record["tries"] == 3 and test.record["heel_lifts"] == 0 and test.record["heel_watched"]
    assert [n.data.get("try") for n in notices if "try" in n.data] == [1, 2, 3]
    assert "PASS (restricted below 35°)" in notice_text(notices[-1])


def test_frames_with_the_heel_up_do_not_count():
    test = AnkleTest("left", min_shin_deg=35.0, attempts=2)
    notices = run(test, _lunges([45.0, 45.0], lift_from=30.0))
    assert test.record["verdict"] == "restricted"
    # the deepest frame before the heel came up (the median of five readings lags by two)
    assert 28.0 <= test.record["shin_deg"] <= 34.0
    assert test.record["heel_lifts"] == 2
    assert "heel lifted at" in notice_text(notices[1]) and "the heel lifted in 2 of 2 tries" in notice_text(notices[-1])


def test_without_foot_points_the_result_says_the_heel_was_not_watched():
    test = AnkleTest("right", attempts=1)
    notices = run(test, _lunges([40.0]), feet=False)
    assert test.record["heel_watched"] is False and test.record["shin_deg"] == pytest.approx(40.0, abs=1.0)
    assert "heel not watched" in notice_text(notices[-1])


def test_the_other_legs_result_gives_the_difference():
    test = AnkleTest("right", attempts=1, other=42.0)
    notices = run(test, _lunges([35.0]))
    assert test.record["difference_deg"] == pytest.approx(-7.0, abs=1.0)
    assert "right - left: -7" in notice_text(notices[-1]) and "more than the smallest real change" in notice_text(notices[-1])


def test_a_frontal_camera_is_refused_in_one_line_and_nothing_is_recorded():
    test = AnkleTest("left")
    notices = run(test, _lunges([40.0], camera=Camera()))
    assert test.done and test.record is None
    assert notice_text(notices[-1]).startswith("ankle test refused: it needs the camera at the athlete's side")
    assert "\n" not in notice_text(notices[-1]) and notices[-1].data["state"] == "refused"


def test_the_side_view_setting_reads_the_shin_and_no_frontal_plane_measure():
    scorer = Scorer(Thresholds(view="side"))
    frames = _lunges([40.0])
    for i, (t, pose, reading) in enumerate(frames):
        score = scorer.update(pose, i, t, SIDE.size, reading)
        if i == int(FPS) + int(FPS):  # the deepest frame: a second of standing, then half the lunge
            deep = score
    m = deep.metrics
    assert m["shin_angle_left"] == pytest.approx(40.0, abs=2.0)
    assert m["heel_lift_left"] == pytest.approx(0.0, abs=1.0)
    assert m["fppa_left"] is None and m["gated"]["fppa_left"] == "side_view"
    assert m["pelvic_drop"] is None and m["trunk_lean"] is None
    assert "not_frontal" not in deep.placement and "not_side" not in deep.placement
    assert deep.cue.level in ("ok", "warn") and not any("knee" in r for r in deep.cue.reasons)


def test_a_side_view_setting_with_the_camera_in_front_says_not_side():
    scorer = Scorer(Thresholds(view="side"))
    for i in range(90):
        score = scorer.update(shoot(Camera()), i, i / FPS, (1280, 960))
    assert "not_side" in score.placement


def test_view_is_a_word_setting():
    assert Thresholds().with_value("view", " Rear ").view == "rear"
    with pytest.raises(SettingError, match="front/rear/side"):
        Thresholds().with_value("view", "top")


def test_a_lunge_still_under_way_when_the_clip_ends_is_counted_and_told():
    test = AnkleTest("left", attempts=3)
    frames = _lunges([40.0])
    notices = run(test, frames[: int(FPS) + int(FPS) + 5])  # stops just past the deepest frame
    assert test.record["tries"] == 1 and test.record["shin_deg"] == pytest.approx(40.0, abs=1.0)
    assert notice_text(notices[-2]).startswith("  try 1/3: shin 40") and "clip ended: left leg, 1 of 3 tries" in notice_text(notices[-1])


def test_every_ankle_notice_reads_the_same_from_its_json():
    """The words come from the data alone: a script reading the console's JSON gets
    everything the coach's line says (tries, lifts, the other leg, a refusal)."""
    notices = run(AnkleTest("left", attempts=2, other=30.0), _lunges([45.0, 45.0], lift_from=30.0))
    notices += run(AnkleTest("right", attempts=1), _lunges([40.0]), feet=False)
    notices += run(AnkleTest("left"), _lunges([40.0], camera=Camera()))
    notices += AnkleTest("left", idle_s=1.0).finish("stopped")
    assert {n.kind for n in notices} == {"ankle_started", "ankle_try", "ankle_finished", "ankle_refused"}
    for n in notices:
        data = json.loads(json.dumps({"notice": n.to_dict()}))["notice"]  # as the console's JSON mode prints it
        assert notice_text(Notice(data.pop("kind"), data)) == notice_text(n)
    assert "ankle test stopped: no lunge for 1 s: left leg, 0 of 3 tries; no side view" in notice_text(notices[-1])
