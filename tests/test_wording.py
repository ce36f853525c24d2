"""The coach's words (firmware_py.wording): every notice the procedures give is worded,
from its data alone, as the console, analyze and calibrate print it."""

from __future__ import annotations

import dataclasses
import json

import pytest
from scripted import a_rep

from firmware_py.core.procedures import KINDS, GuidedCalibration, Notice, SingleLegSquatTest
from firmware_py.core.rep import Rep
from firmware_py.core.scorer import Scorer
from firmware_py.fakes.sequences import Fault, squats
from firmware_py.fakes.stickfigure import shoot
from firmware_py.wording import notice_text, rep_line
from firmware_py.wording.notices import WORDS

SIZE = (1280, 960)


def _sls(test, session):
    scorer, out = Scorer(), []
    for i, (t, pose) in enumerate(session):
        out += test.update(scorer.update(pose, i, t, SIZE).rep, t)
        if test.done:
            break
    return out


def _calibration(guided, pose, seconds):
    out = []
    for i in range(int(30 * seconds)):
        out += guided.update(pose, i / 30.0)
    return out


def as_a_script_reads_it(notice):
    """The notice back from the JSON the console prints in JSON mode."""
    data = json.loads(json.dumps({"notice": notice.to_dict()}))["notice"]
    return Notice(data.pop("kind"), data)


@pytest.mark.parametrize("depth", [0.13451, 0.2449, 0.3])
def test_a_rep_reads_the_same_live_and_from_its_record(depth):
    """`reps` words a Rep live, or the session file's record of it; a test's notice
    carries the record.  0.13451 is recorded as 0.135: all three say depth 0.14."""
    rep = dataclasses.replace(a_rep(0, 10, 30, failed=("knee_inward",)), depth=depth)
    recorded = Rep.from_dict(json.loads(json.dumps(rep.to_dict())))
    assert rep_line(rep) == rep_line(recorded)
    assert f"depth {round(depth, 3):.2f}," in rep_line(rep)


def test_every_kind_of_notice_has_its_words():
    assert set(WORDS) == set(KINDS)


def test_an_unknown_notice_still_says_what_it_holds():
    assert notice_text(Notice("made_up", {"x": 1})) == "made up: {'x': 1}"


def test_every_procedure_notice_reads_the_same_from_its_json():
    """A script on the console's JSON gets all a line says: reps, verdicts, patterns,
    the calibration's problems and result."""
    notices = _sls(SingleLegSquatTest("left", 3), squats(3, side="left", faults={1: Fault(valgus=20.0)}))
    ignored = SingleLegSquatTest("right", 2, idle_s=30.0)
    notices += _sls(ignored, squats(2, side="left")) + ignored.update(None, 100.0)
    notices += _calibration(GuidedCalibration(countdown_s=1, duration_s=1.0), shoot(), 3)
    hidden = shoot()
    hidden[5:7, 2] = 0.1  # shoulders unseen
    failing = GuidedCalibration(countdown_s=1, duration_s=1.0, timeout_s=2.0)
    notices += _calibration(failing, hidden, 4) + GuidedCalibration().cancel()
    assert {n.kind for n in notices} == {k for k in KINDS if not k.startswith("ankle")}  # ankle: test_ankle
    for n in notices:
        assert notice_text(as_a_script_reads_it(n)) == notice_text(n)
    texts = [notice_text(n) for n in notices]
    assert any(t.startswith("  rep 2/3: FAIL (knee inward") for t in texts)
    assert any(t.startswith("test stopped: no right-leg rep for 30 s: right leg incomplete, 0 of 0") for t in texts)
    assert "  not trusted (left shoulder, right shoulder unseen): starting over" in texts
    assert "calibration failed (not trusted) after 2 s; nothing changed" in texts


def test_a_two_footed_rep_line_gives_the_knee_separation_that_judged_it_not_fppa():
    """Issue 26: each two-footed rep read `FPPA – pelvis –`; the separation ratio that
    decided the verdict appeared only in --json."""
    from firmware_py.core.rep import Peak, Rep
    from firmware_py.wording import rep_line

    rep = Rep(0, "both", 0, 0.0, 10, 0.3, 20, 0.7, 0.4, failed=("knee_inward",))
    rep.peaks["knee_separation_ratio"] = Peak(0.62, 10, 0.3)
    line = rep_line(rep)
    assert "knee separation 0.62 (narrowest)" in line and "FPPA" not in line and "pelvic" not in line
    rep.peaks["knee_over_toe_right"] = Peak(0.18, 11, 0.33)
    assert "knee over toes +0.18" in rep_line(rep)
    one = Rep(1, "left", 0, 0.0, 10, 0.3, 20, 0.7, 0.3)
    assert "FPPA" in rep_line(one) and "separation" not in rep_line(one)
