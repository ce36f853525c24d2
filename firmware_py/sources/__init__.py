"""Frame sources: Pi camera, USB webcam, video file or still image, chosen by a spec string."""

from __future__ import annotations

from pathlib import Path

from firmware_py.errors import SourceOpenError
from firmware_py.sources.base import Frame, FrameSource

__all__ = ["Frame", "FrameSource", "make_source"]


def make_source(spec: str, *, realtime: bool = False, loop: bool = False) -> FrameSource:
    """``picamera``, ``webcam:N``, ``synthetic:NAME`` (a scripted athlete, no model
    needed: ``fakes.synthetic``), a pose file (``.json``: ``sources.posefile``) or a path
    to a video or image (not opened yet)."""
    if spec.startswith("synthetic:"):
        from firmware_py.fakes.synthetic import SyntheticSource

        return SyntheticSource(spec.partition(":")[2], realtime=realtime, loop=loop)
    if spec == "picamera" or spec.startswith("picamera:"):
        from firmware_py.sources.picam import PiCamera

        num = spec.partition(":")[2]
        return PiCamera(camera_num=int(num) if num.isdigit() else 0)
    if spec.startswith("webcam:"):
        num = spec.partition(":")[2]
        if not num.isdigit():
            raise SourceOpenError(f"bad source {spec!r}: use webcam:N with N the camera index, e.g. webcam:0")
        from firmware_py.sources.opencv import Webcam

        return Webcam(int(num))
    from firmware_py.sources.opencv import IMAGE_SUFFIXES, StillImage, VideoFile
    from firmware_py.sources.posefile import PoseFile, is_pose_file

    if is_pose_file(spec):
        return PoseFile(spec, realtime=realtime)

    if Path(spec).suffix.lower() in IMAGE_SUFFIXES:
        return StillImage(spec, loop=loop)
    return VideoFile(spec, realtime=realtime, loop=loop)
