"""The Pi camera adapter against a picamera2 stand-in that fails as the real one does
(tests/fake_picamera2.py says how, and from which sources)."""

from __future__ import annotations

import threading
import time

import fake_picamera2
import numpy as np
import pytest

from firmware_py.errors import SourceGivenUp, SourceLost, SourceOpenError
from firmware_py.loop.handoff import CaptureThread
from firmware_py.sources.picam import OPEN_TRIES, PiCamera


def scene(h: int = 90, w: int = 160) -> np.ndarray:
    """A picture whose every pixel says where it is: x in red, y in green."""
    ys, xs = np.mgrid[0:h, 0:w]
    return np.dstack([xs * 255 // (w - 1), ys * 255 // (h - 1), np.zeros_like(xs)]).astype(np.uint8)


def test_the_whole_field_of_view_is_asked_for_and_said(monkeypatch, caplog):
    """Asked only for 1280x720, libcamera gives a Camera Module 3's 1536x864 centre crop
    (two thirds of the width): the athlete's feet and head leave the picture."""
    cameras = fake_picamera2.install(monkeypatch, sensor=scene())
    caplog.set_level("INFO")
    with PiCamera() as cam:
        frame = cam.read()
        (made,) = cameras.made
        assert made.sensor_mode["size"] == (2304, 1296) and made.config["main"]["size"] == (1280, 720)
        assert cam.described == "imx708 2304x1296 (up to 56 fps), full field of view, 66x41 deg"
    assert np.array_equal(frame.rgb, scene())  # every corner of the scene is in the picture
    assert "camera: imx708 2304x1296 (up to 56 fps), full field of view" in caplog.text


def test_a_camera_module_2_keeps_its_4_3_picture(monkeypatch):
    cameras = fake_picamera2.install(monkeypatch, sensor=scene(120, 160), model="imx219")
    with PiCamera() as cam:
        cam.read()
        (made,) = cameras.made
        assert made.sensor_mode["size"] == (1640, 1232) and made.config["main"]["size"] == (1280, 962)
        assert "full field of view" in cam.described


def test_a_landing_drill_gets_the_fastest_rate_that_keeps_the_picture_and_back(monkeypatch, caplog):
    """Camera Module 3: its 120 fps mode (1536x864) is a centre crop, two thirds of the
    width (46x28 deg: an athlete 1.8 m tall fits in it only from 5.5 m away), and a field
    that changed mid-session would change the athlete's size under the scorer's lengths;
    so a landing drill gets the full-field mode's top rate, 56 fps, at the same size."""
    cameras = fake_picamera2.install(monkeypatch, sensor=scene())
    caplog.set_level("INFO")
    with PiCamera() as cam:
        cam.read()
        cam.rate(120.0)
        frame = cam.read()  # reconfigured on the capture thread's next read
        (made,) = cameras.made
        assert made.sensor_mode["size"] == (2304, 1296) and made.config["main"]["size"] == (1280, 720)
        assert made.config["controls"]["FrameRate"] == pytest.approx(56.03) and made.started
        assert made.configured == 2 and np.array_equal(frame.rgb, scene())
        assert "full field of view, 66x41 deg, at 56.03 fps" in caplog.text
        cam.rate(None)
        cam.read()
        assert made.sensor_mode["size"] == (2304, 1296) and made.config["controls"]["FrameRate"] == 30.0


def test_a_full_field_fast_mode_is_taken_for_a_landing_drill(monkeypatch):
    modes = [dict(m) for m in fake_picamera2.IMX708_MODES]
    modes[0]["crop_limits"] = (0, 0, 4608, 2592)  # a sensor that bins its whole array at 120 fps
    cameras = fake_picamera2.install(monkeypatch, sensor=scene(), modes=modes)
    with PiCamera() as cam:
        cam.read()
        cam.rate(120.0)
        cam.read()
        (made,) = cameras.made
        assert made.sensor_mode["size"] == (1536, 864) and made.config["main"]["size"] == (1280, 720)
        assert made.config["controls"]["FrameRate"] == 120.0


def test_a_rate_the_camera_cannot_be_configured_at_is_given_up_for_the_base_rate(monkeypatch):
    modes = [dict(m) for m in fake_picamera2.IMX708_MODES]
    modes[0]["crop_limits"] = (0, 0, 4608, 2592)
    cameras = fake_picamera2.install(monkeypatch, sensor=scene(), modes=modes)
    configure = cameras.configure

    def refuse_fast(self, config):
        if config["controls"]["FrameRate"] > 60:
            raise RuntimeError("pipeline handler failed")
        configure(self, config)

    monkeypatch.setattr(cameras, "configure", refuse_fast)
    cam = PiCamera().open()
    cam.read()
    cam.rate(120.0)
    with pytest.raises(SourceLost, match="could not be set to 120 fps: pipeline handler failed"):
        cam.read()
    cam.close()
    cam.open()  # as the capture thread reopens it: at the base rate, the landing drill's camera up
    assert cam.read() is not None and cameras.made[-1].config["controls"]["FrameRate"] == 30.0
    cam.close()


def test_a_camera_module_2_keeps_its_field_of_view_rather_than_reach_120_fps(monkeypatch):
    """Its only mode past 56 fps is a 640x480 centre crop: it stays at its full-field
    mode, at that mode's top rate."""
    cameras = fake_picamera2.install(monkeypatch, sensor=scene(120, 160), model="imx219")
    with PiCamera() as cam:
        cam.read()
        cam.rate(120.0)
        cam.read()
        (made,) = cameras.made
        assert made.sensor_mode["size"] == (1640, 1232) and made.config["main"]["size"] == (1280, 962)
        assert made.config["controls"]["FrameRate"] == pytest.approx(41.85)


def test_autofocus_runs_continuously_where_the_camera_has_it(monkeypatch):
    cameras = fake_picamera2.install(monkeypatch, sensor=scene())
    with PiCamera():
        assert cameras.made[0].config["controls"]["AfMode"] == fake_picamera2.AfModeEnum.Continuous
    cameras = fake_picamera2.install(monkeypatch, sensor=scene(), model="imx219")
    with PiCamera():
        assert "AfMode" not in cameras.made[0].config["controls"]  # a fixed-focus Camera Module 2


def test_a_camera_that_stops_is_lost_within_its_timeout_not_waited_on_for_ever(monkeypatch):
    cameras = fake_picamera2.install(monkeypatch, sensor=scene())
    cam = PiCamera(capture_timeout=0.3).open()
    cam.read()
    (made,) = cameras.made
    made.lose()  # the ribbon cable knocked out: libcamera completes no more requests
    outcome = []

    def read():
        try:
            cam.read()
        except Exception as e:
            outcome.append(e)
    reader = threading.Thread(target=read, daemon=True)
    started = time.monotonic()
    reader.start()
    reader.join(5.0)
    made.job_cancelled.set()  # release a read that waits for ever (the old code's), so the test ends
    assert outcome and isinstance(outcome[0], SourceLost), "the read blocked"
    assert time.monotonic() - started < 2.0
    assert "no frame for 0.3 s" in str(outcome[0])
    assert made.job_cancelled.is_set()
    cam.close()
    assert cameras.acquired == set()  # closed, so it can be opened again


def test_no_camera_is_said_once_per_try_without_leaking_a_pipe_each_time(monkeypatch):
    cameras = fake_picamera2.install(monkeypatch, sensor=scene(), connected=0)
    cam = PiCamera()
    for _ in range(20):
        with pytest.raises(SourceOpenError, match="no camera is connected.*power off, reseat the ribbon cable"):
            cam.open()
    assert cameras.pipes_open == 0


def test_a_camera_that_fails_to_start_is_released_so_the_next_try_opens_it(monkeypatch):
    cameras = fake_picamera2.install(monkeypatch, sensor=scene())
    real_start, calls = cameras.start, []

    def start(self):
        calls.append(self)
        if len(calls) == 1:
            raise RuntimeError("Failed to start camera: Device timeout")
        real_start(self)
    monkeypatch.setattr(cameras, "start", start)
    cam = PiCamera()
    with pytest.raises(SourceOpenError, match="could not be started .*Device timeout"):
        cam.open()
    assert cameras.acquired == set() and cameras.atexit_closes == []
    cam.open()  # not "busy": the first try let the camera go
    assert cam.read() is not None
    cam.close()


def test_a_camera_this_process_cannot_open_is_given_up_with_what_to_do(monkeypatch):
    """Each failed construction leaves a pipe (and maybe the camera) held for the life of
    the process: after a few, no more tries, and the fault says how to clear it."""
    cameras = fake_picamera2.install(monkeypatch, sensor=scene())
    cameras.held_elsewhere = True  # rpicam-hello left running in another shell
    cam = PiCamera()
    for _ in range(OPEN_TRIES - 1):
        with pytest.raises(SourceOpenError, match="Failed to acquire camera: Device or resource busy"):
            cam.open()
    with pytest.raises(SourceGivenUp, match="not tried again in this process.*systemctl restart kneecue"):
        cam.open()
    assert cameras.pipes_open == OPEN_TRIES  # what the fake says picamera2 leaks: bounded now


def test_a_dma_heap_the_service_may_not_open_names_the_unit_line(monkeypatch):
    cameras = fake_picamera2.install(monkeypatch, sensor=scene())
    cameras.dma_heap_denied = True
    with pytest.raises(SourceOpenError, match="Permission denied.*char-dma_heap"):
        PiCamera().open()


def test_the_capture_thread_reports_a_lost_camera_and_keeps_answering(monkeypatch):
    """After the camera stops: the fault within the capture timeout, retries that return
    (the watchdog is fed while they do), and frames again once a camera answers."""
    cameras = fake_picamera2.install(monkeypatch, sensor=scene())
    faults = []
    capture = CaptureThread(PiCamera(capture_timeout=0.2), opened=False, on_fault=faults.append,
                            backoff=(0.05, 0.1))
    capture.start()
    try:
        assert capture.slot.get(2.0) is not None
        cameras.made[0].lose()
        deadline = time.monotonic() + 3.0
        while not faults and time.monotonic() < deadline:
            capture.slot.get(0.05)
        assert faults and "no frame for 0.2 s" in faults[0]
        assert capture.stuck_s() < 1.0  # answering, not stuck inside the driver
        frame = None
        while frame is None and time.monotonic() < deadline + 2.0:
            frame = capture.slot.get(0.1)  # the reopened camera (a new one) delivers
        assert frame is not None and faults[-1] is None
    finally:
        capture.stop()
        capture.source.close()  # the loop closes it once the thread has stopped
    assert cameras.pipes_open == 0  # the lost camera's pipe went with it when it was closed


def test_a_given_up_camera_keeps_its_fault_up_until_stopped(monkeypatch):
    cameras = fake_picamera2.install(monkeypatch, sensor=scene())
    cameras.held_elsewhere = True
    faults = []
    capture = CaptureThread(PiCamera(), opened=False, on_fault=faults.append, backoff=(0.01, 0.02))
    capture.start()
    deadline = time.monotonic() + 3.0
    while not capture.gave_up and time.monotonic() < deadline:
        time.sleep(0.02)
    assert capture.gave_up and len(faults) == OPEN_TRIES and "not tried again" in faults[-1]
    time.sleep(0.1)
    assert capture.is_alive() and not capture.slot.closed  # the loop goes on showing the fault
    capture.stop()
    assert not capture.is_alive()
