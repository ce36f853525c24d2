"""Faults and warnings raised and cleared by several threads while others read them."""

from __future__ import annotations

import logging
import sys
import threading

from firmware_py.console.session import ConsoleSession
from firmware_py.device.config import DeviceConfig
from firmware_py.device.state import Device


def test_faults_changed_by_several_threads_never_break_the_status_line_or_the_console(caplog):
    """The capture, monitor and recorder threads raise and clear faults and warnings while
    the monitor writes systemd's status line and the coach asks for `status`: no reader
    may die of "dictionary changed size during iteration" (it would freeze the status)."""
    caplog.set_level(logging.CRITICAL, logger="kneecue")
    device = Device(DeviceConfig())
    console = ConsoleSession(device)
    stop, failures = threading.Event(), []

    def churn(k: int) -> None:
        i = 0
        while not stop.is_set():
            name = f"thread {k} part {i % 200}"
            device.health.set_fault(name, "gone")
            device.health.set_warning(name, "slow")
            if i % 3:
                device.health.set_fault(name, None)
                device.health.set_warning(name, None)
            i += 1

    def read(what) -> None:
        try:
            for _ in range(2000):
                what()
        except Exception as e:  # the test's point: a reader thread must not die
            failures.append(repr(e))

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, as a busy Pi does
    writers = [threading.Thread(target=churn, args=(k,)) for k in range(3)]
    readers = [threading.Thread(target=read, args=(device.summary,)),
               threading.Thread(target=read, args=(lambda: console.receive(b"status\r", 0.0),))]
    try:
        for t in writers + readers:
            t.start()
        for t in readers:
            t.join(60)
    finally:
        stop.set()
        for t in writers:
            t.join(10)
        sys.setswitchinterval(switch)
    assert failures == []
    faults = device.health.faults
    assert faults and all(v == "gone" for v in faults.values())  # what was left raised is still there
    assert device.summary().startswith("FAULT thread")
    device.health.set_fault("camera", None)  # clearing one never raised is nothing
    for name in list(faults):
        device.health.set_fault(name, None)
    assert device.health.faults == {} and not device.summary().startswith("FAULT")


def test_a_fault_is_logged_once_when_raised_and_once_when_cleared(caplog):
    now = [100.0]
    device = Device(DeviceConfig(), clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="kneecue"):
        device.health.set_fault("camera", "picamera:0 stopped delivering frames")
        device.health.set_fault("camera", "picamera:0 stopped delivering frames")
        now[0] += 12.0
        device.health.set_fault("camera", None)
        device.health.set_fault("camera", None)
    assert [r.getMessage() for r in caplog.records] == ["camera: picamera:0 stopped delivering frames",
                                                       "camera: back after 12 s"]
    assert caplog.records[0].levelname == "ERROR" and caplog.records[1].levelname == "WARNING"
