"""The newest frame always wins: a slow consumer never falls further behind."""

from __future__ import annotations

import threading
import time

import numpy as np

from firmware_py.loop.handoff import CaptureThread, LatestSlot
from firmware_py.sources.base import Frame, FrameSource


class Counter(FrameSource):
    """Frames as fast as asked, ``count`` of them."""

    live = True  # a camera: drops what the consumer cannot keep up with

    def __init__(self, count: int, period: float = 0.0):
        self.count, self.period, self.i = count, period, 0
        self.name = "counter"

    def read(self):
        if self.i >= self.count:
            return None
        if self.period:
            time.sleep(self.period)
        self.i += 1
        return Frame(self.i - 1, time.monotonic_ns(), np.zeros((1, 1, 3), np.uint8), 0.0)


def test_slot_keeps_only_the_newest():
    slot = LatestSlot()
    for i in range(5):
        slot.put(i)
    assert slot.get(0) == 4
    assert slot.dropped == 4
    assert slot.get(0.01) is None


def test_slow_consumer_gets_fresh_frames_and_drops_are_counted():
    capture = CaptureThread(Counter(200, period=0.001), retry=False)
    capture.start()
    got = []
    while (frame := capture.slot.get(1.0)) is not None:
        got.append(frame.index)
        time.sleep(0.01)  # a model ten times slower than the camera
    capture.join(1.0)
    assert got == sorted(got) and got[-1] == 199  # in order, ending on the newest
    assert len(got) < 100  # most frames were dropped, not queued
    assert capture.slot.dropped + capture.slot.delivered == 200


def test_get_wakes_on_close():
    slot = LatestSlot()
    threading.Timer(0.05, slot.close).start()
    start = time.monotonic()
    assert slot.get(5.0) is None
    assert time.monotonic() - start < 1.0


def test_capture_thread_keeps_the_source_error():
    class Broken(Counter):
        def read(self):
            from firmware_py.errors import SourceLost
            raise SourceLost("camera unplugged")

    capture = CaptureThread(Broken(1), retry=False)
    capture.start()
    assert capture.slot.get(1.0) is None
    capture.join(1.0)
    assert "unplugged" in str(capture.error)


def test_unpaced_clip_is_scored_frame_by_frame():
    source = Counter(50)
    source.live = False
    capture = CaptureThread(source)
    capture.start()
    got = []
    while (frame := capture.slot.get(1.0)) is not None:
        got.append(frame.index)
        time.sleep(0.002)
    assert got == list(range(50)) and capture.slot.dropped == 0


def test_stopping_releases_a_producer_waiting_on_a_lossless_slot():
    source = Counter(1000)
    source.live = False
    capture = CaptureThread(source)
    capture.start()
    assert capture.slot.get(1.0).index == 0
    capture.stop(timeout=1.0)
    assert not capture.is_alive()


class FlakyCamera(FrameSource):
    """A camera double: absent for the first ``absent`` opens, then lost after ``lose_after``
    frames once; its own frame numbers and times restart at every open, like a real one."""

    live = True
    name = "flaky"

    def __init__(self, absent: int = 0, lose_after: int | None = None):
        self.absent, self.lose_after = absent, lose_after
        self.opens = 0
        self.i = 0

    def open(self):
        self.opens += 1
        if self.opens <= self.absent:
            from firmware_py.errors import SourceOpenError
            raise SourceOpenError("flaky: no camera (is the ribbon cable in?)")
        self.i = 0
        return self

    def read(self):
        from firmware_py.errors import SourceLost
        if self.lose_after is not None and self.i >= self.lose_after:
            self.lose_after = None
            raise SourceLost("flaky stopped delivering frames")
        time.sleep(0.002)
        self.i += 1
        return Frame(self.i - 1, time.monotonic_ns(), np.zeros((1, 1, 3), np.uint8), (self.i - 1) / 30)


def collect(capture, n):
    frames = []
    while len(frames) < n:
        frame = capture.slot.get(5.0)
        assert frame is not None
        frames.append(frame)
    capture.stop()
    return frames


def test_a_camera_absent_at_start_is_retried_until_it_comes():
    faults = []
    capture = CaptureThread(FlakyCamera(absent=3), opened=False, on_fault=faults.append, backoff=(0.01, 0.05))
    capture.start()
    frames = collect(capture, 5)
    assert frames[0].index == 0
    assert faults[:3] == ["flaky: no camera (is the ribbon cable in?)"] * 3 and faults[3] is None


def test_a_camera_lost_mid_run_comes_back_with_frame_numbers_and_times_running_on():
    faults = []
    source = FlakyCamera(lose_after=20)
    capture = CaptureThread(source.open(), on_fault=faults.append, backoff=(0.01, 0.05))
    capture.slot.lossless = True  # keep every frame, to check the numbering
    capture.start()
    frames = collect(capture, 40)
    assert faults == ["flaky stopped delivering frames", None] and capture.reopened == 1
    indices, times = [f.index for f in frames], [f.pts for f in frames]
    assert indices == list(range(40))
    assert all(b > a for a, b in zip(times, times[1:]))
