"""`kneecue run` as systemd runs it: notify protocol, watchdog, faults, the unit file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ptyconsole import PtyConsole

from firmware_py.system.cv import cv2

ROOT = Path(__file__).resolve().parent.parent
CLIP = "sqd_single_leg_squat_man_frontal.mp4"


class NotifySocket:
    """The datagram socket systemd would own; every message with its arrival time."""

    def __init__(self, path: Path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.1)
        self.messages: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            for line in data.decode().splitlines():
                self.messages.append((time.monotonic(), line))

    def times(self, line: str) -> list[float]:
        return [t for t, m in self.messages if m == line]

    def wait_for(self, prefix: str, timeout: float = 60.0) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, m in list(self.messages):
                if m.startswith(prefix):
                    return t
            time.sleep(0.05)
        raise AssertionError(f"no {prefix!r} from the service; got {self.messages}")

    def close(self):
        self._stop.set()
        self._thread.join(1)
        self.sock.close()


class Y4MCamera(threading.Thread):
    """A camera on a FIFO: real frames in YUV4MPEG2 at 25 fps for ``seconds``, then it
    stops delivering without closing, as a wedged camera driver does."""

    def __init__(self, fifo: Path, clip: Path, seconds: float):
        super().__init__(daemon=True)
        self.fifo, self.clip, self.seconds = fifo, clip, seconds
        self.stalled_at: float | None = None
        self.release = threading.Event()

    def run(self):
        cap = cv2.VideoCapture(str(self.clip))
        ok, bgr = cap.read()
        h, w = bgr.shape[:2]
        with open(self.fifo, "wb") as out:
            out.write(f"YUV4MPEG2 W{w} H{h} F25:1 Ip A1:1 C420jpeg\n".encode())
            start = time.monotonic()
            while ok and time.monotonic() - start < self.seconds:
                out.write(b"FRAME\n" + cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420).tobytes())
                out.flush()
                time.sleep(0.04)
                ok, bgr = cap.read()
            self.stalled_at = time.monotonic()
            self.release.wait(60)


def service_env(notify: Path, **extra) -> dict:
    env = dict(os.environ, NOTIFY_SOCKET=str(notify), WATCHDOG_USEC="1000000")
    env.update(extra)
    return env


def read_events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def test_ready_then_watchdog_pings_that_stop_when_the_camera_stalls(model_path, media, tmp_path):
    notify = NotifySocket(tmp_path / "notify")
    fifo = tmp_path / "camera.y4m"
    os.mkfifo(fifo)
    camera = Y4MCamera(fifo, media(CLIP), seconds=4.0)
    camera.start()
    events = tmp_path / "events.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "firmware_py", "run", "--source", str(fifo), "--gpio", "mock",
                             "--model", str(model_path), "--state-dir", str(tmp_path / "state"),
                             "--events", str(events)], env=service_env(notify.path), stderr=subprocess.PIPE, text=True)
    try:
        ready = notify.wait_for("READY=1")
        deadline = time.monotonic() + 30
        while camera.stalled_at is None:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(3.0)  # three watchdog intervals into the stall
        pings = notify.times("WATCHDOG=1")
        fresh = [t for t in pings if ready <= t < camera.stalled_at]
        assert len(fresh) >= 4, notify.messages  # every half interval while frames flow
        assert not [t for t in pings if t > camera.stalled_at + 1.0], "pinged with no fresh frames"
        assert proc.poll() is None  # stalled, not dead: systemd's watchdog decides
        stopped = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert time.monotonic() - stopped < 2.0
        log = proc.stderr.read().splitlines()
        assert len(log) < 8, log  # start, stop and faults only: never a line per frame
        assert notify.times("STOPPING=1")
        assert any(m.startswith("STATUS=") and "fps" in m for _, m in notify.messages)
        last = read_events(events)[-1]
        assert last["pattern"] == "dark" and not any(last["outputs"].values())
    finally:
        camera.release.set()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        notify.close()


# (--model names the file: the project's own models/ would otherwise stand in for a missing one)
@pytest.mark.parametrize("problem, says", [("missing", "does not exist"), ("corrupt", "not a valid Flatbuffer")])
def test_a_bad_model_keeps_the_device_up_showing_the_fault_until_a_good_one_is_there(model_path, media, tmp_path,
                                                                                     problem, says):
    notify = NotifySocket(tmp_path / "notify")
    console = PtyConsole(str(tmp_path / "tty"))
    models = tmp_path / "models"
    models.mkdir()
    if problem == "corrupt":  # a download cut short by a power cut
        (models / model_path.name).write_bytes(model_path.read_bytes()[:5000])
    events = tmp_path / "events.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "firmware_py", "run", "--source", str(media(CLIP)), "--gpio", "mock", "--loop",
         "--realtime", "--console", str(tmp_path / "tty"), "--state-dir", str(tmp_path / "state"),
         "--events", str(events), "--model", str(models / model_path.name)],
        env=service_env(notify.path, KNEECUE_MODEL_DIR=str(models)), stderr=subprocess.PIPE, text=True)
    try:
        console.expect("kneecue> ")
        ready = notify.wait_for("READY=1")  # pins and console up: `systemctl start` returns
        assert notify.wait_for("STATUS=FAULT model:") >= ready
        # the advice names the file the service was pointed at, and how to put one there
        console.command("status", f"FAULT model: .*{says}.*Put a good model at {models / model_path.name} "
                                  f"\\(`kneecue model fetch --dir {models}`")
        assert "no frame scored yet" in console.text()
        fault = read_events(events)[0]
        assert fault["pattern"] == "fault" and fault["outputs"]["red"] == 1 and fault["outputs"]["buzzer"] == 0
        time.sleep(1.5)  # the fault is a wait the watchdog is fed through, not a hang
        assert len([t for t in notify.times("WATCHDOG=1") if t > ready]) >= 2
        shutil.copy(model_path, models / model_path.name)  # the coach follows the advice
        notify.wait_for("STATUS=", timeout=30)
        deadline = time.monotonic() + 30
        while not any(m.startswith("STATUS=") and "fps" in m for _, m in notify.messages):
            assert time.monotonic() < deadline, notify.messages
            time.sleep(0.1)
        console.command("status", "faults: none")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert "model: back after" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        console.close()
        notify.close()


def test_a_camera_absent_at_start_is_waited_for_and_the_loop_resumes(movenet, media):
    from firmware_py.app.build import build_pipeline
    from firmware_py.cues.outputs import CueOutputs, make_pin_factory
    from firmware_py.device.config import DeviceConfig
    from firmware_py.device.state import Device
    from firmware_py.errors import SourceOpenError
    from firmware_py.loop.live import LiveLoop
    from firmware_py.loop.sinks import ReadingsSink
    from firmware_py.sources.opencv import VideoFile

    class LateCamera(VideoFile):
        """A clip that behaves like a camera found only at the third try."""

        live = True
        tries = 0

        def open(self):
            LateCamera.tries += 1
            if LateCamera.tries < 3:
                raise SourceOpenError("picamera:0: camera could not be started; check the ribbon cable")
            return super().open()

    device = Device(DeviceConfig())
    seen = []
    stop = threading.Event()
    outputs = CueOutputs(pin_factory=make_pin_factory("mock"))
    played = outputs.play

    def spy(pattern):
        seen.append((pattern, dict(device.health.faults)))
        if len([p for p, _ in seen if p != "fault"]) > 30:
            stop.set()
        return played(pattern)
    outputs.play = spy
    # Paced and looped as a camera delivers: unpaced, a busy machine scored fewer than 30
    # frames before the clip's end read as a camera lost (a 4th open).
    loop = LiveLoop(LateCamera(media(CLIP), realtime=True, loop=True), build_pipeline(movenet), outputs,
                    device=device, stop=stop,
                    source_open=False, sinks=[ReadingsSink(device)])
    stats = loop.run()
    outputs.close()
    assert LateCamera.tries == 3 and stats.frames > 30
    assert seen[0] == ("fault", {"camera": "picamera:0: camera could not be started; check the ribbon cable"})
    assert seen[-1][1] == {} and device.mailbox.readings.frame >= 30


def test_a_pi_camera_mounted_upside_down_is_scored_upright_and_turned_by_the_camera(movenet, media, monkeypatch):
    """The saved rotation reaches the camera before it opens (libcamera turns 180 for
    nothing), the scores are the upright athlete's, and `rotate 0` from the console
    reconfigures the camera while the loop runs."""
    import fake_picamera2

    from firmware_py.app.build import build_pipeline
    from firmware_py.cues.outputs import CueOutputs, make_pin_factory
    from firmware_py.device.config import DeviceConfig
    from firmware_py.device.state import Device
    from firmware_py.loop.live import LiveLoop
    from firmware_py.loop.sinks import ReadingsSink
    from firmware_py.sources.picam import PiCamera
    from firmware_py.system.cv import cv2

    upright = cv2.cvtColor(cv2.imread(str(media("sqd_single_leg_knee_collapse_annotated.png"))), cv2.COLOR_BGR2RGB)
    cameras = fake_picamera2.install(monkeypatch, sensor=cv2.rotate(upright, cv2.ROTATE_180))
    device = Device(DeviceConfig(rotation=180))
    stop, fppa = threading.Event(), []
    outputs = CueOutputs(pin_factory=make_pin_factory("mock"))
    played = outputs.play

    def spy(pattern):
        if device.mailbox.readings is not None:
            fppa.append(device.mailbox.readings.metrics.get("fppa_right"))
        if len(fppa) == 8:
            device.settings.config = device.settings.config.replace(rotation=0)  # what `rotate 0` does
        if len(fppa) > 16:
            stop.set()
        return played(pattern)
    outputs.play = spy
    LiveLoop(PiCamera(), build_pipeline(movenet), outputs, device=device, stop=stop, source_open=False,
             sinks=[ReadingsSink(device)]).run()
    outputs.close()
    (camera,) = cameras.made
    assert camera.configured == 2 and not camera.config["transform"].vflip  # turned by libcamera, then back
    assert all(v is not None and v > 20.0 for v in fppa[1:8]), fppa  # the collapsing right knee, upright


# -- the unit file ------------------------------------------------------------------------

UNIT = ROOT / "systemd" / "kneecue.service"


def verify(unit_text: str, tmp_path: Path) -> str:
    """`systemd-analyze verify` on the unit as installed: a root holding what it names."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    root = tmp_path / "root"
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copytree("/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    venv = root / "opt/kneecue/venv/bin"
    venv.mkdir(parents=True)
    (venv / "kneecue").write_text("#!/bin/sh\n")
    (venv / "kneecue").chmod(0o755)
    (root / "etc/systemd/system/kneecue.service").write_text(unit_text)
    result = subprocess.run(["systemd-analyze", "verify", f"--root={root}", "kneecue.service"],
                            capture_output=True, text=True)
    return (result.stdout + result.stderr).strip() + ("" if result.returncode == 0 else f" (exit {result.returncode})")


def test_the_unit_verifies_without_a_word(tmp_path):
    assert verify(UNIT.read_text(), tmp_path) == ""


def test_the_verify_check_does_catch_a_broken_unit(tmp_path):
    broken = UNIT.read_text().replace("WatchdogSec=10", "WatchdogSec=ten seconds")
    assert "Failed to parse sec value, ignoring: ten seconds" in verify(broken, tmp_path)


def test_the_unit_is_hardened_to_an_exposure_of_4_or_better():
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    result = subprocess.run(["systemd-analyze", "security", "--offline=true", str(UNIT)], capture_output=True,
                            text=True)
    line = [x for x in result.stdout.splitlines() if "Overall exposure level" in x][0]
    exposure = float(line.split(":")[1].split()[0])
    assert exposure <= 4.0, result.stdout


def test_the_unit_has_what_the_device_needs():
    text = UNIT.read_text()
    for line in ("Type=notify", "WatchdogSec=", "Restart=always", "StateDirectory=kneecue",
                 "SupplementaryGroups=gpio video dialout", "ExecStopPost=/opt/kneecue/venv/bin/kneecue outputs-off",
                 "ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes", "PrivateTmp=yes"):
        assert line in text
    unit, service = text.split("[Service]")
    assert "StartLimitIntervalSec=" in unit and "StartLimitBurst=" in unit


def test_a_corrupt_foot_model_leaves_the_device_cueing_without_the_feet_and_says_why(tmp_path, monkeypatch):
    import argparse
    from pathlib import Path

    from firmware_py.app.service import _foot_stage
    from firmware_py.device.config import DeviceConfig
    from firmware_py.device.state import Device

    shipped = Path(__file__).resolve().parents[1] / "models" / "pose_landmark_lite.tflite"
    (tmp_path / shipped.name).write_bytes(shipped.read_bytes()[:5000])  # a copy cut short
    monkeypatch.setenv("KNEECUE_MODEL_DIR", str(tmp_path))  # looked up before models/
    device = Device(DeviceConfig())
    assert _foot_stage(argparse.Namespace(feet="lite", runtime=None), device) is None
    assert "no foot points" in device.health.warnings["feet"] and str(tmp_path) in device.health.warnings["feet"]
    stage = _foot_stage(argparse.Namespace(feet="off", runtime=None), device)
    assert stage is None
    monkeypatch.delenv("KNEECUE_MODEL_DIR")
    stage = _foot_stage(argparse.Namespace(feet="lite", runtime=None), device)
    try:
        assert stage is not None and device.info["feet"].startswith("pose_landmark_lite.tflite")
    finally:
        if stage is not None:
            stage.close()
