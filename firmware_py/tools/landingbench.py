"""``kneecue bench --landing``: what a landing's burst costs and buys on a slower CPU.

The clip is played through the live loop as a camera delivers it (paced, the newest
frame scored, landing drill ``hop`` or ``land``), with every model invoke (the live
loop's and the burst's twin) padded to ``frame_ms``: the time a frame takes on the Pi
being emulated (docs/performance.md turns the arm64 lane's instruction counts into
these).  For each emulated speed the clip runs twice, with the burst and without, and
once unpaced with every frame scored (the reference: what the clip says when nothing is
dropped).  Per landing: the frames the camera captured from contact to peak flexion,
the frames the live loop and the burst scored, the delay from the contact frame's
capture to the verdict on the pins, and how far contact, peak flexion and the knee's
numbers land from the reference's.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from firmware_py.core.landing import Landing
from firmware_py.core.settings import Thresholds
from firmware_py.loop.sinks import FrameSink, Outcome
from firmware_py.pose.movenet import MoveNet

PI_FRAME_MS = {"pi4": 68.0, "pi5": 18.0}  # docs/performance.md, "A landing's burst"
MATCH_S = 0.15  # a landing this close in contact time to the reference's is the same landing


class PacedModel:
    """A model whose every invoke takes at least ``seconds`` (the rest is slept)."""

    def __init__(self, model: MoveNet, seconds: float) -> None:
        self._model, self.seconds = model, seconds

    def __getattr__(self, name):
        return getattr(self._model, name)

    def twin(self, num_threads: int = 1) -> "PacedModel":
        return PacedModel(self._model.twin(num_threads), self.seconds)

    def invoke(self, image=None):
        begun = time.perf_counter()
        out = self._model.invoke(image)
        left = self.seconds - (time.perf_counter() - begun)
        if left > 0:
            time.sleep(left)
        return out


@dataclass
class Seen:
    landing: Landing
    cue_after_contact_s: float | None


class _Landings(FrameSink):
    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.first: tuple[int, float] | None = None  # (t_ns, pts) of the first frame scored
        self.frames = 0

    def on_frame(self, outcome: Outcome) -> None:
        frame = outcome.frame
        self.frames += 1
        if self.first is None:
            self.first = (frame.t_ns, frame.pts)
        landing = outcome.result.score.landing
        if landing is not None:
            # a paced clip's frame is captured at its pts after the first: the contact's capture time
            contact_ns = self.first[0] + (landing.contact_t - self.first[1]) * 1e9
            self.seen.append(Seen(landing, round((outcome.decided_ns - contact_ns) / 1e9, 3)))


def play(path: str, model, drill: str, *, burst: bool, paced: bool = True) -> tuple[list[Seen], int]:
    """The clip through the live loop; the landings handed over, and the frames scored."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    from firmware_py.app.build import build_pipeline
    from firmware_py.cues.outputs import CueOutputs
    from firmware_py.loop import live
    from firmware_py.sources import make_source

    pipeline = build_pipeline(model, thresholds=Thresholds().with_value("drill", drill).with_value("landing_burst", burst))
    sink = _Landings()
    with CueOutputs(pin_factory=MockFactory(pin_class=MockPWMPin)) as outputs:
        live.LiveLoop(make_source(path, realtime=paced).open(), pipeline, outputs, sinks=[sink]).run()
    return sink.seen, sink.frames


def compare(seen: list[Seen], reference: list[Seen], fps: float) -> dict:
    """How far ``seen`` lands from ``reference``, landing by landing (frames at ``fps``)."""
    matched, rows = 0, {"contact": [], "peak": [], "knee_medial": [], "fppa": [], "verdict": []}
    for s in seen:
        ref = min(reference, key=lambda r: abs(r.landing.contact_t - s.landing.contact_t), default=None)
        if ref is None or abs(ref.landing.contact_t - s.landing.contact_t) > MATCH_S:
            continue
        matched += 1
        a, b = s.landing, ref.landing
        rows["contact"].append(abs(a.contact_t - b.contact_t) * fps)
        rows["peak"].append(abs(a.peak_t - b.peak_t) * fps)
        for name in ("knee_medial", "fppa"):
            if a.metrics.get(name) is not None and b.metrics.get(name) is not None:
                rows[name].append(abs(a.metrics[name] - b.metrics[name]))
        rows["verdict"].append(a.verdict == b.verdict)
    out = {"landings": len(seen), "reference": len(reference), "matched": matched}
    for name in ("contact", "peak", "knee_medial", "fppa"):
        out[name + "_off_median"] = round(statistics.median(rows[name]), 3) if rows[name] else None
    out["verdict_agrees"] = sum(rows["verdict"])
    return out


def summary(seen: list[Seen]) -> dict:
    bursts = [s.landing.burst for s in seen if s.landing.burst]
    delays = [s.cue_after_contact_s for s in seen if s.cue_after_contact_s is not None]
    def med(values: list) -> float | None:
        return round(statistics.median(values), 3) if values else None

    return {
        "captured_median": med([b.get("captured", 0) for b in bursts]),
        "live_read_median": med([(s.landing.burst or {}).get("live_read", s.landing.frames_read) for s in seen]),
        "burst_scored_median": med([b.get("scored", 0) for b in bursts]),
        "bursts_used": sum(bool(b.get("used")) for b in bursts),
        "cue_after_contact_median_s": med(delays),
        "cue_after_contact_max_s": max(delays) if delays else None,
    }


def run_landing_bench(path: str, model: MoveNet, drill: str, speeds: dict[str, float]) -> dict:
    from firmware_py.sources import make_source

    with make_source(path) as source:
        fps = source.fps or 30.0
    reference, _ = play(path, model, drill, burst=False, paced=False)
    report = {"clip": path, "fps": fps, "drill": drill, "reference_landings": len(reference), "speeds": {}}
    for name, ms in speeds.items():
        paced = PacedModel(model, ms / 1000.0)
        for burst in (False, True):
            seen, frames = play(path, paced, drill, burst=burst)
            row = {"frame_ms": ms, "frames_scored": frames, **summary(seen), **compare(seen, reference, fps)}
            report["speeds"][f"{name} {'burst' if burst else 'live only'}"] = row
    return report


def format_landing_report(report: dict) -> str:
    lines = [f"kneecue bench --landing: {report['clip']} at {report['fps']:g} fps, drill {report['drill']}; "
             f"reference (every frame scored): {report['reference_landings']} landings",
             "speed            ms/frame  found  captured  live read  burst scored  cue after contact (med/max s)"
             "  contact off  peak off (frames)  knee_medial off  fppa off  verdicts agree"]
    for name, r in report["speeds"].items():
        lines.append(
            f"{name:<17}{r['frame_ms']:>8g}  {r['landings']:>5}  {_n(r['captured_median']):>8}  "
            f"{_n(r['live_read_median']):>9}  {_n(r['burst_scored_median']):>12}  "
            f"{_n(r['cue_after_contact_median_s'])}/{_n(r['cue_after_contact_max_s'])}"
            f"{'':>14}{_n(r['contact_off_median'])}  {_n(r['peak_off_median']):>8}  {_n(r['knee_medial_off_median']):>15}"
            f"  {_n(r['fppa_off_median']):>8}  {r['verdict_agrees']}/{r['matched']}")
    return "\n".join(lines)


def _n(v) -> str:
    return "-" if v is None else f"{v:g}"
