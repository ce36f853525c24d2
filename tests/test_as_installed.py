"""The device as installed on a Pi 4 and a Pi 5: the unit's device policy and working
directory, the pins, and what systemd hears, against fixtures of each board
(tests/fixtures/README.md says where they come from)."""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_service import NotifySocket, service_env

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "systemd" / "kneecue.service"
FIXTURES = Path(__file__).parent / "fixtures"
BOARDS = ("pi4", "pi5")


def unit_values(text: str, key: str) -> list[str]:
    return [line.split("=", 1)[1].strip() for line in text.splitlines() if line.startswith(f"{key}=")]


def char_classes(proc_devices: str) -> set[str]:
    """The character device classes of /proc/devices."""
    chars = proc_devices.split("Block devices:")[0].splitlines()[1:]
    return {line.split(None, 1)[1] for line in chars if line.strip()}


def device_nodes(board: str) -> list[tuple[str, str, str]]:
    lines = (FIXTURES / board / "dev-nodes.txt").read_text().splitlines()
    return [tuple(line.split()) for line in lines if line.strip() and not line.startswith("#")]


def policy_problems(unit_text: str, board: str) -> list[str]:
    """What systemd's device policy (bpf-devices.c) would make of the unit's DeviceAllow=
    on ``board``: a path must be a device node (a directory is dropped, "is not a
    device"), a ``char-`` name is a glob over /proc/devices; then every node the
    device's libraries open must be allowed."""
    classes = char_classes((FIXTURES / board / "proc/devices").read_text())
    nodes = device_nodes(board)
    kinds = {path: kind for path, kind, _ in nodes}
    allowed_classes, allowed_paths, problems = set(), set(), []
    for entry in unit_values(unit_text, "DeviceAllow"):
        name = entry.split()[0]
        if name.startswith("char-"):
            allowed_classes |= set(fnmatch.filter(classes, name[len("char-"):]))
        elif kinds.get(name) == "char":
            allowed_paths.add(name)
        else:
            problems.append(f"{name}: {'a directory' if kinds.get(name) == 'directory' else 'no such device'} "
                            f"on a {board}, so systemd drops the entry")
    for path, kind, cls in nodes:
        if kind == "char" and cls not in allowed_classes and path not in allowed_paths:
            problems.append(f"{path} ({cls}) is not allowed: opening it fails with EPERM")
    return problems


@pytest.mark.parametrize("board", BOARDS)
def test_the_units_device_policy_lets_the_camera_pins_and_console_be_opened(board):
    assert policy_problems(UNIT.read_text(), board) == []


def test_the_policy_check_sees_what_the_dma_heap_directory_did():
    old = UNIT.read_text().replace("DeviceAllow=char-dma_heap rw", "DeviceAllow=/dev/dma_heap rw")
    problems = policy_problems(old, "pi5")
    assert "/dev/dma_heap: a directory on a pi5, so systemd drops the entry" in problems
    assert "/dev/dma_heap/linux,cma (dma_heap) is not allowed: opening it fails with EPERM" in problems


# -- lgpio in the service's working directory ------------------------------------------

def readonly_mount_run(readonly: Path, cwd: Path, env: dict, code: str) -> subprocess.CompletedProcess:
    """``python -c code`` in ``cwd``, with ``readonly`` mounted read-only as systemd's
    ProtectSystem=strict mounts / (a mount namespace: root, or a skip)."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare for a read-only mount")
    script = (f'mount --bind "{readonly}" "{readonly}" && mount -o remount,bind,ro "{readonly}" && '
              f'cd "{cwd}" && exec "{sys.executable}" -c "$0"')
    return subprocess.run(["unshare", "--mount", "sh", "-c", script, code], env=env, capture_output=True,
                          text=True, timeout=60)


def lgpio_importable():
    if importlib.util.find_spec("lgpio") is None:
        pytest.skip("lgpio is not installed (the test extra installs it on x86-64 and arm64)")


def service_cwd_and_env(unit_text: str, root: Path, runtime: Path) -> tuple[Path, dict]:
    """Where systemd starts ExecStart= and with which LG_WD: the unit's WorkingDirectory=
    (its RuntimeDirectory= made writable, here ``runtime``) else / (read-only, ``root``)."""
    env = {k: v for k, v in os.environ.items() if k != "LG_WD"}
    cwd = root
    for value in unit_values(unit_text, "WorkingDirectory"):
        cwd = runtime if value.lstrip("-") == "/run/kneecue" and "kneecue" in unit_values(
            unit_text, "RuntimeDirectory") else root
    for value in unit_values(unit_text, "Environment"):
        name, _, setting = value.partition("=")
        if name == "LG_WD":
            env["LG_WD"] = str(runtime) if setting == "/run/kneecue" else setting
    return cwd, env


@pytest.mark.parametrize("unit, imports", [("as shipped", True), ("without its working directory", False)])
def test_lgpio_imports_where_the_unit_starts_the_service(tmp_path, unit, imports):
    """The service's / is read-only: lgpio's notification pipe needs the unit's writable
    working directory and LG_WD, or `import lgpio` fails and gpiozero drives no pins."""
    lgpio_importable()
    text = UNIT.read_text()
    if unit != "as shipped":
        text = "\n".join(line for line in text.splitlines()
                         if not line.startswith(("WorkingDirectory=", "Environment=LG_WD")))
    readonly, runtime = tmp_path / "root", tmp_path / "run-kneecue"
    readonly.mkdir(), runtime.mkdir()
    cwd, env = service_cwd_and_env(text, readonly, runtime)
    done = readonly_mount_run(readonly, cwd, env, "import lgpio; print('imported')")
    assert ("imported" in done.stdout) == imports, done.stderr[-500:]
    if not imports:
        assert "FileNotFoundError" in done.stderr and ".lgd-nfy" in done.stderr


def test_a_run_started_by_hand_in_a_read_only_directory_still_gets_its_pins_library(tmp_path):
    """Off systemd (`sudo -u kneecue kneecue run` from /), the pin factory points lgpio at
    the temporary directory before importing it."""
    lgpio_importable()
    readonly = tmp_path / "root"
    readonly.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("LG_WD", "RUNTIME_DIRECTORY")}
    env["PYTHONPATH"] = str(ROOT)
    code = "from firmware_py.cues.outputs import lgpio_workdir; print(lgpio_workdir()); import lgpio; print('imported')"
    done = readonly_mount_run(readonly, readonly, env, code)
    assert done.stdout.split() == [__import__("tempfile").gettempdir(), "imported"], done.stderr[-500:]


# -- the pins on a Pi ---------------------------------------------------------------------

@pytest.mark.parametrize("board", BOARDS)
def test_on_a_pi_pins_that_cannot_be_driven_are_an_error_never_mock_pins(board, tmp_path):
    """This machine has no Pi's GPIO: told by the device tree that it is a Pi, the pin
    factory must say so, not light mock pins while the device claims to cue."""
    code = textwrap.dedent(f"""
        from pathlib import Path
        from firmware_py.system import board
        board.DT_MODEL = Path({str(FIXTURES / board / 'proc/device-tree/model')!r})
        from firmware_py.cues.outputs import make_pin_factory
        from firmware_py.errors import PinError
        try:
            factory = make_pin_factory("auto")
        except PinError as e:
            print("PinError:", e)
        else:
            print("factory:", type(factory).__name__)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    model = (FIXTURES / board / "proc/device-tree/model").read_text().rstrip("\0")
    assert done.stdout.startswith(f"PinError: the GPIO pins of this {model} cannot be driven"), done.stdout + done.stderr
    assert "kneecue doctor" in done.stdout


# -- what systemd hears ---------------------------------------------------------------------

def test_ready_comes_with_the_console_and_pins_while_the_camera_is_missing(tmp_path):
    """With no camera (none on this machine) the service is up: READY=1, the fault in
    STATUS=, the watchdog fed while the loop keeps retrying; `systemctl restart` and the
    boot do not wait for a camera that may never come."""
    notify = NotifySocket(tmp_path / "notify")
    proc = subprocess.Popen([sys.executable, "-m", "firmware_py", "run", "--source", "picamera", "--gpio", "mock",
                             "--state-dir", str(tmp_path / "state"), "--feet", "off"],
                            env=service_env(notify.path), stderr=subprocess.PIPE, text=True)
    try:
        ready = notify.wait_for("READY=1", timeout=30)
        notify.wait_for("STATUS=FAULT camera: picamera:0: picamera2 is not importable", timeout=30)
        time.sleep(2.0)
        assert len([t for t in notify.times("WATCHDOG=1") if t > ready]) >= 3  # every half second (1 s watchdog)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        notify.close()
