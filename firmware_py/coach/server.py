"""The coach's page over HTTP: its static files, and ``/events``, a Server-Sent Events stream.

The stream opens with the broker link and every device's view, then sends each
device's view again whenever it changes (``event: device``, one JSON object), at
most every ``coalesce`` seconds, so a burst of light changes is one update; a
comment every ``heartbeat`` seconds finds closed pages.  A browser reconnects by
itself (``retry``) and gets the whole picture again.  Only GET and HEAD are served:
the page can send nothing to a device.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

from .hub import Hub

__all__ = ["CoachServer", "FILES", "loopback_host"]

log = logging.getLogger("kneecue.coach")

ALPINE = "alpine-3.17.5.min.js"
FILES = {"/": ("index.html", "text/html; charset=utf-8"), "/app.js": ("app.js", "text/javascript; charset=utf-8"),
         "/style.css": ("style.css", "text/css; charset=utf-8"),
         f"/{ALPINE}": (ALPINE, "text/javascript; charset=utf-8")}
# Alpine evaluates its attribute expressions with Function(): 'unsafe-eval', and nothing from elsewhere.
POLICY = ("default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self'; connect-src 'self'; "
          "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class CoachServer(ThreadingHTTPServer):
    """``serve_forever()`` in a thread of its own; ``close()`` ends the streams, then the server."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], hub: Hub, *, heartbeat: float = 15.0, coalesce: float = 0.05):
        super().__init__(address, _Handler)
        self.hub, self.heartbeat, self.coalesce = hub, heartbeat, coalesce
        self.loopback = ipaddress.ip_address(self.server_address[0]).is_loopback
        folder = resources.files("firmware_py.coach") / "static"
        self.files = {path: ((folder / name).read_bytes(), kind) for path, (name, kind) in FILES.items()}
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> CoachServer:
        self._thread = threading.Thread(target=self.serve_forever, name="coach-http", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Idempotent: streams told to end, the listening socket closed."""
        self.hub.close()
        if self._thread is not None:
            self.shutdown()
            self._thread.join(5.0)
            self._thread = None
        self.server_close()

    def __enter__(self) -> CoachServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Handler(BaseHTTPRequestHandler):
    server: CoachServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if not self._host_ok():
            return
        if path == "/events":
            self._stream()
        elif path in self.server.files:
            body, kind = self.server.files[path]
            self._head(HTTPStatus.OK, kind, len(body))
            self.wfile.write(body)
        else:
            body = b"not here: the coach's view is at /\n"
            self._head(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", len(body))
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        path = self.path.split("?", 1)[0]
        if not self._host_ok():
            return
        found = self.server.files.get(path)
        self._head(HTTPStatus.OK if found else HTTPStatus.NOT_FOUND, found[1] if found else "text/plain",
                   len(found[0]) if found else 0)

    def _host_ok(self) -> bool:
        """On a loopback address only a loopback name may be asked for: a web page elsewhere
        cannot point a name of its own at 127.0.0.1 (DNS rebinding) and read the athletes' reps."""
        if not self.server.loopback:
            return True
        if loopback_host(self.headers.get("Host") or ""):
            return True
        body = b"this view answers to localhost and a loopback address (127.0.0.1, [::1]) only\n"
        self._head(HTTPStatus.MISDIRECTED_REQUEST, "text/plain; charset=utf-8", len(body))
        self.wfile.write(body)
        return False

    def _refuse(self) -> None:
        body = b"the coach's view only shows: settings change at each device's serial console\n"
        self._head(HTTPStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", len(body), {"Allow": "GET, HEAD"})
        self.wfile.write(body)

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse

    def _head(self, status: HTTPStatus, kind: str, length: int | None, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Content-Security-Policy", POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()

    def _stream(self) -> None:
        hub = self.server.hub
        self.close_connection = True
        self._head(HTTPStatus.OK, "text/event-stream; charset=utf-8", None, {"Connection": "close"})
        seq, broker, devices = hub.snapshot()
        try:
            self._send(b"retry: 1000\n\n" + _events(broker, devices))
            while not hub.closed:
                seq, broker, devices = hub.wait(seq, self.server.heartbeat)
                if hub.closed:
                    break
                self._send(_events(broker, devices) or b": still here\n\n")
                time.sleep(self.server.coalesce)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the page was closed

    def _send(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        log.debug("http %s: " + format, self.address_string(), *args)


def loopback_host(header: str) -> bool:
    """Whether a Host header names this machine: ``localhost`` or a literal loopback
    address (IPv6 in brackets), with or without a port; anything else, empty included, is not."""
    header = header.strip()
    if header.startswith("["):  # [::1] or [::1]:port
        inside, sep, rest = header[1:].partition("]")
        if not sep or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return False
        host = inside
    else:
        host, sep, port = header.partition(":")
        if sep and not port.isdigit():
            return False  # a bare IPv6 address, or "name:" with no port
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback and (header.startswith("[") == (address.version == 6))


def _events(broker: dict | None, devices: list[dict]) -> bytes:
    """The events for the page; ``allow_nan=False``: a NaN would stop JSON.parse, and that device's updates,
    so a view that holds one (messages.parse lets none in) is logged and left out, never sent."""
    out = [] if broker is None else [b"event: broker\ndata: " + json.dumps(broker, allow_nan=False).encode() + b"\n\n"]
    for d in devices:
        try:
            data = json.dumps(d, separators=(",", ":"), allow_nan=False)
        except ValueError as e:
            log.error("device %r: its view could not be sent to the page (%s); left out", d.get("device"), e)
            continue
        out.append(b"event: device\ndata: " + data.encode() + b"\n\n")
    return b"".join(out)
