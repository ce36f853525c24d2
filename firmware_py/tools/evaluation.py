"""``kneecue eval``: the device's knee judgement against labels made by eye.

The labels (``tests/eval/labels.csv``) were written by looking at the frames of
each shared clip, before any threshold was tuned: per clip, per leg, frame ranges
labelled ``valgus`` (the loaded knee falls inside the foot), ``over_foot`` (the
loaded knee tracks over the foot) or ``not_judgeable`` (free leg, hidden, side
view, borderline), each with a one-line reason.  A label is never changed to fit
a result; where one was wrong, the commit that changes it says what the frames show.

What is counted, per clip and in total:

* **caught**: labelled valgus frames on which that leg's knee cue is at alert
  level (knee-valgus or knee-inside-foot: what makes the buzzer sound);
* **false alerts**: labelled over-the-foot frames on which that leg's knee cue
  is at alert level; and, beside it, **buzz**: the share of frames with a leg
  labelled over the foot (and none valgus) on which the device is at alert level
  for any reason, which is what the athlete hears (a trunk lean may be a real
  fault the knee labels say nothing about, so this is shown, not judged);
* **rep verdicts**: a rep whose working leg(s) have a valgus frame should fail on
  ``knee_inward``; one whose working leg(s) are over the foot on every frame
  should not.  Other reps (a borderline or hidden stretch, no valgus) are not counted.

Pure apart from ``score_clip``, which the caller passes in (the CLI runs the real
model; the tests share their scored footage).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from firmware_py.core.scorer import FrameScore
from firmware_py.core.settings import Thresholds
from firmware_py.errors import KneeCueError
from firmware_py.system.jsonedge import dumps

__all__ = ["LABELS", "Label", "ClipResult", "read_labels", "judge_clip", "evaluate", "format_table",
           "knee_alert", "default_labels_path"]

LABELS = ("valgus", "over_foot", "not_judgeable")
_LEGS = ("left", "right")


class LabelError(KneeCueError, ValueError):
    """A labels file is malformed: unknown label or leg, bad range, overlap."""


@dataclass(frozen=True)
class Label:
    clip: str
    leg: str
    first: int
    last: int
    label: str
    reason: str


def default_labels_path() -> Path | None:
    """The repository's labels, when running from a checkout (None when installed)."""
    path = Path(__file__).resolve().parents[2] / "tests" / "eval" / "labels.csv"
    return path if path.is_file() else None


def read_labels(path: str | Path) -> dict[str, list[Label]]:
    """Clip name -> its labels, in file order.  Lines starting with ``#`` are comments."""
    labels: dict[str, list[Label]] = {}
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(line for line in f if line.strip() and not line.lstrip().startswith("#"))
        for n, row in enumerate(rows, 1):
            if len(row) != 6:
                raise LabelError(f"{path}: row {n} has {len(row)} fields, expected "
                                 "clip,leg,first,last,label,reason")
            clip, leg, first, last, label, reason = (cell.strip() for cell in row)
            if leg not in _LEGS or label not in LABELS:
                raise LabelError(f"{path}: row {n}: leg must be left/right and label one of "
                                 f"{', '.join(LABELS)} (got {leg!r}, {label!r})")
            try:
                a, b = int(first), int(last)
            except ValueError:
                raise LabelError(f"{path}: row {n}: frames must be whole numbers") from None
            if not 0 <= a <= b:
                raise LabelError(f"{path}: row {n}: need 0 <= first <= last (got {a}, {b})")
            labels.setdefault(clip, []).append(Label(clip, leg, a, b, label, reason))
    for clip, rows_of_clip in labels.items():
        for leg in _LEGS:
            spans = sorted((r.first, r.last) for r in rows_of_clip if r.leg == leg)
            for (_, end), (start, _) in zip(spans, spans[1:]):
                if start <= end:
                    raise LabelError(f"{path}: {clip} {leg}: ranges overlap at frame {start}")
    return labels


PATTERN_LABELS = ("hip", "ankle", "pronation", "feet_in", "unclear")
# the device's pattern names (core.faults) as the pattern labels name them
_AS_LABEL = {"hip": "hip", "ankle": "ankle", "feet_in": "feet_in", "pronation_suspected": "pronation"}


def read_patterns(path: str | Path) -> dict[str, list[Label]]:
    """``tests/eval/patterns.csv``: the lead pattern of each labelled valgus stretch, by
    eye (clip,leg,first,last,pattern,reason); a Label whose ``label`` is the pattern."""
    out: dict[str, list[Label]] = {}
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(line for line in f if line.strip() and not line.lstrip().startswith("#"))
        for n, row in enumerate(rows, 1):
            if len(row) != 6 or row[1].strip() not in _LEGS or row[4].strip() not in PATTERN_LABELS:
                raise LabelError(f"{path}: row {n}: expected clip,leg,first,last,pattern,reason with a leg of "
                                 f"left/right and a pattern of {', '.join(PATTERN_LABELS)}")
            clip, leg, first, last, pattern, reason = (cell.strip() for cell in row)
            try:
                a, b = int(first), int(last)
            except ValueError:
                raise LabelError(f"{path}: row {n}: frames must be whole numbers") from None
            out.setdefault(clip, []).append(Label(clip, leg, a, b, pattern, reason))
    return out


def lead_label(rep) -> str:
    """A failed rep's leading pattern as the pattern labels name it ("unclear": none named)."""
    return _AS_LABEL.get(rep.pattern[0], rep.pattern[0]) if rep.pattern else "unclear"


def _per_frame(labels: Iterable[Label], leg: str, frames: int) -> list[str | None]:
    out: list[str | None] = [None] * frames
    for lab in labels:
        if lab.leg == leg:
            for i in range(lab.first, min(lab.last, frames - 1) + 1):
                out[i] = lab.label
    return out


def knee_alert(score: FrameScore, leg: str) -> bool:
    """Whether ``leg``'s knee cue is at alert level on this frame."""
    levels = dict(score.cue.levels)
    return levels.get("knee_valgus_" + leg) == "alert" or levels.get("knee_inside_foot_" + leg) == "alert"


@dataclass
class ClipResult:
    clip: str
    frames: int
    valgus: int = 0
    caught: int = 0
    fine: int = 0
    false_alerts: int = 0
    quiet: int = 0  # frames with a leg over the foot and none valgus
    buzz: int = 0  # ... of them at alert level for any reason
    reps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def leads_judged(self) -> int:
        return sum(r.get("lead_expected") is not None for r in self.reps)

    @property
    def leads_agree(self) -> int:
        return sum(r.get("lead_expected") is not None and r["lead_expected"] == r["lead"] for r in self.reps)

    @property
    def reps_judged(self) -> int:
        return sum(r["expected"] is not None for r in self.reps)

    @property
    def reps_agree(self) -> int:
        return sum(r["expected"] is not None and r["expected"] == r["got"] for r in self.reps)

    def to_dict(self) -> dict[str, Any]:
        return {"clip": self.clip, "frames": self.frames, "valgus_frames": self.valgus, "caught": self.caught,
                "fine_frames": self.fine, "false_alerts": self.false_alerts, "quiet_frames": self.quiet,
                "buzz": self.buzz, "reps": self.reps}


def judge_clip(clip: str, labels: Sequence[Label], scores: Sequence[FrameScore],
               patterns: Sequence[Label] = ()) -> ClipResult:
    """Count one scored clip against its labels (see the module docstring), and each rep
    that failed on the knee over a stretch with a pattern label against that label."""
    n = len(scores)
    by_leg = {leg: _per_frame(labels, leg, n) for leg in _LEGS}
    result = ClipResult(clip, n)
    for i, score in enumerate(scores):
        here = (by_leg["left"][i], by_leg["right"][i])
        if "over_foot" in here and "valgus" not in here:
            result.quiet += 1
            result.buzz += score.cue.level == "alert"
        for leg in _LEGS:
            label = by_leg[leg][i]
            if label == "valgus":
                result.valgus += 1
                result.caught += knee_alert(score, leg)
            elif label == "over_foot":
                result.fine += 1
                result.false_alerts += knee_alert(score, leg)
    for score in scores:
        rep = score.rep
        if rep is None:
            continue
        legs = (rep.leg,) if rep.leg in _LEGS else _LEGS
        seen = {by_leg[leg][i] for leg in legs for i in range(rep.start_frame, min(rep.end_frame, n - 1) + 1)}
        expected = "fail" if "valgus" in seen else "pass" if seen == {"over_foot"} else None
        got = "fail" if "knee_inward" in rep.failed else "pass"
        entry = {"rep": rep.index + 1, "leg": rep.leg, "start": rep.start_frame, "end": rep.end_frame,
                 "expected": expected, "got": got}
        if got == "fail":
            marked = {p.label for p in patterns if p.leg in legs and p.first <= rep.end_frame
                      and rep.start_frame <= p.last}
            entry["lead"] = lead_label(rep)
            entry["lead_expected"] = marked.pop() if len(marked) == 1 else None
        result.reps.append(entry)
    return result


def evaluate(labels: dict[str, list[Label]],
             score_clip: Callable[[str], Sequence[FrameScore] | None],
             patterns: dict[str, list[Label]] | None = None) -> list[ClipResult]:
    """Each labelled clip scored by ``score_clip(name)`` (None: missing, skipped) and judged."""
    results = []
    for clip in sorted(labels):
        scores = score_clip(clip)
        if scores is not None:
            results.append(judge_clip(clip, labels[clip], scores, (patterns or {}).get(clip, ())))
    return results


def _ratio(part: int, whole: int) -> str:
    return "-" if whole == 0 else f"{part}/{whole}"


def _pct(part: int, whole: int) -> str:
    return "-" if whole == 0 else f"{100.0 * part / whole:.0f}%"


def format_table(results: Sequence[ClipResult]) -> str:
    """The table docs/judgement.md shows: per clip, then the total."""
    head = (f"{'clip':58s} {'valgus':>7s} {'caught':>7s} {'fine':>6s} {'false':>7s} {'buzz':>6s} {'reps ok':>8s}"
            f" {'lead':>5s}")
    lines = [head, "-" * len(head)]
    total = ClipResult("total", 0)
    agree = judged = leads = leads_judged = 0
    for r in results:
        lines.append(f"{r.clip[:58]:58s} {r.valgus:7d} {_pct(r.caught, r.valgus):>7s} {r.fine:6d} "
                     f"{_pct(r.false_alerts, r.fine):>7s} {_pct(r.buzz, r.quiet):>6s} "
                     f"{f'{r.reps_agree}/{r.reps_judged}':>8s} {_ratio(r.leads_agree, r.leads_judged):>5s}")
        total.quiet += r.quiet
        total.buzz += r.buzz
        total.valgus += r.valgus
        total.caught += r.caught
        total.fine += r.fine
        total.false_alerts += r.false_alerts
        agree += r.reps_agree
        judged += r.reps_judged
        leads += r.leads_agree
        leads_judged += r.leads_judged
    lines.append("-" * len(head))
    lines.append(f"{'total':58s} {total.valgus:7d} {_pct(total.caught, total.valgus):>7s} {total.fine:6d} "
                 f"{_pct(total.false_alerts, total.fine):>7s} {_pct(total.buzz, total.quiet):>6s} "
                 f"{f'{agree}/{judged}':>8s} {_ratio(leads, leads_judged):>5s}")
    wrong = [(r.clip, rep) for r in results for rep in r.reps
             if rep["expected"] is not None and rep["expected"] != rep["got"]]
    for clip, rep in wrong:
        lines.append(f"  rep {rep['rep']} of {clip} ({rep['leg']}, frames {rep['start']}-{rep['end']}): "
                     f"labels say {rep['expected']}, the device says {rep['got']} on the knee")
    for r in results:
        for rep in r.reps:
            if rep.get("lead_expected") is not None and rep["lead_expected"] != rep["lead"]:
                lines.append(f"  rep {rep['rep']} of {r.clip} ({rep['leg']}): the frames show {rep['lead_expected']},"
                             f" the device says {rep['lead']}")
    lines.append("valgus: labelled valgus frames (per leg); caught: share with that knee's alert on; "
                 "fine: labelled over-the-foot frames (per leg); false: share of those with that knee's "
                 "alert on; buzz: share of frames with a knee over the foot (none valgus) at alert level "
                 "for any reason; lead: failed reps whose leading pattern (or \"unclear\") agrees with "
                 "the pattern labelled from the frames (tests/eval/patterns.csv)")
    return "\n".join(lines)


def cmd_eval(args: argparse.Namespace) -> int:
    from firmware_py.app.build import build_foot_stage, build_model, build_pipeline
    from firmware_py.sources import make_source
    from firmware_py.sources.opencv import StillImage
    from firmware_py.tools.analyze import with_settings

    labels_path = args.labels or default_labels_path()
    if labels_path is None:
        raise KneeCueError("no labels file given and no tests/eval/labels.csv beside the package")
    media = args.media or os.environ.get("KNEECUE_MEDIA_DIR")
    if not media or not Path(media).is_dir():
        raise KneeCueError("the clips are not found: give --media DIR or set KNEECUE_MEDIA_DIR "
                           "(the shared footage, ../shared/media beside a checkout)")
    labels = read_labels(labels_path)
    thresholds = with_settings(Thresholds(), args.settings)
    model = build_model(args.model, threads=args.threads, runtime=args.runtime)
    missing = []

    from firmware_py.app.build import scripted
    from firmware_py.tools.drilleval import default_drill_labels, format_drill_table, judge_drill, read_drill_labels
    scored: dict[str, list] = {}

    def score_clip(name: str):
        path = Path(media) / name
        if not path.is_file():
            missing.append(name)
            return None
        if name in scored:
            return scored[name]
        source = make_source(str(path))
        # the defaults (and --set), never a saved athlete's thresholds or calibration
        pipeline = build_pipeline(None if scripted(source) else model, still=isinstance(source, StillImage),
                                  thresholds=thresholds,
                                  feet=build_foot_stage(args.feet, threaded=False, runtime=args.runtime))
        with source:
            scored[name] = [pipeline.process(frame).score for frame in source]
        return scored[name]

    patterns_path = Path(labels_path).with_name("patterns.csv")
    patterns = read_patterns(patterns_path) if patterns_path.is_file() else {}
    results = evaluate(labels, score_clip, patterns)
    drill_labels = read_drill_labels(default_drill_labels()) if default_drill_labels() else {}
    # the drill of each clip scored for the labels, and (with the default labels) of the
    # clips only the drill labels name, such as the rear-view running pose file
    wanted = [c for c in sorted(drill_labels) if c in labels or args.labels is None]
    drills = [judge_drill(clip, drill_labels[clip], scores) for clip in wanted
              if (scores := score_clip(clip)) is not None]
    if args.json:
        for r in results:
            print(dumps(r.to_dict(), compact=False))
        for d in drills:
            print(dumps({"drill": d.to_dict()}, compact=False))
    else:
        changed = ", ".join(args.settings)
        print(f"labels {labels_path}, default thresholds{' but ' + changed if changed else ''}, feet {args.feet}")
        print(format_table(results))
        if drills:
            print()
            print(format_drill_table(drills))
    for name in missing:
        print(f"kneecue: {name} is not in {media}: skipped", file=sys.stderr)
    return 1 if missing else 0
