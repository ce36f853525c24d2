"""What judged a rep is what a user reads (issue 26, item 4): a two-footed squat by its
knee separation and its knees over the toes, every empty number with its reason, and a
rep filmed with the camera side-on said so and kept out of the summary's worst."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_cli import kneecue

from firmware_py.core.rep import Peak, Rep, summarise

DEMO = Path(__file__).resolve().parents[1] / "firmware_py" / "demo" / "squats.mp4"
REP = re.compile(r"^rep +\d+ +(\w+) +frames .*$", re.M)


def test_the_demo_squats_read_by_knee_separation_in_every_output(model_path, tmp_path):
    result = kneecue("analyze", "--feet", "off", DEMO, "--report", tmp_path / "session")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    reps = [m.group(0) for m in REP.finditer(out)]
    assert len(reps) == 3 and all(" both " in r for r in reps)
    seps = [float(re.search(r"knee sep (\d\.\d\d) @\d+", r).group(1)) for r in reps]  # every rep shows its number
    assert all("FPPA" not in r and "pelvis" not in r for r in reps)
    assert all("over toes – (no foot model: --feet lite or full)" in r for r in reps)  # empty, and why
    assert f"knee sep (narrowest) {min(seps):.2f} (rep {seps.index(min(seps)) + 1})" in out
    # the table: once auto has recognised squats, its columns are the squat's, and a knee
    # column empty on two feet says so rather than a bare dash
    after = out[out.index("drill squat"):]
    header = after.splitlines()[1]
    assert "knee sep" in header and "pelvis" not in header
    assert "empty cells:" in out and "2-ft = two-footed" in out
    rows = [line.split() for line in after.splitlines() if re.match(r"^ +\d+ +\d+\.\d\d ", line)]
    two_footed = [row for row in rows if row[-2] == "both" or row[-3] == "both"]
    assert two_footed and sum(row[2] == "2-ft" for row in two_footed) >= 0.8 * len(two_footed)
    # the report: a both-feet row with the knee separation's median and narrowest, the rep
    # table's empty FPPA with its reason, the separation plotted
    page = (tmp_path / "session" / "report.html").read_text()
    both = re.search(r'<tr data-leg="both">(.*?)</tr>', page).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", both)
    assert cells[:2] == ["both", "3"] and f"{sorted(seps)[1]:.2f} / {min(seps):.2f}" in cells
    assert "– (two-footed: judged by knee separation)" in cells
    assert 'alt="Knee separation on two feet (narrower is worse)"' in page


def test_a_side_on_squat_says_so_and_its_angle_is_not_the_worst(model_path, media):
    result = kneecue("analyze", "--feet", "off", media("lnc_overhead_squat_oblique_side_good_IMG_7034.mov"), "--brief")
    assert result.returncode == 0, result.stderr
    reps = [m.group(0) for m in REP.finditer(result.stdout)]
    assert reps and all("[camera side-on or oblique: angles unreliable, not in the worst]" in r for r in reps)
    summary = result.stdout[result.stdout.index(reps[-1]) + len(reps[-1]):]
    assert "fppa" not in summary and "worst:" not in summary
    assert "filmed side-on, oblique or turned" in summary and "left out of the worst" in summary


def _rep(i: int, leg: str, placement=(), **peaks) -> Rep:
    return Rep(i, leg, 10 * i, i, 10 * i + 4, i + 0.4, 10 * i + 8, i + 0.8, 0.3, placement=placement,
               peaks={k: Peak(v, 10 * i + 4, i + 0.4) for k, v in peaks.items()})


def test_the_worst_separation_is_the_narrowest_and_a_misplaced_rep_is_not_compared():
    reps = [_rep(0, "both", knee_separation_ratio=1.1, fppa_left=5.0),
            _rep(1, "both", knee_separation_ratio=0.85, fppa_left=8.0),
            _rep(2, "left", ("not_frontal",), knee_separation_ratio=0.5, fppa_left=106.8),
            _rep(3, "left", ("too_small",), fppa_left=9.0)]  # small in frame: shown, still compared
    summary = summarise(reps)
    assert summary["worst"]["knee_separation_ratio"]["value"] == pytest.approx(0.85)
    assert summary["worst"]["fppa_left"] == {"value": 9.0, "rep": 3, "frame": 34}
    assert summary["misplaced"] == [2]
    assert Rep.from_dict(reps[2].to_dict()).placement == ("not_frontal",)
