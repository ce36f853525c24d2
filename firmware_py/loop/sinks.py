"""What follows the frame loop: one small interface, in the manner of picamera2's
``Output``, and the sinks the device feeds through it.

The live loop, ``kneecue analyze`` and ``kneecue demo`` hand every scored frame to one
list of sinks (``on_frame``), every settings change the loop applied (``on_applied``)
and every output change made without a frame (``on_pattern``: the fault pattern while
the camera is gone, dark at the end).  Sinks run on the loop's thread, so each only
hands over (a queue put, a reference swap) and never waits.  Whoever built a sink
closes it; the loop never does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from firmware_py.core.vocabulary import CUE_METRICS
from firmware_py.cues.outputs import CueOutputs
from firmware_py.loop.pipeline import FrameResult
from firmware_py.sources.base import Frame


@dataclass(frozen=True)
class Outcome:
    """What the loop made of one frame."""

    frame: Frame
    result: FrameResult
    pattern: str  # what the athlete is shown from this frame
    changed: bool  # the pins changed on this frame
    decided_ns: int  # monotonic ns when the pattern was decided (capture to cue: - result.t_ns)
    dropped: int  # frames the capture hand-off has dropped so far


class FrameSink:
    """Base of the sinks: each hook does nothing unless overridden."""

    def on_frame(self, outcome: Outcome) -> None:
        pass

    def on_applied(self, frame: Frame, changes: dict[str, Any]) -> None:
        pass

    def on_pattern(self, frame: int, t: float, pattern: str, changed_ns: int) -> None:
        pass

    def on_idle(self, alive: bool) -> None:
        """A wait for a frame ran out; ``alive``: the loop is showing a camera fault
        while the capture thread is answering (retrying), not stuck in the driver."""

    def close(self) -> None:
        pass


class LineWriter(Protocol):
    def write(self, record: dict[str, Any]) -> None: ...


class EventSink(FrameSink):
    """The event log: every output change with the pins as gpiozero reads them, when
    (monotonic ns), the capture-to-pin latency and why; every applied settings change.
    ``writer`` writes one record per call off the loop's thread (JsonLinesWriter), or
    draws it (TerminalLights)."""

    def __init__(self, writer: LineWriter, outputs: CueOutputs) -> None:
        self.writer, self.outputs = writer, outputs

    def on_frame(self, o: Outcome) -> None:
        if not o.changed:
            return
        score = o.result.score
        self.writer.write({
            "t": round(score.t, 3), "frame": score.frame_index, "pattern": o.pattern,
            "outputs": self.outputs.levels(), "changed_ns": o.decided_ns,
            "reasons": list(score.cue.reasons), "metrics": cue_metrics(score.metrics),
            "capture_ns": o.result.t_ns, "latency_ms": round((o.decided_ns - o.result.t_ns) / 1e6, 3)})

    def on_applied(self, frame: Frame, changes: dict[str, Any]) -> None:
        self.writer.write({"t": round(frame.pts, 3), "frame": frame.index, "applied": changes})

    def on_pattern(self, frame: int, t: float, pattern: str, changed_ns: int) -> None:
        self.writer.write({"t": round(t, 3), "frame": frame, "pattern": pattern, "outputs": self.outputs.levels(),
                           "changed_ns": changed_ns})


class ReadingsSink(FrameSink):
    """The console's view of the loop: the latest frame's readings on the device."""

    def __init__(self, device: Any) -> None:
        self.device = device

    def on_frame(self, o: Outcome) -> None:
        self.device.mailbox.publish(o.result.score, o.pattern, o.result.t_ns, o.decided_ns, o.dropped)

    def on_pattern(self, frame: int, t: float, pattern: str, changed_ns: int) -> None:
        mailbox = self.device.mailbox
        mailbox.unframed = (mailbox.clock(), pattern)


class WatchdogSink(FrameSink):
    """systemd's watchdog, fed while fresh frames are scored, or while a camera fault
    is on show and the capture thread keeps answering: a loop or a camera driver stuck
    anywhere stops the pings and systemd restarts the service, while a camera that is
    simply absent does not (the service would restart for ever, the console with it)."""

    def __init__(self, notifier: Any) -> None:
        self.notifier = notifier

    def on_frame(self, o: Outcome) -> None:
        self.notifier.ping()

    def on_idle(self, alive: bool) -> None:
        if alive:
            self.notifier.ping()


def cue_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """The metrics behind a cue, rounded to 0.01 as the logs keep them."""
    return {k: _rounded(metrics.get(k)) for k in CUE_METRICS}


def _rounded(value: Any) -> Any:
    return round(value, 2) if isinstance(value, float) else value
