"""The coach's view's link to the broker: paho-mqtt 2.x, subscribe only.

It subscribes to ``kneecue/+/#`` at QoS 1 and hands every message to the hub; it
never publishes (the broker's ACL gives the coach's user read access only, and this
client has no code path that writes).  paho's own loop thread reconnects with a
backoff (``reconnect``: first and longest wait, seconds).  The session is a
persistent one (MQTT 3.1.1, ``clean_session`` false, a client id fixed per host), so
the broker queues QoS 1 messages for the view while it is away: a dropped link (the
laptop's Wi-Fi), a restarted view, and with the broker's ``persistence true`` a
restarted broker lose nothing.  Not MQTT 5: Mosquitto 2.0 (Debian 12's) does not
bring an MQTT 5 session back from its persistence file, and a 3.1.1 one it does.
Without broker persistence a restart forgets the subscription, which is made again
on every connect; docs/team.md, "The coach's view", says what that can lose.
"""

from __future__ import annotations

import logging
import socket
import ssl
import stat
from pathlib import Path

from firmware_py.device.broker import BrokerAddress, broker_address as address_of
from firmware_py.errors import ConfigError

from .hub import Hub

__all__ = ["TOPICS", "BrokerAddress", "Subscriber", "broker_address", "read_credentials"]

log = logging.getLogger("kneecue.coach")

TOPICS = "kneecue/+/#"


# What is wrong with a --broker URL, in the coach's words (device.broker.URL_WORDS has the device's)
URL_WORDS = {
    "invalid": "broker {url!r}: expected mqtt[s]://host:port",
    "scheme": "broker {url!r}: the scheme must be mqtt:// or mqtts:// (TLS)",
    "credentials": "broker {host}: put the username and password in a --credentials file, "
                   "not in the URL (it shows in the process list)",
    "port": "broker {url!r}: the port must be a number 1 to 65535",
    "host": "broker {url!r}: expected mqtt[s]://host:port",
    "extra": "broker {url!r}: expected mqtt[s]://host:port",
}


def broker_address(url: str) -> BrokerAddress:
    """``mqtt://host[:1883]`` or ``mqtts://host[:8883]`` (``host[:port]`` alone is mqtt://),
    checked as the device checks its own; credentials never go in the URL."""
    return address_of(url, URL_WORDS, bare=True)


def read_credentials(path: str | Path) -> tuple[str, str]:
    """(username, password) from a file holding one line ``username:password``.

    A file others can read is used, with a warning: the password is the coach's
    read-only one, but it is still a password."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except OSError as e:
        raise ConfigError(f"credentials {path}: cannot be read ({e.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"credentials {path}: not UTF-8 text; expected one line 'username:password'") from None
    line = text.strip().splitlines()[0] if text.strip() else ""
    username, sep, password = line.partition(":")
    if not sep or not username or not password:
        raise ConfigError(f"credentials {path}: expected one line 'username:password'")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("credentials %s: readable by others (mode %o); chmod 600 it", path, stat.S_IMODE(mode))
    return username, password


class Subscriber:
    """Feeds ``hub`` from the broker at ``address`` until ``close()`` (idempotent)."""

    def __init__(self, address: BrokerAddress, hub: Hub, *, credentials: tuple[str, str] | None = None,
                 cafile: str | None = None, client_id: str | None = None, reconnect: tuple[float, float] = (0.1, 2.0)):
        import paho.mqtt.client as mqtt

        self.address, self.hub = address, hub
        self._said = None
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311, clean_session=False,
                                  client_id=client_id or f"kneecue-coach-{socket.gethostname()}")
        if credentials is not None:
            if not address.tls:
                log.warning("broker %s: the password goes unencrypted without TLS (use mqtts://)", address)
            self.client.username_pw_set(*credentials)
        if address.tls:
            try:
                self.client.tls_set(ca_certs=cafile)  # None: the system's certificate authorities
            except ssl.SSLError as e:  # before OSError: an SSLError is one
                raise ConfigError(f"--cafile {cafile}: not a PEM certificate file ({e.reason or e})") from None
            except OSError as e:
                raise ConfigError(f"--cafile {cafile}: cannot be read ({e.strerror or e})") from None
        elif cafile is not None:
            raise ConfigError(f"--cafile is for a TLS broker (mqtts://), not {address}")
        self.client.reconnect_delay_set(*reconnect)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_connect_fail = lambda client, userdata: self._tell(False, "cannot connect; retrying")
        self._closed = self._refused = False

    def start(self) -> Subscriber:
        self.hub.broker(False, str(self.address), "connecting")
        self.client.connect_async(self.address.host, self.address.port, keepalive=10)
        self.client.loop_start()
        return self

    def _tell(self, connected: bool, said: str) -> None:
        """The link's state, to the page always and to the log once per change (not per retry)."""
        self.hub.broker(connected, str(self.address), said)
        if said != self._said:
            self._said = said
            (log.info if connected else log.warning)("broker %s: %s", self.address, said)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        self._refused = reason_code.is_failure
        if self._refused:
            self._tell(False, f"refused ({reason_code}); retrying")
            return
        client.subscribe(TOPICS, qos=1)
        self._tell(True, "connected" + (", session resumed" if flags.session_present else ""))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if not self._closed and not self._refused:  # after a refusal the link's end says nothing new
            self._tell(False, f"link lost ({reason_code}); reconnecting")

    def _on_message(self, client, userdata, message) -> None:
        try:
            self.hub.receive(message.topic, message.payload)
        except Exception:  # noqa: BLE001 - a bug here must not stop paho's thread, and so every later message
            log.exception("%s: this message could not be taken in; ignored", message.topic)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
