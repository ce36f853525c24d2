"""The notify protocol and the throttling flags, without systemd or a Pi."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from firmware_py.system.sdnotify import Notifier
from firmware_py.system.throttle import describe, read_power

FIXTURES = Path(__file__).parent / "fixtures"


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


@pytest.mark.parametrize("pi", ["pi4", "pi5"])
def test_under_voltage_and_heat_are_read_on_a_pi_4_and_a_pi_5(tmp_path, pi):
    """The Pi 5 has no get_throttled file: the hwmon alarm and the thermal zone, which
    both boards have, say what slows the CPU."""
    root = tmp_path / "sys"
    shutil.copytree(FIXTURES / pi / "sys", root)
    assert read_power(root).under_voltage is False and read_power(root).temp_c == pytest.approx(52.1)
    assert describe(read_power(root)) is None  # a cool Pi on its own supply
    (root / "class/hwmon/hwmon0/in0_lcrit_alarm").write_text("1\n")  # a phone charger
    (root / "class/thermal/thermal_zone0/temp").write_text("83500\n")  # in a case, in the sun
    assert describe(read_power(root)) == ("under-voltage (use the official power supply), hot, 84 °C: the "
                                          "firmware slows the CPU from 80 °C (give the Pi air or a heatsink)")


def test_off_a_pi_nothing_is_claimed(tmp_path):
    power = read_power(tmp_path)
    assert power.under_voltage is None and power.temp_c is None and describe(power) is None
