"""``kneecue doctor``: the check whoever installs a Pi runs, one line per check and,
for each that fails, what to do.

It looks at the board, the service, the camera (the sensor mode chosen and its field
of view, one frame), the model (that frame scored), the pins (each LED and the buzzer
in turn, for a person to watch), the coach's console port (and what ``serial0`` is on
this board), throttling and disk.  The camera and the pins cannot be shared: while the
service runs they are its, and those checks say to stop it first.  Every check is a
function of a ``Machine`` (where the files are, how commands run), so tests point it at
a fixture of a Pi 4 or a Pi 5.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from firmware_py.system import board, throttle

MARK = {"ok": "ok  ", "warn": "warn", "fail": "FAIL", "skip": "--  "}
LOW_DISK_MB = 1000


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail | skip
    text: str
    fix: str = ""

    def line(self) -> str:
        fix = f"  -> {self.fix}" if self.fix and self.status in ("warn", "fail", "skip") else ""
        return f"{MARK[self.status]} {self.name:8s} {self.text}{fix}"


def _systemctl(*args: str) -> str | None:
    if shutil.which("systemctl") is None:
        return None
    done = subprocess.run(["systemctl", *args], capture_output=True, text=True, timeout=10)
    return done.stdout.strip()


@dataclass
class Machine:
    """Where a Pi keeps what the checks read (``root`` is / on the Pi, a fixture in tests)."""

    root: Path = Path("/")
    systemctl: Callable[..., str | None] = _systemctl
    state_dir: Path | None = None
    port: str | None = None  # the console port to check (default: the service's, from /etc/default/kneecue)
    found: dict = field(default_factory=dict)  # what one check leaves the next (the frame)

    @property
    def model(self) -> str | None:
        return board.board_model(self.root / "proc/device-tree/model")


# -- the checks ---------------------------------------------------------------------------

def check_board(m: Machine) -> Check:
    bits = struct.calcsize("P") * 8
    model = m.model
    if not board.is_raspberry_pi(model):
        return Check("board", "warn", f"not a Raspberry Pi ({model or 'no device-tree model'}), {bits}-bit Python",
                     "the camera, pin and port checks are written for a Pi 4 or 5")
    if bits != 64:
        return Check("board", "fail", f"{model}, {bits}-bit Python", "flash Raspberry Pi OS (64-bit)")
    return Check("board", "ok", f"{model}, 64-bit")


def check_service(m: Machine) -> Check:
    active = m.systemctl("is-active", "kneecue.service")
    if not active:
        return Check("service", "skip", "no systemd running here")
    enabled = m.systemctl("is-enabled", "kneecue.service") or "unknown"
    status = m.systemctl("show", "-p", "StatusText", "--value", "kneecue.service") or ""
    m.found["service_active"] = active == "active"
    text = f"{active}, {enabled} at boot" + (f": {status}" if status else "")
    if active == "active":
        return Check("service", "fail" if status.startswith("FAULT") else "ok", text,
                     "journalctl -u kneecue says more" if status.startswith("FAULT") else "")
    return Check("service", "warn" if enabled == "enabled" else "skip", text,
                 "sudo systemctl start kneecue (after these checks)")


def _busy(m: Machine, what: str) -> Check | None:
    if m.found.get("service_active"):
        return Check(what, "skip", "held by the running service",
                     "sudo systemctl stop kneecue, run kneecue doctor, sudo systemctl start kneecue")
    return None


def check_camera(m: Machine) -> Check:
    from firmware_py.errors import SourceError
    from firmware_py.sources.picam import PiCamera

    if (busy := _busy(m, "camera")) is not None:
        return busy
    camera = PiCamera()
    try:
        with camera:
            frame = camera.read()
    except SourceError as e:
        return Check("camera", "fail", str(e))
    m.found["frame"] = frame
    h, w = frame.rgb.shape[:2]
    return Check("camera", "ok", f"{camera.described}; a {w}x{h} frame at {camera.fps:g} fps")


def check_model(m: Machine) -> Check:
    from firmware_py.app.build import build_engine, build_model
    from firmware_py.errors import ModelError

    try:
        model = build_model(None)
    except ModelError as e:
        return Check("model", "fail", str(e), "sudo /opt/kneecue/venv/bin/kneecue model fetch")
    frame = m.found.get("frame")
    if frame is None:
        return Check("model", "ok", f"{model.describe()} loads; no camera frame to score")
    engine = build_engine(model)
    start = time.perf_counter()
    pose = engine.pose_of(frame)
    ms = (time.perf_counter() - start) * 1e3
    seen = int((pose[:, 2] >= 0.3).sum())
    legs = all(pose[i, 2] >= 0.3 for i in range(11, 17))
    text = f"{model.describe()}: one frame scored in {ms:.0f} ms, {seen} of 17 points seen"
    if not legs:
        return Check("model", "warn", text + ", not both legs",
                     "stand 2-3 m in front of the camera, whole body in view, and run doctor again")
    return Check("model", "ok", text + ", both legs (hips, knees, ankles)")


def check_pins(m: Machine, *, seconds: float = 1.0, say=print) -> Check:
    from firmware_py.cues.outputs import OUTPUT_NAMES, CueOutputs, make_pin_factory
    from firmware_py.cues.pins import PinMap
    from firmware_py.device.config import load_config
    from firmware_py.errors import PinError

    if (busy := _busy(m, "pins")) is not None:
        return busy
    try:
        factory = make_pin_factory("auto")
    except PinError as e:
        return Check("pins", "fail", str(e))
    kind = type(factory).__name__
    pins = load_config(m.state_dir)[0].pins if m.state_dir is not None else PinMap()
    with CueOutputs(pins, pin_factory=factory) as outputs:
        where = pins.outputs()
        for name in OUTPUT_NAMES:  # one at a time, so that the person watching can tell them apart
            say(f"     pins     watch: {name} (GPIO{where[name]}) on for {seconds:g} s")
            outputs.only(name)
            time.sleep(seconds)
            outputs.off()
    if "Mock" in kind:
        return Check("pins", "warn" if not board.is_raspberry_pi(m.model) else "fail",
                     f"gpiozero's {kind}: nothing lit", "on a Pi: sudo apt install python3-lgpio")
    return Check("pins", "ok", f"{kind}: green, amber, red and the buzzer each driven for {seconds:g} s")


def service_port(m: Machine) -> str | None:
    """The console port the service is started with (/etc/default/kneecue), if any."""
    try:
        text = (m.root / "etc/default/kneecue").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("KNEECUE_ARGS="):  # systemd unquotes the value, then splits $KNEECUE_ARGS on spaces
            words = " ".join(shlex.split(line.split("=", 1)[1])).split()
            if "--console" in words[:-1]:
                return words[words.index("--console") + 1]
    return None


def check_port(m: Machine) -> Check:
    port = m.port or service_port(m)
    serial0 = m.root / "dev/serial0"
    target = os.readlink(serial0) if serial0.is_symlink() else None
    about = f"serial0 is {target}" if target else "no /dev/serial0 (the UART is off)"
    if port in (None, "none"):
        return Check("port", "skip", f"no console port configured; {about}",
                     "sudo ./install.sh --console uart (or gadget)")
    real = Path(port)
    if port.startswith("/dev/"):
        path = m.root / port.lstrip("/")
        name = os.path.basename(os.readlink(path)) if path.is_symlink() else real.name
    else:
        return Check("port", "ok", f"{port} (not a device path: not checked); {about}")
    if board.generation(m.model) == 5 and name == "ttyAMA10":
        return Check("port", "fail", f"{port} is ttyAMA10, the Pi 5's 3-pin debug connector, not pins 8 and 10",
                     "use /dev/ttyAMA0 with dtparam=uart0=on (sudo ./install.sh does both), then reboot")
    if not (m.root / "dev" / name).exists():
        return Check("port", "fail", f"{port} does not exist; {about}",
                     "the UART or the USB gadget takes effect at boot: sudo reboot")
    getty = m.systemctl("is-active", f"serial-getty@{name}.service")
    if getty == "active":
        return Check("port", "fail", f"{port}: a login shell (serial-getty@{name}) shares it",
                     f"sudo systemctl disable --now serial-getty@{name}; sudo raspi-config nonint do_serial_cons 1")
    return Check("port", "ok", f"{port} ({name}); {about}")


def check_power(m: Machine) -> Check:
    power = throttle.read_power(m.root / "sys")
    slowed = throttle.describe(power)
    if power.under_voltage is None and power.temp_c is None:
        return Check("power", "skip", "no under-voltage sensor or CPU temperature here")
    if slowed:
        return Check("power", "warn", slowed)
    temp = "" if power.temp_c is None else f", {power.temp_c:.0f} °C"
    return Check("power", "ok", f"no under-voltage{temp}")


def check_disk(m: Machine) -> Check:
    where = m.state_dir if m.state_dir is not None and m.state_dir.exists() else m.root
    free_mb = shutil.disk_usage(where).free / 1e6
    text = f"{free_mb / 1000:.1f} GB free for sessions and replay clips ({where})"
    if free_mb < LOW_DISK_MB:
        return Check("disk", "warn", text, "copy old sessions off and delete them, or lower clip_quota_mb")
    return Check("disk", "ok", text)


CHECKS = (check_board, check_service, check_camera, check_model, check_pins, check_port, check_power, check_disk)


def run_checks(m: Machine, *, pins: bool = True, seconds: float = 1.0, say=print) -> list[Check]:
    results = []
    for check in CHECKS:
        if check is check_pins:
            result = check_pins(m, seconds=seconds, say=say) if pins else Check("pins", "skip", "--no-pins")
        else:
            result = check(m)
        say(result.line())
        results.append(result)
    return results


def cmd_doctor(args: argparse.Namespace) -> int:
    state = Path(args.state_dir) if args.state_dir else next(
        (p for p in (Path(os.environ.get("STATE_DIRECTORY", "")), Path("/var/lib/kneecue")) if str(p) != "."
         and p.is_dir()), None)
    m = Machine(state_dir=state, port=args.port)
    results = run_checks(m, pins=not args.no_pins, seconds=args.seconds, say=lambda line: print(line, flush=True))
    failed = [r.name for r in results if r.status == "fail"]
    print(f"{len(failed)} check(s) failed: {', '.join(failed)}" if failed else "all checks passed or were skipped",
          file=sys.stderr)
    return 1 if failed else 0
