"""A session on disk, and reading it back whatever a power cut left.

One folder per session under ``<state>/sessions/``: ``session.jsonl`` and the
replay clips in ``clips/``.  The file is JSON Lines, one object per line, each
with a ``type``:

* ``session``: first line: id, wall-clock start, athlete, mode, source, thresholds, calibration;
* ``settings``: a console change applied mid-session (what changed, from which frame);
* ``cue``: an output change (pattern, cue level, reasons, the metrics behind it);
* ``trace``: per-frame time series in columns (t, frame, FPPA, knee-medial offset,
  pelvic drop, trunk lean, stance, cue level, why a metric was not read, the heels
  and foot indices), written in chunks;
* ``rep``: one completed rep (the scorer's per-rep record) and its clip's name if it failed;
* ``clip``: a replay clip written (frames, first/last frame; ``rep`` or ``landing``: whose,
  ``slow``: how many times slower it plays) or why it was not;
* ``test``: a guided test's result (``test`` sls or ankle, leg, verdict, numbers);
* ``step``: one running step (``core.running.Step``: side, contact and midstance
  frames, the midstance metrics, what crossed its alert, whether it was cued);
* ``landing``: one landing (``core.landing.Landing``: leg, contact and peak flexion
  frames, the measures between, held, what it failed on; its clip's name if it
  failed), flushed as a rep is;
* ``drill``: the drill judged from then on (``auto`` recognising one: why, how sure);
* ``end``: why the session ended and its summary.

Lines are only ever appended, and each rep line is flushed and fsynced before
the next, so a power cut loses at most the rep in progress and tears at most
the last line.  The reader skips a torn or zero-filled tail (and says so), and
totals the reps itself rather than trusting an ``end`` line that may never come.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterator

from firmware_py.core.rep import Rep, summarise
from firmware_py.core.vocabulary import CUE_METRICS, PEAK_METRICS
from firmware_py.system.jsonedge import dumps

FILE_NAME = "session.jsonl"
CLIPS = "clips"
FORMAT = 1
TRACE_KEYS = ("t", "frame", *CUE_METRICS, "level", "gated", "feet")
# "gated": per frame, {traced metric: why it was not read} (core.validity), or null.
# "feet": per frame, the foot reading it was scored with, as whole source pixels
# [heel L x, y, heel R x, y, toe L x, y, toe R x, y] (pose.blazepose.FOOT_NAMES order), or null.
TRACE_METRICS = CUE_METRICS  # the traced metrics (the rest of TRACE_KEYS says when, and what was shown)
PEAKS = PEAK_METRICS


@dataclass
class Session:
    """One session as read back."""

    path: Path  # the session.jsonl
    header: dict[str, Any] = field(default_factory=dict)
    reps: list[dict[str, Any]] = field(default_factory=list)
    cues: list[dict[str, Any]] = field(default_factory=list)
    settings: list[dict[str, Any]] = field(default_factory=list)
    tests: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    landings: list[dict[str, Any]] = field(default_factory=list)
    drills: list[dict[str, Any]] = field(default_factory=list)
    trace: dict[str, list[Any]] = field(default_factory=lambda: {k: [] for k in TRACE_KEYS})
    clips: dict[int, dict[str, Any]] = field(default_factory=dict)  # rep index -> clip line
    landing_clips: dict[int, dict[str, Any]] = field(default_factory=dict)  # landing index -> clip line
    end: dict[str, Any] | None = None
    torn: bool = False  # the last line was cut short (a power cut while writing)
    damaged: int = 0  # unreadable lines before the last

    @property
    def id(self) -> str:
        """The session's name, as its first line gives it when that is a plain file name
        (a report is written as ``ID.html``), else its folder's name: a copied folder is
        not trusted to name a path (``/tmp/x`` or ``../../x`` would put a page anywhere)."""
        given = self.header.get("id")
        return given if plain_name(given) else self.path.resolve().parent.name

    @property
    def folder(self) -> Path:
        return self.path.parent

    def inside(self, name: Any) -> Path | None:
        """The file ``name`` (as a line of the file gives it) within this session's
        folder, links followed; None when it would lead out of the folder (an absolute
        path, ``..``, a link elsewhere)."""
        if not isinstance(name, str) or not name or "\0" in name:
            return None
        folder = self.folder.resolve()
        path = (folder / name).resolve()
        return self.folder / name if path != folder and path.is_relative_to(folder) else None

    def clip_path(self, rep_index: int, *, landing: bool = False) -> Path | None:
        """The replay clip of a rep (or ``landing``), if it was written and is still on
        disk in the session's folder (a clip line naming a file elsewhere is never read)."""
        clip = (self.landing_clips if landing else self.clips).get(rep_index)
        path = self.inside(clip.get("path")) if clip else None
        return path if path is not None and path.is_file() else None

    def summary(self) -> dict[str, Any]:
        counts = summarise([_rep(r) for r in self.reps])
        duration = None
        if self.trace["t"]:
            duration = self.trace["t"][-1] - self.trace["t"][0]
        return {
            "id": self.id,
            "started": self.header.get("started"),
            "athlete": self.header.get("athlete"),
            **{k: counts[k] for k in ("reps", "reps_per_leg", "passed", "failed", "failures", "misplaced")},
            "duration_s": duration,
            "ended": None if self.end is None else self.end.get("reason"),
            "complete": self.end is not None and not self.torn,
            "drill": self.drills[-1].get("drill") if self.drills else (self.header.get("thresholds") or {}).get("drill"),
            "steps": len(self.steps),
            "steps_per_side": {s: sum(st.get("side") == s for st in self.steps) for s in ("left", "right")},
            "landings": len(self.landings),
            "landings_per_leg": {leg: sum(x.get("leg") == leg for x in self.landings)
                                 for leg in ("left", "right", "both")},
        }


def _rep(record: dict[str, Any]) -> Rep:
    """A rep line as a Rep; one a tool wrote without every field still counts, by its
    leg and what it failed on."""
    try:
        return Rep.from_dict(record)
    except (KeyError, TypeError, ValueError):
        failed = record.get("failed")
        return Rep(0, str(record.get("leg")), 0, 0.0, 0, 0.0, 0, 0.0, 0.0,
                   failed=tuple(failed) if isinstance(failed, list) else ())


def plain_name(text: Any) -> bool:
    """Whether ``text`` can be a file name as it is: no folder, nothing hidden, printable."""
    return (isinstance(text, str) and 0 < len(text) <= 128 and text.isprintable() and not text.startswith(".")
            and "/" not in text and "\\" not in text)


MAX_LINE = 1 << 20  # the longest line a recorder writes is a trace chunk of 150 frames, tens of KB


def read_session(path: str | Path, *, trace: bool = True) -> Session:
    """Read a session file (or its folder), tolerating a torn last line.
    ``trace=False`` skips the per-frame columns (listing sessions, reading reps).
    Read line by line, a line longer than ``MAX_LINE`` skipped as damaged unread, so a
    file of any size takes little memory and no long hold of Python's lock (the console
    reads sessions beside the frame loop)."""
    path = Path(path)
    if path.is_dir():
        path = path / FILE_NAME
    session = Session(path)
    bad = False  # the line before could not be read: torn if nothing follows it, else damaged
    with open(path, "rb") as f:
        for raw in _lines(f):
            raw = raw.strip(b"\x00 \r") if raw is not None else None  # a power cut can leave zero-filled blocks
            if raw == b"":
                continue
            session.damaged += bad
            bad = False
            if raw is None or (not trace and raw.startswith(b'{"type":"trace"')):
                bad = raw is None
                continue
            try:
                record = json.loads(raw)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
            except (ValueError, RecursionError):
                bad = True
                continue
            _take(session, record)
    session.torn = bad
    return session


def _lines(f: IO[bytes]) -> Iterator[bytes | None]:
    """Each line of ``f`` without its newline; None for one longer than MAX_LINE, which
    is read past in chunks, never held."""
    while line := f.readline(MAX_LINE + 1):
        if len(line) <= MAX_LINE or line.endswith(b"\n"):
            yield line.rstrip(b"\n")
            continue
        while (chunk := f.readline(MAX_LINE)) and not chunk.endswith(b"\n"):
            pass
        yield None


def _take(session: Session, record: dict[str, Any]) -> None:
    kind = record.get("type")
    if kind == "session":
        session.header = record
    elif kind == "rep":
        session.reps.append(record)
    elif kind == "cue":
        session.cues.append(record)
    elif kind == "settings":
        session.settings.append(record)
    elif kind == "test":
        session.tests.append(record)
    elif kind == "step":
        session.steps.append(record)
    elif kind == "landing":
        session.landings.append(record)
    elif kind == "drill":
        session.drills.append(record)
    elif kind == "trace":
        n = len(record.get("t") or ())
        for key in TRACE_KEYS:
            column = record.get(key)
            session.trace[key].extend(column if isinstance(column, list) and len(column) == n else [None] * n)
    elif kind == "clip" and isinstance(record.get("rep"), int):
        session.clips[record["rep"]] = record
    elif kind == "clip" and isinstance(record.get("landing"), int):
        session.landing_clips[record["landing"]] = record
    elif kind == "end":
        session.end = record


def session_files(root: str | Path) -> list[Path]:
    """Every session file under ``root`` (a session folder, a sessions folder or a
    state directory), oldest first by name."""
    root = Path(root)
    if (root / FILE_NAME).is_file():
        return [root / FILE_NAME]
    for base in (root, root / "sessions"):
        found = sorted(base.glob(f"*/{FILE_NAME}"))
        if found:
            return found
    return []


def find_session(root: str | Path, name: str) -> Path:
    """The session file for ``name``, one of the sessions under ``root``: an id, an id's
    unique prefix, or ``last`` (the latest with a rep).  Never a path: the console names
    sessions, and a path would let it open (or tell the existence of) any file."""
    files = session_files(root)
    if not files:
        raise LookupError(f"no sessions recorded in {root}")
    if name == "last":  # the last with a rep in it (a restart's empty session is not what a coach means)
        with_reps = [f for f in reversed(files) if read_session(f, trace=False).reps]
        return with_reps[0] if with_reps else files[-1]
    matches = [f for f in files if f.parent.name == name] or [f for f in files if f.parent.name.startswith(name)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise LookupError(f"no session {name!r} in {root}")
    raise LookupError(f"{name!r} could be any of {', '.join(m.parent.name for m in matches[:5])}")


def iter_rows(session: Session) -> Iterator[dict[str, Any]]:
    """One flat row per rep, for CSV."""
    for rep in session.reps:
        index = rep.get("index", 0)
        row = {
            "rep": index + 1,
            "leg": rep.get("leg"),
            "verdict": rep.get("verdict"),
            "failed": " ".join(rep.get("failed") or ()),
            "start_t": rep.get("start_t"),
            "end_t": rep.get("end_t"),
            "start_frame": rep.get("start_frame"),
            "end_frame": rep.get("end_frame"),
            "depth": rep.get("depth"),
        }
        for key in PEAKS:
            peak = rep.get(key) or {}
            row[key] = peak.get("value")
        clip = session.clips.get(index) or {}
        row["clip"] = clip.get("path") or ""
        yield row


def to_csv(session: Session) -> str:
    rows = list(iter_rows(session))
    out = io.StringIO()
    fields = list(rows[0]) if rows else ["rep", "leg", "verdict", "failed", "start_t", "end_t",
                                         "start_frame", "end_frame", "depth", *PEAKS, "clip"]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_value(v) for k, v in row.items()})
    return out.getvalue()


def _csv_value(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return "" if value is None else value


# -- writing (on the recorder's log thread) --------------------------------------------


def settings_header(athlete: str, mode: str, thresholds: Any, calibration: Any) -> dict[str, Any]:
    """The settings a session's first line records (what ``describe`` callables return)."""
    return {"athlete": athlete, "mode": mode, "thresholds": thresholds.to_dict(),
            "calibration": None if calibration is None else calibration.to_dict()}


def unique_folder(folder: Path) -> Path:
    """``folder``, or ``folder-2``, ``-3``… if taken (a Pi without a clock repeats times)."""
    candidate, n = folder, 1
    while candidate.exists():
        n += 1
        candidate = folder.with_name(f"{folder.name}-{n}")
    return candidate


class SessionWriter:
    """One session file, appended line by line; a failing disk counts errors."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.path = folder / FILE_NAME
        self.file: IO[str] = open(self.path, "a", encoding="utf-8")
        self.errors = 0
        self.last_error: str | None = None

    def write(self, record: dict[str, Any], *, sync: bool = False) -> bool:
        try:
            self.file.write(dumps(record) + "\n")
            self.file.flush()
            if sync:
                os.fsync(self.file.fileno())
            return True
        except (OSError, ValueError, TypeError) as e:  # TypeError: a value JSON cannot hold
            self.errors += 1
            self.last_error = str(e)
            return False

    def close(self) -> None:
        try:
            self.file.close()
        except OSError as e:  # the flush of a full disk
            self.errors += 1
            self.last_error = str(e)
