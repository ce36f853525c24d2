"""Model lookup, download and checks: every bad file is a clear ModelError, nothing half-written stays."""

from __future__ import annotations

import shutil

import pytest

from firmware_py.errors import ModelFetchError, ModelInvalid, ModelMissing
from firmware_py.pose import modelfiles
from firmware_py.pose.modelfiles import MODELS, fetch, find_model
from firmware_py.pose.movenet import MoveNet

LIGHTNING = MODELS["lightning-int8"]


def test_explicit_path_wins_and_must_exist(tmp_path):
    model = tmp_path / "mine.tflite"
    model.write_bytes(b"x")
    assert find_model(model, env={"KNEECUE_MODEL_DIR": "/nowhere"}) == model
    with pytest.raises(ModelMissing, match="given with --model"):
        find_model(tmp_path / "absent.tflite")


def test_env_dir_then_project_models(tmp_path, monkeypatch):
    env_dir, project = tmp_path / "env", tmp_path / "project"
    env_dir.mkdir()
    project.mkdir()
    monkeypatch.setattr(modelfiles, "PROJECT_MODEL_DIR", project)
    (project / LIGHTNING.filename).write_bytes(b"p")
    assert find_model(env={"KNEECUE_MODEL_DIR": str(env_dir)}) == project / LIGHTNING.filename
    (env_dir / LIGHTNING.filename).write_bytes(b"e")
    assert find_model(env={"KNEECUE_MODEL_DIR": str(env_dir)}) == env_dir / LIGHTNING.filename


def test_nothing_found_says_where_it_looked_and_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(modelfiles, "PROJECT_MODEL_DIR", tmp_path / "models")
    with pytest.raises(ModelMissing) as e:
        find_model(env={"KNEECUE_MODEL_DIR": str(tmp_path / "env")})
    assert "kneecue model fetch" in str(e.value) and str(tmp_path / "env") in str(e.value)


def test_fetch_from_a_mirror_checks_sha256(model_path, tmp_path):
    path = fetch("lightning-int8", tmp_path, urls=(model_path.as_uri(),))
    assert modelfiles.sha256_of(path) == LIGHTNING.sha256
    assert [p.name for p in tmp_path.iterdir()] == [LIGHTNING.filename]


def test_fetch_refuses_wrong_bytes_and_keeps_the_good_file(model_path, tmp_path):
    wrong = tmp_path / "wrong.tflite"
    wrong.write_bytes(model_path.read_bytes()[:-10])
    dest = tmp_path / "models"
    with pytest.raises(ModelFetchError, match="sha256 mismatch"):
        fetch("lightning-int8", dest, urls=(wrong.as_uri(),))
    assert list(dest.iterdir()) == []  # no partial file left behind
    fetch("lightning-int8", dest, urls=(model_path.as_uri(),))
    with pytest.raises(ModelFetchError):
        fetch("lightning-float16", dest, urls=(wrong.as_uri(),))
    assert modelfiles.sha256_of(dest / LIGHTNING.filename) == LIGHTNING.sha256


def test_fetch_without_network_says_where_to_put_the_file(tmp_path):
    with pytest.raises(ModelFetchError) as e:
        fetch("thunder-int8", tmp_path, urls=("http://127.0.0.1:9/movenet.tflite",), timeout=5)
    message = str(e.value)
    assert "127.0.0.1:9" in message and str(tmp_path / MODELS["thunder-int8"].filename) in message
    assert list(tmp_path.iterdir()) == []


def test_text_file_renamed_tflite_is_refused_before_loading(tmp_path):
    fake = tmp_path / "model.tflite"
    fake.write_text("this is not a model\n")
    with pytest.raises(ModelInvalid, match="not a TFLite model"):
        MoveNet(fake)


def test_truncated_model_is_refused(model_path, tmp_path):
    cut = tmp_path / "cut.tflite"
    cut.write_bytes(model_path.read_bytes()[:100_000])
    with pytest.raises(ModelInvalid, match="could not be loaded"):
        MoveNet(cut)


def test_pinned_model_loads_with_its_own_input_size(model_path, tmp_path):
    copy = tmp_path / "renamed.tflite"
    shutil.copy(model_path, copy)
    model = MoveNet(copy, num_threads=1)
    assert (model.input_size, model.input_dtype.name) == (192, "uint8")
    assert modelfiles.identify(copy) is LIGHTNING


@pytest.mark.parametrize("inp, out", [
    ([{"shape": [1, 192, 192, 3], "dtype": "uint8"}], [{"shape": [1, 6, 56], "dtype": "float32"}]),  # multipose
    ([{"shape": [1, 192, 160, 3], "dtype": "uint8"}], [{"shape": [1, 1, 17, 3], "dtype": "float32"}]),
    ([{"shape": [1, 224, 224, 3], "dtype": "uint8"}], [{"shape": [1, 1001], "dtype": "uint8"}]),  # a classifier
])
def test_wrong_signature_is_named(model_path, inp, out):
    model = MoveNet(model_path, num_threads=1)
    with pytest.raises(ModelInvalid, match=r"not MoveNet SinglePose: expected .* found in \["):
        model._check_signature(inp, out)


def test_the_models_the_device_runs_ship_with_the_project_and_match_their_pins():
    from firmware_py.pose.modelfiles import PROJECT_MODEL_DIR, sha256_of

    sums = dict(reversed(line.split()) for line in (PROJECT_MODEL_DIR / "SHA256SUMS").read_text().splitlines())
    shipped = {spec.filename: spec for spec in MODELS.values() if (PROJECT_MODEL_DIR / spec.filename).is_file()}
    assert set(shipped) >= {"movenet_singlepose_lightning_int8.tflite", "pose_landmark_full.tflite",
                            "pose_landmark_lite.tflite"}
    for filename, spec in shipped.items():
        assert sha256_of(PROJECT_MODEL_DIR / filename) == spec.sha256 == sums[filename]
        # fetch finds the pinned file already in place and says so, with no network
        assert fetch(spec.name) == PROJECT_MODEL_DIR / filename


def test_a_shipped_model_that_went_missing_says_how_to_restore_it(tmp_path):
    with pytest.raises(ModelFetchError) as e:
        fetch("blazepose-lite", tmp_path)
    assert "git checkout models/pose_landmark_lite.tflite" in str(e.value)
