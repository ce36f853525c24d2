"""Is the Pi's CPU being slowed down?  The firmware's throttled flags, in words.

The Raspberry Pi firmware publishes a bit mask (the same as ``vcgencmd
get_throttled``) at THROTTLED_PATH on Pi 4 and Pi 5 with Bookworm kernels; the low
bits say what is happening now.  A hot or under-powered Pi drops from ~30 to a few
frames a second, which the coach should hear about rather than guess at.
"""

from __future__ import annotations

from pathlib import Path

THROTTLED_PATH = Path("/sys/devices/platform/soc/soc:firmware/get_throttled")
NOW = {
    0x1: "under-voltage (use the official power supply)",
    0x2: "ARM frequency capped",
    0x4: "CPU throttled",
    0x8: "soft temperature limit (give the Pi air or a heatsink)",
}


def read_throttled(path: Path = THROTTLED_PATH) -> int | None:
    """The flags, or None where the file is absent or unreadable (not a Pi)."""
    try:
        return int(path.read_text().strip(), 16)
    except (OSError, ValueError):
        return None


def describe(flags: int | None) -> str | None:
    """What is slowing the CPU now, in words; None when nothing is."""
    if not flags:
        return None
    now = [text for bit, text in NOW.items() if flags & bit]
    return ", ".join(now) or None
