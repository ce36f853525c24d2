"""Told to write where it cannot, or to read a file that is not a session: one line on
stderr, a non-zero exit, and nothing written or overwritten (issue 26, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli import assert_one_line_error, kneecue

CLIP = Path(__file__).resolve().parents[1] / "firmware_py" / "demo" / "squats.mp4"


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_report_on_a_video_writes_no_page_and_keeps_the_one_beside_it(tmp_path):
    video = tmp_path / "squats.mp4"
    video.write_bytes(CLIP.read_bytes())
    (tmp_path / "report.html").write_text("the coach's page\n")
    before = _files(tmp_path)
    assert_one_line_error(kneecue("report", video), "squats.mp4", "not a session")
    assert _files(tmp_path) == before


def test_report_on_a_folder_whose_session_file_is_not_one_writes_nothing(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "session.jsonl").write_text('{"type":"rep","leg":"left"}\nnot json\n')
    before = _files(tmp_path)
    assert_one_line_error(kneecue("report", tmp_path / "s"), "not a session")
    assert _files(tmp_path) == before


@pytest.mark.parametrize("where", ["missing", "a file"])
def test_output_files_and_folders_that_cannot_be_made_are_one_line_before_any_work(tmp_path, where):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder\n")
    base = tmp_path / "no such folder" if where == "missing" else blocker
    before = _files(tmp_path)
    assert_one_line_error(kneecue("analyze", CLIP, "--json", "--out", base / "out.jsonl"), "--out", str(base))
    if where == "a file":  # (a missing folder is made for a report: only a file in the way stops one)
        assert_one_line_error(kneecue("analyze", CLIP, "--report", base / "session"), "--report", str(base))
        assert_one_line_error(kneecue("report", CLIP, "--out", base / "pages"), "--out", str(base))
    assert_one_line_error(kneecue("run", "--source", "synthetic:squats", "--gpio", "mock", "--no-record",
                                  "--events", base / "events.jsonl"), "--events", str(base))
    assert _files(tmp_path) == before and not (tmp_path / "no such folder").exists()


def test_a_report_folder_that_is_a_file_is_refused(tmp_path):
    taken = tmp_path / "report"
    taken.write_text("not a folder\n")
    assert_one_line_error(kneecue("analyze", CLIP, "--report", taken), "--report", "not a folder")
    assert taken.read_text() == "not a folder\n"
