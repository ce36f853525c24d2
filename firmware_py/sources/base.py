"""What every frame source hands over, and the small interface they share.

A source yields Frames: index, capture timestamp on the ``time.monotonic_ns`` clock
(what latency is measured from), the RGB pixels, and the frame's position in the
recording in seconds (``pts``: media time for files, time since the first frame for
live cameras), which is what scoring uses as ``t``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterator

import numpy as np


@dataclass(frozen=True)
class Frame:
    index: int
    t_ns: int
    rgb: np.ndarray
    pts: float
    turned: int = 0  # degrees clockwise the source already turned the picture (a camera's own transform)
    truth: np.ndarray | None = None  # the pose a synthetic source drew (fakes): a model never reads it


class FrameSource:
    """Base of all sources: ``open()``, ``read()`` → Frame or None at the end, ``close()``.

    Sources are context managers and iterables; ``close()`` may be called twice.
    """

    name = "source"
    fps: float | None = None
    live = False

    def open(self) -> "FrameSource":
        return self

    def read(self) -> Frame | None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        pass

    def turn(self, degrees: int) -> None:
        """The picture is wanted turned ``degrees`` clockwise.  A source that can do some
        of it for free (a camera's own transform) does, and says so in ``Frame.turned``;
        the rest is done per frame by ``rotation.rotated``.  Most sources do nothing."""

    def rate(self, fps: float | None) -> None:
        """``fps`` frames a second are wanted (None: the source's own rate).  A camera
        that can changes its sensor mode (the landing drills' 120 fps); files and most
        sources deliver what they have and do nothing."""

    def __enter__(self) -> "FrameSource":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.read()) is not None:
            yield frame

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def pace(start_ns: int | None, pts: float) -> int:
    """Sleep until ``pts`` seconds after ``start_ns`` (None: now, the first frame's
    call), as a camera would deliver the frame; returns the start to pass next time."""
    if start_ns is None:
        start_ns = time.monotonic_ns()
    wait = start_ns + int(pts * 1e9) - time.monotonic_ns()
    if wait > 0:
        time.sleep(wait / 1e9)
    return start_ns
