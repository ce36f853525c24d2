"""``kneecue eval``'s second table: does ``drill auto`` recognise what each clip shows?

The labels (``tests/eval/drills.csv``) name the drill each shared clip shows, written
from the clips; a clip showing something KneeCue has no drill for (hops, a dance, a
balance trial) is listed, not scored.  For the others the verdict is ``agree`` (the
drill recognised by the clip's end is the labelled one), ``undecided`` (auto never
chose: the device judged only the knees, which every drill with reps judges) or
``wrong``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from firmware_py.core.scorer import FrameScore
from firmware_py.core.vocabulary import DRILLS
from firmware_py.errors import KneeCueError


@dataclass(frozen=True)
class DrillResult:
    clip: str
    labelled: str
    recognised: str  # the drill judged at the clip's end ("auto": none chosen)
    from_frame: int | None  # where it was first judged
    evidence: dict[str, Any] | None

    @property
    def verdict(self) -> str:
        if self.labelled not in DRILLS:
            return "not a drill"
        if self.recognised == "auto":
            return "undecided"
        return "agree" if self.recognised == self.labelled else "wrong"

    def to_dict(self) -> dict[str, Any]:
        return {"clip": self.clip, "labelled": self.labelled, "recognised": self.recognised,
                "from_frame": self.from_frame, "evidence": self.evidence, "verdict": self.verdict}


def default_drill_labels() -> Path | None:
    path = Path(__file__).resolve().parents[2] / "tests" / "eval" / "drills.csv"
    return path if path.is_file() else None


def read_drill_labels(path: str | Path) -> dict[str, str]:
    labels = {}
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(line for line in f if line.strip() and not line.lstrip().startswith("#"))
        for n, row in enumerate(rows, 1):
            if len(row) != 3:
                raise KneeCueError(f"{path}: row {n} has {len(row)} fields, expected clip,drill,reason")
            labels[row[0].strip()] = row[1].strip()
    return labels


def judge_drill(clip: str, labelled: str, scores: Sequence[FrameScore]) -> DrillResult:
    last = scores[-1] if scores else None
    recognised = "auto" if last is None else last.drill
    first = next((s.frame_index for s in scores if s.drill == recognised), None) if recognised != "auto" else None
    decided = None if last is None or last.decided is None else dict(last.decided.evidence)
    return DrillResult(clip, labelled, recognised, first, decided)


def format_drill_table(results: Sequence[DrillResult]) -> str:
    head = f"{'clip':58s} {'labelled':>9s} {'auto':>7s} {'from':>6s}  verdict"
    lines = [head, "-" * len(head)]
    for r in results:
        frame = "–" if r.from_frame is None else str(r.from_frame)
        lines.append(f"{r.clip[:58]:58s} {r.labelled:>9s} {r.recognised:>7s} {frame:>6s}  {r.verdict}")
    scored = [r for r in results if r.verdict != "not a drill"]
    counts = {v: sum(r.verdict == v for r in scored) for v in ("agree", "undecided", "wrong")}
    lines.append("-" * len(head))
    lines.append(f"drill auto on {len(scored)} clips with a drill: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
    return "\n".join(lines)
