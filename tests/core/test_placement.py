"""Camera placement: steady votes over seconds, from a fixed vocabulary."""

from __future__ import annotations

import numpy as np

from firmware_py.core import keypoints as kp
from firmware_py.core.placement import PROBLEMS, PlacementMonitor, placement_votes
from firmware_py.fakes.stickfigure import Camera, shoot

DT = 1.0 / 30.0
SIZE = (1280, 960)


def _watch(poses, monitor=None, size=SIZE):
    mon = monitor or PlacementMonitor()
    return [mon.update(p, i * DT, size) for i, p in enumerate(poses)]


def test_frontal_and_back_views_are_fine():
    for camera in (Camera(distance=4.0), Camera(distance=4.0, facing="back")):
        assert _watch([shoot(camera, flexion=40)] * 90)[-1] == ()


def test_an_oblique_camera_is_not_frontal():
    camera = Camera(distance=4.0, yaw_deg=65.0)
    history = _watch([shoot(camera)] * 90)
    assert history[5] == ()  # too few votes yet: no opinion
    assert history[-1] == ("not_frontal",)
    assert all(h == ("not_frontal",) for h in history[20:])


def test_a_small_athlete_is_too_small():
    camera = Camera(distance=4.0, person_px=200.0)  # 200 px of a 960 px frame
    assert _watch([shoot(camera)] * 60)[-1] == ("too_small",)


def test_feet_and_hips_out_of_view():
    feet = shoot()
    feet[[kp.L_ANKLE, kp.R_ANKLE], 2] = 0.1
    assert _watch([feet] * 60)[-1] == ("feet_out_of_view",)
    cropped = shoot()
    cropped[:, 1] += 350.0  # athlete low in the frame: ankles below the bottom edge
    assert "feet_out_of_view" in _watch([cropped] * 60)[-1]
    hips = shoot()
    hips[[kp.L_HIP, kp.R_HIP], 2] = 0.2
    assert "hips_out_of_view" in _watch([hips] * 60)[-1]


def test_problems_use_the_fixed_vocabulary_in_order():
    feet = shoot(Camera(yaw_deg=70.0, person_px=150.0))
    feet[[kp.L_ANKLE, kp.R_ANKLE], 2] = 0.1
    problems = _watch([feet] * 60)[-1]
    assert set(problems) <= set(PROBLEMS)
    assert list(problems) == [p for p in PROBLEMS if p in problems]


def test_no_flicker_when_the_evidence_is_mixed():
    good, bad = shoot(), shoot(Camera(yaw_deg=70.0))
    rng = np.random.default_rng(2)
    poses = [bad if rng.random() < 0.45 else good for _ in range(600)]
    history = _watch(poses)
    assert sum(a != b for a, b in zip(history, history[1:])) <= 1


def test_nobody_in_view_votes_nothing_and_clears_old_problems():
    mon = PlacementMonitor()
    _watch([shoot(Camera(yaw_deg=70.0))] * 60, mon)
    assert mon.problems == ("not_frontal",)
    empty = kp.empty_pose()
    assert placement_votes(empty, SIZE) == (None,) * len(PROBLEMS)
    for i in range(90):
        mon.update(empty, 2.0 + i * DT, SIZE)
    assert mon.problems == ()
