"""``kneecue report``: a session as one self-contained HTML page a coach reads in a minute.

Summary, left/right comparison, per-rep table with links to the replay clips
(and the H.264 ones playable in the page), and plots (PNG, embedded as data URIs,
so the page works from a USB stick or an e-mail attachment; only the clips stay
beside it).  No scripts, no external resources.
"""

from __future__ import annotations

import base64
import html
import logging
import os
import statistics
import urllib.parse
from pathlib import Path
from typing import Any, Iterable

from firmware_py import __version__
from firmware_py.core.faults import pattern_words
from firmware_py.core.rep import Rep, working_value
from firmware_py.core.vocabulary import CRITERIA
from firmware_py.core.settings import SETTINGS
from firmware_py.records import clips, plots
from firmware_py.records.sessionfile import Session, read_session

log = logging.getLogger("kneecue")
REPORT_NAME = "report.html"
LEGS = ("left", "right")
CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#212529;padding:0 12px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dee2e6}
.meta{color:#6c757d}.note{background:#fff3bf;padding:6px 10px;border-radius:4px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:4px 8px;border-bottom:1px solid #e9ecef;text-align:right}th{background:#f8f9fa}
td.l,th.l{text-align:left}tr.fail td.v{color:#c92a2a;font-weight:600}tr.pass td.v{color:#2b8a3e;font-weight:600}
.big{font-size:28px;font-weight:600;margin-right:18px}img{max-width:100%;display:block;margin:6px 0}
.replays{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}figcaption{font-size:12px;color:#495057}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any, fmt: str = "+.1f") -> str:
    return "–" if not isinstance(value, (int, float)) or isinstance(value, bool) else format(value, fmt)


def _peak(rep: dict[str, Any], metric: str) -> float | None:
    """The working leg's peak (the larger of both for a two-footed rep)."""
    def value(key: str) -> float | None:
        return (rep.get(key) or {}).get("value")

    if metric == "pelvic_drop" or metric == "trunk_lean":
        return value(metric)
    return working_value(rep.get("leg"), value(metric + "_left"), value(metric + "_right"))


def _img(png: bytes, alt: str, kind: str = "plot") -> str:
    return f'<img class="{kind}" alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _href(path: Path, out_dir: Path) -> str:
    return urllib.parse.quote(Path(os.path.relpath(path, out_dir)).as_posix())


Replays = dict[int, tuple[Path, bool]]  # rep index -> (clip to link, plays in a browser)


def replay_files(session: Session, out_dir: Path) -> Replays:
    """Each failed rep's clip, as an H.264 copy browsers play where PyAV can make one:
    beside the clip (so the clip quota counts it), or in ``out_dir`` for a report
    written elsewhere."""
    out: Replays = {}
    for rep in session.reps:
        index = rep.get("index", 0)
        path = session.clip_path(index)
        if path is None:
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


def _clip_cell(session: Session, rep: dict[str, Any], out_dir: Path, replays: Replays) -> str:
    if not rep.get("failed"):
        return ""
    index = rep.get("index", 0)
    if index in replays:
        return f'<a class="clip" href="{_e(_href(replays[index][0], out_dir))}">replay</a>'
    clip = session.clips.get(index) or {}
    why = clip.get("error") or ("removed (clip quota)" if clip.get("path") else "not written")
    return f'<span class="noclip">{_e(why)}</span>'


def _stats(values: Iterable[float | None]) -> tuple[float | None, float | None]:
    vs = [v for v in values if v is not None]
    return (statistics.median(vs), max(vs)) if vs else (None, None)


def _comparison(session: Session) -> str:
    rows = []
    for leg in LEGS:
        reps = [r for r in session.reps if r.get("leg") == leg]
        fppa = _stats(_peak(r, "fppa") for r in reps)
        medial = _stats(_peak(r, "knee_medial") for r in reps)
        pelvis = _stats(_peak(r, "pelvic_drop") for r in reps)
        fails = ", ".join(f"{c.replace('_', ' ')} {n}" for c in CRITERIA
                          if (n := sum(c in (r.get("failed") or ()) for r in reps)))
        rows.append(
            f'<tr data-leg="{leg}"><td class="l">{leg}</td><td>{len(reps)}</td>'
            f'<td>{sum(not r.get("failed") for r in reps)}</td><td>{sum(bool(r.get("failed")) for r in reps)}</td>'
            f"<td>{_num(fppa[0])} / {_num(fppa[1])}</td><td>{_num(medial[0], '+.2f')} / {_num(medial[1], '+.2f')}</td>"
            f"<td>{_num(pelvis[0])} / {_num(pelvis[1])}</td><td class=\"l\">{_e(fails or '–')}</td></tr>")
    return ('<table id="legs"><tr><th class="l">leg</th><th>reps</th><th>passed</th><th>failed</th>'
            "<th>FPPA ° median / max</th><th>knee-medial median / max</th><th>pelvic drop ° median / max</th>"
            '<th class="l">failed on</th></tr>' + "".join(rows) + "</table>")


def _rep_table(session: Session, out_dir: Path, replays: Replays) -> str:
    rows = []
    for rep in session.reps:
        failed = rep.get("failed") or []
        verdict = "FAIL" if failed else "PASS"
        rows.append(
            f'<tr class="rep {"fail" if failed else "pass"}" data-leg="{_e(rep.get("leg"))}">'
            f'<td>{rep.get("index", 0) + 1}</td><td class="l">{_e(rep.get("leg"))}</td>'
            f'<td class="v l">{verdict}</td><td class="l">{_e(", ".join(c.replace("_", " ") for c in failed))}</td>'
            f'<td>{_num(rep.get("start_t"), ".1f")}–{_num(rep.get("end_t"), ".1f")}</td>'
            f'<td>{_num(rep.get("depth"), ".2f")}</td><td>{_num(_peak(rep, "fppa"))}</td>'
            f'<td>{_num(_peak(rep, "knee_medial"), "+.2f")}</td><td>{_num(_peak(rep, "pelvic_drop"))}</td>'
            f'<td>{_num(_peak(rep, "trunk_lean"))}</td><td class="l">{_clip_cell(session, rep, out_dir, replays)}</td>'
            f'<td class="l">{_e(_pattern(rep))}</td></tr>')
    if not rows:
        return '<p id="reps">No reps in this session.</p>'
    return ('<table id="reps"><tr><th>rep</th><th class="l">leg</th><th class="l">verdict</th>'
            '<th class="l">failed on</th><th>time (s)</th><th>depth (leg lengths)</th><th>peak FPPA °</th>'
            '<th>peak knee-medial</th><th>peak pelvic drop °</th><th>peak trunk lean °</th><th class="l">clip</th>'
            '<th class="l">knee: pattern to check</th></tr>'
            + "".join(rows) + "</table>")


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


def _figures(title: str, figures: list[str]) -> str:
    if not figures:
        return ""
    return f"<h2>{_e(title)}</h2><div class=\"replays\">" + "".join(figures) + "</div>"


def _figure(rep: dict[str, Any], media: str, where: str = "") -> str:
    """One failed rep's picture or clip, captioned with the rep, leg and why it failed."""
    why = ", ".join(c.replace("_", " ") for c in rep.get("failed") or ())
    return (f'<figure>{media}<figcaption>rep {rep.get("index", 0) + 1}, {_e(rep.get("leg"))} leg{where}: '
            f"{_e(why)}</figcaption></figure>")


def _stills(session: Session) -> str:
    """Each failed rep at its deepest, as a picture in the page (it prints, and it shows
    where a browser cannot play the clip)."""
    figures = []
    for rep in session.reps:
        png = still_png(session, rep) if rep.get("failed") else None
        if png is not None:
            figures.append(_figure(rep, _img(png, f"rep {rep.get('index', 0) + 1} at its deepest", "still"),
                                   f", at its deepest (frame {_e(rep.get('bottom_frame'))})"))
    return _figures("The failed reps at their deepest", figures)


def _replays(session: Session, out_dir: Path, replays: Replays) -> str:
    """The failed reps' clips, played in the page (those with a browser copy)."""
    figures = []
    for rep in session.reps:
        path, playable = replays.get(rep.get("index", 0), (None, False))
        if path is not None and playable:
            figures.append(_figure(rep, f'<video class="replay" controls muted preload="auto" width="320" '
                                        f'src="{_e(_href(path, out_dir))}"></video>'))
    return _figures("Replays of the failed reps", figures)


def _setting(key: str, value: Any) -> str:
    """A threshold as the console shows it (``on``, ``100 ms``), whatever version wrote it."""
    spec = SETTINGS.get(key)
    try:
        return spec.show(value) if spec is not None else str(value)
    except (TypeError, ValueError):
        return str(value)


def _debounce_note(session: Session) -> str:
    """Why a rep whose peak crossed the alert can still pass: a fault cues (and fails
    the rep) only once it has lasted the debounce time."""
    thresholds = (session.header.get("thresholds") or {})
    alert, debounce = thresholds.get("fppa_alert"), thresholds.get("debounce_ms")
    if not isinstance(alert, (int, float)) or not isinstance(debounce, (int, float)):
        return ""
    crossed = [r for r in session.reps if not r.get("failed") and (_peak(r, "fppa") or 0.0) >= alert]
    if not crossed:
        return ""
    which = ", ".join(str(r.get("index", 0) + 1) for r in crossed)
    return (f'<p class="note">Rep{"s" if len(crossed) > 1 else ""} {which} passed though the peak FPPA reached '
            f"the alert ({alert:g}°): a fault counts only once it has lasted {debounce:g} ms (debounce_ms), "
            f"so a single frame's peak, often a keypoint's jitter, does not fail a rep.</p>")


def _tests(session: Session) -> str:
    """The guided tests run in the session: verdicts and the numbers behind them."""
    if not session.tests:
        return ""
    rows = []
    for r in session.tests:
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
        rows.append(f"<tr><td>{_num(r.get('t'), '.1f')} s</td><td>{_e(what)}</td><td>{_e(r.get('leg'))}</td>"
                    f"<td>{_e(str(r.get('verdict', '?')).upper())}</td><td>{_e(numbers)}</td></tr>")
    return ("<h2>Tests</h2><table><tr><th>at</th><th>test</th><th>leg</th><th>verdict</th><th>numbers</th></tr>"
            + "".join(rows) + "</table><p class=\"meta\">A training screen, not a diagnosis.</p>")


def render(session: Session, out_dir: Path, replays: Replays | None = None) -> str:
    if replays is None:
        replays = {i: (p, False) for i in session.clips if (p := session.clip_path(i)) is not None}
    s = session.summary()
    h = session.header
    legs = ", ".join(f"{n} {leg}" for leg, n in s["reps_per_leg"].items() if n) or "none"
    fails = ", ".join(f"{c.replace('_', ' ')} {n}" for c, n in s["failures"].items() if n)
    notes = []
    if session.end is None or session.torn:
        notes.append("This session has no end yet: it is still being recorded, or the device lost power. "
                     "Every completed rep is shown.")
    if session.damaged:
        notes.append(f"{session.damaged} unreadable line(s) were skipped.")
    duration = "–" if s["duration_s"] is None else f"{s['duration_s'] / 60:.1f} min"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>KneeCue session {_e(session.id)}</title><style>{CSS}</style></head><body>",
        f"<h1>KneeCue session {_e(session.id)}</h1>",
        f'<p class="meta">athlete {_e(h.get("athlete", "?"))} · started {_e(h.get("started", "?"))} · '
        f'{duration} · mode {_e(h.get("mode", "?"))} · source {_e(h.get("source", "?"))}</p>',
        *(f'<p class="note">{_e(n)}</p>' for n in notes),
        '<h2>Summary</h2><p id="summary">'
        f'<span class="big">{s["reps"]} rep{"" if s["reps"] == 1 else "s"}</span>'
        f'<span class="big">{s["passed"]} passed</span>'
        f'<span class="big">{s["failed"]} failed</span></p>',
        f"<p>Reps per leg: {_e(legs)}.{' Failed on: ' + _e(fails) + '.' if fails else ''}</p>",
        _tests(session),
        "<h2>Left and right</h2>", _comparison(session),
        _img(plots.comparison_plot(session), "peaks per rep, left leg beside right leg") if session.reps else "",
        "<h2>Reps</h2>", _rep_table(session, out_dir, replays),
        _debounce_note(session),
        "<h2>Over time</h2><p class=\"meta\">Failed reps shaded red, passed green; dashed lines warn, solid "
        "lines alert. A knee's line is faint while its leg is off the floor: only a loaded knee is judged.</p>",
        *(_img(plots.metric_plot(session, name), plots.METRIC_PLOTS[name][0]) for name in plots.METRIC_PLOTS),
        _stills(session),
        _replays(session, out_dir, replays),
    ]
    if session.settings:
        changes = "".join(f"<li>{_num(c.get('t'), '.1f')} s: {_e(c.get('changed'))}</li>" for c in session.settings)
        parts.append(f"<h2>Settings changed during the session</h2><ul>{changes}</ul>")
    thresholds = h.get("thresholds") or {}
    parts.append("<h2>Thresholds at the start</h2><p class=\"meta\">"
                 + _e(", ".join(f"{k} {_setting(k, v)}" for k, v in thresholds.items())) + "</p>")
    parts.append(f'<p class="meta">KneeCue {_e(__version__)}. A training-feedback device, not a diagnosis.</p>'
                 "</body></html>")
    return "\n".join(parts) + "\n"


def write_report(session_path: str | Path, out_dir: str | Path | None = None) -> Path:
    """Render one session; the page goes to ``out_dir`` (default: the session's folder)."""
    session = read_session(session_path)
    folder = Path(out_dir) if out_dir is not None else session.folder
    folder.mkdir(parents=True, exist_ok=True)
    same = folder.resolve() == session.folder.resolve()
    path = folder / (REPORT_NAME if same else f"{session.id}.html")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render(session, folder, replay_files(session, folder)), encoding="utf-8")
    os.replace(tmp, path)
    return path
