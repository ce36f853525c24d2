"""One Euro smoothing: little lag on movement, less jitter at rest, fresh starts."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_py.core import keypoints as kp
from firmware_py.core.smoothing import PoseSmoother, SmoothingParams
from firmware_py.fakes.stickfigure import shoot

BASE = shoot()
TORSO = float(np.hypot(*(BASE[[5, 6], :2].mean(0) - BASE[[11, 12], :2].mean(0))))
DT = 1.0 / 30.0


def _lag_frames(speed_torso_per_s: float, axis: int) -> float:
    s = PoseSmoother()
    v = speed_torso_per_s * TORSO
    for i in range(90):
        pose = BASE.copy()
        pose[:, axis] += v * i * DT
        out = s.update(pose, i * DT)
    return float(np.max(pose[:, axis] - out[:, axis]) / (v * DT))


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("speed", [0.1, 0.3, 0.75, 2.0])
def test_lag_on_a_steady_ramp_is_at_most_one_frame_at_30_fps(speed, axis):
    # 0.1 torso lengths/s is a slow knee drift; a squat descent is about 0.7
    assert 0.0 <= _lag_frames(speed, axis) <= 1.0


def test_jitter_at_rest_is_reduced():
    rng = np.random.default_rng(1)
    s = PoseSmoother()
    raw, smooth = [], []
    for i in range(300):
        noise = rng.normal(0.0, 0.015 * TORSO, (17, 2))
        pose = BASE.copy()
        pose[:, :2] += noise
        out = s.update(pose, i * DT)
        if i > 30:
            raw.append(noise)
            smooth.append(out[:, :2] - BASE[:, :2])
    assert np.std(smooth) < 0.7 * np.std(raw)


def test_scores_pass_through_and_the_input_is_not_modified():
    s = PoseSmoother()
    pose = BASE.copy()
    pose[kp.NOSE, 2] = 0.55
    keep = pose.copy()
    s.update(pose, 0.0)
    out = s.update(pose + [3.0, 0.0, 0.0], DT)
    assert np.array_equal(pose, keep)
    assert np.array_equal(out[:, 2], pose[:, 2])


def test_reset_when_the_person_is_lost():
    s = PoseSmoother()
    for i in range(10):
        s.update(BASE, i * DT)
    lost = BASE.copy()
    lost[[kp.L_HIP, kp.R_HIP], 2] = 0.1
    out = s.update(lost, 10 * DT)
    assert s.reset_reason == "lost" and not s.active
    assert np.array_equal(out, lost)
    moved = BASE + [40.0, 0.0, 0.0]  # comes back somewhere else: taken as it is
    out = s.update(moved, 11 * DT)
    assert s.reset_reason == "start"
    assert np.array_equal(out, moved)


def test_reset_when_the_pose_jumps():
    s = PoseSmoother()
    for i in range(10):
        s.update(BASE, i * DT)
    jumped = BASE + [TORSO, 0.0, 0.0]  # a torso length in one frame: a new detection
    out = s.update(jumped, 10 * DT)
    assert s.reset_reason == "jump"
    assert np.array_equal(out, jumped)
    small = jumped + [0.2 * TORSO, 0.0, 0.0]
    out = s.update(small, 11 * DT)
    assert s.reset_reason is None
    assert np.all(out[:, 0] < small[:, 0])  # followed, not jumped to


def test_reset_after_a_gap_or_time_going_backwards():
    s = PoseSmoother(SmoothingParams(max_gap_s=0.5))
    s.update(BASE, 0.0)
    s.update(BASE + [5.0, 0, 0], 1.0)
    assert s.reset_reason == "gap"
    s.update(BASE, 0.5)
    assert s.reset_reason == "time"


def test_untrusted_points_pass_through_raw():
    s = PoseSmoother()
    for i in range(10):
        s.update(BASE, i * DT)
    pose = BASE.copy()
    pose[kp.L_WRIST, :2] += 50.0
    pose[kp.L_WRIST, 2] = 0.1
    out = s.update(pose, 10 * DT)
    assert np.array_equal(out[kp.L_WRIST], pose[kp.L_WRIST])
