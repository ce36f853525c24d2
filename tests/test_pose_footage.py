"""The real model on real footage: keypoints where people are, no legs where there are none."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from firmware_py.core.keypoints import NAMES, R_ANKLE
from firmware_py.core.metrics import compute_metrics
from firmware_py.pose.engine import PoseEngine
from firmware_py.sources import make_source

pytestmark = pytest.mark.media


def poses_of(movenet, path, *, track=True):
    engine = PoseEngine(movenet, track=track)
    with make_source(str(path)) as source:
        return [engine.estimate(frame.rgb) for frame in source]


# tensorflow/examples' own MoveNet test allows 21 px (L-inf) against this truth.  That
# holds for image1 everywhere; image2 (an oblique man with crossed arms) is at the mercy
# of the CPU's int8 kernels: its right knee reads 15 px on one x86 machine, 22 px on
# another (AMD EPYC, AVX2, same ai-edge-litert 2.3.0), 22 px with tflite-runtime on x86
# and 26 px on arm64.  So image2 gets 30 px; both must also be close on the whole
# (median), which a wrong crop, padding or axis order breaks by tens of pixels: half of
# upstream's 21 px.  (The OpenCV a Pi installs, 4.11 beside numpy 1, decodes image2's JPEG
# a little differently from 5.x: median 8.4 px against 6.4, on x86 and arm64 alike.)
LIMIT_PX = {0: 21.0, 1: 30.0}
MEDIAN_PX = 10.5


@pytest.mark.parametrize("row, image", [(0, "tfex_image1_cgi_woman_standing.png"),
                                        (1, "tfex_image2_man_standing_oblique.jpeg")])
def test_stills_within_upstream_tolerance(movenet, media, row, image):
    with open(media("tfex_pose_landmark_truth_image1_image2.csv")) as f:
        truth = np.array(list(csv.reader(f))[1 + row], dtype=float).reshape(17, 2)
    (pose,) = poses_of(movenet, media(image))
    error = np.abs(pose[:, :2] - truth).max(axis=1)
    worst = int(error.argmax())
    assert error.max() <= LIMIT_PX[row], f"{NAMES[worst]} off by {error.max():.1f} px"
    assert np.median(error) <= MEDIAN_PX, f"median keypoint error {np.median(error):.1f} px"


@pytest.fixture(scope="module")
def dance_errors(movenet, media):
    with open(media("tfjs_dance_single_leg_frontal.movenet_lightning_expected.json")) as f:
        expected = json.load(f)
    truth = np.array([[[frame[n]["x"], frame[n]["y"]] for n in NAMES] for frame in expected])

    def errors(track: bool) -> np.ndarray:
        poses = np.array(poses_of(movenet, media("tfjs_dance_single_leg_frontal.mp4"), track=track))
        assert len(poses) == len(truth) == 120
        return np.linalg.norm(poses[:, :, :2] - truth, axis=2)

    return errors


def test_dance_clip_matches_tfjs_keypoints(dance_errors):
    errors = dance_errors(True)
    assert np.median(errors) <= 5.0
    # The raised, tucked right ankle: only the crop around the athlete finds it.
    assert np.median(errors[:, R_ANKLE]) <= 15.0


def test_crop_is_what_finds_the_raised_ankle(dance_errors):
    # Without tracking the whole 576 px frame is squeezed into 192 px and the
    # tucked ankle is lost: this is why the crop exists.
    assert np.median(dance_errors(False)[:, R_ANKLE]) > 2 * np.median(dance_errors(True)[:, R_ANKLE])


def test_collapsing_knee_reads_valgus(movenet, media):
    (pose,) = poses_of(movenet, media("sqd_single_leg_knee_collapse_annotated.png"))
    metrics = compute_metrics(pose)
    assert metrics["fppa_right"] is not None and metrics["fppa_right"] > 20.0


def test_no_legs_no_angles(movenet, media):
    # MoveNet still reports knees and hips at ~0.3 here; the chain gate must refuse them.
    (pose,) = poses_of(movenet, media("tfjs_three_people_upper_body.jpg"))
    metrics = compute_metrics(pose)
    assert metrics["fppa_left"] is None and metrics["fppa_right"] is None


def test_dance_stance_leg_angle_agrees_with_the_full_precision_reference(movenet, media):
    # The stance (left) leg's FPPA as the device scores it, against the FPPA of tfjs's
    # full-precision keypoints: the int8 model and a crop that twitched with every
    # keypoint made it differ by a median 3.1-3.3 deg; the steadied crop brings it under 2.5.
    from firmware_py.core.metrics import fppa
    from firmware_py.core.scorer import Scorer

    with open(media("tfjs_dance_single_leg_frontal.movenet_lightning_expected.json")) as f:
        expected = json.load(f)
    truth = [np.array([[frame[n]["x"], frame[n]["y"], 1.0] for n in NAMES]) for frame in expected]
    engine, scorer = PoseEngine(movenet), Scorer()
    diffs = []
    with make_source(str(media("tfjs_dance_single_leg_frontal.mp4"))) as source:
        for frame, reference in zip(source, truth):
            score = scorer.update(engine.estimate(frame.rgb), frame.index, frame.pts, (576, 576))
            ours, theirs = score.metrics["fppa_left"], fppa(reference, "left")
            if ours is not None and theirs is not None:
                diffs.append(abs(ours - theirs))
    assert len(diffs) >= 90
    assert np.median(diffs) <= 2.5
