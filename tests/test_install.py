"""install.sh: its dry run on a Pi 4 and a Pi 5 (fixtures of each), and its real file
work (the copy's ownership, the boot config) in a root of its own (KNEECUE_ROOT), with
every command that would touch this machine replaced by one that logs the call."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
SYSTEM = ("apt-get", "useradd", "usermod", "userdel", "systemctl", "raspi-config", "runuser")
FILES = ("install", "pip", "tar", "python3", "sh", "rm", "mkdir", "chown", "chmod")  # stubbed in a dry run too


def stub(bin_dir: Path, tool: str, log: Path, body: str = "") -> None:
    (bin_dir / tool).write_text(f'#!/bin/bash\necho "{tool} $*" >> {log}\n{body}')
    (bin_dir / tool).chmod(0o755)


def install_sh(tmp_path, *args, root: Path | None = None, script: Path = ROOT / "install.sh", real_files=False,
               extra_stubs: dict[str, str] | None = None, stdin: str = ""):
    """Run install.sh with the machine-changing commands logged instead of run; with
    ``real_files`` the file commands run for real (inside ``root``)."""
    stubs = tmp_path / "bin"
    stubs.mkdir(exist_ok=True)
    log = tmp_path / "called"
    for tool in SYSTEM + (() if real_files else FILES):
        stub(stubs, tool, log)
    if real_files:  # a venv whose pip and kneecue only log
        (tmp_path / "venvtool").write_text(f'#!/bin/bash\necho "$(basename "$0") $*" >> {log}\n')
        stub(stubs, "python3", log, 'venv="${@: -1}"; mkdir -p "$venv/bin"\n'
             f'for t in pip kneecue; do cp {tmp_path / "venvtool"} "$venv/bin/$t"; chmod 755 "$venv/bin/$t"; done\n')
    for tool, body in (extra_stubs or {}).items():
        stub(stubs, tool, log, body)
    env = dict(os.environ, PATH=f"{stubs}:/usr/bin:/bin")
    if root is not None:
        env["KNEECUE_ROOT"] = str(root)
    result = subprocess.run(["/bin/bash", str(script), *args], capture_output=True, text=True, env=env, input=stdin)
    return result, log.read_text() if log.exists() else ""


def steps(output: str) -> list[str]:
    return re.findall(r"^ *\d+\. (.*)$", output, re.M)


def checkout_copy(dst: Path) -> Path:
    """What install.sh reads of a checkout, copied to ``dst`` (an empty models/ beside it)."""
    for name in ("install.sh", "install-constraints.txt", "systemd/kneecue.service", "pyproject.toml"):
        (dst / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, dst / name)
    (dst / "models").mkdir()
    return dst


def board_root(tmp_path, board: str) -> Path:
    root = tmp_path / "root"
    shutil.copytree(FIXTURES / board, root, symlinks=True)
    for d in ("etc/systemd/system", "etc/default", "opt"):
        (root / d).mkdir(parents=True, exist_ok=True)
    return root


def test_dry_run_lists_every_step_in_order_and_runs_nothing(tmp_path):
    touched = [Path("/opt/kneecue"), Path("/etc/default/kneecue"), Path("/etc/systemd/system/kneecue.service")]
    before = [p.exists() for p in touched]
    result, called = install_sh(tmp_path, "--dry-run", root=board_root(tmp_path, "pi4"))
    assert result.returncode == 0, result.stderr
    assert called == ""
    order = ["refresh the package lists", "install system packages", "create the service user", "let it use GPIO",
             "copy the project", "make the venv", "install KneeCue into it", "fetch the pinned model",
             "serial console on the header's UART", "keep the login getty off it", "write /etc/default/kneecue",
             "install the unit", "reload systemd", "start on every boot", "(re)start it now"]
    titles = steps(result.stdout)
    assert [next(o for o in order if t.startswith(o)) for t in titles] == order
    numbers = [int(n) for n in re.findall(r"^ *(\d+)\. ", result.stdout, re.M)]
    assert numbers == list(range(1, len(order) + 1))
    for needed in ("python3-picamera2", "--no-install-recommends", "install-constraints.txt",
                   "--system-site-packages", "restart --no-block kneecue.service"):
        assert needed in result.stdout, needed
    assert "dry run: nothing was changed" in result.stdout
    assert [p.exists() for p in touched] == before


def test_on_a_pi_4_the_console_is_serial0_and_the_live_getty_is_the_one_turned_off(tmp_path):
    """With Bluetooth on, serial0 is the mini UART ttyS0: its getty is the live one."""
    result, _ = install_sh(tmp_path, "--dry-run", root=board_root(tmp_path, "pi4"))
    assert "write /etc/default/kneecue (console /dev/serial0)" in steps(result.stdout)
    assert "raspi-config nonint do_serial_cons 1 && raspi-config nonint do_serial_hw 0" in result.stdout
    assert "systemctl disable --now serial-getty@ttyS0.service" in result.stdout
    assert "reboot needed: the UART on pins 8 and 10 (/dev/serial0) takes effect at boot" in result.stdout


def test_on_a_pi_5_the_console_is_the_headers_uart0_not_the_debug_connector(tmp_path):
    """On a Pi 5 serial0 is the 3-pin debug UART (ttyAMA10): the header's pins 8/10 are
    ttyAMA0 once dtparam=uart0=on, and the login console stays where it is."""
    root = board_root(tmp_path, "pi5")
    result, _ = install_sh(tmp_path, "--dry-run", root=root)
    assert "write /etc/default/kneecue (console /dev/ttyAMA0)" in steps(result.stdout)
    assert "raspi-config nonint do_serial_hw 0" in result.stdout and "do_serial_cons" not in result.stdout
    assert "ttyAMA10" not in result.stdout
    assert "reboot needed: the UART on pins 8 and 10 (/dev/ttyAMA0)" in result.stdout
    with open(root / "boot/firmware/config.txt", "a") as config:  # what do_serial_hw 0 writes on a Pi 5
        config.write("dtparam=uart0=on\n")
    result, _ = install_sh(tmp_path, "--dry-run", root=root)
    assert "reboot needed" not in result.stdout  # already on: nothing waits for a boot


def test_the_usb_gadget_overlay_goes_in_all_even_with_bookworms_cm5_line(tmp_path):
    """Bookworm's stock config.txt has dtoverlay=dwc2,dr_mode=host under [cm5]: it is no
    gadget overlay for a Pi 4 or 5, so one is added under [all], once."""
    root = board_root(tmp_path, "pi4")
    config = root / "boot/firmware/config.txt"
    stock = config.read_text()
    result, called = install_sh(tmp_path, "--console", "gadget", root=root, real_files=True)
    assert result.returncode == 0, result.stderr
    assert config.read_text() == stock + "\n[all]\ndtoverlay=dwc2,dr_mode=peripheral\n"
    assert (root / "etc/modules").read_text() == "g_serial\n"
    assert "systemctl mask serial-getty@ttyGS0.service" in called
    assert (root / "etc/default/kneecue").read_text().startswith('KNEECUE_ARGS="--console /dev/ttyGS0"')
    assert "reboot needed: USB gadget serial (/dev/ttyGS0)" in result.stdout
    result, _ = install_sh(tmp_path, "--console", "gadget", root=root, real_files=True)
    assert config.read_text().count("dr_mode=peripheral") == 1 and "reboot needed" not in result.stdout


@pytest.fixture
def checkout_of_pi(tmp_path):
    """A checkout owned by the login user (uid 1000), one file group-writable, as `git
    clone` by `pi` leaves it with a umask of 002."""
    if os.geteuid() != 0:
        pytest.skip("needs root to own files as another user")
    src = checkout_copy(tmp_path / "checkout")
    (src / "models/movenet.tflite").write_bytes(b"model")
    (src / "models/movenet.tflite").chmod(0o664)
    for path in [src, *src.rglob("*")]:
        os.chown(path, 1000, 1000)
    return src


def test_the_installed_program_venv_and_models_are_roots_alone(tmp_path, checkout_of_pi):
    """tar as root keeps the checkout's owner (the ./ entry too): the login user could
    then swap the venv that the next `sudo ./install.sh` runs as root."""
    root = board_root(tmp_path, "pi4")
    stale = root / "opt/kneecue/venv/bin"  # an earlier install the login user could write to
    stale.mkdir(parents=True)
    (stale / "pip").write_text("#!/bin/sh\necho planted\n")
    for path in [root / "opt/kneecue", *(root / "opt/kneecue").rglob("*")]:
        os.chown(path, 1000, 1000)
    result, called = install_sh(tmp_path, root=root, script=checkout_of_pi / "install.sh", real_files=True)
    assert result.returncode == 0, result.stderr
    assert "remove" in result.stdout and "not root's alone" in result.stdout
    installed = root / "opt/kneecue"
    bad = [(str(p.relative_to(root)), oct(p.lstat().st_mode), p.lstat().st_uid)
           for p in [installed, *installed.rglob("*")]
           if p.lstat().st_uid != 0 or p.lstat().st_gid != 0
           or (not stat.S_ISLNK(p.lstat().st_mode) and p.lstat().st_mode & 0o022)]
    assert bad == []
    assert (installed / "models/movenet.tflite").is_file() and (installed / "venv/bin/pip").is_file()
    assert "planted" not in (installed / "venv/bin/pip").read_text()
    assert "pip install --quiet -c" in called


def test_uninstall_runs_nothing_of_the_program_as_root(tmp_path):
    result, called = install_sh(tmp_path, "--uninstall", "--dry-run", root=board_root(tmp_path, "pi5"))
    assert called == "" and result.returncode == 0
    assert steps(result.stdout)[:2] == ["stop and disable the service",
                                        "drive the LEDs and buzzer low (as the service user)"]
    assert "runuser -u kneecue -- " in result.stdout
    assert "remove the service user" in steps(result.stdout)


def test_a_32_bit_raspberry_pi_os_is_refused_with_what_to_flash(tmp_path):
    """Its kernel is 64-bit (uname says aarch64, so the wheels' markers cannot tell), the
    userland is not: pip would find no runtime to install."""
    result, called = install_sh(tmp_path, "--dry-run", root=board_root(tmp_path, "pi4"),
                                extra_stubs={"getconf": "echo 32\n"})
    assert result.returncode == 1 and "64-bit" in result.stderr and "Raspberry Pi Imager" in result.stderr
    assert steps(result.stdout) == []


def test_mistakes_are_refused(tmp_path):
    result, _ = install_sh(tmp_path, "--console", "bluetooth", "--dry-run")
    assert result.returncode == 2 and "uart, gadget, usb or none" in result.stderr
    result, _ = install_sh(tmp_path, "--frobnicate")
    assert result.returncode == 2
