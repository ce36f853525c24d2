"""The connection to the broker: paho-mqtt's client, set up once per settings value,
with TLS, the device's credentials, its last will, bounded in-flight and queued
messages, and paho's own reconnect back-off.  What goes wrong is said in one line
(``problem``), never a traceback: wrong credentials, a TLS handshake that fails, a
broker that is down or closes the connection before it answers.

paho runs its network loop on its own thread (``loop_start``); ``publish`` only hands
a message to that thread and returns its ``MQTTMessageInfo``, whose ``is_published()``
turns true at the broker's PUBACK.  Messages in flight when the connection drops stay
with paho and are sent again (QoS 1, duplicate flag) once it is back.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import stat
import threading
from pathlib import Path
from typing import Any, Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from firmware_py.device.broker import parse_url
from firmware_py.errors import ConfigError
from firmware_py.team import messages

log = logging.getLogger("kneecue")
IN_FLIGHT = 16  # messages sent and not yet acknowledged
QUEUED = IN_FLIGHT + 8  # paho's whole queue: the recorded messages, and room for status
RECONNECT_S = (1, 30)  # paho's back-off: 1 s doubling to 30 s
KEEPALIVE_S = 15
CONNECT_S = 2.0  # paho's TCP connect timeout: a stop waits for at most about this (its default is 5 s)


def read_credentials(path: Path) -> tuple[str, str] | None:
    """(username, password) from ``path``: one line ``username:password``.  None when
    the file does not exist (the broker decides whether anonymous devices may write).
    ConfigError, in words, when group or others may read it or it is malformed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ConfigError(f"credentials file {path}: {e.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(f.fileno()).st_mode
        if mode & 0o077:
            raise ConfigError(f"credentials file {path} is mode {stat.S_IMODE(mode):04o}: group and others may "
                              f"read it; make it 0600 and the service user's (chmod 600)")
        text = f.read(4096).decode("utf-8", "replace").strip()
    user, sep, password = text.partition(":")
    if not sep or not user or "\n" in text:
        raise ConfigError(f"credentials file {path}: one line, username:password")
    return user, password


class _Client(mqtt.Client):
    """paho's client, telling why each connection attempt failed (paho's loop retries
    and says only "connection failed")."""

    def reconnect(self):  # called by paho's loop_forever for every attempt
        try:
            return super().reconnect()
        except OSError as e:
            self.on_failed(e)
            raise

    def on_failed(self, error: BaseException) -> None:
        pass


class Link:
    """One broker connection for one settings value.  ``on_change(connected, problem)``
    is called (on paho's thread) whenever either changes; ``acked`` is set on every
    PUBACK (of a recorded message or a status: it only wakes the publisher to look).
    ``warnings``: what works but should not be so, one line each (said at start)."""

    def __init__(self, url: str, device: str, *, credentials: Path, ca: str = "",
                 on_change: Callable[[bool, str | None], None] = lambda c, p: None) -> None:
        self.tls, self.host, self.port = parse_url(url)
        self.device = device
        self.where = f"{self.host}:{self.port}"
        self.on_change = on_change
        self.connected = False
        self.problem: str | None = "connecting"
        self.acked = threading.Event()  # set at every PUBACK, recorded message or status
        self._lock = threading.Lock()
        self._acked: set[int] = set()  # message ids acknowledged and not yet told (``done``)
        self._untracked: set[int] = set()  # message ids whose acknowledgement nobody asks for (status)
        self.connections = 0
        self._answered = False
        self._stopping = False
        client = _Client(CallbackAPIVersion.VERSION2, client_id=f"kneecue-{device}", protocol=mqtt.MQTTv311,
                         clean_session=True)
        client.suppress_exceptions = True
        client.connect_timeout = CONNECT_S
        self.warnings: list[str] = []
        user = read_credentials(credentials)
        if user is not None:
            client.username_pw_set(*user)
            if user[0] != device:
                self.warnings.append(f"username {user[0]} is not the device name {device}: the example ACL lets a "
                                     f"device write only kneecue/<its username>/...")
            if not self.tls:
                self.warnings.append("mqtt:// sends the password in clear; use mqtts://")
        if self.tls:
            try:
                client.tls_set(ca_certs=ca or None, cert_reqs=ssl.CERT_REQUIRED)
            except (OSError, ssl.SSLError) as e:
                raise ConfigError(f"CA file {ca or '(system)'}: {getattr(e, 'strerror', None) or e}") from None
        client.will_set(messages.topic(device, "status"), messages.encode(messages.offline(device)), qos=1,
                        retain=True)
        client.max_inflight_messages_set(IN_FLIGHT)
        client.max_queued_messages_set(QUEUED)
        client.reconnect_delay_set(*RECONNECT_S)
        client.on_connect, client.on_disconnect, client.on_publish = self._connected, self._disconnected, self._puback
        client.on_failed = self._failed
        self.client = client

    def start(self, on_connect: Callable[[], None]) -> None:
        """Connect in the background (paho's thread), ``on_connect`` after each CONNACK accepted."""
        self._on_connect = on_connect
        self.client.connect_async(self.host, self.port, keepalive=KEEPALIVE_S)
        self.client.loop_start()

    def publish(self, topic: str, payload: dict[str, Any], *, retain: bool = False,
                track: bool = True) -> int | None:
        """Hand a QoS 1 message to paho (sent now, or once connected); its message id,
        or None when paho's queue is full (try again later).  ``track``: ``done(mid)``
        tells when the broker has acknowledged it.  No lock of ours is held while paho
        works: paho calls on_publish holding its own, so holding ours here would deadlock."""
        info = self.client.publish(topic, messages.encode(payload), qos=1, retain=retain)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            return None
        if not track:
            with self._lock:  # its PUBACK is not ours to count: if it came already, forget it
                if info.mid in self._acked:
                    self._acked.discard(info.mid)
                else:
                    self._untracked.add(info.mid)
        return info.mid

    def done(self, mid: int) -> bool:
        """Whether the broker acknowledged the tracked message ``mid`` (forgotten once told)."""
        with self._lock:
            if mid in self._acked:
                self._acked.discard(mid)
                return True
            return False

    def stop(self, timeout: float = 1.0) -> None:
        """Say offline (retained) if connected, then disconnect; at most about ``timeout`` s."""
        self._stopping = True
        if self.connected:
            info = self.client.publish(messages.topic(self.device, "status"),
                                       messages.encode(messages.offline(self.device)), qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()

    # -- paho's thread -----------------------------------------------------------------

    def _say(self, connected: bool, problem: str | None) -> None:
        if (connected, problem) != (self.connected, self.problem):
            self.connected, self.problem = connected, problem
            self.on_change(connected, problem)

    def _failed(self, e: BaseException) -> None:
        self._say(False, describe_failure(e, self.where, self.tls))

    def _connected(self, client, userdata, flags, reason, properties) -> None:
        self._answered = True
        if reason.is_failure:
            words = str(reason).lower()
            if "not authori" in words or "user name or password" in words:
                self._say(False, f"not authorised (wrong username or password) by {self.where}")
            else:
                self._say(False, f"refused by {self.where}: {reason}")
            return
        self.connections += 1  # before connected: the publisher reads both without a lock
        self._say(True, None)
        self._on_connect()

    def _disconnected(self, client, userdata, flags, reason, properties) -> None:
        if self._stopping:
            self.connected = False
        elif not self._answered and self.problem in (None, "connecting"):
            hint = "is it a TLS listener? use mqtts://" if not self.tls else "is it the broker's port?"
            self._say(False, f"{self.where} closed the connection before answering ({hint})")
        elif self.connected:
            self._say(False, f"connection to {self.where} lost ({reason}); reconnecting")
        self._answered = False

    def _puback(self, client, userdata, mid, reason, properties) -> None:
        with self._lock:  # it may come before publish() has returned the mid
            if mid in self._untracked:
                self._untracked.discard(mid)
            else:
                self._acked.add(mid)
        self.acked.set()


def describe_failure(e: BaseException, where: str, tls: bool) -> str:
    """Why a connection attempt failed, in one line."""
    if isinstance(e, ssl.SSLCertVerificationError):
        return f"TLS handshake failed: {where}'s certificate is not trusted ({e.verify_message}); check the CA file"
    if isinstance(e, ssl.SSLError):
        return f"TLS handshake failed with {where}: {e.reason or e} (is it a TLS listener?)"
    if (tls and isinstance(e, (ConnectionResetError, BrokenPipeError))) or "EOF occurred" in str(e):
        return f"TLS handshake failed with {where}: the connection closed (is it a TLS listener?)"
    if isinstance(e, ConnectionRefusedError):
        return f"cannot connect to {where}: connection refused (is the broker running?)"
    if isinstance(e, socket.gaierror):
        return f"cannot find {where.rpartition(':')[0]}: {e.strerror}"
    if isinstance(e, (TimeoutError, socket.timeout)):
        return f"cannot connect to {where}: no answer"
    return f"cannot connect to {where}: {getattr(e, 'strerror', None) or e}"
