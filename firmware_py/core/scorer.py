"""The whole scoring pipeline for one athlete: pose in, what to show out.

smoothing -> metrics -> stance -> placement -> cue -> reps and steps -> the drill,
wired once so the device, ``kneecue analyze`` and the tests all run the same thing.
The drill (``core.drills``: set, or recognised with ``auto``) decides what is shown
and what a unit of work fails on; nothing here names one.  Time comes in with every
frame; nothing here reads a clock.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import deque
from typing import Any, NamedTuple

import numpy as np

from . import keypoints as kp
from .ankle import HeelLift, side_metrics
from .burst import LandingFrames
from .calibration import Calibration
from .cue import Cue, CueTracker
from .drills import Decision, Drill
from .drills.judge import DrillJudge
from .faults import fault_pattern
from .feet import TURNOUT_UNCERTAINTY_DEG, FootReading, PlantedFeet, foot_line, foot_metrics, knee_off_foot
from .landing import Landing
from .metrics import body_scale, hip_height, measure_flat, metrics_from_body
from .placement import PlacementMonitor, PlacementParams
from .rep import summarise
from .reps import Rep, RepCounter, RepParams
from .running import Step
from .settings import DEFAULT, FeedbackMode, Thresholds
from .smoothing import PoseSmoother, SmoothingParams
from .stance import StanceParams, StanceTracker
from .validity import FRONTAL_PLANE, SIDE_VIEW, UprightLengths, follow_upright, turn_vote

__all__ = ["FrameScore", "Scorer"]

# The keypoints the metrics read (shoulders to ankles); the face only counts as seen.
_SCORED_POINTS = range(kp.L_SHOULDER, kp.COUNT)
_NO_UPRIGHT = UprightLengths()
STANDING_READINGS = 15  # foot readings whose median is a foot's standing turn-out
# Thigh over shank in the image at or above this: the knees straight.  Thigh and shank
# are about equally long (Winter, Biomechanics and Motor Control of Human Movement:
# 0.245 and 0.246 of height); MoveNet reads 1.0-1.1 standing on the shared clips.
STRAIGHT_THIGH = 0.85


class FrameScore(NamedTuple):
    """Everything the scorer decided about one frame.

    ``cue`` is the judgement of this frame whatever the feedback mode; what the
    athlete is shown (which depends on the mode) is decided from it and ``rep``,
    the rep completed on this frame if any, by ``patterns.PatternSelector``.
    A NamedTuple, not a frozen dataclass: one is made every frame, and a frozen
    dataclass's ``__init__`` costs three times as much.
    """

    frame_index: int
    t: float
    metrics: dict[str, Any]
    cue: Cue
    rep: Rep | None
    placement: tuple[str, ...]
    phase: str
    step: Step | None = None  # the running step completed on this frame, if any
    drill: str = "sls"  # the drill judged on this frame ("auto": not recognised yet)
    decided: Decision | None = None  # why ``auto`` judges that drill (None: set, or not recognised)
    landing: Landing | None = None  # the landing judged on this frame (its balance window closed), if any

    @property
    def unit(self) -> Rep | Step | Landing | None:
        """The unit of work (a rep, a step or a landing) completed on this frame, if any."""
        return self.rep if self.rep is not None else self.step if self.step is not None else self.landing

    def to_dict(self) -> dict[str, Any]:
        return {
            "frame": self.frame_index,
            "t": self.t,
            "metrics": dict(self.metrics),
            "cue": self.cue.to_dict(),
            "rep": None if self.rep is None else self.rep.to_dict(),
            "step": None if self.step is None else self.step.to_dict(),
            "landing": None if self.landing is None else self.landing.to_dict(),
            "drill": self.drill,
            "decided": None if self.decided is None else self.decided.to_dict(),
            "placement": list(self.placement),
            "phase": self.phase,
        }


class Scorer:
    """Scores a stream of poses of one athlete.

    ``update(pose, frame_index, t, frame_size)`` with a (17, 3) pose in source
    pixels, the frame's index and time in seconds, and (width, height); returns a
    FrameScore.  ``summary()`` totals the reps so far; ``reset()`` starts over
    (keeping thresholds, mode and calibration).

    ``keep_reps`` bounds how many completed reps are kept for ``reps`` and
    ``summary()`` (the last ones; None keeps all, as for a clip): a device that
    scores for days must not keep every rep it ever counted.

    ``still=True`` scores photos: a photo has no time to debounce over and no
    standing reference to measure knee bend against, so conditions raise at once
    and every loaded knee is judged.
    """

    def __init__(
        self,
        thresholds: Thresholds = DEFAULT,
        mode: FeedbackMode | str = FeedbackMode.CONCURRENT,
        calibration: Calibration | None = None,
        *,
        smoothing: SmoothingParams | None = None,
        placement: PlacementParams | None = None,
        reps: RepParams | None = None,
        still: bool = False,
        keep_reps: int | None = None,
    ) -> None:
        self._smoothing_params = smoothing
        self._placement_params = placement
        self._rep_params = reps
        self._keep_reps = keep_reps
        self.still = still
        self.feet_enabled = False  # set by a pipeline with a foot stage: foot metrics every frame
        self.mode = FeedbackMode.parse(mode)
        self.calibration = calibration
        self._build(thresholds)

    def _build(self, thresholds: Thresholds) -> None:
        """Fresh trackers (no history), configured for ``thresholds``."""
        cal = self.calibration
        self._smoother = PoseSmoother(points=_SCORED_POINTS)
        self._stance = StanceTracker()
        self._placement = PlacementMonitor()
        self._cue = CueTracker()
        self._upright = UprightLengths(None if cal is None else cal.leg_length_px,
                                      None if cal is None else cal.torso_length_px)
        self._turnout_base: dict[str, float | None] = {"left": None, "right": None}
        self._standing_turns: dict[str, deque[float]] = {s: deque(maxlen=STANDING_READINGS) for s in ("left", "right")}
        self._heel_lift = {"left": HeelLift(), "right": HeelLift()}  # side view
        self._planted = PlantedFeet()
        self._feet_frame: int | None = None  # the foot reading last taken
        self._shank_up: dict[str, float | None] = {"left": None, "right": None}  # upright, pixels
        self._shank_t: float | None = None
        self._frontal_widths = (
            cal.hip_width_px / cal.torso_length_px
            if cal is not None and cal.hip_width_px and cal.torso_length_px
            else None
        )
        self._reps = RepCounter(
            standing_height_px=None if cal is None else cal.hip_height_px,
            leg_length_px=None if cal is None else cal.leg_length_px,
            keep=self._keep_reps,
        )
        self._drills = DrillJudge()
        self._configure(thresholds)

    def _configure(self, thresholds: Thresholds) -> None:
        """Point every tracker at ``thresholds``; their state (filters, timers, the
        rep under way) carries on, since each reads its parameters per frame."""
        self.thresholds = thresholds
        timed = thresholds
        if self.still:  # nothing to wait out in a photo
            timed = thresholds.with_value("debounce_ms", 0).with_value("stance_dwell_ms", 0)
        self._smoother.params = self._smoothing_params or SmoothingParams(
            min_score=thresholds.min_score
        )
        self._stance.params = StanceParams.from_thresholds(timed)
        self._placement.params = dataclasses.replace(
            self._placement_params or PlacementParams(min_score=thresholds.min_score), view=thresholds.view
        )
        self._cue.thresholds = timed
        base = self._rep_params or RepParams()
        start = min(base.start_depth, thresholds.rep_min_depth)
        self._reps.params = dataclasses.replace(
            base,
            start_depth=start,
            end_depth=min(base.end_depth, 0.5 * start),
            min_depth=thresholds.rep_min_depth,
        )
        self._reps.check_hands = thresholds.check_hands_on_hips
        self._drills.configure(thresholds)

    @property
    def drill(self) -> Drill:
        """The drill judged now: the one set, or the one ``auto`` recognised (``UNDECIDED``
        until it has)."""
        return self._drills.drill

    @property
    def decision(self) -> Decision | None:
        """What ``auto`` decided, from what and how sure (None: not yet, or a drill is set)."""
        return self._drills.decision

    # -- settings ---------------------------------------------------------------

    def set_thresholds(self, thresholds: Thresholds) -> None:
        """Use new thresholds from the next frame on.  Nothing is forgotten: the
        filters, cue timers and the rep under way carry on under the new numbers."""
        self._configure(thresholds)

    def set_mode(self, mode: FeedbackMode | str) -> None:
        self.mode = FeedbackMode.parse(mode)

    def set_calibration(self, calibration: Calibration | None) -> None:
        """Use a new calibration (or none).  Its standing references re-seed the
        trackers, so they start afresh; completed reps are kept."""
        self.calibration = calibration
        reps, count = self._reps.reps, self._reps.count
        self._build(self.thresholds)
        self._reps.reps.extend(reps)
        self._reps.count = count

    def reset(self) -> None:
        """Forget everything about the athlete: filters, stance, reps."""
        self._build(self.thresholds)

    # -- the pipeline -----------------------------------------------------------

    def update(
        self,
        pose: np.ndarray,
        frame_index: int,
        t: float,
        frame_size: tuple[int, int],
        feet: FootReading | None = None,
    ) -> FrameScore:
        th = self.thresholds
        cal = self.calibration
        flat = kp.flat(pose)  # plain floats from here on
        self._smoother.smooth(flat, t)
        body = measure_flat(flat, roll_deg=0.0 if cal is None else cal.roll_deg, min_score=th.min_score)
        stance = self._stance.update_body(body, t)
        reps = self._reps
        upright = not self.still and reps.depth < reps.params.start_depth
        lengths = self._upright
        lengths.update(body, t, upright)
        # a photo has no upright frames: each shank stands in for its thigh
        metrics = metrics_from_body(body, thresholds=th, calibration=cal, stance=stance,
                                    lengths=_NO_UPRIGHT if self.still else lengths)
        side = th.view == "side"
        if side:
            self._side_view(metrics, pose, feet, t)
        elif self.feet_enabled:
            self._add_feet(metrics, body, feet, t, upright, stance == "both" and reps.standing(t),
                           th.knee_over_toe_trigger)
        turned = None  # (turn_vote's own early answers, without the call on most frames)
        if not side and ((upright and self._frontal_widths) or (not upright and stance == "both")):
            turned = turn_vote(body, stance, lengths, th.max_turn_deg, upright=upright,
                               frontal_widths=self._frontal_widths)
        problems = self._placement.update_body(body, t, frame_size, turned)
        # Someone is there: torso and hips seen, and legs too (a trusted chain, or
        # both ankles while a deep squat foreshortens the thighs past the gate).
        present = self._smoother.reset_reason != "lost" and (
            body.any_leg or (body.ok[kp.L_ANKLE] and body.ok[kp.R_ANKLE])
        )
        cue = self._cue.update(metrics, t, present=present, placement=problems,
                               balance_lost=reps.balance_lost_now, flexed=None if self.still else not upright)
        step, landing = self._drills.observe(body, frame_index, t, stance, reps.depth, signal=self._stance.signal,
                                             frontal=not side and "not_frontal" not in problems, metrics=metrics)
        drill = self._drills.drill
        reps.criteria, reps.counting, reps.placement = drill.criteria, drill.unit == "rep", problems
        rep = reps.update(frame_index, t, hip_height(body, stance), body_scale(body), stance, metrics,
                          self._cue.levels)
        self._drills.saw_rep(rep, t)
        cue, step, landing = self._drills.shown(drill, cue, step, t, present=present, keep=self._keep_reps,
                                                placement_warn=bool(self._cue.levels.get("camera_placement")),
                                                landing=landing)
        rep = rep if drill.unit == "rep" else None
        if rep is not None and rep.failed:
            rep.pattern, rep.evidence = fault_pattern(rep, th, self._turnout_base)
        return FrameScore(frame_index, t, metrics, cue, rep, problems, self._reps.phase, step, drill.name,
                          self._drills.decision, landing)

    def _side_view(self, metrics: dict[str, Any], pose: np.ndarray, feet: FootReading | None, t: float) -> None:
        """A camera at the side (the ``view`` setting): no frontal-plane measure; the
        shin angle and heel lift instead (``core.ankle``), each foot's pitch judged
        against its own pitch while standing with the shin upright."""
        gated = metrics["gated"]
        for key in FRONTAL_PLANE:
            metrics[key] = None
            gated[key] = SIDE_VIEW
        sm = side_metrics(pose, feet, t, self.thresholds.min_score)
        frame = -1 if feet is None else feet.frame_index
        for s in ("left", "right"):
            pitch, straight = sm.pop("foot_pitch_" + s), sm.pop("straight_" + s)
            lift = self._heel_lift[s].update(frame, pitch, straight)
            sm["heel_lift_" + s] = None if lift is None else round(lift, 1) + 0.0
        metrics.update(sm)

    def _add_feet(self, metrics: dict[str, Any], body, feet: FootReading | None, t: float,
                  upright: bool, standing: bool, on_the_foot: bool) -> None:
        """Foot metrics into ``metrics``; with ``on_the_foot`` (knee_over_toe_trigger),
        knee-inside-foot is judged against the foot's line where the foot is read
        (``foot_ref_*`` says which reference each knee was judged against).
        Each shank's upright length is followed while ``upright``; each foot's
        standing turn-out is the median of its last ``STANDING_READINGS`` readings
        while ``standing`` (on both feet, no rep under way, the standing height known)
        with both thighs as long as ``STRAIGHT_THIGH`` of their shanks: never from a
        squat, nor from a clip that opens in one."""
        x, y = body.x, body.y
        shanks = {side: ((x[k] - x[a]) ** 2 + (y[k] - y[a]) ** 2) ** 0.5
                  for side, (_, k, a) in kp.LEG.items()}
        reading = self._planted.update(feet, (shanks["left"], shanks["right"]))
        new = reading is not None and reading.frame_index != self._feet_frame
        if new:
            self._feet_frame = reading.frame_index
        up = self._shank_up
        if standing:  # and the knees straight: in any squat a thigh foreshortens far more than its shank
            standing = all(((x[h] - x[k]) ** 2 + (y[h] - y[k]) ** 2) ** 0.5 >= STRAIGHT_THIGH * shanks[side]
                           for side, (h, k, _) in kp.LEG.items())
        if upright:
            last, self._shank_t = self._shank_t, t
            for side in ("left", "right"):
                if body.trusted(side):
                    up[side] = follow_upright(up[side], shanks[side], t, last)
        fm = foot_metrics(body, reading, t, baseline=self._turnout_base, view=self.thresholds.view,
                          shank_up=up)
        base = self._turnout_base
        for side in ("left", "right"):
            turn = fm["foot_turnout_" + side]
            if standing and new and turn is not None:  # the athlete's own standing turn-out, once per reading
                self._standing_turns[side].append(turn)
                base[side] = statistics.median(self._standing_turns[side])
            if not on_the_foot:
                fm["foot_ref_" + side] = "ankle"
            elif (fm["knee_over_toe_" + side] is not None and metrics["knee_medial_" + side] is not None
                  and body.hip_width):  # judged with the turn-out's uncertainty given to the athlete
                line = foot_line(turn, base[side])
                off = knee_off_foot(body, side, line - TURNOUT_UNCERTAINTY_DEG, up[side], shanks[side])
                metrics["knee_medial_" + side] = round(off / body.hip_width, 3) + 0.0
        metrics.update(fm)

    # -- a landing read again ----------------------------------------------------

    @property
    def pending_landing(self) -> Landing | None:
        """A landing found, its balance window not yet over (then it is handed over)."""
        return self._drills.landings.pending if self._drills.drill.unit == "landing" else None

    def landing_frames(self, landing: Landing) -> LandingFrames:
        """Where a landing's frames captured at the camera's full rate are measured
        (``core.burst``), with this scorer's thresholds, calibration and upright lengths."""
        return LandingFrames(landing, self.thresholds, self.calibration, self._upright,
                             knee_on_foot=self.feet_enabled and self.thresholds.knee_over_toe_trigger)

    def rejudge(self, landing: Landing) -> None:
        """Judge a landing again after ``LandingFrames.refine`` changed its numbers (the
        same object the summary counts)."""
        drill = self._drills.drill
        if drill.unit == "landing":
            landing.failed = drill.judge(landing, self.thresholds)

    # -- totals -----------------------------------------------------------------

    @property
    def bottom_frame(self) -> int | None:
        """The deepest frame so far of a rep under way deep enough to count, or None."""
        return self._reps.bottom_frame

    @property
    def reps(self) -> list[Rep]:
        """Completed reps, oldest first (the last ``keep_reps`` if bounded)."""
        return list(self._reps.reps)

    def summary(self) -> dict[str, Any]:
        """Reps per leg, pass/fail counts, failures per criterion and worst peaks."""
        out = summarise(list(self._reps.reps))
        out.update({
            "mode": self.mode.value,
            "drill": self.drill.name,
            "drill_set": self.thresholds.drill,
            "decided": None if self.decision is None else self.decision.to_dict(),
        })
        if self._drills.run.steps:
            out["running"] = self._drills.run.summary(int(self.thresholds.run_steps))
        landings = self._drills.landing_summary()
        if landings is not None:
            out["landing"] = landings
        return out

    @property
    def steps(self) -> list[Step]:
        """Completed running steps, oldest first (the last ``keep_reps`` if bounded)."""
        return list(self._drills.run.steps)
