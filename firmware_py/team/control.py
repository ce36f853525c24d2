"""The team feature's switch: the publisher for the broker settings in use, or none.

Built by ``kneecue run`` for every device, it holds no thread and imports no MQTT
code while the broker setting is empty, so a device without a broker runs exactly as
before.  ``apply`` is called at start and by the console's ``set broker ...``: a
change takes effect at once (the old connection says offline and closes, the new one
resumes from the same position).  A setting that cannot work (a credentials file
others can read, a CA file missing) is said in one line and nothing starts.

The old publisher is waited for at most ``STOP_S``: a new one never starts while the
old thread lives (two clients with one client id would throw each other off the broker,
and two writers would share team.json); then ``status`` says "still stopping, try
again", and the next ``set broker`` waits for it again.  ``set broker`` never blocks
the console longer than that.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from firmware_py.device.broker import CREDENTIALS_NAME, Broker
from firmware_py.errors import ConfigError

if TYPE_CHECKING:
    from firmware_py.team.publisher import Publisher

log = logging.getLogger("kneecue")
POSITION_NAME = "team.json"
STOP_S = 2.5  # how long a change waits for the old publisher to end (paho's connect timeout is 2 s)
CLOSE_S = 3.0  # how long the device's stop waits for it
STILL_STOPPING = "still stopping, try again"


class Team:
    def __init__(self, device: Any, state_dir: Path | None) -> None:  # a device.state.Device
        self.device = device
        self.state_dir = None if state_dir is None else Path(state_dir)
        self.broker = Broker()
        self.publisher: Publisher | None = None
        self.problem: str | None = None  # why nothing publishes, when the settings cannot work
        self.warnings: list[str] = []  # what works but should not be so (said at start, and in status)
        self._ending: list[Publisher] = []  # publishers told to stop whose threads have not ended yet
        self._lock = threading.Lock()

    def credentials_path(self, broker: Broker) -> Path:
        if broker.credentials:
            return Path(broker.credentials)
        return (self.state_dir or Path("/etc/kneecue")) / CREDENTIALS_NAME

    def apply(self, broker: Broker, *, again: bool = False) -> str:
        """Publish to ``broker`` (off when its URL is empty) from now on; the status line.
        ``again``: connect afresh even if nothing changed (the credentials file may have)."""
        with self._lock:
            if broker == self.broker and not again and (self.publisher is not None or not broker.enabled):
                return self.line()
            self._stop()
            self.broker, self.problem, self.warnings = broker, None, []
            if broker.enabled:
                if self._ending:
                    log.warning("broker: the previous connection is still stopping; set broker again to start")
                    self.problem = STILL_STOPPING
                else:
                    self._start(broker)
            return self.line()

    def _start(self, broker: Broker) -> None:
        from firmware_py.team.link import Link
        from firmware_py.team.publisher import Publisher

        if self.state_dir is None:
            self.problem = "no state directory: nothing to publish from"
            return
        try:
            link = Link(broker.url, broker.name, credentials=self.credentials_path(broker), ca=broker.ca,
                        on_change=self._changed)
        except ConfigError as e:
            self.problem = str(e)
            log.warning("broker: %s; not publishing", e)
            return
        self.publisher = Publisher(link, self.state_dir / "sessions", self.state_dir / POSITION_NAME,
                                   status=self._status)
        log.info("broker: publishing to %s as %s", broker.url, broker.name)
        self.warnings = list(link.warnings)
        for warning in self.warnings:
            log.warning("broker: %s", warning)
        self.publisher.start()

    def close(self) -> None:
        """At the device's stop: the end line and the offline status get up to CLOSE_S."""
        with self._lock:
            self._stop(CLOSE_S)

    def _stop(self, wait: float = STOP_S) -> None:
        """Stop the publisher, waiting for it (and any still ending) at most ``wait`` s in all."""
        deadline = time.monotonic() + wait
        if self.publisher is not None:
            self.publisher.stop(timeout=0)
            self._ending.append(self.publisher)
            self.publisher = None
        for old in self._ending:
            old.join(max(0.0, deadline - time.monotonic()))
        self._ending = [old for old in self._ending if old.is_alive()]

    def _changed(self, connected: bool, problem: str | None) -> None:
        if connected:
            log.info("broker: connected to %s as %s", self.broker.url, self.broker.name)
        elif problem and problem != "connecting":
            log.warning("broker: %s", problem)

    def line(self) -> str:
        """One line for ``status``: off, connected, or why not."""
        if not self.broker.enabled:
            return "broker: off"
        if self.problem == STILL_STOPPING:
            return f"broker: {STILL_STOPPING}"
        if self.problem:
            return f"broker: {self.problem}; not publishing"
        pub = self.publisher
        if pub is None:
            return "broker: not started"
        if pub.stopped:
            return f"broker: {pub.stopped}"
        link = pub.link
        counts = f"{pub.acknowledged} of {pub.sent} messages acknowledged"
        if link.connected:
            line = f"broker: connected to {link.where} as {link.device} ({counts})"
        else:
            line = f"broker: {link.problem or 'connecting'} ({counts}; retrying)"
        return "\n".join([line, *(f"broker: {w}" for w in self.warnings)])

    def data(self) -> dict[str, Any]:
        pub = self.publisher
        return {"url": self.broker.url, "device": self.broker.name if self.broker.enabled else None,
                "connected": bool(pub and pub.link.connected), "problem": self.problem or (
                    None if pub is None else pub.stopped or (None if pub.link.connected else pub.link.problem)),
                "warnings": list(self.warnings),
                "sent": 0 if pub is None else pub.sent, "acknowledged": 0 if pub is None else pub.acknowledged}

    def _status(self) -> tuple[str | None, str | None, str, str | None]:
        """(athlete, drill, light, session) as the device shows them now; read, never waited on."""
        dev = self.device
        config = dev.settings.config
        readings, unframed = dev.mailbox.readings, dev.mailbox.unframed
        drill = config.thresholds.drill if readings is None else readings.drill
        if unframed is not None and (readings is None or unframed[0] >= readings.at):
            light = unframed[1]
        else:
            light = "dark" if readings is None else readings.pattern
        current = None if dev.recorder is None else dev.recorder.current
        return config.athlete, drill, light, None if current is None else current.parent.name
