"""Video files, still images and USB webcams, through OpenCV.

OpenCV decodes to BGR; frames leave here as RGB.  A video file can be replayed as
fast as it decodes, or paced at its own frame rate (``realtime``) so that it behaves
like a camera.  ``CAP_PROP_FRAME_COUNT`` lies on MPEG-TS files, so frames are
counted by reading, and checked against the count a container's header holds
(``expected_frames``): OpenCV ends a file that stops early, or a frame it cannot
decode, as if the clip were over.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from firmware_py.cv import cv2
from firmware_py.errors import SourceLost, SourceOpenError
from firmware_py.sources.base import Frame, FrameSource

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}


def _to_rgb(bgr: np.ndarray) -> np.ndarray:
    if bgr.ndim == 2:
        return cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
    if bgr.shape[2] == 4:
        return cv2.cvtColor(bgr, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _check_path(path: Path, what: str) -> None:
    if not path.exists():
        raise SourceOpenError(f"{what} {str(path)!r} does not exist: check the path")
    if path.is_dir():  # a FIFO is fine: a stream piped in (YUV4MPEG2, MJPEG)
        raise SourceOpenError(f"{what} {str(path)!r} is a directory, not a file")


class StillImage(FrameSource):
    """One image, as a single frame; with ``loop``, the same image over and over at
    ``LOOP_FPS``, as a camera filming a photo would (a set-up check, a demo)."""

    LOOP_FPS = 30.0

    def __init__(self, path: str | Path, *, loop: bool = False):
        self.path = Path(path)
        self.name = str(self.path)
        self.loop = loop
        self.fps = self.LOOP_FPS
        self._rgb: np.ndarray | None = None
        self._done = False
        self._index = 0
        self._start_ns: int | None = None

    def open(self) -> "StillImage":
        _check_path(self.path, "image")
        bgr = cv2.imread(str(self.path), cv2.IMREAD_UNCHANGED)
        if bgr is None:
            raise SourceOpenError(f"image {str(self.path)!r} could not be decoded: is it a PNG/JPEG/BMP/WebP file?")
        if bgr.dtype != np.uint8:  # 16-bit PNGs
            bgr = (bgr / 257).astype(np.uint8)
        self._rgb = _to_rgb(bgr)
        self._done = False
        return self

    def read(self) -> Frame | None:
        if self._rgb is None:
            raise SourceLost(f"image {self.name!r} is not open")
        if self.loop:  # paced like a camera, frame numbers and times running on
            if self._start_ns is None:
                self._start_ns = time.monotonic_ns()
            pts = self._index / self.fps
            wait = self._start_ns + int(pts * 1e9) - time.monotonic_ns()
            if wait > 0:
                time.sleep(wait / 1e9)
            self._index += 1
            return Frame(self._index - 1, time.monotonic_ns(), self._rgb, pts)
        if self._done:
            return None
        self._done = True
        return Frame(0, time.monotonic_ns(), self._rgb, 0.0)


class _CaptureSource(FrameSource):
    """A source reading through one cv2.VideoCapture, released on close."""

    _cap: "cv2.VideoCapture | None" = None

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class VideoFile(_CaptureSource):
    """A recorded clip, decoded frame by frame; ``loop`` replays it forever, frame
    numbers and times running on (demos, soak tests, console tests)."""

    def __init__(self, path: str | Path, *, realtime: bool = False, loop: bool = False):
        self.path = Path(path)
        self.name = str(self.path)
        self.realtime = realtime
        self.loop = loop

    def open(self) -> "VideoFile":
        _check_path(self.path, "video")
        cap = cv2.VideoCapture(str(self.path))
        ok, first = cap.read() if cap.isOpened() else (False, None)
        if not ok:
            cap.release()
            raise SourceOpenError(
                f"video {str(self.path)!r} could not be decoded by OpenCV: is it a video file "
                f"(MP4, MOV, MPEG-TS, AVI, GIF)? `ffprobe {self.path}` tells what it holds"
            )
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps and 1.0 <= fps <= 1000.0 else 30.0
        # (a pipe is read once: probing it would eat the stream)
        self.expected_frames = container_frames(self.path) if self.path.is_file() else None
        self._cap = cap
        self._pending = first
        self._index = 0
        self._start_ns: int | None = None
        return self

    def read(self) -> Frame | None:
        if self._cap is None:
            raise SourceLost(f"video {self.name!r} is not open")
        if self._pending is not None:
            bgr, self._pending = self._pending, None
        else:
            ok, bgr = self._cap.read()
            if not ok and self.loop and self._index > 0:
                # Reopen rather than seek: seeking to frame 0 lands on a later keyframe in some MP4s.
                self._cap.release()
                self._cap = cv2.VideoCapture(str(self.path))
                ok, bgr = self._cap.read()
            if not ok:
                return None
        pts = self._index / self.fps
        if self.realtime:
            if self._start_ns is None:
                self._start_ns = time.monotonic_ns()
            wait = self._start_ns + int(pts * 1e9) - time.monotonic_ns()
            if wait > 0:
                time.sleep(wait / 1e9)
        frame = Frame(self._index, time.monotonic_ns(), _to_rgb(bgr), pts)
        self._index += 1
        return frame

    @property
    def frames_read(self) -> int:
        return self._index


def container_frames(path: Path) -> int | None:
    """How many frames the container's header says the video holds (MP4, MOV, GIF),
    or None when it does not say (an MPEG-TS stream has no header to say it; OpenCV's
    CAP_PROP_FRAME_COUNT is then an estimate from the bitrate, 276 for 227 frames on a
    shared clip).  Read with PyAV, which reads the header alone."""
    try:
        import av

        with av.open(str(path)) as container:
            frames = container.streams.video[0].frames if container.streams.video else 0
    except Exception:  # noqa: BLE001 - no count is the answer for anything PyAV cannot read
        return None
    return int(frames) if frames and frames > 0 else None


class Webcam(_CaptureSource):
    """A USB (UVC) camera by index: ``webcam:0``."""

    live = True

    def __init__(self, index: int, *, size: tuple[int, int] | None = (1280, 720)):
        self.index = index
        self.size = size
        self.name = f"webcam:{index}"

    def open(self) -> "Webcam":
        cap = cv2.VideoCapture(self.index)
        if not cap.isOpened():
            cap.release()
            raise SourceOpenError(
                f"{self.name}: no camera at /dev/video{self.index} (is it plugged in? "
                f"`v4l2-ctl --list-devices` lists cameras; the user needs the 'video' group)"
            )
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # keep the driver from queueing stale frames
        if self.size:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps and fps > 0 else None
        self._cap = cap
        self._index = 0
        self._t0: int | None = None
        return self

    def read(self) -> Frame | None:
        if self._cap is None or not self._cap.grab():
            raise SourceLost(f"{self.name} stopped delivering frames (unplugged?)")
        t_ns = time.monotonic_ns()  # UVC gives no usable sensor timestamp: take it at grab
        ok, bgr = self._cap.retrieve()
        if not ok:
            raise SourceLost(f"{self.name} delivered a frame that could not be decoded")
        if self._t0 is None:
            self._t0 = t_ns
        frame = Frame(self._index, t_ns, _to_rgb(bgr), (t_ns - self._t0) / 1e9)
        self._index += 1
        return frame
