"""The team's state between the MQTT thread that feeds it and the page streams that read it.

The subscriber calls ``Hub.receive`` with each message's topic and bytes; a bad one
is logged in one line and dropped (nothing raised into paho's thread).  Each page
stream waits in ``Hub.wait`` for a change and gets the changed devices' views, so a
burst of messages between two waits goes out as one update per device.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from .messages import BadMessage, UnreadTopic, parse
from .team import Team

__all__ = ["Hub"]

log = logging.getLogger("kneecue.coach")

UNREAD_TOPICS_SAID = 256  # topics the view does not read are said once each, up to this many


class Hub:
    def __init__(self, clock: Callable[[], float] = time.time):
        self._team = Team()
        self._clock = clock
        self._changed = threading.Condition()
        self._broker = {"connected": False, "broker": "", "said": ""}
        self._broker_seq = 0
        self.received = 0
        self.rejected = 0
        self.closed = False
        self._unread: set[str] = set()

    def receive(self, topic: str, payload: bytes) -> bool:
        """One message from the broker; False if it was bad or changed nothing."""
        try:
            message = parse(topic, payload)
        except UnreadTopic as e:  # not malformed, only not ours: once per topic, not once per message
            if e.topic not in self._unread and len(self._unread) < UNREAD_TOPICS_SAID:
                self._unread.add(e.topic)
                log.info("%s (said once for this topic)", e)
            return False
        except BadMessage as e:
            self.rejected += 1
            log.warning("%s", e)
            return False
        with self._changed:
            self.received += 1
            changed = self._team.receive(message, self._clock())
            if changed:
                self._changed.notify_all()
        return changed

    def broker(self, connected: bool, url: str, said: str = "") -> None:
        """The subscriber's link to the broker, shown at the top of the page."""
        with self._changed:
            self._broker = {"connected": connected, "broker": url, "said": said}
            self._team.seq += 1
            self._broker_seq = self._team.seq
            self._changed.notify_all()

    def snapshot(self) -> tuple[int, dict, list[dict]]:
        """(change count, broker link, every device's view)."""
        with self._changed:
            return (self._team.seq, dict(self._broker), [self._team.view(n) for n in self._team.devices()])

    def wait(self, seq: int, timeout: float) -> tuple[int, dict | None, list[dict]]:
        """Changes after ``seq``: (new count, the broker link if it changed, changed devices' views);
        returns empty-handed after ``timeout`` seconds of quiet."""
        with self._changed:
            self._changed.wait_for(lambda: self._team.seq > seq or self.closed, timeout)
            broker = dict(self._broker) if self._broker_seq > seq else None
            return (self._team.seq, broker, [self._team.view(n) for n in self._team.changed_since(seq)])

    def close(self) -> None:
        """Wake every waiting stream and let it end (the server is shutting down)."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    @property
    def duplicates(self) -> int:
        return self._team.duplicates
