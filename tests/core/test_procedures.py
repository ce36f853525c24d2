"""The guided procedures the coach starts from the console, on synthetic athletes."""

from __future__ import annotations

import numpy as np

from firmware_py.core import keypoints as kp
from firmware_py.core.procedures import GuidedCalibration, SingleLegSquatTest
from firmware_py.core.scorer import Scorer
from firmware_py.fakes.sequences import Fault, squats
from firmware_py.fakes.stickfigure import Camera, shoot
from firmware_py.wording import notice_text

SIZE = (1280, 960)


def run_test(test, session, t0=0.0):
    scorer = Scorer()
    notices = []
    for i, (t, pose) in enumerate(session):
        score = scorer.update(pose, i, t0 + t, SIZE)
        notices += test.update(score.rep, t0 + t)
        if test.done:
            break
    return notices


def test_five_left_reps_one_with_valgus_pass_overall():
    test = SingleLegSquatTest("left", 5)
    notices = run_test(test, squats(5, side="left", faults={2: Fault(valgus=20.0)}))
    assert test.done
    final = notices[-1]
    assert final.data["verdict"] == "pass" and final.data["passed"] == 4
    assert "left leg PASS, 4 of 5 reps passed (a pass needs 4 of 5)" in notice_text(final)
    assert "rep 3: FAIL (knee inward" in notice_text(final)
    assert [n.data.get("rep") for n in notices if "rep" in n.data] == [1, 2, 3, 4, 5]


def test_two_bad_reps_in_five_fail_and_name_the_faults():
    test = SingleLegSquatTest("left", 5)
    notices = run_test(test, squats(5, side="left", faults={0: Fault(valgus=20.0), 3: Fault(hands_off=True)}))
    final = notices[-1]
    assert final.data["verdict"] == "fail"
    assert "faults seen: hands off hips, knee inward" in notice_text(final)


def test_reps_on_the_other_leg_are_told_and_not_counted():
    test = SingleLegSquatTest("right", 2)
    notices = run_test(test, squats(3, side="left"))
    assert sum("not counted: this test is on the right leg" in notice_text(n) for n in notices) == 3
    assert not test.done and test.reps == []


def test_no_rep_for_the_idle_time_ends_the_test_incomplete():
    test = SingleLegSquatTest("left", 5, idle_s=3.0)
    standing = [(i / 30.0, shoot()) for i in range(150)]
    notices = run_test(test, standing)
    assert test.done and notices[-1].data["verdict"] == "incomplete"
    assert "no left-leg rep for 3 s" in notice_text(notices[-1])


def test_calibration_counts_down_then_measures_a_rolled_camera():
    camera = Camera(roll_deg=5.0)
    guided = GuidedCalibration(countdown_s=3, duration_s=2.0)
    notices = []
    for i in range(30 * 8):
        notices += guided.update(shoot(camera), i / 30.0)
        if guided.done:
            break
    texts = [notice_text(n).strip() for n in notices]
    assert texts[1:5] == ["3…", "2…", "1…", "hold still…"]
    assert guided.done and abs(guided.result.roll_deg - 5.0) < 0.5
    assert texts[-1].startswith("calibrated: camera roll +5.0°")
    assert 5.0 <= i / 30.0 < 5.5  # 3 s countdown + 2 s of standing


def test_calibration_says_what_is_wrong_at_most_once_a_second_and_gives_up():
    rng = np.random.default_rng(1)
    guided = GuidedCalibration(countdown_s=1, duration_s=2.0, timeout_s=5.0)
    notices = []
    for i in range(30 * 10):
        pose = shoot(stance="left")  # one foot up: not a calibration stance
        pose[:, :2] += rng.normal(0, 1.0, (17, 2))
        notices += guided.update(pose, i / 30.0)
    problems = [n for n in notices if "problem" in n.data and n.data.get("state") is None]
    assert 4 <= len(problems) <= 6  # about one a second for 5 s
    assert guided.done and guided.result is None
    assert notice_text(notices[-1]).startswith("calibration failed (not both feet)")


def test_calibration_says_which_points_it_could_not_trust():
    guided = GuidedCalibration(countdown_s=1, duration_s=2.0)
    notices = []
    for i in range(60):
        pose = shoot()
        pose[kp.L_ANKLE, 2] = pose[kp.L_KNEE, 2] = 0.1  # hidden behind a bench
        notices += guided.update(pose, i / 30.0)
    told = [n for n in notices if n.data.get("problem") == "not_trusted"]
    assert told and notice_text(told[0]).strip() == "not trusted (left knee, left ankle unseen): starting over"
    assert told[0].data["unseen"] == ["left_knee", "left_ankle"]
