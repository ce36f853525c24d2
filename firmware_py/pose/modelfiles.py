"""Where model files come from, where they are looked up, and how they are checked.

The three models the device runs (MoveNet Lightning int8 and BlazePose's landmark
models, all Apache-2.0) ship in the project's models/, so a clone works offline.
Other MoveNet variants are fetched once (``kneecue model fetch``) from the pinned
upstream URLs below, every byte checked against the pinned sha256.  Checksums: the
TF Hub files as hashed by several unrelated public projects that agree on them, the
BlazePose files as in the npm package ``@mediapipe/pose`` (see models/README.md).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from firmware_py.errors import ModelFetchError, ModelInvalid, ModelMissing


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    urls: tuple[str, ...]  # empty: ships with the project (models/), nothing to fetch
    sha256: str
    size: int
    input_size: int
    kind: str = "movenet"  # or "blazepose" (the feet)


def _urls(variant: str, quant: str) -> tuple[str, ...]:
    return (
        f"https://tfhub.dev/google/lite-model/movenet/singlepose/{variant}/tflite/{quant}/4?lite-format=tflite",
        f"https://storage.googleapis.com/tfhub-lite-models/google/lite-model/movenet/singlepose/{variant}/tflite/{quant}/4.tflite",
    )


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "lightning-int8",
            "movenet_singlepose_lightning_int8.tflite",
            _urls("lightning", "int8"),
            "cd7cc22fa946e5d146a7b98d496853e1923e22828d3972d579973f27f91bb105",
            2_894_840,
            192,
        ),
        ModelSpec(
            "lightning-float16",
            "movenet_singlepose_lightning_float16.tflite",
            _urls("lightning", "float16"),
            "0fac2226112d0371903ca86e3853cec24ef603a0b2f96f589b180f0ebdd135ab",
            4_758_512,
            192,
        ),
        ModelSpec(
            "thunder-int8",
            "movenet_singlepose_thunder_int8.tflite",
            _urls("thunder", "int8"),
            "b72fed22707cd6fb94b5a248b9bddb9c062b9f445471b4fa263407cf6d222011",
            7_126_768,
            256,
        ),
        ModelSpec(
            "thunder-float16",
            "movenet_singlepose_thunder_float16.tflite",
            _urls("thunder", "float16"),
            "41641538679ec79b07d4101e591dda47d098c09af29607674b2a40b8a3798dd3",
            12_584_128,
            256,
        ),
        ModelSpec(
            "blazepose-full",
            "pose_landmark_full.tflite",
            (),
            "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
            6_440_512,
            256,
            "blazepose",
        ),
        ModelSpec(
            "blazepose-lite",
            "pose_landmark_lite.tflite",
            (),
            "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
            2_819_824,
            256,
            "blazepose",
        ),
    )
}
DEFAULT_MODEL = "lightning-int8"
BY_SHA256 = {spec.sha256: spec for spec in MODELS.values()}

# The checkout's models/ folder (this file is firmware_py/pose/modelfiles.py).
PROJECT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models"
TFLITE_IDENTIFIER = b"TFL3"  # flatbuffer file identifier at bytes 4..8


def model_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """The folders searched for a model, in order: $KNEECUE_MODEL_DIR, then models/."""
    env = os.environ if env is None else env
    dirs = []
    if env.get("KNEECUE_MODEL_DIR"):
        dirs.append(Path(env["KNEECUE_MODEL_DIR"]))
    dirs.append(PROJECT_MODEL_DIR)
    return dirs


def find_model(explicit: str | os.PathLike | None = None, *, name: str = DEFAULT_MODEL,
               env: Mapping[str, str] | None = None) -> Path:
    """The model file to load: ``--model PATH`` if given, else the first hit in model_dirs()."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ModelMissing(f"model file {str(path)!r} does not exist (given with --model)")
        return path
    filename = MODELS[name].filename
    searched = model_dirs(env)
    for folder in searched:
        if (folder / filename).is_file():
            return folder / filename
    where = ", ".join(str(d) for d in searched)
    raise ModelMissing(
        f"no model {filename!r} in {where}: run `kneecue model fetch`, "
        f"set KNEECUE_MODEL_DIR, or pass --model PATH"
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_header(path: Path) -> None:
    """Refuse files that are not TFLite flatbuffers before the runtime sees them."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise ModelMissing(f"cannot read model file {str(path)!r}: {e.strerror}") from e
    if len(head) < 8 or head[4:8] != TFLITE_IDENTIFIER:
        raise ModelInvalid(
            f"{str(path)!r} is not a TFLite model (no 'TFL3' identifier); expected a MoveNet "
            f"SinglePose .tflite file: run `kneecue model fetch` to get one"
        )


def identify(path: Path) -> ModelSpec | None:
    """The pinned model this file is, byte for byte, or None for an unknown file."""
    return BY_SHA256.get(sha256_of(path))


Opener = Callable[..., object]


def fetch(name: str, dest_dir: Path | None = None, *, urls: tuple[str, ...] | None = None,
          opener: Opener = urllib.request.urlopen, timeout: float = 30.0) -> Path:
    """Download a pinned model into dest_dir (default models/), verified, atomically.

    ``urls`` replaces the pinned addresses (a local mirror, a ``file://`` copy); the
    pinned sha256 is checked whatever the address.  A partial or corrupt download
    never replaces a good file: bytes go to a temp file in the same folder and are
    renamed into place only after the sha256 matches.
    """
    if name not in MODELS:
        raise ModelFetchError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    spec = MODELS[name]
    dest_dir = PROJECT_MODEL_DIR if dest_dir is None else Path(dest_dir)
    dest = dest_dir / spec.filename
    if dest.is_file() and sha256_of(dest) == spec.sha256:
        return dest
    if not spec.urls:
        raise ModelFetchError(f"{spec.filename} ships with the project in {PROJECT_MODEL_DIR} and is not "
                              f"fetched: restore it with `git checkout models/{spec.filename}`")
    dest_dir.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in urls or spec.urls:
        try:
            return _download(url, spec, dest, opener, timeout)
        except (urllib.error.URLError, OSError, ModelFetchError) as e:
            failures.append(f"{url}: {getattr(e, 'reason', e)}")
    raise ModelFetchError(
        f"could not download {spec.filename} ({'; '.join(failures)}). Without network, download it "
        f"on another machine, copy it to {dest} (or a folder named by KNEECUE_MODEL_DIR), "
        f"then run `kneecue model check {dest}`"
    )


def _download(url: str, spec: ModelSpec, dest: Path, opener: Opener, timeout: float) -> Path:
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=".fetch-", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out, opener(url, timeout=timeout) as response:
            for block in iter(lambda: response.read(1 << 16), b""):
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != spec.sha256:
            raise ModelFetchError(f"sha256 mismatch (got {digest.hexdigest()[:12]}…)")
        os.replace(tmp, dest)
        return dest
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
