"""Settings on disk survive power cuts: atomic saves, a last good copy, loud fallbacks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from firmware_py.core.calibration import Calibration
from firmware_py.core.settings import Thresholds
from firmware_py.cues.pins import PinMap
from firmware_py.device.config import ConfigError, DeviceConfig, Passcode, Profile, load_config, save_config


def test_round_trip(tmp_path):
    config = DeviceConfig(mode="terminal", muted=True, pins=PinMap(led_kind="rgb"), console_port="/dev/ttyGS0",
                          passcode=Passcode.create("2468")).with_profile(
        thresholds=Thresholds().with_value("fppa_alert", "20"), calibration=Calibration(roll_deg=2.5))
    config = config.replace(athletes={**config.athletes, "sam": Profile()})
    save_config(tmp_path, config)
    assert load_config(tmp_path) == (config, None)


def test_nothing_saved_is_the_defaults_quietly(tmp_path):
    assert load_config(tmp_path / "fresh") == (DeviceConfig(), None)


@pytest.mark.parametrize("text", ['{"mode": "concurrent"', "", "\x00\x00\x00",
                                  '{"thresholds": {"fppa_alert": 500}}', '{"pins": {"buzzer": 14}}',
                                  '{"colour": "red"}'])
def test_corrupt_file_falls_back_to_the_last_good_copy(tmp_path, text):
    save_config(tmp_path, DeviceConfig(mode="silent"))
    save_config(tmp_path, DeviceConfig(mode="terminal"))  # the silent one is now the .bak
    (tmp_path / "config.json").write_text(text)
    config, warning = load_config(tmp_path)
    assert config.mode == "silent"
    assert "config.json" in warning and "last good copy" in warning


def test_no_good_copy_at_all_means_defaults_and_says_so(tmp_path):
    (tmp_path / "config.json").write_text("{")
    config, warning = load_config(tmp_path)
    assert config == DeviceConfig() and "defaults" in warning


def test_a_version_1_file_loads_as_the_default_athlete(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(
        {"version": 1, "thresholds": {"fppa_alert": 20}, "mode": "terminal", "muted": False,
         "pins": {}, "calibration": {"roll_deg": 1.5}}))
    config, warning = load_config(tmp_path)
    assert warning is None
    assert (config.athlete, config.thresholds.fppa_alert, config.calibration.roll_deg) == ("default", 20, 1.5)


def test_passcodes_are_kept_hashed():
    code = Passcode.create("58203914")  # 8 digits: a 4-digit code turned up by chance in the hex of the hash
    assert code.matches("58203914") and not code.matches("58203915")
    assert "58203914" not in json.dumps(DeviceConfig(passcode=code).to_dict())
    with pytest.raises(ConfigError, match="4 to 20 digits"):
        Passcode.create("12a4")
    with pytest.raises(ConfigError, match="4 to 20 digits"):
        Passcode.create("1" * 21)


def test_strict_reading():
    with pytest.raises(ConfigError, match="unknown"):
        DeviceConfig.from_dict({"thresholds": {}, "volume": 11})
    with pytest.raises(ConfigError, match="mode"):
        DeviceConfig.from_dict({"mode": "loud"})


WRITER = r"""
import sys
from pathlib import Path
from firmware_py.device.config import DeviceConfig, save_config
folder = Path(sys.argv[1])
i = 0
while True:
    i += 1
    t = DeviceConfig().thresholds.with_value("fppa_alert", 12 + i % 30)
    save_config(folder, DeviceConfig(mode=("concurrent", "terminal")[i % 2]).with_profile(thresholds=t))
    if i == 1:
        print("saving", flush=True)
"""


def test_sigkill_during_saves_never_leaves_an_unreadable_file(tmp_path):
    for round_ in range(12):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline() == "saving\n"  # saves are under way
        time.sleep(0.004 * round_)  # kill at a different point of a save each round
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        config, warning = load_config(tmp_path)
        assert warning is None, warning
        assert json.loads((tmp_path / "config.json").read_text())["version"] == 2


def test_temp_files_left_by_interrupted_saves_are_cleared_at_start_and_a_save_under_way_is_not(tmp_path):
    save_config(tmp_path, DeviceConfig())
    save_config(tmp_path, DeviceConfig(athlete="ana", athletes={"ana": Profile()}))  # the first is the .bak
    old = [tmp_path / ".config.json.k2j4x_", tmp_path / ".config.json.bak.9fq1zz"]
    for path in old:
        path.write_bytes(b"")  # a power cut leaves them empty, or half written
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    fresh = tmp_path / ".config.json.n0w8ab"
    fresh.write_bytes(b'{"version": 2')  # another process's save, this very moment
    config, warning = load_config(tmp_path)
    assert warning is None and config.athlete == "ana"
    assert not any(path.exists() for path in old) and fresh.exists()
    assert (tmp_path / "config.json").exists() and (tmp_path / "config.json.bak").exists()


def test_the_camera_rotation_is_kept_and_checked(tmp_path):
    save_config(tmp_path, DeviceConfig(rotation=270))
    assert load_config(tmp_path)[0].rotation == 270
    with pytest.raises(ConfigError, match="rotation must be one of 0, 90, 180, 270"):
        DeviceConfig(rotation=45)
