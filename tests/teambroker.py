"""A real Mosquitto for the team tests: started on a free port from a temp config
(never the system service), stopped and started again on the same port, with TLS
and a password file when asked; and a paho subscriber that keeps what it hears."""

from __future__ import annotations

import getpass
import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

MOSQUITTO = shutil.which("mosquitto") or (Path("/usr/sbin/mosquitto") if Path("/usr/sbin/mosquitto").exists()
                                          else None)


def need_mosquitto() -> str:
    if MOSQUITTO is None:
        pytest.skip("the mosquitto binary is missing (apt-get install mosquitto; .ci/run installs it)")
    return str(MOSQUITTO)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ALIVE: list["Mosquitto"] = []  # stopped at each test's end (the ``brokers`` fixture)


@pytest.fixture
def brokers():
    """Every Mosquitto a test starts is stopped when it ends, pass or fail."""
    yield
    while ALIVE:
        ALIVE.pop().stop()


class Mosquitto:
    """A broker on a free port of 127.0.0.1: ``tls`` (ca, cert, key files) makes it a TLS
    listener, ``passwords`` refuses anyone else, ``acl`` is its acl_file."""

    def __init__(self, folder: Path, *, tls: dict | None = None, passwords: dict[str, str] | None = None,
                 acl: Path | None = None) -> None:
        self.binary = need_mosquitto()
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        lines = [f"listener {self.port} 127.0.0.1", "persistence false", "log_dest stderr",
                 f"user {getpass.getuser()}",  # run as root, mosquitto would drop to a user who cannot read tmp_path
                 "log_type error", "log_type warning"]
        if tls:
            lines += [f"cafile {tls['ca']}", f"certfile {tls['cert']}", f"keyfile {tls['key']}"]
        if passwords:
            pw = self.folder / "passwords"
            pw.write_text("".join(f"{u}:{p}\n" for u, p in passwords.items()))
            pw.chmod(0o600)
            subprocess.run([shutil.which("mosquitto_passwd") or "mosquitto_passwd", "-U", str(pw)], check=True)
            lines += ["allow_anonymous false", f"password_file {pw}"]
        else:
            lines.append("allow_anonymous true")
        if acl is not None:
            lines.append(f"acl_file {acl}")
        self.conf = self.folder / "mosquitto.conf"
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc: subprocess.Popen | None = None
        ALIVE.append(self)
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=open(self.folder / "broker.log", "a"))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise AssertionError(f"mosquitto did not listen: {(self.folder / 'broker.log').read_text()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
        self.proc = None


class Subscriber:
    """Subscribes to ``kneecue/#`` at QoS 1; ``messages``: (topic, payload, retained) in arrival order."""

    def __init__(self, port: int, *, user: tuple[str, str] | None = None) -> None:
        self.port, self.user = port, user
        self.messages: list[tuple[str, dict, bool]] = []
        self.lock = threading.Lock()
        self.client = None
        self.connect()

    def connect(self) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        subscribed = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
        if self.user:
            client.username_pw_set(*self.user)
        client.on_message = self._message
        client.on_subscribe = lambda *a: subscribed.set()
        client.connect("127.0.0.1", self.port)
        client.subscribe("kneecue/#", qos=1)
        client.loop_start()
        assert subscribed.wait(5), "no SUBACK"
        self.client = client

    def drop(self) -> None:
        if self.client is not None:
            self.client.loop_stop()
            self.client.disconnect()
            self.client = None

    def _message(self, client, userdata, msg) -> None:
        with self.lock:
            self.messages.append((msg.topic, json.loads(msg.payload), bool(msg.retain)))

    def of(self, leaf: str) -> list[dict]:
        with self.lock:
            return [p for t, p, _ in self.messages if t.endswith("/" + leaf)]

    def wait(self, predicate, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out; heard {[(t, p.get('id')) for t, p, _ in self.messages][-20:]}")


def make_certificates(folder: Path) -> dict[str, str]:
    """A throwaway CA and a server certificate for 127.0.0.1/localhost, by openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is missing")
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (folder / n for n in ("ca.key", "ca.crt", "server.key", "server.csr", "server.crt"))
    ext = folder / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run = lambda *a: subprocess.run([openssl, *map(str, a)], check=True, capture_output=True)  # noqa: E731
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")  # quicker to make than RSA
    run("req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=kneecue test CA")
    run("req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert, "-days", "2",
        "-extfile", ext)
    return {"ca": str(ca), "cert": str(cert), "key": str(key)}
