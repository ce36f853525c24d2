"""Running on a treadmill, step by step: each step's side, initial contact and
midstance, and the frontal-plane measures read at midstance.

Camera behind (or in front of) the runner at hip height; the belt moves, the body
does not travel.  What 2D video can read is judged at **midstance**, stance foot
under the hip and the hip at its lowest (Dingenen 2018), per side, over the mean of
at least 7 steps per side (6.3 +- 0.3 steps reach a stable mean).

Steps come from the ankles' heights: the stance foot is the lower one in the
picture, so the sign of (left ankle y - right ankle y) flips once per step.  A flip
counts when the difference passes ``flip_fraction`` of a leg length and holds for
``debounce_s`` (40 ms: one glitched keypoint, a frame or two at 120 fps, is not a
step), which works from 30 to 120 fps and from behind, in front or at the side.  A
step runs from one flip to the next; its midstance is its frame with the hip
midpoint lowest, its initial contact the first frame at which the stance ankle is
within ``contact_fraction`` of its lowest point in the step.  On the shared rear-view
file (120 fps): 181.4 steps/min against the 180.5 measured from the video's pixels,
at 120, 60 and 30 fps alike.

At midstance, on the stance leg (``None`` where the chain is not trusted, and the
frontal measures gated in a side view):

* ``pelvic_drop``: contralateral pelvic drop, deg, + when the swing-side hip is
  lower, read against the runner's own level (the mean hip-line tilt over the last
  strides), since the absolute tilt carries the camera's roll and the pose model's
  bias (two models differ by ~3 deg on the shared file);
* ``hip_adduction``: the stance thigh against the perpendicular to the hip line, deg,
  + with the knee toward the midline (2D hip adduction: Dingenen's HA);
* ``femoral_adduction``: the stance thigh against vertical, deg, + toward the midline;
* ``trunk_lean``: lateral trunk position, deg, + toward the stance side;
* ``fppa``: the stance knee's frontal-plane projection angle (shown, not cued: in
  running 2D knee valgus does not track 3D knee abduction, Dingenen);
* ``knee_gap``: horizontal distance between the knees over hip width ("knees
  literally touch" near 0);
* ``step_width``: horizontal distance between this step's and the last step's
  stance ankles over hip width; ``crossover``: the stance ankle's offset from the
  hip midpoint toward its own side, over hip width (negative: the foot landed across
  the midline).

Pure: a measured ``Body`` and the time in, ``Step`` records out.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from . import keypoints as kp
from .body import TORSO_TO_LEG, Body, knee_fppa
from .validity import NOT_SEEN, SIDE_VIEW

__all__ = ["RunParams", "Step", "StepTracker", "STEP_METRICS", "cadence_spm", "side_means"]

STEP_METRICS = ("pelvic_drop", "hip_adduction", "femoral_adduction", "trunk_lean", "fppa", "knee_gap",
                "step_width", "crossover")
_FRONTAL = STEP_METRICS  # every one of them is a frontal-plane reading
_DEG = 180.0 / math.pi


@dataclass(frozen=True)
class RunParams:
    flip_fraction: float = 0.05  # of a leg length: the ankle height difference that says which foot is down
    debounce_s: float = 0.04  # a flip must hold this long
    max_step_s: float = 0.6  # longer is walking or standing (100 steps/min): not a running step
    min_step_s: float = 0.2  # shorter is a keypoint flickering, not a step (300 steps/min)
    contact_fraction: float = 0.15  # of the stance ankle's travel in the step: contact when within it of the floor
    level_steps: int = 14  # the runner's own level: the mean tilt over this many steps (7 per side)


@dataclass
class Step:
    """One running step, judged at its midstance."""

    index: int
    side: str  # the stance leg, "left" or "right"
    contact_frame: int
    contact_t: float
    midstance_frame: int
    midstance_t: float
    end_frame: int
    end_t: float
    metrics: dict[str, float | None] = field(default_factory=dict)
    gated: dict[str, str] = field(default_factory=dict)
    failed: tuple[str, ...] = ()  # what crossed its alert (the run drill's judgement)
    cued: bool = False  # the athlete was cued on this step

    @property
    def verdict(self) -> str:
        return "fail" if self.failed else "pass"

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "side": self.side, "contact_frame": self.contact_frame,
                "contact_t": self.contact_t, "midstance_frame": self.midstance_frame,
                "midstance_t": self.midstance_t, "end_frame": self.end_frame, "end_t": self.end_t,
                **self.metrics, "gated": dict(self.gated), "failed": list(self.failed), "cued": self.cued,
                "verdict": self.verdict}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Step":
        return cls(d["index"], d["side"], d["contact_frame"], d["contact_t"], d["midstance_frame"],
                   d["midstance_t"], d["end_frame"], d["end_t"], {k: d.get(k) for k in STEP_METRICS},
                   dict(d.get("gated") or {}), tuple(d.get("failed") or ()), bool(d.get("cued")))


@dataclass
class _Sample:
    frame: int
    t: float
    body: Body
    hip_y: float | None
    ankle_y: tuple[float | None, float | None]


class StepTracker:
    """``update(body, frame, t, frontal)`` each frame; returns the Step that ended on
    this frame, if any (about half a stride after its midstance)."""

    def __init__(self, params: RunParams | None = None) -> None:
        self.params = params or RunParams()
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self._side: str | None = None  # the stance side of the step under way
        self._candidate: tuple[str, int] | None = None  # a flip not yet held long enough: side, sample index
        self._samples: list[_Sample] = []
        self._tilts: deque[float] = deque(maxlen=self.params.level_steps)  # each step's mean hip-line tilt
        self._last_ankle_x: float | None = None

    def update(self, body: Body, frame: int, t: float, frontal: bool = True) -> Step | None:
        p = self.params
        ok, y = body.ok, body.y
        hip_y = body.hip_mid()[1] if body.hip_width else None
        ankles = (y[kp.L_ANKLE] if ok[kp.L_ANKLE] else None, y[kp.R_ANKLE] if ok[kp.R_ANKLE] else None)
        self._samples.append(_Sample(frame, t, body, hip_y, ankles))
        down = self._down(body, ankles)
        if down == self._side:  # (an unseen or level frame leaves a flip under way as it is)
            self._candidate = None
        elif down is not None and (self._candidate is None or self._candidate[0] != down):
            self._candidate = (down, len(self._samples) - 1)
        if self._candidate is None or t - self._samples[self._candidate[1]].t < p.debounce_s:
            if len(self._samples) > 1000:  # no flip for a long time (standing): keep memory bounded
                del self._samples[:500]
                if self._candidate is not None:
                    self._candidate = (self._candidate[0], self._candidate[1] - 500)
            return None
        side, at = self._candidate
        step_samples, self._samples = self._samples[:at], self._samples[at:]
        previous, self._side, self._candidate = self._side, side, None
        if previous is None or not step_samples:
            return None  # the first flip only says which foot is down: no whole step before it
        return self._finish(previous, step_samples, frontal)

    def _down(self, body: Body, ankles: tuple[float | None, float | None]) -> str | None:
        left, right = ankles
        # a side view narrows the hips until no leg chain passes as trusted: the torso scales it then
        leg = body.leg_length or (TORSO_TO_LEG * body.torso if body.torso else None)
        if left is None or right is None or not leg:
            return None
        d = left - right  # + : the left ankle lower in the picture
        if d > self.params.flip_fraction * leg:
            return "left"
        if d < -self.params.flip_fraction * leg:
            return "right"
        return None

    def _finish(self, side: str, samples: list[_Sample], frontal: bool) -> Step | None:
        p = self.params
        end = samples[-1]
        if not p.min_step_s <= end.t - samples[0].t <= p.max_step_s:
            return None
        seen = [s for s in samples if s.hip_y is not None]
        mid = max(seen, key=lambda s: s.hip_y) if seen else samples[len(samples) // 2]
        contact = self._contact(side, samples, mid)
        tilts = [t for t in (_tilt(s.body) for s in samples) if t is not None]
        if tilts:
            self._tilts.append(sum(tilts) / len(tilts))
        metrics, gated = self._at_midstance(side, mid.body, frontal)
        step = Step(self.count, side, contact.frame, contact.t, mid.frame, mid.t, end.frame, end.t, metrics, gated)
        self.count += 1
        return step

    def _contact(self, side: str, samples: list[_Sample], mid: _Sample) -> _Sample:
        i = 0 if side == "left" else 1
        heights = [(s, s.ankle_y[i]) for s in samples if s.ankle_y[i] is not None and s.frame <= mid.frame]
        if not heights:
            return samples[0]
        low, high = min(h for _, h in heights), max(h for _, h in heights)
        floor = high - self.params.contact_fraction * (high - low)  # image y: larger is lower
        return next(s for s, h in heights if h >= floor)

    def _at_midstance(self, side: str, b: Body, frontal: bool) -> tuple[dict[str, float | None], dict[str, str]]:
        metrics: dict[str, float | None] = dict.fromkeys(STEP_METRICS)
        if not frontal:
            return metrics, dict.fromkeys(_FRONTAL, SIDE_VIEW)
        if not (b.trusted(side) and b.hip_width):
            return metrics, dict.fromkeys(_FRONTAL, NOT_SEEN)
        x, y = b.x, b.y
        h, k, a = kp.LEG[side]
        o = kp.OTHER_HIP[side]
        medial = 1.0 if x[o] > x[h] else -1.0
        tilt = _tilt(b)
        level = sum(self._tilts) / len(self._tilts) if self._tilts else 0.0
        # tilt is + with the right hip lower: the swing hip lower is + for a left stance
        metrics["pelvic_drop"] = (tilt - level) * (1.0 if side == "left" else -1.0)
        thigh = (x[k] - x[h], y[k] - y[h])
        ux, uy = (x[o] - x[h]) / b.hip_width, (y[o] - y[h]) / b.hip_width  # along the hips, toward the midline
        down = (-uy, ux) if ux > 0 else (uy, -ux)  # perpendicular to the hip line, pointing down
        metrics["hip_adduction"] = math.atan2(thigh[0] * ux + thigh[1] * uy, thigh[0] * down[0] + thigh[1] * down[1]) * _DEG
        metrics["femoral_adduction"] = math.atan2(thigh[0] * medial, thigh[1]) * _DEG
        metrics["trunk_lean"] = _trunk_toward(b, side)
        metrics["fppa"] = knee_fppa(b, side)
        other_knee = kp.LEG["right" if side == "left" else "left"][1]
        if b.ok[other_knee]:
            metrics["knee_gap"] = abs(x[k] - x[other_knee]) / b.hip_width
        mid_x = b.hip_mid()[0]
        metrics["crossover"] = (x[a] - mid_x) * -medial / b.hip_width
        if self._last_ankle_x is not None:
            metrics["step_width"] = abs(x[a] - self._last_ankle_x) / b.hip_width
        self._last_ankle_x = x[a]
        rounded = {k: (None if v is None else round(v, 3) + 0.0) for k, v in metrics.items()}
        gated = {k: NOT_SEEN for k, v in rounded.items() if v is None}
        return rounded, gated


def _tilt(b: Body) -> float | None:
    """The hip line against horizontal, deg, + with the right hip lower."""
    ok = b.ok
    if not (ok[kp.L_HIP] and ok[kp.R_HIP]):
        return None
    dx = abs(b.x[kp.R_HIP] - b.x[kp.L_HIP])
    return math.atan2(b.y[kp.R_HIP] - b.y[kp.L_HIP], dx) * _DEG if dx > 0 else None


def _trunk_toward(b: Body, side: str) -> float | None:
    if b.torso is None:
        return None
    x, y = b.x, b.y
    vx = 0.5 * (x[kp.L_SHOULDER] + x[kp.R_SHOULDER] - x[kp.L_HIP] - x[kp.R_HIP])
    vy = 0.5 * (y[kp.L_SHOULDER] + y[kp.R_SHOULDER] - y[kp.L_HIP] - y[kp.R_HIP])
    toward = 1.0 if x[kp.LEG[side][0]] > b.hip_mid()[0] else -1.0
    return math.atan2(vx * toward, -vy) * _DEG


def cadence_spm(steps: list[Step], params: RunParams = RunParams()) -> float | None:
    """Steps per minute over the longest run of ``steps`` that alternate legs, each
    between ``min_step_s`` and ``max_step_s`` after the last (a step missed or doubled while the tracker
    settles, or a pause, breaks a run); None without two such steps.  Over a whole run
    of steps, not from one interval: at 30 fps a step is 10 or 11 frames long."""
    best: tuple[int, int] = (0, 0)
    start = 0
    for i in range(1, len(steps) + 1):
        if i < len(steps) and steps[i].side != steps[i - 1].side and (
                params.min_step_s <= steps[i].midstance_t - steps[i - 1].midstance_t <= params.max_step_s):
            continue
        if i - start > best[1] - best[0]:
            best = (start, i)
        start = i
    first, end = best
    if end - first < 2:
        return None
    return 60.0 * (end - first - 1) / (steps[end - 1].midstance_t - steps[first].midstance_t)


def side_means(steps: list[Step], side: str, last: int | None = None) -> dict[str, float | None]:
    """Each midstance measure's mean over ``side``'s steps (its ``last`` ones if given),
    None where no step read it: what a coach reads, one step being noise of a few degrees."""
    mine = [s for s in steps if s.side == side]
    if last is not None:
        mine = mine[-last:]
    out: dict[str, float | None] = {}
    for k in STEP_METRICS:
        values = [s.metrics[k] for s in mine if s.metrics.get(k) is not None]
        out[k] = round(sum(values) / len(values), 2) if values else None
    return out
