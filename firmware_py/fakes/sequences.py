"""Synthetic exercise sessions: stick-figure squats with chosen faults, frame by frame."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from firmware_py.fakes.stickfigure import Camera, figure

FPS = 30.0


@dataclass(frozen=True)
class Fault:
    """What goes wrong in one rep (peaks at the bottom, scaled with depth)."""

    valgus: float = 0.0  # FPPA of the working leg(s) at the bottom, degrees
    trunk_lean: float = 0.0  # toward the stance side, degrees
    pelvic_drop: float = 0.0
    hands_off: bool = False
    touch_down: bool = False  # free foot down for 0.4 s around the bottom


@dataclass
class Session:
    """A list of (t, pose) frames and where the reps were meant to be."""

    frames: list[tuple[float, np.ndarray]] = field(default_factory=list)
    bottoms: list[float] = field(default_factory=list)  # times of the deepest points

    def __iter__(self):
        return iter(self.frames)


def squats(
    n: int,
    *,
    side: str = "left",
    flexion: float = 80.0,
    faults: dict[int, Fault] | None = None,
    down_s: float = 1.0,
    up_s: float = 1.0,
    pause_s: float = 0.8,
    stand_s: float = 1.0,
    camera: Camera | None = None,
    noise_px: float = 0.0,
    seed: int = 0,
    fps: float = FPS,
) -> Session:
    """``n`` squats: on one leg (``side`` "left"/"right") or two ("both").

    The athlete stands on both feet for ``stand_s``, lifts the free foot (for a
    single-leg session) and holds, then squats to ``flexion`` degrees of knee
    flexion and back ``n`` times, pausing ``pause_s`` between reps.  Hands stay on
    the hips unless a fault says otherwise.  ``noise_px`` adds Gaussian jitter.
    """
    camera = camera or Camera()
    faults = faults or {}
    rng = np.random.default_rng(seed)
    session = Session()
    t = 0.0
    dt = 1.0 / fps

    def emit(**pose_args) -> None:
        nonlocal t
        pose = camera.project(figure(**pose_args))
        if noise_px:
            pose[:, :2] += rng.normal(0.0, noise_px, (len(pose), 2))
        session.frames.append((t, pose))
        t += dt

    def stance_pose(stance: str, f: float, fault: Fault, share: float) -> dict:
        args = dict(stance=stance, flexion=f, hands_on_hips=not fault.hands_off)
        if stance in ("left", "right"):
            # keep the free foot up as the hips sink
            args.update(free_hip=20.0 + 0.5 * f, free_knee=80.0 + f)
            args["pelvic_drop"] = fault.pelvic_drop * share
            args["valgus_" + stance] = fault.valgus * share
        else:
            args.update(valgus_left=fault.valgus * share, valgus_right=fault.valgus * share)
        args["trunk_lean"] = fault.trunk_lean * share
        return args

    calm = Fault()
    for _ in range(int(stand_s * fps)):
        emit(stance="both")
    if side != "both":
        for _ in range(int(0.6 * fps)):
            emit(**stance_pose(side, 0.0, calm, 0.0))
    for i in range(n):
        fault = faults.get(i, calm)
        steps_down, steps_up = int(down_s * fps), int(up_s * fps)
        for k in range(steps_down + steps_up):
            if k < steps_down:
                share = k / steps_down
            else:
                share = 1.0 - (k - steps_down) / steps_up
            share = 0.5 - 0.5 * math.cos(math.pi * share)  # smooth start and stop
            if k == steps_down:
                session.bottoms.append(t)
            stance = side
            if fault.touch_down and abs(k - steps_down) < 0.2 * fps:
                stance = "both"
            emit(**stance_pose(stance, flexion * share, fault, share))
        for _ in range(int(pause_s * fps)):
            emit(**stance_pose(side, 0.0, calm, 0.0))
    for _ in range(int(0.5 * fps)):
        emit(stance="both")
    return session
