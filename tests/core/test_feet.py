"""Foot metrics and the fault pattern a failed rep fits (core.feet, core.faults)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from firmware_py.core import keypoints as kp
from firmware_py.core.faults import fault_pattern
from firmware_py.core.feet import FootReading, PlantedFeet, foot_metrics, turnout_deg
from firmware_py.core.metrics import measure
from firmware_py.core.reps import Rep
from firmware_py.core.settings import DEFAULT
from firmware_py.fakes.stickfigure import Camera, shoot
from firmware_py.wording import pattern_words

FRONT = Camera()


def _world(turn_left: float, turn_right: float) -> np.ndarray:
    """World points (metres; x to the subject's left here, z toward the camera) of two
    feet under the hips, each turned out by the given degrees."""
    pts = np.zeros((6, 3))
    for i, (side_x, turn) in enumerate(((0.1, turn_left), (-0.1, turn_right))):
        out = 1.0 if side_x > 0 else -1.0  # lateral direction of this foot
        a = math.radians(turn)
        pts[i] = (side_x, 0.9, 0.0)  # heel
        pts[2 + i] = (side_x + out * 0.2 * math.sin(a), 0.9, 0.2 * math.cos(a))  # toe, forward = +z
    pts[4], pts[5] = (0.1, 0.0, 0.0), (-0.1, 0.0, 0.0)
    return pts


@pytest.mark.parametrize("left, right", [(0.0, 0.0), (20.0, 5.0), (-10.0, 30.0)])
def test_turnout_is_the_angle_from_the_facing_direction_toes_out_positive(left, right):
    w = _world(left, right)
    assert turnout_deg(w, "left") == pytest.approx(left, abs=0.1)
    assert turnout_deg(w, "right") == pytest.approx(right, abs=0.1)


def _reading(pose, *, knee_shift=0.0, t=0.0):
    """A foot reading with each heel and toe on the vertical through its ankle."""
    pts = np.zeros((4, 3))
    for i, a in enumerate((kp.L_ANKLE, kp.R_ANKLE)):
        x, y = pose[a, 0], pose[a, 1]
        pts[i] = (x, y + 5.0, 0.9)  # heel just below the ankle in the image
        pts[2 + i] = (x, y + 25.0, 0.9)  # toe nearer the camera: lower in the image
    return FootReading(0, t, pts, _world(0.0, 0.0), pose[[kp.L_ANKLE, kp.R_ANKLE], :2].copy())


def _shank_up(pose):
    """Each shank's length standing tall, in the image (the scorer follows these)."""
    b = measure(pose)
    return {side: math.hypot(b.x[k] - b.x[a], b.y[k] - b.y[a]) for side, (_, k, a) in kp.LEG.items()}


UPRIGHT = _shank_up(shoot(FRONT, stance="left"))


def test_a_knee_over_the_toes_reads_zero_and_a_knee_inside_the_foot_positive():
    straight = shoot(FRONT, stance="left", flexion=60)
    m = foot_metrics(measure(straight), _reading(straight), 0.1, shank_up=UPRIGHT)
    assert m["foot_ref_left"] == "foot" and m["knee_over_toe_left"] == pytest.approx(0.0, abs=0.02)
    caved = shoot(FRONT, stance="left", flexion=60, valgus_left=20.0)
    m = foot_metrics(measure(caved), _reading(caved), 0.1, shank_up=UPRIGHT)
    assert m["knee_over_toe_left"] > 0.1 and m["shank_tilt_left"] > 5.0
    # without the upright shank there is no way forward to correct by: not read
    assert foot_metrics(measure(caved), _reading(caved), 0.1)["knee_over_toe_left"] is None


@pytest.mark.parametrize("camera_height", [0.5, 1.0, 1.6])
def test_a_knee_tracking_a_turned_out_foot_is_over_it_and_a_knee_over_the_ankle_is_inside(camera_height):
    # 60 deg of knee flexion: the shank pitches 30 deg forward, so the knee is
    # F = 0.5 shank ahead of the ankle; over a foot turned out 20 deg it is also
    # F tan 20 = 0.18 shank lateral of the ankle.  The camera's height must not matter.
    camera = Camera(height=camera_height)
    upright = _shank_up(shoot(camera, stance="left"))
    pose = shoot(camera, stance="left", flexion=60)
    b = measure(pose)
    lateral = 1.0 if b.x[kp.L_HIP] > b.x[kp.R_HIP] else -1.0  # image direction of the left side
    reading = _reading(pose)._replace(world=_world(20.0, 0.0))
    tracking = pose.copy()
    tracking[kp.L_KNEE, 0] += lateral * 0.5 * math.tan(math.radians(20.0)) * upright["left"]
    over = foot_metrics(measure(tracking), reading, 0.1, shank_up=upright)["knee_over_toe_left"]
    assert over == pytest.approx(0.0, abs=0.03)
    inside = foot_metrics(b, reading, 0.1, shank_up=upright)["knee_over_toe_left"]
    assert inside == pytest.approx(0.5 * math.tan(math.radians(20.0)), abs=0.03)


def test_an_old_or_missing_reading_leaves_the_foot_unread():
    pose = shoot(FRONT, stance="left", flexion=60)
    old = foot_metrics(measure(pose), _reading(pose, t=0.0), 2.0)
    assert old["knee_over_toe_left"] is None and old["foot_ref_left"] == "ankle"
    assert old["shank_tilt_left"] is not None  # the shank needs no foot
    none = foot_metrics(measure(pose), None, 2.0)
    assert none["foot_turnout_left"] is None


def test_a_planted_foot_is_averaged_and_starts_afresh_when_it_moves():
    pose = shoot(FRONT, stance="left", flexion=60)
    planted = PlantedFeet()
    first = _reading(pose)
    jittered = first._replace(frame_index=1, points=first.points + np.array([4.0, 0.0, 0.0]))
    planted.update(first, (100.0, 100.0))
    out = planted.update(jittered, (100.0, 100.0))
    assert out.points[0, 0] - first.points[0, 0] == pytest.approx(1.0)  # a quarter of the jitter
    moved = first._replace(frame_index=2, points=first.points + np.array([60.0, 0.0, 0.0]))
    assert planted.update(moved, (100.0, 100.0)).points[0, 0] == pytest.approx(first.points[0, 0] + 60.0)


def _failed(leg: str = "left", **bottom) -> Rep:
    """A rep that failed on the knee, with ``bottom`` as read over its bottom
    (``core.evidence``), and foot_frames/pronation_frames where given."""
    rep = Rep(0, leg, 0, 0.0, 10, 0.3, 20, 0.7, 0.3, failed=("knee_inward",))
    for key in ("foot_frames", "pronation_frames"):
        if key in bottom:
            setattr(rep, key, bottom.pop(key))
    rep.bottom = bottom
    return rep


def test_a_failed_rep_names_a_pattern_only_where_its_number_clears_threshold_and_uncertainty():
    # the pelvic drop's bar is the larger of pelvic_drop_warn (4) and twice its jitter (6)
    assert fault_pattern(_failed(pelvic_drop=6.5), DEFAULT)[0] == ("hip",)
    assert fault_pattern(_failed(pelvic_drop=5.0), DEFAULT)[0] == ()  # past warn, within the jitter
    assert fault_pattern(_failed(hip_drift=0.2), DEFAULT)[0] == ("hip",)  # drifted out since the top
    assert fault_pattern(_failed(hip_drift=0.05), DEFAULT)[0] == ()
    # a turn-out change: only beyond what a bent knee alone reads on a planted foot (26 deg + jitter)
    assert fault_pattern(_failed(foot_turnout_rel_left=18.0, foot_turnout_left=30.0), DEFAULT)[0] == ()
    ankle = _failed(foot_turnout_rel_left=40.0, foot_turnout_left=50.0)
    assert fault_pattern(ankle, DEFAULT) == (("ankle",), {"foot_turnout_rel": 40.0})
    # a foot turned in coming back towards straight is not turning out
    assert fault_pattern(_failed(foot_turnout_rel_left=40.0, foot_turnout_left=-5.0), DEFAULT)[0] == ()
    pron = _failed(foot_frames={"left": 40}, pronation_frames={"left": 30})
    assert fault_pattern(pron, DEFAULT)[0] == ("pronation_suspected",)
    # 3 of 5 is past 30 % but not by two standard errors
    assert fault_pattern(_failed(foot_frames={"left": 5}, pronation_frames={"left": 3}), DEFAULT)[0] == ()
    # the widest clearance leads
    both = _failed(pelvic_drop=6.5, foot_turnout_rel_left=70.0, foot_turnout_left=80.0)
    assert fault_pattern(both, DEFAULT)[0] == ("ankle", "hip")
    quiet = _failed(pelvic_drop=1.0, foot_frames={"left": 10}, pronation_frames={"left": 1})
    assert fault_pattern(quiet, DEFAULT) == ((), {"pelvic_drop": 1.0, "hip_drift": None, "pronation_share": 0.1,
                                                  "foot_frames": 10})
    # only a knee failure is matched; the free leg's foot says nothing
    trunk = Rep(0, "left", 0, 0.0, 10, 0.3, 20, 0.7, 0.3, failed=("trunk_sway",), bottom={"pelvic_drop": 9.0})
    assert fault_pattern(trunk, DEFAULT)[0] == ()
    assert fault_pattern(_failed(foot_turnout_rel_right=60.0, foot_turnout_right=70.0), DEFAULT)[0] == ()


def test_feet_pointing_in_are_a_pattern_of_their_own_never_the_ankle():
    """The issue's athlete: feet pointing in, the knee fails; the foot reads "more
    turned out than standing" only because its baseline was read wrong.  Turned in
    beyond the two models' disagreement (14 deg) and the jitter, the rep fits feet_in."""
    rep = _failed(leg="both", foot_turnout_rel_left=17.7, foot_turnout_left=-8.0)
    fits, evidence = fault_pattern(rep, DEFAULT, {"left": -25.0, "right": -24.0})
    assert fits == ("feet_in",) and evidence["foot_turnout_standing"] == -25.0
    assert fault_pattern(rep, DEFAULT, {"left": -15.0, "right": -10.0})[0] == ()  # within the models' error


def test_the_pattern_is_worded_as_something_to_check_with_its_numbers():
    rep = _failed(pelvic_drop=6.1, hip_drift=0.14)
    rep.pattern, rep.evidence = fault_pattern(rep, DEFAULT)
    assert pattern_words(rep) == ("fits the hip pattern (pelvis drops, hip drifts out) "
                                  "(pelvic drop +6.1° ±6, hip drift +0.14 ±0.11)")
    rep = _failed(foot_frames={"left": 40}, pronation_frames={"left": 30})
    rep.pattern, rep.evidence = fault_pattern(rep, DEFAULT)
    assert pattern_words(rep).startswith("pronation suspected")
    rep = _failed(foot_turnout_rel_left=17.7, foot_turnout_left=20.0)
    rep.pattern, rep.evidence = fault_pattern(rep, DEFAULT)
    assert pattern_words(rep) == "pattern unclear (foot turned out +18° from standing ±33)"
    assert pattern_words(_failed()) == "pattern unclear: nothing read beside the knee"
    back = Rep.from_dict(rep.to_dict())
    assert back.bottom == rep.bottom and back.pattern == () and back.evidence == rep.evidence


@pytest.mark.parametrize("heel_out_px, sign", [(0.0, 0), (12.0, 1), (-12.0, -1)])
def test_from_behind_the_rearfoot_angle_is_positive_with_the_heel_out(heel_out_px, sign):
    back = shoot(Camera(facing="back"), stance="left", flexion=30)
    reading = _reading(back)
    pts = reading.points.copy()
    b = measure(back)
    lateral = -1.0 if b.x[kp.R_HIP] > b.x[kp.L_HIP] else 1.0  # away from the right hip, in the image
    # the left heel 25 px below the ankle on the shank's line, then moved out (or in)
    ux, uy = back[kp.L_ANKLE, :2] - back[kp.L_KNEE, :2]
    n = math.hypot(ux, uy)
    pts[0, :2] = back[kp.L_ANKLE, :2] + 25.0 * np.array([ux / n, uy / n]) + (heel_out_px * lateral, 0.0)
    m = foot_metrics(b, reading._replace(points=pts), 0.1, view="rear")
    angle = m["rearfoot_angle_left"]
    assert m["knee_over_toe_left"] is None and m["pronation_suspected_left"] is None  # not read from behind
    if sign == 0:
        assert angle == pytest.approx(0.0, abs=0.5)
    else:
        assert angle * sign > 20.0  # 12 px out at 25 px down: ~26 deg


def test_with_the_trigger_on_the_cue_judges_the_knee_against_the_foot_less_the_turnouts_uncertainty():
    from firmware_py.core.feet import TURNOUT_UNCERTAINTY_DEG
    from firmware_py.core.scorer import Scorer

    scorer = Scorer(DEFAULT.with_value("knee_over_toe_trigger", True))
    scorer.feet_enabled = True
    turned = _world(20.0, 20.0)

    def frames(pose, first, n):
        for i in range(first, first + n):
            reading = _reading(pose, t=i / 30.0)._replace(frame_index=i, world=turned)
            score = scorer.update(pose, i, i / 30.0, FRONT.size, reading)
        return score.metrics

    frames(shoot(FRONT, stance="left"), 0, 30)  # standing tall: the upright shank
    bent = shoot(FRONT, stance="left", flexion=60)  # the knee over the ankle, F = 0.5 shank
    m = frames(bent, 30, 30)
    b = measure(bent)
    assert m["foot_ref_left"] == "foot"
    assert m["knee_over_toe_left"] == pytest.approx(0.5 * math.tan(math.radians(20.0)), abs=0.03)
    judged = 0.5 * math.tan(math.radians(20.0 - TURNOUT_UNCERTAINTY_DEG)) * UPRIGHT["left"] / b.hip_width
    assert m["knee_medial_left"] == pytest.approx(judged, abs=0.03)
    # off, the cue judges against the ankle: the knee is over it
    scorer.set_thresholds(DEFAULT)
    m = frames(bent, 60, 5)
    assert m["foot_ref_left"] == "ankle" and m["knee_medial_left"] == pytest.approx(0.0, abs=0.02)


@pytest.mark.parametrize("valgus", [0.0, 20.0])
def test_every_foot_metric_is_a_plain_value_that_any_json_writer_takes(valgus):
    """Issue 26: a numpy bool (the pronation flag, from numpy foot points) crashed
    `analyze --json --feet lite` at the first frame it was read."""
    import json

    pose = shoot(FRONT, stance="left", flexion=60, valgus_left=valgus)
    m = foot_metrics(measure(pose), _reading(pose), 0.1, shank_up=UPRIGHT, baseline={"left": 0.0, "right": 0.0})
    assert m["pronation_suspected_left"] is not None  # read, so the flag is in the record
    assert {type(v) for v in m.values()} <= {type(None), bool, int, float, str}, \
        {k: type(v) for k, v in m.items()}
    json.dumps(m)


def test_the_standing_turnout_is_read_standing_never_from_a_squat():
    """Each foot's standing turn-out (what foot_turnout_rel is measured from) is read
    only between reps once the standing height is known: a clip that opens in a squat
    has none, and a squat's feet do not move it."""
    from firmware_py.core.scorer import Scorer

    scorer = Scorer(DEFAULT)
    scorer.feet_enabled = True
    state = {"i": 0}

    def frames(pose, n, world):
        for _ in range(n):
            i = state["i"] = state["i"] + 1
            reading = _reading(pose, t=i / 30.0)._replace(frame_index=i, world=world)
            score = scorer.update(pose, i, i / 30.0, FRONT.size, reading)
        return score.metrics

    stand = shoot(FRONT, stance="both", hands_on_hips=False)

    def squat(share):  # all above the knees lowered: each thigh pitched toward the camera, shanks upright
        pose = stand.copy()
        pose[:kp.R_HIP + 1, 1] += share * (stand[kp.L_KNEE, 1] - stand[kp.L_HIP, 1])
        return pose

    m = frames(squat(0.6), 60, _world(-20.0, -20.0))  # opens in a squat, feet turned in
    assert m["foot_turnout_left"] == pytest.approx(-20.0, abs=0.5) and m["foot_turnout_rel_left"] is None
    frames(stand, 60, _world(5.0, 5.0))  # stands up
    for share in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6):  # down into a squat, the feet turning out as it goes
        m = frames(squat(share), 3, _world(30.0, 30.0))
    assert m["foot_turnout_rel_left"] == pytest.approx(25.0, abs=0.5)  # from the standing 5, not the squat


def test_a_reps_evidence_is_the_median_over_its_bottom_and_the_hip_drift_since_its_top():
    from firmware_py.core.evidence import RepEvidence

    ev = RepEvidence()
    depths = [0.0, 0.05, 0.2, 0.3, 0.35, 0.36, 0.34, 0.2, 0.05]
    drops = [1.0, 1.0, 3.0, 7.0, 6.0, 30.0, 5.0, 2.0, 1.0]  # one wild reading at the bottom
    drifts = [0.6, 0.62, 0.7, 0.8, 0.82, 0.8, 0.81, 0.7, 0.6]
    for depth, drop, drift in zip(depths, drops, drifts):
        ev.add(depth, {"pelvic_drop": drop, "hip_drift": drift, "foot_turnout_left": None})
    out = ev.summary(0.36, 0.8)  # the bottom: depth >= 0.288
    assert out["pelvic_drop"] == 6.5 and out["n"]["pelvic_drop"] == 4  # median of 7, 6, 30, 5
    assert out["hip_drift"] == pytest.approx(0.805 - 0.6, abs=1e-6)  # since the top (depth < 0.09)
    assert out["foot_turnout_left"] is None and out["n"]["foot_turnout_left"] == 0
