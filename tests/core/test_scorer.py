"""The whole pipeline: what each mode shows, totals, calibration, speed."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from firmware_py.core import keypoints as kp
from firmware_py.core.calibration import Calibrator
from firmware_py.core.patterns import PatternSelector
from firmware_py.core.scorer import Scorer
from firmware_py.core.settings import FeedbackMode, Thresholds
from firmware_py.fakes.sequences import Fault, squats
from firmware_py.fakes.stickfigure import Camera, shoot

SIZE = (1280, 960)
FAULTS = {1: Fault(valgus=20.0), 2: Fault(touch_down=True)}


def play(scorer, session):
    return [scorer.update(pose, i, t, SIZE) for i, (t, pose) in enumerate(session)]


def shown(scorer, session):
    """(score, pattern shown) per frame: the scorer's judgement through the pattern selector."""
    selector = PatternSelector(scorer.mode.value)
    out = []
    for score in play(scorer, session):
        verdict = None if score.rep is None else score.rep.verdict
        out.append((score, selector.select(score.t, level=score.cue.level, verdict=verdict)))
    return out


def test_concurrent_mode_shows_the_cue_level_on_every_frame():
    frames = shown(Scorer(mode="concurrent"), squats(3, faults=FAULTS))
    assert all(pattern == s.cue.level for s, pattern in frames)
    alert_frames = [s for s, pattern in frames if pattern == "alert"]
    assert alert_frames and all("knee_valgus_left" in s.cue.reasons for s in alert_frames)


def test_terminal_mode_shows_only_a_verdict_when_a_rep_completes():
    frames = shown(Scorer(mode=FeedbackMode.TERMINAL), squats(3, faults=FAULTS))
    verdict_starts = [(s.frame_index, p) for (s, p), (_, before) in zip(frames[1:], frames)
                      if p in ("pass", "fail") and before != p]
    completed = [(s.frame_index, s.rep.verdict) for s, _ in frames if s.rep is not None]
    assert verdict_starts == completed
    assert [v for _, v in verdict_starts] == ["pass", "fail", "fail"]
    assert {p for _, p in frames} <= {"dark", "idle", "pass", "fail"}  # never a live cue


def test_silent_mode_shows_nothing_but_still_records():
    scorer = Scorer(mode="silent")
    frames = shown(scorer, squats(3, faults=FAULTS))
    assert all(p == "dark" for _, p in frames)
    assert len(scorer.reps) == 3


def test_summary_totals_reps_verdicts_and_worst_peaks():
    scorer = Scorer()
    play(scorer, squats(3, faults=FAULTS))
    play(scorer, [(100.0 + t, pose) for t, pose in squats(2, side="right")])
    s = scorer.summary()
    assert s["reps"] == 5
    assert s["reps_per_leg"] == {"left": 3, "right": 2, "both": 0}
    assert (s["passed"], s["failed"]) == (3, 2)
    assert s["failures"] == {"knee_inward": 1, "hands_off_hips": 0, "trunk_sway": 0, "balance_lost": 1}
    assert s["worst"]["fppa_left"]["rep"] == 1
    assert s["worst"]["fppa_left"]["value"] == pytest.approx(20.0, abs=1.5)
    json.dumps(s)


def test_reset_forgets_the_athlete():
    scorer = Scorer()
    play(scorer, squats(2))
    scorer.reset()
    assert scorer.summary()["reps"] == 0


def test_nobody_in_view_is_idle():
    scorer = Scorer()
    for i in range(30):
        score = scorer.update(kp.empty_pose(), i, i / 30.0, SIZE)
    assert score.cue.level == "idle"
    assert score.metrics["fppa_left"] is None


def test_frame_score_to_dict_is_json():
    scores = play(Scorer(), squats(1))
    json.dumps([s.to_dict() for s in scores[-40:]])


def test_calibration_levels_a_rolled_camera_through_the_scorer():
    camera = Camera(roll_deg=6.0)
    cal = Calibrator()
    for i in range(100):  # a little over the 3 s of standing the calibration needs
        status = cal.update(shoot(camera), i / 30.0)
    posed = [(i / 30.0, shoot(camera, stance="left", pelvic_drop=5.0)) for i in range(30)]
    plain = play(Scorer(), posed)[-1].metrics
    levelled = play(Scorer(calibration=status.calibration), posed)[-1].metrics
    assert levelled["stance"] == "left"
    assert levelled["pelvic_drop"] == pytest.approx(5.0, abs=0.5)
    assert plain["pelvic_drop"] is None or abs(plain["pelvic_drop"] - 5.0) > 3.0


def test_new_thresholds_apply_and_keep_the_reps():
    scorer = Scorer()
    play(scorer, squats(1))
    scorer.set_thresholds(Thresholds(fppa_alert=30.0, fppa_warn=25.0, knee_medial_alert=0.9))
    scores = play(scorer, [(50.0 + t, p) for t, p in squats(1, faults={0: Fault(valgus=20.0)})])
    assert all(s.cue.level in ("ok", "warn") for s in scores)
    assert [r.passed for r in scorer.reps] == [True, True]


def test_a_threshold_change_mid_rep_keeps_the_rep_under_way():
    session = squats(2, faults={1: Fault(valgus=20.0)})
    steady = Scorer()
    play(steady, session)
    changed = Scorer()
    frames = list(session)
    first_half = frames[: len(frames) * 3 // 4]  # inside the second rep
    scores = play(changed, first_half)
    assert scores[-1].phase != "standing"
    changed.set_thresholds(Thresholds(fppa_warn=25.0, fppa_alert=30.0, knee_medial_alert=0.9))
    rest = [changed.update(p, len(first_half) + i, t, SIZE) for i, (t, p) in enumerate(frames[len(first_half):])]
    assert len(changed.reps) == len(steady.reps) == 2
    assert any(s.cue.level == "alert" for s in scores)  # 20 degrees of valgus alerted
    assert all(s.cue.level != "alert" for s in rest)  # and from the next frame on does not


def _bytecodes(call):
    """How many Python bytecodes ``call()`` runs: a cost that, unlike time, repeats exactly."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        frame.f_trace_opcodes = True
        count += event == "opcode"
        return tracer

    sys.settrace(tracer)
    try:
        call()
    finally:
        sys.settrace(None)
    return count


def test_per_frame_work_does_not_grow_with_the_session():
    # Work that grows with history (a loop over every rep so far, a list searched
    # each frame) would make a device slower the longer it runs.  Counted in
    # bytecodes, not timed: the same frames cost the same wherever they come.
    session = squats(12)
    scorer = Scorer()
    per_rep = len(session.frames) // 12
    costs = []
    for i, (t, pose) in enumerate(session):
        if per_rep <= i < 2 * per_rep or 11 * per_rep <= i < 12 * per_rep:  # rep 2 and rep 12
            costs.append(_bytecodes(lambda: scorer.update(pose, i, t, SIZE)))
        else:
            scorer.update(pose, i, t, SIZE)
    assert len(scorer.reps) == 12
    early, late = costs[:per_rep], costs[per_rep:]
    assert min(early) > 500  # the count is real
    assert sum(late) <= 1.005 * sum(early), (sum(early), sum(late))


def test_a_device_keeps_only_its_recent_reps_and_numbers_on():
    scorer = Scorer(keep_reps=3)
    done = [s.rep for s in play(scorer, squats(5)) if s.rep is not None]
    assert [r.index for r in done] == [0, 1, 2, 3, 4]
    assert [r.index for r in scorer.reps] == [2, 3, 4]
    scorer.set_calibration(None)  # re-seeds the trackers, keeps the reps
    done = [s.rep for s in play(scorer, [(100.0 + t, pose) for t, pose in squats(1)]) if s.rep is not None]
    assert [r.index for r in done] == [5]
    assert [r.index for r in scorer.reps] == [3, 4, 5] and scorer.summary()["reps"] == 3


def test_pose_input_is_not_modified():
    pose = shoot()
    keep = pose.copy()
    Scorer().update(pose, 0, 0.0, SIZE)
    assert np.array_equal(pose, keep)
