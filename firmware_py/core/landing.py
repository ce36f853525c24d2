"""Landings, one at a time: initial contact, peak knee flexion, and what the knee,
pelvis and trunk did in between.

A landing shows in the hip's height: it rises (take-off, flight), falls fast from its
apex, and after the foot touches goes on sinking while the knee bends, to its lowest
point (peak flexion), then rises (push-off, or standing up).  So a landing is a fall of
the hip midpoint of at least ``drop`` leg lengths, within ``max_fall_s`` of its apex
(a squat's descent takes a second), ended by a rise of ``rise`` leg lengths that
confirms the lowest point; everything is measured against the hip, never the floor, so
a camera that looks down on an athlete travelling across a grid does not move it.

* **Initial contact** is the frame where the landing leg is longest in the picture (the
  ankle furthest below the hip) between the apex and peak flexion: in flight the leg
  reaches for the ground, and from touch-down the knee bends and the leg shortens.  On
  the shared hop clip (30 fps) this finds the 15 contacts labelled from the frames
  within 3 frames (11 within 1), the 15 peaks within 2.
* **Which leg**: the one whose ankle is furthest below the hip at contact; with the
  ``two_feet`` drill each foot's own contact (the asymmetry of the two).
* Between contact and peak, read from the scorer's own per-frame metrics (so with the
  same validity gates: a foreshortened thigh's FPPA is not read): the largest
  knee-inside-foot offset, FPPA at peak flexion, pelvic drop and trunk lean at peak, the
  knee separation ratio at contact and at peak (two feet), the stance width.
* **Held**: for ``held_s`` after peak flexion the free foot stays off the floor (its
  ankle does not come down level with the landing one).  The landing is handed over once
  that is known, a fraction of a second after peak flexion.

Pure: the measured body, the frame's metrics and the time in, ``Landing`` records out.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from . import keypoints as kp
from .body import TORSO_TO_LEG, Body
from .metrictable import key

__all__ = ["LandingParams", "Landing", "LandingFrame", "LandingTracker", "LANDING_METRICS", "landing_frame",
           "refine"]

LANDING_METRICS = ("knee_medial", "fppa", "pelvic_drop", "trunk_lean", "knee_separation_contact",
                   "knee_separation_peak", "contact_asymmetry_s", "stance_width")


@dataclass(frozen=True)
class LandingParams:
    drop: float = 0.08  # leg lengths the hip must fall from its apex
    rise: float = 0.03  # ... and rise again from its lowest point, to confirm it
    max_fall_s: float = 0.45  # apex to peak flexion: longer is a squat, not a landing
    held_s: float = 0.3  # after peak flexion the free foot must stay up this long
    touch: float = 0.05  # leg lengths: a free ankle this close to the landing one's height is down
    keep_s: float = 1.5  # how much history is kept


@dataclass
class Landing:
    index: int
    leg: str  # "left", "right" or "both"
    contact_frame: int
    contact_t: float
    peak_frame: int
    peak_t: float
    metrics: dict[str, Any] = field(default_factory=dict)
    gated: dict[str, str] = field(default_factory=dict)
    held: bool = True
    failed: tuple[str, ...] = ()  # what it failed on (the drill's judgement)
    frame_gap_s: float = 0.0  # the longest gap between the frames it was found on (contact and peak are that close)
    frames_read: int = 0  # frames read from contact to peak flexion (a burst reads more)
    burst: dict[str, Any] | None = None  # the frames read again at the camera's full rate (``refine``)

    @property
    def verdict(self) -> str:
        return "fail" if self.failed else "pass"

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "leg": self.leg, "contact_frame": self.contact_frame,
                "contact_t": self.contact_t, "peak_frame": self.peak_frame, "peak_t": self.peak_t,
                **self.metrics, "held": self.held, "gated": dict(self.gated), "failed": list(self.failed),
                "verdict": self.verdict, "frames_read": self.frames_read,
                "burst": None if self.burst is None else dict(self.burst)}


@dataclass
class LandingFrame:
    """One frame as the landing reads it: the measured body, its hip height and scale."""
    frame: int
    t: float
    body: Body
    hip_y: float
    scale: float
    metrics: dict[str, Any]


def _scale(body: Body) -> float | None:
    """What a landing's distances are measured in: the leg, else the torso as a leg."""
    return body.leg_length or (TORSO_TO_LEG * body.torso if body.torso else None)


def landing_frame(body: Body, frame: int, t: float, metrics: dict[str, Any],
                  scale: float | None = None) -> LandingFrame | None:
    """The frame as a landing reads it (``scale``: ``_scale(body)`` if known); None without
    hips or a body scale to measure by."""
    scale = scale if scale is not None else _scale(body)
    if not body.hip_width or not scale:
        return None
    return LandingFrame(frame, t, body, body.hip_mid()[1], scale, metrics)


class LandingTracker:
    """``update(body, frame, t, metrics)`` each frame; returns the Landing whose
    balance window closed on this frame, if any.  ``two_feet``: a two-footed landing
    (each foot's contact, the separation ratios)."""

    def __init__(self, params: LandingParams | None = None, *, two_feet: bool = False) -> None:
        self.params = params or LandingParams()
        self.two_feet = two_feet
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self._history: deque[LandingFrame] = deque()
        self._apex: LandingFrame | None = None
        self._low: LandingFrame | None = None
        self._pending: Landing | None = None  # found, waiting out its balance window

    @property
    def pending(self) -> Landing | None:
        """The landing found and waiting out its balance window (None: none)."""
        return self._pending

    def update(self, body: Body, frame: int, t: float, metrics: dict[str, Any]) -> Landing | None:
        p = self.params
        scale = _scale(body)
        done = self._settle(body, t, scale)
        now = landing_frame(body, frame, t, metrics, scale)
        if now is None:
            return done
        history = self._history
        history.append(now)
        while history and t - history[0].t > p.keep_s:
            history.popleft()
        apex, low = self._apex, self._low
        if apex is None or (now.hip_y <= apex.hip_y and low is None) or now.hip_y < apex.hip_y or (
                low is None and t - apex.t > p.max_fall_s):
            # as high as the apex or higher (image y is down: the latest such frame, so standing on a
            # box ends where the fall begins), or a slow sag
            self._apex, self._low = now, None
            return done
        if low is None or now.hip_y > low.hip_y:
            self._low = low = now
        if low.hip_y - now.hip_y >= p.rise * scale:  # risen again: the lowest point was peak flexion
            if low.hip_y - apex.hip_y >= p.drop * scale and low.t - apex.t <= p.max_fall_s:
                self._pending = self._landing(apex, low)
            self._apex, self._low = now, None
        return done

    def _settle(self, body: Body, t: float, scale: float | None) -> Landing | None:
        """The pending landing, once its balance window has passed (None before)."""
        landing = self._pending
        if landing is None:
            return None
        free = _other(landing.leg)
        if free is not None and scale and body.ok[kp.LEG[free][2]] and body.ok[kp.LEG[landing.leg][2]]:
            gap = body.y[kp.LEG[landing.leg][2]] - body.y[kp.LEG[free][2]]  # + : the free ankle higher
            if gap < self.params.touch * scale:
                landing.held = False
        if t - landing.peak_t < self.params.held_s:
            return None
        self._pending = None
        return landing

    def _landing(self, apex: LandingFrame, low: LandingFrame) -> Landing:
        fall = [f for f in self._history if apex.frame <= f.frame <= low.frame]
        contacts = {side: _contact(fall, side) for side in ("left", "right")}
        seen = [(c[0], side, c[1]) for side, c in contacts.items() if c is not None]
        both = len(seen) == 2 and abs(seen[0][0] - seen[1][0]) < self.params.touch * low.scale
        if self.two_feet or both:  # both feet reach the floor together
            leg = "both"
            first = min((c[2] for c in seen), key=lambda f: f.frame) if seen else apex
        else:
            best = max(seen, key=lambda c: c[0]) if seen else (0.0, "both", apex)
            leg, first = best[1], best[2]
        window = [f for f in fall if f.frame >= first.frame]
        metrics, gated = _judged(window, low, leg, contacts if leg == "both" else None)
        gap = max((b.t - a.t for a, b in zip(fall, fall[1:])), default=0.0)
        landing = Landing(self.count, leg, first.frame, first.t, low.frame, low.t, metrics, gated,
                          frame_gap_s=round(gap, 4), frames_read=len(window))
        self.count += 1
        return landing


def refine(landing: Landing, frames: list[LandingFrame]) -> bool:
    """Read ``landing`` again on ``frames``: the same stretch of time at a higher frame
    rate (the burst: ``loop.burst``), from before its contact to after its peak flexion
    as first found.  The first reading is the best of frames ``frame_gap_s`` apart, so
    the truth lies within that gap of it: peak flexion becomes the frame within it where
    the hip is lowest, contact the frame within it (before peak) where the landing leg is
    longest, and the metrics are taken again from contact to peak; the leg, the balance
    and the index stay.  Returns False (the landing unchanged) when the frames cannot say
    more: none near the first contact or peak, or no way down from one to the other."""
    frames = [f for f in frames if f.scale]
    gap = max(landing.frame_gap_s, 1e-3)
    near_peak = [f for f in frames if abs(f.t - landing.peak_t) <= gap]
    if len(frames) < 3 or not near_peak:
        return False
    low = max(near_peak, key=lambda f: f.hip_y)
    fall = [f for f in frames if landing.contact_t - gap <= f.t and f.frame <= low.frame]
    near_contact = [f for f in fall if f.t <= landing.contact_t + gap]
    sides = ("left", "right") if landing.leg == "both" else (landing.leg,)
    contacts = {side: _contact(near_contact, side) for side in sides}
    seen = [c[1] for c in contacts.values() if c is not None]
    if not seen:
        return False
    first = min(seen, key=lambda f: f.frame)
    window = [f for f in fall if f.frame >= first.frame]
    if len(window) < 2:  # no way down from contact to peak in these frames
        return False
    metrics, gated = _judged(window, low, landing.leg, contacts if landing.leg == "both" else None)
    landing.contact_frame, landing.contact_t = first.frame, first.t
    landing.peak_frame, landing.peak_t = low.frame, low.t
    landing.metrics, landing.gated = metrics, gated
    landing.frames_read = len(window)
    return True


def _other(leg: str) -> str | None:
    return {"left": "right", "right": "left"}.get(leg)


def _contact(fall: list[LandingFrame], side: str) -> tuple[float, LandingFrame] | None:
    """The frame where ``side``'s ankle is furthest below the hip, in pixels (within one
    fall the athlete's size in the picture barely changes, while the chain's length, which
    scales other measures, shrinks as the knee bends towards the camera)."""
    ankle = kp.LEG[side][2]
    reach = [(f.body.y[ankle] - f.hip_y, f) for f in fall if f.body.ok[ankle]]
    if not reach:
        return None
    longest = max(r[0] for r in reach)
    # the last frame the leg is (within 1 % of a leg) that long: a leg held out through the
    # fall lands at the end of it
    return [r for r in reach if r[0] >= longest - 0.01 * r[1].scale][-1]


def _judged(window: list[LandingFrame], peak: LandingFrame, leg: str,
            contacts: dict[str, tuple[float, LandingFrame] | None] | None) -> tuple[dict[str, Any], dict[str, str]]:
    sides = ("left", "right") if leg == "both" else (leg,)
    m: dict[str, Any] = dict.fromkeys(LANDING_METRICS)
    gated: dict[str, str] = {}
    peak_gates = peak.metrics.get("gated") or {}
    inside = [v for f in window for s in sides if (v := f.metrics.get(key("knee_medial", s))) is not None]
    m["knee_medial"] = round(max(inside), 3) if inside else None
    fppa = [v for s in sides if (v := peak.metrics.get(key("fppa", s))) is not None]
    m["fppa"] = round(max(fppa), 1) if fppa else None
    if m["fppa"] is None and key("fppa", sides[0]) in peak_gates:  # e.g. the thigh foreshortened at depth
        gated["fppa"] = peak_gates[key("fppa", sides[0])]
    for name in ("pelvic_drop", "trunk_lean"):
        value = peak.metrics.get(name)
        m[name] = None if value is None else round(value, 1)
        if value is None and name in peak_gates:
            gated[name] = peak_gates[name]
    if contacts is not None:  # two feet: each foot's touch-down, the knees against the ankles
        frames = [c[1] for c in contacts.values() if c is not None]
        if len(frames) == 2:
            m["contact_asymmetry_s"] = round(abs(frames[0].t - frames[1].t), 3)
        first = window[0] if window else peak
        m["knee_separation_contact"] = _ratio(first.metrics.get("knee_separation_ratio"))
        m["knee_separation_peak"] = _ratio(peak.metrics.get("knee_separation_ratio"))
        b = first.body
        if b.ok[kp.L_ANKLE] and b.ok[kp.R_ANKLE] and b.hip_width:
            m["stance_width"] = round(abs(b.x[kp.L_ANKLE] - b.x[kp.R_ANKLE]) / b.hip_width, 2)
    return m, gated


def _ratio(value: Any) -> float | None:
    return None if value is None else round(value, 3)
