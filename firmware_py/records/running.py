"""A session's running steps in the report: each side's means and a plot over steps.

Read from the session file's ``step`` lines (``core.running.Step.to_dict``): per side
the number of steps, those over an alert and cued, and the mean of each midstance
measure; the plot puts each step's pelvic drop and hip adduction on a line per side,
with the alert lines, so a coach sees a side drift over the set.
"""

from __future__ import annotations

from typing import Any

from firmware_py.core.running import Step, cadence_spm, side_means
from firmware_py.records.plots import Figure, _png
from firmware_py.records.sessionfile import Session

SIDES = ("left", "right")
COLUMNS = (("pelvic_drop", "pelvic drop °", "+.1f"), ("hip_adduction", "hip adduction °", "+.1f"),
           ("trunk_lean", "trunk lean °", "+.1f"), ("fppa", "knee FPPA ° (shown, not cued)", "+.1f"),
           ("knee_gap", "knee gap", ".2f"), ("step_width", "step width", ".2f"), ("crossover", "crossover", "+.2f"))
LEG_COLORS = {"left": "#1c7ed6", "right": "#e8590c"}


def _steps(session: Session) -> list[Step]:
    return [Step.from_dict(s) for s in session.steps if "midstance_t" in s and s.get("side") in SIDES]


def side_rows(session: Session) -> list[dict[str, Any]]:
    """Per side: steps, over an alert, cued, and each column's mean (words, '–' where unread)."""
    rows, all_steps = [], _steps(session)
    for side in SIDES:
        steps = [s for s in session.steps if s.get("side") == side]
        means = side_means(all_steps, side)
        cells = ["–" if means[key] is None else format(means[key], fmt) for key, _, fmt in COLUMNS]
        rows.append({"side": side, "steps": len(steps), "failed": sum(bool(s.get("failed")) for s in steps),
                     "cued": sum(bool(s.get("cued")) for s in steps), "cells": cells})
    return rows


def cadence(session: Session) -> float | None:
    """Steps per minute over the session's steps (``core.running.cadence_spm``'s rule)."""
    return cadence_spm(_steps(session))


def steps_plot(session: Session, thresholds: dict[str, Any]) -> bytes:
    """Each step's pelvic drop and hip adduction, per side, over the step number."""
    fig = Figure(figsize=(9, 2.8))
    for i, (key, label, alert) in enumerate((("pelvic_drop", "pelvic drop (°)", "pelvic_drop_alert"),
                                             ("hip_adduction", "hip adduction (°)", "hip_adduction_alert"))):
        ax = fig.add_subplot(1, 2, i + 1)
        for side in SIDES:
            points = [(s.get("index", 0) + 1, s.get(key)) for s in session.steps
                      if s.get("side") == side and isinstance(s.get(key), (int, float))]
            if points:
                ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=3, linewidth=1,
                        color=LEG_COLORS[side], label=f"{side} stance")
        if isinstance(thresholds.get(alert), (int, float)):
            ax.axhline(thresholds[alert], color="#c00000", linewidth=1, label=f"alert {thresholds[alert]:g}")
        ax.set_ylabel(label, fontsize=8)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3, frameon=False)  # above, on no data
    fig.tight_layout()
    return _png(fig)
