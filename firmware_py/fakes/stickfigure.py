"""A 3-D stick figure with known joint angles, and a pinhole camera to film it.

The figure lives in the subject's own frame, in metres: ``lat`` toward the
subject's left, ``up``, ``fwd`` the way the subject faces; the floor is up = 0.
Legs are posed by first pitching each segment in the sagittal plane (flexion) and
then rolling it in the frontal plane, so that an orthographic camera square in
front (or behind) sees the thigh at exactly ``valgus/2`` medial of vertical and the
shank at exactly ``valgus/2`` lateral: the frontal-plane projection angle is then
exactly ``valgus``, whatever the flexion.  A distant pinhole camera (weak
perspective) comes within a fraction of a degree of that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from firmware_py.core import keypoints as kp

UP = np.array([0.0, 1.0, 0.0])


@dataclass(frozen=True)
class Body:
    """Segment lengths of an adult, in metres."""

    hip_width: float = 0.26
    thigh: float = 0.43
    shin: float = 0.42
    torso: float = 0.52
    shoulder_width: float = 0.38
    neck: float = 0.22


def _roll(v: np.ndarray, angle_deg: float) -> np.ndarray:
    """Rotate ``v`` about the fwd axis: +angle turns up toward +lat."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    lat, up, fwd = v
    return np.array([lat * c + up * s, -lat * s + up * c, fwd])


def _segment(pitch_fwd_deg: float, roll_toward_lat_deg: float) -> np.ndarray:
    """Unit vector pointing down, pitched forward then rolled toward +lat."""
    p = math.radians(pitch_fwd_deg)
    d = np.array([0.0, -math.cos(p), math.sin(p)])
    # rolling "down" toward +lat: a rotation that moves -up toward +lat
    return _roll(d, -roll_toward_lat_deg)


def figure(
    *,
    stance: str = "both",
    valgus_left: float = 0.0,
    valgus_right: float = 0.0,
    flexion: float = 0.0,
    pelvic_drop: float = 0.0,
    trunk_lean: float = 0.0,
    trunk_flexion: float = 0.0,
    free_knee: float = 80.0,
    free_hip: float = 20.0,
    hands_on_hips: bool = True,
    arms_down: bool = False,
    hands_clasped: bool = False,
    stance_width: float = 0.0,
    body: Body = Body(),
) -> np.ndarray:
    """17 COCO keypoints (metres, subject frame) of a posed figure.

    ``valgus_*``: FPPA of each leg in degrees (+ knee medial).  ``flexion``: knee
    flexion of the stance leg(s), split evenly between thigh and shank pitch.
    ``stance``: "both", or "left"/"right" with the other foot lifted by bending its
    knee ``free_knee`` degrees (thigh forward ``free_hip``).  ``pelvic_drop``: the
    free side's hip lower by this angle (single-leg stance).  ``trunk_lean``: trunk
    tilted this many degrees toward the stance side (toward the left in "both").
    ``stance_width``: extra lateral angle (deg) each leg is abducted, for wide stances.
    ``hands_on_hips`` False holds the arms forward, or with ``arms_down`` lets
    them hang at the sides, or with ``hands_clasped`` clasps them at the belly.
    """
    b = body
    pts = np.zeros((kp.COUNT, 3))
    drop = math.radians(pelvic_drop)
    # left hip higher than right when standing on the left and the right side drops
    tilt = drop if stance == "left" else -drop if stance == "right" else 0.0
    half = 0.5 * b.hip_width
    pelvis = np.array([0.0, 1.0, 0.0])
    hip = {
        "left": pelvis + half * np.array([math.cos(tilt), math.sin(tilt), 0.0]),
        "right": pelvis - half * np.array([math.cos(tilt), math.sin(tilt), 0.0]),
    }
    knee, ankle = {}, {}
    for side in ("left", "right"):
        lateral = 1.0 if side == "left" else -1.0  # +lat is the left leg's lateral
        valgus = valgus_left if side == "left" else valgus_right
        if stance in ("both", side):
            t_pitch, s_pitch = 0.5 * flexion, -0.5 * flexion
        else:  # free leg: thigh forward, knee bent, foot up behind
            t_pitch, s_pitch = free_hip, free_hip - free_knee
        abduct = stance_width
        # thigh rolls medially by valgus/2, shank laterally by valgus/2
        thigh_dir = _segment(t_pitch, lateral * (abduct - 0.5 * valgus))
        shank_dir = _segment(s_pitch, lateral * (abduct + 0.5 * valgus))
        knee[side] = hip[side] + b.thigh * thigh_dir
        ankle[side] = knee[side] + b.shin * shank_dir
    floor_side = "left" if stance == "left" else "right" if stance == "right" else None
    floor = ankle[floor_side][1] if floor_side else min(ankle["left"][1], ankle["right"][1])
    shift = np.array([0.0, -floor, 0.0])

    # trunk: lean toward the stance side (toward +lat for left / both)
    toward = -1.0 if stance == "right" else 1.0
    trunk_dir = _roll(_segment(-trunk_flexion, 0.0) * -1.0, toward * trunk_lean)
    shoulder_mid = pelvis + b.torso * trunk_dir
    across = _roll(np.array([1.0, 0.0, 0.0]), toward * trunk_lean)
    head = shoulder_mid + b.neck * trunk_dir
    fwd = np.array([0.0, 0.0, 1.0])

    pts[kp.L_HIP], pts[kp.R_HIP] = hip["left"], hip["right"]
    pts[kp.L_KNEE], pts[kp.R_KNEE] = knee["left"], knee["right"]
    pts[kp.L_ANKLE], pts[kp.R_ANKLE] = ankle["left"], ankle["right"]
    pts[kp.L_SHOULDER] = shoulder_mid + 0.5 * b.shoulder_width * across
    pts[kp.R_SHOULDER] = shoulder_mid - 0.5 * b.shoulder_width * across
    pts[kp.NOSE] = head + 0.10 * fwd
    pts[1] = head + 0.03 * across + 0.04 * trunk_dir + 0.08 * fwd  # left eye
    pts[2] = head - 0.03 * across + 0.04 * trunk_dir + 0.08 * fwd
    pts[3] = head + 0.08 * across
    pts[4] = head - 0.08 * across
    for side, sign, sh, el, wr in (
        ("left", 1.0, kp.L_SHOULDER, kp.L_ELBOW, kp.L_WRIST),
        ("right", -1.0, kp.R_SHOULDER, kp.R_ELBOW, kp.R_WRIST),
    ):
        if hands_on_hips:
            pts[wr] = hip[side] + sign * 0.06 * across + 0.10 * trunk_dir
            pts[el] = pts[sh] + sign * 0.19 * across - 0.22 * trunk_dir - 0.05 * fwd
        elif hands_clasped:  # hands together in front of the belly, elbows bent
            pts[el] = pts[sh] + sign * 0.07 * across - 0.27 * trunk_dir + 0.05 * fwd
            pts[wr] = pelvis + 0.01 * sign * across + 0.12 * trunk_dir + 0.15 * fwd
        elif arms_down:  # hanging at the sides, wrists beside the hips
            pts[el] = pts[sh] + sign * 0.03 * across - 0.28 * trunk_dir
            pts[wr] = pts[sh] + sign * 0.05 * across - 0.55 * trunk_dir
        else:  # arms held forward at shoulder height
            pts[el] = pts[sh] + 0.28 * fwd - 0.03 * trunk_dir
            pts[wr] = pts[sh] + 0.55 * fwd - 0.03 * trunk_dir - sign * 0.05 * across
    return pts + shift


@dataclass(frozen=True)
class Camera:
    """A pinhole camera aimed at the figure's hips.

    ``facing``: "front" sees the subject's face, "back" their back.  ``roll_deg``
    rolls the camera about its axis: a level line then appears tilted by
    +``roll_deg`` in the image (its right end lower, y down).  ``yaw_deg`` swings
    the camera around the subject (0 = square on).
    """

    distance: float = 50.0
    height: float = 1.0
    facing: str = "front"
    roll_deg: float = 0.0
    yaw_deg: float = 0.0
    size: tuple[int, int] = (1280, 960)
    person_px: float = 600.0  # roughly how tall a 1.8 m person appears
    score: float = 0.9

    def project(self, points: np.ndarray) -> np.ndarray:
        """(17, 3) pose: pixel x, y and ``score`` for each 3-D point."""
        yaw = math.radians(self.yaw_deg + (180.0 if self.facing == "back" else 0.0))
        aim = np.array([0.0, 0.95, 0.0])
        pos = aim + self.distance * np.array([math.sin(yaw), 0.0, math.cos(yaw)])
        pos[1] = self.height
        z = aim - pos
        z /= np.linalg.norm(z)
        x = np.cross(z, UP)
        x /= np.linalg.norm(x)
        y = np.cross(z, x)
        r = math.radians(self.roll_deg)
        # image tilt of +r: a level x axis maps to (cos r, sin r) in the image
        xr = math.cos(r) * x - math.sin(r) * y
        yr = math.sin(r) * x + math.cos(r) * y
        rel = points - pos
        depth = rel @ z
        f = self.person_px * np.linalg.norm(aim - pos) / 1.8
        w, h = self.size
        pose = np.empty((len(points), 3))
        pose[:, 0] = w / 2 + f * (rel @ xr) / depth
        pose[:, 1] = h / 2 + f * (rel @ yr) / depth
        pose[:, 2] = self.score
        return pose


def shoot(camera: Camera | None = None, **pose_args) -> np.ndarray:
    """Shorthand: project ``figure(**pose_args)`` through ``camera``."""
    return (camera or Camera()).project(figure(**pose_args))
