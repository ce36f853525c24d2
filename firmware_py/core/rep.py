"""What a completed squat rep is: its frames, depth, per-metric peaks and verdict.

``core.reps`` segments reps and judges them; this module holds only the record
itself, which the session files, the console, the report and the device read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Peak", "Rep", "working_value"]


@dataclass
class Peak:
    """The largest value of a metric during a rep, and where it happened."""

    value: float | None = None
    frame: int | None = None
    t: float | None = None

    def offer(self, value: float | None, frame: int, t: float, magnitude: bool = False) -> None:
        """Keep ``value`` if it is the largest so far (by absolute value if ``magnitude``)."""
        if value is None:
            return
        if self.value is None or (
            abs(value) > abs(self.value) if magnitude else value > self.value
        ):
            self.value, self.frame, self.t = value, frame, t


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
    fppa_left: Peak = field(default_factory=Peak)
    fppa_right: Peak = field(default_factory=Peak)
    knee_medial_left: Peak = field(default_factory=Peak)
    knee_medial_right: Peak = field(default_factory=Peak)
    pelvic_drop: Peak = field(default_factory=Peak)
    trunk_lean: Peak = field(default_factory=Peak)  # largest |lean|, signed value kept
    failed: tuple[str, ...] = ()
    hip_drift: Peak = field(default_factory=Peak)
    foot_turnout_rel_left: Peak = field(default_factory=Peak)
    foot_turnout_rel_right: Peak = field(default_factory=Peak)
    foot_frames: dict[str, int] = field(default_factory=dict)  # frames each foot was read
    pronation_frames: dict[str, int] = field(default_factory=dict)  # ... with pronation suspected
    pattern: tuple[str, ...] = ()  # which fault pattern a knee_inward failure fits (core.faults)
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.failed

    def working_peak(self, metric: str) -> float | None:
        """The peak of a per-side metric (``"fppa"``, ``"knee_medial"``) on the
        working leg; see ``working_value``."""
        return working_value(self.leg, getattr(self, metric + "_left").value,
                             getattr(self, metric + "_right").value)

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "fail"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["failed"] = list(self.failed)
        d["pattern"] = list(self.pattern)
        d["verdict"] = self.verdict
        d["depth"] = round(self.depth, 3)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Rep":
        """A rep as ``to_dict`` wrote it (extra keys, such as a session file's, ignored)."""
        fields = {k: data[k] for k in ("index", "leg", "start_frame", "start_t", "bottom_frame", "bottom_t",
                                       "end_frame", "end_t", "depth")}
        peaks = {k: Peak(**(data.get(k) or {})) for k in ("fppa_left", "fppa_right", "knee_medial_left",
                                                          "knee_medial_right", "pelvic_drop", "trunk_lean",
                                                          "hip_drift", "foot_turnout_rel_left",
                                                          "foot_turnout_rel_right")}
        return cls(**fields, **peaks, failed=tuple(data.get("failed") or ()),
                   foot_frames=dict(data.get("foot_frames") or {}),
                   pronation_frames=dict(data.get("pronation_frames") or {}),
                   pattern=tuple(data.get("pattern") or ()), evidence=dict(data.get("evidence") or {}))


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
