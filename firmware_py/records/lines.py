"""The session file's lines the recorder builds from a scored frame: numbers rounded
as files keep them (``num``), a frame's foot points, the drill and step lines."""

from __future__ import annotations

import math
from typing import Any

from firmware_py.core.feet import MAX_AGE_S


def num(value: Any, digits: int = 2) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return round(float(value), digits) if math.isfinite(value) else None
    return value


def foot_points(reading: Any, t: float) -> list[int] | None:
    """A frame's foot reading as whole pixels (heel L, heel R, toe L, toe R; x, y), if
    it is recent enough to have been scored with (core.feet.MAX_AGE_S)."""
    if reading is None or not 0.0 <= t - reading.t <= MAX_AGE_S:
        return None
    return [int(round(float(v))) for v in reading.points[:, :2].ravel()]


def drill_record(score: Any) -> dict[str, Any]:
    """The drill judged from this frame on (``auto`` recognising one: why, how sure)."""
    return {"type": "drill", "t": num(score.t, 3), "frame": score.frame_index, "drill": score.drill,
            "decided": None if score.decided is None else score.decided.to_dict()}


def step_record(step: Any) -> dict[str, Any]:
    """One running step, its times and measures rounded to 0.001."""
    return {"type": "step", **{k: num(v, 3) if isinstance(v, float) else v for k, v in step.to_dict().items()}}


def landing_record(landing: Any) -> dict[str, Any]:
    """One landing, its times and measures rounded to 0.001."""
    return {"type": "landing", **{k: num(v, 3) if isinstance(v, float) else v for k, v in landing.to_dict().items()}}
