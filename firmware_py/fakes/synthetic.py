"""``--source synthetic:NAME``: a scripted athlete, drawn frame by frame, and the pose
engine that reads the script back instead of running a model.

A synthetic frame carries the pose it was drawn from (``Frame.truth``); the
``ScriptedPoseEngine`` returns it, so everything after the model (scoring, cues,
pins, console, records) runs as on the device, at a cost of microseconds a frame.
The pictures are drawn too (a stick figure on grey), so replays and reports have
something to show.  The scripts are ``SCRIPTS``.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from firmware_py.core import keypoints as kp
from firmware_py.errors import SourceOpenError
from firmware_py.fakes.sequences import Fault, Session, squats
from firmware_py.fakes.stickfigure import Camera
from firmware_py.pose.given import GivenPoseEngine
from firmware_py.sources.base import Frame, FrameSource, pace
from firmware_py.system.cv import cv2

SIZE = (640, 480)
_CAMERA = Camera(size=SIZE, person_px=380.0)

# name -> (what it shows, the session)
SCRIPTS: dict[str, tuple[str, Callable[[], Session]]] = {
    "squats": ("three good single-leg squats on the left leg",
               lambda: squats(3, side="left", camera=_CAMERA)),
    "valgus": ("three single-leg squats on the left leg, the second with the knee 25° inward",
               lambda: squats(3, side="left", camera=_CAMERA, faults={1: Fault(valgus=25.0)})),
    "stand": ("ten seconds of quiet standing on both feet (calibration)",
              lambda: squats(0, side="both", camera=_CAMERA, stand_s=10.0)),
}


def scripts_help() -> str:
    return "; ".join(f"synthetic:{name} ({what})" for name, (what, _) in SCRIPTS.items())


class SyntheticSource(FrameSource):
    """A scripted session as frames; ``realtime`` paces them at the script's 30 fps,
    ``loop`` replays it forever (index and time go on)."""

    poses_given = True  # each frame carries the pose it was drawn from: no model reads them

    def __init__(self, name: str, *, realtime: bool = False, loop: bool = False) -> None:
        if name not in SCRIPTS:
            raise SourceOpenError(f"no synthetic script {name!r}: {scripts_help()}")
        self.name = f"synthetic:{name}"
        self.script = name
        self.realtime, self.loop = realtime, loop
        self._session: Session | None = None
        self.fps = None

    def open(self) -> "SyntheticSource":
        self._session = SCRIPTS[self.script][1]()
        frames = self._session.frames
        self.fps = 1.0 / (frames[1][0] - frames[0][0]) if len(frames) > 1 else 30.0
        self._index, self._start_ns = 0, None
        return self

    def read(self) -> Frame | None:
        if self._session is None:
            self.open()
        frames = self._session.frames
        n = len(frames)
        if not n or (self._index >= n and not self.loop):
            return None
        t0, pose = frames[self._index % n]
        pts = (self._index // n) * (n / self.fps) + t0
        if self.realtime:
            self._start_ns = pace(self._start_ns, pts)
        frame = Frame(self._index, time.monotonic_ns(), draw(pose), pts, truth=pose.copy())
        self._index += 1
        return frame

    def close(self) -> None:
        self._session = None


def draw(pose: np.ndarray) -> np.ndarray:
    """The stick figure on a grey picture (RGB), as a camera would film it."""
    img = np.full((SIZE[1], SIZE[0], 3), 96, np.uint8)
    pts = [(int(round(x)), int(round(y))) for x, y, _ in pose]
    for a, b in kp.BONES:
        cv2.line(img, pts[a], pts[b], (235, 215, 190), 6, cv2.LINE_AA)
    cv2.circle(img, pts[kp.NOSE], 14, (235, 215, 190), -1, cv2.LINE_AA)
    return img


class ScriptedPoseEngine(GivenPoseEngine):
    """The engine for a synthetic source: each frame's pose is the one the source drew
    (``pose.given``: the same as for a pose file)."""
