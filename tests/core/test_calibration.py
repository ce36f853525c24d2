"""Calibration: camera roll and baselines from quiet standing; strict records."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from firmware_py.core import keypoints as kp
from firmware_py.core.calibration import Calibration, CalibrationError, Calibrator
from firmware_py.core.metrics import compute_metrics
from firmware_py.fakes.stickfigure import Camera, shoot

DT = 1.0 / 30.0


def _calibrate(camera, seconds=3.5, noise=0.8, seed=0, **pose_args):  # the default window is 3 s
    rng = np.random.default_rng(seed)
    cal = Calibrator()
    status = None
    for i in range(int(seconds / DT)):
        pose = shoot(camera, **pose_args)
        pose[:, :2] += rng.normal(0.0, noise, (17, 2))
        status = cal.update(pose, i * DT)
        if status.done:
            break
    return status


@pytest.mark.parametrize("roll", [-6.0, 0.0, 3.0, 8.0])
@pytest.mark.parametrize("facing", ["front", "back"])
def test_roll_and_baselines_from_quiet_standing(roll, facing):
    camera = Camera(roll_deg=roll, facing=facing, distance=6.0)
    status = _calibrate(camera, valgus_left=4.0, valgus_right=-3.0)
    assert status.done and status.problem is None
    cal = status.calibration
    assert cal.roll_deg == pytest.approx(roll, abs=0.3)
    assert cal.fppa_baseline_left == pytest.approx(4.0, abs=0.6)
    assert cal.fppa_baseline_right == pytest.approx(-3.0, abs=0.6)
    assert cal.hip_height_px == pytest.approx(cal.leg_length_px, rel=0.05)  # straight legs


def test_metrics_are_wrong_on_a_rolled_camera_and_right_after_calibrating():
    camera = Camera(roll_deg=5.0)
    cal = _calibrate(camera).calibration
    posed = dict(stance="right", pelvic_drop=6.0, trunk_lean=-4.0, flexion=50.0)
    before = compute_metrics(shoot(camera, **posed), stance="right")
    after = compute_metrics(shoot(camera, **posed), calibration=cal, stance="right")
    assert abs(before["pelvic_drop"] - 6.0) > 3.0
    assert after["pelvic_drop"] == pytest.approx(6.0, abs=0.5)
    assert after["trunk_lean"] == pytest.approx(-4.0, abs=0.5)


def test_progress_runs_up_and_finishes_after_the_duration():
    cal = Calibrator(duration_s=1.0)
    progress = []
    for i in range(40):
        status = cal.update(shoot(), i * DT)
        progress.append(status.progress)
        if status.done:
            break
    assert status.done and i == 30
    assert progress == sorted(progress)
    assert cal.update(shoot(), 5.0).calibration == status.calibration  # stays done


def test_one_foot_up_is_reported_and_restarts():
    cal = Calibrator(duration_s=1.0)
    for i in range(20):
        cal.update(shoot(), i * DT)
    status = cal.update(shoot(stance="left"), 20 * DT)
    assert status.problem == "not_both_feet" and status.progress == 0.0


def test_moving_athlete_is_reported():
    cal = Calibrator(duration_s=1.0)
    for i in range(20):
        cal.update(shoot(), i * DT)
    status = cal.update(shoot() + [60.0, 0.0, 0.0], 20 * DT)
    assert status.problem == "moved" and not status.done


def test_untrusted_legs_are_reported():
    pose = shoot()
    pose[kp.R_ANKLE, 2] = 0.1
    status = Calibrator().update(pose, 0.0)
    assert status.problem == "not_trusted"


def test_dict_round_trip_through_json():
    cal = Calibration(3.25, 4.5, -2.0, 410.0, 420.5, 110.0, 250.0)
    assert Calibration.from_dict(json.loads(json.dumps(cal.to_dict()))) == cal
    assert Calibration.from_dict({}) == Calibration()


@pytest.mark.parametrize(
    "data",
    [
        {"roll": 1.0},  # unknown key
        {"roll_deg": "3"},  # wrong type
        {"roll_deg": True},
        {"roll_deg": None},
        {"roll_deg": math.nan},
        {"roll_deg": 60.0},  # not a plausible roll
        {"leg_length_px": -5.0},
        {"fppa_baseline_left": [1.0]},
    ],
)
def test_from_dict_is_strict(data):
    with pytest.raises(CalibrationError):
        Calibration.from_dict(data)


def test_from_dict_wants_a_mapping_and_errors_are_value_errors():
    with pytest.raises(ValueError):
        Calibration.from_dict([("roll_deg", 1.0)])


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("nan"), float("inf")])
def test_an_empty_or_endless_window_is_refused_not_a_calibration_of_ten_frames(seconds):
    with pytest.raises(CalibrationError, match="seconds of standing"):
        Calibrator(duration_s=seconds)
