"""``kneecue analyze``'s lines for people: the per-frame table, a line per rep, the
summary.  What was judged is what is shown: a two-footed rep by its knee separation
and its knees over the toes, a single-leg rep by its FPPA and pelvis; an empty number
says why (``wording.judged``), and a rep filmed with the camera misplaced says so
beside its numbers."""

from __future__ import annotations

from firmware_py.core.metrictable import table_columns
from firmware_py.core.rep import misplaced
from firmware_py.wording import drill_words, pattern_words
from firmware_py.wording.judged import placement_words, why_not

__all__ = ["drill_line", "rep_row", "summary_text", "table_header", "table_row", "Columns"]

Columns = tuple[tuple[str, str, int, int], ...]  # (header, metric key, width, digits)


def columns(drill: str | None, *, feet: bool) -> Columns:
    """The table's columns for the drill judged (``core.metrictable``)."""
    return table_columns(drill, feet=feet)


def _fmt(value, width: int, digits: int = 1, why: str = "") -> str:
    if value is None:
        return (why or "–").rjust(width)
    if isinstance(value, bool):
        return ("yes" if value else "no").rjust(width)
    if isinstance(value, float):
        return f"{value:+.{digits}f}".rjust(width)
    return str(value).rjust(width)


def table_header(cols: Columns) -> str:
    return "frame      t  " + " ".join(h.rjust(w) for h, _, w, _ in cols) + "  cue"


def table_row(result, cols: Columns, *, feet: bool = True) -> str:
    m = result.metrics
    gated = m.get("gated")
    cells = " ".join(_fmt(m.get(k), w, d, why_not(k, gated, feet=feet, short=True)[:w]) for _, k, w, d in cols)
    cue = result.score.cue
    why = f" ({', '.join(cue.reasons)})" if cue.reasons else ""
    return f"{result.index:5d} {result.t:6.2f}  {cells}  {cue.level}{why}"


def _peak(rep, key: str, unit: str, fmt: str = "+.1f", *, feet: bool = True) -> str:
    peak = rep.peak(key)
    if peak.value is None:
        why = why_not(key, rep.gated, feet=feet)
        return f"– ({why})" if why else "–"
    return f"{format(peak.value, fmt)}{unit} @{peak.frame}"


def _sided(rep, metric: str, unit: str, fmt: str, *, feet: bool) -> str:
    """A per-leg metric of a two-footed rep: both knees, or the one reason both are empty."""
    left, right = (_peak(rep, f"{metric}_{s}", unit, fmt, feet=feet) for s in ("left", "right"))
    if left == right and left.startswith("–"):
        return left
    return f"L {left} R {right}"


def rep_row(rep, *, feet: bool = True) -> str:
    """One rep: what its drill judged it by, each empty number with its reason, the
    camera's placement if it was wrong, the verdict and the fault pattern."""
    if rep.leg == "both":  # two feet: the knee separation and the knees over the toes judged it
        numbers = (f"knee sep {_peak(rep, 'knee_separation_ratio', '', '.2f', feet=feet)}  "
                   f"over toes {_sided(rep, 'knee_over_toe', '', '+.2f', feet=feet)}  "
                   f"trunk {_peak(rep, 'trunk_lean', '°')}")
    else:
        side = rep.leg
        numbers = (f"FPPA {_peak(rep, 'fppa_' + side, '°')}  pelvis {_peak(rep, 'pelvic_drop', '°')}  "
                   f"trunk {_peak(rep, 'trunk_lean', '°')}")
        if feet:
            numbers += f"  over toes {_peak(rep, 'knee_over_toe_' + side, '', '+.2f')}"
    if rep.placement:
        numbers += f"  [{placement_words(rep.placement)}" + (
            ": angles unreliable, not in the worst]" if misplaced(rep) else "]")
    verdict = "PASS" if rep.passed else "FAIL " + ", ".join(rep.failed)
    line = f"rep {rep.index + 1:>2}  {rep.leg:<5} frames {rep.start_frame}-{rep.end_frame}  depth {rep.depth:.2f}  " \
           f"{numbers}  {verdict}"
    pattern = pattern_words(rep)
    return f"{line}: {pattern}" if pattern else line


def drill_line(drill: str, frame: int, decided) -> str:
    return f"drill {drill_words(drill, decided)} from frame {frame}"


_WORST_NAMES = {"knee_separation_ratio": "knee sep (narrowest)", "knee_over_toe_left": "over toes L",
                "knee_over_toe_right": "over toes R"}


def _worst(summary: dict) -> str:
    parts = []
    for k, v in summary["worst"].items():
        if v:
            fmt = ".2f" if k.startswith(("knee_separation", "knee_over_toe", "knee_medial")) else "+.1f"
            parts.append(f"{_WORST_NAMES.get(k, k)} {format(v['value'], fmt)} (rep {v['rep'] + 1})")
    return ", ".join(parts)


def summary_text(summary: dict) -> str:
    legs = ", ".join(f"{n} {leg}" for leg, n in summary["reps_per_leg"].items() if n)
    lines = [f"{summary['reps']} reps ({legs or 'none'}): {summary['passed']} passed, {summary['failed']} failed"]
    fails = ", ".join(f"{c} {n}" for c, n in summary["failures"].items() if n)
    if fails:
        lines.append(f"failed criteria: {fails}")
    worst = _worst(summary)
    if worst:
        lines.append(f"worst: {worst}")
    off = summary.get("misplaced") or []
    if off:
        which = ", ".join(str(i + 1) for i in off)
        lines.append(f"camera placement: rep{'s' if len(off) > 1 else ''} {which} filmed side-on, oblique or turned: "
                     f"{'their' if len(off) > 1 else 'its'} angles are unreliable and left out of the worst"
                     + ("" if worst else " (no rep left to compare)"))
    landing = summary.get("landing")
    if landing:
        per_leg = ", ".join(f"{n} {leg}" for leg, n in landing["per_leg"].items() if n)
        fails = ", ".join(f"{c.replace('_', ' ')} {n}" for c, n in landing["failures"].items())
        lines.append(f"{landing['landings']} landings ({per_leg}): {landing['passed']} passed, {landing['failed']} "
                     f"failed" + (f" ({fails})" if fails else "") + f"; {landing['held']} held")
    run = summary.get("running")
    if run:
        cadence = "–" if run["cadence_spm"] is None else f"{run['cadence_spm']:.1f}"
        per_side = run["steps_per_side"]
        lines.append(f"{run['steps']} steps ({per_side['left']} left, {per_side['right']} right), cadence {cadence} "
                     f"steps/min; {run['failed']} over an alert, {run['cued']} cued")
        for side in ("left", "right"):
            mean = run["means"][side]
            lines.append(f"  {side:<5} mean: " + ", ".join(
                f"{k.replace('_', ' ')} {mean[k]:+.1f}" for k in ("pelvic_drop", "hip_adduction", "trunk_lean", "fppa")
                if mean.get(k) is not None) or f"  {side}: no step read")
    if not summary["reps"] and (run or landing):  # no reps to count: say what was judged instead
        lines[0] = f"drill {summary['drill']}"
    lines.append("KneeCue is a training-feedback device, not a diagnosis.")
    return "\n".join(lines)
