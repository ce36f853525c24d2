"""The drop vertical jump: off a box, land on both feet, jump straight up (Hewett 2005:
knee valgus at initial contact and peak flexion predicted ACL injury, in 3D).  What 2D
reads from the front, with the Landing Error Scoring System's front-view items (Padua
2009): the knee separation over the ankle separation at initial contact and at peak
flexion (< ``knee_separation_alert``: the knees fall in; Noyes 2005 puts a normalised
separation under 60 % at risk), each knee over its foot, one foot landing before the
other (``ASYMMETRY_S``), and the stance width (reported)."""

from __future__ import annotations

from .base import Drill

ASYMMETRY_S = 0.04  # one foot down a frame (at 30 fps) before the other: LESS's asymmetric contact


def judge_land(landing, th) -> tuple[str, ...]:
    m = landing.metrics
    failed = []
    ratios = [v for v in (m.get("knee_separation_contact"), m.get("knee_separation_peak")) if v is not None]
    if any(r < th.knee_separation_alert for r in ratios) or (
            m.get("knee_medial") is not None and m["knee_medial"] >= th.knee_medial_alert):
        failed.append("knee_inward")
    if m.get("contact_asymmetry_s") is not None and m["contact_asymmetry_s"] >= ASYMMETRY_S:
        failed.append("asymmetric_contact")
    return tuple(failed)


LAND = Drill("land", "landing", frozenset({"camera_placement"}), ("knee_inward", "asymmetric_contact"),
             "drop vertical jump: knee separation at contact and peak flexion, knee over the foot, "
             "asymmetric contact, cued after each landing", judge=judge_land, two_feet=True)
