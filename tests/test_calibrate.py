"""`kneecue calibrate` on real frames: it measures camera roll, saves it, and analyze uses it."""

from __future__ import annotations

import json

import pytest
from test_cli import kneecue

from firmware_py.device.config import load_config
from firmware_py.system.cv import cv2


def rolled_clip(image, path, degrees, seconds=3.0, fps=30):
    """A camera rolled by ``degrees`` (counter-clockwise) filming someone standing still."""
    img = cv2.imread(str(image))
    h, w = img.shape[:2]
    rolled = cv2.warpAffine(img, cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0), (w, h),
                            borderValue=(255, 255, 255))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for _ in range(int(seconds * fps)):
        writer.write(rolled)
    writer.release()
    return path


@pytest.fixture(scope="module")
def calibrations(model_path, media, tmp_path_factory):
    out = {}
    for degrees in (4, -4):
        folder = tmp_path_factory.mktemp(f"state{degrees}")
        clip = rolled_clip(media("tfex_image1_cgi_woman_standing.png"), folder / "stand.avi", degrees)
        result = kneecue("calibrate", "--source", clip, "--gpio", "mock", "--seconds", "2",
                         "--state-dir", folder, "--model", model_path)
        assert result.returncode == 0, result.stderr
        out[degrees] = (folder, clip, json.loads((folder / "config.json").read_text())["athletes"]["default"]["calibration"])
    return out


def test_camera_roll_is_measured(calibrations):
    ccw, cw = calibrations[4][2]["roll_deg"], calibrations[-4][2]["roll_deg"]
    # Rolling the camera 4° each way moves a level line by 8° between the two;
    # the athlete's own slight asymmetry is the same in both and cancels.
    assert 6.0 <= cw - ccw <= 11.0


def test_analyze_uses_a_saved_athletes_calibration_when_named(calibrations, model_path, tmp_path):
    folder, clip, cal = calibrations[4]
    out = tmp_path / "out.jsonl"
    config, _ = load_config(folder)
    assert kneecue("analyze", "--feet", "off", clip, "--json", "--out", out, "--athlete", config.athlete, "--state-dir", folder,
                   "--model", model_path).returncode == 0
    frames = [json.loads(line) for line in out.read_text().splitlines() if line.startswith('{"frame"')]
    with_baseline = [f["metrics"]["fppa_rel_left"] for f in frames if f["metrics"]["fppa_left"] is not None]
    assert with_baseline and all(v is not None for v in with_baseline)


def test_no_quiet_standing_fails_clearly_and_saves_nothing(model_path, media, tmp_path):
    result = kneecue("calibrate", "--source", media("sqd_pistol_squat_outdoor_frontal.mp4"), "--gpio", "mock",
                     "--state-dir", tmp_path, "--model", model_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("kneecue: error: calibration failed")
    assert not (tmp_path / "config.json").exists()


def test_a_camera_saved_as_upside_down_is_calibrated_on_the_upright_picture(calibrations, model_path, tmp_path):
    """`kneecue calibrate` turns the frames by the saved rotation, as the loop does."""
    from firmware_py.device.config import DeviceConfig, save_config

    upright_folder, clip, upright = calibrations[4]
    flipped = tmp_path / "flipped.avi"
    cap, frames = cv2.VideoCapture(str(clip)), []
    while (got := cap.read())[0]:
        frames.append(cv2.rotate(got[1], cv2.ROTATE_180))
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(flipped), cv2.VideoWriter_fourcc(*"MJPG"), 30, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    save_config(tmp_path, DeviceConfig(rotation=180))
    result = kneecue("calibrate", "--source", flipped, "--gpio", "mock", "--seconds", "2", "--state-dir", tmp_path,
                     "--model", model_path)
    assert result.returncode == 0, result.stderr
    cal = load_config(tmp_path)[0].calibration
    assert cal.roll_deg == pytest.approx(upright["roll_deg"], abs=1.0)  # upside down it would read 180° off

