"""Drills: the device judges only what the athlete's drill is judged on, recognises the
drill when none is set, and a drill is a module of its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from firmware_py.app.build import build_pipeline
from firmware_py.core import drills
from firmware_py.core.settings import Thresholds
from firmware_py.core.vocabulary import DRILLS
from firmware_py.sources import make_source

PACKAGE = Path(__file__).resolve().parents[1] / "firmware_py"
BAND = "tfjs_bodyweight_squats_band_frontal.mp4"
SINGLE_LEG = ("hands_off_hips", "balance_lost", "pelvic_drop", "trunk_lean")


def scored_with(movenet, path, drill: str):
    pipeline = build_pipeline(movenet, thresholds=Thresholds().with_value("drill", drill))
    with make_source(str(path)) as source:
        scores = [pipeline.process(frame).score for frame in source]
    return pipeline.scorer, scores


@pytest.mark.media
@pytest.mark.parametrize("drill", ["squat", "auto"])
def test_two_footed_squats_are_judged_on_the_knees_alone(movenet, media, drill):
    """The band-squat clip alerted on trunk lean in 23% of its frames, with hands off the
    hips and balance lost, under the single-leg squat test's criteria."""
    scorer, scores = scored_with(movenet, media(BAND), drill)
    assert not [s.frame_index for s in scores if set(s.cue.reasons) & set(SINGLE_LEG)]
    assert sum(s.cue.level == "alert" for s in scores) <= 0.05 * len(scores)
    reps = scorer.reps
    assert reps and all(set(r.failed) <= {"knee_inward"} for r in reps)
    if drill == "auto":
        assert scorer.drill.name == "squat" and scorer.decision.evidence["depth"] >= 0.15  # a whole two-footed rep


@pytest.mark.media
def test_the_single_leg_squat_test_keeps_its_criteria(movenet, media):
    """The man clip's athlete clasps his hands in front: under the test (the default
    recognised) his reps fail on hands off the hips; under drill squat they do not."""
    scorer, _ = scored_with(movenet, media("sqd_single_leg_squat_man_frontal.mp4"), "auto")
    assert scorer.drill.name == "sls" and "held_s" in scorer.decision.evidence
    assert any("hands_off_hips" in r.failed for r in scorer.reps)
    squat, _ = scored_with(movenet, media("sqd_single_leg_squat_man_frontal.mp4"), "squat")
    assert squat.reps and not any("hands_off_hips" in r.failed for r in squat.reps)


def test_the_registry_holds_every_drill_the_vocabulary_names():
    assert tuple(drills.DRILLS) == DRILLS


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the module's package
                parts = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-node.level]
                base = ".".join((*parts, base)) if base else ".".join(parts)
            out |= {base, *(f"{base}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def test_a_drill_is_a_module_that_plugs_in_without_touching_the_wiring():
    """Each drill module declares its Drill; outside core.drills nothing imports a drill
    module, only the package's registry (``core.drills``) and its judge."""
    folder = PACKAGE / "core" / "drills"
    modules = {p.stem for p in folder.glob("*.py")} - {"__init__", "base", "judge", "auto"}
    assert modules == set(DRILLS)
    for name in modules:
        tree = ast.parse((folder / f"{name}.py").read_text())
        declared = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Drill"]
        assert len(declared) == 1, name
    private = {f"firmware_py.core.drills.{m}" for m in modules}
    for path in PACKAGE.rglob("*.py"):
        if folder in path.parents:
            continue
        assert not (_imports(path) & private), f"{path.relative_to(PACKAGE)} imports a drill by name"
