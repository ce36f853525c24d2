"""Squat rep segmentation and the per-rep single-leg squat test verdict.

A rep is read from the height of the hip midpoint above the floor ankle (the
stance ankle in single-leg stance, the lower ankle otherwise), in leg lengths.
Measuring from the ankle, not from the image, keeps the signal still when the
athlete drifts around the frame (the pistol-squat clip wanders by a third of a
leg length between reps).  Two references are tracked while no rep is under way
and frozen during one: the standing hip height in pixels (jumps up at once,
relaxes down with a 2 s time constant) and the leg-length scale (a 2 s average;
a deep squat foreshortens the leg).  A calibration, when given, seeds both.
Depth is (standing height - median of the last three heights) / scale, so a
scale error only stretches depth and never shifts its zero.  Hysteresis and
minimums keep noise out:

* a rep starts when depth passes ``start_depth`` and ends when it is back within
  ``end_depth`` of standing, or within ``end_fraction`` of the rep's own depth
  (a deep rep whose athlete does not quite straighten still ends);
* it counts only if it went at least ``min_depth`` deep (Thresholds.rep_min_depth)
  and lasted ``min_duration_s``; shallower dips and twitches are dropped;
* a "rep" that is not ``min_depth`` deep after ``max_descent_s`` is a slow sag
  and is dropped; a shallow one during which a foot is lifted, or the other
  foot taken, restarts at that frame (what came before was getting into
  single-leg stance);
* after a rep ends (or is dropped) the next starts only once depth has been
  back within ``start_depth`` of standing: a deep rep ends a little short of
  standing (``end_fraction``), and an athlete who changes legs from there
  without straightening (the woman clip, frames 319-400) is not squatting;
* no rep starts until the athlete has been watched for ``warmup_s``: a clip
  that opens mid-squat (or an athlete who walks in crouched) has no standing
  reference yet, and rising from that squat is not a rep.  Heights measured
  over different floor ankles do not compare, so outside a rep a change of
  floor ankle (stance) re-seeds the standing reference and the warm-up.

The working leg is the stance held at the bottom of the rep (frames at least
``bottom_fraction`` of its depth): in a pistol squat the free leg reaches
forward and only clearly leaves the floor in the image near the bottom.

Phases: ``standing``, ``down`` (until depth has come back ``bottom_margin`` from
its deepest point), ``up``.

Verdict (single-leg squat test, Ugalde et al. 2015): a rep fails on any of

* ``knee_inward``: the knee-valgus or knee-inside-foot cue of a working leg
  reached alert level (FPPA >= fppa_alert or knee_medial >= knee_medial_alert,
  held for the debounce time) during the rep;
* ``hands_off_hips``: the hands-off-hips cue was raised (single-leg reps with
  check_hands_on_hips on);
* ``trunk_sway``: the trunk-lean cue was raised (|lean| >= trunk_lean_alert);
* ``balance_lost``: in a single-leg rep the stance left the working leg (free
  foot down) or the athlete was lost for more than ``lost_s``.

Criteria use the debounced cue states rather than raw peaks, so the verdict
agrees with what the athlete was (or would have been) shown and one noisy frame
cannot fail a rep.  The raw peaks are recorded too.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .evidence import RepEvidence
from .metrictable import BY_NAME, COMPARED_PEAKS, SIDES, TWO_FOOTED_PEAKS
from .placement import PROBLEMS
from .rep import Peak, Rep, new_peaks, offer_all, working_value
from .vocabulary import ALERT as _ALERT, CRITERIA

__all__ = ["RepParams", "Peak", "Rep", "RepCounter", "CRITERIA", "working_value"]  # Peak, Rep: core.rep



@dataclass(frozen=True)
class RepParams:
    """Depths in leg lengths, times in seconds."""

    start_depth: float = 0.04
    end_depth: float = 0.02
    end_fraction: float = 0.15
    min_depth: float = 0.15
    bottom_margin: float = 0.02
    min_duration_s: float = 0.4
    max_descent_s: float = 2.0  # a "rep" not min_depth deep by then is a sag: dropped
    max_duration_s: float = 15.0
    lost_s: float = 0.5
    relax_s: float = 2.0  # time constant of the standing references relaxing down
    warmup_s: float = 0.5  # watch the athlete this long before a rep may start
    bottom_fraction: float = 0.7  # the working leg is read where depth >= this x the rep's depth

    def __post_init__(self) -> None:
        if not 0 <= self.end_depth < self.start_depth <= self.min_depth:
            raise ValueError("need 0 <= end_depth < start_depth <= min_depth")


_COMPARED = frozenset(COMPARED_PEAKS)
_SIDED = {k: k.rsplit("_", 1)[1] for m in BY_NAME.values() if m.sided for k in m.keys}  # key -> its leg


@dataclass
class _Ongoing:
    """A rep under way: where it started, its deepest point, what happened."""

    start_frame: int
    start_t: float
    depth: float = -1.0
    bottom_frame: int = 0
    bottom_t: float = 0.0
    stance_seq: list[str] = field(default_factory=list)  # stances in order, no repeats
    depth_stance: list[tuple[float, str]] = field(default_factory=list)
    peaks: dict[str, Peak] = field(default_factory=new_peaks)
    foot_frames: dict[str, int] = field(default_factory=lambda: {"left": 0, "right": 0})
    pronation_frames: dict[str, int] = field(default_factory=lambda: {"left": 0, "right": 0})
    readings: RepEvidence = field(default_factory=RepEvidence)  # what an explanation reads
    knee_alert: dict[str, bool] = field(default_factory=lambda: {"left": False, "right": False})
    hands_off: bool = False
    trunk_sway: bool = False
    lost: bool = False
    placement: set[str] = field(default_factory=set)  # camera placement problems raised meanwhile
    gated: dict[str, dict[str, int]] = field(default_factory=dict)  # compared peak key -> reason -> frames


class RepCounter:
    """Segments squat reps from per-frame hip height; scores each with the SLS test.

    ``update(frame, t, hip_height, scale, stance, metrics, cue_levels)`` takes the
    hip midpoint's height above the floor ankle (``metrics.hip_height``) and the
    body scale (``metrics.body_scale``), both in pixels and None when unseen, the
    tracked stance, the metric dict and the cue's raw per-reason levels
    (``CueTracker.levels``); it returns the Rep completed on this frame, if
    any.  ``phase`` and ``depth`` describe the current frame.  ``reps`` holds
    the completed reps, oldest first: all of them, or with ``keep`` the last
    ``keep`` (a device scores for days; ``count`` goes on numbering).
    """

    def __init__(
        self,
        params: RepParams | None = None,
        *,
        standing_height_px: float | None = None,
        leg_length_px: float | None = None,
        check_hands: bool = True,
        keep: int | None = None,
    ) -> None:
        self.params = params or RepParams()
        self._seed_height = standing_height_px
        self._seed_scale = leg_length_px
        self.check_hands = check_hands
        self.criteria: tuple[str, ...] = CRITERIA  # what a rep may fail on (the drill's)
        self.counting = True  # the drill counts reps (a hop's dip or a stride is none)
        self.placement: tuple[str, ...] = ()  # this frame's camera placement problems (set by the scorer)
        self.reps: deque[Rep] = deque(maxlen=keep)
        self.reset()

    def reset(self) -> None:
        """Forget the standing references, the rep under way and all reps."""
        self.reps.clear()
        self.count = 0  # reps completed, including those no longer kept
        self.phase = "standing"
        self.depth = 0.0
        self._ref: float | None = self._seed_height
        self._scale: float | None = self._seed_scale
        self._last_t: float | None = None
        self._last_seen: float | None = None
        self._seen_since: float | None = None
        self._floor: str | None = None  # which ankle heights are measured over
        self._recent: list[float] = []
        self._rep: _Ongoing | None = None
        self._armed = True  # back near standing since the last rep ended

    def update(
        self,
        frame: int,
        t: float,
        hip_height: float | None,
        scale: float | None,
        stance: str,
        metrics: dict[str, Any],
        cue_levels: dict[str, int],
    ) -> Rep | None:
        p = self.params
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        if hip_height is None or scale is None or not scale > 0:
            if self._last_seen is not None and t - self._last_seen > p.lost_s:
                self._seen_since = None  # gone: watch afresh when back
                if self._rep is not None:
                    self._rep.lost = True
            return None
        height = self._steady_height(hip_height, stance, t)
        rep = self._rep
        if (rep is not None and stance in ("left", "right") and rep.stance_seq[-1] != stance
                and rep.depth < p.min_depth):
            # A foot lifted, or the other foot taken, mid-"rep" before it was a
            # squat: what came before was getting ready (the woman clip switches
            # from the right leg to the left through a half-straightened stance
            # that never quite reaches standing).  Start the rep afresh from here
            # (same standing height).
            self._abandon()
            rep = None
        depth = self.depth = self._depth(height, scale, dt, following=rep is None)

        if rep is None:
            if depth <= p.start_depth:
                self._armed = True
                return None
            if not self._armed or t - self._seen_since < p.warmup_s:
                return None
            rep = self._begin(frame, t)
        self._observe(rep, frame, t, depth, stance, metrics, cue_levels)
        if self.phase == "down" and depth < rep.depth - p.bottom_margin:
            self.phase = "up"
        elapsed = t - rep.start_t
        if elapsed > p.max_duration_s or (rep.depth < p.min_depth and elapsed > p.max_descent_s):
            self._abandon(wait_for_standing=True)  # a slow sag or a sit-down, not a squat
            return None
        if depth < max(p.end_depth, p.end_fraction * rep.depth):
            self._abandon(wait_for_standing=True)
            if rep.depth >= p.min_depth and elapsed >= p.min_duration_s and self.counting:
                return self._finish(rep, frame, t)
        return None

    def _steady_height(self, hip_height: float, stance: str, t: float) -> float:
        """The hip height to read depth from: the median of the last three (one glitched
        ankle is not a rep).  A new floor ankle outside a rep, or the athlete back after
        being lost, restarts the watch (and the standing reference)."""
        floor = stance if stance in ("left", "right") else "lower"
        if self._seen_since is None or (self._rep is None and floor != self._floor and self._floor is not None):
            self._seen_since = t
            self._recent.clear()
            if self._floor is not None:
                self._ref = None  # re-seeded from this frame
        self._floor = floor
        self._last_seen = t
        recent = self._recent
        recent.append(hip_height)
        if len(recent) > 3:
            del recent[0]
        return sorted(recent)[len(recent) // 2]

    def _depth(self, height: float, scale: float, dt: float, *, following: bool) -> float:
        """Depth in leg lengths below standing; ``following`` (no rep under way): the
        standing height and the scale follow this frame, else they stay frozen."""
        relax = min(1.0, dt / self.params.relax_s)
        if self._scale is None:
            self._scale = scale
        elif following:
            self._scale += (scale - self._scale) * relax
        if self._ref is None:
            self._ref = height
        elif following:
            self._ref = max(height, self._ref + (height - self._ref) * relax)
        return (self._ref - height) / self._scale

    def standing(self, t: float) -> bool:
        """Standing between reps: no rep under way, back near standing since the last,
        and watched long enough that the standing height is known (``warmup_s``)."""
        return (self._rep is None and self._armed and self.depth <= self.params.start_depth
                and self._seen_since is not None and t - self._seen_since >= self.params.warmup_s)

    @property
    def bottom_frame(self) -> int | None:
        """The deepest frame so far of the rep under way, once it is deep enough to
        count (None otherwise)."""
        rep = self._rep
        return None if rep is None or rep.depth < self.params.min_depth else rep.bottom_frame

    def _abandon(self, *, wait_for_standing: bool = False) -> None:
        """No rep under way; with ``wait_for_standing`` the next starts only from standing."""
        self._rep, self.phase = None, "standing"
        if wait_for_standing:
            self._armed = False

    def _begin(self, frame: int, t: float) -> _Ongoing:
        self.phase = "down"
        self._rep = _Ongoing(start_frame=frame, start_t=t, bottom_frame=frame, bottom_t=t)
        return self._rep

    def _observe(
        self,
        rep: _Ongoing,
        frame: int,
        t: float,
        depth: float,
        stance: str,
        metrics: dict[str, Any],
        cue_levels: dict[str, int],
    ) -> None:
        if depth > rep.depth:
            rep.depth, rep.bottom_frame, rep.bottom_t = depth, frame, t
        rep.depth_stance.append((depth, stance))
        if not rep.stance_seq or rep.stance_seq[-1] != stance:
            rep.stance_seq.append(stance)
        offer_all(rep.peaks, metrics, frame, t)
        rep.readings.add(depth, metrics)
        rep.placement.update(self.placement)
        for k, reason in (metrics.get("gated") or {}).items():  # why each compared metric was not read
            if k in _COMPARED and metrics.get(k) is None:
                counts = rep.gated.setdefault(k, {})
                counts[reason] = counts.get(reason, 0) + 1
        if "foot_ref_left" in metrics:  # a foot stage is running
            for side in SIDES:
                suspected = metrics["pronation_suspected_" + side]
                if suspected is not None:
                    rep.foot_frames[side] += 1
                    rep.pronation_frames[side] += suspected
        for side in ("left", "right"):
            if stance in (side, "both") and (
                cue_levels.get("knee_valgus_" + side, 0) >= _ALERT
                or cue_levels.get("knee_inside_foot_" + side, 0) >= _ALERT
            ):
                rep.knee_alert[side] = True
        if cue_levels.get("hands_off_hips", 0):
            rep.hands_off = True
        if cue_levels.get("trunk_lean", 0):
            rep.trunk_sway = True

    def _finish(self, rep: _Ongoing, frame: int, t: float) -> Rep:
        leg = self._working_leg(rep)
        legs = ("left", "right") if leg == "both" else (leg,)
        failed = []
        if any(rep.knee_alert[s] for s in legs):
            failed.append("knee_inward")
        if self.check_hands and leg != "both" and rep.hands_off:
            failed.append("hands_off_hips")
        if rep.trunk_sway:
            failed.append("trunk_sway")
        if rep.lost or (leg != "both" and any(s != leg for s in rep.stance_seq[1:])):
            failed.append("balance_lost")
        failed = [c for c in failed if c in self.criteria]
        # a per-leg peak is kept for the working leg(s) only: a free leg's says nothing; a
        # two-footed measure only for a rep on both feet (a single-leg rep is not judged by it)
        peaks = {k: (p if _SIDED.get(k, legs[0]) in legs and (leg == "both" or k not in TWO_FOOTED_PEAKS)
                     else Peak()) for k, p in rep.peaks.items()}
        result = Rep(
            index=self.count,
            leg=leg,
            start_frame=rep.start_frame,
            start_t=rep.start_t,
            bottom_frame=rep.bottom_frame,
            bottom_t=rep.bottom_t,
            end_frame=frame,
            end_t=t,
            depth=rep.depth,
            peaks=peaks,
            failed=tuple(failed),
            foot_frames={s: rep.foot_frames[s] for s in legs},
            pronation_frames={s: rep.pronation_frames[s] for s in legs},
            bottom=rep.readings.summary(rep.depth, self.params.bottom_fraction),
            placement=tuple(p for p in PROBLEMS if p in rep.placement),
            gated={k: max(c, key=c.get) for k, c in rep.gated.items() if peaks[k].value is None},
        )
        self.reps.append(result)
        self.count += 1
        return result

    def _working_leg(self, rep: _Ongoing) -> str:
        """The single leg held through the bottom of the rep, else "both".

        A foot touching down at the bottom (balance lost) does not make a
        single-leg rep two-footed: one leg counts if it carried at least a fifth
        of the bottom frames.
        """
        floor = self.params.bottom_fraction * rep.depth
        bottom = [s for d, s in rep.depth_stance if d >= floor] or [
            s for _, s in rep.depth_stance]
        left, right = bottom.count("left"), bottom.count("right")
        if max(left, right) >= 0.2 * len(bottom):
            return "left" if left >= right else "right"
        return "both"

    @property
    def balance_lost_now(self) -> bool:
        """A single-leg rep is under way and the free foot is down (or the athlete lost)."""
        rep = self._rep
        if rep is None:
            return False
        if rep.lost:
            return True
        seq = rep.stance_seq
        return len(seq) > 1 and seq[0] in ("left", "right") and seq[-1] != seq[0]
