"""The topics and payloads a device publishes under ``kneecue/<device>/`` (schema
version 1; docs/team.md holds the contract the coach's view reads).

Pure: records in, (topic, JSON-ready dict) out; the wall clock is passed in.  Each
recorded message carries ``id`` = ``<device>/<session>/<line>``, the record's 1-based
line in its ``session.jsonl``: the same after a restart or a power cut, so a subscriber
de-duplicates on it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

VERSION = 1
ROOT = "kneecue"
PUBLISHED = ("session", "rep", "step", "landing", "end")  # record types that become messages


def topic(device: str, leaf: str) -> str:
    return f"{ROOT}/{device}/{leaf}"


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), allow_nan=False, default=str).encode()


@dataclass
class SessionContext:
    """What a session's earlier lines say that each message repeats: athlete and drill,
    and the wall-clock time of its ``t`` = 0."""

    session: str
    athlete: str | None = None
    drill: str | None = None
    t0: float | None = None  # unix seconds at record t == 0
    header: dict[str, Any] = field(default_factory=dict)

    def take(self, record: dict[str, Any]) -> None:
        """Follow a line (published or not): the header and drill lines change the context."""
        kind = record.get("type")
        if kind == "session":
            self.header = record
            self.athlete = _text(record.get("athlete"))
            self.drill = _text((record.get("thresholds") or {}).get("drill"))
            try:
                started = dt.datetime.fromisoformat(str(record.get("started"))).timestamp()
                self.t0 = started - float(record.get("t") or 0.0)
            except (TypeError, ValueError):
                self.t0 = None
        elif kind == "drill":
            self.drill = _text(record.get("drill")) or self.drill

    def when(self, record: dict[str, Any], now: float) -> float:
        t = record.get("t")
        if self.t0 is None or not isinstance(t, (int, float)) or isinstance(t, bool):
            return round(now, 3)
        return round(self.t0 + t, 3)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def message_id(device: str, session: str, line: int) -> str:
    return f"{device}/{session}/{line}"


def recorded(device: str, ctx: SessionContext, line: int, record: dict[str, Any], now: float,
             summary: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]] | None:
    """The message for the session file's line ``line`` (already taken into ``ctx``),
    or None for a line no subscriber is sent (cue, trace, clip...)."""
    kind = record.get("type")
    if kind not in PUBLISHED:
        return None
    body: dict[str, Any] = {"v": VERSION, "id": message_id(device, ctx.session, line), "device": device,
                            "session": ctx.session, "athlete": ctx.athlete, "drill": ctx.drill,
                            "t": ctx.when(record, now)}
    if kind in ("session", "end"):
        body["event"] = "start" if kind == "session" else "end"
        if kind == "end":
            body["summary"] = summary if summary is not None else {
                k: record.get(k) for k in ("reason", "reps", "failed")}
        return topic(device, "session"), body
    body[kind] = {k: v for k, v in record.items() if k != "type"}
    return topic(device, kind), body


def status(device: str, *, athlete: str | None, drill: str | None, light: str, session: str | None,
           now: float) -> dict[str, Any]:
    return {"v": VERSION, "device": device, "online": True, "athlete": athlete, "drill": drill, "light": light,
            "session": session, "t": round(now, 3)}


def offline(device: str) -> dict[str, Any]:
    """The status a subscriber sees when the device is gone: its last will, or said on a clean stop."""
    return {"v": VERSION, "device": device, "online": False}
