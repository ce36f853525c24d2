"""The ankle seen from the side: shin angle, heel lift, and the knee-to-wall test.

docs/sources.md, "Feet and ankles": dorsiflexion is measured from the side with
the weight-bearing lunge (knee-to-wall) test, heel down; a shin angle below about
35-38 deg from vertical is restricted (the coach's ``ankle_min_shin_deg``, default
35, the lenient end, since a screen should not fail a borderline ankle), and the
smallest real change is 1.0-1.5 cm or a few degrees.

Geometry, in image pixels (y down; level the camera, since a side view has no
calibration to level it by):

* ``shin_angle``: ankle -> knee against vertical, + the knee ahead of the ankle in
  the direction the athlete faces;
* ``foot_pitch``: heel -> foot index against horizontal, + the heel higher;
  ``heel lift`` is the pitch minus the same foot's standing pitch, so a camera a
  little off level or a shoe with a raised heel reads zero while standing;
* the facing direction comes from the feet (heel -> toe) when they are read, else
  from the face (nose ahead of the ears).

Only a side view can give these: ``placement.frontality`` (hip + shoulder width
over torso) is about 1.2 face-on, and width = 1.2 cos(a) + 0.26 sin(a) at a
degrees off frontal (0.26 is the sagittal clip's reading: a body has depth), so
``SIDE_MAX_FRONTALITY`` 0.83 means a >= 60 deg; there a 35 deg shin under-reads
by at most 4 deg (tan' = tan x sin a).

Pure: a pose (and the newest foot reading) in, numbers and Notices (data, never words) out.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from typing import Any

import numpy as np

from . import keypoints as kp
from .defaults import MIN_SCORE
from .feet import MAX_AGE_S, MIN_FOOT_SCORE, FootReading
from .metrics import measure
from .placement import SIDE_MAX_FRONTALITY, frontality
from .procedures import Notice
from .vocabulary import ANKLE_TRIES

__all__ = ["SIDE_MAX_FRONTALITY", "HEEL_LIFT_DEG", "LUNGE_START_DEG", "ASYMMETRY_DEG", "AnkleTest", "HeelLift", "facing", "shin_angle", "foot_pitch",
           "knee_bend", "side_metrics"]

_DEG = 180.0 / math.pi

# Heel lift: the heel->toe line tilted this far past standing, median of the last
# ``LIFT_READINGS`` foot readings.  BlazePose's heel point rides up with the shin: on
# the shared side clip (lnc_..._IMG_7034; the frames show both heels flat all
# through a deep squat) a planted heel read up to 12 deg that way (single readings
# swing +-5 deg more).  15 deg is ~5 cm at the heel of a 20 cm heel-to-toe line:
# a clear lift; a smaller one goes unseen, and docs/feet.md says so.
HEEL_LIFT_DEG = 15.0
LIFT_READINGS = 5
# Thigh and shank within this of straight: standing, the foot flat (the pitch's zero).
# MoveNet reads a standing knee 7-20 deg bent from a side or oblique view (lnc IMG_7034's
# first half second, where the frames show him standing tall).
STRAIGHT_KNEE_DEG = 20.0
LUNGE_START_DEG = 15.0  # shin past this: a lunge is under way
LUNGE_END_DEG = 10.0  # back below this: the lunge is over
ASYMMETRY_DEG = 5.0  # ~1.5 cm of knee-to-wall distance, the smallest real change (docs/sources.md)
VIEW_FRAMES = 15  # frames with a body that decide whether the camera is at the side


def facing(pose: np.ndarray, feet: FootReading | None, min_score: float = MIN_SCORE) -> float | None:
    """+1 if the athlete faces image-right, -1 image-left, None if it cannot be told."""
    if feet is not None:
        p = feet.points
        dx = sum(p[2 + i, 0] - p[i, 0] for i in (0, 1) if min(p[i, 2], p[2 + i, 2]) >= MIN_FOOT_SCORE)
        if abs(dx) > 1.0:
            return math.copysign(1.0, dx)
    ears = [pose[i, 0] for i in (3, 4) if pose[i, 2] >= min_score]
    if pose[kp.NOSE, 2] >= min_score and ears:
        dx = pose[kp.NOSE, 0] - sum(ears) / len(ears)
        if abs(dx) > 1.0:
            return math.copysign(1.0, dx)
    return None


def shin_angle(knee: tuple[float, float], ankle: tuple[float, float], face: float) -> float | None:
    """Ankle -> knee against vertical, + the knee ahead of the ankle (degrees)."""
    dx, dy = knee[0] - ankle[0], ankle[1] - knee[1]
    if math.hypot(dx, dy) < 1.0:
        return None
    return math.atan2(face * dx, dy) * _DEG


def foot_pitch(heel: tuple[float, float], toe: tuple[float, float]) -> float | None:
    """Heel -> foot index against horizontal, + the heel higher than the toe (degrees)."""
    dx, dy = abs(toe[0] - heel[0]), toe[1] - heel[1]
    if math.hypot(dx, dy) < 1.0:
        return None
    return math.atan2(dy, dx) * _DEG


def knee_bend(pose: np.ndarray, side: str) -> float | None:
    """Angle between thigh and shank (0 = straight), in degrees."""
    h, k, a = kp.LEG[side]
    ux, uy = pose[k, 0] - pose[h, 0], pose[k, 1] - pose[h, 1]
    vx, vy = pose[a, 0] - pose[k, 0], pose[a, 1] - pose[k, 1]
    if math.hypot(ux, uy) < 1.0 or math.hypot(vx, vy) < 1.0:
        return None
    return abs(math.atan2(ux * vy - uy * vx, ux * vx + uy * vy)) * _DEG


class HeelLift:
    """One foot's heel lift: its pitch (median of the last readings) minus its pitch
    while the leg stood straight.  ``update(frame, pitch, straight)`` -> degrees or None."""

    def __init__(self) -> None:
        self._recent: deque[float] = deque(maxlen=LIFT_READINGS)
        self._frame: int | None = None
        self.base: float | None = None

    def update(self, frame: int, pitch: float | None, straight: bool) -> float | None:
        if pitch is None:
            return None
        if frame != self._frame:  # the same reading is offered on several frames
            self._frame = frame
            self._recent.append(pitch)
            if straight:
                self.base = pitch if self.base is None else self.base + 0.2 * (pitch - self.base)
        if self.base is None:
            return None
        return statistics.median(self._recent) - self.base


def _front_leg(pose: np.ndarray, face: float, min_score: float) -> str | None:
    """The leg whose ankle is further forward (the lunging one), with knee and ankle seen."""
    seen = [s for s in kp.SIDES if min(pose[kp.LEG[s][1], 2], pose[kp.LEG[s][2], 2]) >= min_score]
    if not seen:
        return None
    return max(seen, key=lambda s: face * pose[kp.LEG[s][2], 0])


def _foot_of(feet: FootReading, ankle: tuple[float, float]) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Heel and toe of the BlazePose foot nearest ``ankle`` (side views swap labels)."""
    p = feet.points
    i = min((0, 1), key=lambda j: math.hypot(p[j, 0] - ankle[0], p[j, 1] - ankle[1]))
    if min(p[i, 2], p[2 + i, 2]) < MIN_FOOT_SCORE:
        return None
    return (float(p[i, 0]), float(p[i, 1])), (float(p[2 + i, 0]), float(p[2 + i, 1]))


def _leg_reading(pose: np.ndarray, side: str, face: float, fresh: FootReading | None,
                 min_score: float) -> tuple[float | None, float | None, bool] | None:
    """``side``'s (shin angle, foot pitch, knee straight) from the side, or None when
    its knee or ankle is not seen; the foot is BlazePose's nearest the ankle."""
    h, k, a = kp.LEG[side]
    if min(pose[k, 2], pose[a, 2]) < min_score:
        return None
    ankle = (float(pose[a, 0]), float(pose[a, 1]))
    shin = shin_angle((float(pose[k, 0]), float(pose[k, 1])), ankle, face)
    bend = knee_bend(pose, side) if pose[h, 2] >= min_score else None
    foot = None if fresh is None else _foot_of(fresh, ankle)
    pitch = None if foot is None else foot_pitch(*foot)
    return shin, pitch, bend is not None and bend < STRAIGHT_KNEE_DEG


def side_metrics(pose: np.ndarray, feet: FootReading | None, t: float, min_score: float = MIN_SCORE) -> dict[str, Any]:
    """``shin_angle_left/right`` and ``foot_pitch_left/right`` of a side view (None
    where not read), and ``straight_left/right`` (the knee within
    ``STRAIGHT_KNEE_DEG`` of straight); the scorer turns the pitch into heel lift
    with a ``HeelLift`` per foot."""
    out: dict[str, Any] = {"shin_angle_left": None, "shin_angle_right": None,
                           "foot_pitch_left": None, "foot_pitch_right": None,
                           "straight_left": False, "straight_right": False}
    fresh = feet if feet is not None and 0.0 <= t - feet.t <= MAX_AGE_S else None
    face = facing(pose, fresh, min_score)
    if face is None:
        return out
    for side in kp.SIDES:
        reading = _leg_reading(pose, side, face, fresh, min_score)
        if reading is None:
            continue
        shin, pitch, out["straight_" + side] = reading
        out["shin_angle_" + side] = None if shin is None else round(shin, 1)
        out["foot_pitch_" + side] = None if pitch is None else round(pitch, 1)
    return out


class AnkleTest:
    """The knee-to-wall lunge on ``leg``, camera at the side.

    The athlete stands side-on, the tested foot forward, and bends the knee toward
    the wall as far as the heel stays down, ``attempts`` times (best of three, as
    in the clinic).  The result is the largest shin angle with the heel down; a
    heel that lifts is told, and that frame does not count.  Without foot points
    (the foot model off) the heel is not watched, and the result says so.

    Refuses, in one line, when the first ``VIEW_FRAMES`` frames with a body look
    face-on.  ``other``: this athlete's latest result on the other leg (shin
    degrees), for the left/right difference.
    """

    state = "testing"
    name = "ankle"

    def __init__(self, leg: str, *, min_shin_deg: float = 35.0, attempts: int = 3, idle_s: float = 60.0,
                 min_score: float = MIN_SCORE, other: float | None = None) -> None:
        if leg not in kp.SIDES:
            raise ValueError(f"leg must be left or right, got {leg!r}")
        if not ANKLE_TRIES[0] <= attempts <= ANKLE_TRIES[1]:
            raise ValueError(f"attempts must be {ANKLE_TRIES[0]}..{ANKLE_TRIES[1]}, got {attempts}")
        self.leg, self.min_shin, self.attempts, self.idle_s = leg, min_shin_deg, attempts, idle_s
        self.min_score, self.other = min_score, other
        self.done = False
        self.record: dict[str, Any] | None = None  # the finished test, for the session file
        self.refusal: Notice | None = None  # why the test would not run, if it would not
        self._widths: list[float] = []
        self._side_on = False
        self._start: float | None = None
        self._last_lunge: float | None = None
        self._heel = HeelLift()
        self._in_lunge = False
        self._lunges: list[dict[str, Any]] = []  # per finished lunge: best heel-down, peak, heel lifted
        self._cur: dict[str, Any] = {}
        self._heel_watched = False

    def step(self, pose: np.ndarray, score: Any, feet: FootReading | None) -> list[Notice]:
        """The loop's one call for any procedure: this one reads the pose and the feet."""
        if self.done:
            return []
        t = score.t
        out: list[Notice] = []
        if self._start is None:
            self._start = self._last_lunge = t
            out.append(Notice("ankle_started", {"event": "test", "test": "ankle", "state": "started",
                                                "leg": self.leg, "attempts": self.attempts}))
        body = measure(pose, min_score=self.min_score)
        width = frontality(body)
        if not self._side_on:
            if width is not None or body.any_leg:  # no width with a leg seen: the far side is hidden
                self._widths.append(0.0 if width is None else width)
            if len(self._widths) < VIEW_FRAMES:  # meanwhile the standing heel gives its zero
                self._measure(pose, feet, t, lunges=False)
                return out
            median = statistics.median(self._widths)
            if median >= SIDE_MAX_FRONTALITY:
                return out + self._refuse(median)
            self._side_on = True
        if width is not None and width >= SIDE_MAX_FRONTALITY:
            return out  # turned toward the camera for a moment: not a side view
        out += self._measure(pose, feet, t)
        if len(self._lunges) >= self.attempts:
            return out + self.finish("complete")
        if t - self._last_lunge > self.idle_s:
            return out + self.finish("stopped")
        return out

    def _measure(self, pose: np.ndarray, feet: FootReading | None, t: float, *, lunges: bool = True) -> list[Notice]:
        fresh = feet if feet is not None and 0.0 <= t - feet.t <= MAX_AGE_S else None
        face = facing(pose, fresh, self.min_score)
        leg = None if face is None else _front_leg(pose, face, self.min_score)
        if leg is None:
            return []
        shin, pitch, straight = _leg_reading(pose, leg, face, fresh, self.min_score)  # (seen: the front leg)
        if shin is None:
            return []
        lift = self._heel.update(-1 if fresh is None else fresh.frame_index, pitch, straight)
        if not lunges:
            return []
        if not self._in_lunge:
            if shin < LUNGE_START_DEG:
                return []
            self._in_lunge, self._cur = True, {"peak": shin, "heel_down": None, "heel_lift": None}
        cur = self._cur
        cur["peak"] = max(cur["peak"], shin)
        if lift is not None:
            self._heel_watched = True
            if lift > HEEL_LIFT_DEG:
                if cur["heel_lift"] is None:
                    cur["heel_lift"] = round(shin, 1)  # the shin angle the heel came up at
            elif cur["heel_down"] is None or shin > cur["heel_down"]:
                cur["heel_down"] = shin
        if shin >= LUNGE_END_DEG:
            return []
        return self._end_lunge(t)

    def _end_lunge(self, t: float) -> list[Notice]:
        cur, self._in_lunge, self._last_lunge = self._cur, False, t
        self._lunges.append(cur)
        return [Notice("ankle_try", {"event": "test", "test": "ankle", "try": len(self._lunges),
                                     "attempts": self.attempts, "heel_watched": self._heel_watched,
                                     "result": _rounded(cur)})]

    def _refuse(self, width: float) -> list[Notice]:
        self.done = True
        self.refusal = Notice("ankle_refused", {"event": "test", "test": "ankle", "state": "refused",
                                                "leg": self.leg, "frontality": round(width, 2)})
        return [self.refusal]

    def cancel(self) -> list[Notice]:
        return self.finish("cancelled")

    def finish(self, how: str) -> list[Notice]:
        """End with what was measured: ``how`` is complete, cancelled, stopped (no lunge
        for ``idle_s``) or, at the end of a clip, "clip ended"."""
        if self.done:
            return []
        told = self._end_lunge(self._last_lunge or 0.0) if self._in_lunge else []  # a lunge cut off still counts
        self.done = True
        lunges = self._lunges
        watched = self._heel_watched
        down = [x["heel_down"] for x in lunges if x["heel_down"] is not None]
        shin = max(down) if down else (max(x["peak"] for x in lunges) if lunges and not watched else None)
        lifts = sum(x["heel_lift"] is not None for x in lunges)
        if self._side_on and shin is not None:
            verdict = "pass" if shin >= self.min_shin else "restricted"
        else:
            verdict = "incomplete"
        difference = None
        if shin is not None and self.other is not None:
            difference = round(shin - self.other, 1)
        self.record = {
            "test": "ankle", "state": how, "leg": self.leg, "verdict": verdict,
            "shin_deg": None if shin is None else round(shin, 1), "threshold_deg": self.min_shin,
            "tries": len(lunges), "attempts": self.attempts, "heel_watched": watched, "heel_lifts": lifts,
            "difference_deg": difference, "lunges": [_rounded(x) for x in lunges],
        }
        return told + [Notice("ankle_finished", {"event": "test", **self.record, "side_view": self._side_on,
                                                 "idle_s": self.idle_s})]


def _rounded(lunge: dict[str, Any]) -> dict[str, Any]:
    return {k: None if v is None else round(v, 1) for k, v in lunge.items()}
