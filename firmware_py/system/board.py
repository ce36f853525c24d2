"""Which board this is, read where the Raspberry Pi kernel says it: the device tree.

``/proc/device-tree/model`` holds e.g. "Raspberry Pi 5 Model B Rev 1.0" (NUL-ended) on
every Pi kernel; a laptop has none.  The device behaves differently on a Pi: its pins
are real (a mock pin factory there is a fault, never a fallback), its serial port and
its throttling are read from Pi-specific places.  The path is a module constant so
that tests can point it at a fixture of a Pi's tree.
"""

from __future__ import annotations

import re
from pathlib import Path

DT_MODEL = Path("/proc/device-tree/model")


def board_model(path: Path | None = None) -> str | None:
    """The device tree's model string, or None where there is none (not a Pi, not ARM)."""
    try:
        text = (path or DT_MODEL).read_bytes().decode("ascii", "replace")
    except OSError:
        return None
    return text.rstrip("\0\n ") or None


def is_raspberry_pi(model: str | None) -> bool:
    return bool(model) and model.startswith("Raspberry Pi")


def generation(model: str | None) -> int | None:
    """4 for a Pi 4, 400 or Compute Module 4; 5 for a Pi 5, 500 or CM5; else the
    number the model names, or None."""
    if not is_raspberry_pi(model):
        return None
    m = re.match(r"Raspberry Pi (?:Compute Module )?(\d)", model)
    return int(m.group(1)) if m else None
