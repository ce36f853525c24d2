"""The running device: its settings, its health and the frame loop's mailbox, and the
one door between the console thread and the frame loop.

The console changes settings through ``settings`` (whole immutable values swapped),
reads ``health`` and asks the loop through ``mailbox``; the frame loop picks both up
at the start of its next frame (``apply``), feeds the running procedure
(``observe``) and publishes what it saw (``mailbox.publish``, through the loop's
readings sink).  Neither waits for the other: a flood of console commands costs the
loop one identity check per frame.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from firmware_py.core.feet import FootReading
from firmware_py.core.patterns import PatternSelector
from firmware_py.core.scorer import FrameScore, Scorer
from firmware_py.device.config import DeviceConfig
from firmware_py.device.health import Health
from firmware_py.device.mailbox import RECENT_REPS, Mailbox, Procedure, Readings
from firmware_py.device.settings import SettingsStore

if TYPE_CHECKING:
    from firmware_py.cues.outputs import CueOutputs
    from firmware_py.records.recorder import Recorder
    from firmware_py.team.control import Team

__all__ = ["Device", "Procedure", "Readings", "RECENT_REPS"]
log = logging.getLogger("kneecue")


class Device:
    def __init__(self, config: DeviceConfig, *, saved: DeviceConfig | None = None, state_dir: Path | None = None,
                 warning: str | None = None, info: dict[str, str] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.health = Health(warning=warning, clock=clock)  # faults and warnings, for every thread
        self.settings = SettingsStore(config, saved=saved, state_dir=state_dir, on_warning=self.health.set_warning)
        self.mailbox = Mailbox(clock)
        self.info = dict(info or {})
        self.recorder: Recorder | None = None  # when sessions are recorded: the console's session commands
        self.team: Team | None = None  # the broker's publisher switch (kneecue run); the console's 'set broker'
        self._applied = config  # the loop's scorer, selector and outputs are built from this

    def summary(self) -> str:
        """One line for systemd's STATUS=: faults first, else the frame rate and latency."""
        faults, warnings = self.health.faults, self.health.warnings
        if faults:
            return "FAULT " + "; ".join(f"{k}: {v}" for k, v in faults.items())
        r = self.mailbox.readings
        line = "starting" if r is None else f"{r.fps:.1f} fps, capture to cue {r.latency_ms:.0f} ms"
        line += f", athlete {self.settings.config.athlete}"
        if warnings:
            line += "; " + "; ".join(f"{k}: {v}" for k, v in warnings.items())
        return line

    # -- loop side ---------------------------------------------------------------

    def apply(self, scorer: Scorer, selector: PatternSelector, outputs: CueOutputs) -> dict[str, Any] | None:
        """Bring scorer, pattern selector and outputs up to the settings in use and
        start or cancel requested procedures.  Returns what changed, for the event log."""
        cancel = self.mailbox.take_cancel()
        if cancel is not None:
            for notice in cancel.cancel():
                self.mailbox.notify(notice)
            self._finish(cancel)
        config, old = self.settings.config, self._applied
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

    def observe(self, score: FrameScore, pose: np.ndarray, feet: FootReading | None = None) -> str:
        """Feed the running procedure; returns the device state for the pattern selector."""
        mailbox = self.mailbox
        mailbox.saw(score)
        proc = mailbox.procedure
        if proc is None:
            return "run"
        for notice in proc.step(pose, score, feet):
            mailbox.notify(notice)
        if proc.done:
            self._finish(proc)
            return "run"
        return proc.state

    def _finish(self, proc: Procedure) -> None:
        self.mailbox.finished(proc)
        result = getattr(proc, "result", None)
        if result is not None:
            self.settings.update(lambda c: c.with_profile(calibration=result))
        record = getattr(proc, "record", None)
        if record is not None:
            self.mailbox.tests[f"{record['test']} {record['leg']}"] = record
            if self.recorder is not None:
                self.recorder.test(record)


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
