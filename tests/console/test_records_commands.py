"""The console's session-record commands against a real recorder fed a scripted stream."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from scripted import a_rep, clock, describe, frames, outcome

from firmware_py.console.session import ConsoleSession
from firmware_py.device.config import DeviceConfig
from firmware_py.device.state import Device
from firmware_py.records.recorder import Recorder


class Coach:
    def __init__(self, folder, recording=True):
        self.now = 0.0
        self.device = Device(DeviceConfig(), state_dir=folder, clock=lambda: self.now)
        self.recorder = None
        if recording:
            self.recorder = Recorder(folder / "sessions", describe=describe, lossless=True, clock=clock())
            self.device.recorder = self.recorder
        self.session = ConsoleSession(self.device)

    def feed(self, stream, n):
        for frame, result in itertools.islice(stream, n):
            if self.recorder is not None:
                self.recorder.on_frame(outcome(frame, result))
            if result.score.rep is not None:
                self.device.mailbox.reps.append(result.score.rep)
        if self.recorder is not None:
            assert self.recorder.caught_up()

    def reply(self, line: str) -> str:
        self.now += 0.5
        out = self.session.receive(line.encode() + b"\r", self.now).decode().split("\r\n")
        return "\n".join(out[1:-1])


@pytest.fixture
def coach(tmp_path):
    c = Coach(tmp_path)
    yield c
    c.recorder.close()


REPS = {30: a_rep(0, 10, 30, ("knee_inward",)), 60: a_rep(1, 45, 60), 90: a_rep(2, 70, 90, ("trunk_sway",))}


def test_reps_reads_the_current_session_and_a_new_session_starts_empty(coach):
    stream = frames(200, reps=REPS)
    assert coach.reply("reps") == "no session under way: 'sessions' lists the recorded ones, 'export last' prints one"
    coach.feed(stream, 100)
    lines = coach.reply("reps 2").splitlines()
    assert lines[0].startswith("#2 left pass: depth 0.30, FPPA +16.0")
    assert lines[1].startswith("#3 left FAIL (trunk sway)")
    assert coach.reply("session").startswith("recording 2026-03-01T09-00-00: 3 reps, 2 failed")
    assert "recording: session 2026-03-01T09-00-00" in coach.reply("status").splitlines()
    assert coach.reply("session start") == "a new session starts now"
    coach.feed(stream, 10)
    assert coach.reply("reps") == "no reps yet in this session"
    assert coach.reply("reps x") == "error: usage: reps [N]"


def test_session_start_where_no_session_folder_can_be_made_says_none_started(tmp_path):
    """Issue 28 item 13: on a state folder it cannot write (a read-only card; here a file
    stands where the sessions folder would be made), no session starts, and it says so."""
    (tmp_path / "sessions").write_text("not a folder")
    coach = Coach(tmp_path)
    try:
        said = coach.reply("session start")
        assert said.startswith(f"error: no session started: cannot start a session in {tmp_path / 'sessions'}/")
        assert coach.reply("session") == "no session under way"
    finally:
        coach.recorder.close()


def test_sessions_lists_them_with_state_and_export_prints_csv(coach):
    stream = frames(300, reps=REPS)
    coach.feed(stream, 100)
    assert coach.reply("session end") == "the session ends now"
    coach.feed(stream, 5)
    listing = coach.reply("sessions").splitlines()
    assert listing == ["2026-03-01T09-00-00  ana: 3 reps (3 left), 2 failed  [console]"]
    rows = list(csv.DictReader(io.StringIO(coach.reply("export"))))
    assert [(r["rep"], r["verdict"], r["failed"]) for r in rows] == [
        ("1", "fail", "knee_inward"), ("2", "pass", ""), ("3", "fail", "trunk_sway")]
    assert rows[0]["clip"] == "clips/rep-001.mp4" and rows[1]["clip"] == ""
    assert coach.reply("export 2027") == (
        f"error: no session '2027' in {coach.recorder.root}; 'sessions' lists them")


def test_export_names_recorded_sessions_only_and_reads_a_huge_file_in_little_memory(coach, tmp_path):
    """Issue 28 item 6: export took any path (an existence oracle for files the service
    could read) and read a session file whole on the console's thread."""
    import tracemalloc

    coach.feed(frames(100, reps=REPS), 100)
    coach.reply("session end")
    secret = tmp_path / "secret.txt"
    secret.write_text("rep,leg\nnot a session\n")
    for name in (str(secret), str(tmp_path / "nonexistent"), "../secret.txt", "/etc/passwd"):
        assert coach.reply(f"export {name}") == (
            f"error: no session {name!r} in {coach.recorder.root}; 'sessions' lists them")
    # a session file with a 40 MB line in it (junk, or a line a bug wrote): skipped, never held whole
    (path,) = coach.recorder.sessions
    with open(path, "ab") as f:
        f.write(b'{"type":"rep","junk":"' + b"x" * (40 << 20) + b'"}\n')
    tracemalloc.start()
    try:
        rows = list(csv.DictReader(io.StringIO(coach.reply("export last"))))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(r["rep"], r["verdict"]) for r in rows] == [("1", "fail"), ("2", "pass"), ("3", "fail")]
    assert peak < 8 << 20, peak  # a fifth of that one line; read whole, the file took 120 MB


def test_without_recording_reps_come_from_the_loop_and_session_says_why(tmp_path):
    coach = Coach(tmp_path, recording=False)
    coach.feed(frames(100, reps=REPS), 100)
    assert coach.reply("reps 1").startswith("#3 left FAIL (trunk sway)")
    assert coach.reply("session").startswith("error: recording is off")
    assert coach.reply("sessions") == "no sessions recorded yet"
    assert "recording: off" in coach.reply("status").splitlines()
