"""A landing's burst (loop.burst): the frames the camera captured kept for a second, a
landing read again from them on the burst's own thread before its verdict is shown,
and none of it while a squat drill runs."""

from __future__ import annotations

import time

import numpy as np
import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin
from test_landings import labelled, resampled

from firmware_py.app.build import build_pipeline
from firmware_py.core.settings import Thresholds
from firmware_py.cues.outputs import CueOutputs
from firmware_py.loop.burst import LANDING_FPS, FrameRing
from firmware_py.loop.live import LiveLoop
from firmware_py.loop.sinks import FrameSink
from firmware_py.sources import make_source
from firmware_py.sources.base import Frame
from firmware_py.tools.landingbench import PI_FRAME_MS, PacedModel


def frame(i: int, fps: float = 120.0, width: int = 1280) -> Frame:
    rgb = np.full((width * 9 // 16, width, 3), i % 256, np.uint8)
    return Frame(i, 1_000_000_000 + int(i / fps * 1e9), rgb, i / fps)


def test_the_ring_keeps_the_last_second_and_a_half_size_picture_only_while_on():
    ring = FrameRing(keep_s=1.0)
    ring.add(frame(0))
    assert len(ring) == 0  # off: a squat drill keeps nothing
    ring.enabled = True
    for i in range(300):
        ring.add(frame(i))
    kept = ring.between(0.0, 10.0)
    assert [f.index for f, _ in kept] == list(range(179, 300))  # the last 1.0 s at 120 fps (both ends)
    f, shrink = kept[-1]
    assert shrink == 2 and f.rgb.shape == (360, 640, 3) and f.rgb[0, 0, 0] == 299 % 256  # (an even picture)
    assert [f.index for f, _ in ring.between(2.0, 2.05)] == [240, 241, 242, 243, 244, 245, 246]
    small = frame(300, width=640)
    ring.add(small)
    assert ring.between(2.5, 2.5)[0][1] == 1  # a picture 640 wide is kept as it is
    ring.enabled = False
    assert len(ring) == 0  # its memory back at once


class Rates:
    """A source that says what rate it was asked for."""

    def __init__(self, source):
        self.source, self.asked = source, []

    def __getattr__(self, name):
        return getattr(self.source, name)

    def rate(self, fps):
        self.asked.append(fps)


@pytest.mark.parametrize("drill, burst, asked", [("sls", True, []), ("hop", True, [LANDING_FPS]),
                                                 ("land", True, [LANDING_FPS]), ("hop", False, [])])
def test_only_a_landing_drill_asks_the_camera_for_its_full_rate_unless_told_not_to(drill, burst, asked):
    source = Rates(make_source("synthetic:squats").open())
    th = Thresholds().with_value("drill", drill).with_value("landing_burst", burst)
    pipeline = build_pipeline(None, thresholds=th)
    with CueOutputs(pin_factory=MockFactory(pin_class=MockPWMPin)) as outputs:
        LiveLoop(source, pipeline, outputs).run()
    assert source.asked == asked


class Landings(FrameSink):
    def __init__(self):
        self.seen, self.first = [], None

    def on_frame(self, outcome):
        if self.first is None:
            self.first = (outcome.frame.t_ns, outcome.frame.pts)
        landing = outcome.result.score.landing
        if landing is not None:
            contact_ns = self.first[0] + (landing.contact_t - self.first[1]) * 1e9
            self.seen.append((landing, (outcome.decided_ns - contact_ns) / 1e9, outcome.pattern))


@pytest.mark.media
@pytest.mark.parametrize("times", [2, 4])  # 60 and 120 fps
def test_a_pi_4s_pace_reads_each_hop_landing_again_from_the_camera_and_cues_it_within_a_second(
        movenet, media, tmp_path, times):
    """The hop clip at 60 and 120 fps (each frame repeated: resampled), played as a camera delivers it,
    with every invoke as slow as a Pi 4's: the live loop reads a few frames from contact to
    peak flexion, the burst more of those the camera captured, and each verdict is on the
    pins within a second of the contact frame's capture."""
    path = resampled(media, tmp_path, times)
    pipeline = build_pipeline(PacedModel(movenet, PI_FRAME_MS["pi4"] / 1000),
                              thresholds=Thresholds().with_value("drill", "hop"))
    sink = Landings()
    begun = time.monotonic()
    with CueOutputs(pin_factory=MockFactory(pin_class=MockPWMPin)) as outputs:
        LiveLoop(make_source(path, realtime=True).open(), pipeline, outputs, sinks=[sink]).run()
    assert time.monotonic() - begun < 30
    labels = [lab for lab in labelled() if lab[2] + 12 < 130]  # landings settled within the frames kept
    # At ~14 frames a second (and fewer on a busy machine) the live loop misses some landings
    # with the burst on or off, most often the 2nd and 3rd, 0.4 s apart just after the start
    # (docs/performance.md); the count at full rate is test_landings'.
    assert len(sink.seen) >= len(labels) // 2, [x.contact_frame for x, _, _ in sink.seen]
    assert sum(x.leg == "right" for x, _, _ in sink.seen) >= len(sink.seen) - 1  # every landing the eye saw
    for landing, cue_after_contact, pattern in sink.seen:
        assert cue_after_contact <= 1.0, landing.to_dict()
        assert pattern in ("pass", "fail_" + landing.leg)
        assert landing.burst is not None and landing.burst["captured"] > 2 * landing.burst["live_read"]
    read_again = [x for x, _, _ in sink.seen if x.burst.get("used")]
    assert read_again, [x.burst for x, _, _ in sink.seen]
    for landing in read_again:
        assert landing.burst["scored"] >= 2 * landing.burst["live_read"]  # twice the frames the live loop read
        # still a landing the eye labelled (the live loop's own contacts spread up to 5 frames at this pace)
        assert any(abs(landing.contact_frame / times - c) <= 5 for _, c, _ in labelled()), landing.to_dict()
        assert any(abs(landing.peak_frame / times - p) <= 5 for _, _, p in labelled()), landing.to_dict()


def test_a_landing_read_again_says_so_in_its_console_line():
    from firmware_py.core.landing import Landing
    from firmware_py.wording.drills import landing_line

    landing = Landing(0, "right", 40, 1.33, 44, 1.47, {"knee_medial": -0.1, "fppa": 4.0})
    assert "read on" not in landing_line(landing)
    landing.burst = {"captured": 21, "scored": 6, "live_read": 3, "used": True}
    assert "read on 6 of 21 frames captured" in landing_line(landing)
    landing.burst = {"captured": 13, "scored": 0, "why": "the live loop read half the frames or more"}
    assert "read on" not in landing_line(landing)


class NoTwin(PacedModel):
    """A model whose second interpreter cannot be made (memory, a runtime that will not load twice)."""

    def twin(self, num_threads: int = 1):
        raise RuntimeError("out of memory")


class BrokenTwin(PacedModel):
    """A model whose second interpreter fails on every frame."""

    def twin(self, num_threads: int = 1):
        return Failing(self._model, 0.0)


class Failing(PacedModel):
    """Loads and times its invokes, then fails on every frame."""

    calls = 0

    def invoke(self, image=None):
        self.calls += 1
        if self.calls > 2:
            raise RuntimeError("invoke failed")
        return super().invoke(image)


@pytest.mark.parametrize("model, why", [(NoTwin, "no interpreter of its own (out of memory)"),
                                        (BrokenTwin, "failed: invoke failed")])
def test_a_burst_that_fails_hands_the_landing_on_as_the_live_loop_read_it(movenet, model, why):
    from firmware_py.core.landing import Landing
    from firmware_py.core.scorer import Scorer
    from firmware_py.loop.burst import LandingBurst
    from firmware_py.pose.engine import PoseEngine

    ring = FrameRing()
    ring.enabled = True
    for i in range(120):
        ring.add(frame(i))
    scorer = Scorer(Thresholds().with_value("drill", "hop"))
    burst = LandingBurst(ring, PoseEngine(model(movenet, 0.0)), clock=lambda: frame(0).t_ns)
    landing = Landing(0, "right", 40, 40 / 120, 60, 60 / 120, {"fppa": 4.0}, frame_gap_s=0.07, frames_read=3)
    burst.start(landing, scorer, 0, 0.01)
    burst.wait(landing, 10.0)
    assert burst.ready(landing)
    burst.finish(landing, scorer)
    assert landing.burst["why"] == why and landing.metrics == {"fppa": 4.0}
    assert not burst.started(landing)  # nothing kept
    burst.stop()


def test_no_burst_for_a_side_view_and_none_waited_on_past_its_deadline(movenet):
    from firmware_py.core.landing import Landing
    from firmware_py.core.scorer import Scorer
    from firmware_py.loop.burst import LandingBurst
    from firmware_py.pose.engine import PoseEngine

    ring = FrameRing()
    ring.enabled = True
    for i in range(120):
        ring.add(frame(i))
    now = [frame(0).t_ns]
    burst = LandingBurst(ring, PoseEngine(PacedModel(movenet, 0.0)), clock=lambda: now[0])
    side = Scorer(Thresholds().with_value("drill", "hop").with_value("view", "side"))
    landing = Landing(0, "right", 40, 40 / 120, 60, 60 / 120, {}, frame_gap_s=0.07, frames_read=3)
    burst.start(landing, side, 0, 0.01)
    assert not burst.started(landing) and burst.ready(landing)  # a side view: the live reading stands

    burst.prepare = lambda: None  # no worker: a job that never runs (as one queued behind others)
    front = Scorer(Thresholds().with_value("drill", "hop"))
    burst.start(landing, front, 0, 0.01)
    assert burst.started(landing) and not burst.ready(landing)
    now[0] = frame(40).t_ns + 1_000_000_000  # a second after the contact's capture
    assert burst.ready(landing)
    burst.finish(landing, front)
    assert landing.burst["why"] == "not done in time" and landing.metrics == {}
    burst.stop()
