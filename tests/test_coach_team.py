"""The coach's view's state model (firmware_py.coach.team, .messages, .words), without a broker."""

from __future__ import annotations

import json
import logging

import pytest

from firmware_py.coach.hub import Hub
from firmware_py.coach.messages import BadMessage, Record, parse
from firmware_py.coach.team import RECENT, Team
from firmware_py.fakes.teamdevice import record, session_event, status


def feed(team: Team, topic_kind: str, message: dict, received: float = 0.0) -> bool:
    return team.receive(parse(f"kneecue/{message['device']}/{topic_kind}", json.dumps(message).encode()), received)


def started(device="pi-1", athlete="sam", drill="sls") -> Team:
    team = Team()
    feed(team, "status", status(device, athlete=athlete, drill=drill, light="ok", session="s1", t=10.0))
    feed(team, "session", session_event(device, "s1", 1, "start", athlete=athlete, drill=drill, t=10.0))
    return team


def test_a_rep_is_shown_with_its_verdict_criteria_and_lead_pattern_in_words():
    team = started()
    feed(team, "rep", record("pi-1", "s1", 2, index=0, leg="left", failed=("knee_inward", "trunk_sway"),
                             pattern=("hip", "ankle"), athlete="sam", t=12.0), received=12.05)
    feed(team, "rep", record("pi-1", "s1", 3, index=1, leg="left", failed=("knee_inward",), athlete="sam", t=14.0))
    feed(team, "rep", record("pi-1", "s1", 4, index=2, leg="left", athlete="sam", t=16.0))
    view = team.view("pi-1")
    assert (view["athlete"], view["drill"], view["online"], view["session"]) == ("sam", "sls", True, "s1")
    assert view["light"]["leds"] == {"green": "on", "amber": "off", "red": "off"}
    newest, unclear, first = view["recent"]
    assert first["what"] == "rep 1, left leg" and first["verdict"] == "fail" and first["received"] == 12.05
    assert first["failed_words"] == "knee inward, trunk sway"
    assert first["pattern_words"].startswith("lead: hip pattern") and "then ankle pattern" in first["pattern_words"]
    assert unclear["pattern_words"] == "pattern unclear"
    assert (newest["verdict"], newest["failed_words"], newest["pattern_words"]) == ("pass", "", "")


def test_a_record_delivered_twice_is_counted_once():
    team = started()
    rep = record("pi-1", "s1", 2, failed=("knee_inward",), athlete="sam", t=12.0)
    assert feed(team, "rep", rep) is True
    assert feed(team, "rep", rep) is False
    assert feed(team, "rep", {**rep, "t": 99.0}) is False  # the id decides, not the content
    assert team.duplicates == 2
    view = team.view("pi-1")
    assert len(view["recent"]) == 1 and view["totals"][0]["reps"] == 1


def test_totals_per_athlete_for_the_current_session_by_criterion():
    team = started()
    fails = [("knee_inward",), ("knee_inward", "hands_off_hips"), (), ("balance_lost",)]
    for i, failed in enumerate(fails):
        feed(team, "rep", record("pi-1", "s1", 10 + i, index=i, failed=failed, athlete="sam", t=20.0 + i))
    feed(team, "rep", record("pi-1", "s1", 20, index=0, athlete="alex", t=30.0))
    totals = {t["athlete"]: t for t in team.view("pi-1")["totals"]}
    assert (totals["sam"]["reps"], totals["sam"]["passed"], totals["sam"]["failed"]) == (4, 1, 3)
    assert [(c["words"], c["n"]) for c in totals["sam"]["by_criterion"]] == [
        ("knee inward", 2), ("balance lost", 1), ("hands off hips", 1)]
    assert (totals["alex"]["reps"], totals["alex"]["passed"]) == (1, 1)
    # a new session starts the totals again; the last reps stay on show
    feed(team, "session", session_event("pi-1", "s2", 1, "start", athlete="kim", drill="squat", t=40.0))
    view = team.view("pi-1")
    assert view["totals"] == [] and (view["session"], view["athlete"], view["drill"]) == ("s2", "kim", "squat")
    assert len(view["recent"]) == 5


def test_memory_is_bounded_records_shown_and_sessions_remembered():
    team = started()
    for s in range(10):
        for i in range(30):
            feed(team, "rep", record("pi-1", f"s{s}", i, index=i, t=100.0 * s + i))
    view = team.view("pi-1")
    assert len(view["recent"]) == RECENT and view["recent"][0]["id"] == "pi-1/s9/29"
    device = team._devices["pi-1"]
    assert len(device.sessions) <= 4 and sum(len(s.ids) for s in device.sessions.values()) <= 4 * 30
    # a late redelivery from a forgotten session is not counted again
    assert feed(team, "rep", record("pi-1", "s0", 3, index=3, t=3.0)) is False


def test_the_last_will_shows_the_device_offline_and_keeps_what_it_was_doing():
    team = started()
    feed(team, "status", status("pi-1", online=False))
    view = team.view("pi-1")
    assert view["online"] is False and view["athlete"] == "sam"
    assert view["light"]["words"] == "offline" and set(view["light"]["leds"].values()) == {"off"}
    feed(team, "status", status("pi-1", athlete="sam", drill="sls", light="alert", session="s1", t=50.0))
    assert team.view("pi-1")["light"]["leds"]["red"] == "on"


def test_the_lights_are_the_devices_own_patterns():
    team = Team()
    for light, leds in [("warn", {"amber": "on"}), ("idle", {"green": "blink"}), ("fault", {"red": "blink"}),
                        ("dark", {})]:
        feed(team, "status", status("pi-1", light=light, t=1.0))
        shown = team.view("pi-1")["light"]
        assert {k: v for k, v in shown["leds"].items() if v != "off"} == leds, light
    feed(team, "status", status("pi-1", light="rainbow", t=1.0))  # a pattern this view does not know
    assert team.view("pi-1")["light"]["words"] == "rainbow"


def test_records_of_steps_and_landings():
    team = started(drill="run")
    feed(team, "step", record("pi-1", "s1", 5, kind="step", index=3, leg="right", failed=("hip_adduction",), t=11.0))
    feed(team, "landing", record("pi-1", "s1", 6, kind="landing", index=0, leg="both", t=12.0))
    landing, step = team.view("pi-1")["recent"]
    assert (step["what"], step["verdict"], step["failed_words"]) == ("step 4, right foot", "fail", "hip adduction")
    assert (landing["what"], landing["verdict"]) == ("landing 1, both legs", "pass")


def test_changes_are_told_per_device():
    team = started("pi-1")
    feed(team, "status", status("pi-2", light="ok", t=1.0))
    seq = team.seq
    feed(team, "status", status("pi-1", light="warn", t=2.0))
    assert team.changed_since(seq) == ["pi-1"]


GOOD = record("pi-1", "s1", 2, failed=("knee_inward",), pattern=("hip",))


@pytest.mark.parametrize("topic, payload, said", [
    ("kneecue/pi-1/rep", b"{oops", "not JSON"),
    ("kneecue/pi-1/rep", b"\xff\xfe", "not JSON"),
    ("kneecue/pi-1/rep", b"[1, 2]", "a JSON list, not an object"),
    ("kneecue/pi-1/rep", json.dumps({**GOOD, "v": 2}).encode(), "schema version 2"),
    ("kneecue/pi-1/rep", json.dumps({k: v for k, v in GOOD.items() if k != "session"}).encode(), '"session" is missing'),
    ("kneecue/pi-1/rep", json.dumps({**GOOD, "rep": {**GOOD["rep"], "index": "one"}}).encode(),
     '"rep.index" is "one", not a whole number'),
    ("kneecue/pi-1/rep", json.dumps({**GOOD, "rep": {**GOOD["rep"], "verdict": "maybe"}}).encode(),
     '"rep.verdict" is \'maybe\''),
    ("kneecue/pi-1/rep", json.dumps({**GOOD, "rep": {**GOOD["rep"], "pattern": [1]}}).encode(), "other than strings"),
    ("kneecue/pi-1/rep", json.dumps({**GOOD, "rep": {**GOOD["rep"], "verdict": "pass"}}).encode(), "is pass but"),
    ("kneecue/pi-2/rep", json.dumps(GOOD).encode(), "the payload says device 'pi-1', the topic 'pi-2'"),
    ("kneecue/pi-1/status", json.dumps({"v": 1, "device": "pi-1", "online": "yes"}).encode(), '"online" is "yes"'),
    ("kneecue/pi-1/cue", json.dumps(GOOD).encode(), "not a topic the coach's view reads"),
])
def test_a_malformed_message_is_one_line_naming_device_topic_and_fault(topic, payload, said):
    with pytest.raises(BadMessage) as caught:
        parse(topic, payload)
    line = str(caught.value)
    assert said in line and topic in line and topic.split("/")[1] in line and "\n" not in line


def test_a_topic_the_view_does_not_read_is_said_once(caplog):
    hub = Hub()
    with caplog.at_level(logging.INFO, logger="kneecue.coach"):
        for _ in range(5):
            assert hub.receive("kneecue/pi-1/health", b'{"v": 1}') is False
    assert len(caplog.records) == 1 and "said once" in caplog.records[0].getMessage()
    assert hub.rejected == 0


def test_the_hub_logs_a_bad_message_in_one_line_and_carries_on(caplog):
    hub = Hub(clock=lambda: 5.0)
    with caplog.at_level(logging.WARNING, logger="kneecue.coach"):
        assert hub.receive("kneecue/pi-1/rep", b"{oops") is False
        assert hub.receive("kneecue/pi-1/rep", json.dumps(GOOD).encode()) is True
    assert len(caplog.records) == 1 and "kneecue/pi-1/rep" in caplog.records[0].getMessage()
    seq, broker, devices = hub.snapshot()
    assert [d["device"] for d in devices] == ["pi-1"] and devices[0]["recent"][0]["received"] == 5.0
    assert hub.wait(seq, timeout=0.01) == (seq, None, [])
    assert isinstance(parse("kneecue/pi-1/rep", json.dumps(GOOD).encode()), Record)


@pytest.mark.parametrize("payload", [
    json.dumps({**GOOD, "t": float("nan")}).encode(),
    json.dumps({**GOOD, "t": float("inf")}).encode(),
    json.dumps({**GOOD, "t": float("-inf")}).encode(),
    json.dumps(GOOD).replace('"t": ', '"t": 1e999, "was": ').encode(),
    json.dumps({"v": 1, "device": "pi-1", "online": True, "light": "ok", "t": float("nan")}).encode(),
])
def test_nan_or_infinity_is_a_malformed_message_logged_once_and_left_out(payload, caplog):
    """Python's json reads NaN and Infinity; a browser's JSON.parse throws on them, and the page
    would stop updating that device: the view takes no such message in."""
    topic = "kneecue/pi-1/status" if b'"online"' in payload else "kneecue/pi-1/rep"
    with pytest.raises(BadMessage, match="not a finite number"):
        parse(topic, payload)
    hub = Hub()
    with caplog.at_level(logging.WARNING, logger="kneecue.coach"):
        assert hub.receive(topic, payload) is False
    assert len(caplog.records) == 1 and "not a finite number" in caplog.records[0].getMessage()
    assert hub.rejected == 1 and hub.snapshot()[2] == []


def test_the_page_is_never_sent_a_nan_even_if_a_view_held_one(caplog):
    from firmware_py.coach.server import _events

    with caplog.at_level(logging.ERROR, logger="kneecue.coach"):
        sent = _events(None, [{"device": "pi-1", "t": float("nan")}, {"device": "pi-2", "t": 1.0}])
    assert b"NaN" not in sent and b'"device":"pi-2"' in sent and b"pi-1" not in sent
    assert len(caplog.records) == 1 and "pi-1" in caplog.records[0].getMessage()


def test_the_coach_and_the_console_word_a_pattern_from_one_table():
    from firmware_py.coach.words import pattern_words
    from firmware_py.core.faults import PATTERNS
    from firmware_py.wording.reps import PATTERN_UNCLEAR, PATTERN_WORDS

    assert set(PATTERN_WORDS) == set(PATTERNS)
    for name, words in PATTERN_WORDS.items():
        assert pattern_words((name,), ("knee_inward",)) == f"lead: {words}"
    assert pattern_words((), ("knee_inward",)) == PATTERN_UNCLEAR
