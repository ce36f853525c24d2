"""The console's passcode commands: ``lock`` and ``unlock``.

A passcode set with ``lock PIN`` guards the commands that change what the athlete
sees or what is saved (``@command(..., guarded=True)``; ``help lock`` lists the rest).
An unlock holds for the connection that made it (its ``Context``) until ``lock`` or
the connection ends: a new connection starts locked.  The rules (stored hashed and
saved at once, leaving other unsaved changes unsaved; how many wrong tries before a
wait) belong to the settings store (``device.settings``); this module only words them.
"""

from __future__ import annotations

from firmware_py.console.registry import Context, Reply, command, fail, is_locked, open_while_locked, usage
from firmware_py.device.config import Passcode
from firmware_py.errors import ConfigError


def _details() -> str:
    return ("  while locked, every command that changes what the athlete sees or what is saved needs\n"
            "  'unlock PIN' first; " + open_while_locked() + ".\n"
            "  An unlock lasts until 'lock' or the end of this connection; a new connection starts locked.\n"
            "  A new or removed PIN is saved at once; the device starts locked if one is set.")


@command("lock [PIN|off]", "lock the console (set a PIN the first time; 'off' removes it)", _details)
def _lock(ctx: Context, args: list[str], now: float) -> Reply:
    settings = ctx.device.settings
    if len(args) > 1:
        return usage("lock")
    if not args:
        if not settings.locked:
            return fail("no passcode yet: 'lock PIN' sets one (4 to 20 digits)")
        ctx.unlocked = False
        return Reply(True, "locked", {"locked": True})
    if settings.passcode_lost and args[0].lower() == "off":
        return fail("the passcode was lost with the damaged settings file: 'lock PIN' sets a new one first")
    if is_locked(ctx) and not settings.passcode_lost:  # a lost passcode can only be replaced
        return fail("lock is locked: 'unlock PIN' first")
    code = None
    if args[0].lower() != "off":
        try:
            code = Passcode.create(args[0])
        except ConfigError as e:
            return fail(str(e))
    try:
        settings.set_passcode(code)
    except OSError as e:
        return fail(f"passcode not changed: cannot save ({e})")
    ctx.unlocked = False
    text = "passcode set; locked" if code is not None else "passcode removed; the console stays unlocked"
    return Reply(True, text, {"locked": code is not None})


@command("unlock PIN", "unlock the console for this connection, until 'lock' or it ends")
def _unlock(ctx: Context, args: list[str], now: float) -> Reply:
    settings = ctx.device.settings
    if len(args) != 1:
        return usage("unlock")
    if not is_locked(ctx):
        return Reply(True, "not locked", {"locked": False})
    why = settings.unlock(args[0], now)
    if why:
        return fail(why)
    ctx.unlocked = True
    return Reply(True, "unlocked", {"locked": False})
