"""Shared fixtures: the real model and the real footage, found through the environment.

``.ci/run`` points KNEECUE_MODEL_DIR at ../shared/models and KNEECUE_MEDIA_DIR at
../shared/media, so in CI these tests always run.  Elsewhere they skip and say why.
Nothing from shared/ is ever copied into the repository.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# Under QEMU (tests/arm64/run) Python runs several times slower: no deadlines, fewer examples.
settings.register_profile("arm64", deadline=None, max_examples=20)

MODEL_FILE = "movenet_singlepose_lightning_int8.tflite"

# lgpio (the Pi's GPIO library, installed for the tests) makes a FIFO in $LG_WD, else in
# the working directory, on import: not in the checkout, for any test or its children.
os.environ.setdefault("LG_WD", tempfile.mkdtemp(prefix="kneecue-lgwd-"))


def _dir_from_env(var: str) -> Path:
    value = os.environ.get(var)
    if not value:
        pytest.skip(f"{var} is not set: point it at ../shared/{'models' if 'MODEL' in var else 'media'} "
                    f"(bash .ci/run does) to run tests on the real model and footage")
    path = Path(value)
    if not path.is_dir():
        pytest.skip(f"{var}={value} is not a directory")
    return path


@pytest.fixture(scope="session")
def model_path() -> Path:
    path = _dir_from_env("KNEECUE_MODEL_DIR") / MODEL_FILE
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return path


@pytest.fixture(scope="session")
def media_dir() -> Path:
    return _dir_from_env("KNEECUE_MEDIA_DIR")


@pytest.fixture(scope="session")
def media(media_dir):
    def get(name: str) -> Path:
        path = media_dir / name
        if not path.is_file():
            pytest.skip(f"{path} is missing from the shared media")
        return path

    return get


@pytest.fixture(scope="session")
def movenet(model_path):
    from firmware_py.pose.movenet import MoveNet

    return MoveNet(model_path, num_threads=2)


@pytest.fixture(autouse=True)
def private_state(tmp_path_factory, monkeypatch):
    """Every test (and every `kneecue` it starts) gets its own state directory, so
    settings and session records never land in the home of whoever runs the tests."""
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("xdg-state")))


@pytest.fixture(scope="session")
def scored(movenet, media):
    """clip name -> (per-frame FrameScores, summary), each clip scored once per session
    with the default thresholds (the footage tests and the labelled evaluation share it)."""
    import functools

    from firmware_py.core.scorer import Scorer
    from firmware_py.loop.pipeline import Pipeline
    from firmware_py.pose.engine import PoseEngine
    from firmware_py.sources import make_source
    from firmware_py.sources.opencv import StillImage

    @functools.cache
    def run(name: str):
        source = make_source(str(media(name)))
        pipeline = Pipeline(PoseEngine(movenet), Scorer(still=isinstance(source, StillImage)))
        with source:
            scores = [pipeline.process(frame).score for frame in source]
        return scores, pipeline.scorer.summary()

    return run
