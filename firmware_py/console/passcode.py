"""The console's passcode: ``lock`` and ``unlock``, and how many wrong tries are allowed.

A passcode set with ``lock PIN`` guards the commands that change settings
(``@command(..., guarded=True)``); it is stored hashed (``config.Passcode``) and
saved at once, leaving other unsaved changes unsaved.
"""

from __future__ import annotations

from firmware_py.device.config import Passcode
from firmware_py.console.registry import Context, Reply, command, fail, usage
from firmware_py.device.state import Device
from firmware_py.errors import ConfigError

UNLOCK_TRIES = 3
UNLOCK_WAIT_S = 30.0


@command("lock [PIN|off]", "lock the settings (set a PIN the first time; 'off' removes it)",
         "  while locked, set, save, reset and athlete need 'unlock PIN'.\n"
         "  A new or removed PIN is saved at once; the device starts locked if one is set.")
def _lock(ctx: Context, args: list[str], now: float) -> Reply:
    dev = ctx.device
    if len(args) > 1:
        return usage("lock")
    if not args:
        if dev.config.passcode is None:
            return fail("no passcode yet: 'lock PIN' sets one (4 to 8 digits)")
        dev.locked = True
        return Reply(True, "locked", {"locked": True})
    if dev.locked:
        return fail("locked: 'unlock PIN' first")
    if args[0].lower() == "off":
        return _store_passcode(dev, None, "passcode removed; the console stays unlocked")
    try:
        code = Passcode.create(args[0])
    except ConfigError as e:
        return fail(str(e))
    reply = _store_passcode(dev, code, "passcode set; locked")
    if reply.ok:
        dev.locked = True
    return reply


def _store_passcode(dev: Device, code: Passcode | None, text: str) -> Reply:
    """Write only the passcode into the saved settings, leaving unsaved changes unsaved."""
    try:
        dev.save(dev.saved.replace(passcode=code))
    except OSError as e:
        return fail(f"passcode not changed: cannot save ({e})")
    dev.update(lambda c: c.replace(passcode=code))
    return Reply(True, text, {"locked": code is not None})


@command("unlock PIN", "unlock the settings until 'lock' or a restart")
def _unlock(ctx: Context, args: list[str], now: float) -> Reply:
    dev = ctx.device
    if len(args) != 1:
        return usage("unlock")
    if not dev.locked:
        return Reply(True, "not locked", {"locked": False})
    wait = dev.unlock_wait_until - now
    if wait > 0:
        return fail(f"too many wrong passcodes: try again in {wait:.0f} s")
    if dev.config.passcode is not None and dev.config.passcode.matches(args[0]):
        dev.locked, dev.unlock_failures = False, 0
        return Reply(True, "unlocked", {"locked": False})
    dev.unlock_failures += 1
    if dev.unlock_failures >= UNLOCK_TRIES:
        dev.unlock_failures, dev.unlock_wait_until = 0, now + UNLOCK_WAIT_S
    return fail("wrong passcode")
