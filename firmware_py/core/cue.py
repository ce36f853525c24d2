"""Per-frame cue decision: idle, ok, warn or alert, and why.

A buzzer that beeps on one noisy frame, or chatters while a knee hovers at the
threshold, teaches the athlete to ignore it.  So every condition is a little
state machine with:

* debounce: a value must stay at or past its threshold for ``debounce_ms`` (from
  the first frame past it to the current one) before it raises, so one frame
  never cues whatever the frame rate;
* hysteresis: once raised, it clears only when the value is back
  ``hysteresis_deg`` (angles) or ``hysteresis_ratio`` (ratios) on the good side
  of the threshold, and has stayed there for ``debounce_ms`` too, so one good
  frame does not silence a cue mid-collapse (the sit-to-stand clip reads 13, 13,
  5, 12, 17, 23 degrees as the knee starts to go: the 5 cleared the alert for
  five frames);
* a short hold: a value that goes missing keeps its state for ``HOLD_S`` and
  is then dropped, so a lost keypoint does not toggle the cue; but a knee
  whose leg is no longer loaded and bent (the free foot is down on the other
  side, or the athlete stands up straight) drops its knee cues at once: it is
  not hidden, it is fine.

Reasons (fixed vocabulary) and the level each raises:

=========================  =======  ==========================================
reason                     level    when
=========================  =======  ==========================================
knee_valgus_left/right     warn     FPPA >= fppa_warn (loaded leg only; minus
                                    the calibrated standing FPPA when
                                    fppa_from_baseline is on and calibrated)
knee_valgus_left/right     alert    FPPA >= fppa_alert; or, two-footed, knee/
                                    ankle separation < knee_separation_alert
                                    (raises both sides: the ratio has no side)
knee_inside_foot_l/r       alert    knee_medial >= knee_medial_alert (loaded
                                    leg): the design's "knee inside the foot"
pelvic_drop                warn     pelvic drop >= pelvic_drop_warn (1 leg)
pelvic_drop                alert    pelvic drop >= pelvic_drop_alert
trunk_lean                 alert    |trunk lean| >= trunk_lean_alert
hands_off_hips             warn     single-leg stance, check_hands_on_hips on,
                                    wrists away from hips
balance_lost               warn     the caller says so (free foot touched down
                                    during a single-leg rep)
camera_placement           warn     any placement problem; with ``not_frontal``
                                    or ``turned`` the frontal-plane reasons
                                    above are suppressed (their numbers mean
                                    nothing: a knee or trunk bent forward reads
                                    as sideways)
=========================  =======  ==========================================

The knee reasons are judged on loaded, bent legs only: the stance leg (or both
when two-footed; there ``metrics`` leaves only the separation ratio, since
per-knee angles swing with the smallest turn, docs/judgement.md), and only
while ``flexed`` (the scorer passes "hips sunk
at least 0.04 leg lengths", about 35 deg of knee flexion).  A free leg swinging
behind says nothing about knee control, and a straight leg has no dynamic
valgus: standing in a wide stance puts the knees inside the ankles (0.2 hip
widths in lnc_overhead_squat_frontal_good_IMG_7035) and MoveNet's jitter on a
straight knee reads as +-10 deg of FPPA.  Warn-level reasons are technique or
set-up faults; alert-level ones are the injury-linked knee/pelvis/trunk faults
the device exists to cue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .settings import DEFAULT, Thresholds
from .vocabulary import ALERT, FRONTAL_PLANE_REASONS, LEVELS, OK, REASONS, WARN

__all__ = ["LEVELS", "REASONS", "Cue", "CueTracker"]


HOLD_S = 0.25  # how long a missing value keeps its condition's state
PRESENCE_HOLD_S = 0.5  # how long the athlete may be unseen before the cue goes idle

_OK, _WARN, _ALERT = OK, WARN, ALERT
_LEVEL_NAME = {_OK: "ok", _WARN: "warn", _ALERT: "alert"}


@dataclass(frozen=True)
class Cue:
    """What the athlete should be told: a level and the reasons behind it.

    ``reasons`` lists alert-level reasons first, each group in REASONS order;
    ``levels`` maps each reason to "warn" or "alert".
    """

    level: str
    reasons: tuple[str, ...] = ()
    levels: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "reasons": list(self.reasons), "levels": dict(self.levels)}


IDLE = Cue("idle")
OK = Cue("ok")


class _Condition:
    """One debounced, hysteretic threshold on a value where larger is worse."""

    __slots__ = ("level", "_warn_since", "_alert_since", "_calm_since", "_seen")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.level = _OK
        self._warn_since: float | None = None
        self._alert_since: float | None = None
        self._calm_since: float | None = None  # since when the value has been past the clear line
        self._seen = -1e300

    def update(
        self,
        value: float | None,
        t: float,
        warn: float | None,
        alert: float,
        hysteresis: float,
        debounce: float,
        settle: float,
    ) -> int:
        """This frame's level; ``settle`` is how long the value must stay past the
        clear line before a raised level drops (``debounce``, or 0 right after a
        threshold change: that is the coach's decision, not noise)."""
        if value is None or value != value:
            self._warn_since = self._alert_since = self._calm_since = None
            if t - self._seen > HOLD_S:
                self.level = _OK
            return self.level
        self._seen = t
        # debounce timers: since when has the value been continuously past each line
        if value >= alert:
            if self._alert_since is None:
                self._alert_since = t
        else:
            self._alert_since = None
        if warn is not None and value >= warn:
            if self._warn_since is None:
                self._warn_since = t
        else:
            self._warn_since = None
        # clear with hysteresis, once the value has stayed past the clear line
        if self.level == _ALERT:
            calm = value < alert - hysteresis
        else:
            calm = self.level == _WARN and (warn is None or value < warn - hysteresis)
        if not calm:
            self._calm_since = None
        elif self._calm_since is None:
            self._calm_since = t
        if calm and t - self._calm_since >= settle:
            self._calm_since = None
            # an alert steps down to warn while the value is still at warn level
            still_warn = self.level == _ALERT and warn is not None and value >= warn - hysteresis
            self.level = _WARN if still_warn else _OK
        # raise after debounce
        if self._alert_since is not None and t - self._alert_since >= debounce:
            self.level = _ALERT
        elif (
            self.level < _WARN
            and self._warn_since is not None
            and t - self._warn_since >= debounce
        ):
            self.level = _WARN
        return self.level


def _flag(value: bool | None) -> float | None:
    return None if value is None else (1.0 if value else 0.0)


class CueTracker:
    """Turns each frame's metrics into a Cue, with debounce and hysteresis.

    ``update(metrics, t, present=..., placement=..., balance_lost=..., flexed=...)``:
    ``metrics`` is the dict of ``metrics.compute_metrics`` (its ``stance`` decides
    which knees are loaded), ``t`` the frame time in seconds, ``present`` whether
    a trustworthy athlete is in view, ``placement`` the current placement
    problems, ``balance_lost`` whether the free foot is down mid-rep, ``flexed``
    whether the hips have sunk enough for the knees to be bent (None: assume so).
    ``raw_levels`` holds every condition's level (0 ok, 1 warn, 2 alert);
    ``levels`` the same after placement suppression (what the rep verdicts use).
    """

    def __init__(self, thresholds: Thresholds = DEFAULT) -> None:
        self.thresholds = thresholds
        self._conditions = {name: _Condition() for name in REASONS}
        self._separation = _Condition()
        self._last_present = -1e300
        self._judged_with: Thresholds | None = None  # the thresholds of the last frame
        self.raw_levels: dict[str, int] = {name: _OK for name in REASONS}
        self.levels: dict[str, int] = dict(self.raw_levels)
        self.cue = IDLE

    def reset(self) -> None:
        for c in self._conditions.values():
            c.reset()
        self._separation.reset()
        self._last_present = -1e300
        self._judged_with = None
        self.raw_levels = {name: _OK for name in REASONS}
        self.levels = dict(self.raw_levels)
        self.cue = IDLE

    def update(
        self,
        metrics: dict[str, Any],
        t: float,
        *,
        present: bool = True,
        placement: Iterable[str] = (),
        balance_lost: bool = False,
        flexed: bool | None = None,
    ) -> Cue:
        th = self.thresholds
        debounce = th.debounce_ms / 1000.0
        settle = debounce if th is self._judged_with else 0.0
        self._judged_with = th
        stance = metrics.get("stance")
        self._judge_knees(metrics, t, stance, flexed is None or flexed, debounce, settle)
        self._judge_body(metrics, t, stance, balance_lost, debounce, settle)
        problems = tuple(placement)
        levels = self.raw_levels
        levels["camera_placement"] = _WARN if problems else _OK
        if "not_frontal" in problems or "turned" in problems:
            shown = {r: (_OK if r in FRONTAL_PLANE_REASONS else v) for r, v in levels.items()}
        else:
            shown = levels
        self.levels = shown
        if present:
            self._last_present = t
        if t - self._last_present > PRESENCE_HOLD_S:
            self.cue = IDLE
            return self.cue
        alerts = [r for r in REASONS if shown[r] == _ALERT]
        warns = [r for r in REASONS if shown[r] == _WARN]
        if alerts:
            level = "alert"
        elif warns:
            level = "warn"
        else:
            self.cue = OK
            return self.cue
        reasons = tuple(alerts + warns)
        self.cue = Cue(
            level,
            reasons,
            tuple((r, "alert") for r in alerts) + tuple((r, "warn") for r in warns),
        )
        return self.cue

    def _judge_knees(self, metrics: dict[str, Any], t: float, stance: Any, knees: bool, debounce: float,
                     settle: float) -> None:
        """The knee conditions of the loaded legs (FPPA, knee inside the foot) and the
        two-footed separation ratio, into ``raw_levels``; ``knees``: bent enough to judge."""
        th, c, levels = self.thresholds, self._conditions, self.raw_levels
        deg, ratio = th.hysteresis_deg, th.hysteresis_ratio
        for side in ("left", "right"):
            valgus, inside = c["knee_valgus_" + side], c["knee_inside_foot_" + side]
            # (two-footed, metrics gates the per-knee measures: the separation ratio judges)
            if not (knees and (stance == side or stance == "both")):
                # A leg that is free or straight again has nothing wrong with it: its
                # knee cues drop at once (the hold is for a knee the camera lost).
                # (clear() inlined: this runs for the free leg on every frame)
                if valgus.level or valgus._alert_since is not None or valgus._warn_since is not None:
                    valgus.reset()
                if inside.level or inside._alert_since is not None:
                    inside.reset()
                levels["knee_valgus_" + side] = levels["knee_inside_foot_" + side] = _OK
                continue
            # relative to the standing baseline when asked and calibrated
            value = metrics.get("fppa_rel_" + side) if th.fppa_from_baseline else None
            if value is None:
                value = metrics.get("fppa_" + side)
            levels["knee_valgus_" + side] = valgus.update(
                value, t, th.fppa_warn, th.fppa_alert, deg, debounce, settle
            )
            levels["knee_inside_foot_" + side] = inside.update(
                metrics.get("knee_medial_" + side), t, None, th.knee_medial_alert, ratio, debounce, settle
            )
        if not knees:
            self._separation.reset()
        separation = metrics.get("knee_separation_ratio") if knees else None
        # Narrower is worse: negate so that the larger-is-worse machinery applies.
        sep_level = self._separation.update(
            None if separation is None else -separation,
            t,
            None,
            -th.knee_separation_alert,
            ratio,
            debounce,
            settle,
        )
        if sep_level:
            levels["knee_valgus_left"] = max(levels["knee_valgus_left"], sep_level)
            levels["knee_valgus_right"] = max(levels["knee_valgus_right"], sep_level)

    def _judge_body(self, metrics: dict[str, Any], t: float, stance: Any, balance_lost: bool, debounce: float,
                    settle: float) -> None:
        """Pelvic drop, trunk lean, hands off the hips and lost balance, into ``raw_levels``."""
        th, c, levels = self.thresholds, self._conditions, self.raw_levels
        deg = th.hysteresis_deg
        levels["pelvic_drop"] = c["pelvic_drop"].update(
            metrics.get("pelvic_drop"), t, th.pelvic_drop_warn, th.pelvic_drop_alert, deg, debounce, settle
        )
        lean = metrics.get("trunk_lean")
        levels["trunk_lean"] = c["trunk_lean"].update(
            None if lean is None else abs(lean), t, None, th.trunk_lean_alert, deg, debounce, settle
        )
        hands = metrics.get("hands_on_hips")
        judged = th.check_hands_on_hips and stance in ("left", "right") and hands is not None
        levels["hands_off_hips"] = _WARN * (
            c["hands_off_hips"].update(
                _flag(not hands) if judged else None, t, None, 0.5, 0.0, debounce, settle
            )
            > _OK
        )
        levels["balance_lost"] = _WARN * bool(balance_lost)
