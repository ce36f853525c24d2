"""``kneecue report``: a session as one self-contained HTML page a coach reads in a minute.

Summary, left/right comparison, per-rep table with links to the replay clips
(and the H.264 ones playable in the page), and plots (PNG, embedded as data URIs,
so the page works from a USB stick or an e-mail attachment; only the clips stay
beside it).  No scripts, no external resources.
"""

from __future__ import annotations

import base64
import logging
import os
import urllib.parse
from pathlib import Path
from typing import Any, Iterable

import jinja2

from firmware_py import __version__
from firmware_py.core.rep import MISPLACED, Rep
from firmware_py.core.settings import SETTINGS
from firmware_py.core.vocabulary import CRITERIA
from firmware_py.errors import KneeCueError
from firmware_py.records import clips, landings, plots, running
from firmware_py.records.sessionfile import Session, read_session
from firmware_py.wording import pattern_words
from firmware_py.wording.judged import placement_words, why_not

log = logging.getLogger("kneecue")
REPORT_NAME = "report.html"
LEGS = ("left", "right")
_TEMPLATE = jinja2.Environment(
    loader=jinja2.PackageLoader("firmware_py.records", "templates"), autoescape=True,
    undefined=jinja2.StrictUndefined).get_template("report.html")
def _num(value: Any, fmt: str = "+.1f") -> str:
    return "–" if not isinstance(value, (int, float)) or isinstance(value, bool) else format(value, fmt)


def _peak(rep: dict[str, Any], metric: str) -> float | None:
    """The working leg's peak (the larger of both for a two-footed rep)."""
    return plots.peak_of(rep, metric)


def _cell(rep: dict[str, Any], metric: str, fmt: str = "+.1f", *, feet: bool = True) -> str:
    """A rep's peak as the table shows it; an empty one with why (``wording.judged``)."""
    value = _peak(rep, metric)
    if value is not None:
        return format(value, fmt)
    gated = rep.get("gated") if isinstance(rep.get("gated"), dict) else {}
    sided = plots.BY_NAME[metric].sided
    keys = [f"{metric}_{s}" for s in (("left", "right") if rep.get("leg") == "both" else (rep.get("leg"),))] \
        if sided else [metric]
    why = next((w for k in keys if (w := why_not(k, gated, feet=feet))), "")
    return f"– ({why})" if why else "–"


def _feet(session: Session) -> bool:
    """Whether a foot model read the session's feet (its trace holds foot points)."""
    return any(session.trace.get("feet") or ())


def _pair(stats: tuple[float | None, float | None], fmt: str, reps: list[dict[str, Any]], metric: str,
          feet: bool) -> str:
    """``median / max`` of a leg's peaks, or why its reps have none."""
    if stats[0] is not None or not reps:
        return f"{_num(stats[0], fmt)} / {_num(stats[1], fmt)}"
    whys = [c for r in reps if (c := _cell(r, metric, fmt, feet=feet)).startswith("– (")]
    return max(set(whys), key=whys.count) if whys else "– / –"


def _href(path: Path, out_dir: Path) -> str:
    return urllib.parse.quote(Path(os.path.relpath(path, out_dir)).as_posix())


Replays = dict[int, tuple[Path, bool]]  # rep (or landing) index -> (clip to link, plays in a browser)


def replay_files(session: Session, out_dir: Path, *, landings: bool = False) -> Replays:
    """Each failed rep's (or ``landings``: landing's) clip, as an H.264 copy browsers
    play where PyAV can make one: beside the clip (so the clip quota counts it), or in
    ``out_dir`` for a report written elsewhere."""
    out: Replays = {}
    lines = session.landing_clips if landings else session.clips
    for record in session.landings if landings else session.reps:
        index = record.get("index", 0)
        path = session.clip_path(index, landing=landings)
        if path is None:
            if _outside(lines, session, index):
                log.warning("%s: %s %d's clip line names %r, outside the session's folder: not read",
                            session.path, "landing" if landings else "rep", index + 1,
                            (lines.get(index) or {}).get("path"))
            continue
        if out_dir.resolve() == session.folder.resolve():
            copy = path.with_name(f"{path.stem}.web.mp4")
        else:
            copy = out_dir / f"{session.id}-clips" / path.name
        try:
            playable = clips.browser_copy(path, copy)
        except Exception as e:  # a damaged clip (power cut mid-write) or a full disk: link the original
            log.warning("%s: no browser copy (%s)", path, e)
            playable = False
        out[index] = (copy, True) if playable else (path, False)
    return out


def _stats(values: Iterable[tuple[float, bool]]) -> tuple[float | None, float | None]:
    """Median and max of the peaks the left/right plot draws (``plots.rep_peaks``)."""
    vs = [v for v, _ in values]
    return (plots.median(vs), max(vs)) if vs else (None, None)


def _pattern(rep: dict) -> str:
    """Which fault pattern a knee failure fits (core.faults), as the console says it."""
    try:
        return pattern_words(Rep.from_dict(rep)) or "–"
    except (KeyError, TypeError, ValueError):  # a rep record from an older session file
        return "–"


def still_png(session: Session, rep: dict[str, Any]) -> bytes | None:
    """The failed rep's replay frame nearest its deepest moment, skeleton and feet as
    drawn on the clip, as PNG (None without a clip on disk)."""
    index = rep.get("index", 0)
    path, clip = session.clip_path(index), session.clips.get(index) or {}
    first, last, frames = clip.get("first_frame"), clip.get("last_frame"), clip.get("frames")
    bottom = rep.get("bottom_frame")
    if path is None or not all(isinstance(v, int) for v in (first, last, frames, bottom)) or frames < 1:
        return None
    step = (last - first) / (frames - 1) if frames > 1 else 1.0
    want = min(frames - 1, max(0, round((bottom - first) / step))) if step > 0 else 0
    cap = clips.cv2.VideoCapture(str(path))
    try:
        bgr = None
        for _ in range(want + 1):  # read, not seek: a seek lands on a keyframe in some files
            ok, frame = cap.read()
            if not ok:
                break
            bgr = frame
    finally:
        cap.release()
    if bgr is None:
        return None
    ok, png = clips.cv2.imencode(".png", bgr)
    return png.tobytes() if ok else None


def _setting(key: str, value: Any) -> str:
    """A threshold as the console shows it (``on``, ``100 ms``), whatever version wrote it."""
    spec = SETTINGS.get(key)
    try:
        return spec.show(value) if spec is not None else str(value)
    except (TypeError, ValueError):
        return str(value)


def _debounce_note(session: Session) -> dict[str, Any] | None:
    """Why a rep whose peak crossed the alert can still pass: a fault cues (and fails
    the rep) only once it has lasted the debounce time."""
    thresholds = (session.header.get("thresholds") or {})
    alert, debounce = thresholds.get("fppa_alert"), thresholds.get("debounce_ms")
    if not isinstance(alert, (int, float)) or not isinstance(debounce, (int, float)):
        return None
    crossed = [r for r in session.reps if not r.get("failed") and (_peak(r, "fppa") or 0.0) >= alert]
    if not crossed:
        return None
    return {"many": len(crossed) > 1, "which": ", ".join(str(r.get("index", 0) + 1) for r in crossed),
            "alert": f"{alert:g}", "ms": f"{debounce:g}"}


def _test_row(r: dict[str, Any]) -> dict[str, Any]:
    """One guided test's verdict and the numbers behind it."""
    if r.get("test") == "ankle":
        shin = r.get("shin_deg")
        what = "ankle (knee to wall)"
        numbers = ("no heel-down lunge" if shin is None else f"shin {shin:.1f}° with the heel down "
                   f"(restricted below {_num(r.get('threshold_deg'), 'g')}°)")
        numbers += f"; {r.get('tries', 0)} of {r.get('attempts', '?')} tries"
        if r.get("heel_lifts"):
            numbers += f"; heel lifted in {r['heel_lifts']}"
        if not r.get("heel_watched"):
            numbers += "; heel not watched (foot model off)"
        if r.get("difference_deg") is not None:
            numbers += f"; left/right difference {r['difference_deg']:+.1f}°"
    else:
        what = "single-leg squat"
        numbers = f"{r.get('passed', 0)} of {r.get('counted', 0)} reps passed ({r.get('reps', '?')} asked)"
    return {"at": _num(r.get("t"), ".1f"), "what": what, "leg": r.get("leg"),
            "verdict": str(r.get("verdict", "?")).upper(), "numbers": numbers}


def _side_row(session: Session, leg: str) -> dict[str, Any]:
    """One leg's (or the two-footed reps') reps, passes, failures and the median / max
    of its peaks (median / narrowest of the knee separation)."""
    reps = [r for r in session.reps if r.get("leg") == leg]
    fppa, medial, pelvis, over = (_stats(plots.rep_peaks(session, m, leg))
                                  for m in ("fppa", "knee_medial", "pelvic_drop", "knee_over_toe"))
    seps = [v for v, _ in plots.rep_peaks(session, "knee_separation_ratio", leg)]
    sep = (plots.median(seps), min(seps)) if seps else (None, None)
    feet = _feet(session)
    fails = ", ".join(f"{c.replace('_', ' ')} {n}" for c in CRITERIA
                      if (n := sum(c in (r.get("failed") or ()) for r in reps)))
    return {"leg": leg, "reps": len(reps), "passed": sum(not r.get("failed") for r in reps),
            "failed": sum(bool(r.get("failed")) for r in reps), "fppa": _pair(fppa, "+.1f", reps, "fppa", feet),
            "medial": _pair(medial, "+.2f", reps, "knee_medial", feet),
            "pelvis": _pair(pelvis, "+.1f", reps, "pelvic_drop", feet), "fails": fails or "–",
            "separation": _pair(sep, ".2f", reps, "knee_separation_ratio", feet),
            "over": _pair(over, "+.2f", reps, "knee_over_toe", feet)}


def _rep_row(session: Session, rep: dict[str, Any], out_dir: Path, replays: Replays) -> dict[str, Any]:
    """One rep's row: verdict, time, depth, peaks, its clip (or why there is none), pattern."""
    failed = rep.get("failed") or []
    index = rep.get("index", 0)
    row = {"number": index + 1, "leg": rep.get("leg"), "failed": bool(failed), "bottom": rep.get("bottom_frame"),
           "failed_words": ", ".join(c.replace("_", " ") for c in failed),
           "start": _num(rep.get("start_t"), ".1f"), "end": _num(rep.get("end_t"), ".1f"),
           "depth": _num(rep.get("depth"), ".2f"), "fppa": _cell(rep, "fppa"),
           "medial": _cell(rep, "knee_medial", "+.2f"), "pelvis": _cell(rep, "pelvic_drop"),
           "trunk": _cell(rep, "trunk_lean"), "separation": _cell(rep, "knee_separation_ratio", ".2f"),
           "over": _cell(rep, "knee_over_toe", "+.2f", feet=_feet(session)), "pattern": _pattern(rep), "clip_href": None, "no_clip": None,
           "camera": _camera(rep)}
    if failed and index in replays:
        row["clip_href"] = _href(replays[index][0], out_dir)
    elif failed:
        clip = session.clips.get(index) or {}
        row["no_clip"] = ("not read: its clip line names a file outside the session's folder"
                          if _outside(session.clips, session, index) else
                          clip.get("error") or ("removed (clip quota)" if clip.get("path") else "not written"))
    return row


def _camera(rep: dict[str, Any]) -> str:
    """The camera placement problems raised during a rep, in words ("" for none)."""
    problems = [p for p in rep.get("placement") or () if isinstance(p, str)]
    words = placement_words(problems)
    if any(p in MISPLACED for p in problems):
        words += ": angles unreliable, not in the worst"
    return words


def _outside(lines: dict[int, dict], session: Session, index: int) -> bool:
    """A rep's (landing's) clip line names a file, but not one in the session's folder."""
    name = (lines.get(index) or {}).get("path")
    return bool(name) and session.inside(name) is None


def _png(png: bytes, alt: str) -> dict[str, str]:
    return {"alt": alt, "b64": base64.b64encode(png).decode()}


def render(session: Session, out_dir: Path, replays: Replays | None = None,
           landing_replays: Replays | None = None) -> str:
    """The page, from ``templates/report.html`` (Jinja2, every value escaped)."""
    if replays is None:
        replays = {i: (p, False) for i in session.clips if (p := session.clip_path(i)) is not None}
    if landing_replays is None:
        landing_replays = {i: (p, False) for i in session.landing_clips
                           if (p := session.clip_path(i, landing=True)) is not None}
    s = session.summary()
    h = session.header
    notes = []
    if session.end is None or session.torn:
        notes.append("This session has no end yet: it is still being recorded, or the device lost power. "
                     "Every completed rep is shown.")
    if session.damaged:
        notes.append(f"{session.damaged} unreadable line(s) were skipped.")
    reps = [_rep_row(session, rep, out_dir, replays) for rep in session.reps]
    failed = [(rep, row) for rep, row in zip(session.reps, reps) if row["failed"]]
    stills = [{"rep": row, "png": _png(png, f"rep {row['number']} at its deepest")}
              for rep, row in failed if (png := still_png(session, rep)) is not None]
    videos = [{"rep": row, "href": _href(replays[rep.get("index", 0)][0], out_dir), "width": clips.CLIP_SIDE}
              for rep, row in failed if replays.get(rep.get("index", 0), (None, False))[1]]
    return _TEMPLATE.render(
        id=session.id, athlete=h.get("athlete", "?"), started=h.get("started", "?"), mode=h.get("mode", "?"),
        source=h.get("source", "?"), duration="–" if s["duration_s"] is None else f"{s['duration_s'] / 60:.1f} min",
        notes=notes, summary=s, legs=", ".join(f"{n} {leg}" for leg, n in s["reps_per_leg"].items() if n) or "none",
        fails=", ".join(f"{c.replace('_', ' ')} {n}" for c, n in s["failures"].items() if n),
        tests=[_test_row(r) for r in session.tests],
        sides=[_side_row(session, leg) for leg in LEGS + (("both",) if s["reps_per_leg"].get("both") else ())],
        comparison=_png(plots.comparison_plot(session), "peaks per rep, left leg beside right leg")
        if session.reps else None,
        reps=reps, debounce=_debounce_note(session),
        misplaced={"many": len(s["misplaced"]) > 1, "which": ", ".join(str(i + 1) for i in s["misplaced"])}
        if s["misplaced"] else None,
        plots=[_png(plots.metric_plot(session, name), plots.METRIC_PLOTS[name][0]) for name in plots.plots_for(session)],
        stills=stills, replays=videos, running=_running(session), landings=landings.section(session, {i: _href(p, out_dir) for i, (p, _) in landing_replays.items()}),
        settings_changed=[{"at": _num(c.get("t"), ".1f"), "changed": c.get("changed")} for c in session.settings],
        thresholds=", ".join(f"{k} {_setting(k, v)}" for k, v in (h.get("thresholds") or {}).items()),
        version=__version__) + "\n"


def _running(session: Session) -> dict[str, Any] | None:
    """The running section: cadence, each side's means, and the steps plotted (None: no steps)."""
    if not session.steps:
        return None
    pace = running.cadence(session)
    return {"steps": len(session.steps), "cadence": "–" if pace is None else f"{pace:.0f}",
            "columns": [label for _, label, _ in running.COLUMNS], "sides": running.side_rows(session),
            "plot": _png(running.steps_plot(session, session.header.get("thresholds") or {}),
                         "pelvic drop and hip adduction at each step's midstance, per side")}


class NotASession(KneeCueError, ValueError):
    """The file given is not a session file (a video, a page, anything else): no page is
    written for it, and none beside it is overwritten."""


def write_report(session_path: str | Path, out_dir: str | Path | None = None) -> Path:
    """Render one session; the page goes to ``out_dir`` (default: the session's folder)."""
    session = read_session(session_path)
    if session.header.get("type") != "session":  # its first line, synced before anything else
        raise NotASession(f"{session.path} is not a session file (no session line in it): no report written")
    folder = Path(out_dir) if out_dir is not None else session.folder
    folder.mkdir(parents=True, exist_ok=True)
    same = folder.resolve() == session.folder.resolve()
    path = folder / (REPORT_NAME if same else f"{session.id}.html")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render(session, folder, replay_files(session, folder),
                                 replay_files(session, folder, landings=True)), encoding="utf-8")
    os.replace(tmp, path)
    return path
