"""The notify protocol and the throttling flags, without systemd or a Pi."""

from __future__ import annotations

import os
import socket

from firmware_py.system.sdnotify import Notifier
from firmware_py.system.throttle import describe, read_throttled


def test_messages_reach_an_abstract_socket_and_pings_are_rate_limited():
    name = f"kneecue-test-{os.getpid()}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind("\0" + name)
    server.settimeout(1.0)
    now = [100.0]
    notifier = Notifier({"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "4000000"}, clock=lambda: now[0])
    notifier.ready("scoring")
    assert server.recv(100) == b"READY=1\nSTATUS=scoring"
    sent = 0
    for step in range(100):  # 10 s of frames at 10 fps
        now[0] = 100.0 + step * 0.1
        notifier.ping()
    server.setblocking(False)
    while True:
        try:
            assert server.recv(100) == b"WATCHDOG=1"
            sent += 1
        except BlockingIOError:
            break
    assert sent == 5  # every 2 s: half the 4 s watchdog
    server.close()
    notifier.close()


def test_without_systemd_nothing_is_sent():
    notifier = Notifier({})
    assert not notifier.enabled and notifier.notify("READY=1") is False
    notifier.ping()


def test_a_watchdog_meant_for_another_process_is_ignored():
    assert Notifier({"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"}).watchdog_s is None


def test_throttled_flags_in_words(tmp_path):
    flags = tmp_path / "get_throttled"
    flags.write_text("0x50005\n")  # under-voltage and throttled now, and both since boot
    assert describe(read_throttled(flags)) == "under-voltage (use the official power supply), CPU throttled"
    flags.write_text("0x50000\n")  # only in the past: nothing now
    assert describe(read_throttled(flags)) is None
    assert read_throttled(tmp_path / "absent") is None
