"""A stand-in for picamera2 and libcamera (Pi-only, from apt), just wide enough for
``sources.picam``, that fails the way the real ones do (read from picamera2's
``picamera2.py`` and ``dma_heap.py``, and libcamera's Raspberry Pi pipeline):

* the camera list is read once per process (``global_camera_info``), as libcamera's;
* the constructor opens a notification pipe *before* it looks the camera up, so a
  construction with no camera, or one that fails to acquire it (held elsewhere), leaks
  the pipe; a construction that fails in the DMA heap allocator (``PermissionError``)
  leaks the pipe *and* keeps the camera acquired, with an ``atexit`` close registered;
* asked for an output size and no sensor mode, the sensor mode is libcamera's: the
  smallest mode at least that big with the same aspect ratio (on an IMX708, the
  1536x864 centre crop for 1280x720);
* a camera that stops (``lose()``) completes no more requests, and ``capture_request``
  then blocks until its ``wait`` runs out, or for ever without one;
* the sensor's picture obeys the configured transform (hflip mirrors, vflip turns).

There is no official double of picamera2, so this one stays as small as it can."""

from __future__ import annotations

import concurrent.futures
import itertools
import sys
import threading
import types

import numpy as np

# `rpicam-hello --list-cameras` on a Camera Module 3, as picamera2's sensor_modes give them
IMX708_MODES = [
    {"format": "SRGGB10_CSI2P", "bit_depth": 10, "size": (1536, 864), "fps": 120.13,
     "crop_limits": (768, 432, 3072, 1728)},
    {"format": "SRGGB10_CSI2P", "bit_depth": 10, "size": (2304, 1296), "fps": 56.03,
     "crop_limits": (0, 0, 4608, 2592)},
    {"format": "SRGGB10_CSI2P", "bit_depth": 10, "size": (4608, 2592), "fps": 14.35,
     "crop_limits": (0, 0, 4608, 2592)},
]
IMX219_MODES = [  # Camera Module 2
    {"format": "SRGGB10_CSI2P", "bit_depth": 10, "size": (640, 480), "fps": 206.65,
     "crop_limits": (1000, 752, 1280, 960)},
    {"format": "SRGGB10_CSI2P", "bit_depth": 10, "size": (1640, 1232), "fps": 41.85,
     "crop_limits": (0, 0, 3280, 2464)},
    {"format": "SRGGB10_CSI2P", "bit_depth": 10, "size": (1920, 1080), "fps": 47.57,
     "crop_limits": (680, 692, 1920, 1080)},
    {"format": "SRGGB10_CSI2P", "bit_depth": 10, "size": (3280, 2464), "fps": 21.19,
     "crop_limits": (0, 0, 3280, 2464)},
]


class Transform:
    def __init__(self, hflip: int = 0, vflip: int = 0) -> None:
        self.hflip, self.vflip = bool(hflip), bool(vflip)


class AfModeEnum:
    Manual, Auto, Continuous = 0, 1, 2


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
    # the world the class stands in: set by install() for each test
    sensor: np.ndarray = np.zeros((4, 6, 3), np.uint8)  # what the sensor sees, untransformed
    model = "imx708"
    modes: list[dict] = IMX708_MODES
    connected = 1  # cameras on the ribbon cables at "boot"
    held_elsewhere = False  # another process (rpicam-hello) has the camera
    dma_heap_denied = False  # /dev/dma_heap/* not openable (a device policy without char-dma_heap)
    made: list["Picamera2"] = []
    pipes_open = 0
    acquired: set[int] = set()
    atexit_closes: list["Picamera2"] = []
    _camera_list: list[dict] | None = None

    @classmethod
    def global_camera_info(cls) -> list[dict]:
        if cls._camera_list is None:  # libcamera's CameraManager enumerates once per process
            cls._camera_list = [{"Model": cls.model, "Location": 2, "Rotation": 0, "Id": f"/base/cam{n}", "Num": n}
                                for n in range(cls.connected)]
        return cls._camera_list

    def __init__(self, camera_num: int = 0) -> None:
        Picamera2.pipes_open += 1  # os.pipe2(), before anything can fail
        self._pipe = True
        self.is_open = False
        num = self.global_camera_info()[camera_num]["Num"]  # IndexError with no camera: the pipe leaks
        if num in Picamera2.acquired or Picamera2.held_elsewhere:
            raise RuntimeError("Camera __init__ sequence did not complete.") from RuntimeError(
                "Failed to acquire camera: Device or resource busy")
        Picamera2.acquired.add(num)
        self.num, self.is_open = num, True
        self.started, self.config, self.configured = False, None, 0
        self.lost = threading.Event()
        self.job_cancelled = threading.Event()
        self._clock = itertools.count(1_000_000_000, 33_333_333)
        Picamera2.atexit_closes.append(self)  # atexit.register(self.close)
        if Picamera2.dma_heap_denied:  # DmaAllocator(): only FileNotFoundError is skipped
            raise PermissionError(13, "Permission denied", "/dev/dma_heap/vidbuf_cached")
        self.camera_properties = {"Model": self.model, "PixelArraySize": (4608, 2592)}
        self.camera_controls = {"FrameRate": (1.0, 120.0, 30.0)}
        if self.model.startswith("imx708"):
            self.camera_controls["AfMode"] = (0, 2, 0)
        self.sensor_mode: dict | None = None
        Picamera2.made.append(self)

    @property
    def sensor_modes(self) -> list[dict]:
        return [dict(m) for m in self.modes]

    def create_video_configuration(self, main={}, lores=None, raw={}, transform=None, colour_space=None,
                                   buffer_count=6, controls={}, display="main", encode="main", queue=True,
                                   sensor={}, use_case="video") -> dict:
        return {"main": dict(main), "controls": dict(controls), "transform": transform or Transform(),
                "sensor": dict(sensor), "buffer_count": buffer_count, "queue": queue}

    def configure(self, config: dict) -> None:
        if self.started:
            raise RuntimeError("Camera must be stopped before configuring")  # as picamera2 says
        wanted = config["sensor"].get("output_size")
        if wanted is not None:
            matches = [m for m in self.modes if tuple(m["size"]) == tuple(wanted)]
            if not matches:
                raise RuntimeError(f"no sensor mode {wanted}")
            self.sensor_mode = matches[0]
        else:  # libcamera's choice: the smallest mode that covers the output at its aspect ratio
            w, h = config["main"]["size"]
            covering = [m for m in self.modes if m["size"][0] >= w and m["size"][1] >= h
                        and abs(m["size"][0] / m["size"][1] - w / h) < 0.05] or self.modes
            self.sensor_mode = min(covering, key=lambda m: m["size"][0] * m["size"][1])
        self.config, self.configured = config, self.configured + 1

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        if self in Picamera2.atexit_closes:
            Picamera2.atexit_closes.remove(self)
        if self._pipe:
            Picamera2.pipes_open -= 1
            self._pipe = False
        if self.is_open:
            self.started, self.is_open = False, False
            Picamera2.acquired.discard(self.num)

    def lose(self) -> None:
        """The sensor stops: libcamera times its frontend out and completes no requests."""
        self.lost.set()

    def cancel_all_and_flush(self) -> None:
        self.job_cancelled.set()

    def capture_request(self, wait=None, signal_function=None, flush=None) -> _Request:
        if not self.started:
            raise RuntimeError("camera not running")
        if self.lost.is_set():
            # a job that never completes: Job.get_result(timeout) raises; without a timeout it
            # waits for ever (here: until the test's cancel, so that a failing test ends)
            if wait is None or wait is True:
                self.job_cancelled.wait()
                raise concurrent.futures.CancelledError()
            threading.Event().wait(wait)
            raise concurrent.futures.TimeoutError()
        picture, t = self.sensor, self.config["transform"]
        if self.sensor_mode is not None and tuple(self.sensor_mode["crop_limits"][:2]) != (0, 0):
            picture = _centre_crop(picture, self.sensor_mode["crop_limits"], self.modes)
        if t.hflip:
            picture = picture[:, ::-1]
        if t.vflip:
            picture = picture[::-1]
        return _Request(np.ascontiguousarray(picture), next(self._clock))


def _centre_crop(picture: np.ndarray, crop: tuple, modes: list[dict]) -> np.ndarray:
    """What a cropped mode sees of the scene: the same share of the picture."""
    full_w = max(m["crop_limits"][2] for m in modes)
    full_h = max(m["crop_limits"][3] for m in modes)
    h, w = picture.shape[:2]
    x0, y0 = round(crop[0] / full_w * w), round(crop[1] / full_h * h)
    x1, y1 = round((crop[0] + crop[2]) / full_w * w), round((crop[1] + crop[3]) / full_h * h)
    return picture[y0:y1, x0:x1]


def install(monkeypatch, sensor: np.ndarray, *, model: str = "imx708", modes: list[dict] | None = None,
            connected: int = 1) -> type[Picamera2]:
    """Make ``import picamera2`` and ``import libcamera`` find these, for one test: a new
    process's view (camera list not read yet, nothing held)."""
    monkeypatch.setattr(Picamera2, "sensor", sensor)
    monkeypatch.setattr(Picamera2, "model", model)
    monkeypatch.setattr(Picamera2, "modes", modes if modes is not None else
                        (IMX708_MODES if model.startswith("imx708") else IMX219_MODES))
    monkeypatch.setattr(Picamera2, "connected", connected)
    monkeypatch.setattr(Picamera2, "held_elsewhere", False)
    monkeypatch.setattr(Picamera2, "dma_heap_denied", False)
    monkeypatch.setattr(Picamera2, "made", [])
    monkeypatch.setattr(Picamera2, "pipes_open", 0)
    monkeypatch.setattr(Picamera2, "acquired", set())
    monkeypatch.setattr(Picamera2, "atexit_closes", [])
    monkeypatch.setattr(Picamera2, "_camera_list", None)
    libcamera = types.SimpleNamespace(Transform=Transform, controls=types.SimpleNamespace(AfModeEnum=AfModeEnum))
    monkeypatch.setitem(sys.modules, "picamera2", types.SimpleNamespace(Picamera2=Picamera2))
    monkeypatch.setitem(sys.modules, "libcamera", libcamera)
    return Picamera2
