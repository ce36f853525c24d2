"""The frame loop's mailbox: what the console asks of the loop and what the loop tells
the console.

Asks go one way: start or cancel a guided procedure (calibration, a test), picked up
at the loop's next frame.  News goes the other: procedure notices through a bounded
queue that drops the oldest rather than block the loop, the latest frame's readings
as one immutable value, the recent reps, the last cue and each test's result.
Neither side waits for the other: the lock only guards swapping a reference.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Protocol

import numpy as np

from firmware_py.core.cue import Cue
from firmware_py.core.feet import FootReading
from firmware_py.core.procedures import Notice
from firmware_py.core.reps import Rep
from firmware_py.core.running import Step
from firmware_py.core.scorer import FrameScore

FPS_SMOOTHING_S = 2.0  # time constant of the frame-rate average
RECENT_REPS = 100  # reps the console can list; the session files keep every one
NOTICES = 256  # procedure notices kept for a console that is not reading


class Procedure(Protocol):
    """What core.procedures offer the loop (GuidedCalibration, SingleLegSquatTest,
    core.ankle.AnkleTest).  A finished test leaves its ``record`` for the session."""

    state: str
    done: bool

    def step(self, pose: np.ndarray, score: FrameScore, feet: FootReading | None) -> list[Notice]: ...

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
    drill: str = "sls"  # the drill judged (core.drills)
    decided: Any = None  # why auto judges it (core.drills.Decision), if it chose


class Mailbox:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.procedure: Procedure | None = None  # owned by the loop thread
        self.notices: queue.Queue[Notice] = queue.Queue(maxsize=NOTICES)
        self.readings: Readings | None = None
        self.reps: deque[Rep] = deque(maxlen=RECENT_REPS)
        self.steps: deque[Step] = deque(maxlen=RECENT_REPS)  # running steps (the console's 'steps')
        self.landings: deque[Any] = deque(maxlen=RECENT_REPS)  # landings (the console's 'landings')
        self.last_cue: tuple[float, Cue] | None = None  # (clock, cue) of the latest warn or alert
        self.tests: dict[str, dict[str, Any]] = {}  # "ankle left" -> that test's latest record
        self.unframed: tuple[float, str] | None = None  # (clock, pattern) shown without a frame: fault, dark
        self._lock = threading.Lock()
        self._cancel: Procedure | None = None
        self._fps = 0.0
        self._last_at: float | None = None

    # -- the console asks -----------------------------------------------------------

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

    # -- the loop answers -----------------------------------------------------------

    def take_cancel(self) -> Procedure | None:
        """The procedure the console asked to cancel, if it still runs (loop side)."""
        cancel, self._cancel = self._cancel, None
        return cancel if cancel is not None and cancel is self.procedure else None

    def finished(self, proc: Procedure) -> None:
        """``proc`` is over: the next one may start."""
        with self._lock:
            if self.procedure is proc:
                self.procedure = None

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

    def saw(self, score: FrameScore) -> None:
        """Keep the frame's rep and, at warn or alert, its cue for the console."""
        if score.rep is not None:
            self.reps.append(score.rep)
        if score.step is not None:
            self.steps.append(score.step)
        if score.landing is not None:
            self.landings.append(score.landing)
        if score.cue.level in ("warn", "alert"):
            self.last_cue = (self.clock(), score.cue)

    def publish(self, score: FrameScore, pattern: str, capture_ns: int, decided_ns: int, dropped: int) -> None:
        now = self.clock()
        if self._last_at is not None and now > self._last_at:
            dt = now - self._last_at
            weight = min(1.0, dt / FPS_SMOOTHING_S)
            self._fps += weight * (1.0 / dt - self._fps)
        self._last_at = now
        self.readings = Readings(score.frame_index, score.t, score.metrics, score.cue, score.phase, pattern,
                                 self._fps, (decided_ns - capture_ns) / 1e6, dropped, now, score.drill,
                                 score.decided)
