"""Is the camera where it can measure knee valgus?  A vote over the last seconds.

Frontal-plane angles mean something only with the camera square to the athlete,
the whole leg in the frame and the athlete large enough that a pixel of keypoint
error is a small angle.  Each frame votes on the six problems below (``turned``'s
vote comes from the scorer); a problem is raised
when most recent frames show it and cleared when few do, so the coach sees a
steady message instead of a flicker.  Problems use a fixed vocabulary:

* ``not_frontal``: (hip width + shoulder width) / torso length is small.  Both
  widths shrink with the cosine of the camera's angle off frontal while the torso
  does not.  MoveNet on shared clips: frontal clips give a per-frame median of
  1.06-1.44 (2-s window medians >= 0.92), the 60-70 deg oblique clip
  (lnc_..._oblique_side_good_IMG_7034) 0.75, a sagittal running clip 0.26.
  Per-frame threshold 0.85: 90-97 % of the oblique clip's frames vote "not
  frontal" in any 2-s window, at most 17 % of a frontal clip's.
* ``too_small``: estimated stature (2.1 x the squat-proof body scale of
  ``metrics.body_scale``) under 30 % of the frame height.  Shared frontal clips
  sit at 0.42-0.91 (5th percentiles >= 0.30 at the bottom of squats).
* ``feet_out_of_view`` / ``hips_out_of_view``: an ankle / hip is below
  ``min_score`` or outside the frame.  (MoveNet places unseen points anyway,
  often at the frame edge.)
* ``turned``: the body is turned more than ``max_turn_deg`` off the camera,
  too little for ``not_frontal`` but enough to move a bent knee's (or a trunk
  bent forward's) angle by an alert's worth.  The vote comes from the scorer (``validity.turn_vote``: both
  knees shifted the same way in a two-footed squat, or the hips narrowed against
  the calibration's), since it needs the athlete's upright references.
* ``not_side``: with the ``view`` setting ``side`` (shin angle, heel lift, the
  ankle test), the same ratio at or above 0.83: the camera is less than 60 deg
  off frontal (``core.ankle`` has the geometry); ``not_frontal`` and ``turned``
  are not voted then.

Nothing is voted while nobody is in view (fewer than five keypoints seen).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from . import keypoints as kp
from .defaults import MIN_SCORE
from .metrics import Body, body_scale, measure

__all__ = ["PROBLEMS", "PlacementParams", "PlacementMonitor", "placement_votes", "body_votes", "frontality"]

NOT_FRONTAL = "not_frontal"
TOO_SMALL = "too_small"
FEET_OUT_OF_VIEW = "feet_out_of_view"
HIPS_OUT_OF_VIEW = "hips_out_of_view"
TURNED = "turned"
NOT_SIDE = "not_side"
PROBLEMS = (NOT_FRONTAL, TOO_SMALL, FEET_OUT_OF_VIEW, HIPS_OUT_OF_VIEW, TURNED, NOT_SIDE)
_N = len(PROBLEMS)
_TURNED_AT = PROBLEMS.index(TURNED)

# Side-on: >= 60 deg off frontal (the geometry is in core.ankle, which reads side views).
SIDE_MAX_FRONTALITY = 0.83
STATURE_PER_SCALE = 2.1  # stature / leg length (1.75 m / 0.85 m)
MIN_KEYPOINTS_FOR_A_PERSON = 5


@dataclass(frozen=True)
class PlacementParams:
    """Thresholds of the per-frame votes and of the time vote."""

    min_frontality: float = 0.85
    min_stature: float = 0.30  # fraction of frame height
    min_score: float = MIN_SCORE
    window_s: float = 2.0
    raise_fraction: float = 0.6  # of the window's votes, to raise a problem
    clear_fraction: float = 0.3  # of the window's votes, to clear it
    min_votes: int = 8  # fewer votes in the window: no opinion (problem cleared; turned kept)
    view: str = "front"  # the ``view`` setting: a side view votes ``not_side`` instead of ``not_frontal``


def placement_votes(
    pose: np.ndarray,
    frame_size: tuple[int, int],
    params: PlacementParams = PlacementParams(),
) -> tuple[bool | None, ...]:
    """This frame's vote on each of PROBLEMS: True (problem), False, or None (no opinion).

    ``frame_size`` is (width, height) in pixels.
    """
    return body_votes(measure(pose, min_score=params.min_score), frame_size, params)


def body_votes(
    body: Body,
    frame_size: tuple[int, int],
    params: PlacementParams = PlacementParams(),
) -> tuple[bool | None, ...]:
    """``placement_votes`` of a pose already measured (with ``params.min_score``);
    the ``turned`` vote is the scorer's (None here)."""
    ok = body.ok
    if sum(ok) < MIN_KEYPOINTS_FOR_A_PERSON:
        return (None,) * _N
    w, h = frame_size

    width = frontality(body)
    frontal = side = None
    if width is not None:
        if params.view == "side":
            side = width >= SIDE_MAX_FRONTALITY
        else:
            frontal = width < params.min_frontality

    scale = body_scale(body)
    small = None if scale is None else STATURE_PER_SCALE * scale < params.min_stature * h

    ix, iy = body.image_x, body.image_y

    def out(a: int, b: int) -> bool:
        for i in (a, b):
            if not (ok[i] and 0.0 <= ix[i] < w and 0.0 <= iy[i] < h):
                return True
        return False

    return (frontal, small, out(kp.L_ANKLE, kp.R_ANKLE), out(kp.L_HIP, kp.R_HIP), None, side)


def frontality(body: Body) -> float | None:
    """(hip width + shoulder width) / torso length: about 1.2 face-on, 0.26 side-on."""
    if not body.torso or body.hip_width is None:
        return None
    x, y = body.x, body.y
    shoulders = math.hypot(x[kp.L_SHOULDER] - x[kp.R_SHOULDER], y[kp.L_SHOULDER] - y[kp.R_SHOULDER])
    return (body.hip_width + shoulders) / body.torso


class PlacementMonitor:
    """Time-voted placement problems, steady over ``window_s`` seconds.

    ``update(pose, t, frame_size)`` returns the current problems as a tuple in
    PROBLEMS order (empty when the placement is fine or nobody is in view);
    ``update_body`` does the same for a pose already measured (the scorer's way),
    with the scorer's ``turned`` vote.
    """

    def __init__(self, params: PlacementParams | None = None) -> None:
        self.params = params or PlacementParams()
        self._votes: deque[tuple[float, tuple[bool | None, ...]]] = deque()
        self.reset()

    def reset(self) -> None:
        """Forget all votes and raised problems."""
        self._votes.clear()
        self._yes = [0] * _N
        self._seen = [0] * _N
        self._raised = [False] * _N
        self._last_t: float | None = None
        self.problems: tuple[str, ...] = ()

    def update(self, pose: np.ndarray, t: float, frame_size: tuple[int, int]) -> tuple[str, ...]:
        return self.update_body(measure(pose, min_score=self.params.min_score), t, frame_size)

    def update_body(
        self, body: Body, t: float, frame_size: tuple[int, int], turned: bool | None = None
    ) -> tuple[str, ...]:
        if self._last_t is not None and t < self._last_t:
            self.reset()  # time ran backwards: a new recording
        self._last_t = t
        votes = body_votes(body, frame_size, self.params)
        if turned is not None and votes[0] is not None:
            votes = (*votes[:4], turned, None)
        self._add(t, votes)
        p = self.params
        for i in range(_N):
            seen = self._seen[i]
            if seen < p.min_votes:
                # A turn is seen only while the knees are bent (or, calibrated, while
                # standing tall); between squats the camera has not moved, so a raised
                # ``turned`` stands until frames show otherwise or nobody is in view.
                if i != _TURNED_AT or not any(self._seen):
                    self._raised[i] = False
                continue
            share = self._yes[i] / seen
            if self._raised[i]:
                self._raised[i] = share > p.clear_fraction
            else:
                self._raised[i] = share >= p.raise_fraction
        self.problems = tuple(name for name, up in zip(PROBLEMS, self._raised) if up)
        return self.problems

    def _add(self, t: float, votes: tuple[bool | None, ...]) -> None:
        self._votes.append((t, votes))
        for i, v in enumerate(votes):
            if v is not None:
                self._seen[i] += 1
                self._yes[i] += v
        horizon = t - self.params.window_s
        while self._votes and self._votes[0][0] <= horizon:
            _, old = self._votes.popleft()
            for i, v in enumerate(old):
                if v is not None:
                    self._seen[i] -= 1
                    self._yes[i] -= v
