"""When a training session starts and ends.  Pure: presence and time in, changes out.

A session starts on the first frame with an athlete in view, or when the coach
says so (``start``), and ends once nobody has been in view for ``quiet_s``, or
when the coach says so (``end``); a change of athlete ends it and starts the new
athlete's (``switch``).  After the coach ends one, a new session waits
until the athlete has left the view and come back: someone still standing there
while the coach reads the report is not a new session.
"""

from __future__ import annotations

from dataclasses import dataclass

START, END = "start", "end"


@dataclass(frozen=True)
class SessionParams:
    quiet_s: float = 60.0  # nobody in view this long ends a session


@dataclass(frozen=True)
class Change:
    kind: str  # START or END
    reason: str  # "athlete in view", "quiet", "console", "stopped", "athlete changed"
    t: float


class SessionTracker:
    def __init__(self, params: SessionParams | None = None) -> None:
        self.params = params or SessionParams()
        self.active = False
        self._last_seen: float | None = None
        self._armed = True  # may a session start on its own when someone is seen?

    def update(self, present: bool, t: float) -> list[Change]:
        """One frame: is an athlete in view at time ``t``?"""
        if present:
            self._last_seen = t
            if not self.active and self._armed:
                self.active = True
                return [Change(START, "athlete in view", t)]
            return []
        self._armed = True  # the view is empty: the next athlete starts a session
        if self.active and (self._last_seen is None or t - self._last_seen >= self.params.quiet_s):
            self.active = False
            return [Change(END, "quiet", t)]
        return []

    def start(self, t: float) -> list[Change]:
        """The coach starts a session (ending the one under way, if any)."""
        changes = self.end(t, "console")
        self.active, self._last_seen = True, t
        return changes + [Change(START, "console", t)]

    def switch(self, t: float, reason: str) -> list[Change]:
        """The athlete changed mid-session: the session under way ends and a new one
        starts for the new athlete at once (nothing if no session is under way)."""
        if not self.active:
            return []
        self._last_seen = t
        return [Change(END, reason, t), Change(START, reason, t)]

    def end(self, t: float, reason: str = "console") -> list[Change]:
        """The coach ends the session, or the device stops (``reason="stopped"``)."""
        if not self.active:
            return []
        self.active, self._armed = False, False
        return [Change(END, reason, t)]
