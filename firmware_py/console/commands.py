"""The coach's commands for the device: version and status, thresholds, modes,
rotation, athletes and the display options (registered in ``console.registry``).

Changes go through the Device (applied by the frame loop from its next frame) and are
in use at once but kept only by ``save``; the prompt shows ``*`` while something is
unsaved.
"""

from __future__ import annotations

import platform
from typing import Any

from firmware_py import __version__
from firmware_py.console import team
from firmware_py.console.registry import Context, Reply, closest, command, fail, is_locked, usage
from firmware_py.core.patterns import MODES
from firmware_py.core.settings import DEFAULT, SETTINGS
from firmware_py.core.vocabulary import DRILL_CHOICES
from firmware_py.device.config import ATHLETE_NAME, Profile
from firmware_py.errors import SettingError
from firmware_py.wording import drill_words

STREAM_HZ = (0.2, 30.0)


@command("version", "software, runtime and model versions")
def _version(ctx: Context, args: list[str], now: float) -> Reply:
    info = {"kneecue": __version__, "python": platform.python_version(), **ctx.device.info}
    return Reply(True, ", ".join(f"{k} {v}" for k, v in info.items()), info)


# -- status ---------------------------------------------------------------------------


def _ago(seconds: float) -> str:
    return f"{seconds:.1f} s ago" if seconds < 120 else f"{seconds / 60:.0f} min ago"


def _uptime(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


@command("status", "athlete, mode, frame rate, latency, last cue, warnings and faults")
def _status(ctx: Context, args: list[str], now: float) -> Reply:
    dev, cfg = ctx.device, ctx.device.settings.config
    r = dev.mailbox.readings
    data: dict[str, Any] = {
        "athlete": cfg.athlete, "mode": cfg.mode, "buzzer": "off" if cfg.muted else "on",
        "calibrated": cfg.calibration is not None, "uptime_s": round(now - dev.started, 1),
        "unsaved": dev.settings.unsaved, "locked": is_locked(ctx), "procedure": dev.mailbox.busy,
        "warnings": list(dev.health.warnings.values()), "faults": dict(dev.health.faults), **dev.info,
    }
    lines = [f"athlete {cfg.athlete} ({'calibrated' if cfg.calibration else 'not calibrated'}), "
             f"mode {cfg.mode}, buzzer {data['buzzer']}, up {_uptime(now - dev.started)}"
             + (", locked" if is_locked(ctx) else "")]
    if "model" in dev.info:
        lines.append(f"model {dev.info['model']}")
    if r is None:
        lines.append("no frame scored yet")
    else:
        data.update(fps=round(r.fps, 1), latency_ms=round(r.latency_ms, 1), dropped=r.dropped, frame=r.frame,
                    pattern=r.pattern, phase=r.phase, stance=r.metrics.get("stance"),
                    frame_age_s=round(now - r.at, 2))
        lines.append(f"{r.fps:.1f} fps, capture to cue {r.latency_ms:.1f} ms, {r.dropped} frames dropped; "
                     f"frame {r.frame} {_ago(now - r.at)}, showing {r.pattern}, {r.phase}, "
                     f"stance {r.metrics.get('stance')}")
    drill = cfg.thresholds.drill
    data["drill"] = {"set": drill, "judged": None if r is None else r.drill,
                     "decided": None if r is None or r.decided is None else r.decided.to_dict()}
    if drill != "auto":
        lines.append(f"drill {drill_words(drill)}")
    else:
        lines.append("drill " + ("auto: no frame yet" if r is None else drill_words(r.drill, r.decided)
                                 if r.drill != "auto" else drill_words("auto")))
    if dev.mailbox.last_cue is None:
        lines.append("last cue: none yet")
    else:
        at, cue = dev.mailbox.last_cue
        data["last_cue"] = {"level": cue.level, "reasons": list(cue.reasons), "age_s": round(now - at, 1)}
        lines.append(f"last cue: {cue.level} {_ago(now - at)}: " + ", ".join(x.replace("_", " ") for x in cue.reasons))
    if dev.mailbox.busy:
        lines.append(f"running: {dev.mailbox.busy}")
    recording = None if dev.recorder is None else dev.recorder.current
    data["session"] = None if recording is None else recording.parent.name
    lines.append("recording: off" if dev.recorder is None else
                 f"recording: session {recording.parent.name}" if recording else "recording: no session under way")
    if dev.settings.unsaved:
        lines.append("unsaved: " + ", ".join(dev.settings.unsaved))
    if dev.team is not None:
        lines.append(dev.team.line())
        data["broker"] = dev.team.data()
    lines += [f"warning: {name}: {text}" for name, text in dev.health.warnings.items()]
    lines += [f"FAULT {name}: {text}" for name, text in dev.health.faults.items()] or ["faults: none"]
    return Reply(True, "\n".join(lines), data)


# -- thresholds -----------------------------------------------------------------------


def _describe(key: str, value: Any) -> str:
    spec = SETTINGS[key]
    return f"{key} = {spec.show(value)}  ({spec.allowed}, default {spec.show(getattr(DEFAULT, key))}): {spec.help}"


def _unknown_key(key: str) -> Reply:
    return fail(f"unknown setting {key!r}; " + closest(key, SETTINGS, "'get' lists them"))


@command("get [KEY]", "show one threshold or all, with unit, range and default")
def _get(ctx: Context, args: list[str], now: float) -> Reply:
    th = ctx.device.settings.config.thresholds
    if len(args) > 1:
        return usage("get")
    keys = [args[0].lower()] if args else list(SETTINGS)
    if keys[0] in team.KEYS:
        return team.get_broker(ctx)
    if keys[0] not in SETTINGS:
        return _unknown_key(keys[0])
    return Reply(True, "\n".join(_describe(k, getattr(th, k)) for k in keys),
                 {"athlete": ctx.device.settings.config.athlete, "values": {k: getattr(th, k) for k in keys}})


@command("set KEY VALUE", "change a threshold (checked; in use from the next frame)",
         "  'get' lists the keys, units and ranges; 'save' keeps the change.\n" + team.HELP, guarded=True)
def _set(ctx: Context, args: list[str], now: float) -> Reply:
    if len(args) != 2:
        return usage("set")
    key, text = args[0].lower(), args[1]
    if key in team.KEYS:
        return team.set_broker(ctx, key, text)
    if key not in SETTINGS:
        return _unknown_key(key)
    try:
        new = ctx.device.settings.config.thresholds.with_value(key, text)
    except SettingError as e:
        return fail(f"{key} not changed: {e}", key=key, allowed=SETTINGS[key].allowed)
    old = getattr(ctx.device.settings.config.thresholds, key)
    ctx.device.settings.update(lambda c: c.with_profile(thresholds=new))
    value = getattr(new, key)
    return Reply(True, _describe(key, value) + f"\n  was {SETTINGS[key].show(old)}; in use from the next frame",
                 {"key": key, "value": value, "was": old})


@command("reset KEY|all|calibration", "back to the default for one threshold, all of them, or no calibration",
         guarded=True)
def _reset(ctx: Context, args: list[str], now: float) -> Reply:
    if len(args) != 1:
        return usage("reset")
    what = args[0].lower()
    if what == "all":
        ctx.device.settings.update(lambda c: c.with_profile(thresholds=DEFAULT))
        return Reply(True, "every threshold is back to its default", {"reset": "all"})
    if what == "calibration":
        ctx.device.settings.update(lambda c: c.with_profile(calibration=None))
        return Reply(True, "calibration cleared: image axes are level again", {"reset": "calibration"})
    if what not in SETTINGS:
        return _unknown_key(what)
    try:
        new = ctx.device.settings.config.thresholds.with_value(what, getattr(DEFAULT, what))
    except SettingError as e:  # the default would break an ordering (warn above alert)
        return fail(f"{what} not reset: {e}")
    ctx.device.settings.update(lambda c: c.with_profile(thresholds=new))
    return Reply(True, _describe(what, getattr(new, what)), {"reset": what})


@command("save", "keep the settings in use across restarts", guarded=True)
def _save(ctx: Context, args: list[str], now: float) -> Reply:
    try:
        path = ctx.device.settings.save()
    except OSError as e:
        return fail(f"not saved ({e}); the settings stay in use until restart")
    return Reply(True, f"saved to {path}", {"path": str(path)})


# -- modes ----------------------------------------------------------------------------


@command("mode [concurrent|terminal|silent]", "what the athlete is shown",
         "  concurrent: the cue, live, during the rep\n  terminal: one pass/fail after each rep\n"
         "  silent: nothing (record only, testing without help)", guarded=True, looks=True)
def _mode(ctx: Context, args: list[str], now: float) -> Reply:
    if not args:
        return Reply(True, f"mode {ctx.device.settings.config.mode}", {"mode": ctx.device.settings.config.mode})
    mode = args[0].lower()
    if len(args) > 1 or mode not in MODES:
        return fail(f"mode must be one of: {', '.join(MODES)}")
    ctx.device.settings.update(lambda c: c.replace(mode=mode))
    return Reply(True, f"mode {mode}, from the next frame", {"mode": mode})


@command("drill [auto|sls|squat|run|hop|land]", "what the athlete is doing, so that only its criteria are judged",
         "  sls: the single-leg squat test (knee, hands on hips, trunk sway, balance), per rep\n"
         "  squat: two-footed squats (knee separation, knee over the toes), per rep\n"
         "  run: treadmill running, camera behind or in front at hip height (pelvic drop and hip\n"
         "       adduction cued per step, the knee shown; 'steps' lists them)\n"
         "  hop: single-leg hops and landings, each judged from contact to peak knee flexion and cued\n"
         "       after it (one red flash: the left leg failed, two: the right); 'landings' lists them\n"
         "  land: drop vertical jumps on both feet (knee separation at contact and peak, asymmetric contact)\n"
         "  auto: recognised from the movement ('status' says what and why); the knees only until then\n"
         "  Saved per athlete with 'save'.", guarded=True, looks=True)
def _drill(ctx: Context, args: list[str], now: float) -> Reply:
    th = ctx.device.settings.config.thresholds
    if not args:
        return Reply(True, f"drill {drill_words(th.drill)}", {"drill": th.drill})
    name = args[0].lower()
    if len(args) > 1 or name not in DRILL_CHOICES:
        return fail(f"drill must be one of: {', '.join(DRILL_CHOICES)}")
    new = th.with_value("drill", name)
    ctx.device.settings.update(lambda c: c.with_profile(thresholds=new))
    return Reply(True, f"drill {drill_words(name)}, from the next frame ('save' keeps it for "
                       f"{ctx.device.settings.config.athlete})", {"drill": name})


@command("buzzer [on|off]", "sound on or off (the lights stay)", guarded=True, looks=True)
def _buzzer(ctx: Context, args: list[str], now: float) -> Reply:
    if not args:
        state = "off" if ctx.device.settings.config.muted else "on"
        return Reply(True, f"buzzer {state}", {"buzzer": state})
    if len(args) > 1 or args[0].lower() not in ("on", "off"):
        return usage("buzzer")
    muted = args[0].lower() == "off"
    ctx.device.settings.update(lambda c: c.replace(muted=muted))
    return Reply(True, f"buzzer {args[0].lower()}", {"buzzer": args[0].lower()})


@command("rotate [0|90|180|270]", "the camera is mounted turned: turn its picture back (degrees clockwise)",
         "  Pi camera ribbons often force a camera upside down (180) or on its side (90, 270).\n"
         "  In use from the next frame; 'save' keeps it.", guarded=True, looks=True)
def _rotate(ctx: Context, args: list[str], now: float) -> Reply:
    if not args:
        degrees = ctx.device.settings.config.rotation
        return Reply(True, f"rotate {degrees}" + ("" if degrees else " (the camera is upright)"), {"rotate": degrees})
    if len(args) > 1 or args[0] not in ("0", "90", "180", "270"):
        return usage("rotate")
    degrees = int(args[0])
    ctx.device.settings.update(lambda c: c.replace(rotation=degrees))
    return Reply(True, f"rotate {degrees}: each frame turned {degrees}° clockwise from the next one",
                 {"rotate": degrees})


# -- athletes -------------------------------------------------------------------------


@command("athlete [NAME|remove NAME [yes]]", "list athletes, switch to one (made if new), or remove one",
         "  each athlete has their own thresholds and calibration; removing asks first", guarded=True, looks=True)
def _athlete(ctx: Context, args: list[str], now: float) -> Reply:
    cfg = ctx.device.settings.config
    if not args:
        lines = [f"{'*' if name == cfg.athlete else ' '} {name}"
                 f"{'' if p.calibration is None else ' (calibrated)'}" for name, p in cfg.athletes.items()]
        return Reply(True, "\n".join(lines), {"athlete": cfg.athlete, "athletes": list(cfg.athletes)})
    if args[0].lower() == "remove" and len(args) in (2, 3):
        name = args[1]
        if name not in cfg.athletes:
            return fail(f"no athlete {name!r}")
        if name == cfg.athlete:
            return fail(f"{name} is the current athlete: switch to another first")
        if len(args) == 2 or args[2].lower() != "yes":
            what = "thresholds and calibration" if cfg.athletes[name].calibration else "thresholds"
            return Reply(True, f"remove {name} and their {what}? 'athlete remove {name} yes' does it",
                         {"confirm": f"athlete remove {name} yes"})
        ctx.device.settings.update(lambda c: c.replace(athletes={k: v for k, v in c.athletes.items() if k != name}))
        return Reply(True, f"removed {name} ('save' makes it last)", {"removed": name})
    if len(args) != 1:
        return usage("athlete")
    name = args[0]
    if not ATHLETE_NAME.fullmatch(name) or name.lower() == "remove":
        return fail("an athlete name is 1-32 letters, digits, '_', '.' or '-'")
    created = name not in cfg.athletes
    if created and len(cfg.athletes) >= 50:
        return fail("50 athletes already: remove one first")

    def switch(c):
        athletes = c.athletes if name in c.athletes else {**c.athletes, name: Profile()}
        return c.replace(athletes=athletes, athlete=name)
    new = ctx.device.settings.update(switch)
    what = "new athlete, default thresholds, not calibrated" if created else (
        "calibrated" if new.calibration else "not calibrated")
    return Reply(True, f"athlete {name} ({what}), from the next frame", {"athlete": name, "created": created})


# -- display --------------------------------------------------------------------------


@command("stream on [HZ] | stream off", "live metric lines (default 2 per second, up to 30)")
def _stream(ctx: Context, args: list[str], now: float) -> Reply:
    words = [a.lower() for a in args]
    if words == ["off"]:
        ctx.stream_hz = 0.0
        return Reply(True, "stream off", {"stream_hz": 0})
    if not words or words[0] != "on" or len(words) > 2:
        return usage("stream")
    try:
        hz = float(words[1]) if len(words) == 2 else 2.0
    except ValueError:
        return usage("stream")
    if not STREAM_HZ[0] <= hz <= STREAM_HZ[1]:
        return fail(f"HZ must be {STREAM_HZ[0]:g} to {STREAM_HZ[1]:g}")
    ctx.stream_hz = hz
    return Reply(True, f"stream on, {hz:g} lines per second ('stream off' stops it)", {"stream_hz": hz})


@command("json on|off", "one JSON object per reply, no echo or prompt (for scripts)")
def _json(ctx: Context, args: list[str], now: float) -> Reply:
    if len(args) != 1 or args[0].lower() not in ("on", "off"):
        return usage("json")
    ctx.json = args[0].lower() == "on"
    return Reply(True, f"json {args[0].lower()}", {"json": ctx.json})
