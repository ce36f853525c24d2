"""install.sh: the one-command Pi install, checked here by its dry run."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ("apt-get", "useradd", "usermod", "userdel", "systemctl", "raspi-config", "install", "pip", "tar",
         "python3", "sh", "rm", "mkdir")


def dry_run(tmp_path, *args):
    """Run install.sh with every command it could call replaced by one that logs the call."""
    stubs = tmp_path / "bin"
    stubs.mkdir(exist_ok=True)
    log = tmp_path / "called"
    for tool in TOOLS:
        (stubs / tool).write_text(f'#!/bin/bash\necho "{tool} $*" >> {log}\n')
        (stubs / tool).chmod(0o755)
    env = dict(os.environ, PATH=f"{stubs}:/usr/bin:/bin")
    result = subprocess.run(["/bin/bash", str(ROOT / "install.sh"), *args], capture_output=True, text=True, env=env)
    called = log.read_text() if log.exists() else ""
    return result, called


def steps(output: str) -> list[str]:
    return re.findall(r"^ *\d+\. (.*)$", output, re.M)


def test_dry_run_lists_every_step_in_order_and_runs_nothing(tmp_path):
    touched = [Path("/opt/kneecue"), Path("/etc/default/kneecue"), Path("/etc/systemd/system/kneecue.service")]
    before = [p.exists() for p in touched]
    result, called = dry_run(tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert called == ""
    titles = steps(result.stdout)
    order = ["install system packages", "create the service user", "let it use GPIO", "copy the project",
             "make the venv", "install KneeCue into it", "fetch the pinned model", "serial console on the GPIO UART",
             "keep the login getty off the UART", "write /etc/default/kneecue (console /dev/serial0)",
             "install the unit", "reload systemd", "start on every boot", "(re)start it now"]
    assert [t for t in titles if any(t.startswith(o) for o in order)] == titles
    assert [next(o for o in order if t.startswith(o)) for t in titles] == order
    numbers = [int(n) for n in re.findall(r"^ *(\d+)\. ", result.stdout, re.M)]
    assert numbers == list(range(1, len(order) + 1))
    assert "python3-picamera2" in result.stdout and "numpy<2" in result.stdout and "--system-site-packages" in result.stdout
    assert result.stdout.rstrip().endswith("dry run: nothing was changed")
    assert [p.exists() for p in touched] == before


def test_dry_run_with_the_usb_gadget_sets_up_g_serial(tmp_path):
    result, called = dry_run(tmp_path, "--dry-run", "--console", "gadget")
    assert called == "" and result.returncode == 0
    titles = steps(result.stdout)
    assert "USB gadget serial: dwc2 overlay" in titles and "write /etc/default/kneecue (console /dev/ttyGS0)" in titles
    assert not any("UART" in t for t in titles)


def test_uninstall_dry_run(tmp_path):
    result, called = dry_run(tmp_path, "--uninstall", "--dry-run")
    assert called == "" and result.returncode == 0
    assert steps(result.stdout)[:2] == ["stop and disable the service", "drive the LEDs and buzzer low"]
    assert "remove the service user" in steps(result.stdout)


def test_mistakes_are_refused(tmp_path):
    result, _ = dry_run(tmp_path, "--console", "bluetooth", "--dry-run")
    assert result.returncode == 2 and "uart, gadget, usb or none" in result.stderr
    result, _ = dry_run(tmp_path, "--frobnicate")
    assert result.returncode == 2
