"""Two-footed squats: the knees judged by their separation against the ankles'
(Mizner 2012: it tracks 3D knee abduction better than FPPA on two feet; < 0.8 is
suspicious) and, where the foot model runs, over the toes.  No hands, balance or
single-leg criteria: a squat is not done with hands on hips, and a step into a wider
stance is not a fault.  Trunk lean is not judged: at squat depth the trunk leans
forward, which a camera a little off frontal reads as sideways."""

from __future__ import annotations

from .base import Drill

KNEE_REASONS = frozenset({"knee_valgus_left", "knee_valgus_right", "knee_inside_foot_left",
                          "knee_inside_foot_right", "camera_placement"})

SQUAT = Drill("squat", "rep", KNEE_REASONS, ("knee_inward",),
              "two-footed squats: knee separation and knee over the toes (per rep)")
