"""Headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``).

``--dump-dom`` waits for the page to go quiet, which a page holding an open
Server-Sent Events stream never does; so the test opens the page as a coach would,
leaves it live, and asks the page itself (``Runtime.evaluate``) what it shows, as
often as it likes.  The protocol on the pipe is JSON messages ending in a NUL byte:
Chromium reads commands on its fd 3 and writes replies and events on its fd 4.  No
WebDriver, no websocket library: the standard library and Debian's chromium.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest


def need_chromium() -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium is not installed (bash .ci/run installs it)")
    return browser


class Chromium:
    def __init__(self, profile: Path, browser: str | None = None):
        browser = browser or need_chromium()
        to_child, self._out = os.pipe()  # our commands: we write _out, chromium reads its fd 3
        self._in, from_child = os.pipe()  # its replies: chromium writes its fd 4, we read _in

        # After four os.pipe() fds 3 and 4 are surely open in this process, so subprocess's
        # own error pipe is neither; in the child, copy ours out of the way before placing
        # them (one of them may already sit on 3 or 4).
        def wire() -> None:
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in (to_child, from_child)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        # --no-sandbox: CI runs as root; the rest keep Chromium off a network this machine does not have.
        self.process = subprocess.Popen(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=wire, pass_fds=(3, 4), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(profile.with_name(profile.name + ".log"), "wb"))  # noqa: SIM115 - the child holds it
        os.close(to_child)
        os.close(from_child)
        self._replies: dict[int, dict] = {}
        self._arrived = threading.Condition()
        self._next = 0
        self._session: str | None = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._in, 65536):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message:
                    with self._arrived:
                        self._replies[message["id"]] = message
                        self._arrived.notify_all()

    def send(self, method: str, params: dict | None = None, *, timeout: float = 10.0, page: bool = True) -> dict:
        with self._arrived:
            self._next += 1
            ident = self._next
        command = {"id": ident, "method": method, "params": params or {}}
        if page and self._session is not None:
            command["sessionId"] = self._session
        os.write(self._out, json.dumps(command).encode() + b"\0")
        with self._arrived:
            if not self._arrived.wait_for(lambda: ident in self._replies, timeout):
                raise TimeoutError(f"chromium did not answer {method} in {timeout} s")
            reply = self._replies.pop(ident)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", {"url": url}, page=False)["targetId"]
        self._session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                  page=False)["sessionId"]

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"the page threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 10.0) -> Any:
        """The expression's value once it is truthy; TimeoutError with its last value if it never is."""
        end, value = time.monotonic() + timeout, None
        while time.monotonic() < end:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(f"{expression} still {value!r} after {timeout} s")

    def close(self) -> None:
        try:
            self.send("Browser.close", page=False, timeout=3)
        except (OSError, TimeoutError, RuntimeError):
            pass
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._out, self._in):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
