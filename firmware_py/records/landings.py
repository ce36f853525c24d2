"""A session's landings in the report: one row each (leg, contact and peak flexion,
the measures between, held, verdict) and the count per leg."""

from __future__ import annotations

from typing import Any

from firmware_py.records.clips import LANDING_SLOW
from firmware_py.records.sessionfile import Session


def _num(value: Any, fmt: str) -> str:
    return "–" if not isinstance(value, (int, float)) or isinstance(value, bool) else format(value, fmt)


def section(session: Session, replays: dict[int, str] | None = None) -> dict[str, Any] | None:
    """The report's landings section (None: the session has none); ``replays``: each
    failed landing's slowed clip, by landing index, as the page links it."""
    if not session.landings:
        return None
    rows = []
    for x in session.landings:
        failed = x.get("failed") or []
        rows.append({"number": int(x.get("index", 0)) + 1, "leg": x.get("leg"), "failed": bool(failed),
                     "contact": x.get("contact_frame"), "peak": x.get("peak_frame"),
                     "inside": _num(x.get("knee_medial"), "+.2f"), "fppa": _num(x.get("fppa"), "+.1f"),
                     "pelvis": _num(x.get("pelvic_drop"), "+.1f"), "trunk": _num(x.get("trunk_lean"), "+.1f"),
                     "separation": _num(x.get("knee_separation_peak"), ".2f"),
                     "held": "yes" if x.get("held") else "no", "why": ", ".join(c.replace("_", " ") for c in failed),
                     "replay": (replays or {}).get(x.get("index"))})
    per_leg = {leg: sum(x.get("leg") == leg for x in session.landings) for leg in ("left", "right", "both")}
    return {"rows": rows, "count": len(rows), "legs": ", ".join(f"{n} {leg}" for leg, n in per_leg.items() if n),
            "failed": sum(r["failed"] for r in rows), "slow": f"{LANDING_SLOW:g}"}
