"""Coach-adjustable thresholds, with the table the serial console validates against.

Every number that decides when the athlete is cued lives in one frozen
``Thresholds`` value, so a running scorer never sees a half-applied change: the
console builds a new value with ``with_value`` and hands it over whole.  The
defaults are in docs/judgement.md ("Metrics") and their sources in
docs/sources.md.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any

from .defaults import MIN_SCORE, STANCE_DWELL_S, STANCE_ENTER, STANCE_EXIT
from .errors import SettingError
from .vocabulary import DRILL_CHOICES


class FeedbackMode(str, enum.Enum):
    """When the athlete is shown anything (docs/sources.md, "Feedback").

    Bandwidth feedback during the rep helps learning, but constant feedback breeds
    dependency, so a coach can switch to one verdict per rep or to recording only.
    """

    CONCURRENT = "concurrent"  # the cue level, live, during the rep
    TERMINAL = "terminal"  # one pass/fail on the frame each rep completes
    SILENT = "silent"  # nothing; record only (testing without help)

    @classmethod
    def parse(cls, text: str | FeedbackMode) -> FeedbackMode:
        """The mode named by ``text`` (case-insensitive), or a SettingError."""
        if isinstance(text, cls):
            return text
        try:
            return cls(str(text).strip().lower())
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise SettingError(f"mode must be one of: {allowed} (got {text!r})") from None


@dataclass(frozen=True)
class Thresholds:
    """The numbers behind every cue.  Immutable: change with ``with_value``."""

    fppa_warn: float = 8.0
    fppa_alert: float = 12.0
    knee_medial_alert: float = 0.10
    knee_separation_alert: float = 0.8
    pelvic_drop_warn: float = 4.0
    pelvic_drop_alert: float = 7.0
    trunk_lean_alert: float = 10.0
    hysteresis_deg: float = 3.0
    hysteresis_ratio: float = 0.03
    debounce_ms: float = 100.0
    min_score: float = MIN_SCORE
    hands_on_hips_tolerance: float = 0.45
    check_hands_on_hips: bool = True
    fppa_from_baseline: bool = False
    stance_enter: float = STANCE_ENTER
    stance_exit: float = STANCE_EXIT
    stance_dwell_ms: float = 1000.0 * STANCE_DWELL_S
    rep_min_depth: float = 0.15  # a quarter squat; real reps in the footage are 0.23+
    min_thigh_ratio: float = 0.6  # thigh within 53 deg of vertical (see core.validity)
    min_torso_ratio: float = 0.8  # trunk within 37 deg of vertical (see core.validity)
    max_turn_deg: float = 15.0  # a turn that moves FPPA by about an alert's worth at SLS depth
    knee_over_toe_trigger: bool = False  # judge knee-inside-foot on the heel->toe line (see core.feet)
    view: str = "front"  # where the camera stands: which metrics are read at all (core.views)
    ankle_min_shin_deg: float = 35.0  # knee-to-wall: a shin angle below this is restricted (docs/sources.md)
    drill: str = "auto"  # what the athlete is doing: which criteria apply (core.drills)
    hip_adduction_alert: float = 15.0  # running, at midstance (core.drills.run)
    run_steps: int = 7  # running: each side's mean over this many steps (Dingenen 2018: 6.3 +- 0.3 suffice)
    landing_burst: bool = True  # landing drills: the camera's full rate kept and each landing read again (loop.burst)

    def __post_init__(self) -> None:
        for key, spec in SETTINGS.items():
            spec.check(getattr(self, key))
        for low, high in _ORDERED:
            if getattr(self, low) > getattr(self, high):
                raise SettingError(
                    f"{low} ({getattr(self, low)}) must not exceed {high} ({getattr(self, high)})"
                )

    def with_value(self, key: str, value: Any) -> Thresholds:
        """A copy with ``key`` set from ``value`` (console text or a Python value).

        Raises SettingError naming the allowed range (or the conflicting setting)
        when the value does not fit; the original is never changed.
        """
        spec = SETTINGS.get(key)
        if spec is None:
            raise SettingError(f"unknown setting {key!r}; known: {', '.join(SETTINGS)}")
        return dataclasses.replace(self, **{key: spec.parse(value)})

    def to_dict(self) -> dict[str, Any]:
        """Plain values, key by key, for saving or printing."""
        return {key: getattr(self, key) for key in SETTINGS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Thresholds:
        """Strict inverse of ``to_dict``: unknown keys and bad values raise SettingError.

        Missing keys take their defaults, so a config saved by an older version loads.
        """
        if not isinstance(data, dict):
            raise SettingError(f"thresholds must be a mapping, got {type(data).__name__}")
        unknown = sorted(set(data) - set(SETTINGS))
        if unknown:
            raise SettingError(f"unknown setting(s): {', '.join(unknown)}")
        return cls(**{key: SETTINGS[key].parse(value) for key, value in data.items()})


@dataclass(frozen=True)
class SettingSpec:
    """What the console needs to know about one setting."""

    type: type
    low: float | None
    high: float | None
    unit: str
    help: str
    choices: tuple[str, ...] = ()  # a word setting's allowed words

    @property
    def allowed(self) -> str:
        """The allowed values, in words, for error messages and ``help``."""
        if self.type is bool:
            return "on/off"
        if self.type is str:
            return "/".join(self.choices)
        return f"{self.low:g}..{self.high:g} {self.unit}".rstrip()

    def show(self, value: Any) -> str:
        """``value`` as a coach reads it: ``on``, ``side``, ``100 ms``."""
        if self.type is bool:
            return "on" if value else "off"
        if self.type is str:
            return str(value)
        return f"{value:g} {self.unit}".rstrip()

    def parse(self, value: Any) -> Any:
        """``value`` (text or number) converted to this setting's type and checked."""
        if self.type is str:
            word = str(value).strip().lower()
            self.check(word)
            return word
        if self.type is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise SettingError(f"expected on/off, got {value!r}")
        if isinstance(value, bool):
            raise SettingError(f"expected a number in {self.allowed}, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise SettingError(f"expected a number in {self.allowed}, got {value!r}") from None
        if self.type is int:
            if not number.is_integer():
                raise SettingError(f"expected a whole number in {self.allowed}, got {value!r}")
            number = int(number)
        self.check(number)
        return number

    def check(self, value: Any) -> None:
        """Raise SettingError unless ``value`` is of this type and in range."""
        if self.type is str:
            if value not in self.choices:
                raise SettingError(f"expected one of {self.allowed}, got {value!r}")
            return
        if self.type is bool:
            if not isinstance(value, bool):
                raise SettingError(f"expected on/off, got {value!r}")
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                self.type is int and not float(value).is_integer()):
            raise SettingError(f"expected a number in {self.allowed}, got {value!r}")
        if not (self.low <= value <= self.high):  # also rejects NaN
            raise SettingError(f"{value:g} is outside the allowed range {self.allowed}")


_TRUE = {"1", "true", "on", "yes"}
_FALSE = {"0", "false", "off", "no"}

SETTINGS: dict[str, SettingSpec] = {
    "fppa_warn": SettingSpec(float, 0, 45, "deg", "knee-valgus angle (FPPA) that raises a warning"),
    "fppa_alert": SettingSpec(float, 0, 60, "deg", "knee-valgus angle (FPPA) that raises an alert"),
    "knee_medial_alert": SettingSpec(
        float, 0, 1, "hip widths", "knee inside the ankle by this much of hip width: alert"
    ),
    "knee_separation_alert": SettingSpec(
        float, 0.3, 1.5, "ratio", "two-footed: knee/ankle separation below this: alert"
    ),
    "pelvic_drop_warn": SettingSpec(float, 0, 30, "deg", "free-side pelvic drop that warns"),
    "pelvic_drop_alert": SettingSpec(float, 0, 30, "deg", "free-side pelvic drop that alerts"),
    "trunk_lean_alert": SettingSpec(float, 0, 45, "deg", "sideways trunk lean that alerts"),
    "hysteresis_deg": SettingSpec(
        float, 0, 10, "deg", "an angle cue clears only this far below its threshold"
    ),
    "hysteresis_ratio": SettingSpec(
        float, 0, 0.5, "ratio", "a ratio cue clears only this far past its threshold"
    ),
    "debounce_ms": SettingSpec(float, 0, 1000, "ms", "a fault must last this long before it cues"),
    "min_score": SettingSpec(float, 0.05, 0.95, "", "keypoint confidence needed to trust a point"),
    "hands_on_hips_tolerance": SettingSpec(
        float, 0.1, 1.0, "torso lengths", "wrist-to-hip distance still counted as on the hip"
    ),
    "check_hands_on_hips": SettingSpec(
        bool, None, None, "", "single-leg squat test: cue and fail reps when hands leave hips"
    ),
    "fppa_from_baseline": SettingSpec(
        bool, None, None, "", "judge FPPA relative to the calibrated standing angle"
    ),
    "stance_enter": SettingSpec(
        float, 0.05, 1.0, "leg lengths", "single-leg evidence (foot up, weight over it) to enter"
    ),
    "stance_exit": SettingSpec(
        float, 0.0, 1.0, "leg lengths", "single-leg evidence below this: both feet down again"
    ),
    "stance_dwell_ms": SettingSpec(
        float, 0, 2000, "ms", "a stance change must hold this long to count"
    ),
    "rep_min_depth": SettingSpec(
        float, 0.02, 0.5, "leg lengths", "hips must sink this far for a squat rep to count"
    ),
    "min_thigh_ratio": SettingSpec(
        float, 0.2, 1.0, "of upright",
        "knee angles are read only while the thigh keeps this share of its upright length",
    ),
    "min_torso_ratio": SettingSpec(
        float, 0.2, 1.0, "of upright",
        "trunk lean is read only while the torso keeps this share of its upright length",
    ),
    "max_turn_deg": SettingSpec(
        float, 5, 45, "deg", "body turned further off the camera than this: knee cues held back",
    ),
    "knee_over_toe_trigger": SettingSpec(
        bool, None, None, "", "judge knee-inside-foot against the heel->toe line where the foot is read",
    ),
    "view": SettingSpec(
        str, None, None, "", "where the camera stands: front (knees, pelvis, feet), rear (adds the "
        "rearfoot angle), side (shin angle and heel lift only)", choices=("front", "rear", "side"),
    ),
    "ankle_min_shin_deg": SettingSpec(
        float, 20, 50, "deg", "ankle test: a heel-down shin angle below this is restricted dorsiflexion",
    ),
    "drill": SettingSpec(
        str, None, None, "", "what the athlete is doing: sls (single-leg squat test), squat (two feet), run "
        "(treadmill), or auto (recognised from the movement)", choices=DRILL_CHOICES,
    ),
    "hip_adduction_alert": SettingSpec(
        float, 5, 45, "deg", "running: hip adduction at midstance that fails a step",
    ),
    "run_steps": SettingSpec(
        int, 7, 50, "steps", "running: each side's mean is taken over this many steps",
    ),
    "landing_burst": SettingSpec(
        bool, None, None, "", "hops and landings: the camera at its full rate, each landing's frames kept "
        "and read again before its verdict (off: the live frames only, the verdict sooner on a Pi 4)",
    ),
}

# (lower, higher) pairs that must stay in order.
_ORDERED = (
    ("fppa_warn", "fppa_alert"),
    ("pelvic_drop_warn", "pelvic_drop_alert"),
    ("stance_exit", "stance_enter"),
)

DEFAULT = Thresholds()
