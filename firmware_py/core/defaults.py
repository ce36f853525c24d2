"""The few defaults more than one part of the core starts from, each spelled once.

Every other number a coach may change lives in ``settings.Thresholds``; the trackers
take their parameters from a ``Thresholds`` (``StanceParams.from_thresholds``, the
scorer's ``_configure``), and these are the defaults of the functions that can be
called without one.
"""

from __future__ import annotations

MIN_SCORE = 0.3  # keypoint confidence to trust a point: MoveNet's own suggestion
CALIBRATION_S = 3.0  # quiet two-footed standing a calibration needs (console, kneecue calibrate)
STANCE_ENTER, STANCE_EXIT, STANCE_DWELL_S = 0.22, 0.12, 0.15  # core.stance: leg lengths, seconds
