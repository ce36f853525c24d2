"""The device's settings: those in use and those on disk, and the passcode that guards
changing them.

The console swaps whole immutable ``DeviceConfig`` values (``update``); the frame loop
reads ``config`` once per frame and applies what changed.  ``save`` writes atomically
(``device.config``).  The passcode rules live here too: a wrong code counts, whichever
connection it came from, and ``UNLOCK_TRIES`` wrong ones in a row make the console wait
(a lockout): ``UNLOCK_WAIT_S`` the first time, twice as long each time after, up to
``UNLOCK_WAIT_MAX_S``, until the right code is given.  Guessing a 4-digit passcode then
takes months, not the day a fixed 30 s wait allowed.  Each lockout is logged and kept as
a warning (``status``).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

from firmware_py.device.config import DeviceConfig, Passcode, save_config

log = logging.getLogger("kneecue")
UNLOCK_TRIES = 3
UNLOCK_WAIT_S = 30.0
UNLOCK_WAIT_MAX_S = 3600.0


class SettingsStore:
    def __init__(self, config: DeviceConfig, *, saved: DeviceConfig | None = None,
                 state_dir: Path | None = None,
                 on_warning: Callable[[str, str | None], None] | None = None) -> None:
        self.config = config  # in use (command-line overrides included)
        self.saved = saved if saved is not None else config  # as on disk
        self.state_dir = state_dir
        self.on_warning = on_warning or (lambda name, text: log.warning("%s: %s", name, text))
        self._failures = 0
        self._escalation = 0  # lockouts since the right passcode was last given
        self.lockouts = 0  # since start
        self._wait_until = float("-inf")
        self._lock = threading.Lock()

    def update(self, change: Callable[[DeviceConfig], DeviceConfig]) -> DeviceConfig:
        """Swap in ``change(settings in use)``; the loop applies it from its next frame."""
        with self._lock:
            self.config = change(self.config)
            return self.config

    @property
    def unsaved(self) -> list[str]:
        """What differs between the settings in use and those on disk, in words."""
        return unsaved_changes(self.saved, self.config)

    def save(self, config: DeviceConfig | None = None) -> Path:
        """Write the settings in use (or ``config``) to disk, atomically."""
        if self.state_dir is None:
            raise OSError("no state directory")
        config = config or self.config
        path = save_config(self.state_dir, config)
        self.saved = config
        return path

    # -- the passcode ---------------------------------------------------------------

    @property
    def locked(self) -> bool:
        """A passcode is set: every console connection starts locked (``console.registry``)."""
        return self.config.passcode is not None

    @property
    def passcode_lost(self) -> bool:
        """The settings fell back from a damaged file that held a passcode (``Passcode.lost``)."""
        return self.config.passcode is not None and self.config.passcode.is_lost

    def set_passcode(self, code: Passcode | None) -> None:
        """Keep a new passcode (None: none) at once, written into the saved settings
        only, so other unsaved changes stay unsaved; saved twice, so that the last good
        copy (``.bak``) holds it too and a damaged file cannot lose it.
        Raises OSError when it cannot be saved (nothing changes then)."""
        self.save(self.saved.replace(passcode=code))
        self.save(self.saved)
        self.update(lambda c: c.replace(passcode=code))

    def unlock(self, code: str, now: float) -> str | None:
        """None when ``code`` is the passcode; else why not, in words.  The count of wrong
        codes is the device's, whichever connection they came from."""
        if self.passcode_lost:
            return "the passcode was lost with the damaged settings file: 'lock PIN' sets a new one"
        wait = self._wait_until - now
        if wait > 0:
            return f"too many wrong passcodes: try again in {wait:.0f} s"
        if self.config.passcode is not None and self.config.passcode.matches(code):
            self._failures = self._escalation = 0
            return None
        self._failures += 1
        if self._failures >= UNLOCK_TRIES:
            wait = min(UNLOCK_WAIT_S * 2 ** self._escalation, UNLOCK_WAIT_MAX_S)
            self._failures, self._wait_until = 0, now + wait
            self._escalation += 1
            self.lockouts += 1
            self.on_warning("passcode", f"lockout {self.lockouts} since start: {UNLOCK_TRIES} wrong passcodes "
                                        f"in a row on the console; the next try waits {wait:.0f} s")
        return "wrong passcode"


def unsaved_changes(saved: DeviceConfig, config: DeviceConfig) -> list[str]:
    """Each difference once: device settings by name, athletes' profiles by athlete."""
    out = [key for key in ("athlete", "mode", "muted", "rotation", "console_port", "console_baud", "passcode",
                                  "broker")
           if getattr(config, key) != getattr(saved, key)]
    for name in sorted(set(saved.athletes) | set(config.athletes)):
        before, after = saved.athletes.get(name), config.athletes.get(name)
        if before is None or after is None:
            out.append(f"{name} ({'new' if before is None else 'removed'})")
            continue
        keys = [k for k, v in after.thresholds.to_dict().items() if getattr(before.thresholds, k) != v]
        if after.calibration != before.calibration:
            keys.append("calibration")
        if keys:
            out.append(f"{name}: {', '.join(keys)}")
    return out
