"""The keypoint contract every module shares.

A pose is a float array of shape (17, 3): one row per COCO keypoint in MoveNet's
order, columns ``x, y, score``.  x grows to the right and y grows down, both in
source-frame pixels.  Names are the *subject's* sides: in a frontal view the
subject's right leg appears on the image's left.  See docs/judgement.md, "Metrics".
"""

from __future__ import annotations

import numpy as np

NAMES: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
INDEX: dict[str, int] = {name: i for i, name in enumerate(NAMES)}
COUNT = len(NAMES)

NOSE = 0
L_SHOULDER, R_SHOULDER = 5, 6
L_ELBOW, R_ELBOW = 7, 8
L_WRIST, R_WRIST = 9, 10
L_HIP, R_HIP = 11, 12
L_KNEE, R_KNEE = 13, 14
L_ANKLE, R_ANKLE = 15, 16

# Each side's leg chain, and the hip on the other side (which says where "medial" is).
LEG = {
    "left": (L_HIP, L_KNEE, L_ANKLE),
    "right": (R_HIP, R_KNEE, R_ANKLE),
}
OTHER_HIP = {"left": R_HIP, "right": L_HIP}
SIDES = ("left", "right")

# Left/right swap of the COCO order, for mirroring a pose.
MIRROR_ORDER: tuple[int, ...] = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)

# Bones drawn for a skeleton (pairs of indices).
BONES: tuple[tuple[int, int], ...] = (
    (L_SHOULDER, R_SHOULDER),
    (L_SHOULDER, L_ELBOW),
    (L_ELBOW, L_WRIST),
    (R_SHOULDER, R_ELBOW),
    (R_ELBOW, R_WRIST),
    (L_SHOULDER, L_HIP),
    (R_SHOULDER, R_HIP),
    (L_HIP, R_HIP),
    (L_HIP, L_KNEE),
    (L_KNEE, L_ANKLE),
    (R_HIP, R_KNEE),
    (R_KNEE, R_ANKLE),
)


def flat(pose: np.ndarray) -> list[float]:
    """``pose`` as 51 plain floats (x0, y0, s0, x1, ...): what the per-frame core
    works on, since numpy's per-call overhead on 17 points costs more than the
    arithmetic (docs/performance.md).  Raises ValueError unless the shape is (17, 3)."""
    p = np.asarray(pose, dtype=np.float64)
    if p.shape != (COUNT, 3):
        raise ValueError(f"pose must have shape (17, 3), got {p.shape}")
    return p.ravel().tolist()


def empty_pose() -> np.ndarray:
    """A pose with every keypoint at the origin and score 0 (nothing seen)."""
    return np.zeros((COUNT, 3), dtype=np.float64)


def mirror(pose: np.ndarray, width: float) -> np.ndarray:
    """The pose a mirror-image athlete would show: x flipped, labels swapped.

    This is what the model reports on a horizontally flipped image (the leg that
    now looks like a left leg is labelled left), so every left metric of the
    result equals the right metric of the original and vice versa.
    """
    out = pose[list(MIRROR_ORDER)].copy()
    out[:, 0] = (width - 1) - out[:, 0]
    return out
