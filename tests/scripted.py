"""A scripted stream of scored frames (no model, no footage) for the session recorder
and the console's record commands."""

from __future__ import annotations

import datetime as dt
import itertools
import time

import numpy as np

from firmware_py.core.cue import Cue
from firmware_py.core.feet import FootReading
from firmware_py.core.reps import Peak, Rep
from firmware_py.core.scorer import FrameScore
from firmware_py.loop.pipeline import FrameResult
from firmware_py.loop.sinks import Outcome
from firmware_py.sources.base import Frame

FPS = 20.0
POSE = np.array([[300 + 5 * i, 100 + 25 * i, 0.9] for i in range(17)], float)


FEET = np.array([[380.0, 470.0, 0.9], [360.0, 470.0, 0.9], [395.0, 478.0, 0.8], [345.0, 478.0, 0.8]])


def frames(n: int, present=lambda i: True, reps=None, fps: float = FPS, feet: bool = False):
    """(Frame, FrameResult) pairs of a 640x480 stream at ``fps``; ``reps``: end frame -> Rep;
    ``feet``: each frame scored with a foot reading of that frame (heels and toes ``FEET``)."""
    for i in range(n):
        rgb = np.full((480, 640, 3), (i * 3) % 255, np.uint8)
        t = i / fps
        cue = Cue("alert", ("knee_valgus_left",)) if present(i) and i % 10 < 3 else Cue("ok" if present(i) else "idle")
        metrics = {"fppa_left": 10.0 + i % 7, "fppa_right": -2.0, "knee_medial_left": 0.05,
                   "knee_medial_right": None, "pelvic_drop": 3.0, "trunk_lean": float("nan"), "stance": "left",
                   "gated": {"knee_medial_right": "thigh_foreshortened"} if i % 4 == 0 else {}}
        score = FrameScore(i, t, metrics, cue, (reps or {}).get(i), (), "standing")
        reading = FootReading(i, t, FEET, np.zeros((6, 3)), POSE[15:17, :2]) if feet else None
        yield Frame(i, time.monotonic_ns(), rgb, t), FrameResult(0, POSE, score, reading)


def a_rep(index, start, end, failed=(), fps: float = FPS):
    return Rep(index, "left", start, start / fps, (start + end) // 2, (start + end) / 2 / fps, end, end / fps, 0.3,
               peaks={"fppa_left": Peak(16.0, start + 3, (start + 3) / fps)}, failed=tuple(failed))


def describe():
    return {"athlete": "ana", "mode": "concurrent", "thresholds": {"fppa_warn": 8.0, "fppa_alert": 12.0},
            "calibration": None}


def clock():
    times = itertools.count()
    return lambda: dt.datetime(2026, 3, 1, 9, 0, next(times), tzinfo=dt.timezone.utc)


def outcome(frame: Frame, result: FrameResult, pattern: str = "ok", changed: bool = False) -> Outcome:
    """What the live loop hands its sinks for a frame (no pins, no drops)."""
    return Outcome(frame, result, pattern, changed, decided_ns=frame.t_ns, dropped=0)
