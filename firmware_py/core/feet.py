"""The feet and ankles (docs/feet.md; sources in docs/sources.md): knee over the toes,
foot turn-out, shank tilt, and "pronation suspected", from BlazePose's heel and foot
index beside MoveNet's body.

Pure: a measured body and a ``FootReading`` in, numbers out.  The reading may be a
few frames old (the foot stage runs beside the cue path, never in it); a planted foot
does not move, so its points are carried along by however far MoveNet's ankle moved
since, and a reading older than ``MAX_AGE_S`` is not used.

Definitions (subject's sides; + medial or out, as in docs/judgement.md):

* ``knee_over_toe_left/right``: the knee's sideways offset from the vertical plane
  through the foot's long axis (heel -> second toe), toward the midline, over the
  upright shank length; + the knee falls inside the foot.  A front view does not
  show that plane: extending the image line through heel and toe up to the knee
  (this module's first version) is off by h tan(turn-out) cot(camera elevation), a
  knee height h = 45 cm, 20 deg of turn-out and a camera 15 deg above the feet put
  it 60 cm out.  So the plane is rebuilt: it passes under the ankle (MoveNet's)
  at the foot's turn-out (BlazePose's world landmarks), and the knee's way forward
  of the ankle comes from the shank's foreshortening, F = sqrt(upright^2 -
  projected^2) (as ``validity`` reads the thigh); a knee that tracks the foot's
  line moves sideways by F tan(turn-out).  So the value is the knee's medial
  offset from the ankle plus F tan(turn-out): the ankle reference, corrected for
  the way the foot points.  Turn-out jitter of 3 deg moves it by at most ~0.03.
* ``foot_turnout_left/right``: the foot progression angle, heel -> foot index in
  BlazePose's world landmarks (metres, steadier than the image) against the
  direction the hips face, + toes out; ``foot_turnout_rel_*`` minus that foot's
  standing baseline (the scorer's, from the athlete's upright two-footed frames:
  lite and full models differ by ~7 deg in absolute angle, so only the change is
  judged).
* ``shank_tilt_left/right``: ankle -> knee against vertical in the levelled image,
  + the knee toward the midline.
* ``rearfoot_angle_left/right`` (``view`` rear): from behind, the ankle -> heel
  line against the shank's line, + the heel everted (docs/sources.md: pronation
  is read from behind; 2D reliability moderate, kappa_w ~0.6).
* ``pronation_suspected_left/right``: from the front, the shin tilting in (shank
  tilt >= ``PRONATION_SHANK_TILT_DEG``) with the ankle drifting medially off the
  foot line and no turn-out (``foot_turnout_rel`` below ``TURNOUT_DEG``); None
  without a standing baseline.  Only ever "suspected": pronation is read from
  behind (docs/sources.md), never claimed.  "Medial of the foot line" carries the image
  heel -> toe line up to the ankle's height, which is not the foot's vertical plane:
  for a foot pointing at a level camera at height c, an ankle h above the foot line,
  straight over it, shows outward of the carried line by h/c of the foot's offset
  from the image centre, about 0.02 shank lengths (foot 10 cm off centre, ankle 8 cm
  up, camera at 0.9 m; twice that at shin height), away from the image centre.  With
  the athlete centred in front of the camera, as the set-up asks, each foot is on its own side, so
  the bias is lateral and errs toward no claim; far off centre, the nearer foot's
  ankle can read that much medial.

A foot is trusted when the reading is recent, the model's scores reach
``MIN_FOOT_SCORE``, heel and toe lie within a shank length of the ankle, and (for
the knee over the toes) the turn-out is within ``MAX_TURN_FOR_LINE_DEG`` and the
upright shank is known.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from . import keypoints as kp

__all__ = ["FootReading", "FOOT_METRIC_KEYS", "PlantedFeet", "foot_metrics", "turnout_deg", "knee_off_foot",
           "MAX_AGE_S", "TURNOUT_UNCERTAINTY_DEG", "foot_line"]

MAX_AGE_S = 0.5  # an older foot reading is not used
MIN_FOOT_SCORE = 0.5
TURNOUT_DEG = 10.0  # a change of turn-out from standing that counts as "turning out"
# lite and full read absolute turn-out this far apart: the cue on the foot (the
# knee_over_toe_trigger) takes the turn-out this much smaller, so that it cues only a
# knee inside the foot by more than the turn-out's uncertainty can explain
TURNOUT_UNCERTAINTY_DEG = 7.0
MAX_TURN_FOR_LINE_DEG = 40.0  # a foot turned further is not a line a knee tracks (or a misread)
PRONATION_SHANK_TILT_DEG = 10.0
_SIDES = ("left", "right")
FOOT_METRIC_KEYS = (
    "knee_over_toe_left", "knee_over_toe_right", "foot_turnout_left", "foot_turnout_right",
    "foot_turnout_rel_left", "foot_turnout_rel_right", "shank_tilt_left", "shank_tilt_right",
    "pronation_suspected_left", "pronation_suspected_right", "rearfoot_angle_left", "rearfoot_angle_right",
)
_DEG = 180.0 / math.pi


# BlazePose world landmark order in a reading: heel L, heel R, toe L, toe R, hip L, hip R
class FootReading(NamedTuple):
    """One foot-stage result: the frame it came from, heels and toes in source pixels
    with scores ((4, 3): heel L, heel R, toe L, toe R), world points ((6, 3) metres:
    the same four, then hip L, hip R), and MoveNet's ankles on that frame ((2, 2))."""

    frame_index: int
    t: float
    points: np.ndarray
    world: np.ndarray
    ankles: np.ndarray


PLANTED_WEIGHT = 0.25  # weight of each new reading in a planted foot's average
MOVED_PER_SHANK = 0.3  # a heel or toe this far (in shank lengths) from the average: the foot moved


class PlantedFeet:
    """Each foot averaged over its readings while it stays planted.

    A knee over the toes is judged on the heel->toe line extended up to the knee, so
    a few pixels of noise in a foot point become several times that at the knee; but
    a planted foot does not move, so its heel and toe (relative to MoveNet's ankle)
    are averaged over successive readings, and the average starts afresh when a new
    reading puts them elsewhere (the foot was lifted or set down anew).
    ``update(reading)`` returns the reading with averaged points (or None).
    """

    def __init__(self) -> None:
        self._last_frame: int | None = None
        self._rel: np.ndarray | None = None  # (4, 2) heel/toe minus their side's ankle
        self._out: FootReading | None = None

    def update(self, reading: FootReading | None, shanks: tuple[float, float]) -> FootReading | None:
        if reading is None or reading.frame_index == self._last_frame:
            return self._out if reading is not None else None
        self._last_frame = reading.frame_index
        ankles = np.vstack([reading.ankles, reading.ankles])  # heel L, heel R, toe L, toe R
        rel = reading.points[:, :2] - ankles
        if self._rel is None:
            self._rel = rel.copy()
        else:
            for i in range(4):
                limit = MOVED_PER_SHANK * shanks[i % 2]
                if np.hypot(*(rel[i] - self._rel[i])) > limit:
                    self._rel[i] = rel[i]
                else:
                    self._rel[i] += PLANTED_WEIGHT * (rel[i] - self._rel[i])
        points = reading.points.copy()
        points[:, :2] = self._rel + ankles
        self._out = reading._replace(points=points)
        return self._out


def turnout_deg(world: np.ndarray, side: str) -> float | None:
    """Foot progression angle of ``side`` from world landmarks, + toes out."""
    i = 0 if side == "left" else 1
    heel, toe = world[i], world[2 + i]
    hip_l, hip_r = world[4], world[5]
    fx, fz = toe[0] - heel[0], toe[2] - heel[2]
    hx, hz = hip_l[0] - hip_r[0], hip_l[2] - hip_r[2]  # right hip -> left hip
    if math.hypot(fx, fz) < 1e-3 or math.hypot(hx, hz) < 1e-3:
        return None
    # facing: perpendicular to the hip line, on the side the toes point to on average
    face_x, face_z = -hz, hx
    both_x = world[2, 0] + world[3, 0] - world[0, 0] - world[1, 0]
    both_z = world[2, 2] + world[3, 2] - world[0, 2] - world[1, 2]
    if face_x * both_x + face_z * both_z < 0:
        face_x, face_z = -face_x, -face_z
    angle = math.atan2(face_x * fz - face_z * fx, face_x * fx + face_z * fz) * _DEG
    # + when the toe points away from the other foot (lateral): the left foot's lateral
    # side is toward the left hip
    lat_x, lat_z = (hx, hz) if side == "left" else (-hx, -hz)
    lateral = (fx * lat_x + fz * lat_z) >= 0
    return abs(angle) if lateral else -abs(angle)


def foot_metrics(b, reading: FootReading | None, t: float, *, baseline: dict[str, float | None] | None = None,
                 view: str = "front", shank_up: dict[str, float | None] | None = None) -> dict[str, Any]:
    """The foot metrics of body ``b`` (``metrics.Body``) with the newest foot reading.

    Values are None where the foot or leg is not trusted; ``foot_ref_left/right`` say
    which the knee-inside-foot judgement uses: ``foot`` (heel->toe line) or ``ankle``.
    ``baseline``: standing turn-out per side (``{"left": deg, "right": deg}``);
    ``shank_up``: each shank's upright length in pixels (no knee over the toes without).
    """
    out: dict[str, Any] = {key: None for key in FOOT_METRIC_KEYS}
    out["foot_ref_left"] = out["foot_ref_right"] = "ankle"
    x, y = b.x, b.y
    fresh = reading is not None and 0.0 <= t - reading.t <= MAX_AGE_S
    for side in _SIDES:
        h, k, a = kp.LEG[side]
        if not b.trusted(side):
            continue
        medial = 1.0 if x[kp.OTHER_HIP[side]] > x[h] else -1.0
        sx, sy = x[k] - x[a], y[k] - y[a]
        shank = math.hypot(sx, sy)
        out["shank_tilt_" + side] = _r(math.atan2(sx * medial, -sy) * _DEG, 1)
        if not fresh or view == "side":
            continue
        i = 0 if side == "left" else 1
        heel, toe = reading.points[i], reading.points[2 + i]
        if view == "rear":
            out["rearfoot_angle_" + side] = _rearfoot(b, side, reading, medial)
            continue
        if min(heel[2], toe[2]) < MIN_FOOT_SCORE:
            continue
        # carry the planted foot along with MoveNet's ankle since the reading
        ax, ay = b.image_x[a] - reading.ankles[i, 0], b.image_y[a] - reading.ankles[i, 1]
        hx, hy, tx, ty = heel[0] + ax, heel[1] + ay, toe[0] + ax, toe[1] + ay
        ix, iy = b.image_x[a], b.image_y[a]
        if max(math.hypot(hx - ix, hy - iy), math.hypot(tx - ix, ty - iy)) > shank:
            continue  # not this person's foot
        turn = turnout_deg(reading.world, side)
        out["foot_turnout_" + side] = _r(turn, 1)
        base = None if baseline is None else baseline.get(side)
        rel = None if turn is None or base is None else turn - base
        out["foot_turnout_rel_" + side] = _r(rel, 1)
        up = None if shank_up is None else shank_up.get(side)
        line = foot_line(turn, base)
        if line is not None and abs(line) <= MAX_TURN_FOR_LINE_DEG and up and not b.knee_covered(side):
            out["knee_over_toe_" + side] = _r(knee_off_foot(b, side, line, up, shank) / up, 3)
            out["foot_ref_" + side] = "foot"
        dx, dy = tx - hx, ty - hy
        if abs(dy) < 0.3 * math.hypot(dx, dy):
            continue  # the foot line is near-horizontal in the image: no height to project to
        # pronation suspected: shin in, ankle medial of the foot line (carried up to the
        # ankle's height: see the module's note), no turn-out
        ankle_off = (ix - (hx + dx * (iy - hy) / dy)) * medial / shank
        tilt = out["shank_tilt_" + side]
        if rel is not None and tilt is not None:  # without a standing baseline, no claim
            out["pronation_suspected_" + side] = bool(  # a Python bool: ankle_off is numpy's
                tilt >= PRONATION_SHANK_TILT_DEG and ankle_off > 0.0 and rel < TURNOUT_DEG
            )
    return out


def foot_line(turn: float | None, standing: float | None) -> float | None:
    """The turn-out of the line a knee is judged against: the foot's standing turn-out
    where it is known, else this reading.  A planted foot does not turn as the knee
    bends (the eye saw at most 5 deg on the shared squats), but its reading does: up to
    26 deg more turned out at a squat's bottom (``core.evidence``), which would put a
    knee over its toes 0.3-0.9 shank lengths "inside" the foot."""
    return standing if standing is not None else turn


def knee_off_foot(b, side: str, turn: float, up: float, shank: float) -> float:
    """The knee's medial offset (levelled pixels) from the vertical plane under the
    ankle at ``turn`` degrees of turn-out: its offset from the ankle plus the way
    forward (the shank's foreshortening against ``up``) times tan(turn)."""
    h, k, a = kp.LEG[side]
    x = b.x
    medial = 1.0 if x[kp.OTHER_HIP[side]] > x[h] else -1.0
    forward = math.sqrt(max(0.0, up * up - shank * shank))
    return (x[k] - x[a]) * medial + forward * math.tan(turn / _DEG)


def _rearfoot(b, side: str, reading: FootReading, medial: float) -> float | None:
    """From behind: the ankle -> heel line against the shank's line carried on down
    (knee -> ankle), + the heel out (everted, the rearfoot's share of pronation).
    The heel's own bisector needs two heel points; BlazePose gives one, at the back
    of the heel, so the ankle -> heel line stands in for it."""
    i = 0 if side == "left" else 1
    heel = reading.points[i]
    if heel[2] < MIN_FOOT_SCORE:
        return None
    _, k, a = kp.LEG[side]
    ux, uy = b.image_x[a] - b.image_x[k], b.image_y[a] - b.image_y[k]
    ax, ay = b.image_x[a] - reading.ankles[i, 0], b.image_y[a] - reading.ankles[i, 1]
    vx, vy = heel[0] + ax - b.image_x[a], heel[1] + ay - b.image_y[a]
    if math.hypot(ux, uy) < 1.0 or math.hypot(vx, vy) < 1.0:
        return None
    cross, dot = ux * vy - uy * vx, ux * vx + uy * vy
    angle = math.atan2(abs(cross), dot) * _DEG
    if angle > 60.0:
        return None  # not a heel below this ankle
    # is the heel lateral of the shank's line?  (lateral = away from the other hip)
    lateral = (vx - ux * (vx * ux + vy * uy) / (ux * ux + uy * uy)) * -medial > 0
    return _r(angle if lateral else -angle, 1)


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits) + 0.0
