"""What a completed squat rep is: its frames, depth, per-metric peaks and verdict.

``core.reps`` segments reps and judges them; this module holds only the record
itself, which the session files, the console, the report and the device read.  The
peaks a rep keeps are the metric table's (``core.metrictable.PEAK_KEYS``); the record
becomes a dict only at the file, console and network edge (``to_dict``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .metrictable import COMPARED_PEAKS, LOWEST_PEAKS, MAGNITUDE_PEAKS, PEAK_KEYS, SIDES, key
from .vocabulary import CRITERIA

__all__ = ["MISPLACED", "Peak", "Rep", "misplaced", "new_peaks", "summarise", "working_value"]


@dataclass
class Peak:
    """The largest value of a metric during a rep, and where it happened."""

    value: float | None = None
    frame: int | None = None
    t: float | None = None

    def offer(self, value: float | None, frame: int, t: float, magnitude: bool = False,
              lowest: bool = False) -> None:
        """Keep ``value`` if it is the largest so far (by absolute value if ``magnitude``;
        the smallest if ``lowest``)."""
        if value is None:
            return
        if self.value is None or (
            abs(value) > abs(self.value) if magnitude else value < self.value if lowest else value > self.value
        ):
            self.value, self.frame, self.t = value, frame, t


def new_peaks() -> dict[str, Peak]:
    """One empty Peak per peak the table declares."""
    return {k: Peak() for k in PEAK_KEYS}


def offer_all(peaks: dict[str, Peak], metrics: dict[str, Any], frame: int, t: float) -> None:
    """Offer this frame's value of every peak metric (a magnitude peak by |value|)."""
    for k, peak in peaks.items():
        peak.offer(metrics.get(k), frame, t, magnitude=k in MAGNITUDE_PEAKS, lowest=k in LOWEST_PEAKS)


@dataclass
class Rep:
    """One completed squat rep."""

    index: int
    leg: str  # "left", "right" or "both"
    start_frame: int
    start_t: float
    bottom_frame: int
    bottom_t: float
    end_frame: int
    end_t: float
    depth: float  # leg lengths the hips sank at the bottom
    peaks: dict[str, Peak] = field(default_factory=new_peaks)  # metric key -> its peak (working legs only)
    failed: tuple[str, ...] = ()
    foot_frames: dict[str, int] = field(default_factory=dict)  # frames each foot was read
    pronation_frames: dict[str, int] = field(default_factory=dict)  # ... with pronation suspected
    bottom: dict[str, Any] = field(default_factory=dict)  # medians over the bottom (core.evidence)
    pattern: tuple[str, ...] = ()  # which fault pattern a knee_inward failure fits (core.faults)
    evidence: dict[str, Any] = field(default_factory=dict)
    placement: tuple[str, ...] = ()  # camera placement problems raised during the rep (core.placement)
    gated: dict[str, str] = field(default_factory=dict)  # compared peak left empty -> why (core.validity)

    @property
    def passed(self) -> bool:
        return not self.failed

    def peak(self, metric_key: str) -> Peak:
        """The peak of ``metric_key`` (an empty Peak where it was not read)."""
        return self.peaks.get(metric_key) or Peak()

    def working_peak(self, metric: str) -> float | None:
        """The peak of a per-side metric (``"fppa"``, ``"knee_medial"``) on the
        working leg; see ``working_value``."""
        return working_value(self.leg, *(self.peak(key(metric, s)).value for s in SIDES))

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "fail"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(d.pop("peaks"))  # flat, one key per peak, as session files have always held them
        d["failed"] = list(self.failed)
        d["pattern"] = list(self.pattern)
        d["placement"] = list(self.placement)
        d["verdict"] = self.verdict
        d["depth"] = round(self.depth, 3)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Rep":
        """A rep as ``to_dict`` wrote it (extra keys, such as a session file's, ignored)."""
        fields = {k: data[k] for k in ("index", "leg", "start_frame", "start_t", "bottom_frame", "bottom_t",
                                       "end_frame", "end_t", "depth")}
        peaks = {k: Peak(**(data.get(k) or {})) for k in PEAK_KEYS}
        return cls(**fields, peaks=peaks, failed=tuple(data.get("failed") or ()),
                   foot_frames=dict(data.get("foot_frames") or {}),
                   pronation_frames=dict(data.get("pronation_frames") or {}),
                   bottom=dict(data.get("bottom") or {}), pattern=tuple(data.get("pattern") or ()),
                   evidence=dict(data.get("evidence") or {}),
                   placement=tuple(data.get("placement") or ()), gated=dict(data.get("gated") or {}))


def working_value(leg: str | None, left: float | None, right: float | None) -> float | None:
    """A rep's per-side value on its working leg: that leg's in a single-leg rep,
    the larger of the two in a two-footed one (None where neither was measured).
    The console's rep lines and the session report read peaks this way."""
    if leg == "left":
        return left
    if leg == "right":
        return right
    values = [v for v in (left, right) if v is not None]
    return max(values) if values else None


# Placement problems under which a frontal-plane angle says nothing comparable (core.placement):
# a rep filmed so is not one of the summary's worst.
MISPLACED = frozenset({"not_frontal", "turned"})


def misplaced(rep: Rep) -> tuple[str, ...]:
    """The placement problems that leave ``rep``'s frontal-plane numbers unreliable."""
    return tuple(p for p in rep.placement if p in MISPLACED)


def summarise(reps: list[Rep]) -> dict[str, Any]:
    """Reps per leg, pass/fail counts, failures per criterion and the worst of each
    compared peak (by magnitude where the table says so, the smallest where narrower
    is worse), of the reps filmed from where it can be measured (``misplaced``): the
    device's summary, a clip's and a session file's, from one place."""
    worst: dict[str, Any] = {}
    for k in COMPARED_PEAKS:
        best = None
        for r in reps:
            peak = r.peak(k)
            if peak.value is None or misplaced(r):
                continue
            size = abs(peak.value) if k in MAGNITUDE_PEAKS else -peak.value if k in LOWEST_PEAKS else peak.value
            if best is None or size > best[0]:
                best = (size, peak.value, r.index, peak.frame)
        worst[k] = None if best is None else {"value": best[1], "rep": best[2], "frame": best[3]}
    return {
        "reps": len(reps),
        "reps_per_leg": {leg: sum(r.leg == leg for r in reps) for leg in ("left", "right", "both")},
        "passed": sum(r.passed for r in reps),
        "failed": sum(not r.passed for r in reps),
        "failures": {c: sum(c in r.failed for r in reps) for c in CRITERIA},
        "worst": worst,
        "misplaced": [r.index for r in reps if misplaced(r)],  # reps left out of the worst (camera placement)
    }
