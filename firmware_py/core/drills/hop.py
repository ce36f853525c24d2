"""Single-leg hops and landings in any direction (hop-and-hold, a hop grid, a side-step
cut read as a single-leg landing): each landing judged in the fraction of a second from
initial contact to peak knee flexion (``core.landing``), like the bottom of a single-leg
squat: the knee inside the foot, FPPA at peak flexion (with the squat's validity gates),
pelvic drop and trunk lean, and whether the landing was held.  Flight, the push-off and
the hop between landings are not judged, and no single-leg squat test criterion (hands
on hips) is."""

from __future__ import annotations

from .base import Drill


def judge_hop(landing, th) -> tuple[str, ...]:
    m = landing.metrics
    failed = []
    if (m.get("knee_medial") is not None and m["knee_medial"] >= th.knee_medial_alert) or (
            m.get("fppa") is not None and m["fppa"] >= th.fppa_alert):
        failed.append("knee_inward")
    if m.get("pelvic_drop") is not None and m["pelvic_drop"] >= th.pelvic_drop_alert:
        failed.append("pelvic_drop")
    if m.get("trunk_lean") is not None and abs(m["trunk_lean"]) >= th.trunk_lean_alert:
        failed.append("trunk_lean")
    if not landing.held:
        failed.append("balance_lost")
    return tuple(failed)


HOP = Drill("hop", "landing", frozenset({"camera_placement"}), ("knee_inward", "pelvic_drop", "trunk_lean",
                                                                  "balance_lost"),
            "single-leg hops and landings: each landing's knee, pelvis, trunk and balance, cued after it",
            judge=judge_hop)
