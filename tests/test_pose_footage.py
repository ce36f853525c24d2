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
# (median), which a wrong crop, padding or axis order breaks by tens of pixels.
LIMIT_PX = {0: 21.0, 1: 30.0}


@pytest.mark.parametrize("row, image", [(0, "tfex_image1_cgi_woman_standing.png"),
                                        (1, "tfex_image2_man_standing_oblique.jpeg")])
def test_stills_within_upstream_tolerance(movenet, media, row, image):
    with open(media("tfex_pose_landmark_truth_image1_image2.csv")) as f:
        truth = np.array(list(csv.reader(f))[1 + row], dtype=float).reshape(17, 2)
    (pose,) = poses_of(movenet, media(image))
    error = np.abs(pose[:, :2] - truth).max(axis=1)
    worst = int(error.argmax())
    assert error.max() <= LIMIT_PX[row], f"{NAMES[worst]} off by {error.max():.1f} px"
    assert np.median(error) <= 8.0, f"median keypoint error {np.median(error):.1f} px"


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
