"""The console's passcode commands: ``lock`` and ``unlock``.

A passcode set with ``lock PIN`` guards the commands that change settings
(``@command(..., guarded=True)``).  The rules (stored hashed and saved at once,
leaving other unsaved changes unsaved; how many wrong tries before a wait) belong
to the settings store (``device.settings``); this module only words them.
"""

from __future__ import annotations

from firmware_py.device.config import Passcode
from firmware_py.console.registry import Context, Reply, command, fail, usage
from firmware_py.errors import ConfigError



@command("lock [PIN|off]", "lock the settings (set a PIN the first time; 'off' removes it)",
         "  while locked, set, save, reset and athlete need 'unlock PIN'.\n"
         "  A new or removed PIN is saved at once; the device starts locked if one is set.")
def _lock(ctx: Context, args: list[str], now: float) -> Reply:
    settings = ctx.device.settings
    if len(args) > 1:
        return usage("lock")
    if not args:
        if not settings.lock():
            return fail("no passcode yet: 'lock PIN' sets one (4 to 8 digits)")
        return Reply(True, "locked", {"locked": True})
    if settings.locked:
        return fail("locked: 'unlock PIN' first")
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
    text = "passcode set; locked" if code is not None else "passcode removed; the console stays unlocked"
    return Reply(True, text, {"locked": code is not None})


@command("unlock PIN", "unlock the settings until 'lock' or a restart")
def _unlock(ctx: Context, args: list[str], now: float) -> Reply:
    settings = ctx.device.settings
    if len(args) != 1:
        return usage("unlock")
    if not settings.locked:
        return Reply(True, "not locked", {"locked": False})
    why = settings.unlock(args[0], now)
    return fail(why) if why else Reply(True, "unlocked", {"locked": False})
