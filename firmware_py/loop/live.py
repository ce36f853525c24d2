"""The live loop: newest frame → pose → score → pattern → pins, and nothing else.

Capture runs on its own thread and hands over only the newest frame; events are
written on their own thread; the pins change in this loop's iteration, right after
the frame is scored.  Every way out (end of a clip, stop request, exception) goes
through ``finally``, which turns every output off and logs that as the last event.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from firmware_py.core.patterns import PatternSelector
from firmware_py.core.scorer import FrameScore
from firmware_py.cues.outputs import CueOutputs
from firmware_py.device.state import Device
from firmware_py.system.eventlog import JsonLinesWriter
from firmware_py.loop.handoff import CaptureThread
from firmware_py.loop.pipeline import Pipeline
from firmware_py.records.recorder import Recorder
from firmware_py.system.sdnotify import Notifier
from firmware_py.sources.base import FrameSource
from firmware_py.sources.rotation import rotated

log = logging.getLogger(__name__)
POLL_S = 0.2  # how often an idle loop looks at the stop flag
# The metrics behind the cues, recorded with each output change ("why did it beep?").
EVENT_METRICS = ("stance", "fppa_left", "fppa_right", "knee_medial_left", "knee_medial_right",
                 "pelvic_drop", "trunk_lean")


@dataclass
class LoopStats:
    frames: int = 0
    changes: int = 0
    last_frame: int = -1
    last_t: float = 0.0
    last_latency_ms: float | None = None  # capture -> pin change of the latest output change


class LiveLoop:
    def __init__(self, source: FrameSource, pipeline: Pipeline, outputs: CueOutputs, *,
                 selector: PatternSelector | None = None, events: JsonLinesWriter | None = None,
                 stop: threading.Event | None = None, device: Device | None = None,
                 notifier: Notifier | None = None, source_open: bool = True, recorder: Recorder | None = None,
                 rotation: int = 0):
        self.source = source
        self.notifier = notifier
        self.source_open = source_open
        self.pipeline = pipeline
        self.outputs = outputs
        self.selector = selector or PatternSelector(pipeline.scorer.mode.value)
        self.events = events
        self.stop = stop or threading.Event()
        self.device = device
        self.stats = LoopStats()
        self.recorder = recorder
        self.rotation = rotation  # without a device; with one, its setting (the console may change it)

    def run(self) -> LoopStats:
        device = self.device
        on_fault = None if device is None else (lambda problem: device.health.set_fault("camera", problem))
        turn = self.rotation if device is None else device.config.rotation
        self.source.turn(turn)  # before the capture thread opens a camera: 180 is its own
        capture = CaptureThread(self.source, opened=self.source_open, on_fault=on_fault)
        capture.start()
        try:
            while not self.stop.is_set():
                frame = capture.slot.get(POLL_S)
                if frame is None:
                    if capture.slot.closed:
                        break
                    if device is not None and device.health.faults and self.outputs.play("fault"):
                        self._event(self.stats.last_frame, self.stats.last_t, "fault", None, time.monotonic_ns())
                    continue
                if device is not None:
                    applied = device.apply(self.pipeline.scorer, self.selector, self.outputs)
                    if applied and self.events is not None:
                        self.events.write({"t": round(frame.pts, 3), "frame": frame.index, "applied": applied})
                    if applied and self.recorder is not None:
                        self.recorder.applied(frame.index, frame.pts, applied)
                # a procedure's frames are all read for the feet: no cue waits on them
                self.pipeline.feet_every_frame = device is not None and device.busy is not None
                if device is not None and device.config.rotation != turn:
                    turn = device.config.rotation
                    self.source.turn(turn)  # a camera catches up within a frame or two
                frame = rotated(frame, turn)
                result = self.pipeline.process(frame)
                score = result.score
                state = "run" if device is None else device.observe(score, result.pose, result.feet)
                pattern = self.selector.select(
                    score.t, level=score.cue.level,
                    verdict=None if score.rep is None else score.rep.verdict, state=state)
                changed = self.outputs.play(pattern)
                decided_ns = time.monotonic_ns()
                if changed:
                    self.stats.changes += 1
                    self.stats.last_latency_ms = (decided_ns - result.t_ns) / 1e6
                    self._event(score.frame_index, score.t, pattern, result.t_ns, decided_ns, score)
                if self.recorder is not None:  # two queue puts; the writing is on its threads
                    self.recorder.observe(frame, result, pattern, changed)
                if device is not None:
                    device.publish(score, pattern, result.t_ns, decided_ns, capture.slot.dropped)
                if self.notifier is not None:  # alive only while fresh frames are scored
                    if self.stats.frames == 0:
                        self.notifier.ready("scoring")
                    self.notifier.ping()
                self.stats.frames += 1
                self.stats.last_frame, self.stats.last_t = score.frame_index, score.t
            if capture.error is not None:
                log.error("%s", capture.error)
        finally:
            self.outputs.off()  # first: nothing below may keep the buzzer on
            capture.stop(timeout=0.5)
            self._event(self.stats.last_frame, self.stats.last_t, "dark", None, time.monotonic_ns())
            if capture.is_alive():  # stuck in a read the camera never answers: closing under it could crash
                log.warning("capture: %s did not stop; left to the process exit", self.source.name)
            else:
                self.source.close()
        return self.stats

    def _event(self, frame: int, t: float, pattern: str, capture_ns: int | None, changed_ns: int,
               score: FrameScore | None = None) -> None:
        """One output change: the pins as gpiozero reads them, when (monotonic ns), and why."""
        if self.events is None:
            return
        record = {"t": round(t, 3), "frame": frame, "pattern": pattern, "outputs": self.outputs.levels(),
                  "changed_ns": changed_ns}
        if score is not None:
            record["reasons"] = list(score.cue.reasons)
            record["metrics"] = {k: _rounded(score.metrics.get(k)) for k in EVENT_METRICS}
        if capture_ns is not None:
            record["capture_ns"] = capture_ns
            record["latency_ms"] = round((changed_ns - capture_ns) / 1e6, 3)
        self.events.write(record)


def _rounded(value):
    return round(value, 2) if isinstance(value, float) else value
