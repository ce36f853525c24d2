"""``kneecue analyze``: a recorded clip or photo, scored frame by frame.

The coach's "record yourself and watch it back".  JSON Lines for scripts (one
object per frame; later lines add reps and a summary), or a table for people.
"""

from __future__ import annotations

import json
import math
import sys
from typing import IO, Iterable, Iterator

from firmware_py.handoff import CaptureThread
from firmware_py.pipeline import FrameResult, Pipeline
from firmware_py.sources.base import Frame, FrameSource


def frames_of(source: FrameSource, *, drop_late: bool) -> Iterator[Frame]:
    """Every frame in order, or (``drop_late``, a paced replay) only the newest each time.

    Dropping is what the live device does when the model is slower than the camera.
    """
    if not drop_late:
        yield from source
        return
    capture = CaptureThread(source)
    capture.start()
    try:
        while (frame := capture.slot.get()) is not None:
            yield frame
    finally:
        capture.stop()
    if capture.error is not None:
        raise capture.error


def _clean(value):
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def frame_record(result: FrameResult) -> dict:
    keypoints = [[round(float(x), 1), round(float(y), 1), round(float(s), 3)] for x, y, s in result.pose]
    record = {"frame": result.index, "t": round(result.t, 3), "keypoints": keypoints,
              "metrics": _clean(result.metrics)}
    record.update(_clean(result.extra))
    return record


def _fmt(value, width: int, digits: int = 1) -> str:
    if value is None:
        return "–".rjust(width)
    if isinstance(value, bool):
        return ("yes" if value else "no").rjust(width)
    if isinstance(value, float):
        return f"{value:+.{digits}f}".rjust(width)
    return str(value).rjust(width)


TABLE_COLUMNS = (  # (header, metric key, width, digits)
    ("FPPA L°", "fppa_left", 8, 1),
    ("FPPA R°", "fppa_right", 8, 1),
    ("knee-in L", "knee_medial_left", 10, 2),
    ("knee-in R", "knee_medial_right", 10, 2),
    ("pelvis°", "pelvic_drop", 8, 1),
    ("trunk°", "trunk_lean", 7, 1),
    ("stance", "stance", 7, 0),
)


def table_header() -> str:
    return "frame      t  " + " ".join(h.rjust(w) for h, _, w, _ in TABLE_COLUMNS)


def table_row(result: FrameResult) -> str:
    cells = " ".join(_fmt(result.metrics.get(k), w, d) for _, k, w, d in TABLE_COLUMNS)
    return f"{result.index:5d} {result.t:6.2f}  {cells}"


def run_analyze(pipeline: Pipeline, source: FrameSource, out: IO[str], *, as_json: bool,
                realtime: bool = False, progress: bool = False) -> int:
    """Score every frame of ``source`` into ``out``; returns the number of frames scored."""
    from tqdm import tqdm

    count = 0
    with source:
        frames: Iterable[Frame] = frames_of(source, drop_late=realtime)
        bar = tqdm(frames, disable=not progress, unit="frame", file=sys.stderr, leave=False)
        if not as_json:
            out.write(table_header() + "\n")
        for frame in bar:
            result = pipeline.process(frame)
            if as_json:
                out.write(json.dumps(frame_record(result), separators=(",", ":")) + "\n")
            else:
                out.write(table_row(result) + "\n")
            count += 1
    return count
