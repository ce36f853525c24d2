"""A real Mosquitto broker for a test: its own config, port and folder (never the system
service); stopped and started again on the same port at will.  And ``Subscriber``, a
paho client that keeps what it hears under ``kneecue/#``.

Persistence is off unless asked for, as the brief for the coach's view has it: a
restart then forgets retained messages and sessions, so what survives one is what
the clients resend.  With ``persistence=True`` the broker saves them when stopped
and reads them back when started; ``autosave=True`` saves them at every change too.
Optionally a password file, an ACL and TLS (a throwaway certificate authority made
with openssl).  Tests skip, saying why, when Debian's ``mosquitto`` is missing.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need_mosquitto() -> str:
    found = shutil.which("mosquitto") or (Path("/usr/sbin/mosquitto").is_file() and "/usr/sbin/mosquitto")
    if not found:
        pytest.skip("Debian's mosquitto is not installed (bash .ci/run installs it: apt-get install mosquitto)")
    return found


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """(ca.crt, server.crt, server.key): a throwaway CA and a certificate for 127.0.0.1 and localhost."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed (it makes the test's certificates)")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=folder, check=True, capture_output=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=kneecue test CA")
    run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "2", "-extfile", "san.ext")
    return folder / "ca.crt", folder / "server.crt", folder / "server.key"


class Mosquitto:
    """A broker on a free port of 127.0.0.1, listening once ``start()`` (or ``with``) returns.
    ``users`` (name: password) refuses anyone else, ``acl`` is the acl_file's text, ``tls``
    makes it a TLS listener with a certificate for 127.0.0.1 and localhost (``cafile``)."""

    def __init__(self, folder: Path, *, users: dict[str, str] | None = None, acl: str | None = None,
                 tls: bool = False, persistence: bool = False, autosave: bool = False):
        self.binary = need_mosquitto()
        self.folder = folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.cafile: Path | None = None
        # run as whoever runs the test: as root, mosquitto would otherwise become the user
        # "mosquitto", who cannot read a test's private temporary folder
        lines = [f"user {pwd.getpwuid(os.getuid()).pw_name}", f"listener {self.port} 127.0.0.1",
                 f"persistence {'true' if persistence else 'false'}", f"persistence_location {folder}/", f"log_dest file {folder / 'mosquitto.log'}",
                 "log_type error", "log_type warning", "log_type notice",
                 f"allow_anonymous {'false' if users else 'true'}", "max_queued_messages 10000"]
        if autosave:  # saved at every change, so not even a crash between saves loses anything
            lines += ["autosave_interval 1", "autosave_on_changes true"]
        if users:
            passwords = folder / "passwords"
            for i, (user, password) in enumerate(users.items()):
                subprocess.run(["mosquitto_passwd", "-b", *([] if i else ["-c"]), str(passwords), user, password],
                               check=True, capture_output=True)
            lines.append(f"password_file {passwords}")
        if acl is not None:
            (folder / "acl").write_text(acl)
            lines.append(f"acl_file {folder / 'acl'}")
        if tls:
            self.cafile, cert, key = make_certificates(folder)
            lines += [f"certfile {cert}", f"keyfile {key}"]
        self.config = folder / "mosquitto.conf"
        self.config.write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen | None = None

    def start(self) -> Mosquitto:
        self.process = subprocess.Popen([self.binary, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited ({self.process.returncode}): {self.log()[-800:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"mosquitto is not listening on {self.port}: {self.log()[-800:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        path = self.folder / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> Mosquitto:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class Subscriber:
    """Subscribes to ``kneecue/#`` at QoS 1 (a clean session); ``messages``: (topic,
    payload, retained) in arrival order.  ``drop()`` and ``connect()`` again around a
    broker restart."""

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
