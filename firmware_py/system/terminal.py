"""The LEDs and buzzer drawn in a terminal, as the athlete would see and hear them.

``kneecue demo`` runs the live loop on the clip that ships in ``firmware_py/demo``
with gpiozero's mock pins; this takes the loop's output changes (the records
``run --events`` writes, each with the pins as gpiozero reads them) and draws one
line per change: the three lights, the buzzer, and why.  Colour when the terminal
has it, plain words when it is a file or a pipe.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

DEMO_CLIP = Path(__file__).resolve().parents[1] / "demo" / "squats.mp4"
DEMO_CREDIT = "three squats from github.com/benrandoing20/LNewCo (MIT, Copyright 2023 Ben Randoing)"

_COLOURS = {"green": "32", "amber": "33", "red": "31", "buzzer": "35"}
_LIGHTS = ("green", "amber", "red")


class TerminalLights:
    """``write(record)`` for each output change (``live.LiveLoop``'s events)."""

    def __init__(self, out: IO[str], *, colour: bool | None = None) -> None:
        self.out = out
        self.colour = out.isatty() if colour is None else colour
        self.changes = 0

    def _lamp(self, name: str, on: bool) -> str:
        if self.colour:
            return f"\x1b[{_COLOURS[name]}m{'●' if on else '○'}\x1b[0m {name}"
        return f"{'●' if on else '○'} {name}"

    def write(self, record: dict[str, Any]) -> None:
        levels = record.get("outputs") or {}
        lamps = "  ".join(self._lamp(name, bool(levels.get(name))) for name in _LIGHTS)
        buzz = "BUZZ" if levels.get("buzzer") else "quiet"
        if self.colour and levels.get("buzzer"):
            buzz = f"\x1b[1;{_COLOURS['buzzer']}m{buzz}\x1b[0m"
        why = ", ".join(r.replace("_", " ") for r in record.get("reasons") or ())
        pattern = record.get("pattern", "")
        self.out.write(f"{record.get('t', 0.0):6.2f} s  {lamps}  buzzer {buzz:<5}  {pattern}"
                       f"{': ' + why if why else ''}\n")
        self.out.flush()
        self.changes += 1
