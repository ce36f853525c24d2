"""The coach's page as shipped: the vendored web library's checksum and licence, the
files in the package, the HTTP server's answers, and ``kneecue coach``'s usage errors."""

from __future__ import annotations

import fnmatch
import hashlib
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import tomllib

from firmware_py.coach.hub import Hub
from firmware_py.coach.server import ALPINE, FILES, CoachServer

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "firmware_py" / "coach" / "static"
# alpinejs@3.17.5 dist/cdn.min.js from `npm pack`: changing the library changes this line on purpose
ALPINE_SHA256 = "b4036e9e9ac22fa6f6ae1ba292e015e1f3e9c85d0d79e73e4c8eb9bb139b522e"


def test_the_vendored_library_is_the_file_its_checksum_and_licence_name():
    digest = hashlib.sha256((STATIC / ALPINE).read_bytes()).hexdigest()
    assert digest == ALPINE_SHA256
    assert (STATIC / f"{ALPINE}.sha256").read_text().split() == [ALPINE_SHA256, ALPINE]
    licence = (STATIC / "alpine-3.17.5.LICENSE.txt").read_text()
    assert "Caleb Porzio" in licence and "Yuxi (Evan) You" in licence and licence.count("MIT License") >= 2


def test_every_static_file_ships_as_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["firmware_py"]
    for path in STATIC.iterdir():
        relative = str(path.relative_to(ROOT / "firmware_py"))
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative


def test_the_page_loads_nothing_from_elsewhere_and_only_what_is_served():
    page = (STATIC / "index.html").read_text()
    linked = set(re.findall(r'(?:src|href)="([^"]+)"', page))
    assert linked == {"style.css", "app.js", ALPINE}
    assert {f"/{name}" for name in linked} | {"/"} == set(FILES)
    assert "http" not in (STATIC / "app.js").read_text().replace("'events'", "")


@pytest.fixture()
def server():
    with CoachServer(("127.0.0.1", 0), Hub(), heartbeat=0.2) as s:
        yield s.start()


def get(url: str, method: str = "GET") -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=5) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_the_server_serves_the_page_with_a_strict_policy_and_refuses_to_take_anything(server):
    status, headers, body = get(server.url)
    assert status == 200 and b"the coach's view" in body and headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in headers["Content-Security-Policy"] and headers["X-Content-Type-Options"] == "nosniff"
    assert get(server.url + ALPINE)[0] == 200 and get(server.url + "nothing")[0] == 404
    for method in ("POST", "PUT", "DELETE"):
        status, headers, body = get(server.url, method)
        assert status == 405 and headers["Allow"] == "GET, HEAD" and b"serial console" in body


def test_on_loopback_only_a_loopback_name_is_answered(server):
    """A page elsewhere pointing a name of its own at 127.0.0.1 (DNS rebinding) reads nothing."""
    request = urllib.request.Request(server.url + "events", headers={"Host": f"evil.example:{server.server_port}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 421
    request = urllib.request.Request(server.url, headers={"Host": f"localhost:{server.server_port}"})
    assert urllib.request.urlopen(request, timeout=5).status == 200


def status_for_host(server, host: str | None) -> int:
    """The status line's code for a GET / with this Host header (None: no Host header at all)."""
    request = b"GET / HTTP/1.1\r\n" + (b"" if host is None else f"Host: {host}\r\n".encode()) + b"Connection: close\r\n\r\n"
    with socket.create_connection(server.server_address[:2], timeout=5) as conn:
        conn.sendall(request)
        return int(conn.makefile("rb").readline().split()[1])


def test_a_loopback_name_means_localhost_or_a_loopback_address_not_a_name_starting_127(server):
    port = server.server_port
    for host in ("127.evil.example", f"127.evil.example:{port}", f"127.0.0.1.evil.example:{port}", "", None,
                 "::1", f"[::1]x:{port}", f"localhost.evil.example:{port}", f"127.0.0.1:{port}:{port}"):
        assert status_for_host(server, host) == 421, host
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"127.1.2.3:{port}", f"[::1]:{port}", "[::1]", "localhost"):
        assert status_for_host(server, host) == 200, host


def test_the_event_stream_opens_with_the_whole_picture(server):
    server.hub.receive("kneecue/pi-1/status", b'{"v":1,"device":"pi-1","online":true,"athlete":"sam",'
                                              b'"drill":"sls","light":"ok","session":null,"t":1}')
    with urllib.request.urlopen(server.url + "events", timeout=5) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        lines = [stream.readline() for _ in range(7)]
    assert lines[0] == b"retry: 1000\n" and b"event: broker\n" in lines and b"event: device\n" in lines
    assert any(b'"athlete":"sam"' in line for line in lines)


@pytest.mark.parametrize("args, said", [
    (["--broker", "http://x"], "the scheme must be mqtt:// or mqtts://"),
    (["--broker", "mqtt://coach:secret@x"], "--credentials file, not in the URL"),
    (["--broker", "mqtt://x", "--listen", "nowhere"], "expected host:port"),
    (["--broker", "mqtt://x", "--credentials", "/nonexistent/file"], "cannot be read"),
    (["--broker", "mqtt://x", "--cafile", "ca.crt"], "--cafile is for a TLS broker"),
    (["--broker", "mqtts://x", "--cafile", "/nonexistent/ca.crt"], "--cafile /nonexistent/ca.crt: cannot be read"),
    (["--broker", "mqtts://x", "--cafile", "{garbage}"], "not a PEM certificate file"),
    (["--broker", "mqtts://x", "--credentials", "{latin1}"], "not UTF-8 text"),
])
def test_kneecue_coach_says_a_mistake_in_one_line(args, said, tmp_path):
    (tmp_path / "garbage.crt").write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    (tmp_path / "latin1.credentials").write_bytes("coach:caf\xe9\n".encode("latin-1"))
    args = [a.format(garbage=tmp_path / "garbage.crt", latin1=tmp_path / "latin1.credentials") for a in args]
    done = subprocess.run([sys.executable, "-m", "firmware_py", "coach", *args], capture_output=True, text=True,
                          timeout=30, cwd=ROOT)
    assert done.returncode == 1 and said in done.stderr and done.stderr.count("\n") == 1, done.stderr
