"""Replay clips of failed reps: frames kept small, the skeleton and numbers drawn on,
written as MP4, and the disk kept under a quota.

On the device, OpenCV writes MPEG-4 Part 2 (``mp4v``): every OpenCV build has it,
it takes half a millisecond a frame, and OpenCV lets go of Python's lock while it
works, so the frame loop never waits for it.  (PyAV's H.264 holds the lock for
milliseconds at a time, stalling the loop; OpenCV's pip wheels have no H.264
encoder; VP9 takes seconds per clip.)  VLC and desktop players open mp4v, browsers
do not, so the report makes an H.264 copy of each clip (``browser_copy``, PyAV,
whose wheels bundle libx264) in its own process, after the fact.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from firmware_py.core import keypoints as kp
from firmware_py.core.defaults import MIN_SCORE
from firmware_py.records.sessionfile import CLIPS
from firmware_py.system.cv import cv2

CLIP_SIDE = 480  # longest side of a stored frame, pixels (a smaller source is kept as it is)
PRE_S = 0.5  # lead-in before the rep starts
CLIP_FPS = 15.0  # enough to see a knee go in; every second frame of a 25-30 fps camera halves the cost
LANDING_SLOW = 4.0  # a failed landing's replay plays this many times slower: contact to peak is 0.1-0.3 s
MIN_FREE_BYTES = 32 << 20  # leave this much of the disk free: clips are the first thing to go
FOURCC = "mp4v"
TEMP_SUFFIX = ".tmp.mp4"  # a clip (or its browser copy) being written: ``.rep-003.tmp.mp4``
STALE_COPY_S = 60.0  # a report's browser copy under way is younger than this
_BONE = (90, 220, 255)  # RGB
_LEG_COLOR = {(kp.L_HIP, kp.L_KNEE): (255, 170, 40), (kp.L_KNEE, kp.L_ANKLE): (255, 170, 40),
              (kp.R_HIP, kp.R_KNEE): (60, 200, 90), (kp.R_KNEE, kp.R_ANKLE): (60, 200, 90)}
_RED, _WHITE, _BLACK = (255, 60, 60), (255, 255, 255), (0, 0, 0)


@dataclass(frozen=True)
class Overlay:
    """What is drawn on one frame: the pose (source pixels) and the numbers."""

    index: int
    t: float
    pose: np.ndarray
    fppa_left: float | None
    fppa_right: float | None
    pelvic_drop: float | None
    level: str
    feet: np.ndarray | None = None  # (4, 2) source pixels: heel L, heel R, toe L, toe R


def downscale(rgb: np.ndarray, side: int = CLIP_SIDE) -> np.ndarray:
    """The frame with its longest side ``side`` (even sizes, as encoders like)."""
    h, w = rgb.shape[:2]
    scale = min(1.0, side / max(h, w))
    size = (max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR)  # INTER_AREA costs 8x as much


def stride(kept: Sequence[Any]) -> int:
    """Keep every n-th frame so a clip runs at about CLIP_FPS (frames with ``.t``)."""
    if len(kept) < 2 or kept[-1].t <= kept[0].t:
        return 1
    fps = (len(kept) - 1) / (kept[-1].t - kept[0].t)
    return max(1, round(fps / CLIP_FPS))


def _text(img: np.ndarray, text: str, org: tuple[int, int], color=_WHITE, scale: float = 0.4) -> None:
    """Text on a dark band (an outline would not line up: Hershey glyphs widen with thickness)."""
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    x, y = org
    cv2.rectangle(img, (x - 2, y - h - 3), (x + w + 2, y + base), _BLACK, -1)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)


def _deg(value: float | None) -> str:
    return "-" if value is None else f"{value:+.0f}"


def draw(small: np.ndarray, source_size: tuple[int, int], overlay: Overlay | None, title: str,
         reason: str, min_score: float = MIN_SCORE) -> np.ndarray:
    """One clip frame (RGB): skeleton (and feet, when read), FPPA and pelvic drop of
    this frame, the rep's verdict."""
    img = small.copy()
    h, w = img.shape[:2]
    if overlay is not None:
        pose = overlay.pose
        sx, sy = w / source_size[0], h / source_size[1]
        pts = [(int(round(x * sx)), int(round(y * sy))) for x, y, _ in pose]
        seen = pose[:, 2] >= min_score
        for a, b in kp.BONES:
            if seen[a] and seen[b]:
                cv2.line(img, pts[a], pts[b], _LEG_COLOR.get((a, b), _BONE), 2, cv2.LINE_AA)
        for i in np.flatnonzero(seen):
            cv2.circle(img, pts[i], 2, _WHITE, -1, cv2.LINE_AA)
        if overlay.feet is not None:  # each foot: ankle -> heel -> toe, in its leg's colour
            f = [(int(round(x * sx)), int(round(y * sy))) for x, y in overlay.feet]
            for side, ankle in ((0, kp.L_ANKLE), (1, kp.R_ANKLE)):
                color = _LEG_COLOR[(kp.L_KNEE, kp.L_ANKLE) if side == 0 else (kp.R_KNEE, kp.R_ANKLE)]
                if seen[ankle]:
                    cv2.line(img, pts[ankle], f[side], color, 1, cv2.LINE_AA)
                cv2.line(img, f[side], f[2 + side], color, 2, cv2.LINE_AA)
                cv2.circle(img, f[2 + side], 2, _WHITE, -1, cv2.LINE_AA)
    # All text at the top, wrapped to the width: a portrait clip is narrow, and a
    # browser's video controls cover the bottom.
    y = 14
    for line in _wrap(title, w - 8):
        _text(img, line, (4, y))
        y += 16
    for line in _wrap(reason, w - 8):
        _text(img, line, (4, y), _RED)
        y += 16
    if overlay is not None:
        color = _RED if overlay.level == "alert" else _WHITE
        for line in _wrap(f"FPPA L {_deg(overlay.fppa_left)} R {_deg(overlay.fppa_right)} deg   "
                          f"pelvic drop {_deg(overlay.pelvic_drop)} deg   t {overlay.t:.2f} s", w - 8):
            _text(img, line, (4, y), color)
            y += 16
    return img


def _wrap(text: str, width: int, scale: float = 0.4) -> list[str]:
    """``text`` in lines no wider than ``width`` pixels (words kept whole)."""
    lines: list[str] = []
    for word in text.split():
        if lines and cv2.getTextSize(lines[-1] + " " + word, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0] <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def replay(path: Path, kept: Sequence[Any], overlays: Iterable[Overlay], title: str, reason: str, *,
           slow: float = 1.0) -> dict[str, Any]:
    """A failed rep's (or landing's) replay: its ring frames (``ring.Kept``) at about
    CLIP_FPS, each drawn with its overlay, written to ``path`` to play ``slow`` times
    slower than it happened (every kept frame, then); what the session's clip line records."""
    by_index = {o.index: o for o in overlays}
    kept = kept[::stride(kept)] if slow == 1.0 else list(kept)
    if slow != 1.0:
        title = f"{title}  (x{slow:g} slower)"
    frames = (draw(k.small, k.source_size, by_index.get(k.index), title, reason) for k in kept)
    span = kept[-1].t - kept[0].t
    fps = (len(kept) - 1) / span if span > 0 else CLIP_FPS
    played = min(60.0, max(1.0, fps / slow))
    size = write_clip(path, frames, played)
    return {"frames": len(kept), "first_frame": kept[0].index, "last_frame": kept[-1].index,
            "fps": round(fps, 3), "slow": round(fps / played, 2), "bytes": size}  # slow: as played (clamped)


def write_clip(path: Path, frames: Iterable[np.ndarray], fps: float) -> int:
    """Write RGB frames as an MP4 (to a temp name, renamed when whole); returns the size.
    ``frames`` may be a generator: each is encoded as it comes, so a clip never holds
    all its drawn frames at once (60 of them are 10 MB).  OpenCV's writer reports no
    error when the disk fills, so the clip is read back before it is renamed into
    place: every frame must decode, else it is removed and OSError says so."""
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise ValueError("no frames to write")
    h, w = first.shape[:2]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}{TEMP_SUFFIX}")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*FOURCC), float(fps), (w, h))
    written = 0
    try:
        if not writer.isOpened():
            raise OSError(f"cannot write {tmp} (OpenCV has no {FOURCC} encoder, or the folder is not writable)")
        writer.write(cv2.cvtColor(first, cv2.COLOR_RGB2BGR))
        written = 1
        del first  # each frame goes once it is encoded
        for frame in frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
            written += 1
    except BaseException:
        writer.release()
        tmp.unlink(missing_ok=True)
        raise
    writer.release()
    try:
        size = tmp.stat().st_size
        readable = count_frames(tmp)
        if readable != written:
            raise OSError(f"{path.name} came out unreadable: {readable} of {written} frames read back "
                          f"({size} bytes; disk full?)")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return size


def count_frames(path: Path) -> int:
    """The frames a clip gives when read to its end (decoded: a header can promise more)."""
    cap = cv2.VideoCapture(str(path))
    try:
        count = 0
        while cap.grab():
            count += 1
        return count
    finally:
        cap.release()


def remove_temp_clips(folders: Iterable[Path], now: float | None = None) -> list[Path]:
    """Delete the temp clips a power cut or a kill left in these session folders: the
    device's own (only its clip thread writes them, and it has not started yet), and
    browser copies older than STALE_COPY_S (a younger one may be a report at work)."""
    now = time.time() if now is None else now
    removed = []
    for folder in folders:
        for tmp in (folder / CLIPS).glob(f".*{TEMP_SUFFIX}"):
            try:
                if tmp.name.endswith(".web" + TEMP_SUFFIX) and now - tmp.stat().st_mtime <= STALE_COPY_S:
                    continue
                tmp.unlink()
                removed.append(tmp)
            except OSError:  # gone already, or not ours to remove
                continue
    return removed


def browser_copy(src: Path, dest: Path) -> bool:
    """An H.264 copy of a clip that browsers play (yuv420p, fast start); False without
    PyAV.  Written to a temp name and renamed; an existing newer copy is kept."""
    try:
        import av
    except ImportError:
        return False
    if dest.exists() and dest.stat().st_mtime >= src.stat().st_mtime:
        return True
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.stem}{TEMP_SUFFIX}")
    try:
        with av.open(str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
            stream = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
            stream.width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
            stream.height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            stream.pix_fmt = "yuv420p"
            stream.options = {"preset": "veryfast", "crf": "23"}
            while True:
                ok, bgr = cap.read()
                if not ok:
                    break
                out.mux(stream.encode(av.VideoFrame.from_ndarray(bgr, format="bgr24")))
            out.mux(stream.encode())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        cap.release()
    return True


def has_room(folder: Path, needed: int = MIN_FREE_BYTES) -> bool:
    try:
        return shutil.disk_usage(folder).free >= needed
    except OSError:
        return False


def enforce_quota(root: Path, quota_bytes: int) -> list[Path]:
    """Delete the oldest clips under ``root`` until they fit in ``quota_bytes``."""
    clips = []
    for path in root.glob("*/clips/*.mp4"):
        try:
            st = path.stat()
        except OSError:
            continue
        clips.append((st.st_mtime, path.name, st.st_size, path))
    clips.sort()
    total = sum(size for _, _, size, _ in clips)
    removed = []
    for _, _, size, path in clips:
        if total <= quota_bytes:
            break
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        removed.append(path)
    return removed
