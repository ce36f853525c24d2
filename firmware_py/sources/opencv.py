"""Video files, still images and USB webcams, through OpenCV (and PyAV for large video frames).

OpenCV decodes to BGR; frames leave here as RGB.  A video file can be replayed as
fast as it decodes, or paced at its own frame rate (``realtime``) so that it behaves
like a camera.  ``CAP_PROP_FRAME_COUNT`` lies on MPEG-TS files, so frames are
counted by reading, and checked against the count a container's header holds
(``expected_frames``): a decoder ends a file that stops early, or a frame it cannot
decode, as if the clip were over.  Large frames are decoded by PyAV (``VideoFile``).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from firmware_py.errors import SourceLost, SourceOpenError
from firmware_py.sources.base import Frame, FrameSource, pace
from firmware_py.sources.pipe import Pipe, is_pipe
from firmware_py.sources.rotation import turned
from firmware_py.system.cv import cv2

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
MAX_IMAGE_PIXELS = 50_000_000  # a 48 MP phone photo; decoded as RGB it is 150 MB


def _to_rgb(bgr: np.ndarray) -> np.ndarray:
    if bgr.ndim == 2:
        return cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
    if bgr.shape[2] == 4:
        return cv2.cvtColor(bgr, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _check_path(path: Path, what: str) -> None:
    if not path.exists():
        raise SourceOpenError(f"{what} {str(path)!r} does not exist: check the path")
    if path.is_dir():  # a FIFO is fine for a video: a stream piped in (sources.pipe)
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
        if is_pipe(self.path):  # its size is read before it is decoded: a pipe cannot be read twice
            raise SourceOpenError(f"image {str(self.path)!r} is a pipe: save the photo to a file first")
        _check_image_size(self.path)
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


_PILLOW_LIMIT = threading.Lock()


def _check_image_size(path: Path) -> None:
    """Refuse an image of more than MAX_IMAGE_PIXELS from its header alone (Pillow reads
    only that), before OpenCV decodes it: 876 KB of PNG can hold 30000x30000 pixels,
    2.7 GB decoded.  A file Pillow cannot read is left to OpenCV's own refusal."""
    from PIL import Image

    with _PILLOW_LIMIT:  # Pillow's own, looser limit (179 MP) would refuse without the size: ours says it
        limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with Image.open(path) as image:
                width, height = image.size
        except (OSError, ValueError):  # not an image Pillow knows
            return
        finally:
            Image.MAX_IMAGE_PIXELS = limit
    if width * height > MAX_IMAGE_PIXELS:
        raise SourceOpenError(f"image {str(path)!r} is {width}x{height} ({width * height / 1e6:.0f} MP), more than "
                              f"the {MAX_IMAGE_PIXELS / 1e6:g} MP KneeCue decodes: scale it down first")


class _CaptureSource(FrameSource):
    """A source reading through one cv2.VideoCapture, released on close."""

    _cap: "cv2.VideoCapture | None" = None

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class VideoFile(FrameSource):
    """A recorded clip, decoded frame by frame; ``loop`` replays it forever, frame
    numbers and times running on (demos, soak tests, console tests).

    Decoded by OpenCV, or by PyAV for frames of ``FAST_DECODE_PIXELS`` or more
    (``decoder="auto"``): on this machine PyAV's threaded decoder takes 6-10 ms for a
    1080x1920 phone clip's frame where OpenCV's FFmpeg takes 42-60 ms, and within a
    millisecond of OpenCV (a little slower) on the smaller shared clips
    (``tests/benchmarks/decode.py`` prints both for every clip).
    """

    FAST_DECODE_PIXELS = 2_000_000

    def __init__(self, path: str | Path, *, realtime: bool = False, loop: bool = False, decoder: str = "auto"):
        self.path = Path(path)
        self.name = str(self.path)
        self.realtime = realtime
        self.loop = loop
        self.decoder = decoder
        self._dec: _OpenCVDecoder | _PyAVDecoder | None = None
        self._pipe: Pipe | None = None  # a FIFO (sources.pipe): waited for and decoded at the first read

    def open(self) -> "VideoFile":
        _check_path(self.path, "video")
        if is_pipe(self.path):
            return self._open_pipe()
        probe = _probe(self.path) if self.path.is_file() else None
        self.expected_frames = None if probe is None else probe[0]
        use_av = self.decoder == "pyav" or (
            self.decoder == "auto" and probe is not None and probe[1] >= self.FAST_DECODE_PIXELS)
        dec = _PyAVDecoder(self.path) if use_av else _OpenCVDecoder(self.path)
        first = dec.read()
        if first is None:
            dec.close()
            raise SourceOpenError(
                f"video {str(self.path)!r} could not be decoded by {dec.name}: is it a video file "
                f"(MP4, MOV, MPEG-TS, AVI, GIF)? `ffprobe {self.path}` tells what it holds"
            )
        self.fps = dec.fps if dec.fps and 1.0 <= dec.fps <= 1000.0 else 30.0
        self.decoded_by = dec.name
        self._dec = dec
        self._pending: np.ndarray | None = first
        self._index = 0
        self._start_ns: int | None = None
        return self

    def _open_pipe(self) -> "VideoFile":
        """A pipe is read once, from its first byte, by the decoder: nothing is read
        here, and the first ``read`` waits for the writer (``sources.pipe``)."""
        if self.loop:
            raise SourceOpenError(f"video {str(self.path)!r} is a pipe, read once: --loop needs a file")
        self._pipe = self._pipe or Pipe(self.path)
        if self._pipe.used:
            raise SourceOpenError(f"video {str(self.path)!r} is a pipe and was read already: a pipe is read once")
        self.expected_frames, self.fps, self.decoded_by = None, 30.0, _OpenCVDecoder.name
        self._pending, self._index, self._start_ns = None, 0, None
        return self

    def _start_pipe(self) -> None:
        dec = _OpenCVDecoder(self._pipe.wait())
        first = dec.read()
        if first is None:
            dec.close()
            self._pipe.close()
            raise SourceOpenError(f"video {str(self.path)!r} could not be decoded from the pipe: it needs a "
                                  f"stream format (MPEG-TS, YUV4MPEG2, MJPEG, or an MP4 written with its index "
                                  f"first, `-movflags +faststart`)")
        self.fps = dec.fps if dec.fps and 1.0 <= dec.fps <= 1000.0 else 30.0
        self._dec, self._pending = dec, first

    def read(self) -> Frame | None:
        if self._dec is None and self._pipe is not None and not self._pipe.used:
            self._start_pipe()
        if self._dec is None:
            raise SourceLost(f"video {self.name!r} is not open")
        if self._pending is not None:
            rgb, self._pending = self._pending, None
        else:
            rgb = self._dec.read()
            if rgb is None and self.loop and self._index > 0:
                # Reopen rather than seek: seeking to frame 0 lands on a later keyframe in some MP4s.
                self._dec.close()
                self._dec = type(self._dec)(self.path)
                rgb = self._dec.read()
            if rgb is None:
                return None
        pts = self._index / self.fps
        if self.realtime:
            self._start_ns = pace(self._start_ns, pts)
        frame = Frame(self._index, time.monotonic_ns(), rgb, pts)
        self._index += 1
        return frame

    def close(self) -> None:
        if self._dec is not None:
            self._dec.close()
            self._dec = None
        if self._pipe is not None:
            self._pipe.close()

    @property
    def frames_read(self) -> int:
        return self._index


class _OpenCVDecoder:
    name = "OpenCV"

    def __init__(self, path: Path | str) -> None:  # a file, or a pipe's ``pipe:N``
        self._cap = cv2.VideoCapture(str(path))
        fps = self._cap.get(cv2.CAP_PROP_FPS) if self._cap.isOpened() else 0.0
        self.fps = fps or None

    def read(self) -> np.ndarray | None:
        ok, bgr = self._cap.read() if self._cap.isOpened() else (False, None)
        return _to_rgb(bgr) if ok else None

    def close(self) -> None:
        self._cap.release()


class _PyAVDecoder:
    name = "PyAV"

    def __init__(self, path: Path) -> None:
        import av

        self._av = av
        self._container = av.open(str(path))
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"  # frame and slice threads: the speed-up over OpenCV
        self.fps = float(stream.average_rate) if stream.average_rate else None
        self._frames = self._container.decode(stream)

    def read(self) -> np.ndarray | None:
        """The next frame upright: turned as the container's display matrix says (a phone
        stores a portrait clip landscape and says so there), as OpenCV does by itself."""
        try:
            frame = next(self._frames)
        except (StopIteration, self._av.error.FFmpegError):  # the end, or a frame past repair: the end
            return None
        return turned(frame.to_ndarray(format="rgb24"), -frame.rotation)  # rotation: counter-clockwise

    def close(self) -> None:
        self._container.close()


def _probe(path: Path) -> tuple[int | None, int] | None:
    """(frames the container's header says the video holds, or None; pixels a frame),
    read with PyAV from the header alone; None when PyAV cannot read it.  MP4, MOV and
    GIF hold a count; an MPEG-TS stream has no header to hold one (OpenCV's
    CAP_PROP_FRAME_COUNT is then an estimate from the bitrate: 276 for 227 frames on
    a shared clip)."""
    try:
        import av

        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            frames, pixels = stream.frames, stream.codec_context.width * stream.codec_context.height
    except Exception:  # noqa: BLE001 - anything PyAV cannot read is left to OpenCV
        return None
    return (int(frames) if frames and frames > 0 else None), int(pixels)


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
