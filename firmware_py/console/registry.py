"""The console's command registry: one line of text in, one Reply out.

No port, no thread, no clock: ``handle(ctx, line, now)`` is all there is, so every
command is tested as text.  Commands register themselves with ``@command`` from the
modules that hold them (``commands``: settings, athletes and display; ``guided``: the
procedures; ``passcode``; ``records``: the recorded sessions); ``console.session``
imports them all.  A passcode set with ``lock PIN`` guards the commands marked
``guarded``: everything that changes what the athlete sees or what is saved.  Those
marked ``looks`` too only read when given no argument (``mode``), and that form stays
open.  An unlock belongs to one connection (its ``Context``): a new one starts locked.
"""

from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass, field
from typing import Any, Callable

from firmware_py.device.state import Device

__all__ = ["COMMANDS", "Context", "Reply", "closest", "command", "fail", "handle", "is_locked", "open_while_locked",
           "prompt", "usage"]


@dataclass
class Reply:
    ok: bool
    text: str
    data: dict[str, Any] = field(default_factory=dict)


def fail(text: str, **data: Any) -> Reply:
    return Reply(False, text, data)


@dataclass
class Context:
    """One console connection: the device it drives and its own display options."""

    device: Device
    json: bool = False
    stream_hz: float = 0.0
    unlocked: bool = False  # 'unlock PIN' on this connection; never carried over to another


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    summary: str
    details: str | Callable[[], str]  # a callable: worked out when asked (``help lock`` lists the others)
    guarded: bool
    looks: bool  # guarded, but the bare command only reads (``mode`` tells the mode)
    run: Callable[[Context, list[str], float], Reply]

    def locked(self, args: list[str]) -> bool:
        """Whether this use of the command is one the passcode guards."""
        return self.guarded and not (self.looks and not args)


COMMANDS: dict[str, Command] = {}


def command(usage: str, summary: str, details: str | Callable[[], str] = "", *, guarded: bool = False,
            looks: bool = False):
    def register(run: Callable[[Context, list[str], float], Reply]) -> Callable[..., Reply]:
        name = usage.split()[0]
        COMMANDS[name] = Command(name, usage, summary, details, guarded, looks, run)
        return run
    return register


def is_locked(ctx: Context) -> bool:
    """This connection is locked: a passcode is set and it has not been given here."""
    return ctx.device.settings.locked and not ctx.unlocked


def open_while_locked() -> str:
    """The commands a locked console still runs, in words (``help lock``, docs/security.md)."""
    free = [c.name for c in COMMANDS.values() if not c.guarded]
    looking = [c.name for c in COMMANDS.values() if c.guarded and c.looks]
    return f"open while locked: {', '.join(free)}; and to look only (no argument): {', '.join(looking)}"


def handle(ctx: Context, line: str, now: float) -> Reply | None:
    """Run one console line; None for a blank one."""
    try:
        words = shlex.split(line)
    except ValueError as e:
        return fail(f"cannot read that line ({e})")
    if not words:
        return None
    name, args = words[0].lower(), words[1:]
    cmd = COMMANDS.get(name)
    if cmd is None:
        return fail(f"unknown command {name!r}; " + closest(name, COMMANDS, "type 'help' for the list"),
                    command=name)
    if cmd.locked(args) and is_locked(ctx):
        return fail(f"{name} is locked: 'unlock PIN' first", command=name)
    reply = cmd.run(ctx, args, now)
    reply.data.setdefault("command", name)
    return reply


def prompt(ctx: Context) -> str:
    return f"kneecue{'*' if ctx.device.settings.unsaved else ''}{'#' if is_locked(ctx) else ''}> "


def closest(word: str, known: Any, otherwise: str) -> str:
    close = difflib.get_close_matches(word, list(known), n=3, cutoff=0.5)
    return ("did you mean: " + ", ".join(close) + "?") if close else otherwise


def usage(name: str) -> Reply:
    return fail(f"usage: {COMMANDS[name].usage}", command=name)


# -- help -------------------------------------------------------------------------------


@command("help [COMMAND]", "list the commands, or explain one")
def _help(ctx: Context, args: list[str], now: float) -> Reply:
    if args:
        cmd = COMMANDS.get(args[0].lower())
        if cmd is None:
            return fail(f"no command {args[0]!r}; " + closest(args[0], COMMANDS, "type 'help' for the list"))
        lock = ("\n(locked by a passcode: 'unlock PIN' first" + (", except to look" if cmd.looks else "") + ")"
                if cmd.guarded else "")
        details = cmd.details() if callable(cmd.details) else cmd.details
        text = f"{cmd.usage}\n  {cmd.summary}" + (f"\n{details}" if details else "") + lock
        return Reply(True, text, {"usage": cmd.usage, "summary": cmd.summary})
    width = max(len(c.usage) for c in COMMANDS.values())
    lines = [f"  {c.usage:<{width}}  {c.summary}" for c in COMMANDS.values()]
    lines.append("Settings are in use at once and kept only by 'save' ('*' in the prompt: unsaved).")
    lines.append("KneeCue is a training-feedback device, not a diagnostic one.")
    return Reply(True, "\n".join(lines), {"commands": list(COMMANDS)})
