"""The coach's commands for session records: ``sessions``, ``session``, ``reps``, ``export``.

They read the session files the recorder writes (flushed per rep, so the current
one is up to date) and never touch the frame loop; ``session start|end`` is a
request the recorder's thread acts on.
"""

from __future__ import annotations

from pathlib import Path

from firmware_py.console.registry import Context, Reply, command, fail, usage
from firmware_py.core.reps import Rep
from firmware_py.records.sessionfile import find_session, read_session, session_files, to_csv
from firmware_py.wording import rep_line


def _root(ctx: Context) -> Path | None:
    dev = ctx.device
    if dev.recorder is not None:
        return dev.recorder.root
    return None if dev.settings.state_dir is None else dev.settings.state_dir / "sessions"


def _count(args: list[str], name: str, default: int) -> int | Reply:
    try:
        n = int(args[0]) if args else default
    except ValueError:
        return usage(name)
    if len(args) > 1 or not 1 <= n <= 100:
        return fail("N is 1 to 100")
    return n


@command("sessions [N]", "the last N recorded sessions (default 5): start, athlete, reps, failed")
def _sessions(ctx: Context, args: list[str], now: float) -> Reply:
    n = _count(args, "sessions", 5)
    if isinstance(n, Reply):
        return n
    root = _root(ctx)
    files = session_files(root)[-n:] if root is not None and root.is_dir() else []
    if not files:
        return Reply(True, "no sessions recorded yet", {"sessions": []})
    current = ctx.device.recorder.current if ctx.device.recorder is not None else None
    lines, data = [], []
    for path in files:
        s = read_session(path, trace=False).summary()
        state = "recording" if path == current else (s["ended"] or "cut short")
        legs = ", ".join(f"{n} {leg}" for leg, n in s["reps_per_leg"].items() if n)
        lines.append(f"{s['id']}  {s['athlete'] or '?'}: {s['reps']} reps{f' ({legs})' if legs else ''}, "
                     f"{s['failed']} failed  [{state}]")
        data.append({**s, "state": state})
    return Reply(True, "\n".join(lines), {"sessions": data})


@command("session [start|end]", "the session being recorded; start a new one now, or end it",
         "A session starts by itself when an athlete steps into view and ends after a minute with "
         "nobody in view. 'session start' begins a new one at once; 'session end' closes it (the next "
         "starts once the athlete has left the view and come back).", guarded=True, looks=True)
def _session(ctx: Context, args: list[str], now: float) -> Reply:
    recorder = ctx.device.recorder
    if recorder is None:
        return fail("recording is off (kneecue run --no-record, or records.enabled false in the settings)")
    if not args:
        current = recorder.current
        if current is None:
            return Reply(True, "no session under way", {"session": None})
        s = read_session(current, trace=False).summary()
        return Reply(True, f"recording {s['id']}: {s['reps']} reps, {s['failed']} failed",
                     {"session": s["id"], "reps": s["reps"]})
    if len(args) > 1 or args[0] not in ("start", "end"):
        return usage("session")
    request = recorder.request(args[0])
    if request.problem:
        return fail(f"no session started: {request.problem}")
    said = "a new session starts now" if args[0] == "start" else "the session ends now"
    return Reply(True, said if request.done.is_set() else said.replace(" now", " in a moment (the recorder is busy)"))


@command("reps [N]", "the last N reps of the current session (default 5): leg, verdict, peaks")
def _reps(ctx: Context, args: list[str], now: float) -> Reply:
    n = _count(args, "reps", 5)
    if isinstance(n, Reply):
        return n
    recorder = ctx.device.recorder
    if recorder is None:  # not recording: the reps the loop has seen since start
        reps = list(ctx.device.mailbox.reps)[-n:]
        if not reps:
            return Reply(True, "no reps yet", {"reps": []})
        return Reply(True, "\n".join(rep_line(r) for r in reps), {"reps": [r.to_dict() for r in reps]})
    current = recorder.current
    if current is None:
        return Reply(True, "no session under way: 'sessions' lists the recorded ones, 'export last' prints one",
                     {"reps": []})
    records = read_session(current, trace=False).reps[-n:]
    if not records:
        return Reply(True, "no reps yet in this session", {"reps": []})
    reps = [Rep.from_dict(r) for r in records]
    return Reply(True, "\n".join(rep_line(r) for r in reps), {"reps": records})


@command("export [SESSION]", "a session's reps as CSV (default: the current one, else the last)",
         "SESSION is an id from 'sessions' (or its first characters) or 'last'; never a path.")
def _export(ctx: Context, args: list[str], now: float) -> Reply:
    if len(args) > 1:
        return usage("export")
    root = _root(ctx)
    if root is None:
        return fail("no state directory: nothing is recorded")
    current = ctx.device.recorder.current if ctx.device.recorder is not None else None
    name = args[0] if args else None
    try:
        path = current if name is None and current is not None else find_session(root, name or "last")
    except LookupError as e:
        return fail(f"{e}; 'sessions' lists them")
    session = read_session(path, trace=False)  # line by line: a huge file costs little memory (sessionfile)
    text = to_csv(session)
    return Reply(True, text.rstrip("\n"), {"session": session.id, "csv": text})
