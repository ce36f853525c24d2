"""A simulated device on the team's broker: the schema's messages (docs/team.md), no camera.

For the coach's view's tests and ``tests/benchmarks/team_scale.py``: a real paho
client that publishes a device's status (retained, with its last will), session
start and end and records, at QoS 1, as a device does.  Like a device it publishes
its status again on every reconnect (a broker without persistence forgets retained
messages when it restarts), and publishes on while the broker is away: paho keeps
QoS 1 messages and sends them once it is back.  The message builders are plain
functions, for tests that need the bytes without a broker.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

__all__ = ["SimulatedDevice", "record", "session_event", "status"]


def status(device: str, *, athlete: str | None = None, drill: str | None = None, light: str = "idle",
           session: str | None = None, t: float | None = None, online: bool = True) -> dict[str, Any]:
    if not online:
        return {"v": 1, "device": device, "online": False}
    return {"v": 1, "device": device, "online": True, "athlete": athlete, "drill": drill, "light": light,
            "session": session, "t": time.time() if t is None else t}


def session_event(device: str, session: str, line: int, event: str, *, athlete: str | None = None,
                  drill: str | None = None, t: float | None = None) -> dict[str, Any]:
    out = {"v": 1, "id": f"{device}/{session}/{line}", "device": device, "session": session, "event": event,
           "athlete": athlete, "drill": drill, "t": time.time() if t is None else t}
    if event == "end":
        out["summary"] = {}
    return out


def record(device: str, session: str, line: int, kind: str = "rep", *, index: int = 0, leg: str = "left",
           failed: tuple[str, ...] = (), pattern: tuple[str, ...] = (), athlete: str | None = None,
           drill: str | None = "sls", t: float | None = None) -> dict[str, Any]:
    """A rep, step or landing line; it fails when ``failed`` names a criterion."""
    verdict = "fail" if failed else "pass"
    if kind == "step":
        inner = {"index": index, "side": leg, "failed": list(failed), "pattern": list(pattern)}
    else:
        inner = {"index": index, "leg": leg, "verdict": verdict, "failed": list(failed), "pattern": list(pattern),
                 "evidence": {}}
    return {"v": 1, "id": f"{device}/{session}/{line}", "device": device, "session": session, "athlete": athlete,
            "drill": drill, "t": time.time() if t is None else t, kind: inner}


class SimulatedDevice:
    """One device's MQTT client.  ``pause()`` drops the link and ``resume()`` makes it
    again (a device that comes back late); in between, publishing queues in paho."""

    def __init__(self, name: str, host: str, port: int, *, username: str | None = None,
                 password: str | None = None, cafile: str | None = None, reconnect: tuple[float, float] = (0.5, 2.0)):
        import paho.mqtt.client as mqtt

        self.name, self.host, self.port = name, host, port
        self.topic = f"kneecue/{name}"
        self._status: dict[str, Any] = status(name)
        self.connected = threading.Event()
        self.connects = 0
        # publishing while pause() stops paho's loop can hit its closed wake-up socket
        # (ConnectionResetError from Client._packet_queue): one at a time
        self._lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"sim-{name}")
        self.client.max_queued_messages_set(0)
        self.client.max_inflight_messages_set(100)
        if username is not None:
            self.client.username_pw_set(username, password)
        if cafile is not None:
            self.client.tls_set(ca_certs=cafile)
        self.client.will_set(f"{self.topic}/status", json.dumps(status(name, online=False)), qos=1, retain=True)
        self.client.reconnect_delay_set(*reconnect)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *a: self.connected.clear()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            return
        self.connects += 1
        client.publish(f"{self.topic}/status", json.dumps(self._status), qos=1, retain=True)
        self.connected.set()

    def start(self, timeout: float = 5.0) -> SimulatedDevice:
        self.client.connect_async(self.host, self.port, keepalive=5)
        self.client.loop_start()
        if not self.connected.wait(timeout):
            raise TimeoutError(f"{self.name}: no connection to {self.host}:{self.port} in {timeout} s")
        return self

    def set_status(self, **fields: Any) -> None:
        """A new status (light, athlete, drill, session), published retained."""
        with self._lock:
            self._status = status(self.name, **{**{k: self._status.get(k) for k in ("athlete", "drill", "session")},
                                                "light": self._status.get("light", "idle"), **fields})
            self.client.publish(f"{self.topic}/status", json.dumps(self._status), qos=1, retain=True)

    def publish(self, kind: str, message: dict[str, Any] | bytes):
        """A session event or record (or raw bytes) on ``kneecue/<name>/<kind>``, QoS 1."""
        payload = message if isinstance(message, bytes) else json.dumps(message)
        with self._lock:
            return self.client.publish(f"{self.topic}/{kind}", payload, qos=1)

    def pause(self) -> None:
        with self._lock:
            self.client.loop_stop()
            self.client.disconnect()
            self.connected.clear()

    def resume(self, timeout: float = 5.0) -> None:
        with self._lock:
            self.client.reconnect()
            self.client.loop_start()
        if not self.connected.wait(timeout):
            raise TimeoutError(f"{self.name}: no reconnection in {timeout} s")

    def close(self) -> None:
        """Gone without a word: the broker publishes the last will (``online`` false)."""
        self.client.loop_stop()
        if self.client.socket() is not None:
            self.client.socket().close()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
