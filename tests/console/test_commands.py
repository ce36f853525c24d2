"""The coach's console as text in, text out: no port, no thread, time passed in."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin
from hypothesis import HealthCheck, given, settings, strategies as st

from firmware_py.console.registry import COMMANDS
from firmware_py.console.session import BURST, ConsoleSession
from firmware_py.core.cue import Cue
from firmware_py.core.patterns import PatternSelector
from firmware_py.core.procedures import Notice
from firmware_py.core.scorer import Scorer
from firmware_py.cues.outputs import CueOutputs
from firmware_py.device.config import DeviceConfig, load_config
from firmware_py.device.state import Device, Readings


class Coach:
    """A device with its console, and a clock the test moves."""

    def __init__(self, folder, config=None):
        self.now = 1000.0
        self.device = Device(config or load_config(folder)[0], state_dir=folder, info={"model": "m.tflite"},
                             clock=lambda: self.now)
        self.session = ConsoleSession(self.device)

    def say(self, line: str) -> str:
        self.now += 0.5
        return self.session.receive(line.encode() + b"\r", self.now).decode()

    def reply(self, line: str) -> str:
        """The reply text alone (no echo, no prompt)."""
        out = self.say(line).split("\r\n")
        return "\n".join(out[1:-1])


@pytest.fixture
def coach(tmp_path):
    return Coach(tmp_path)


def loop_parts():
    scorer, selector = Scorer(), PatternSelector()
    outputs = CueOutputs(pin_factory=MockFactory(pin_class=MockPWMPin))
    return scorer, selector, outputs


def test_set_is_checked_and_reaches_the_loop_on_its_next_frame(coach):
    scorer, selector, outputs = loop_parts()
    assert coach.device.apply(scorer, selector, outputs) is None  # built from these settings
    assert "fppa_alert = 20 deg" in coach.reply("set fppa_alert 20")
    assert coach.say("get fppa_alert").endswith("kneecue*> ")  # unsaved
    assert scorer.thresholds.fppa_alert == 12  # not mid-frame: at the loop's next frame
    assert coach.device.apply(scorer, selector, outputs) == {"fppa_alert": 20.0}
    assert scorer.thresholds.fppa_alert == 20
    coach.reply("mode terminal")
    coach.reply("buzzer off")
    assert coach.device.apply(scorer, selector, outputs) == {"mode": "terminal", "muted": True}
    assert selector.mode == "terminal" and scorer.mode.value == "terminal" and outputs.muted
    assert coach.device.apply(scorer, selector, outputs) is None
    outputs.close()


@pytest.mark.parametrize("line, says", [
    ("set fppa_alert 200", "fppa_alert not changed: 200 is outside the allowed range 0..60 deg"),
    ("set fppa_alert twelve", "expected a number in 0..60 deg, got 'twelve'"),
    ("set fppa_alert 5", "fppa_warn (8.0) must not exceed fppa_alert (5.0)"),
    ("set check_hands_on_hips maybe", "expected on/off"),
    ("set fppa_alrt 20", "unknown setting 'fppa_alrt'; did you mean: fppa_alert"),
    ("set fppa_alert", "usage: set KEY VALUE"),
    ("set min_score nan", "outside the allowed range 0.05..0.95"),
])
def test_bad_values_are_refused_with_the_range_and_change_nothing(coach, line, says):
    before = coach.device.settings.config
    reply = coach.reply(line)
    assert reply.startswith("error: ") and says in reply
    assert coach.device.settings.config is before and not coach.device.settings.unsaved


def test_unknown_commands_name_the_closest_ones(coach):
    assert "did you mean: status" in coach.reply("stauts")
    assert "type 'help' for the list" in coach.reply("xyzzy")


def test_every_command_has_help(coach):
    listing = coach.reply("help")
    for name, cmd in COMMANDS.items():
        assert cmd.usage in listing
        assert coach.reply(f"help {name}").startswith(cmd.usage)


def test_save_keeps_settings_across_a_restart_and_says_where(coach, tmp_path):
    coach.reply("set fppa_alert 20")
    coach.reply("set check_hands_on_hips off")
    assert f"saved to {tmp_path / 'config.json'}" in coach.reply("save")
    assert not coach.device.settings.unsaved and coach.say("get").endswith("kneecue> ")
    again = Coach(tmp_path)
    assert "fppa_alert = 20 deg" in again.reply("get fppa_alert")
    assert "check_hands_on_hips = off" in again.reply("get check_hands_on_hips")


def test_a_failed_save_says_so_and_keeps_the_change_in_use(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    coach = Coach(blocker / "state", DeviceConfig())
    coach.reply("set fppa_alert 20")
    assert coach.reply("save").startswith("error: not saved")
    assert coach.device.settings.config.thresholds.fppa_alert == 20 and coach.device.settings.unsaved


def test_reset_one_all_or_the_calibration(coach):
    coach.reply("set fppa_alert 20")
    coach.reply("set trunk_lean_alert 15")
    assert "fppa_alert = 12 deg" in coach.reply("reset fppa_alert")
    assert coach.device.settings.config.thresholds.trunk_lean_alert == 15
    coach.reply("reset all")
    assert coach.device.settings.config.thresholds.trunk_lean_alert == 10
    assert "calibration cleared" in coach.reply("reset calibration")


def test_athletes_keep_their_own_thresholds(coach):
    coach.reply("set fppa_alert 20")
    assert "new athlete" in coach.reply("athlete sam")
    assert "fppa_alert = 12 deg" in coach.reply("get fppa_alert")
    coach.reply("set fppa_alert 15")
    coach.reply("athlete default")
    assert "fppa_alert = 20 deg" in coach.reply("get fppa_alert")
    assert coach.reply("athlete") == "* default\n  sam"
    assert "current athlete" in coach.reply("athlete remove default")
    assert coach.reply("athlete remove sam") == "remove sam and their thresholds? 'athlete remove sam yes' does it"
    assert "sam" in coach.device.settings.config.athletes  # asked, not done
    assert coach.reply("athlete remove sam yes") == "removed sam ('save' makes it last)"
    assert "sam" not in coach.device.settings.config.athletes
    assert "letters, digits" in coach.reply("athlete ../../etc")


def test_lock_guards_changes_and_survives_a_restart(coach, tmp_path):
    assert "no passcode yet" in coach.reply("lock")
    coach.reply("set fppa_alert 20")  # unsaved: setting a passcode must not save it
    assert coach.reply("lock 2468") == "passcode set; locked"
    assert coach.say("status").endswith("kneecue*#> ")
    for line in ("set fppa_alert 25", "save", "reset all", "athlete sam"):
        assert "locked: 'unlock PIN' first" in coach.reply(line)
    assert "* default" in coach.reply("athlete")  # looking is allowed
    # not kept as such (a hex digest may hold 2468 by chance: one in 700)
    assert not re.search(r"(?<![0-9a-f])2468(?![0-9a-f])", (tmp_path / "config.json").read_text())
    restarted = Coach(tmp_path)
    assert restarted.device.settings.locked and restarted.device.settings.config.thresholds.fppa_alert == 12
    for _ in range(3):
        assert restarted.reply("unlock 1111") == "error: wrong passcode"
    assert "try again in 30 s" in restarted.reply("unlock 2468")
    restarted.now += 30
    assert restarted.reply("unlock 2468") == "unlocked"
    assert "fppa_alert = 25" in restarted.reply("set fppa_alert 25")
    assert "removed" in restarted.reply("lock off")
    assert not Coach(tmp_path).device.settings.locked


def test_while_locked_nothing_the_athlete_sees_or_that_is_saved_changes(coach, tmp_path):
    """Issue 28 item 3: the lock covers every change, and an unlock ends with its connection."""
    coach.reply("lock 2468")
    before = coach.device.settings.config
    changes = ("mode silent", "buzzer off", "rotate 90", "calibrate", "calibrate stop", "session end",
               "session start", "test sls left", "test stop", "athlete sam", "athlete remove default yes",
               "set fppa_alert 20", "reset all", "save", "lock 1357", "lock off", "drill run")
    for line in changes:
        assert coach.reply(line).startswith(f"error: {line.split()[0]} is locked: 'unlock PIN' first"), line
    assert coach.device.settings.config is before and coach.device.mailbox.busy is None
    # looking is open: the bare forms, and the commands that only read
    for line in ("mode", "drill", "buzzer", "rotate", "athlete", "test", "status", "get fppa_alert", "help",
                 "version", "reps", "steps", "sessions", "stream off", "json off"):
        assert "is locked" not in coach.reply(line), line
    listed = coach.reply("help lock")
    assert "open while locked: help, version, status, get, stream, json, lock, unlock, sessions, reps, export, " \
           "steps, landings; and to look only (no argument): mode, drill, buzzer, rotate, athlete, test, session" \
           in listed
    security = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text()
    said = " ".join(security.split("Open while locked:")[1].split(". An unlock")[0].split())
    assert said == ("`help`, `version`, `status`, `get`, `stream`, `json`, `lock`, `unlock`, `sessions`, `reps`, "
                    "`export`, `steps`, `landings`, and the bare `mode`, `drill`, `buzzer`, `rotate`, `athlete`, "
                    "`test` and `session`, which only tell")  # docs/security.md lists what help does
    assert coach.reply("unlock 2468") == "unlocked"
    assert coach.reply("mode silent") == "mode silent, from the next frame"
    # a new connection to the same device starts locked; the first one stays unlocked until 'lock'
    other = ConsoleSession(coach.device)
    other.greeting()
    assert "mode is locked" in other.receive(b"mode terminal\r", coach.now).decode()
    assert other.receive(b"\r", coach.now).decode().endswith("kneecue*#> ")
    assert coach.say("status").endswith("kneecue*> ")
    coach.reply("lock")
    assert "mode is locked" in coach.reply("mode terminal")


def test_wrong_passcodes_wait_longer_each_time_and_every_lockout_is_logged_and_in_status(coach, caplog):
    """Issue 28 item 4: the wait doubles with each lockout (up to an hour), each is in
    the journal and in status, and a passcode may be up to 20 digits."""
    assert coach.reply("lock 314159265358979323") == "passcode set; locked"  # 18 digits
    waits = []
    for lockout in range(9):
        for _ in range(3):
            assert coach.reply("unlock 1111") == "error: wrong passcode"
        said = coach.reply("unlock 314159265358979323")
        waits.append(int(said.split("try again in ")[1].split(" s")[0]))
        assert f"passcode: lockout {lockout + 1} since start" in coach.reply("status")
        coach.now += waits[-1]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    logged = [r.getMessage() for r in caplog.records if "lockout" in r.getMessage()]
    assert len(logged) == 9 and "3 wrong passcodes in a row" in logged[0]
    assert coach.reply("unlock 314159265358979323") == "unlocked"
    coach.reply("lock")
    for _ in range(3):  # the right passcode ends the escalation
        coach.reply("unlock 1111")
    assert "try again in 30 s" in coach.reply("unlock 314159265358979323")
    assert "passcode: lockout 10 since start" in coach.reply("status")
    coach.now += 30
    assert coach.reply("unlock 314159265358979323") == "unlocked"
    assert coach.reply("lock 123456789012345678901") == "error: a passcode is 4 to 20 digits"


def _restart(folder):
    """The device started again on what is on disk, with the fallback's warning."""
    config, warning = load_config(folder)
    coach = Coach(folder, config)
    coach.device.health.set_warning("settings", warning)
    return coach


def test_a_damaged_settings_file_keeps_the_device_locked_and_is_kept_aside_not_overwritten(coach, tmp_path):
    """Issue 28 item 5."""
    assert coach.reply("lock 2468") == "passcode set; locked"
    damaged = (tmp_path / "config.json").read_bytes()[:200]  # an SD card's torn block
    (tmp_path / "config.json").write_bytes(damaged)
    restarted = _restart(tmp_path)
    assert "mode is locked" in restarted.reply("mode silent")  # the last good copy keeps the passcode
    assert "last good copy" in restarted.reply("status")
    assert restarted.reply("unlock 2468") == "unlocked"
    restarted.reply("set fppa_alert 20")
    assert "saved to" in restarted.reply("save")
    (aside,) = tmp_path.glob("config.json.damaged-*")
    assert aside.read_bytes() == damaged  # kept, renamed, never overwritten
    assert _restart(tmp_path).device.settings.config.thresholds.fppa_alert == 20

    # Both copies damaged: the passcode cannot be read back, so nothing changes until a new one is set.
    for name in ("config.json", "config.json.bak"):
        (tmp_path / name).write_bytes((tmp_path / name).read_bytes()[:-40])
    sealed = _restart(tmp_path)
    status = sealed.reply("status")
    assert "held a passcode, lost with it: changes are refused until a new one is set ('lock PIN')" in status
    for line in ("mode silent", "set fppa_alert 30", "save"):
        assert "is locked" in sealed.reply(line)
    assert "lost with the damaged settings file: 'lock PIN' sets a new one" in sealed.reply("unlock 2468")
    assert sealed.reply("lock 1357") == "passcode set; locked"
    assert sorted(p.name.split("-")[0] for p in tmp_path.glob("config.json*.damaged-*")) == [
        "config.json.bak.damaged", "config.json.damaged", "config.json.damaged"]
    assert sealed.reply("unlock 1357") == "unlocked" and "mode silent" in sealed.reply("mode silent")
    assert _restart(tmp_path).device.settings.config.passcode.matches("1357")


def test_json_mode_gives_one_object_per_reply_and_no_echo(coach):
    coach.say("json on")
    for line in ("status", "set fppa_alert 99", "get fppa_alert", "nonsense"):
        out = coach.say(line)
        assert out.endswith("\r\n") and out.count("\r\n") == 1, out
        reply = json.loads(out)
        assert reply["command"] == line.split()[0]
    assert json.loads(coach.say("get fppa_alert"))["values"] == {"fppa_alert": 12.0}
    assert json.loads(coach.say("set fppa_alert 99"))["ok"] is False


def test_json_mode_gives_a_notice_its_kind_and_everything_its_line_says(coach):
    coach.say("json on")
    coach.device.mailbox.notify(Notice("calibration_problem", {"event": "calibration", "problem": "not_trusted",
                                                               "unseen": ["left_ankle"], "implausible": []}))
    out = coach.session.tick(coach.now).decode()
    assert json.loads(out) == {"notice": {"kind": "calibration_problem", "event": "calibration",
                                          "problem": "not_trusted", "unseen": ["left_ankle"], "implausible": []}}
    coach.say("json off")
    coach.device.mailbox.notify(Notice("calibration_problem", json.loads(out)["notice"]))
    assert "  not trusted (left ankle unseen): starting over" in coach.session.tick(coach.now).decode()


def test_status_reports_the_loop_and_the_last_cue(coach):
    assert "no frame scored yet" in coach.reply("status")
    cue = Cue("alert", ("knee_valgus_left",), (("knee_valgus_left", "alert"),))
    coach.device.mailbox.readings = Readings(120, 4.0, {"stance": "left"}, cue, "down", "alert", 29.7, 14.2, 3, coach.now)
    coach.device.mailbox.last_cue = (coach.now, cue)
    coach.device.health.set_warning("settings", "config.json is unreadable; using the defaults")
    status = coach.reply("status")
    assert "29.7 fps, capture to cue 14.2 ms, 3 frames dropped" in status
    assert "last cue: alert 0.5 s ago: knee valgus left" in status
    assert "warning: settings: config.json is unreadable" in status
    assert "model m.tflite" in status


def test_notices_and_stream_lines_redraw_what_the_coach_was_typing(coach):
    coach.session.receive(b"get fppa", coach.now)
    coach.device.mailbox.notify(Notice("calibration_countdown", {"event": "calibration", "countdown": 2}))
    out = coach.session.tick(coach.now).decode()
    assert out == "\r\x1b[K  2…\r\nkneecue> get fppa"
    cue = Cue("warn", ("pelvic_drop",))
    coach.device.mailbox.readings = Readings(1, 0.1, {"stance": "left", "fppa_left": 9.5, "pelvic_drop": 4.2}, cue,
                                     "down", "warn", 30.0, 10.0, 0, coach.now)
    coach.say("")
    coach.reply("stream on 10")
    readings, lines = coach.device.mailbox.readings, []
    for i in range(20):  # a frame scored every 50 ms
        coach.device.mailbox.readings = dataclasses.replace(readings, frame=readings.frame + i)
        lines.append(coach.session.tick(coach.now + i * 0.05).decode())
    streamed = [x for x in lines if "FPPA" in x]
    assert len(streamed) == 10  # 1 s at 10 Hz
    # a frame already told is not told again: a stalled loop goes quiet
    assert not any(coach.session.tick(coach.now + 1.0 + i * 0.1).decode() for i in range(10))
    assert "FPPA L +9.5 R --" in streamed[0] and "drop +4.2" in streamed[0] and "warn pelvic_drop" in streamed[0]
    # a metric that is not read says why in a word, and in full in JSON
    coach.device.mailbox.readings = Readings(2, 0.2, {"stance": "left", "fppa_left": None, "pelvic_drop": 4.2,
                                              "gated": {"fppa_left": "thigh_foreshortened"}}, cue,
                                     "down", "warn", 30.0, 10.0, 0, coach.now)
    later = [coach.session.tick(coach.now + 1.0 + i * 0.05).decode() for i in range(4)]
    assert any("FPPA L deep R --" in x for x in later), later
    coach.reply("json on")
    coach.device.mailbox.readings = dataclasses.replace(coach.device.mailbox.readings, frame=3)
    line = next(x for x in (coach.session.tick(coach.now + 2.0 + i * 0.05).decode() for i in range(4)) if x)
    assert '"gated": {"fppa_left": "thigh_foreshortened"}' in line


def test_procedures_start_once_and_stop_on_request(coach):
    assert "test starts on the next frame: left leg, 3 reps" in coach.reply("test sls left 3")
    assert coach.device.mailbox.busy == "testing"
    assert coach.reply("calibrate") == "error: testing is running: 'test stop' first"
    assert coach.reply("test sls both") == "error: usage: test sls|ankle left|right [N] | test stop"
    assert coach.reply("test stop") == "stopping the test"
    coach.device.apply(*loop_parts())
    assert coach.device.mailbox.busy is None
    assert "cancelled" in coach.session.tick(coach.now).decode()
    assert "calibration starts" in coach.reply("calibrate 2")


def test_a_flood_of_commands_is_cut_to_a_steady_rate_and_said_so(coach):
    out = coach.session.receive(b"version\r" * 500, coach.now).decode()
    assert out.count("kneecue 0.1.0") == BURST
    note = coach.session.tick(coach.now + 0.2).decode()
    assert f"input too fast: {500 - int(BURST)} lines ignored" in note
    assert "faults: none" in coach.reply("status")


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunks=st.lists(st.binary(max_size=600), max_size=12))
def test_any_bytes_at_all_leave_a_working_console(tmp_path, chunks):
    coach = Coach(tmp_path, DeviceConfig())
    for chunk in chunks:
        coach.now += 0.01
        coach.session.receive(chunk, coach.now)
        coach.session.tick(coach.now)
        assert len(coach.session.editor.buffer) <= coach.session.editor.max_len
    coach.now += 10  # past any flood limit
    coach.session.receive(b"\x03json off\r", coach.now)
    assert "faults: none" in coach.say("status")
    assert not (tmp_path / "config.json").exists() or load_config(tmp_path)[1] is None


def test_a_failing_command_costs_one_reply_not_the_console(coach, monkeypatch):
    from firmware_py.console import registry as commands

    def broken(ctx, args, now):
        raise KeyError("oops")
    monkeypatch.setitem(commands.COMMANDS, "reps", dataclasses.replace(commands.COMMANDS["reps"], run=broken))
    assert coach.reply("reps").startswith("error: internal error (KeyError: 'oops')")
    assert "faults: none" in coach.reply("status")


def test_the_ankle_test_runs_from_the_console_and_compares_the_legs(coach, monkeypatch):
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "core"))
    from test_ankle import SIDE, _lunges

    reply = coach.reply("set view side")
    assert reply.startswith("view = side  (front/rear/side, default front)") and "was front" in reply
    scorer, selector, outputs = loop_parts()
    results = {}
    for leg, peak in (("right", 42.0), ("left", 33.0)):
        assert f"test starts on the next frame: ankle, {leg} leg, 1 tries" in coach.reply(f"test ankle {leg} 1")
        coach.device.apply(scorer, selector, outputs)
        for i, (t, pose, reading) in enumerate(_lunges([peak])):
            score = scorer.update(pose, i, t, SIDE.size, reading)
            coach.device.observe(score, pose, reading)
            if coach.device.mailbox.busy is None:
                break
        results[leg] = coach.session.tick(coach.now).decode()
    assert "right leg, 1 of 1 tries; shin 42" in results["right"] and "PASS" in results["right"]
    assert "RESTRICTED (restricted below 35°)" in results["left"]
    assert "left - right: -9" in results["left"]
    assert coach.device.mailbox.tests["ankle left"]["verdict"] == "restricted"
    assert coach.reply("test ankle left 11") == "error: N is a whole number, 1 to 10"
    # the stream line of a side view tells the ankle, not the frontal plane
    t, pose, reading = _lunges([40.0])[45]
    coach.device.mailbox.publish(scorer.update(pose, 999, 99.0, SIDE.size, reading._replace(t=99.0)), "ok", 0, 0, 0)
    coach.reply("stream on 10")
    line = next(x for x in (coach.session.tick(coach.now + i * 0.05).decode() for i in range(4)) if x)
    assert "side view: shin L +" in line and "heel lift L" in line and "FPPA" not in line


def test_rotate_turns_the_picture_from_the_next_frame_and_is_saved_with_the_device(coach, tmp_path):
    assert coach.reply("rotate") == "rotate 0 (the camera is upright)"
    assert coach.reply("rotate 180") == "rotate 180: each frame turned 180° clockwise from the next one"
    assert coach.device.settings.config.rotation == 180 and "rotation" in coach.device.settings.unsaved
    assert coach.reply("rotate 45") == "error: usage: rotate [0|90|180|270]"
    coach.reply("save")
    assert load_config(coach.device.settings.state_dir)[0].rotation == 180
