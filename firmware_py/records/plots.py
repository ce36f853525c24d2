"""The report's plots as PNG bytes: a metric over time with its thresholds drawn
and the reps shaded (failed red, passed green), and the left/right comparison.

matplotlib's object API (``Figure``, no pyplot): no GUI backend, no global state,
safe off the main thread.
"""

from __future__ import annotations

import io
import statistics
from typing import Any, Sequence

from matplotlib.figure import Figure

from firmware_py.core.metrictable import BY_NAME
from firmware_py.core.rep import working_value
from firmware_py.records.sessionfile import Session
from firmware_py.wording.judged import GATE_WORDS as _WORDS, why_not

LEG_COLORS = {"left": "#1f77b4", "right": "#9c36b5"}
THRESHOLD_STYLE = {"warn": ("#ff9f1c", "--"), "alert": ("#c00000", "-")}
# metric plot: (title, y label, [(trace key, legend)], [(threshold key, kind)])
METRIC_PLOTS = {
    "fppa": ("Knee valgus angle (FPPA)", "FPPA (°), + = knee inward",
             [("fppa_left", "left"), ("fppa_right", "right")],
             [("fppa_warn", "warn"), ("fppa_alert", "alert")]),
    "knee_medial": ("Knee inside the foot", "knee-medial offset (hip widths)",
                    [("knee_medial_left", "left"), ("knee_medial_right", "right")],
                    [("knee_medial_alert", "alert")]),
    "pelvic_drop": ("Contralateral pelvic drop", "pelvic drop (°)",
                    [("pelvic_drop", "pelvis")],
                    [("pelvic_drop_warn", "warn"), ("pelvic_drop_alert", "alert")]),
    # two feet: what a squat's knees are judged by (drawn when the session read them)
    "knee_separation_ratio": ("Knee separation on two feet (narrower is worse)", "knees / ankles apart",
                              [("knee_separation_ratio", "both feet")], [("knee_separation_alert", "alert")]),
    "knee_over_toe": ("Knee over the toes (foot model)", "inside the foot line (shank lengths)",
                      [("knee_over_toe_left", "left"), ("knee_over_toe_right", "right")], []),
}
ALWAYS = ("fppa", "knee_medial", "pelvic_drop")  # drawn even when empty (the rest only with a reading)


def plots_for(session: Session) -> list[str]:
    """The metric plots a session's report draws: the single-leg ones always; in a
    two-footed session (a rep on both feet, or the squat drill judged) what judged its
    knees too, where the trace holds a reading of it."""
    trace = session.trace
    two_footed = any(r.get("leg") == "both" for r in session.reps) or session.summary()["drill"] == "squat"
    return [name for name, (_, _, series, _) in METRIC_PLOTS.items()
            if name in ALWAYS or two_footed and any(v is not None for key, _ in series for v in trace.get(key) or ())]


def threshold_steps(session: Session, key: str) -> list[tuple[float, float]]:
    """(from time, value) of a threshold: the session's own, then each console change."""
    steps = []
    first = (session.header.get("thresholds") or {}).get(key)
    if first is not None:
        steps.append((float("-inf"), float(first)))
    for change in session.settings:
        value = (change.get("changed") or {}).get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            steps.append((float(change.get("t") or 0.0), float(value)))
    return steps


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def _shade_reps(ax: Any, reps: Sequence[dict[str, Any]]) -> None:
    for rep in reps:
        failed = bool(rep.get("failed"))
        ax.axvspan(rep["start_t"], rep["end_t"], color="#e03131" if failed else "#2f9e44",
                   alpha=0.13, linewidth=0)
        ax.text((rep["start_t"] + rep["end_t"]) / 2, 1.0, str(rep.get("index", 0) + 1),
                transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=8,
                color="#c00000" if failed else "#2b8a3e")


# Why a metric was not read, as the plot's legend says it (core.validity's reasons;
# "not_seen" stays a gap: there is nothing there to show).
GATE_WORDS = {k: _WORDS[k] for k in ("thigh_foreshortened", "two_footed", "trunk_foreshortened", "not_single_leg",
                                     "not_two_footed", "feet_together")}


def gated_spans(t: Sequence[float], gated: Sequence[Any], key: str) -> list[tuple[float, float, str]]:
    """(from, to, reason) of each stretch in which ``key`` was not read for a reason
    worth showing, from the trace's ``gated`` column."""
    spans: list[tuple[float, float, str]] = []
    last = -2  # index of the last gated frame
    for i, when in enumerate(t):
        reason = (gated[i] or {}).get(key) if i < len(gated) else None
        if reason not in GATE_WORDS:
            continue
        until = t[i + 1] if i + 1 < len(t) else when
        if last == i - 1 and spans[-1][2] == reason:
            spans[-1] = (spans[-1][0], until, reason)
        else:
            spans.append((when, until, reason))
        last = i
    return spans


def _shade_gated(ax: Any, t: Sequence[float], gated: Sequence[Any], series: Sequence[tuple[str, str]]) -> None:
    shown: set[tuple[str, str]] = set()
    for key, label in series:
        color = LEG_COLORS.get(label, "#495057")
        for since, until, reason in gated_spans(t, gated, key):
            first = (label, reason) not in shown
            shown.add((label, reason))
            ax.axvspan(since, until, ymin=0.0, ymax=0.06, color=color, alpha=0.35, linewidth=0,
                       label=f"{label} not read: {GATE_WORDS[reason]}" if first else None)


def metric_figure(session: Session, name: str) -> Figure:
    """A metric over time, its legend outside the axes (on the right)."""
    title, ylabel, series, thresholds = METRIC_PLOTS[name]
    trace = session.trace
    t = trace["t"]
    fig = Figure(figsize=(10.5, 2.8))
    ax = fig.add_subplot()
    _shade_reps(ax, session.reps)
    stance = trace["stance"]
    for key, label in series:
        values = [float("nan") if v is None else v for v in trace[key]]
        color = LEG_COLORS.get(label, "#495057")
        if label not in LEG_COLORS:
            ax.plot(t, values, linewidth=1.1, label=label, color=color)
            continue
        # A knee is judged only while its leg bears weight: solid then, faint while it is free.
        loaded = [v if s in (label, "both") else float("nan") for v, s in zip(values, stance)]
        ax.plot(t, values, linewidth=0.8, color=color, alpha=0.25)
        ax.plot(t, loaded, linewidth=1.2, label=f"{label} (loaded)", color=color)
    _shade_gated(ax, t, trace.get("gated") or [], series)
    end = t[-1] if t else 1.0
    start = t[0] if t else 0.0
    for key, kind in thresholds:
        color, style = THRESHOLD_STYLE[kind]
        steps = threshold_steps(session, key)
        for i, (since, value) in enumerate(steps):
            until = steps[i + 1][0] if i + 1 < len(steps) else end
            ax.hlines(value, max(since, start), until, colors=color, linestyles=style, linewidth=1,
                      label=f"{kind} {value:g}" if i == 0 else None)
    ax.set_title(title, loc="left", fontsize=10, pad=12)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel, fontsize=8)
    ax.grid(alpha=0.3)
    # beside the axes, never over the data (a peak sits wherever the athlete put it)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False)
    fig.tight_layout()
    return fig


def metric_plot(session: Session, name: str) -> bytes:
    return _png(metric_figure(session, name))


def median(values: Sequence[float]) -> float | None:
    """The true median (the mean of the two middle values for an even count), as the
    report's left/right table gives it; None for no values."""
    return statistics.median(values) if values else None


def rep_peaks(session: Session, metric: str, leg: str) -> list[tuple[float, bool]]:
    """(peak, failed) of ``metric`` on the working leg of each of ``leg``'s reps that read
    it: what the left/right plot draws and the report's table takes the median of."""
    values = [(peak_of(r, metric), bool(r.get("failed"))) for r in session.reps if r.get("leg") == leg]
    return [(v, f) for v, f in values if v is not None]


def peak_of(rep: dict[str, Any], metric: str) -> float | None:
    """A rep line's peak of ``metric``: its own, or a per-leg one's on the working leg
    (the larger of both for a two-footed rep); None where it was not read."""
    def value(key: str) -> float | None:
        v = (rep.get(key) or {}).get("value")
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    if not BY_NAME[metric].sided:
        return value(metric)
    return working_value(rep.get("leg"), value(metric + "_left"), value(metric + "_right"))


def _why_empty(session: Session, metric: str, leg: str) -> str:
    """Why ``leg``'s reps have no peak of ``metric`` (their commonest reason), "" if
    there are no such reps or no reason was given."""
    feet = any(session.trace.get("feet") or ())
    keys = [f"{metric}_{s}" for s in (("left", "right") if leg == "both" else (leg,))] \
        if BY_NAME[metric].sided else [metric]
    whys = [w for r in session.reps if r.get("leg") == leg
            for k in keys if (w := why_not(k, r.get("gated") if isinstance(r.get("gated"), dict) else {}, feet=feet))]
    return max(set(whys), key=whys.count) if whys else ""


def comparison_plot(session: Session) -> bytes:
    return _png(comparison_figure(session))


def comparison_figure(session: Session) -> Figure:
    """Each rep's peak FPPA, knee-medial offset and pelvic drop, left-leg reps beside
    right-leg ones, a bar at each leg's median."""
    panels = [("fppa", "peak FPPA (°)"), ("knee_medial", "peak knee-medial"), ("pelvic_drop", "peak pelvic drop (°)")]
    legs: tuple[str, ...] = ("left", "right")
    if any(r.get("leg") == "both" for r in session.reps):  # two-footed reps: what judged them, too
        panels += [("knee_separation_ratio", "narrowest knee separation"), ("knee_over_toe", "peak knee over toes")]
        legs += ("both",)
    fig = Figure(figsize=(3 * len(panels), 2.6))
    for i, (metric, label) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        for x, leg in enumerate(legs):
            values = rep_peaks(session, metric, leg)
            if values:
                ax.scatter([x] * len(values), [v for v, _ in values], s=28, zorder=3,
                           color=[("#c00000" if f else "#2b8a3e") for _, f in values])
                ax.hlines(median([v for v, _ in values]), x - 0.25, x + 0.25, colors=LEG_COLORS.get(leg, "#495057"),
                          linewidth=2)
            elif why := _why_empty(session, metric, leg):  # reps on this leg, none read: say why
                ax.text(x, 0.5, why.replace(": ", ":\n").replace(" (", "\n("), transform=ax.get_xaxis_transform(),
                        ha="center", va="center", fontsize=6.5, color="#6c757d", rotation=90)
        ax.set_xticks(range(len(legs)), [f"{leg} leg" if leg != "both" else "both feet" for leg in legs])
        ax.set_xlim(-0.6, len(legs) - 0.4)
        ax.set_title(label, fontsize=9)
        ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig
