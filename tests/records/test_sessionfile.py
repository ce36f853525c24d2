"""Reading sessions back: whatever a power cut leaves, every completed rep is there."""

from __future__ import annotations

import json
import random

import pytest

from firmware_py.core.reps import Peak, Rep
from firmware_py.records.sessionfile import SessionWriter, find_session, read_session, session_files, to_csv


def rep(i: int, leg: str, failed=()) -> dict:
    r = Rep(i, leg, 10 * i, i * 1.0, 10 * i + 4, i + 0.4, 10 * i + 8, i + 0.8, 0.3 + i / 100,
            peaks={"fppa_left": Peak(5.0 + i, 10 * i + 4, i + 0.4), "pelvic_drop": Peak(2.5, 10 * i + 3, i + 0.3)},
            failed=tuple(failed))
    return {"type": "rep", **r.to_dict(), "clip": f"clips/rep-{i + 1:03d}.mp4" if failed else None}


def write_session(folder, reps=8):
    writer = SessionWriter(folder)
    writer.write({"type": "session", "id": folder.name, "athlete": "ana", "thresholds": {"fppa_alert": 12.0}},
                 sync=True)
    for i in range(reps):
        writer.write({"type": "trace", "t": [i + 0.0, i + 0.5], "frame": [10 * i, 10 * i + 5],
                      "fppa_left": [1.0, None], "fppa_right": [2.0, 3.0], "knee_medial_left": [0.1, 0.2],
                      "knee_medial_right": [0.0, 0.0], "pelvic_drop": [1.0, 2.0], "trunk_lean": [0.0, 1.0],
                      "stance": ["left", "left"], "level": ["ok", "warn"]})
        writer.write(rep(i, "left" if i % 2 else "right", () if i % 3 else ("knee_inward",)), sync=True)
    writer.write({"type": "end", "reason": "quiet", "reps": reps}, sync=True)
    writer.close()
    return writer.path


def test_a_whole_session_reads_back(tmp_path):
    path = write_session(tmp_path / "2026-01-01T10-00-00")
    s = read_session(path.parent)
    assert [r["index"] for r in s.reps] == list(range(8))
    assert s.summary()["reps_per_leg"] == {"left": 4, "right": 4, "both": 0}
    assert s.summary()["failed"] == 3 and s.summary()["complete"]
    assert s.trace["fppa_left"][:2] == [1.0, None] and len(s.trace["t"]) == 16
    assert not s.torn and s.damaged == 0


@pytest.mark.parametrize("zeros", [0, 4096])
def test_a_power_cut_anywhere_keeps_every_rep_written_before_it(tmp_path, zeros):
    """Cut the file at random byte offsets (and at every line boundary, one byte either
    side), optionally followed by the zero-filled block a journalled filesystem can
    leave: every rep whose line was complete is read back, and nothing else."""
    path = write_session(tmp_path / "s")
    data = path.read_bytes()
    ends, at = [], 0  # offset just past each rep line's closing brace
    for line in data.split(b"\n"):
        at += len(line)
        if line and json.loads(line)["type"] == "rep":
            ends.append(at)
        at += 1
    cuts = set(random.Random(7).sample(range(len(data)), 150))
    for boundary in [i for i, b in enumerate(data) if b == ord("\n")]:
        cuts |= {boundary - 1, boundary, boundary + 1}
    cut_file = tmp_path / "cut" / "session.jsonl"
    cut_file.parent.mkdir()
    for cut in sorted(c for c in cuts if 0 <= c <= len(data)):
        cut_file.write_bytes(data[:cut] + b"\0" * zeros)
        s = read_session(cut_file)
        expected = sum(end <= cut for end in ends)
        assert [r["index"] for r in s.reps] == list(range(expected)), cut
        assert s.damaged == 0, cut


def test_a_damaged_line_mid_file_is_skipped_and_counted(tmp_path):
    path = write_session(tmp_path / "s", reps=3)
    lines = path.read_bytes().split(b"\n")
    lines[2] = b'{"type":"rep","ind\xff garbage'
    path.write_bytes(b"\n".join(lines))
    s = read_session(path)
    assert s.damaged == 1 and len(s.reps) == 2 and not s.torn


def test_csv_export_has_one_row_per_rep_with_peaks_and_clip(tmp_path):
    s = read_session(write_session(tmp_path / "s", reps=3))
    rows = to_csv(s).splitlines()
    assert rows[0].startswith("rep,leg,verdict,failed,")
    assert len(rows) == 4
    first = dict(zip(rows[0].split(","), rows[1].split(",")))
    assert (first["rep"], first["leg"], first["verdict"], first["failed"]) == ("1", "right", "fail", "knee_inward")
    assert first["fppa_left"] == "5" and first["pelvic_drop"] == "2.5"


def test_sessions_are_found_by_id_prefix_or_last(tmp_path):
    root = tmp_path / "sessions"
    for name in ("2026-01-01T10-00-00", "2026-01-02T09-00-00", "2026-01-02T18-30-00"):
        write_session(root / name, reps=1)
    assert [p.parent.name for p in session_files(tmp_path)] == sorted(p.name for p in root.iterdir())
    assert find_session(root, "last").parent.name == "2026-01-02T18-30-00"
    write_session(root / "2026-01-03T07-00-00", reps=0)  # a restart's empty session
    assert find_session(root, "last").parent.name == "2026-01-02T18-30-00"
    assert find_session(root, "2026-01-01").parent.name == "2026-01-01T10-00-00"
    with pytest.raises(LookupError, match="could be any of"):
        find_session(root, "2026-01-02")
    with pytest.raises(LookupError, match="no session"):
        find_session(root, "2027")
