"""The coach's view in words: verdicts, criteria, lead patterns and the athlete's light.

The light is drawn from the device's own pattern table (``core.patterns.PATTERNS``):
which of the green, amber and red LEDs is on, steady or blinking, so the page's dots
are the LEDs the athlete sees, and a new pattern on the device needs nothing here.
"""

from __future__ import annotations

from firmware_py.core.patterns import LIGHTS, PATTERNS
from firmware_py.wording.reps import PATTERN_UNCLEAR, PATTERN_WORDS  # the console's words for them, the one table

__all__ = ["criterion_words", "light_view", "pattern_words", "what_words"]

_LIGHT_NAMES = {"ok": "green", "warn": "amber", "alert": "red", "idle": "nobody in view", "dark": "dark",
                "fault": "fault", "pass": "pass", "fail": "fail", "fail_left": "fail, left",
                "fail_right": "fail, right", "calibrating": "calibrating", "testing": "testing"}


def criterion_words(criterion: str) -> str:
    return criterion.replace("_", " ")


def pattern_words(pattern: tuple[str, ...], failed: tuple[str, ...]) -> str:
    """The lead pattern first; "pattern unclear" when a knee fault fits none; "" when
    the knee did not fail (a pattern explains a knee that went in, nothing else)."""
    if pattern:
        return "lead: " + "; then ".join(PATTERN_WORDS.get(p, criterion_words(p)) for p in pattern)
    return PATTERN_UNCLEAR if "knee_inward" in failed else ""


def what_words(kind: str, index: int | None, leg: str | None) -> str:
    """"rep 3, left leg": a record's number (1-based, as the console counts) and leg."""
    number = f"{kind} {index + 1}" if index is not None else kind
    if leg in ("left", "right"):
        return f"{number}, {leg} {'foot' if kind == 'step' else 'leg'}"
    return f"{number}, both legs" if leg == "both" else number


def light_view(name: str | None, online: bool) -> dict:
    """The light as the page draws it: each LED ``on``, ``blink`` or ``off``, and in words."""
    if not online or name is None:
        return {"name": name, "words": "offline" if not online else "not known",
                "leds": dict.fromkeys(LIGHTS, "off"), "known": False}
    pattern = PATTERNS.get(name)
    if pattern is None:  # a pattern this view does not know: say its name, draw nothing
        return {"name": name, "words": name.replace("_", " "), "leds": dict.fromkeys(LIGHTS, "off"), "known": False}
    leds = {light: ("off" if light not in pattern.lights else "on" if pattern.lights[light].steady else "blink")
            for light in LIGHTS}
    return {"name": name, "words": _LIGHT_NAMES.get(name, name.replace("_", " ")), "leds": leds, "known": True}
