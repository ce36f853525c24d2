"""The names the whole device agrees on, in one place: cue levels and reasons, the
rep verdict's criteria, the metrics a rep keeps peaks of and the metrics logged with
each cue change, and the feedback modes.  Session files, the event log, the console,
the report and ``analyze`` all spell them from here.
"""

from __future__ import annotations

from .metrictable import COMPARED_PEAKS, CUE_METRICS  # noqa: F401  (re-exported: spelled here for the rest)

# Cue levels, worst last; a condition's level as a number (0 ok, 1 warn, 2 alert).
LEVELS = ("idle", "ok", "warn", "alert")
OK, WARN, ALERT = 0, 1, 2

# Why a cue was raised (CueTracker.levels keys), frontal-plane ones first.
REASONS = (
    "knee_valgus_left",
    "knee_valgus_right",
    "knee_inside_foot_left",
    "knee_inside_foot_right",
    "pelvic_drop",
    "trunk_lean",
    "hands_off_hips",
    "balance_lost",
    "hip_adduction",  # running: the stance thigh toward the midline at midstance (core.drills.run)
    "camera_placement",
)
FRONTAL_PLANE_REASONS = frozenset(REASONS[:6])  # meaningless when the camera is not in front

# Why a rep fails the single-leg squat test (Ugalde 2015).
CRITERIA = ("knee_inward", "hands_off_hips", "trunk_sway", "balance_lost")

# The peaks a coach compares reps by (the session's rep lines, the summary's worst, the CSV),
# and the metrics behind a cue (logged with each cue change, traced per frame): both
# derived from the one table of metrics.
PEAK_METRICS = COMPARED_PEAKS

# The drills (one module each in core.drills, which holds their registry); ``auto``
# recognises one from the movement.
DRILLS = ("sls", "squat", "run", "hop", "land")
DRILL_CHOICES = ("auto", *DRILLS)

# When the athlete is shown anything (core.settings.FeedbackMode).
MODES = ("concurrent", "terminal", "silent")

# The guided tests' counts, fewest and most (console and procedure): single-leg squat
# reps per leg, ankle-test tries per leg.
SLS_REPS = (1, 20)
ANKLE_TRIES = (1, 10)
# Seconds of quiet standing a calibration collects, fewest and most (console and `kneecue calibrate`).
CALIBRATION_SECONDS = (1.0, 10.0)
