"""The session files read as the publisher's queue: every line of every session not
yet acknowledged, in file order, sessions in the order of their folders' names except
the one the recorder is writing, which comes last (folders are named by the wall clock,
and a Pi without a real-time clock may come back from a power cut with its clock earlier).

Nothing is copied: the spool holds an open file, a byte offset and a line number.  A
line is handed out only once it is whole (ends in a newline): the recorder may be
half-way through writing it.  A session is over at its ``end`` line, or, cut short by a
power cut, when its file has nothing more and the recorder is writing another session,
or (the recorder's session unknown) another session not yet done exists beside it,
whatever its name sorts as; a torn or unreadable line is counted (line numbers stay
those of the file) and skipped.  Lines of kinds never published nor followed (trace,
cue, clip...) are not parsed: their type is read from the line's start.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable

from firmware_py.records.sessionfile import FILE_NAME, MAX_LINE, read_session
from firmware_py.team.messages import PUBLISHED, SessionContext
from firmware_py.team.position import Position

log = logging.getLogger("kneecue")
TAIL_BYTES = 1 << 16  # how much of a file's end is read to see whether it has its end line
LIST_S = 1.0  # the sessions folder is listed at most this often (a new session waits up to this)
FOLLOWED = frozenset(PUBLISHED) | {"drill"}  # the kinds parsed: published, or changing the context
_KIND = re.compile(rb'\{\s*"type"\s*:\s*"([A-Za-z_]+)"')  # how the recorder starts every line


@dataclass
class Line:
    """One line of a session file: ``record`` None when it could not be read;
    ``last``: no line of this session follows."""

    session: str
    number: int  # 1-based, as in the file
    record: dict[str, Any] | None
    context: SessionContext
    last: bool = False
    summary: dict[str, Any] | None = None  # on an end line: the session's summary


class Spool:
    """``current()``: the name of the session the recorder is writing now, or None (none,
    or not known)."""

    def __init__(self, root: Path, position: Position, current: Callable[[], str | None] = lambda: None) -> None:
        self.root = Path(root)  # <state>/sessions
        self.position = position
        self.current = current
        self._file: IO[bytes] | None = None
        self._session: str | None = None
        self._number = 0
        self._context: SessionContext | None = None
        self._read_out: set[str] = set()  # sessions handed out to their last line (acknowledged or not)
        self._listed: tuple[float, list[str]] = (-LIST_S, [])

    def sessions(self) -> list[str]:
        """The session folders' names, sorted; listed afresh at most every LIST_S (hundreds
        of sessions on an SD card are not worth a listing ten times a second)."""
        at, names = self._listed
        now = time.monotonic()
        if now - at < LIST_S:
            return names
        try:
            names = sorted(p.parent.name for p in self.root.glob(f"*/{FILE_NAME}"))
        except OSError:
            names = []
        self._listed = (now, names)
        return names

    def ordered(self) -> list[str]:
        """The sessions in the order they are sent: by name, the recorder's own last."""
        names, current = self.sessions(), self.current()
        return [n for n in names if n != current] + [n for n in names if n == current]

    def baseline(self) -> None:
        """The first start here: sessions already over are history, not sent (a device
        switched on to a broker sends from now on, and the session under way from its start)."""
        names = self.ordered()
        for name in names[:-1]:
            self.position.finish(name)
        if names and _has_end(self.root / names[-1] / FILE_NAME):
            self.position.finish(names[-1])
        self.position.forget_missing(set(names))

    def next(self) -> Line | None:
        """The next whole line not handed out yet, or None when there is none for now."""
        while True:
            if self._file is None and not self._open_next():
                return None
            line = self._read()
            if line is not None:
                return line
            if not self._cut_short():
                return None
            line = self._read()  # its end line may have come since it was looked for
            if line is not None:
                return line
            line = Line(self._session, self._number, None, self._context, last=True)  # cut short: over
            self._close()
            return line

    def close(self) -> None:
        self._close()

    # -- inside ---------------------------------------------------------------------

    def _open_next(self) -> bool:
        """Open the first session not done, past the lines already acknowledged."""
        names = self.ordered()
        self.position.forget_missing(set(names))
        for name in [n for n in names if n not in self.position.done and n not in self._read_out]:
            try:
                self._file = open(self.root / name / FILE_NAME, "rb")
            except OSError as e:
                log.warning("team: cannot read session %s (%s); skipped", name, e)
                self.position.finish(name)
                continue
            self._session, self._number, self._context = name, 0, SessionContext(name)
            skip = self.position.resume_line(name)
            while self._file is not None and self._number < skip:  # acknowledged before: followed, not sent
                if self._read() is None:
                    break
            if self._file is not None:
                return True
            self.position.finish(name)  # its end line was acknowledged already
        return False

    def _read(self) -> Line | None:
        f = self._file
        start = f.tell()
        raw = f.readline(MAX_LINE + 1)
        if not raw.endswith(b"\n"):
            if len(raw) > MAX_LINE:  # a line no reader keeps: skip to its end
                while (chunk := f.readline(MAX_LINE)) and not chunk.endswith(b"\n"):
                    pass
                if not chunk:
                    f.seek(start)
                    return None
                record = None
            else:
                f.seek(start)  # not whole yet (or torn for good: _newer_exists decides)
                return None
        else:
            record = _take(raw)
        self._number += 1
        if record is not None:
            self._context.take(record)
        line = Line(self._session, self._number, record, self._context)
        if record is not None and record.get("type") == "end":
            line.last, line.summary = True, _summary(self.root / self._session / FILE_NAME, record)
            self._close()
        return line

    def _cut_short(self) -> bool:
        """Whether the open session, its file read to the end, is over: the recorder
        writes another, or (not known which) another session not done exists."""
        current = self.current()
        if current is not None:
            return current != self._session
        return any(n != self._session and n not in self.position.done and n not in self._read_out
                   for n in self.sessions())

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._read_out.add(self._session)
        self._file = None


def _take(raw: bytes) -> dict[str, Any] | None:
    """The line's record; for a kind neither published nor followed, only its type."""
    kind = _KIND.match(raw.lstrip(b"\x00 "))
    if kind is not None and kind.group(1).decode() not in FOLLOWED:
        return {"type": kind.group(1).decode()}
    return _parse(raw)


def _parse(raw: bytes) -> dict[str, Any] | None:
    raw = raw.strip(b"\x00 \r\n")
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def _has_end(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - TAIL_BYTES))
            tail = f.read()
    except OSError:
        return True  # unreadable: nothing to send from it
    return any(_parse(x) is not None and _parse(x).get("type") == "end" for x in tail.splitlines()[-4:])


def _summary(path: Path, end: dict[str, Any]) -> dict[str, Any]:
    """The session's end summary as ``kneecue report`` and ``sessions`` count it."""
    try:
        session = read_session(path, trace=False)
        summary, t0 = session.summary(), session.header.get("t")
    except OSError:
        summary, t0 = {}, None
    t1 = end.get("t")
    if isinstance(t0, (int, float)) and isinstance(t1, (int, float)):
        summary["duration_s"] = round(t1 - t0, 3)
    summary["ended"] = end.get("reason")
    summary.setdefault("reps", end.get("reps"))
    summary.setdefault("failed", end.get("failed"))
    return summary
