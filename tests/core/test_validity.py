"""Validity gates: a knee angle is read only where it means something (docs/judgement.md,
"When a knee angle means nothing")."""

from __future__ import annotations

import pytest

from firmware_py.core.calibration import Calibration
from firmware_py.core.metrics import compute_metrics, measure, metrics_from_body
from firmware_py.core.placement import PlacementMonitor
from firmware_py.core.scorer import Scorer
from firmware_py.core.settings import DEFAULT
from firmware_py.core.validity import UprightLengths, turn_vote
from firmware_py.fakes.sequences import squats
from firmware_py.fakes.stickfigure import Camera, shoot

FRONT = Camera()


def _upright(stance="left", camera=FRONT):
    thighs = UprightLengths()
    thighs.update(measure(shoot(camera, stance=stance)), 0.0, True)
    return thighs


def test_a_foreshortened_thigh_gates_the_per_knee_measures_with_a_reason():
    thighs = _upright()
    # the stick figure pitches the thigh by half the knee flexion: 70 deg -> cos 35 = 0.82,
    # 140 deg -> cos 70 = 0.34 of its upright length
    half = metrics_from_body(measure(shoot(FRONT, stance="left", flexion=70, valgus_left=15)),
                             stance="left", lengths=thighs)
    deep = metrics_from_body(measure(shoot(FRONT, stance="left", flexion=140, valgus_left=15)),
                             stance="left", lengths=thighs)
    assert half["fppa_left"] == pytest.approx(15.0, abs=0.5) and "fppa_left" not in half["gated"]
    assert deep["fppa_left"] is None and deep["knee_medial_left"] is None
    assert deep["gated"]["fppa_left"] == deep["gated"]["knee_medial_left"] == "thigh_foreshortened"
    # the gate is a setting: a coach who wants deep squats read can lower it
    lenient = metrics_from_body(measure(shoot(FRONT, stance="left", flexion=140, valgus_left=15)),
                                stance="left", lengths=thighs,
                                thresholds=DEFAULT.with_value("min_thigh_ratio", 0.3))
    assert lenient["fppa_left"] == pytest.approx(15.0, abs=1.0)  # (perspective at this depth)


def test_two_footed_stance_is_judged_by_separation_not_per_knee_angles():
    m = metrics_from_body(measure(shoot(FRONT, flexion=60)), stance="both", lengths=_upright("both"))
    assert m["fppa_left"] is None and m["fppa_right"] is None
    assert m["gated"]["fppa_left"] == "two_footed" and m["gated"]["knee_medial_right"] == "two_footed"
    assert m["knee_separation_ratio"] is not None and "knee_separation_ratio" not in m["gated"]
    single = metrics_from_body(measure(shoot(FRONT, stance="left")), stance="left", lengths=_upright())
    assert single["gated"]["knee_separation_ratio"] == "not_two_footed"
    assert "pelvic_drop" not in single["gated"] and m["gated"]["pelvic_drop"] == "not_single_leg"


def test_untrusted_legs_say_not_seen():
    pose = shoot(FRONT, stance="left")
    pose[13, 2] = 0.1  # left knee unseen
    m = metrics_from_body(measure(pose), stance="left", lengths=_upright())
    assert m["gated"]["fppa_left"] == "not_seen"


def test_a_wide_stance_with_straight_legs_is_not_read_as_knees_caving():
    wide = compute_metrics(shoot(FRONT, stance_width=18.0, flexion=20))
    assert wide["knee_separation_ratio"] > 0.95  # knees on the hip-ankle lines
    caved = compute_metrics(shoot(FRONT, stance_width=18.0, flexion=60, valgus_left=25, valgus_right=25))
    assert caved["knee_separation_ratio"] < 0.8


@pytest.mark.parametrize("yaw, turned", [(0.0, False), (8.0, False), (25.0, True), (-25.0, True)])
def test_a_turned_two_footed_squat_votes_turned(yaw, turned):
    camera = Camera(yaw_deg=yaw)
    thighs = _upright("both", camera)
    body = measure(shoot(camera, flexion=110))
    assert turn_vote(body, "both", thighs, 15.0, upright=False, frontal_widths=None) is turned


def test_knees_caving_together_are_not_a_turn():
    thighs = _upright("both")
    body = measure(shoot(FRONT, flexion=110, valgus_left=20, valgus_right=20))
    assert turn_vote(body, "both", thighs, 15.0, upright=False, frontal_widths=None) is False


def test_standing_turned_against_the_calibration_votes_turned_on_one_leg_too():
    square = measure(shoot(FRONT))
    frontal = square.hip_width / square.torso
    for yaw, turned in ((0.0, False), (30.0, True)):
        body = measure(shoot(Camera(yaw_deg=yaw), stance="left"))
        assert turn_vote(body, "left", UprightLengths(), 15.0, upright=True, frontal_widths=frontal) is turned
    # without a calibration a single-leg stance gives no evidence either way
    body = measure(shoot(Camera(yaw_deg=30.0), stance="left"))
    assert turn_vote(body, "left", UprightLengths(), 15.0, upright=True, frontal_widths=None) is None


def test_a_good_squat_filmed_off_axis_warns_turned_and_never_cues_the_knee():
    session = squats(3, side="both", flexion=110, camera=Camera(yaw_deg=25.0), noise_px=1.0)
    scorer = Scorer()
    scores = [scorer.update(pose, i, t, Camera().size) for i, (t, pose) in enumerate(session)]
    assert any("turned" in s.placement for s in scores)
    assert not any(r.startswith("knee") for s in scores for r in s.cue.reasons)
    assert all("knee_inward" not in r.failed for r in scorer.reps) and len(scorer.reps) == 3


def test_a_frontal_two_footed_collapse_still_fails_on_the_knee():
    from firmware_py.fakes.sequences import Fault

    session = squats(2, side="both", flexion=90, faults={1: Fault(valgus=25.0)}, noise_px=1.0)
    scorer = Scorer()
    for i, (t, pose) in enumerate(session):
        scorer.update(pose, i, t, Camera().size)
    assert [("knee_inward" in r.failed) for r in scorer.reps] == [False, True]


def test_placement_raises_turned_only_on_steady_votes():
    mon = PlacementMonitor()
    body = measure(shoot(FRONT))
    for i in range(60):
        mon.update_body(body, i / 30.0, FRONT.size, turned=(i % 3 == 0))  # a third of the votes
    assert "turned" not in mon.problems
    for i in range(60, 120):
        mon.update_body(body, i / 30.0, FRONT.size, turned=True)
    assert "turned" in mon.problems


def test_calibration_seeds_the_upright_thighs():
    cal = Calibration(leg_length_px=400.0, hip_width_px=60.0, torso_length_px=120.0)
    thighs = UprightLengths(cal.leg_length_px)
    assert thighs.left == thighs.right == 200.0


def test_hips_shifted_over_one_foot_are_not_a_turn():
    # Both knees move the same way in the image when the hips shift sideways over one
    # foot too; then the hips go with them, where a turn sends the hips (sitting back)
    # the other way or nowhere.
    thighs = _upright("both")
    pose = shoot(Camera(yaw_deg=25.0), flexion=110)
    body = measure(pose)
    assert turn_vote(body, "both", thighs, 15.0, upright=False, frontal_widths=None) is True
    knees = 0.5 * (pose[13, 0] + pose[14, 0]) - 0.25 * (pose[11, 0] + pose[12, 0] + pose[15, 0] + pose[16, 0])
    shifted = pose.copy()
    shifted[[5, 6, 11, 12], 0] += 0.8 * knees  # hips and shoulders over toward the knees' side
    assert turn_vote(measure(shifted), "both", thighs, 15.0, upright=False, frontal_widths=None) is False


def test_an_arm_across_a_knee_makes_it_not_seen_never_read_from_the_knees_edge():
    """Issue 26: with the arms held in front of the knees at a squat's bottom, MoveNet put
    both knees on their outer edges and the knees read over the feet.  A knee an arm lies
    across is not_seen; hands on the hips at a single-leg squat's depth cover nothing."""
    import numpy as np

    from firmware_py.core import keypoints as kp

    def arms_across(pose, knees):  # each forearm laid over a knee: elbow above it, wrist on it
        pose = pose.copy()
        for (elbow, wrist), knee in zip(((kp.L_ELBOW, kp.L_WRIST), (kp.R_ELBOW, kp.R_WRIST)), knees):
            pose[wrist, :2] = pose[knee, :2] + np.array([0.0, -5.0])
            pose[elbow, :2] = pose[knee, :2] + np.array([0.0, -60.0])
        return pose

    squat = shoot(FRONT, stance="both", flexion=60, valgus_left=15, valgus_right=15, hands_on_hips=False)
    seen = compute_metrics(squat, stance="both")
    assert seen["knee_separation_ratio"] is not None
    hidden = compute_metrics(arms_across(squat, (kp.L_KNEE, kp.R_KNEE)), stance="both")
    assert hidden["knee_separation_ratio"] is None and hidden["gated"]["knee_separation_ratio"] == "not_seen"
    one = shoot(FRONT, stance="left", flexion=70, valgus_left=15, hands_on_hips=False)
    covered = compute_metrics(arms_across(one, (kp.L_KNEE, kp.R_KNEE)), stance="left")
    assert covered["fppa_left"] is None and covered["gated"]["fppa_left"] == "not_seen"
    on_hips = compute_metrics(shoot(FRONT, stance="left", flexion=90, valgus_left=15), stance="left")
    assert on_hips["fppa_left"] == pytest.approx(15.0, abs=1.0)
