"""What the arm64 lane checks on the Pi's architecture (tests/arm64/run runs these under
QEMU in an arm64 Debian Bookworm userland; on any other machine they skip).

The rest of the lane's selection is the ordinary suite: the core, settings, cues on
gpiozero's mock pins, session files, and the pose tests on still images.
"""

from __future__ import annotations

import json
import os
import platform
import sys

import numpy as np
import pytest

from firmware_py.core.keypoints import NAMES

pytestmark = pytest.mark.skipif(platform.machine() != "aarch64",
                                reason="arm64 only: tests/arm64/run runs these under QEMU")
DANCE = "tfjs_dance_single_leg_frontal.mp4"


def test_the_lane_is_what_it_says():
    """Python 3.11 on aarch64, the project as installed in the venv (not the source tree
    the tests come from), the runtime the lane asked for, and the numpy it needs."""
    import firmware_py
    from firmware_py.pose.runtime import load_interpreter_class

    assert sys.version_info[:2] == (3, 11)
    assert f"{os.sep}site-packages{os.sep}" in firmware_py.__file__, firmware_py.__file__
    runtime, _ = load_interpreter_class()
    assert runtime == os.environ["KNEECUE_RUNTIME"]
    if runtime == "tflite":  # tflite-runtime 2.14 is built against numpy 1
        assert np.__version__.startswith("1.")


def test_keypoints_agree_with_x86(model_path):
    """The first frames of the single-leg dance clip, the same pixels (PNG) scored by the
    same code on x86 and here, within the pose tests' own tolerances: 21 px in x or y
    (what tensorflow/examples allow on its stills) for 95 % of the points, and a median
    distance of 5 px (what the tfjs keypoints test asks).  Not every point: the int8
    kernels differ between CPUs (NEON here; AVX2 or AVX-512 on x86), the crop follows
    the keypoints and compounds that, and an unsure point can move far (the raised left
    knee of frame 11 read 32 px apart, at scores 0.64 and 0.43, on an AVX2-only x86
    machine whose other points matched to a median 2.5 px).  A wrong arm64 install
    (QEMU's default CPU gives litert wrong keypoints) breaks both bounds."""
    reference = os.environ.get("KNEECUE_X86_KEYPOINTS")
    if not reference:
        pytest.skip("KNEECUE_X86_KEYPOINTS is not set (tests/arm64/run makes it on x86 first)")
    with open(reference) as f:
        x86 = json.load(f)
    sys.path.insert(0, os.path.dirname(__file__))
    from keypoints import poses

    runtime, arm = poses(os.path.dirname(reference))
    a, b = np.array(arm), np.array(x86["poses"])
    distance = np.linalg.norm(a[:, :, :2] - b[:, :, :2], axis=2)
    along = np.abs(a[:, :, :2] - b[:, :, :2]).max(axis=2)
    frame, point = np.unravel_index(along.argmax(), along.shape)
    print(f"arm64 {runtime} vs x86 {x86['runtime']}: median {np.median(distance):.3f} px; "
          f"95th percentile {np.percentile(along, 95):.2f} px; worst {along.max():.2f} px "
          f"({NAMES[point]}, frame {frame}, scores {a[frame, point, 2]:.2f} / {b[frame, point, 2]:.2f})")
    assert np.percentile(along, 95) <= 21.0
    assert np.median(distance) <= 5.0


@pytest.mark.skipif(os.environ.get("KNEECUE_LANE") != "pi", reason="the pi lane's: install.sh's versions")
def test_the_pi_lane_is_what_install_sh_installs_and_all_of_it_imports():
    """apt's numpy (1.24.2 on Bookworm), every version install-constraints.txt pins, the
    GPIO library, and every module of the package importable with them."""
    import importlib
    import importlib.metadata as metadata
    import pkgutil
    from pathlib import Path

    import firmware_py

    assert np.__version__ == "1.24.2"
    pins = Path(__file__).resolve().parents[2] / "install-constraints.txt"
    wrong = {}
    for line in pins.read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            if metadata.version(name) != version:
                wrong[name] = metadata.version(name)
    assert wrong == {}
    import lgpio  # noqa: F401  (its pipe goes to $LG_WD, which conftest points at a temporary folder)
    failed = {}
    for module in pkgutil.walk_packages(firmware_py.__path__, "firmware_py."):
        if module.name == "firmware_py.__main__":  # runs the command
            continue
        try:
            importlib.import_module(module.name)
        except Exception as e:  # picamera2 is imported lazily, inside functions: nothing here needs it
            failed[module.name] = repr(e)
    assert failed == {}
