"""The root of KneeCue's exception tree, and the errors of the pure core.

It sits in the core so that the core, which imports nothing outside itself, can raise
errors every caller catches as ``KneeCueError``; ``firmware_py.errors`` grows the rest
of the tree (model, source, settings file, pins, console) from it.  Each error mixes
in the builtin it behaves like (gpiozero's habit), so callers can also catch
``ValueError`` without knowing our names.
"""

from __future__ import annotations


class KneeCueError(Exception):
    """Base of every error KneeCue raises on purpose."""


class SettingError(KneeCueError, ValueError):
    """A setting was unknown, malformed or out of its allowed range."""


class CalibrationError(KneeCueError, ValueError):
    """A calibration record is malformed (unknown key, wrong type, bad value)."""
