"""The feet on real footage: BlazePose's heels and toes on MoveNet's crop, and what they say."""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

import numpy as np
import pytest

from firmware_py.core.scorer import Scorer
from firmware_py.loop.pipeline import Pipeline
from firmware_py.pose.blazepose import FOOT_POINTS, FootModel
from firmware_py.pose.engine import PoseEngine
from firmware_py.pose.feetstage import FootStage
from firmware_py.sources import make_source
from firmware_py.wording import notice_text

pytestmark = pytest.mark.media

MODELS = Path(__file__).resolve().parents[1] / "models"


@functools.cache
def foot_model(which: str) -> FootModel:
    return FootModel(MODELS / f"pose_landmark_{which}.tflite", num_threads=2)


@pytest.fixture(scope="module")
def with_feet(movenet, media):
    """(clip name, lite|full) -> per-frame FrameResults with the foot stage inline on every frame."""

    @functools.cache
    def run(name: str, which: str = "lite"):
        pipeline = Pipeline(PoseEngine(movenet), Scorer(), FootStage(foot_model(which), threaded=False))
        with make_source(str(media(name))) as source:
            return [pipeline.process(frame) for frame in source]

    return run


def test_foot_points_agree_with_the_tfjs_blazepose_output(with_feet, media):
    with open(media("tfjs_bodyweight_squats_band_frontal.blazepose_full_expected.json")) as f:
        expected = np.array(json.load(f))
    results = with_feet("tfjs_bodyweight_squats_band_frontal.mp4", "full")  # tfjs ran the full model
    assert len(results) == len(expected) == 65
    errors = [np.hypot(*(r.feet.points[:, :2] - expected[r.index][list(FOOT_POINTS), :2]).T)
              for r in results if r.feet is not None and r.feet.frame_index == r.index]
    assert len(errors) >= 60
    assert np.median(errors) <= 8.0  # heels and foot indices, pixels (tfjs's own test allows 28)


def test_the_knee_over_the_toes_reads_the_sit_to_stand_collapse(with_feet):
    results = with_feet("sqd_single_leg_sit_to_stand_good_then_valgus_frontal.mp4")
    over = {r.index: r.metrics["knee_over_toe_right"] for r in results}
    # labelled by eye: right knee over the foot 82-140 (both feet down), inside it 152-211
    standing = [v for i, v in over.items() if 82 <= i <= 140 and v is not None]
    collapse = [v for i, v in over.items() if 165 <= i <= 210 and v is not None]
    assert len(standing) > 30 and len(collapse) > 30
    assert np.median(collapse) > np.median(standing) + 0.2  # shank lengths


def test_a_foot_turned_out_at_rest_reads_turned_out_against_its_partner(with_feet):
    # Looked at first (a zoomed crop of frame 5): standing before the squat, the subject's
    # left foot (image right) points out to the side, the right one nearly at the camera.
    results = with_feet("lnc_overhead_squat_frontal_good_IMG_7035.mov")[:15]
    left = [r.metrics["foot_turnout_left"] for r in results if r.metrics["foot_turnout_left"] is not None]
    right = [r.metrics["foot_turnout_right"] for r in results if r.metrics["foot_turnout_right"] is not None]
    assert len(left) > 10 and len(right) > 10
    assert np.median(left) > np.median(right) + 10.0


def test_the_foot_stage_on_its_own_thread_never_holds_the_frame_up(movenet, media):
    # Threaded, the stage takes the newest frame it can; frames offered while it is busy
    # are replaced, so the cue path scores every frame and the feet get some of them.
    stage = FootStage(foot_model("full"), threaded=True)
    pipeline = Pipeline(PoseEngine(movenet), Scorer(), stage)
    try:
        with make_source(str(media("sqd_single_leg_squat_man_frontal.mp4"))) as source:
            results = [pipeline.process(frame) for frame in source]
    finally:
        stage.close()
    assert len(results) == 227
    assert 0 < stage.readings < len(results)
    # never from a frame after the one scored; out of order only when the frames around
    # a rep's bottom jumped the queue, and those come from the pipeline's last few frames
    used = [r.feet.frame_index for r in results if r.feet is not None]
    assert all(f <= r.index for f, r in zip(used, [r for r in results if r.feet]))
    assert all(before - f <= Pipeline.RECENT for before, f in zip(used, used[1:])), used


class _Slow:
    """The real foot model, as slow as a busy Pi: one reading every ``seconds``."""

    def __init__(self, model, seconds):
        self.model, self.seconds = model, seconds

    def feet(self, rgb, pose):
        time.sleep(self.seconds)
        return self.model.feet(rgb, pose)


def test_a_busy_foot_stage_still_reads_every_reps_bottom(movenet, media):
    stage = FootStage(_Slow(foot_model("lite"), 0.25), threaded=True)
    pipeline = Pipeline(PoseEngine(movenet), Scorer(), stage)
    try:
        with make_source(str(media("sqd_single_leg_squat_woman_frontal.mp4"))) as source:
            results = [pipeline.process(frame) for frame in source]
        reps = [r.score.rep for r in results if r.score.rep is not None]
        bottoms = [{r.bottom_frame - 1, r.bottom_frame, r.bottom_frame + 1} for r in reps]
        deadline = time.monotonic() + 10.0  # the last rep's bottom frames may still be being read
        while not all(set(stage.history) & b for b in bottoms) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stage.close()
    assert len(reps) >= 3 and stage.readings < len(results)  # the stage could not read every frame
    read = set(stage.history)
    for rep, bottom in zip(reps, bottoms):
        assert read & bottom, rep.bottom_frame


def test_while_a_procedure_runs_every_frame_is_read_for_the_feet(movenet, media):
    stage = FootStage(foot_model("lite"), threaded=True)
    pipeline = Pipeline(PoseEngine(movenet), Scorer(), stage)
    pipeline.feet_every_frame = True
    try:
        with make_source(str(media("tfjs_bodyweight_squats_band_frontal.mp4"))) as source:
            results = [pipeline.process(frame) for frame, _ in zip(source, range(20))]
    finally:
        stage.close()
    assert [r.feet.frame_index for r in results] == [r.index for r in results]


def _ankle_test(results, leg="left"):
    from firmware_py.core.ankle import AnkleTest

    test = AnkleTest(leg)
    notices = []
    for r in results:
        notices += test.step(r.pose, r.score, r.feet)
    return test, notices + test.finish("clip ended")


def _side_view(movenet, media, name, frames=None):
    scorer = Scorer(Scorer().thresholds.with_value("view", "side"))
    pipeline = Pipeline(PoseEngine(movenet), scorer, FootStage(foot_model("lite"), threaded=False))
    with make_source(str(media(name))) as source:
        return [pipeline.process(f) for f, _ in zip(source, range(frames or 10**6))]


@pytest.mark.parametrize("name, frames", [
    ("lnc_overhead_squat_oblique_side_good_IMG_7034.mov", None),  # 60-70 deg off frontal
    ("zzz_treadmill_running_sagittal.mp4", 120),  # a true side view; four seconds of it
])
def test_the_ankle_test_reads_a_heel_down_shin_angle_from_the_side(movenet, media, name, frames):
    results = _side_view(movenet, media, name, frames)
    test, notices = _ankle_test(results)
    record = test.record
    assert record is not None and record["heel_watched"] and record["tries"] >= 1, record
    assert 20.0 <= record["shin_deg"] <= 50.0, record
    assert "from vertical at the deepest lunge with the heel down" in notice_text(notices[-1])
    shins = [r.metrics["shin_angle_left"] for r in results if r.metrics["shin_angle_left"] is not None]
    assert len(shins) > 0.8 * len(results)
    assert all(r.metrics["fppa_left"] is None and r.metrics["pelvic_drop"] is None for r in results)
    if name.startswith("lnc_"):  # the frames show both heels flat all through the squat
        assert record["heel_lifts"] == 0
        for side in ("left", "right"):
            assert max(r.metrics["heel_lift_" + side] or 0.0 for r in results) < 15.0


def test_the_ankle_test_refuses_a_frontal_clip_in_one_line(media, model_path, tmp_path):
    from test_cli import kneecue

    result = kneecue("analyze", media("tfjs_bodyweight_squats_band_frontal.mp4"), "--task", "ankle",
                     "--leg", "right", "--model", model_path)
    assert result.returncode == 1
    refusals = [line for line in result.stderr.splitlines() if "refused" in line]
    assert len(refusals) == 1 and refusals[0].startswith("kneecue: ankle test refused: it needs the camera at "
                                                         "the athlete's side")
