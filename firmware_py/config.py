"""The device's settings on disk: thresholds, feedback mode, mute, pins, calibration.

An SD card can lose power mid-write, so a save never edits the file in place: the
new text goes to a temp file in the same folder, is fsynced and renamed over the
old one, and the folder is fsynced; the previous good file is kept as ``.bak``
first.  A file that will not parse at start falls back to the ``.bak``, then to
the defaults, with a warning for the log and the console: the device keeps
running either way.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firmware_py.core.calibration import Calibration
from firmware_py.core.patterns import MODES
from firmware_py.core.settings import Thresholds
from firmware_py.cues.pins import PinMap

CONFIG_NAME = "config.json"
VERSION = 1


class ConfigError(ValueError):
    """A settings file is not what this version can read."""


@dataclass(frozen=True)
class DeviceConfig:
    thresholds: Thresholds = field(default_factory=Thresholds)
    mode: str = "concurrent"
    muted: bool = False
    pins: PinMap = field(default_factory=PinMap)
    calibration: Calibration | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if not isinstance(self.muted, bool):
            raise ConfigError(f"muted must be true or false, got {self.muted!r}")

    def replace(self, **changes: Any) -> "DeviceConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "thresholds": self.thresholds.to_dict(),
            "mode": self.mode,
            "muted": self.muted,
            "pins": dataclasses.asdict(self.pins),
            "calibration": None if self.calibration is None else self.calibration.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> "DeviceConfig":
        """Strict: unknown keys and bad values raise ConfigError; missing keys take defaults."""
        if not isinstance(data, dict):
            raise ConfigError(f"settings must be a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - {"version", "thresholds", "mode", "muted", "pins", "calibration"})
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
        if data.get("version", VERSION) != VERSION:
            raise ConfigError(f"settings version {data.get('version')!r}; this KneeCue reads version {VERSION}")
        try:
            pins = data.get("pins") or {}
            if not isinstance(pins, dict):
                raise ConfigError("pins must be an object")
            cal = data.get("calibration")
            return cls(
                thresholds=Thresholds.from_dict(data.get("thresholds") or {}),
                mode=data.get("mode", "concurrent"),
                muted=data.get("muted", False),
                pins=PinMap(**pins),
                calibration=None if cal is None else Calibration.from_dict(cal),
            )
        except (TypeError, ValueError) as e:
            if isinstance(e, ConfigError):
                raise
            raise ConfigError(str(e)) from e


def default_state_dir() -> Path:
    """systemd's StateDirectory= (``$STATE_DIRECTORY``), else ~/.local/state/kneecue."""
    env = os.environ.get("STATE_DIRECTORY")
    if env:
        return Path(env.split(":")[0])
    return Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "kneecue"


def _read(path: Path) -> DeviceConfig:
    with open(path, encoding="utf-8") as f:
        try:
            data = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"not valid JSON ({e})") from e
    return DeviceConfig.from_dict(data)


def load_config(state_dir: Path) -> tuple[DeviceConfig, str | None]:
    """The saved settings, and a warning when they had to come from a fallback."""
    path = Path(state_dir) / CONFIG_NAME
    if not path.exists() and not _backup(path).exists():
        return DeviceConfig(), None
    try:
        return _read(path), None
    except (OSError, ConfigError) as e:
        problem = f"{path} is unreadable ({e})"
    try:
        return _read(_backup(path)), f"{problem}; using the last good copy {_backup(path).name}"
    except (OSError, ConfigError):
        return DeviceConfig(), f"{problem} and has no good backup; using the defaults"


def _backup(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_config(state_dir: Path, config: DeviceConfig) -> Path:
    """Write atomically; the file being replaced becomes ``config.json.bak`` if it was good."""
    folder = Path(state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CONFIG_NAME
    try:
        good = path.read_bytes()
        _read(path)
    except (OSError, ConfigError):
        good = None
    if good is not None:
        _atomic_write(_backup(path), good)
    _atomic_write(path, (json.dumps(config.to_dict(), indent=2) + "\n").encode())
    _fsync_dir(folder)
    return path
