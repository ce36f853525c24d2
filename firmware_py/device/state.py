"""The running device as the console sees it, and the one door between the console
thread and the frame loop.

The console thread swaps whole immutable settings (``update``) and posts procedure
requests; the frame loop picks both up at the start of its next frame (``apply``),
feeds the running procedure (``observe``) and publishes what it saw as one
immutable ``Readings`` (``publish``).  Neither waits for the other: the lock only
guards swapping a reference, and a flood of console commands costs the loop one
identity check per frame.  Notices (procedure progress) go the other way through
a bounded queue that drops the oldest rather than block the loop.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

from firmware_py.device.config import DeviceConfig, save_config
from firmware_py.core.cue import Cue
from firmware_py.core.procedures import Notice
from firmware_py.core.reps import Rep
from firmware_py.device.health import Health

log = logging.getLogger("kneecue")
FPS_SMOOTHING_S = 2.0  # time constant of the frame-rate average
RECENT_REPS = 100  # reps the console can list; the session files keep every one


class Procedure(Protocol):
    """What core.procedures offer the loop (GuidedCalibration, SingleLegSquatTest,
    core.ankle.AnkleTest).  A finished test leaves its ``record`` for the session."""

    state: str
    done: bool

    def step(self, pose: Any, score: Any, feet: Any) -> list[Notice]: ...

    def cancel(self) -> list[Notice]: ...


@dataclass(frozen=True)
class Readings:
    """What the loop saw on its latest frame."""

    frame: int
    t: float
    metrics: dict[str, Any]
    cue: Cue
    phase: str
    pattern: str
    fps: float
    latency_ms: float  # capture to pattern decided, this frame
    dropped: int  # frames the capture hand-off dropped since start
    at: float  # device clock when published


class Device:
    def __init__(self, config: DeviceConfig, *, saved: DeviceConfig | None = None, state_dir: Path | None = None,
                 warning: str | None = None, info: dict[str, str] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.state_dir = state_dir
        self.clock = clock
        self.started = clock()
        self.config = config  # in use (command-line overrides included)
        self.saved = saved if saved is not None else config  # as on disk
        self.locked = config.passcode is not None
        self.unlock_failures = 0
        self.unlock_wait_until = float("-inf")
        self.info = dict(info or {})
        self.health = Health(warning=warning, clock=clock)  # faults and warnings, for every thread
        self.readings: Readings | None = None
        self.reps: deque[Rep] = deque(maxlen=RECENT_REPS)
        self.last_cue: tuple[float, Cue] | None = None  # (clock, cue) of the latest warn or alert
        self.notices: queue.Queue[Notice] = queue.Queue(maxsize=256)
        self.procedure: Any = None  # owned by the loop thread
        self.recorder: Any = None  # records.recorder.Recorder when sessions are recorded
        self.tests: dict[str, dict[str, Any]] = {}  # "ankle left" -> that test's latest record
        self._lock = threading.Lock()
        self._cancel: Any = None
        self._applied = config  # the loop's scorer, selector and outputs are built from this
        self._fps = 0.0
        self._last_at: float | None = None

    # -- console side ------------------------------------------------------------

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

    def start(self, procedure: Procedure) -> bool:
        """Run ``procedure`` from the next frame; False if one is already running."""
        with self._lock:
            if self.busy:
                return False
            self.procedure = procedure
            return True

    def cancel(self) -> None:
        """Stop the running procedure at the next frame."""
        self._cancel = self.procedure

    @property
    def busy(self) -> str | None:
        """The state of the procedure running, if any."""
        proc = self.procedure
        return proc.state if proc is not None and not proc.done else None

    def notify(self, notice: Notice) -> None:
        """Queue a notice for the console; the oldest goes if nobody has read them."""
        while True:
            try:
                self.notices.put_nowait(notice)
                return
            except queue.Full:
                try:
                    self.notices.get_nowait()
                except queue.Empty:
                    pass

    def summary(self) -> str:
        """One line for systemd's STATUS=: faults first, else the frame rate and latency."""
        faults, warnings = self.health.faults, self.health.warnings
        if faults:
            return "FAULT " + "; ".join(f"{k}: {v}" for k, v in faults.items())
        r = self.readings
        line = "starting" if r is None else f"{r.fps:.1f} fps, capture to cue {r.latency_ms:.0f} ms"
        line += f", athlete {self.config.athlete}"
        if warnings:
            line += "; " + "; ".join(f"{k}: {v}" for k, v in warnings.items())
        return line

    # -- loop side ---------------------------------------------------------------

    def apply(self, scorer: Any, selector: Any, outputs: Any) -> dict[str, Any] | None:
        """Bring scorer, pattern selector and outputs up to the settings in use and
        start or cancel requested procedures.  Returns what changed, for the event log."""
        cancel, self._cancel = self._cancel, None
        if cancel is not None and cancel is self.procedure:
            for notice in cancel.cancel():
                self.notify(notice)
            self._finish(cancel)
        config, old = self.config, self._applied
        if config is old:
            return None
        self._applied = config
        if config.thresholds != old.thresholds:
            scorer.set_thresholds(config.thresholds)
        if config.calibration != old.calibration:
            scorer.set_calibration(config.calibration)
        if config.mode != old.mode:
            scorer.set_mode(config.mode)
            selector.mode = config.mode
        if config.muted != old.muted:
            outputs.set_muted(config.muted)
        return _differences(old, config) or None

    def observe(self, score: Any, pose: Any, feet: Any = None) -> str:
        """Feed the running procedure; returns the device state for the pattern selector."""
        if score.rep is not None:
            self.reps.append(score.rep)
        if score.cue.level in ("warn", "alert"):
            self.last_cue = (self.clock(), score.cue)
        proc = self.procedure
        if proc is None:
            return "run"
        for notice in proc.step(pose, score, feet):
            self.notify(notice)
        if proc.done:
            self._finish(proc)
            return "run"
        return proc.state

    def _finish(self, proc: Any) -> None:
        with self._lock:
            if self.procedure is proc:
                self.procedure = None
        result = getattr(proc, "result", None)
        if result is not None:
            self.update(lambda c: c.with_profile(calibration=result))
        record = getattr(proc, "record", None)
        if record is not None:
            self.tests[f"{record['test']} {record['leg']}"] = record
            if self.recorder is not None:
                self.recorder.test(record)

    def publish(self, score: Any, pattern: str, capture_ns: int, decided_ns: int, dropped: int) -> None:
        now = self.clock()
        if self._last_at is not None and now > self._last_at:
            dt = now - self._last_at
            weight = min(1.0, dt / FPS_SMOOTHING_S)
            self._fps += weight * (1.0 / dt - self._fps)
        self._last_at = now
        self.readings = Readings(score.frame_index, score.t, score.metrics, score.cue, score.phase, pattern,
                                 self._fps, (decided_ns - capture_ns) / 1e6, dropped, now)


def unsaved_changes(saved: DeviceConfig, config: DeviceConfig) -> list[str]:
    """Each difference once: device settings by name, athletes' profiles by athlete."""
    out = [key for key in ("athlete", "mode", "muted", "rotation", "console_port", "console_baud", "passcode")
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


def _differences(old: DeviceConfig, new: DeviceConfig) -> dict[str, Any]:
    """Setting name -> new value, for every setting that differs."""
    out: dict[str, Any] = {}
    if new.athlete != old.athlete:
        out["athlete"] = new.athlete
    if set(new.athletes) != set(old.athletes):
        out["athletes"] = sorted(new.athletes)
    ta, tb = old.thresholds.to_dict(), new.thresholds.to_dict()
    out.update({k: v for k, v in tb.items() if ta[k] != v})
    if new.calibration != old.calibration:
        out["calibration"] = None if new.calibration is None else new.calibration.to_dict()
    for key in ("mode", "muted", "rotation", "console_port", "console_baud"):
        if getattr(new, key) != getattr(old, key):
            out[key] = getattr(new, key)
    if new.passcode != old.passcode:
        out["passcode"] = "set" if new.passcode else "none"
    return out
