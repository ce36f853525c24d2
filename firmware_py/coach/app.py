"""``kneecue coach``: the broker's messages in, the coach's page out, until Ctrl-C.

Builds the three parts (hub, subscriber, HTTP server), says where the page is in
one line, and closes them in reverse order on the way out.  Nothing here publishes:
settings still change only at each device's serial console.
"""

from __future__ import annotations

import argparse
import logging
import threading

from firmware_py.errors import ConfigError

from .hub import Hub
from .server import CoachServer
from .subscriber import Subscriber, broker_address, read_credentials

__all__ = ["Coach", "cmd_coach", "listen_address"]

log = logging.getLogger("kneecue.coach")


def listen_address(text: str) -> tuple[str, int]:
    """``host:port`` (an IPv4 address or a name); port 0 takes a free one."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--listen {text!r}: expected host:port, e.g. 127.0.0.1:8080")
    return host.strip("[]") or "127.0.0.1", int(port)


class Coach:
    """The coach's view, running: ``url`` is the page; ``close()`` is idempotent."""

    def __init__(self, broker: str, listen: tuple[str, int] = ("127.0.0.1", 8080), *, credentials: str | None = None,
                 cafile: str | None = None, client_id: str | None = None):
        address = broker_address(broker)
        self.hub = Hub()
        self.subscriber = Subscriber(address, self.hub, cafile=cafile, client_id=client_id,
                                     credentials=None if credentials is None else read_credentials(credentials))
        try:
            self.server = CoachServer(listen, self.hub)
        except OSError as e:
            raise ConfigError(f"--listen {listen[0]}:{listen[1]}: cannot listen there ({e.strerror})") from None
        self.server.start()
        self.subscriber.start()

    @property
    def url(self) -> str:
        return self.server.url

    def close(self) -> None:
        self.subscriber.close()
        self.server.close()

    def __enter__(self) -> Coach:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def cmd_coach(args: argparse.Namespace) -> int:
    with Coach(args.broker, listen_address(args.listen), credentials=args.credentials, cafile=args.cafile) as coach:
        log.info("coach's view at %s (reading %s; Ctrl-C ends it)", coach.url, coach.subscriber.address)
        threading.Event().wait()
    return 0
