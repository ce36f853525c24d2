"""The team as the coach sees it: messages in, a view model out.

Pure: no network, no clock (the time a message was received is passed in), no
locks.  Per device it keeps whether the device is online, its athlete, drill, light
and session, the last few reps, steps or landings, and for each session it
remembers, every record id it has counted (QoS 1 delivers at least once: a record
seen again is dropped here) and per-athlete totals.  Memory is bounded: a few
records shown per device, a few sessions remembered per device; a record of a
session long forgotten is dropped rather than counted again.
"""

from __future__ import annotations

from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field

from .messages import Message, Record, SessionEvent, Status
from .words import criterion_words, light_view, pattern_words, what_words

__all__ = ["Team"]

RECENT = 10  # records shown per device
SESSIONS_KEPT = 4  # sessions whose ids and totals are remembered per device
FORGOTTEN_KEPT = 64  # names of sessions dropped, so their late records are not counted again


@dataclass
class _Totals:
    reps: int = 0
    passed: int = 0
    failed: int = 0
    by_criterion: Counter = field(default_factory=Counter)

    def add(self, record: Record) -> None:
        self.reps += 1
        if record.verdict == "pass":
            self.passed += 1
        else:
            self.failed += 1
        self.by_criterion.update(record.failed)


@dataclass
class _Session:
    ids: set = field(default_factory=set)
    totals: dict = field(default_factory=dict)  # athlete ("" when none was set) -> _Totals
    open: bool = True


@dataclass
class _Device:
    name: str
    online: bool = False
    athlete: str | None = None
    drill: str | None = None
    light: str | None = None
    session: str | None = None  # the session shown: the latest the device has said or recorded in
    session_open: bool = False
    t: float | None = None  # the device's time of its last status
    seq: int = 0  # the team's change count when this device last changed
    recent: list = field(default_factory=list)  # (record, received), oldest first
    sessions: OrderedDict = field(default_factory=OrderedDict)  # session id -> _Session, oldest first
    forgotten: deque = field(default_factory=lambda: deque(maxlen=FORGOTTEN_KEPT))

    def session_of(self, name: str) -> _Session | None:
        """The session's tally, made (and the oldest dropped) if new; None if long forgotten."""
        if name in self.sessions:
            return self.sessions[name]
        if name in self.forgotten:
            return None
        self.sessions[name] = _Session()
        while len(self.sessions) > SESSIONS_KEPT:
            self.forgotten.append(self.sessions.popitem(last=False)[0])
        return self.sessions[name]


class Team:
    """Every device heard from, and what changed when (``seq``), for streaming only changes."""

    def __init__(self):
        self._devices: dict[str, _Device] = {}
        self.seq = 0
        self.duplicates = 0

    def receive(self, message: Message, received: float) -> bool:
        """Take in one message; False if it changed nothing (a record already counted)."""
        device = self._devices.get(message.device) or self._devices.setdefault(message.device, _Device(message.device))
        if isinstance(message, Status):
            changed = self._status(device, message)
        elif isinstance(message, SessionEvent):
            changed = self._session(device, message)
        else:
            changed = self._record(device, message, received)
        if changed:
            self.seq += 1
            device.seq = self.seq
        return changed

    @staticmethod
    def _status(device: _Device, status: Status) -> bool:
        if not status.online:  # the last will: nothing else is known, so the rest stays as it was
            device.online = False
            return True
        device.online, device.athlete, device.drill, device.light, device.t = (
            True, status.athlete, status.drill, status.light, status.t)
        if status.session is not None:
            device.session_of(status.session)
            device.session = status.session
        device.session_open = status.session is not None
        return True

    @staticmethod
    def _session(device: _Device, event: SessionEvent) -> bool:
        tally = device.session_of(event.session)
        if tally is None:
            return False
        tally.open = event.event == "start"
        if event.event == "start" or device.session in (None, event.session):
            device.session, device.session_open = event.session, tally.open
            device.athlete, device.drill = event.athlete, event.drill
        return True

    def _record(self, device: _Device, record: Record, received: float) -> bool:
        known = record.session in device.sessions
        tally = device.session_of(record.session)
        if tally is None or record.id in tally.ids:
            self.duplicates += 1
            return False
        tally.ids.add(record.id)
        tally.totals.setdefault(record.athlete or "", _Totals()).add(record)
        if not known:  # the device's first word of this session (its start was missed)
            device.session, device.session_open = record.session, True
        device.recent.append((record, received))
        device.recent.sort(key=lambda pair: (pair[0].t, pair[0].index or 0))
        del device.recent[:-RECENT]
        return True

    def changed_since(self, seq: int) -> list[str]:
        """The devices that changed after the team's change count was ``seq``."""
        return sorted(name for name, d in self._devices.items() if d.seq > seq)

    def devices(self) -> list[str]:
        return sorted(self._devices)

    def view(self, name: str) -> dict:
        """One device as the page shows it (JSON-ready)."""
        d = self._devices[name]
        tally = d.sessions.get(d.session) if d.session is not None else None
        return {"device": d.name, "online": d.online, "athlete": d.athlete, "drill": d.drill,
                "light": light_view(d.light, d.online), "session": d.session, "session_open": d.session_open,
                "t": d.t, "recent": [_record_view(r, seen) for r, seen in reversed(d.recent)],
                "totals": [] if tally is None else [_totals_view(a, t) for a, t in sorted(tally.totals.items())]}


def _record_view(r: Record, received: float) -> dict:
    return {"id": r.id, "kind": r.kind, "index": r.index, "leg": r.leg, "athlete": r.athlete, "drill": r.drill,
            "session": r.session, "t": r.t, "received": received, "what": what_words(r.kind, r.index, r.leg),
            "verdict": r.verdict, "failed": list(r.failed),
            "failed_words": ", ".join(criterion_words(c) for c in r.failed),
            "pattern": list(r.pattern), "pattern_words": pattern_words(r.pattern, r.failed)}


def _totals_view(athlete: str, t: _Totals) -> dict:
    return {"athlete": athlete, "reps": t.reps, "passed": t.passed, "failed": t.failed,
            "by_criterion": [{"criterion": c, "words": criterion_words(c), "n": n}
                             for c, n in sorted(t.by_criterion.items(), key=lambda cn: (-cn[1], cn[0]))]}
