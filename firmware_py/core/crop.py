"""Where the model looks next: a square crop that follows the athlete.

MoveNet sees a 192×192 (Lightning) or 256×256 (Thunder) square.  Squeezing a whole
720p frame into it leaves a raised ankle a few input pixels wide; cropping the next
frame to a square around the person found in this one gives the legs most of the
input (measured here: ~56 px ankle error without it, ~4 px with it; docs/sources.md).  The rule is
MoveNet's own published one: a square centred on the hips, half-side the larger of
1.9 × the torso's extent and 1.2 × the body's, back to the padded full frame when
the torso is lost or the square would outgrow the frame.  As in MoveNet's own
tracker (tfjs-models pose-detection, ``CROP_FILTER_ALPHA``), the square's edges
follow that target through a light low-pass filter (0.9 of the new edge, 0.1 of
the old): the int8 model's keypoints shift by pixels when its input moves by a
fraction of one, and a crop that twitches with every keypoint twitch turns that
into a knee angle that jumps by several degrees from frame to frame.  The filter
steadies the crop, not the keypoints, so it adds no lag to what is measured.

Coordinates are continuous source pixels with pixel i spanning [i, i+1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from firmware_py.core.keypoints import L_HIP, L_SHOULDER, R_HIP, R_SHOULDER

MIN_CROP_SCORE = 0.2
CROP_FILTER_ALPHA = 0.9  # weight of the new edge (tfjs-models' MoveNet constant)
TORSO = np.array([L_SHOULDER, R_SHOULDER, L_HIP, R_HIP])


@dataclass(frozen=True)
class Square:
    """A square region of the source frame: top-left corner and side, in pixels."""

    x0: float
    y0: float
    size: float

    def affine(self, out_size: int) -> np.ndarray:
        """2×3 map from output pixel (u, v) to source pixel, for cv2.WARP_INVERSE_MAP."""
        s = self.size / out_size
        return np.array(
            [[s, 0.0, self.x0 + 0.5 * s - 0.5], [0.0, s, self.y0 + 0.5 * s - 0.5]],
            dtype=np.float64,
        )


def full_frame(width: int, height: int) -> Square:
    """The whole frame, centred and padded to a square (the region before any person is found).

    The padding is whole pixels, as an ordinary pad-then-resize would do: the int8
    model's keypoints move by several pixels for a half-pixel shift of its input.
    """
    side = max(width, height)
    return Square(float(-((side - width) // 2)), float(-((side - height) // 2)), float(side))


def torso_visible(pose: np.ndarray, min_score: float = MIN_CROP_SCORE) -> bool:
    scores = pose[:, 2]
    return bool(
        (scores[L_HIP] > min_score or scores[R_HIP] > min_score)
        and (scores[L_SHOULDER] > min_score or scores[R_SHOULDER] > min_score)
    )


def next_crop(pose: np.ndarray, width: int, height: int, min_score: float = MIN_CROP_SCORE) -> Square:
    """The square to feed the model on the next frame, given this frame's pose (x, y, score)."""
    if not torso_visible(pose, min_score):
        return full_frame(width, height)
    cx = (pose[L_HIP, 0] + pose[R_HIP, 0]) / 2.0
    cy = (pose[L_HIP, 1] + pose[R_HIP, 1]) / 2.0
    torso = pose[TORSO]
    torso_range = max(np.abs(torso[:, 0] - cx).max(), np.abs(torso[:, 1] - cy).max())
    seen = pose[pose[:, 2] > min_score]
    body_range = max(np.abs(seen[:, 0] - cx).max(), np.abs(seen[:, 1] - cy).max())
    half = max(torso_range * 1.9, body_range * 1.2)
    half = min(half, max(cx, width - cx, cy, height - cy))
    if half > max(width, height) / 2.0 or half <= 1.0:
        return full_frame(width, height)
    return Square(float(cx - half), float(cy - half), float(2.0 * half))


def follow_crop(previous: Square | None, target: Square, width: int, height: int,
                alpha: float = CROP_FILTER_ALPHA) -> Square:
    """``target`` seen through the crop's low-pass filter, given the crop in use.

    A crop coming from or going to the whole frame (a person found or lost) is
    taken as it is: there is nothing to steady across that jump.
    """
    whole = max(width, height)
    if previous is None or previous.size >= whole or target.size >= whole:
        return target
    keep = 1.0 - alpha
    x0 = alpha * target.x0 + keep * previous.x0
    y0 = alpha * target.y0 + keep * previous.y0
    x1 = alpha * (target.x0 + target.size) + keep * (previous.x0 + previous.size)
    y1 = alpha * (target.y0 + target.size) + keep * (previous.y0 + previous.size)
    size = max(x1 - x0, y1 - y0)
    return Square(0.5 * (x0 + x1 - size), 0.5 * (y0 + y1 - size), size)
