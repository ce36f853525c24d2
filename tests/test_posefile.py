"""Pose files as input: the schemas read, and every way a file would give a wrong
result refused with one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from firmware_py.core import keypoints as kp
from firmware_py.sources.posefile import PoseFile, PoseFileError, coco_name


def standing(x0: float = 300.0) -> list[list[float]]:
    """A person standing, COCO-17 order, pixels."""
    pts = {"nose": (0, 100), "left_eye": (8, 92), "right_eye": (-8, 92), "left_ear": (15, 95),
           "right_ear": (-15, 95), "left_shoulder": (40, 180), "right_shoulder": (-40, 180),
           "left_elbow": (50, 260), "right_elbow": (-50, 260), "left_wrist": (55, 330), "right_wrist": (-55, 330),
           "left_hip": (25, 350), "right_hip": (-25, 350), "left_knee": (27, 480), "right_knee": (-27, 480),
           "left_ankle": (28, 610), "right_ankle": (-28, 610)}
    return [[x0 - pts[n][0], pts[n][1], 0.9] for n in kp.NAMES]  # facing the camera: her left on the right


def write(tmp_path, data) -> str:
    path = tmp_path / "clip.pose.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


def analyze(path: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "firmware_py", "analyze", path, "--brief"], capture_output=True,
                          text=True, timeout=60)


def test_coco17_frames_and_flat_keypoints_read_the_same(tmp_path):
    rows = standing()
    flat = [v for row in rows for v in row]
    data = {"format": "coco17", "fps": 30, "width": 640, "height": 720,
            "frames": [rows, {"keypoints": flat}, None, []]}
    source = PoseFile(write(tmp_path, data)).open()
    frames = list(source)
    assert [f.pts for f in frames] == pytest.approx([0, 1 / 30, 2 / 30, 3 / 30])
    assert np.array_equal(frames[0].truth, frames[1].truth) and frames[0].rgb.shape == (720, 640, 3)
    assert source.missing == 2 and not frames[2].truth[:, 2].any()  # nobody seen, counted


def test_gaitlab_names_map_by_side_and_joint_and_scores_are_capped():
    assert [coco_name(n) for n in ("l_hip", "R_Knee", "left_ankle", "LShoulder", "nose", "neck", "l_big_toe")] == [
        "left_hip", "right_knee", "left_ankle", "left_shoulder", "nose", None, None]


def test_gaitlab_file_with_nans_reads_them_as_unseen(tmp_path):
    names = ["nose", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle", "neck"]
    coco = standing()
    frame = [coco[kp.NAMES.index(coco_name(n) or "nose")] for n in names]
    frame[1] = [float("nan"), 350, 1.7]  # an unseen left hip; another point scored above 1 (SimCC)
    frame[2] = [275, 350, 1.7]
    text = json.dumps({"schema": "gaitlab.pose/v1", "fps": 120, "width": 720, "height": 1280,
                       "keypoint_names": names, "frames": [frame]})  # json writes NaN, as numpy-minded tools do
    pose = next(iter(PoseFile(write(tmp_path, text)).open())).truth
    assert pose[kp.L_HIP, 2] == 0 and pose[kp.R_HIP, 2] == 1.0 and pose[kp.NAMES.index("left_eye"), 2] == 0


@pytest.mark.parametrize("data, says", [
    ({"format": "coco17", "width": 640, "height": 720, "frames": [standing()]}, "states no frame rate"),
    ({"format": "coco17", "fps": 30, "width": 640, "height": 720, "frames": [standing()] * 2,
      "timestamps": [0.0]}, "1 timestamps for 2 frames"),
    ({"format": "coco17", "fps": 30, "width": 640, "height": 720, "frames": [standing()] * 2,
      "timestamps": [0.1, 0.05]}, "timestamps must be finite and increasing"),
    ({"schema": "gaitlab.pose/v1", "fps": 30, "width": 640, "height": 720,
      "keypoint_names": ["nose", "neck", "mid_hip"], "frames": [[[1, 2, 0.9]] * 3]}, "no left_hip, right_hip"),
    ({"schema": "blazepose33", "frames": []}, "unknown pose schema 'blazepose33'"),
    ({"format": "coco17", "fps": 30, "width": 640, "height": 720, "frames": [standing()[:12]]},
     "frame 0 has 12 points, expected 17"),
    ({"format": "coco17", "fps": 30, "frames": [standing()]}, "needs the picture's width and height"),
    ("[1, 2", "is not JSON"),
])
def test_a_file_that_would_give_a_wrong_result_is_one_line_and_exit_1(tmp_path, data, says):
    with pytest.raises(PoseFileError, match=says.replace("(", r"\(").replace("'", ".")):
        PoseFile(write(tmp_path, data)).open()
    done = analyze(write(tmp_path, data))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("kneecue: error:")


def test_missing_frames_cost_only_themselves(tmp_path):
    frames = [standing() if i % 5 else None for i in range(60)]
    done = analyze(write(tmp_path, {"format": "coco17", "fps": 30, "width": 640, "height": 720, "frames": frames}))
    assert done.returncode == 0, done.stderr
    assert "60 frames read" in done.stderr
    assert "12 frames had nobody in them" in done.stderr
