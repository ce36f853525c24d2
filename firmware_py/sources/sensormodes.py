"""Which of the camera sensor's modes to ask for, and what field of view it gives.

Asked only for an output size, libcamera's Raspberry Pi pipeline picks the sensor
mode whose size best matches it (``pipeline_base.cpp``): for 1280x720 on a Camera
Module 3 (IMX708) that is 1536x864, a 2x2-binned *centre crop* of two thirds of the
sensor, so the picture loses a third of its width and height (rpicam-apps #515, #630).
At the mounting distances in ``hardware/`` an athlete is then cut off.  So the camera
asks for a mode by what the device needs: the frame rate first, then the widest field
of view, then the smallest readout (less bandwidth, less heat).  A mode's field of view
is its ``crop_limits`` (x, y, width, height in the sensor's full-resolution pixels)
against the whole pixel array.

Pure: picamera2's ``sensor_modes`` dictionaries in, a choice and its words out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

# The lens's full field of view, horizontal x vertical degrees, by libcamera's sensor
# model name (Raspberry Pi camera documentation, "Hardware specification").  The HQ
# camera (imx477) and the global shutter camera take a lens of the user's choice.
LENS_FOV = {
    "imx708": (66.0, 41.0),  # Camera Module 3
    "imx708_wide": (102.0, 67.0),  # Camera Module 3 Wide
    "imx708_noir": (66.0, 41.0),
    "imx708_wide_noir": (102.0, 67.0),
    "imx219": (62.2, 48.8),  # Camera Module 2
    "ov5647": (53.5, 41.4),  # Camera Module 1
}


@dataclass(frozen=True)
class SensorMode:
    size: tuple[int, int]  # what the sensor reads out
    fps: float  # its highest frame rate
    crop: tuple[int, int, int, int]  # x, y, width, height of the sensor area it covers
    bit_depth: int = 10

    @classmethod
    def from_picamera2(cls, mode: Mapping[str, Any]) -> "SensorMode":
        x, y, w, h = (int(v) for v in mode["crop_limits"])
        width, height = (int(v) for v in mode["size"])
        return cls((width, height), float(mode["fps"]), (x, y, w, h), int(mode.get("bit_depth", 10)))

    def field(self, full: tuple[int, int]) -> tuple[float, float]:
        """The share of the sensor's width and height this mode sees."""
        return self.crop[2] / full[0], self.crop[3] / full[1]


def full_array(modes: Iterable[SensorMode]) -> tuple[int, int]:
    """The sensor's whole pixel array: the largest area any mode covers."""
    modes = list(modes)
    return max(m.crop[2] for m in modes), max(m.crop[3] for m in modes)


def choose(modes: Iterable[SensorMode], fps: float) -> SensorMode:
    """The mode that reaches ``fps`` with the widest field of view, then the smallest
    readout; if none reaches ``fps``, the fastest (the frame rate is what cues need)."""
    modes = list(modes)
    if not modes:
        raise ValueError("the camera lists no sensor modes")
    full = full_array(modes)
    fast = [m for m in modes if m.fps >= fps - 0.5]  # 56.03 and 29.97 count as 56 and 30
    if not fast:
        return max(modes, key=lambda m: (m.fps, _area(m.field(full))))
    return max(fast, key=lambda m: (round(_area(m.field(full)), 3), -m.size[0] * m.size[1]))


def faster(modes: Iterable[SensorMode], current: SensorMode, fps: float) -> SensorMode:
    """The mode for ``fps`` in mid-session: ``choose``'s, unless it sees less than
    ``current`` (a cropped mode, as the Camera Module 2's only 120 fps one), which would
    change the athlete's size in the picture under the scorer's feet: then ``current``
    (its own top rate is what the camera gets)."""
    modes = list(modes)
    full = full_array(modes)
    mode = choose(modes, fps)
    return mode if _area(mode.field(full)) >= _area(current.field(full)) - 1e-3 else current


def main_size(mode: SensorMode, width: int = 1280) -> tuple[int, int]:
    """The output stream's size: ``width`` pixels wide with the mode's aspect ratio
    (no further crop by the ISP), height even."""
    w, h = mode.size
    width = min(width, w)
    return width, max(2, round(width * h / w / 2) * 2)


def describe(mode: SensorMode, full: tuple[int, int], model: str = "") -> str:
    """E.g. 'imx708 2304x1296 (up to 56 fps), full field of view, 66x41 deg'."""
    fw, fh = mode.field(full)
    if fw > 0.99 and fh > 0.99:
        field = "full field of view"
    else:
        field = f"centre crop: {fw:.0%} of the width, {fh:.0%} of the height"
    lens = LENS_FOV.get(model)
    degrees = f", {_angle(lens[0], fw):.0f}x{_angle(lens[1], fh):.0f} deg" if lens else ""
    name = f"{model} " if model else ""
    return f"{name}{mode.size[0]}x{mode.size[1]} (up to {mode.fps:.0f} fps), {field}{degrees}"


def _angle(full_deg: float, share: float) -> float:
    """The angle a centred share of a rectilinear lens's field spans."""
    return math.degrees(2 * math.atan(share * math.tan(math.radians(full_deg) / 2)))


def _area(field: tuple[float, float]) -> float:
    return field[0] * field[1]
