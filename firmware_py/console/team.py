"""The console's broker settings (``set broker URL``, ``set device_name NAME``,
``set broker_credentials PATH``, ``set broker_ca PATH``; ``get broker``): checked as
the settings file checks them (``device.broker``), in use at once (the publisher is
swapped, ``team.control``), kept by ``save``.  The password never crosses the console:
it lives in the credentials file, readable by the service user alone."""

from __future__ import annotations

from firmware_py.console.registry import Context, Reply, fail
from firmware_py.errors import ConfigError

KEYS = {"broker": "url", "device_name": "device", "broker_credentials": "credentials", "broker_ca": "ca"}
CLEARED = ("off", "none", "default", "-")
HELP = ("  broker URL|off: publish to an MQTT broker (mqtt://HOST:PORT, mqtts://HOST:PORT for TLS); off by default\n"
        "  device_name NAME|default: the name published under kneecue/NAME/ (default: the hostname)\n"
        "  broker_credentials PATH|default: the username:password file, mode 0600 (default: <state>/broker.credentials)\n"
        "  broker_ca PATH|default: the CA certificate to check an mqtts:// broker by (default: the system's)")


def describe(ctx: Context) -> str:
    broker = ctx.device.settings.config.broker
    return (f"broker = {broker.url or 'off'}, device_name = {broker.name}, broker_credentials = "
            f"{broker.credentials or 'default'}, broker_ca = {broker.ca or 'default'}")


def get_broker(ctx: Context) -> Reply:
    team = ctx.device.team
    line = "broker: set; applies when kneecue run starts" if team is None else team.line()
    return Reply(True, describe(ctx) + "\n" + line, {"broker": ctx.device.settings.config.broker.to_dict()})


def set_broker(ctx: Context, key: str, text: str) -> Reply:
    value = "" if text.lower() in CLEARED else text
    try:
        new = ctx.device.settings.config.broker.replace(**{KEYS[key]: value})
    except ConfigError as e:
        return fail(f"{key} not changed: {e}", key=key)
    ctx.device.settings.update(lambda c: c.replace(broker=new))
    team = ctx.device.team
    line = "applies when kneecue run starts" if team is None else team.apply(new, again=True)
    return Reply(True, f"{key} = {value or 'off' if key == 'broker' else value or 'default'}\n  {line}; "
                       f"'save' keeps it", {"key": key, "value": value, "broker": new.to_dict()})
