"""`kneecue doctor` on fixtures of a Pi 4 and a Pi 5, a picamera2 stand-in, the real
model and gpiozero's mock pins."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import fake_picamera2
from gpiozero.pins.mock import MockFactory, MockPWMPin

from firmware_py.tools import doctor
from firmware_py.tools.doctor import Machine

FIXTURES = Path(__file__).parent / "fixtures"


def pi(tmp_path, board: str, *, port: str | None = None, services: dict | None = None) -> Machine:
    root = tmp_path / board
    shutil.copytree(FIXTURES / board, root, symlinks=True)
    if port is not None:
        (root / "etc/default").mkdir(parents=True)
        (root / "etc/default/kneecue").write_text(f'KNEECUE_ARGS="--console {port}"\nKNEECUE_MODEL_DIR=/opt/x\n')
    answers = services or {}
    return Machine(root=root, systemctl=lambda *args: answers.get(args[-1], "inactive"))


def test_on_a_pi_5_the_debug_connector_is_named_as_the_wrong_port(tmp_path):
    m = pi(tmp_path, "pi5", port="/dev/serial0")
    check = doctor.check_port(m)
    assert check.status == "fail" and "ttyAMA10, the Pi 5's 3-pin debug connector, not pins 8 and 10" in check.text
    assert "/dev/ttyAMA0 with dtparam=uart0=on" in check.fix


def test_a_port_that_needs_a_reboot_and_one_a_login_shell_shares(tmp_path):
    m = pi(tmp_path, "pi5", port="/dev/ttyAMA0")
    check = doctor.check_port(m)
    assert check.status == "fail" and "does not exist" in check.text and "sudo reboot" in check.fix
    (m.root / "dev/ttyAMA0").write_text("")  # after the reboot
    assert doctor.check_port(m).status == "ok"
    m.systemctl = lambda *args: "active" if args[-1] == "serial-getty@ttyAMA0.service" else "inactive"
    check = doctor.check_port(m)
    assert check.status == "fail" and "a login shell (serial-getty@ttyAMA0) shares it" in check.text


def test_on_a_pi_4_serial0_is_the_headers_uart(tmp_path):
    m = pi(tmp_path, "pi4", port="/dev/serial0")
    (m.root / "dev/ttyS0").write_text("")
    check = doctor.check_port(m)
    assert check.status == "ok" and check.text == "/dev/serial0 (ttyS0); serial0 is ttyS0"


def test_the_board_power_and_disk(tmp_path):
    m = pi(tmp_path, "pi5")
    assert doctor.check_board(m).text == "Raspberry Pi 5 Model B Rev 1.0, 64-bit"
    assert doctor.check_power(m).line() == "ok   power    no under-voltage, 52 °C"
    (m.root / "sys/class/hwmon/hwmon0/in0_lcrit_alarm").write_text("1\n")
    assert doctor.check_power(m).status == "warn"
    assert doctor.check_disk(m).status in ("ok", "warn")


def test_the_camera_its_mode_and_one_frame_scored(tmp_path, monkeypatch, media, model_path):
    from firmware_py.system.cv import cv2

    monkeypatch.setenv("KNEECUE_MODEL_DIR", str(model_path.parent))
    lab = cv2.cvtColor(cv2.imread(str(media("sqd_single_leg_squat_lab_frontal.png"))), cv2.COLOR_BGR2RGB)
    fake_picamera2.install(monkeypatch, sensor=lab)
    m = pi(tmp_path, "pi5")
    camera = doctor.check_camera(m)
    assert camera.status == "ok", camera.line()
    assert camera.text.startswith("imx708 2304x1296 (up to 56 fps), full field of view, 66x41 deg; a ")
    model = doctor.check_model(m)
    assert model.status == "ok" and "both legs" in model.text, model.line()


def test_while_the_service_runs_the_camera_and_pins_are_left_to_it(tmp_path):
    m = pi(tmp_path, "pi5", services={"kneecue.service": "active"})
    assert doctor.check_service(m).status == "ok"
    for check in (doctor.check_camera(m), doctor.check_pins(m)):
        assert check.status == "skip" and "sudo systemctl stop kneecue" in check.fix


def test_each_output_is_driven_alone_in_turn_for_the_person_watching(tmp_path, monkeypatch):
    factory = MockFactory(pin_class=MockPWMPin)
    monkeypatch.setattr("firmware_py.cues.outputs.make_pin_factory", lambda kind: factory)
    said = []
    check = doctor.check_pins(Machine(root=tmp_path), seconds=0.05, say=said.append)
    assert [line.split("watch: ")[1].split(" (")[0] for line in said] == ["green", "amber", "red", "buzzer"]
    highs = {}
    for name, bcm in (("green", 17), ("amber", 27), ("red", 22), ("buzzer", 23)):
        pin = factory.pin(bcm)
        states = pin.states  # each timestamped from the state before it; the last at pin._last_change
        assert [bool(s.state) for s in states] == [False, True, False], (name, states)  # on once, then off
        off = pin._last_change  # monotonic: one clock for all the pins, however far apart they were made
        highs[name] = (off - states[2].timestamp, off)
    spans = [highs[n] for n in ("green", "amber", "red", "buzzer")]
    assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:])), spans  # one after the other, never two at once
    assert all(end - start >= 0.04 for start, end in spans), spans
    assert check.status == "warn" and "MockFactory" in check.text  # off a Pi: said, not hidden


def test_kneecue_doctor_here_says_one_line_per_check_and_fails_on_the_camera(tmp_path):
    done = subprocess.run([sys.executable, "-m", "firmware_py", "doctor", "--no-pins", "--state-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    lines = done.stdout.splitlines()
    assert [line[5:13].strip() for line in lines] == ["board", "service", "camera", "model", "pins", "port", "power",
                                                      "disk"]
    assert done.returncode == 1 and lines[2].startswith("FAIL camera")
    assert "python3-picamera2" in lines[2] and "1 check(s) failed: camera" in done.stderr
