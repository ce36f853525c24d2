"""The Raspberry Pi camera through picamera2 (only importable on a Pi, from apt).

Traps handled here (GUIDE section 5): picamera2's "BGR888" format is the one whose
numpy array is R, G, B, so we ask for it and convert nothing; the timestamp is the
request's ``SensorTimestamp`` (ns, on the monotonic clock), not the time we got the
buffer; ``capture_request`` buffers are released in ``finally``; the main stream is
used at a modest size rather than the lores stream, which the Pi 4 only gives as YUV420.

A camera mounted upside down (``turn(180)``) is turned by libcamera's own transform
(hflip + vflip, done in the ISP for nothing) and its frames say ``turned=180``.  A
change from the console takes effect in ``read``, on the capture thread that owns the
camera: stop, configure, start, which costs a few frames once.  90 and 270 are left to
the loop: the Pi's ISP cannot transpose.
"""

from __future__ import annotations

import time

from firmware_py.errors import SourceLost, SourceOpenError
from firmware_py.sources.base import Frame, FrameSource


class PiCamera(FrameSource):
    live = True

    def __init__(self, *, size: tuple[int, int] = (1280, 720), fps: float = 30.0, camera_num: int = 0):
        self.size = size
        self.fps = fps
        self.camera_num = camera_num
        self.name = f"picamera:{camera_num}"
        self._cam = None
        self._want_flip = False  # turn(180) asked for: read() reconfigures the camera to match
        self._flipped = False

    def turn(self, degrees: int) -> None:
        self._want_flip = degrees == 180

    def _configuration(self, cam, flip: bool) -> dict:
        from libcamera import Transform  # comes with picamera2, from apt

        return cam.create_video_configuration(
            main={"size": self.size, "format": "BGR888"},  # numpy order R, G, B
            controls={"FrameRate": self.fps},
            buffer_count=4,
            queue=False,  # never hand over a frame exposed before the request
            transform=Transform(hflip=int(flip), vflip=int(flip)),
        )

    def open(self) -> "PiCamera":
        try:
            from picamera2 import Picamera2  # lazy: needs libcamera, only on a Pi
        except ImportError as e:
            raise SourceOpenError(
                f"{self.name}: picamera2 is not importable ({e}); on a Pi run "
                f"`sudo apt install python3-picamera2` and make the venv with --system-site-packages"
            ) from e
        try:
            cam = Picamera2(self.camera_num)
            flip = self._want_flip
            cam.configure(self._configuration(cam, flip))
            cam.start()
        except (IndexError, RuntimeError, OSError) as e:
            raise SourceOpenError(
                f"{self.name}: camera could not be started ({e}); check the ribbon cable and "
                f"`rpicam-hello --list-cameras`"
            ) from e
        self._cam = cam
        self._flipped = flip
        self._index = 0
        self._t0: int | None = None
        return self

    def read(self) -> Frame | None:
        if self._cam is None:
            raise SourceLost(f"{self.name} is not open")
        if self._want_flip != self._flipped:
            self._reconfigure(self._want_flip)
        try:
            request = self._cam.capture_request()
        except Exception as e:  # libcamera raises plain RuntimeErrors on a lost camera
            raise SourceLost(f"{self.name} stopped delivering frames: {e}") from e
        try:
            rgb = request.make_array("main")
            t_ns = int(request.get_metadata().get("SensorTimestamp", time.monotonic_ns()))
        finally:
            request.release()
        if self._t0 is None:
            self._t0 = t_ns
        frame = Frame(self._index, t_ns, rgb, (t_ns - self._t0) / 1e9, turned=180 if self._flipped else 0)
        self._index += 1
        return frame

    def _reconfigure(self, flip: bool) -> None:
        try:
            self._cam.stop()
            self._cam.configure(self._configuration(self._cam, flip))
            self._cam.start()
        except Exception as e:  # the capture thread closes and reopens it, turned as asked
            raise SourceLost(f"{self.name} could not be turned {180 if flip else 0}°: {e}") from e
        self._flipped = flip

    def close(self) -> None:
        cam, self._cam = self._cam, None
        if cam is not None:
            try:
                cam.stop()  # a camera gone mid-run may fail to stop...
            finally:
                cam.close()  # ...and is closed all the same, or it stays held and every reopen fails
