"""Which foot carries the body, decided without flicker.

Stance decides which leg is judged, whether pelvic drop means anything and which
way trunk lean is signed, so it must not flip on a noisy frame in the middle of a
rep.  Two mechanisms stop that:

* hysteresis: single-leg stance starts once ``metrics.stance_signal`` (free ankle
  raised, plus centre of mass over the stance ankle and away from the free one,
  in leg lengths) passes ``enter``, and ends only when it falls back within
  ``exit`` (a Schmitt trigger);
* dwell: a new stance is adopted only after the trigger has shown it continuously
  for ``dwell_s`` seconds;
* hold: a frame with nothing to measure (an ankle below ``min_score``) leaves the
  trigger where it was for ``hold_s``.  In a pistol squat the free foot reaching
  toward the camera drops out for a frame every few frames at the bottom
  (sqd_single_leg_squat_pistol_good_and_bad_frontal.mp4, frames 257-269 show the
  left leg with two such gaps); restarting the dwell on each gap kept the stance
  at ``both`` through the whole bottom of that rep.

Leg length scales the signal, so the rule does not depend on how far the
athlete stands from the camera.  Defaults (enter 0.22, exit 0.12, dwell 150 ms)
come from MoveNet on the shared clips (smoothed poses): two-footed squats
(lnc_*_frontal) stay within |signal| <= 0.14 (95th percentile 0.11); single-leg
clips have medians 0.24-0.51 (dance, man, woman, lateral reach, sit-to-stand,
pistols).  The slightly oblique 5-fps band-squat clip reaches 0.23 and is
called single-leg for about 2 s: a known false positive.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import keypoints as kp
from .body import Body, body_scale
from .defaults import STANCE_DWELL_S, STANCE_ENTER, STANCE_EXIT
from .settings import DEFAULT, Thresholds

__all__ = ["StanceParams", "StanceTracker", "instant_stance", "stance_signal"]


# Lateral (centre-of-mass) stance evidence, in leg lengths, that starts to / fully
# overrides contrary ankle height (see stance_signal).
LATERAL_OVERRIDES_HEIGHT = (0.1, 0.2)


def stance_signal(b: Body) -> float | None:
    """Evidence, in leg lengths, that the LEFT foot carries the body (+) or the right (-).

    Two signs of single-leg stance are added: the free ankle rises above the
    stance ankle, and the body's centre of mass (halfway between the hip and
    shoulder midpoints) sits over the stance ankle while the free one is away
    from it.  Height alone fails in a pistol squat: a free leg reaching forward
    toward the camera puts its ankle *lower* in the image than the stance ankle
    (seen in sqd_single_leg_squat_pistol_good_and_bad_frontal.mp4), while
    balance still puts the centre of mass over the stance foot, so when the two
    disagree the lateral evidence wins.  Near zero with both feet down.  None
    when either ankle, either hip or the scale is missing.
    """
    scale = body_scale(b)
    if scale is None or not (b.ok[kp.L_ANKLE] and b.ok[kp.R_ANKLE]) or not b.hip_width:
        return None
    x = b.x
    com = b.hip_mid()[0]
    if b.torso:
        com = 0.5 * com + 0.25 * (x[kp.L_SHOULDER] + x[kp.R_SHOULDER])
    height = (b.y[kp.L_ANKLE] - b.y[kp.R_ANKLE]) / scale  # right foot higher: +
    lateral = (abs(x[kp.R_ANKLE] - com) - abs(x[kp.L_ANKLE] - com)) / scale  # right further: +
    if height * lateral < 0.0:
        # The higher foot is the one under the body.  Either a free foot reaches
        # forward and shows low in the image (pistol: lateral 0.15-0.3), or a free
        # foot is tucked up near the midline (dance clip: raised 0.5-0.65, lateral
        # within 0.12).  Clear balance evidence wins; weak balance evidence defers
        # to height; in between, blend (no jump for the trigger to chatter on).
        low, high = LATERAL_OVERRIDES_HEIGHT
        height *= min(1.0, max(0.0, (high - abs(lateral)) / (high - low)))
    return height + lateral


def instant_stance(b: Body, enter: float) -> str:
    """Stance from this pose alone: single-leg when ``stance_signal`` passes
    ``enter`` either way, else ``both``; ``none`` when it cannot be measured.
    The tracker in ``stance`` adds hysteresis and dwell.
    """
    z = stance_signal(b)
    if z is None:
        return "none"
    if z > enter:
        return "left"
    if z < -enter:
        return "right"
    return "both"

@dataclass(frozen=True)
class StanceParams:
    """Stance-signal thresholds (leg lengths) and the dwell time (seconds)."""

    enter: float = STANCE_ENTER
    exit: float = STANCE_EXIT
    dwell_s: float = STANCE_DWELL_S
    hold_s: float = 0.2  # unmeasurable frames this long leave the trigger as it was

    def __post_init__(self) -> None:
        if not 0.0 <= self.exit <= self.enter:
            raise ValueError(f"need 0 <= exit ({self.exit}) <= enter ({self.enter})")
        if self.dwell_s < 0 or self.hold_s < 0:
            raise ValueError(f"dwell_s and hold_s must be >= 0, got {self.dwell_s}, {self.hold_s}")

    @classmethod
    def from_thresholds(cls, t: Thresholds = DEFAULT) -> StanceParams:
        return cls(enter=t.stance_enter, exit=t.stance_exit, dwell_s=t.stance_dwell_ms / 1000.0)


class StanceTracker:
    """Debounced stance: ``"left"``, ``"right"``, ``"both"`` or ``"none"``.

    Feed it ``metrics.stance_signal`` (``update``) or a measured body
    (``update_body``) with the frame time in seconds; read ``stance``.  ``none``
    (nothing measurable) is taken by the trigger only after ``hold_s`` without a
    measurement and is then subject to the same dwell, so a lost frame neither
    ends a single-leg stance nor restarts the dwell toward one.
    """

    def __init__(self, params: StanceParams | None = None) -> None:
        self.params = params or StanceParams()
        self.reset()

    def reset(self) -> None:
        """Back to ``none``, as if nobody had been seen."""
        self.stance = "none"
        self.signal: float | None = None  # the last frame's stance_signal (None: not measurable)
        self._trigger = "none"  # what the Schmitt trigger says this frame
        self._since = 0.0  # when the trigger last changed
        self._measured = -1e300  # when the signal was last measurable

    def update(self, signal: float | None, t: float) -> str:
        """Take one frame's ``stance_signal`` (None: unmeasurable); return the stance."""
        self.signal = None if signal is None or signal != signal else signal
        if signal is None or signal != signal:  # None or NaN
            trigger = "none" if t - self._measured > self.params.hold_s else self._trigger
        else:
            self._measured = t
            trigger = self._schmitt(signal)
        if trigger != self._trigger:
            self._trigger = trigger
            self._since = t
        if self._trigger != self.stance and t - self._since >= self.params.dwell_s:
            self.stance = self._trigger
        return self.stance

    def update_body(self, body: Body, t: float) -> str:
        """``update`` from a measured (levelled, gated) body."""
        return self.update(stance_signal(body), t)

    def _schmitt(self, z: float) -> str:
        p, state = self.params, self._trigger
        # Stay on one leg until the signal is back within ``exit``.
        if state == "left" and z > p.exit:
            return "left"
        if state == "right" and -z > p.exit:
            return "right"
        if z > p.enter:
            return "left"
        if -z > p.enter:
            return "right"
        return "both"
