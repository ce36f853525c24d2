"""A stand-in for picamera2 and libcamera (Pi-only, from apt), just wide enough for
``sources.picam``: the calls it makes, and a sensor whose picture obeys the
configured transform as libcamera's does (hflip mirrors, vflip turns upside down).
There is no official double of picamera2, so this one stays as small as it can."""

from __future__ import annotations

import itertools
import sys
import types

import numpy as np


class Transform:
    def __init__(self, hflip: int = 0, vflip: int = 0) -> None:
        self.hflip, self.vflip = bool(hflip), bool(vflip)


class _Request:
    def __init__(self, picture: np.ndarray, t_ns: int) -> None:
        self._picture, self._t_ns, self.released = picture, t_ns, False

    def make_array(self, stream: str) -> np.ndarray:
        assert stream == "main" and not self.released
        return self._picture

    def get_metadata(self) -> dict:
        return {"SensorTimestamp": self._t_ns}

    def release(self) -> None:
        self.released = True


class Picamera2:
    sensor: np.ndarray = np.zeros((4, 6, 3), np.uint8)  # what the sensor sees, untransformed
    made: list["Picamera2"] = []

    def __init__(self, camera_num: int = 0) -> None:
        self.started, self.config, self.configured = False, None, 0
        self._clock = itertools.count(1_000_000_000, 33_333_333)
        Picamera2.made.append(self)

    def create_video_configuration(self, *, main, controls, buffer_count, queue, transform) -> dict:
        return {"main": main, "controls": controls, "transform": transform}

    def configure(self, config: dict) -> None:
        if self.started:
            raise RuntimeError("Camera must be stopped before configuring")  # as picamera2 says
        self.config, self.configured = config, self.configured + 1

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.started = False

    def capture_request(self) -> _Request:
        if not self.started:
            raise RuntimeError("camera not running")
        picture, t = self.sensor, self.config["transform"]
        if t.hflip:
            picture = picture[:, ::-1]
        if t.vflip:
            picture = picture[::-1]
        return _Request(np.ascontiguousarray(picture), next(self._clock))


def install(monkeypatch, sensor: np.ndarray) -> type[Picamera2]:
    """Make ``import picamera2`` and ``import libcamera`` find these, for one test."""
    Picamera2.sensor, Picamera2.made = sensor, []
    monkeypatch.setitem(sys.modules, "picamera2", types.SimpleNamespace(Picamera2=Picamera2))
    monkeypatch.setitem(sys.modules, "libcamera", types.SimpleNamespace(Transform=Transform))
    return Picamera2
