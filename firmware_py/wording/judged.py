"""Why a number is missing, and where the camera stood, in the coach's words.

The core says why a metric was not read (``core.validity``'s gate reasons, in each
frame's ``gated`` map and a rep's ``gated``) and which camera placement problems were
raised (``core.placement``); ``analyze``'s table and rep lines, the console's stream
line and the report's plots and tables say it from here, in a word where a column is
narrow and in full where there is room.
"""

from __future__ import annotations

from typing import Any, Iterable

__all__ = ["GATE_TAGS", "GATE_WORDS", "PLACEMENT_WORDS", "gate_legend", "placement_words", "why_not"]

# A word for a narrow column (analyze's table, the console's text stream).
GATE_TAGS = {"side_view": "side", "thigh_foreshortened": "deep", "two_footed": "2-ft", "trunk_foreshortened": "bent",
             "not_single_leg": "2-ft", "not_two_footed": "1-ft", "feet_together": "feet-in"}  # not_seen: "–"
# In full (a rep line, the report, the legend under analyze's table).
GATE_WORDS = {"side_view": "camera at the side", "thigh_foreshortened": "thigh foreshortened (deep)",
              "two_footed": "two-footed: judged by knee separation", "trunk_foreshortened": "trunk bent toward the camera",
              "not_single_leg": "not on one leg", "not_two_footed": "not on both feet",
              "feet_together": "feet too close together", "not_seen": "not seen"}
NO_FOOT_MODEL = "no foot model: --feet lite or full"
PLACEMENT_WORDS = {"not_frontal": "camera side-on or oblique", "turned": "athlete turned from the camera",
                   "too_small": "athlete small in the frame", "feet_out_of_view": "feet out of view",
                   "hips_out_of_view": "hips out of view", "not_side": "camera not at the side"}


def why_not(key: str, gated: dict[str, Any] | None, *, feet: bool = True, short: bool = False) -> str:
    """Why ``key`` has no value: its gate reason, or that no foot model reads it."""
    reason = (gated or {}).get(key)
    if reason is None and not feet and key.startswith("knee_over_toe"):
        return "no feet" if short else NO_FOOT_MODEL
    if reason is None or (short and reason not in GATE_TAGS):  # not seen: the column's "–"
        return ""
    return (GATE_TAGS if short else GATE_WORDS).get(reason, reason.replace("_", " "))


def gate_legend() -> str:
    """What each word in a narrow column means (analyze prints it under its header)."""
    seen: dict[str, str] = {}
    for reason, tag in GATE_TAGS.items():
        seen.setdefault(tag, GATE_WORDS[reason] if tag != "2-ft" else
                        "two-footed (the knee separation judges the knees; pelvis and hip drift are read on one leg)")
    return "empty cells: " + "; ".join(f"{tag} = {words}" for tag, words in seen.items()) + "; – = no reading"


def placement_words(problems: Iterable[str]) -> str:
    """Camera placement problems in words, joined ("" for none)."""
    return ", ".join(PLACEMENT_WORDS.get(p, p.replace("_", " ")) for p in problems)
