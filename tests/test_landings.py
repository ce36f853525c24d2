"""Landings and hops: the landings the eye counts on the hop clip (labelled from its
frames: tests/eval/landings.csv) at 30, 60 and 120 fps, each judged and cued within a
second of its contact; and the drop jump's two-footed criteria on landings drawn here."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from firmware_py.app.build import build_pipeline
from firmware_py.core import keypoints as kp
from firmware_py.core.scorer import Scorer
from firmware_py.core.settings import Thresholds
from firmware_py.loop.step import FrameStep
from firmware_py.sources import make_source
from firmware_py.system.cv import cv2

HOPS = "vla_single_leg_hops_grid_front_oblique.mp4"
LABELS = __import__("pathlib").Path(__file__).parent / "eval" / "landings.csv"


def labelled() -> list[tuple[str, int, int]]:
    with open(LABELS) as f:
        rows = [r for r in csv.reader(line for line in f if not line.startswith("#"))]
    return [(r[1], int(r[2]), int(r[3])) for r in rows]


def resampled(media, tmp_path, times: int, frames: int = 130) -> str:
    """The hop clip's first ``frames`` frames at 30 x ``times`` fps, each frame repeated
    ``times`` times (what a frame-rate conversion without interpolation makes)."""
    if times == 1:
        return str(media(HOPS))
    cap = cv2.VideoCapture(str(media(HOPS)))
    path = tmp_path / f"hops_{30 * times}.mp4"
    out = None
    for _ in range(frames):
        ok, bgr = cap.read()
        if not ok:
            break
        bgr = cv2.resize(bgr, (960, 540))  # a small file, the athlete the same share of it
        if out is None:
            out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0 * times, bgr.shape[1::-1])
        for _ in range(times):
            out.write(bgr)
    out.release()
    cap.release()
    return str(path)


@pytest.mark.media
@pytest.mark.parametrize("times", [1, 2, 4])  # 30, 60 and 120 fps
def test_the_hop_clips_landings_are_found_judged_and_cued_within_a_second(movenet, media, tmp_path, times):
    path = resampled(media, tmp_path, times)
    step = FrameStep(build_pipeline(movenet))
    found, shown = [], {}
    with make_source(path) as source:
        for frame in source:
            outcome = step(frame)
            landing = outcome.result.score.landing
            if landing is not None:
                found.append((landing, frame.index, frame.pts))
                shown[landing.index] = outcome.pattern
    # the landings whose balance window (0.3 s after peak flexion) ends inside the frames kept
    labels = [lab for lab in labelled() if times == 1 or lab[2] + 12 < 130]
    assert abs(len(found) - len(labels)) <= 1, [(x.contact_frame, x.leg) for x, _, _ in found]
    assert all(x.leg == "right" for x, _, _ in found)  # every landing the eye saw is on the right leg
    near = sum(any(abs(x.contact_frame / times - c) <= 3 for x, _, _ in found) for _, c, _ in labels)
    assert near >= len(labels) - 1
    for landing, at_frame, at_t in found:
        assert at_t - landing.contact_t <= 1.0  # the verdict's cue within a second of the contact
        assert shown[landing.index] in ("pass", "fail_right")
        assert "hands_off_hips" not in landing.failed  # no single-leg squat test criterion
    assert step.pipeline.scorer.drill.name == "hop"  # recognised from the landings


def figure(hip_y: float, left_ankle_y: float, right_ankle_y: float, knee_in: float = 0.0,
           x0: float = 320.0) -> np.ndarray:
    """A person facing the camera (her left on the image right), pixels: hips 50 apart,
    knees between hips and ankles, ``knee_in`` pixels toward the midline."""
    pose = np.zeros((kp.COUNT, 3), np.float32)
    pose[:, 2] = 0.9
    for side, sign, ankle_y in (("left", 1.0, left_ankle_y), ("right", -1.0, right_ankle_y)):
        h, k, a = kp.LEG[side]
        pose[h, :2] = (x0 + sign * 25, hip_y)
        pose[a, :2] = (x0 + sign * 32, ankle_y)
        pose[k, :2] = (x0 + sign * (28 - knee_in), (hip_y + ankle_y) / 2)
    for name, (dx, dy) in {"left_shoulder": (40, -170), "right_shoulder": (-40, -170), "nose": (0, -250),
                           "left_eye": (8, -258), "right_eye": (-8, -258), "left_ear": (15, -252),
                           "right_ear": (-15, -252), "left_elbow": (55, -90), "right_elbow": (-55, -90),
                           "left_wrist": (60, -20), "right_wrist": (-60, -20)}.items():
        pose[kp.NAMES.index(name), :2] = (x0 + dx, hip_y + dy)
    return pose


def drop_jump(*, knee_in: float, late_s: float, fps: float = 60.0) -> list[tuple[float, np.ndarray]]:
    """Step off a box, fall, land (the right foot ``late_s`` after the left), sink into the
    knees, then stand up: ``knee_in`` pixels of knee travel toward the midline at the bottom."""
    leg, floor, box = 260.0, 700.0, 87.0  # the leg 0.9 m long: ~290 px/m, a 30 cm box
    fall = (2 * box / 290 / 9.8) ** 0.5  # 0.25 s
    out = []
    for i in range(int(2.0 * fps)):
        t = i / fps
        if t < 0.5:  # on the box
            hip = floor - leg - box
        elif t < 0.5 + fall:  # falling
            hip = floor - leg - box + 0.5 * 9.8 * 290 * (t - 0.5) ** 2
        else:  # contact, peak knee flexion 0.15 s later, standing up over 0.6 s
            s = t - 0.5 - fall
            hip = floor - leg + 90 * (np.sin(np.pi / 2 * s / 0.15) if s < 0.15 else max(0.0, 1 - (s - 0.15) / 0.6))
        bend = max(0.0, hip - (floor - leg)) / 90.0
        feet = []
        for late in (0.0, late_s):  # a foot held up a little longer lands later
            touched = t >= 0.5 + fall + late
            feet.append(floor if touched else min(floor - 1.0, hip + leg - (60.0 if late else 0.0)))
        out.append((t, figure(hip, feet[0], feet[1], knee_in * bend)))
    return out


@pytest.mark.parametrize("knee_in, late_s, failed", [
    (0.0, 0.0, ()),
    (22.0, 0.0, ("knee_inward",)),
    (0.0, 0.1, ("asymmetric_contact",)),
])
def test_a_drop_jump_fails_on_the_knees_falling_in_or_one_foot_landing_first(knee_in, late_s, failed):
    scorer = Scorer(Thresholds().with_value("drill", "land"))
    landings = [s.landing for i, (t, pose) in enumerate(drop_jump(knee_in=knee_in, late_s=late_s))
                if (s := scorer.update(pose, i, t, (640, 900))).landing is not None]
    assert len(landings) == 1, landings
    (landing,) = landings
    assert landing.leg == "both" and landing.failed == failed, landing.to_dict()
    if not late_s:  # (with one foot late the stance has not settled on both feet by peak flexion)
        assert landing.metrics["knee_separation_peak"] is not None
