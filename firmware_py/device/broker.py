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


@dataclass(frozen=True)
class BrokerAddress:
    """Where a broker is: ``mqtt`` or ``mqtts`` (TLS), host and port."""

    scheme: str
    host: str
    port: int

    @property
    def tls(self) -> bool:
        return self.scheme == "mqtts"

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


# What is wrong with a broker URL, in the words of where it was typed ({url}, {host},
# {error}); these are the device's (console and config.json), the coach's view has its own.
URL_WORDS = {
    "invalid": "broker URL {url!r}: {error}",
    "scheme": "broker URL {url!r}: use mqtt://HOST:PORT or mqtts://HOST:PORT (TLS), or 'off'",
    "credentials": "broker URL {url!r}: only a host and port (credentials go in the credentials file)",
    "port": "broker URL {url!r}: {error}",
    "host": "broker URL {url!r}: use mqtt://HOST:PORT or mqtts://HOST:PORT (TLS), or 'off'",
    "extra": "broker URL {url!r}: only a host and port (credentials go in the credentials file)",
}


def broker_address(url: str, words: dict[str, str] = URL_WORDS, *, bare: bool = False) -> BrokerAddress:
    """``mqtt://host[:1883]`` or ``mqtts://host[:8883]``, and nothing else: no username
    or password, path or query (``bare``: ``host[:port]`` alone is mqtt://).  The one
    place both the device and the coach's view decide what a broker URL is;
    ConfigError in ``words`` when it is not one."""
    def wrong(why: str, error: object = "") -> ConfigError:
        # a password typed into the URL never reaches the console, the journal or a log
        shown = re.sub(r"//[^/@]*@", "//…@", url)
        return ConfigError(words[why].format(url=shown, host=parts.hostname if parts else None, error=error))

    parts = None
    try:
        parts = urlsplit(url if not bare or "://" in url else f"mqtt://{url}")
    except ValueError as e:
        raise wrong("invalid", e) from None
    if parts.scheme not in SCHEMES:
        raise wrong("scheme")
    if parts.username or parts.password:
        raise wrong("credentials")
    try:
        port = parts.port or SCHEMES[parts.scheme]
    except ValueError as e:
        raise wrong("port", e) from None
    if not parts.hostname:
        raise wrong("host")
    if parts.path not in ("", "/") or parts.query:
        raise wrong("extra")
    return BrokerAddress(parts.scheme, parts.hostname, port)


def parse_url(url: str) -> tuple[bool, str, int]:
    """(TLS, host, port) of ``mqtt://host[:port]`` or ``mqtts://host[:port]``."""
    address = broker_address(url)
    return address.tls, address.host, address.port
