"""The team settings saved with the device's (``"broker"`` in ``config.json``): the
MQTT broker to publish to, the name this device publishes under, and the files
holding its credentials and the broker's CA.

An empty ``url`` is off (the default, and what every settings file from before the
team feature loads as): no publisher thread, no network.  Validated here, once, so the
console, the config file and the publisher all refuse the same things in the same words.
"""

from __future__ import annotations

import dataclasses
import re
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from firmware_py.errors import ConfigError

DEVICE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,32}")
SCHEMES = {"mqtt": 1883, "mqtts": 8883}
CREDENTIALS_NAME = "broker.credentials"
KEYS = ("url", "device", "credentials", "ca")


def default_device_name() -> str:
    """The hostname, cut to what a topic level may hold (``DEVICE_NAME``)."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:32]
    return name or "kneecue"


@dataclass(frozen=True)
class Broker:
    """Where the device publishes.  ``device``/``credentials`` empty: the defaults
    (the hostname; ``<state>/broker.credentials``)."""

    url: str = ""
    device: str = ""
    credentials: str = ""
    ca: str = ""

    def __post_init__(self) -> None:
        for key in KEYS:
            if not isinstance(getattr(self, key), str):
                raise ConfigError(f"broker.{key} must be text, got {getattr(self, key)!r}")
        if self.url:
            parse_url(self.url)
        if self.device and not DEVICE_NAME.fullmatch(self.device):
            raise ConfigError(f"device name {self.device!r}: use 1-32 letters, digits, '_', '.' or '-'")

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @property
    def name(self) -> str:
        return self.device or default_device_name()

    def replace(self, **changes: Any) -> "Broker":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> "Broker":
        if not isinstance(data, dict):
            raise ConfigError("broker must be an object")
        unknown = sorted(set(data) - set(KEYS))
        if unknown:
            raise ConfigError(f"unknown broker setting(s): {', '.join(unknown)}")
        return cls(**data)


def parse_url(url: str) -> tuple[bool, str, int]:
    """(TLS, host, port) of ``mqtt://host[:port]`` or ``mqtts://host[:port]``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise ConfigError(f"broker URL {url!r}: {e}") from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ConfigError(f"broker URL {url!r}: use mqtt://HOST:PORT or mqtts://HOST:PORT (TLS), or 'off'")
    if parts.username or parts.password or parts.path not in ("", "/") or parts.query:
        raise ConfigError(f"broker URL {url!r}: only a host and port (credentials go in the credentials file)")
    return parts.scheme == "mqtts", parts.hostname, port or SCHEMES[parts.scheme]
