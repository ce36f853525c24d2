"""The device's settings on disk: athlete profiles (thresholds, calibration), feedback
mode, mute, pins, the console port and its passcode, session records and their quota.

An SD card can lose power mid-write, so a save never edits the file in place: the
new text goes to a temp file in the same folder, is fsynced and renamed over the
old one, and the folder is fsynced; the previous good file is kept as ``.bak``
first.  A file that will not parse at start falls back to the ``.bak``, then to
the defaults, with a warning for the log and the console: the device keeps
running either way.  A damaged file is never overwritten: the next save moves it
aside (``config.json.damaged-TIME``).  A passcode is saved into both files, so a
fallback keeps it; when no readable copy has it but a damaged one held one, the
device falls back locked with a passcode nobody knows (``Passcode.lost``) until the
coach sets a new one on the console.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firmware_py.core.calibration import Calibration
from firmware_py.core.patterns import MODES
from firmware_py.core.settings import Thresholds
from firmware_py.cues.pins import PinMap
from firmware_py.device.broker import Broker
from firmware_py.device.damaged import held_passcode, set_aside
from firmware_py.errors import ConfigError

log = logging.getLogger("kneecue")

CONFIG_NAME = "config.json"
VERSION = 2  # 1: one set of thresholds and calibration, before athlete profiles
DEFAULT_ATHLETE = "default"
ATHLETE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
PIN_TEXT = re.compile(r"[0-9]{4,20}")  # 20 digits: 66 bits; the wait between tries does the rest
CONSOLE_BAUDS = (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)
ROTATIONS = (0, 90, 180, 270)  # see sources.rotation
CLIP_QUOTA_MB = (0.0, 1e6)  # records.clip_quota_mb and --clip-quota


@dataclass(frozen=True)
class Profile:
    """One athlete's thresholds and calibration (people stand and move differently)."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    calibration: Calibration | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"thresholds": self.thresholds.to_dict(),
                "calibration": None if self.calibration is None else self.calibration.to_dict()}

    @classmethod
    def from_dict(cls, data: Any) -> "Profile":
        if not isinstance(data, dict):
            raise ConfigError(f"an athlete must be a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - {"thresholds", "calibration"})
        if unknown:
            raise ConfigError(f"unknown athlete setting(s): {', '.join(unknown)}")
        cal = data.get("calibration")
        return cls(Thresholds.from_dict(data.get("thresholds") or {}),
                   None if cal is None else Calibration.from_dict(cal))


@dataclass(frozen=True)
class Passcode:
    """A console passcode, kept only as a salted PBKDF2 hash."""

    salt: str
    digest: str

    ROUNDS = 20_000

    def __post_init__(self) -> None:
        if not (re.fullmatch(r"[0-9a-f]{32}", str(self.salt)) and re.fullmatch(r"[0-9a-f]{64}", str(self.digest))):
            raise ConfigError("passcode must hold a hex salt and digest")

    @classmethod
    def create(cls, pin: str) -> "Passcode":
        if not PIN_TEXT.fullmatch(pin):
            raise ConfigError("a passcode is 4 to 20 digits")
        salt = os.urandom(16).hex()
        return cls(salt, cls._hash(pin, salt))

    @classmethod
    def lost(cls) -> "Passcode":
        """A passcode that was set but could not be read back (a damaged settings file):
        no code matches it, so every change waits until a new passcode is set."""
        return cls("0" * 32, "0" * 64)

    @property
    def is_lost(self) -> bool:
        return self.digest == "0" * 64

    def matches(self, pin: str) -> bool:
        return not self.is_lost and hmac.compare_digest(self._hash(pin, self.salt), self.digest)

    @classmethod
    def _hash(cls, pin: str, salt: str) -> str:
        return hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), cls.ROUNDS).hex()


@dataclass(frozen=True)
class DeviceConfig:
    """Everything the device keeps across restarts.  Immutable: change with ``replace``
    or ``with_profile``; ``athletes`` is read-only by convention."""

    athletes: dict[str, Profile] = field(default_factory=lambda: {DEFAULT_ATHLETE: Profile()})
    athlete: str = DEFAULT_ATHLETE
    mode: str = "concurrent"
    muted: bool = False
    pins: PinMap = field(default_factory=PinMap)
    console_port: str = "none"
    console_baud: int = 115200
    passcode: Passcode | None = None
    record: bool = True  # session files and replay clips in the state directory
    clip_quota_mb: float = 500.0  # replay clips past this go, oldest first
    rotation: int = 0  # degrees clockwise the camera's picture is turned before scoring (a camera mounted turned)
    broker: Broker = field(default_factory=Broker)  # the team's MQTT broker (device.broker); off by default

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if not isinstance(self.muted, bool):
            raise ConfigError(f"muted must be true or false, got {self.muted!r}")
        for name in self.athletes:
            if not ATHLETE_NAME.fullmatch(name):
                raise ConfigError(f"athlete name {name!r}: use 1-32 letters, digits, '_', '.' or '-'")
        if self.athlete not in self.athletes:
            raise ConfigError(f"current athlete {self.athlete!r} has no profile")
        if self.rotation not in ROTATIONS or isinstance(self.rotation, bool):
            raise ConfigError(f"rotation must be one of {', '.join(map(str, ROTATIONS))} degrees, got {self.rotation!r}")
        if self.console_baud not in CONSOLE_BAUDS:
            raise ConfigError(f"console_baud must be one of {', '.join(map(str, CONSOLE_BAUDS))}")
        if not isinstance(self.record, bool):
            raise ConfigError(f"records.enabled must be true or false, got {self.record!r}")
        low, high = CLIP_QUOTA_MB
        if isinstance(self.clip_quota_mb, bool) or not isinstance(self.clip_quota_mb, (int, float)) \
                or not low <= self.clip_quota_mb <= high:
            raise ConfigError(f"records.clip_quota_mb must be {low:.10g} to {high:.10g} MB, "
                              f"got {self.clip_quota_mb!r}")
        if not isinstance(self.console_port, str) or not self.console_port:
            raise ConfigError("console_port must be a device path, a pyserial URL, 'stdio' or 'none'")

    @property
    def profile(self) -> Profile:
        return self.athletes[self.athlete]

    @property
    def thresholds(self) -> Thresholds:
        return self.profile.thresholds

    @property
    def calibration(self) -> Calibration | None:
        return self.profile.calibration

    def replace(self, **changes: Any) -> "DeviceConfig":
        return dataclasses.replace(self, **changes)

    def with_profile(self, **changes: Any) -> "DeviceConfig":
        """The current athlete's profile changed (``thresholds=``, ``calibration=``)."""
        athletes = dict(self.athletes)
        athletes[self.athlete] = dataclasses.replace(self.profile, **changes)
        return self.replace(athletes=athletes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "athlete": self.athlete,
            "athletes": {name: p.to_dict() for name, p in self.athletes.items()},
            "mode": self.mode,
            "muted": self.muted,
            "pins": dataclasses.asdict(self.pins),
            "console": {"port": self.console_port, "baud": self.console_baud},
            "passcode": None if self.passcode is None else dataclasses.asdict(self.passcode),
            "records": {"enabled": self.record, "clip_quota_mb": self.clip_quota_mb},
            "rotation": self.rotation,
            "broker": self.broker.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> "DeviceConfig":
        """Strict: unknown keys and bad values raise ConfigError; missing keys take defaults.

        A version 1 file (no athletes) loads as the ``default`` athlete's profile.
        """
        if not isinstance(data, dict):
            raise ConfigError(f"settings must be a JSON object, got {type(data).__name__}")
        version = data.get("version", VERSION)
        if version == 1:
            data = _from_version_1(data)
        elif version != VERSION:
            raise ConfigError(f"settings version {version!r}; this KneeCue reads versions 1 and {VERSION}")
        unknown = sorted(set(data) - {"version", "athlete", "athletes", "mode", "muted", "pins",
                                      "console", "passcode", "records", "rotation", "broker"})
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
        try:
            pins, console = data.get("pins") or {}, data.get("console") or {}
            records = data.get("records") or {}
            athletes = data.get("athletes") or {DEFAULT_ATHLETE: {}}
            for name, value in (("pins", pins), ("console", console), ("athletes", athletes), ("records", records)):
                if not isinstance(value, dict):
                    raise ConfigError(f"{name} must be an object")
            for name, value, known in (("console", console, {"port", "baud"}),
                                       ("records", records, {"enabled", "clip_quota_mb"})):
                if set(value) - known:
                    raise ConfigError(f"unknown {name} setting(s): {', '.join(sorted(set(value) - known))}")
            code = data.get("passcode")
            return cls(
                athletes={str(name): Profile.from_dict(p) for name, p in athletes.items()},
                athlete=data.get("athlete", DEFAULT_ATHLETE),
                mode=data.get("mode", "concurrent"),
                muted=data.get("muted", False),
                pins=PinMap(**pins),
                console_port=console.get("port", "none"),
                console_baud=console.get("baud", 115200),
                passcode=None if code is None else Passcode(**code),
                record=records.get("enabled", True),
                clip_quota_mb=records.get("clip_quota_mb", 500.0),
                rotation=data.get("rotation", 0),
                broker=Broker.from_dict(data.get("broker") or {}),
            )
        except (TypeError, ValueError) as e:
            if isinstance(e, ConfigError):
                raise
            raise ConfigError(str(e)) from e


def _from_version_1(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    profile = {"thresholds": data.pop("thresholds", None) or {}, "calibration": data.pop("calibration", None)}
    data["version"] = VERSION
    data["athletes"] = {DEFAULT_ATHLETE: profile}
    return data


def default_state_dir() -> Path:
    """systemd's StateDirectory= (``$STATE_DIRECTORY``), else ~/.local/state/kneecue."""
    env = os.environ.get("STATE_DIRECTORY")
    if env:
        return Path(env.split(":")[0])
    return Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "kneecue"


MAX_BYTES = 1 << 20  # 50 athletes' settings are about 60 KB: anything past this is not a settings file


def _raw(path: Path) -> bytes:
    """A settings file's bytes, at most one more than MAX_BYTES (what is past that is never read)."""
    with open(path, "rb") as f:
        return f.read(MAX_BYTES + 1)


def _read(path: Path) -> DeviceConfig:
    return _parse(_raw(path))


def _parse(raw: bytes) -> DeviceConfig:
    """The settings in ``raw``; ConfigError for anything that is not a settings file,
    however it fails to be one (JSON nested past Python's recursion limit, a number
    past its 4300-digit limit, megabytes of it)."""
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"larger than {MAX_BYTES >> 20} MB: not a settings file")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as e:  # JSONDecodeError, UnicodeDecodeError and the digit limit are ValueErrors
        raise ConfigError(f"not valid JSON ({str(e)[:120]})") from None
    return DeviceConfig.from_dict(data)


STALE_TEMP_S = 60.0  # a save's temp file older than this was left by a power cut or a kill


def remove_stale_temp_files(state_dir: Path, now: float | None = None) -> list[Path]:
    """Delete the temp files an interrupted save left (``.config.json.XXXX``, and the
    backup's); a save under way (younger than ``STALE_TEMP_S``) is left alone."""
    now = time.time() if now is None else now
    removed = []
    for pattern in (f".{CONFIG_NAME}.*", f".{CONFIG_NAME}.bak.*"):
        for tmp in Path(state_dir).glob(pattern):
            try:
                if tmp.is_file() and now - tmp.stat().st_mtime > STALE_TEMP_S:
                    tmp.unlink()
                    removed.append(tmp)
            except OSError:  # gone already, or not ours to remove: nothing lost either way
                continue
    return removed


def load_config(state_dir: Path) -> tuple[DeviceConfig, str | None]:
    """The saved settings, and a warning when they had to come from a fallback.
    Temp files of interrupted saves are cleared first (they survive restarts otherwise)."""
    removed = remove_stale_temp_files(state_dir) if Path(state_dir).is_dir() else []
    if removed:
        log.info("settings: removed %d temp file(s) left by interrupted saves", len(removed))
    path = Path(state_dir) / CONFIG_NAME
    if not path.exists() and not _backup(path).exists():
        return DeviceConfig(), None
    try:
        return _read(path), None
    except (OSError, ConfigError) as e:
        problem = f"{path} is unreadable ({e})"
    damaged = [path] if path.exists() else []
    try:
        config, warning = _read(_backup(path)), f"{problem}; using the last good copy {_backup(path).name}"
    except (OSError, ConfigError):
        config, warning = DeviceConfig(), f"{problem} and has no good backup; using the defaults"
        damaged.append(_backup(path))
    if config.passcode is None and any(held_passcode(p, MAX_BYTES) for p in damaged):
        config = config.replace(passcode=Passcode.lost())
        warning += "; it held a passcode, lost with it: changes are refused until a new one is set ('lock PIN')"
    return config, warning + "; a save keeps the damaged file aside"


def _backup(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def _good_bytes(path: Path) -> bytes | None:
    """The file's bytes if it is a settings file this version reads; None if missing or damaged."""
    try:
        data = _raw(path)
        _parse(data)
    except (OSError, ConfigError):
        return None
    return data


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
    good = _good_bytes(path)
    if good is None:
        set_aside(path)  # damaged (or missing): kept, and the .bak stays the last good copy
    else:
        if _good_bytes(_backup(path)) is None:
            set_aside(_backup(path))
        _atomic_write(_backup(path), good)
    _atomic_write(path, (json.dumps(config.to_dict(), indent=2) + "\n").encode())
    _fsync_dir(folder)
    return path
