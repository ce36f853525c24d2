"""The live loop: newest frame → pose → score → pattern → pins, and nothing else.

Capture runs on its own thread and hands over only the newest frame (with a landing
drill it also keeps the last 1.2 s of frames, and asks the camera for its full rate:
``loop.burst``, which reads each landing again from them); the pins change
in this loop's iteration, right after the frame is scored; then the frame goes to the
sinks (``loop.sinks``: event log, recorder, the console's readings, the watchdog),
each of which only hands over.  Every way out (end of a clip, stop request,
exception) goes through ``finally``, which turns every output off and tells the
sinks so.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Sequence

from firmware_py.core.patterns import PatternSelector
from firmware_py.cues.outputs import CueOutputs
from firmware_py.device.state import Device
from firmware_py.loop.burst import LANDING_FPS, FrameRing, LandingBurst
from firmware_py.loop.handoff import CaptureThread
from firmware_py.loop.pipeline import Pipeline
from firmware_py.loop.sinks import FrameSink
from firmware_py.loop.step import FrameStep
from firmware_py.pose.engine import PoseEngine
from firmware_py.sources.base import FrameSource

log = logging.getLogger(__name__)
POLL_S = 0.2  # how often an idle loop looks at the stop flag
STUCK_S = 5.0  # a source call this long is a driver that will not answer (a camera's own timeout is 2 s)


@dataclass
class LoopStats:
    frames: int = 0
    changes: int = 0
    last_frame: int = -1
    last_t: float = 0.0
    last_latency_ms: float | None = None  # capture -> pin change of the latest output change
    error: Exception | None = None  # why a clip's frames stopped before its end (a live source is retried)


class LiveLoop:
    def __init__(self, source: FrameSource, pipeline: Pipeline, outputs: CueOutputs, *,
                 selector: PatternSelector | None = None, sinks: Sequence[FrameSink] = (),
                 stop: threading.Event | None = None, device: Device | None = None,
                 source_open: bool = True, rotation: int = 0):
        self.source = source
        self.sinks = tuple(sinks)
        self.source_open = source_open
        self.pipeline = pipeline
        self.outputs = outputs
        self.selector = selector or PatternSelector(pipeline.scorer.mode.value)
        self.stop = stop or threading.Event()
        self.device = device
        self.stats = LoopStats()
        self.rotation = rotation  # without a device; with one, its setting (the console may change it)

    def run(self) -> LoopStats:
        device = self.device
        on_fault = None if device is None else (lambda problem: device.health.set_fault("camera", problem))
        turn = self.rotation if device is None else device.settings.config.rotation
        self.source.turn(turn)  # before the capture thread opens a camera: 180 is its own
        ring = FrameRing()
        engine = self.pipeline.engine
        burst = LandingBurst(ring, engine) if isinstance(engine, PoseEngine) else None  # (not on given poses)
        self._landing_drill(ring, burst)  # before the capture thread opens a camera: its rate too
        capture = CaptureThread(self.source, opened=self.source_open, on_fault=on_fault,
                                ring=ring if burst is not None else None)
        observe = None if device is None else (lambda r: device.observe(r.score, r.pose, r.feet))
        step = FrameStep(self.pipeline, selector=self.selector, observe=observe, show=self.outputs.play,
                         rotation=turn, burst=burst)
        capture.start()
        last = None
        try:
            while not self.stop.is_set():
                frame = capture.slot.get(POLL_S)
                if frame is None:
                    if capture.slot.closed:
                        break
                    faulty = device is not None and "camera" in device.health.faults
                    if device is not None and device.health.faults and self.outputs.play("fault"):
                        self._pattern("fault")
                    for sink in self.sinks:
                        sink.on_idle(faulty and capture.stuck_s() < STUCK_S)
                    continue
                if device is not None:
                    applied = device.apply(self.pipeline.scorer, self.selector, self.outputs)
                    if applied:
                        for sink in self.sinks:
                            sink.on_applied(frame, applied)
                    # a procedure's frames are all read for the feet: no cue waits on them
                    self.pipeline.feet_every_frame = device.mailbox.busy is not None
                    if device.settings.config.rotation != step.rotation:
                        step.rotation = device.settings.config.rotation
                        self.source.turn(step.rotation)  # a camera catches up within a frame or two
                self._landing_drill(ring, burst)
                last = step(frame, dropped=capture.slot.dropped)
                self._hand_on(last)
                self.stats.frames += 1
                self.stats.last_frame, self.stats.last_t = last.result.score.frame_index, last.result.score.t
            if last is not None and burst is not None:  # the last landings' verdicts
                stopping = self.stop.is_set()
                if stopping:
                    burst.stop()  # a stop request waits for no burst
                for outcome in step.drain(last, stopping=stopping):
                    self._hand_on(outcome)
            self.stats.error = capture.error  # the caller says it (kneecue run: one line, exit 1)
        finally:
            self.outputs.off()  # first: nothing below may keep the buzzer on
            if burst is not None:
                burst.stop()
            capture.stop(timeout=0.5)
            self._pattern("dark")
            if capture.is_alive():  # stuck in a read the camera never answers: closing under it could crash
                log.warning("capture: %s did not stop; left to the process exit", self.source.name)
            else:
                self.source.close()
        return self.stats

    def _hand_on(self, outcome) -> None:
        if outcome.changed:
            self.stats.changes += 1
            self.stats.last_latency_ms = (outcome.decided_ns - outcome.result.t_ns) / 1e6
        for sink in self.sinks:  # each only hands over: the writing is on their threads
            sink.on_frame(outcome)

    def _landing_drill(self, ring: FrameRing, burst: LandingBurst | None) -> None:
        """A landing drill (set, or recognised) keeps the ring and asks for the full rate
        (unless the ``landing_burst`` setting is off)."""
        scorer = self.pipeline.scorer
        landing = scorer.drill.unit == "landing" and scorer.thresholds.landing_burst
        if landing != ring.enabled:
            ring.enabled = landing
            if landing and burst is not None:
                burst.prepare()
            self.source.rate(LANDING_FPS if landing else None)  # a camera catches up within a few frames

    def _pattern(self, pattern: str) -> None:
        """An output change without a frame (fault while the camera is gone, dark at the end)."""
        now = time.monotonic_ns()
        for sink in self.sinks:
            sink.on_pattern(self.stats.last_frame, self.stats.last_t, pattern, now)
