"""What the LEDs and buzzer do in each state, and which state to show when.

Pure: pattern definitions are data, and ``PatternSelector`` turns a cue level, a
rep verdict and the device state into a pattern name with time passed in.  The
gpiozero adapter (firmware_py.cues.outputs) only plays what this module says.

Design (docs/how-it-works.md, "What the athlete sees and hears"; bandwidth
feedback: docs/sources.md, "Feedback"): every pattern is distinct at a glance; sound only
beyond the alert threshold (bandwidth feedback), and never forever: an alert beeps
at most ``ALERT_BEEP_CAP`` times however long it lasts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .vocabulary import MODES as VOCABULARY_MODES

LIGHTS = ("green", "amber", "red")
ALERT_BEEP_CAP = 10


@dataclass(frozen=True)
class Wave:
    """On for ``on_s``, off for ``off_s``, ``repeats`` times (None: until replaced).

    ``off_s == 0`` with ``repeats is None`` means steadily on.
    """

    on_s: float
    off_s: float = 0.0
    repeats: int | None = None

    @property
    def steady(self) -> bool:
        return self.off_s == 0 and self.repeats is None


STEADY = Wave(1.0)


@dataclass(frozen=True)
class Pattern:
    lights: dict[str, Wave] = field(default_factory=dict)
    buzzer: Wave | None = None
    tone_hz: float | None = None  # passive buzzer only
    hold_s: float | None = None  # one-shot: shown this long, then the selector moves on


PATTERNS: dict[str, Pattern] = {
    "dark": Pattern(),
    "ok": Pattern({"green": STEADY}),
    "warn": Pattern({"amber": STEADY}),
    "alert": Pattern({"red": STEADY}, buzzer=Wave(0.08, 0.30, ALERT_BEEP_CAP), tone_hz=2000.0),
    "idle": Pattern({"green": Wave(0.1, 1.9)}),  # slow green blink: nobody in view
    "fault": Pattern({"red": Wave(0.25, 0.25)}),  # red flashing: no cue is ever blinking red
    "calibrating": Pattern({"amber": Wave(0.5, 0.5)}),
    "testing": Pattern({"green": Wave(0.5, 0.5), "amber": Wave(0.5, 0.5)}),
    "pass": Pattern({"green": Wave(0.6, 0.0, 1)}, buzzer=Wave(0.1, 0.0, 1), tone_hz=2000.0, hold_s=0.8),
    "fail": Pattern({"red": Wave(0.6, 0.0, 1)}, buzzer=Wave(0.6, 0.0, 1), tone_hz=400.0, hold_s=0.8),
    # a landing that failed, and on which leg: one long red flash and low tone for the left,
    # two short ones for the right (a two-footed landing's is "fail")
    "fail_left": Pattern({"red": Wave(0.6, 0.0, 1)}, buzzer=Wave(0.6, 0.0, 1), tone_hz=400.0, hold_s=0.8),
    "fail_right": Pattern({"red": Wave(0.2, 0.2, 2)}, buzzer=Wave(0.2, 0.2, 2), tone_hz=400.0, hold_s=0.8),
}
MODES = VOCABULARY_MODES  # FeedbackMode's values (a test holds them equal)
STATES = ("run", "calibrating", "testing")


class PatternSelector:
    """The pattern to show now.

    Precedence: a fault (camera or model down) over everything; then calibration and
    a running test; then, by mode, ``concurrent`` shows the cue level, ``terminal``
    shows only rep verdicts, each held for its length (and the idle blink when nobody
    is in view), ``silent`` shows nothing.
    """

    def __init__(self, mode: str = "concurrent"):
        self.mode = mode
        self._held: str | None = None
        self._hold_until = float("-inf")

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self._mode = mode

    def select(self, t: float, *, level: str = "idle", verdict: str | None = None,
               fault: bool = False, state: str = "run", landing: str | None = None) -> str:
        """``landing``: the verdict is a landing's, on that leg: shown in the concurrent mode
        too (a landing drill's cue is its verdict, within a second of the contact)."""
        if fault:
            return "fault"
        if state in ("calibrating", "testing"):
            return state
        if verdict is not None and landing is not None and self.mode != "silent":
            shown = "fail_" + landing if verdict == "fail" and landing in ("left", "right") else verdict
            self._held, self._hold_until = shown, t + (PATTERNS[shown].hold_s or 0.0)
        elif verdict is not None and self.mode == "terminal":
            self._held, self._hold_until = verdict, t + (PATTERNS[verdict].hold_s or 0.0)
        if self._held is not None and t < self._hold_until:
            return self._held
        self._held = None
        if self.mode == "concurrent":
            return level
        if self.mode == "terminal" and level == "idle":
            return "idle"
        return "dark"
