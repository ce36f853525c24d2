"""One MQTT message in, one typed record out (the schema: docs/team.md).

The devices publish JSON; inside the coach's view a message is a ``Status``, a
``SessionEvent`` or a ``Record`` (a rep, a running step or a landing), checked field
by field here and nowhere else.  Anything else (an unknown ``v``, a missing field, a
wrong type, bytes that are not JSON) is a ``BadMessage`` whose text is the one line
the view logs: the device, the topic and what was wrong.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Union

from firmware_py.core.errors import KneeCueError

__all__ = ["KINDS", "RECORD_KINDS", "BadMessage", "Message", "Record", "SessionEvent", "Status", "UnreadTopic", "parse"]

VERSION = 1
ROOT = "kneecue"
RECORD_KINDS = ("rep", "step", "landing")
KINDS = ("status", "session", *RECORD_KINDS)
MAX_PAYLOAD = 64 * 1024  # a rep line is about 1 kB; anything this big is not one
LEGS = ("left", "right", "both")
VERDICTS = ("pass", "fail")


class BadMessage(KneeCueError, ValueError):
    """A message the view ignores; ``str()`` is the one line it logs."""

    def __init__(self, topic: str, device: str, what: str):
        self.topic, self.device, self.what = topic, device, what
        super().__init__(f"ignored a message from device {device!r} on {topic}: {what}")


class UnreadTopic(BadMessage):
    """A topic under ``kneecue/`` this view does not read (a newer device's, say): said once per topic."""


@dataclass(frozen=True)
class Status:
    """The device's retained status, or its last will (``online`` false, nothing else known)."""

    device: str
    online: bool
    athlete: str | None = None
    drill: str | None = None
    light: str | None = None
    session: str | None = None
    t: float | None = None


@dataclass(frozen=True)
class SessionEvent:
    id: str
    device: str
    session: str
    event: str  # "start" or "end"
    athlete: str | None
    drill: str | None
    t: float


@dataclass(frozen=True)
class Record:
    """A rep, a running step or a landing: what the coach's view shows of it."""

    kind: str  # one of RECORD_KINDS
    id: str
    device: str
    session: str
    athlete: str | None
    drill: str | None
    t: float
    index: int | None
    leg: str | None
    verdict: str
    failed: tuple[str, ...]
    pattern: tuple[str, ...]  # lead first; empty: unclear (or not a knee fault)


Message = Union[Status, SessionEvent, Record]


def topic_parts(topic: str) -> tuple[str, str] | None:
    """(device, kind) of ``kneecue/<device>/<kind>``; None for any other shape."""
    parts = topic.split("/")
    if len(parts) != 3 or parts[0] != ROOT or not parts[1]:
        return None
    return parts[1], parts[2]


def parse(topic: str, payload: bytes) -> Message:
    """The message on ``topic``, checked against the schema; ``BadMessage`` if it is not one."""
    where = topic_parts(topic)
    device = where[0] if where else "?"
    if where is None or where[1] not in KINDS:
        raise UnreadTopic(topic, device, f"not a topic the coach's view reads (kneecue/<device>/{'|'.join(KINDS)})")
    kind = where[1]
    body = _json(topic, device, payload)
    check = _Checker(topic, device, body)
    if body.get("v") != VERSION:
        raise check.bad(f"schema version {body.get('v')!r}, this view reads v {VERSION}")
    said = check.field("device", str)
    if said != device:
        raise check.bad(f"the payload says device {said!r}, the topic {device!r}")
    if kind == "status":
        return _status(check, device)
    if kind == "session":
        return _session(check, device)
    return _record(check, device, kind)


def _json(topic: str, device: str, payload: bytes) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD:
        raise BadMessage(topic, device, f"{len(payload)} bytes, more than the {MAX_PAYLOAD} a message may be")
    try:
        body = json.loads(payload.decode("utf-8"), parse_constant=_not_a_number, parse_float=_finite)
    except _NotFinite as e:
        raise BadMessage(topic, device, f"holds {e}, not a finite number (JSON has no NaN or Infinity)") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise BadMessage(topic, device, f"not JSON ({e}): {payload[:40]!r}") from None
    if not isinstance(body, dict):
        raise BadMessage(topic, device, f"a JSON {type(body).__name__}, not an object")
    return body


class _NotFinite(KneeCueError, ValueError):
    """NaN, Infinity or a number too big for a float: Python's json takes them, a browser's JSON.parse does not."""


def _not_a_number(word: str) -> float:
    raise _NotFinite(word)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text[:40])
    return value


class _Checker:
    """Reads one field at a time, saying which one was wrong and how."""

    _NAMES = {str: "a string", bool: "true or false", int: "a whole number", float: "a number",
              list: "a list", dict: "an object"}

    def __init__(self, topic: str, device: str, body: dict[str, Any], prefix: str = ""):
        self.topic, self.device, self.body, self.prefix = topic, device, body, prefix

    def bad(self, what: str) -> BadMessage:
        return BadMessage(self.topic, self.device, what)

    def field(self, key: str, kind: type, *, optional: bool = False, choices: tuple = ()) -> Any:
        name = self.prefix + key
        if key not in self.body:
            if optional:
                return None
            raise self.bad(f'"{name}" is missing')
        value = self.body[key]
        if value is None and optional:
            return None
        if not _is(value, kind):
            raise self.bad(f'"{name}" is {json.dumps(value)[:40]}, not {self._NAMES[kind]}'
                           + (" or null" if optional else ""))
        if choices and value not in choices:
            raise self.bad(f'"{name}" is {value!r}, not one of {", ".join(choices)}')
        return value

    def words(self, key: str, *, optional: bool = False) -> tuple[str, ...]:
        """A list of strings (criteria, a pattern)."""
        value = self.field(key, list, optional=optional)
        if value is None:
            return ()
        if not all(isinstance(v, str) for v in value):
            raise self.bad(f'"{self.prefix + key}" holds something other than strings: {json.dumps(value)[:60]}')
        return tuple(value)

    def inner(self, key: str) -> _Checker:
        return _Checker(self.topic, self.device, self.field(key, dict), f"{self.prefix}{key}.")


def _is(value: Any, kind: type) -> bool:
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _status(check: _Checker, device: str) -> Status:
    if not check.field("online", bool):
        return Status(device, False)
    return Status(device, True, athlete=check.field("athlete", str, optional=True),
                  drill=check.field("drill", str, optional=True), light=check.field("light", str),
                  session=check.field("session", str, optional=True), t=check.field("t", float))


def _session(check: _Checker, device: str) -> SessionEvent:
    return SessionEvent(id=check.field("id", str), device=device, session=check.field("session", str),
                        event=check.field("event", str, choices=("start", "end")),
                        athlete=check.field("athlete", str, optional=True),
                        drill=check.field("drill", str, optional=True), t=check.field("t", float))


def _record(check: _Checker, device: str, kind: str) -> Record:
    inner = check.inner(kind)
    failed = inner.words("failed")
    if kind == "step":  # a step's leg is its side; it fails when any criterion does
        leg = inner.field("side", str, choices=("left", "right"))
        verdict = inner.field("verdict", str, optional=True, choices=VERDICTS) or ("fail" if failed else "pass")
        index = inner.field("index", int, optional=True)
    else:
        leg = inner.field("leg", str, choices=LEGS)
        verdict = inner.field("verdict", str, choices=VERDICTS)
        index = inner.field("index", int)
    if verdict == "pass" and failed:
        raise check.bad(f'"{kind}.verdict" is pass but "{kind}.failed" names {", ".join(failed)}')
    pattern = inner.words("pattern", optional=kind != "rep")
    return Record(kind=kind, id=check.field("id", str), device=device, session=check.field("session", str),
                  athlete=check.field("athlete", str, optional=True), drill=check.field("drill", str, optional=True),
                  t=check.field("t", float), index=index, leg=leg, verdict=verdict, failed=failed, pattern=pattern)
