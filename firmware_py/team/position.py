"""How far the broker has acknowledged: the only thing the publisher keeps while the
broker is away (the session files are the spool).

One small JSON file beside the sessions, ``team.json``: the sessions wholly
acknowledged (``done``) and, for the one under way, the last line acknowledged.
Written as the settings are (temp file, fsync, rename, fsync the folder), so a power
cut leaves the old position or the new, never a torn one: after it the publisher
resends at most what was acknowledged since the last write, and a subscriber drops
those by their ids.  ``done`` is a set rather than "everything before": a Pi without a
clock can name a new session earlier than the last one.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger("kneecue")
NAME = "team.json"
VERSION = 1


class Position:
    def __init__(self, path: Path, done: set[str] | None = None, session: str | None = None, line: int = 0,
                 *, fresh: bool = False) -> None:
        self.path = Path(path)
        self.done = set(done or ())
        self.session = session  # the session partly acknowledged
        self.line = line  # its last acknowledged line (1-based; 0: none)
        self.fresh = fresh  # no file was found: the publisher has never run here
        self._saved: tuple | None = self._key() if not fresh else None

    @classmethod
    def load(cls, path: Path) -> "Position":
        """The position on disk; a missing one is ``fresh``; an unreadable one is said
        once and treated as fresh (the history is then not sent again, see publisher)."""
        try:
            data = json.loads(Path(path).read_text())
            if not isinstance(data, dict) or data.get("v") != VERSION:
                raise ValueError(f"not a version {VERSION} position")
            done = data.get("done") or []
            line = data.get("line") or 0
            session = data.get("session")
            if not (isinstance(done, list) and all(isinstance(d, str) for d in done) and isinstance(line, int)
                    and (session is None or isinstance(session, str))):
                raise ValueError("malformed")
            return cls(path, set(done), session, line)
        except FileNotFoundError:
            return cls(path, fresh=True)
        except (OSError, ValueError) as e:
            log.warning("team: %s is unreadable (%s); starting from the newest session", path, e)
            return cls(path, fresh=True)

    def acked(self, session: str, line: int) -> None:
        if session in self.done:
            return
        self.session, self.line = session, line

    def finish(self, session: str) -> None:
        """Every line of ``session`` is acknowledged (or it has no more to send)."""
        self.done.add(session)
        if self.session == session:
            self.session, self.line = None, 0

    def resume_line(self, session: str) -> int:
        """The last line of ``session`` already acknowledged."""
        return self.line if session == self.session else 0

    def forget_missing(self, present: set[str]) -> None:
        """Sessions deleted from disk need no remembering."""
        self.done &= present

    def _key(self) -> tuple:
        return tuple(sorted(self.done)), self.session, self.line

    @property
    def dirty(self) -> bool:
        return self._key() != self._saved

    def save(self) -> bool:
        """Write atomically if changed; False (and a log line) if the disk refused."""
        if not self.dirty:
            return True
        data = json.dumps({"v": VERSION, "done": sorted(self.done), "session": self.session, "line": self.line})
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=folder)
            try:
                with os.fdopen(fd, "w") as f:
                    f.write(data + "\n")
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
            dirfd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dirfd)
            finally:
                os.close(dirfd)
        except OSError as e:
            log.warning("team: cannot keep the publishing position in %s (%s)", self.path, e)
            return False
        self._saved = self._key()
        return True
