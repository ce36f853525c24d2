"""The Raspberry Pi camera through picamera2 (only importable on a Pi, from apt).

Traps handled here (picamera2's manual and sources): its "BGR888" format is the one
whose numpy array is R, G, B, so we ask for it and convert nothing; the timestamp is the
request's ``SensorTimestamp`` (ns, on the monotonic clock), not the time we got the
buffer; ``capture_request`` buffers are released in ``finally``; the main stream is
used at a modest size rather than the lores stream, which the Pi 4 only gives as YUV420.

How the real camera fails, and what this does about it:

* **A camera that stops.** When the sensor stops delivering (cable knocked, power),
  libcamera times out its frontend and completes no more requests, and picamera2 only
  hands over completed ones: ``capture_request()`` without a timeout then blocks for ever
  (picamera2 issues #1264, #1065).  So each capture waits at most ``capture_timeout``;
  then the queued jobs are cancelled (``cancel_all_and_flush``), and the loss is reported
  as ``SourceLost``: the capture thread closes the camera and opens it again.
* **No camera.** libcamera lists the cameras once per process and the Pi finds them at
  boot, so the list is asked first; constructing ``Picamera2`` with none listed would
  leak a pipe per try and could never succeed.
* **A failed open.** ``Picamera2()`` registers an ``atexit`` close once constructed, and
  holds the camera it acquired: anything that fails after it (configure, start) closes
  it here, or every retry would read "busy".  A failure *inside* the constructor leaves
  what it opened behind, out of reach (a pipe, sometimes the acquired camera: picamera2's
  DMA heap allocator raises ``PermissionError`` after the acquire): after
  ``OPEN_TRIES`` of those the camera is given up in this process (``SourceGivenUp``),
  with the fault on show until the service is restarted.
* **The field of view.** Asked only for an output size, libcamera picks a cropped
  sensor mode on a Camera Module 3: the mode is chosen here (``sensormodes``) and
  logged.  Autofocus runs continuously where the camera has it.

A landing drill asks for 120 frames a second (``rate``; ``loop.burst`` keeps the last
1.2 s of them): the mode is chosen again for that rate, but only a mode that sees as much
of the sensor as the one in use (``sensormodes.faster``), with the same output size, so
the athlete keeps their size under the scorer's pixel lengths.  A Camera Module 3's
120 fps mode (1536x864) is a two-thirds centre crop, so it stays in its full-field mode
at that mode's top rate, 56 fps.  Like a turn, the change is made in ``read``; a rate
the camera cannot be configured at is given up for the base rate (a warning in the log).

A camera mounted upside down (``turn(180)``) is turned by libcamera's own transform
(hflip + vflip, done in the ISP for nothing) and its frames say ``turned=180``.  A
change from the console takes effect in ``read``, on the capture thread that owns the
camera: stop, configure, start, which costs a few frames once.  90 and 270 are left to
the loop: the Pi's ISP cannot transpose.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time

from firmware_py.errors import SourceGivenUp, SourceLost, SourceOpenError
from firmware_py.sources.base import Frame, FrameSource
from firmware_py.sources.sensormodes import SensorMode, choose, describe, faster, full_array, main_size

log = logging.getLogger(__name__)
CAPTURE_TIMEOUT_S = 2.0  # 60 frame times at 30 fps, and well inside the service's 10 s watchdog
OPEN_TRIES = 5  # failed constructions before the camera is given up in this process
TIMEOUTS = (TimeoutError, concurrent.futures.TimeoutError)  # one class from Python 3.11 on
NO_CAMERA = ("no camera is connected (libcamera lists none). The Pi looks for cameras at boot: power "
             "off, reseat the ribbon cable (contacts towards the board's contacts), power on; "
             "`rpicam-hello --list-cameras` should list it")


class PiCamera(FrameSource):
    live = True

    def __init__(self, *, fps: float = 30.0, camera_num: int = 0, width: int = 1280,
                 capture_timeout: float = CAPTURE_TIMEOUT_S):
        self.fps = fps
        self.width = width
        self.camera_num = camera_num
        self.capture_timeout = capture_timeout
        self.name = f"picamera:{camera_num}"
        self.mode: SensorMode | None = None
        self.described = ""  # the sensor mode in use, in words (logged at open; `kneecue doctor` shows it)
        self._cam = None
        self._want_flip = False  # turn(180) asked for: read() reconfigures the camera to match
        self._flipped = False
        self._base_fps = fps
        self._base_mode: SensorMode | None = None  # the mode at the base rate: its size and field are kept
        self._running_fps = fps  # the rate the camera was last started at
        self._failed_inits = 0

    def turn(self, degrees: int) -> None:
        self._want_flip = degrees == 180

    def rate(self, fps: float | None) -> None:
        self.fps = fps or self._base_fps

    # -- opening ---------------------------------------------------------------------

    def open(self) -> "PiCamera":
        picamera2 = _picamera2(self.name)
        if self.camera_num >= len(picamera2.global_camera_info()):
            raise SourceOpenError(f"{self.name}: {NO_CAMERA}")
        try:
            cam = picamera2(self.camera_num)
        except Exception as e:  # RuntimeError (busy, init), PermissionError (DMA heap): see the docstring
            self._failed_inits += 1
            why = f"{self.name}: the camera could not be opened ({_causes(e)}){_hint(e)}"
            if self._failed_inits >= OPEN_TRIES:
                raise SourceGivenUp(f"{why}. Tried {OPEN_TRIES} times: not tried again in this process, which "
                                    f"libcamera leaves holding what a failed open took; once fixed, "
                                    f"`sudo systemctl restart kneecue`") from e
            raise SourceOpenError(why) from e
        try:
            self._start(cam, self._want_flip)
        except Exception as e:
            _close(cam)
            raise SourceOpenError(f"{self.name}: the camera could not be started ({_causes(e)}); "
                                  f"check the ribbon cable and `rpicam-hello --list-cameras`") from e
        self._failed_inits = 0
        self._cam = cam
        self._index = 0
        self._t0: int | None = None
        return self

    def _start(self, cam, flip: bool) -> None:
        if self.mode is None or self._running_fps != self.fps:
            modes = [SensorMode.from_picamera2(m) for m in cam.sensor_modes if "crop_limits" in m]
            if self._base_mode is None:
                self._base_mode = choose(modes, self._base_fps)
            self.mode = faster(modes, self._base_mode, self.fps) if self.fps > self._base_fps else self._base_mode
            model = str(cam.camera_properties.get("Model", ""))
            self.described = describe(self.mode, full_array(modes), model)
            log.info("camera: %s, at %g fps", self.described, self._frame_rate())
        cam.configure(self._configuration(cam, flip))
        cam.start()
        self._flipped = flip
        self._running_fps = self.fps

    def _configuration(self, cam, flip: bool) -> dict:
        from libcamera import Transform  # comes with picamera2, from apt

        return cam.create_video_configuration(
            # the base mode's output size at any rate (the same aspect and field: ``faster``)
            main={"size": main_size(self._base_mode, self.width), "format": "BGR888"},  # numpy order R, G, B
            sensor={"output_size": self.mode.size, "bit_depth": self.mode.bit_depth},
            controls=self._controls(cam),
            buffer_count=4,
            queue=False,  # never hand over a frame exposed before the request
            transform=Transform(hflip=int(flip), vflip=int(flip)),
        )

    def _controls(self, cam) -> dict:
        controls = {"FrameRate": self._frame_rate()}
        if "AfMode" in cam.camera_controls:  # Camera Module 3: otherwise focus stays where it was left
            from libcamera import controls as libcamera_controls

            controls["AfMode"] = libcamera_controls.AfModeEnum.Continuous
        return controls

    def _frame_rate(self) -> float:
        """What is asked for, as far as the mode in use goes."""
        return min(self.fps, self.mode.fps) if self.mode is not None else self.fps

    # -- reading ---------------------------------------------------------------------

    def read(self) -> Frame | None:
        if self._cam is None:
            raise SourceLost(f"{self.name} is not open")
        if self._want_flip != self._flipped or self._running_fps != self.fps:
            self._reconfigure(self._want_flip)
        try:
            request = self._cam.capture_request(wait=self.capture_timeout)
        except TIMEOUTS as e:
            try:
                self._cam.cancel_all_and_flush()  # the waiting job, so that the camera can be closed
            except Exception:
                pass
            raise SourceLost(f"{self.name}: no frame for {self.capture_timeout:g} s: the camera stopped "
                             f"(ribbon cable, power?)") from e
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
            self._start(self._cam, flip)
        except Exception as e:  # the capture thread closes and reopens it, turned as asked
            if flip != self._flipped:
                what = f"turned {180 if flip else 0}°"
            else:
                what = f"set to {self.fps:g} fps"
            if self.fps != self._base_fps:  # reopened at the base rate: a landing drill's camera stays up
                log.warning("camera: %s at %g fps failed (%s): back to %g fps", self.name, self.fps, e,
                            self._base_fps)
                self.fps, self.mode = self._base_fps, None  # chosen again at the reopen
            raise SourceLost(f"{self.name} could not be {what}: {e}") from e

    def close(self) -> None:
        cam, self._cam = self._cam, None
        if cam is not None:
            try:
                cam.stop()  # a camera gone mid-run may fail to stop...
            finally:
                cam.close()  # ...and is closed all the same, or it stays held and every reopen fails


def _picamera2(name: str):
    try:
        from picamera2 import Picamera2  # lazy: needs libcamera, only on a Pi
    except ImportError as e:
        raise SourceOpenError(
            f"{name}: picamera2 is not importable ({e}); on a Pi run "
            f"`sudo apt install python3-picamera2` and make the venv with --system-site-packages"
        ) from e
    return Picamera2


def _close(cam) -> None:
    try:
        cam.close()
    except Exception:  # half-started: close what it can; the error that matters is being raised
        pass


def _causes(e: BaseException) -> str:
    """picamera2 wraps the real cause ("Camera __init__ sequence did not complete."): both."""
    words = [str(e) or type(e).__name__]
    while e.__cause__ is not None:
        e = e.__cause__
        words.append(str(e) or type(e).__name__)
    return ": ".join(words)


def _hint(e: BaseException) -> str:
    while e is not None:
        if isinstance(e, PermissionError):
            return ("; the camera's devices are not open to this user: it must be in the video group, and "
                    "under systemd the unit must allow char-dma_heap, char-media and char-video4linux")
        e = e.__cause__
    return ""
