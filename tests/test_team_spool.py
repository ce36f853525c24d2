"""The publisher's spool and position without a broker: the session files read in
order, a line only once whole, torn and damaged lines counted and skipped, a restart
resuming after the last acknowledged line; the messages' schema; the broker settings
on the console and in config.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from firmware_py.device.broker import Broker, parse_url
from firmware_py.device.config import DeviceConfig, load_config, save_config
from firmware_py.errors import ConfigError
from firmware_py.team import messages
from firmware_py.team.position import Position
from firmware_py.team.spool import Spool


@pytest.fixture(autouse=True)
def list_every_time(monkeypatch):
    """The spool lists the sessions folder at most once a second; here, at every look."""
    monkeypatch.setattr("firmware_py.team.spool.LIST_S", 0.0)


HEADER = {"type": "session", "id": "S", "started": "2026-12-07T10:00:00+00:00", "t": 5.0, "athlete": "sam",
          "thresholds": {"drill": "auto"}}


def write(folder: Path, *records, tail: bytes = b"") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "session.jsonl"
    with open(path, "ab") as f:
        for r in records:
            f.write((r if isinstance(r, str) else json.dumps(r)).encode() + b"\n")
        f.write(tail)
    return path


def drain(spool: Spool) -> list[tuple[str, int, str | None, bool]]:
    out = []
    while (line := spool.next()) is not None:
        out.append((line.session, line.number, None if line.record is None else line.record["type"], line.last))
    return out


def test_lines_come_whole_in_order_and_a_half_written_line_waits(tmp_path):
    root = tmp_path / "sessions"
    path = write(root / "a", {**HEADER, "id": "a"}, {"type": "trace", "t": [1]}, {"type": "rep", "t": 6.0},
                 tail=b'{"type":"rep","t":7')
    spool = Spool(root, Position(tmp_path / "team.json"))
    assert drain(spool) == [("a", 1, "session", False), ("a", 2, "trace", False), ("a", 3, "rep", False)]
    with open(path, "ab") as f:
        f.write(b'.0}\n{"type":"end","t":8.0,"reason":"quiet","reps":2,"failed":0}\n')
    assert drain(spool) == [("a", 4, "rep", False), ("a", 5, "end", True)]
    assert drain(spool) == []


def test_a_torn_or_damaged_line_keeps_its_number_and_a_cut_short_session_ends_when_a_newer_one_starts(tmp_path):
    root = tmp_path / "sessions"
    write(root / "a", {**HEADER, "id": "a"}, "{not json", {"type": "rep"}, tail=b'{"type":"rep","t"\x00\x00')
    spool = Spool(root, Position(tmp_path / "team.json"))
    assert drain(spool) == [("a", 1, "session", False), ("a", 2, None, False), ("a", 3, "rep", False)]
    write(root / "b", {**HEADER, "id": "b"})  # the power came back: a new session
    assert drain(spool) == [("a", 3, None, True), ("b", 1, "session", False)]


def test_a_cut_short_session_ends_when_the_clock_came_back_earlier(tmp_path):
    """A Pi without a real-time clock: the power is cut mid-session, the clock comes back
    earlier, and the next session's folder sorts before the cut-short one.  Both are sent,
    each file's lines in order, whether the recorder's session is known or not."""
    root = tmp_path / "sessions"
    write(root / "2026-12-07T10-00-00", {**HEADER, "id": "late"}, {"type": "rep", "t": 6.0})  # no end line
    early = write(root / "2026-01-01T00-00-00", {**HEADER, "id": "early"}, {"type": "rep", "t": 6.0})
    late, first = "2026-12-07T10-00-00", "2026-01-01T00-00-00"
    spool = Spool(root, Position(tmp_path / "team.json"), current=lambda: first)  # the recorder writes it
    assert drain(spool) == [(late, 1, "session", False), (late, 2, "rep", False), (late, 2, None, True),
                            (first, 1, "session", False), (first, 2, "rep", False)]
    with open(early, "ab") as f:
        f.write(b'{"type":"rep","t":7.0}\n{"type":"end","t":8.0}\n')
    assert drain(spool) == [(first, 3, "rep", False), (first, 4, "end", True)]

    for name in (first, late):  # the recorder's session not known: the other one not done ends it
        (root / name / "session.jsonl").unlink()
    write(root / late, {**HEADER, "id": "late"})
    write(root / first, {**HEADER, "id": "early"})
    spool = Spool(root, Position(tmp_path / "team2.json"))
    got = drain(spool)
    assert got[:2] == [(first, 1, "session", False), (first, 1, None, True)]
    assert got[2:] == [(late, 1, "session", False)]  # the last one waits: nothing says it is over yet


def test_lines_never_published_are_not_parsed(tmp_path):
    root = tmp_path / "sessions"
    write(root / "a", HEADER, '{"type":"trace","t":[1,2' + ",3" * 10 + "]}", '{"type":"cue","damaged',
          {"type": "drill", "drill": "sls"}, {"type": "rep", "t": 6.0})
    spool = Spool(root, Position(tmp_path / "team.json"))
    lines = [spool.next() for _ in range(5)]
    assert [x.record for x in lines[1:3]] == [{"type": "trace"}, {"type": "cue"}]
    assert lines[4].record == {"type": "rep", "t": 6.0} and lines[4].context.drill == "sls"


def test_a_restart_resumes_after_the_last_acknowledged_line_and_skips_what_is_done(tmp_path):
    root = tmp_path / "sessions"
    write(root / "a", HEADER, {"type": "end", "t": 9.0})
    write(root / "b", {**HEADER, "id": "b"}, {"type": "drill", "drill": "sls"}, {"type": "rep", "t": 6.0},
          {"type": "rep", "t": 7.0})
    write(root / "0-clock-went-back", HEADER)  # a Pi without a clock named it earlier
    position = Position(tmp_path / "team.json")
    position.finish("a")
    position.acked("b", 3)
    assert position.save()
    again = Position.load(tmp_path / "team.json")
    assert (again.done, again.session, again.line, again.fresh) == ({"a"}, "b", 3, False)
    spool = Spool(root, again)
    line = spool.next()
    assert (line.session, line.number) == ("0-clock-went-back", 1)
    spool.position.finish("0-clock-went-back")
    spool._close()
    line = spool.next()
    assert (line.session, line.number, line.context.drill, line.context.athlete) == ("b", 4, "sls", "sam")


def test_a_first_start_sends_the_session_under_way_not_the_history(tmp_path):
    root = tmp_path / "sessions"
    write(root / "a", HEADER, {"type": "end"})
    write(root / "b", HEADER)
    position = Position.load(tmp_path / "team.json")
    assert position.fresh
    spool = Spool(root, position)
    spool.baseline()
    assert position.done == {"a"} and [x[:2] for x in drain(spool)] == [("b", 1)]


def test_the_messages_follow_the_schema(tmp_path):
    root = tmp_path / "sessions"
    write(root / "S", HEADER, {"type": "rep", "t": 6.5, "index": 0, "leg": "left", "verdict": "fail",
                               "failed": ["knee_inward"], "pattern": ["hip"]},
          {"type": "end", "t": 9.0, "reason": "quiet", "reps": 1, "failed": 1})
    spool = Spool(root, Position(tmp_path / "team.json"))
    lines = [spool.next() for _ in range(3)]
    got = [messages.recorded("pi-1", x.context, x.number, x.record, 0.0, x.summary) for x in lines]
    assert got[0] == ("kneecue/pi-1/session", {"v": 1, "id": "pi-1/S/1", "device": "pi-1", "session": "S",
                                               "athlete": "sam", "drill": "auto", "t": 1796637600.0,
                                               "event": "start"})
    topic, rep = got[1]
    assert topic == "kneecue/pi-1/rep" and rep["id"] == "pi-1/S/2" and rep["t"] == 1796637601.5
    assert rep["rep"] == {"t": 6.5, "index": 0, "leg": "left", "verdict": "fail", "failed": ["knee_inward"],
                          "pattern": ["hip"]}
    topic, end = got[2]
    assert end["event"] == "end" and end["summary"]["reps"] == 1 and end["summary"]["ended"] == "quiet"
    assert end["summary"]["duration_s"] == 4.0
    assert messages.recorded("pi-1", lines[0].context, 9, {"type": "trace"}, 0.0) is None
    assert messages.offline("pi-1") == {"v": 1, "device": "pi-1", "online": False}


def test_broker_settings_are_checked_saved_and_old_files_load_without_them(tmp_path):
    assert parse_url("mqtts://broker.local") == (True, "broker.local", 8883)
    assert parse_url("mqtt://10.0.0.2:1884") == (False, "10.0.0.2", 1884)
    for bad in ("http://x", "mqtt://", "mqtt://u:p@x:1883", "mqtt://x:99999"):
        with pytest.raises(ConfigError):
            parse_url(bad)
    for typed in ("mqtt://coach:s3cret@x:1883", "mqtt://coach:s3cret@x:99999", "mqtt://coach:s3cret@[x"):
        with pytest.raises(ConfigError) as refused:  # a password typed in the URL is never repeated
            parse_url(typed)
        assert "s3cret" not in str(refused.value), str(refused.value)
    with pytest.raises(ConfigError, match="device name"):
        Broker(device="a/b")
    (tmp_path / "config.json").write_text(json.dumps({"version": 2, "mode": "silent"}))  # from before the team
    config, warning = load_config(tmp_path)
    assert warning is None and config.broker == Broker() and not config.broker.enabled
    save_config(tmp_path, DeviceConfig(broker=Broker(url="mqtts://b:8883", device="pi-1", ca="/etc/ca.crt")))
    assert load_config(tmp_path)[0].broker == Broker(url="mqtts://b:8883", device="pi-1", ca="/etc/ca.crt")
    (tmp_path / "config.json").write_text(json.dumps({"broker": {"url": "ftp://x"}}))
    assert "broker URL" in load_config(tmp_path)[1]


def test_set_broker_on_the_console_takes_effect_at_once_and_says_what_is_wrong(tmp_path):
    from firmware_py.console.registry import Context, handle
    from firmware_py.console.session import ConsoleSession  # registers every command
    from firmware_py.device.state import Device
    from firmware_py.team.control import Team

    assert ConsoleSession
    device = Device(DeviceConfig(), state_dir=tmp_path)
    device.team = Team(device, tmp_path)
    ctx = Context(device)
    reply = handle(ctx, "set broker http://x", 0.0)
    assert not reply.ok and "use mqtt://HOST:PORT" in reply.text
    reply = handle(ctx, "set device_name pi-7", 0.0)
    assert reply.ok and device.settings.config.broker.device == "pi-7" and "broker: off" in reply.text
    (tmp_path / "broker.credentials").write_text("pi-7:x\n")
    (tmp_path / "broker.credentials").chmod(0o644)
    reply = handle(ctx, "set broker mqtt://127.0.0.1:1", 0.0)
    assert reply.ok and "is mode 0644: group and others may read it" in reply.text
    assert device.team.publisher is None and "broker" in device.settings.unsaved
    status = handle(ctx, "status", 0.0)
    assert "broker: credentials file" in status.text and status.data["broker"]["connected"] is False
    reply = handle(ctx, "set broker off", 0.0)
    assert reply.ok and device.settings.config.broker.url == "" and "broker: off" in reply.text
    assert "broker = off, device_name = pi-7" in handle(ctx, "get broker", 0.0).text


class FakeLink:
    """The publisher's link without a broker: connected, and a message acknowledged only
    when the test says so (``ack``)."""

    device, connected, connections, where, problem = "pi-1", True, 1, "fake:1883", None

    def __init__(self):
        import threading

        self.acked, self.sent, self.mid = threading.Event(), [], 0
        self.tracked: list[int] = []  # the recorded messages' ids, in the order handed over
        self._acks: set[int] = set()
        self._lock = threading.Lock()

    def start(self, on_connect):
        on_connect()

    def publish(self, topic, payload, *, retain=False, track=True):
        with self._lock:
            self.mid += 1
            self.sent.append((topic, payload))
            if track:
                self.tracked.append(self.mid)
            return self.mid

    def ack(self, *mids):
        with self._lock:
            self._acks.update(mids)
        self.acked.set()

    def ack_all(self):
        with self._lock:
            self._acks.update(self.tracked)
        self.acked.set()

    def done(self, mid):
        with self._lock:
            if mid in self._acks:
                self._acks.discard(mid)
                return True
            return False

    def outstanding(self, taken):
        return len(self.tracked) - taken

    def stop(self, timeout=1.0):
        self.connected = False


def recorded_ids(link):
    return [p["id"] for t, p in link.sent if not t.endswith("/status")]


def test_at_most_sixteen_messages_wait_for_their_acknowledgement_and_they_go_in_file_order(tmp_path):
    from firmware_py.team.link import IN_FLIGHT
    from firmware_py.team.publisher import Publisher

    root = tmp_path / "sessions"
    write(root / "S", HEADER, *[{"type": "rep", "t": 6.0 + i} for i in range(40)], {"type": "end", "t": 50.0})
    link = FakeLink()
    publisher = Publisher(link, root, tmp_path / "team.json", status=lambda: ("sam", "sls", "ok", None))
    position = Position(tmp_path / "team.json")
    spool = Spool(root, position)
    publisher._fill(spool)
    publisher._fill(spool)
    assert recorded_ids(link) == [f"pi-1/S/{n}" for n in range(1, IN_FLIGHT + 1)]  # the window, no more
    link.ack(link.tracked[2])  # the third first: the position waits for the first two
    publisher._take_acks(position)
    assert position.line == 0
    link.ack(*link.tracked[:2])
    publisher._take_acks(position)
    assert position.line == 3
    publisher._fill(spool)
    assert len(link.tracked) == IN_FLIGHT + 3 and publisher._in_flight == IN_FLIGHT
    while not publisher._take_acks(position):
        publisher._fill(spool)
        assert publisher._in_flight <= IN_FLIGHT
        link.ack(link.tracked[publisher.acknowledged])  # one at a time, in order
    assert recorded_ids(link) == [f"pi-1/S/{n}" for n in range(1, 43)]
    assert position.done == {"S"} and publisher.acknowledged == publisher.sent == 42


def test_lines_not_published_cost_no_memory_while_the_broker_does_not_acknowledge(tmp_path):
    from firmware_py.team.publisher import PENDING, Publisher

    root = tmp_path / "sessions"
    lines = []
    for i in range(3000):
        lines.append({"type": "trace", "t": [i] * 20} if i % 2 else {"type": "cue", "t": i, "said": "knee"})
        if i % 500 == 0:
            lines.append({"type": "rep", "t": float(i)})
    write(root / "S", HEADER, *lines)
    write(root / "T", HEADER, *lines[:50])  # a second session waits its turn
    link = FakeLink()
    publisher = Publisher(link, root, tmp_path / "team.json", status=lambda: ("sam", "sls", "ok", "T"))
    position = Position(tmp_path / "team.json")
    spool = Spool(root, position, current=lambda: "T")
    for _ in range(3):
        publisher._fill(spool)
    assert len(recorded_ids(link)) == 1 + 6 + 2  # S's header and reps, T's header and rep: none acknowledged
    assert len(publisher._pending) <= 20 <= PENDING  # a place per message, one per run of lines not sent
    assert all(not isinstance(x, dict) for place in publisher._pending for x in place)
    link.ack_all()
    publisher._take_acks(position)
    assert position.done == {"S"} and (position.session, position.line) == ("T", 1 + 50)


def test_the_status_follows_the_light_at_most_five_times_a_second_and_the_records_in_order(tmp_path):
    """The publisher on a fake link: a light that changes at every look costs at most
    STATUS_HZ messages a second; recorded lines go out in file order, one window at a time."""
    import time

    from firmware_py.team.link import IN_FLIGHT
    from firmware_py.team.publisher import STATUS_HZ, Publisher

    root = tmp_path / "sessions"
    write(root / "S", HEADER, *[{"type": "rep", "t": 6.0 + i} for i in range(40)])
    looks = iter(range(10**6))
    link = FakeLink()
    publisher = Publisher(link, root, tmp_path / "team.json",
                          status=lambda: ("sam", "sls", ("ok", "alert")[next(looks) % 2], "S"))
    publisher.start()
    deadline, most = time.monotonic() + 1.0, 0
    while time.monotonic() < deadline:
        time.sleep(0.02)
        most = max(most, len(link.tracked) - publisher.acknowledged)
        link.ack(*link.tracked[publisher.acknowledged:publisher.acknowledged + 4])  # a few at a time
    publisher.stop()
    assert 0 < most <= IN_FLIGHT
    statuses = [p for t, p in link.sent if t.endswith("/status")]
    assert 3 <= len(statuses) <= STATUS_HZ + 1
    assert [p["id"] for t, p in link.sent if t.endswith("/rep")] == [f"pi-1/S/{n}" for n in range(2, 42)]
    assert Position.load(tmp_path / "team.json").line == 41


def _team(tmp_path):
    from firmware_py.device.state import Device
    from firmware_py.team.control import Team

    return Team(Device(DeviceConfig(), state_dir=tmp_path), tmp_path)


def _ended(thread, timeout=5.0):
    import time

    deadline = time.monotonic() + timeout
    while thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    return not thread.is_alive()


def test_a_new_publisher_never_starts_while_the_old_one_is_still_stopping(tmp_path):
    """A TLS broker that accepts and never answers holds paho's handshake (and so its
    loop_stop) for seconds: set broker answers within about 3 s, starts nothing while the
    old thread lives, and starts once it has ended."""
    import socket
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # never accepted: the TCP connect succeeds, the TLS handshake waits
    team = _team(tmp_path)
    try:
        team.apply(Broker(url=f"mqtts://127.0.0.1:{silent.getsockname()[1]}", device="pi-1"))
        old = team.publisher
        assert old.link.client.connect_timeout == 2.0
        time.sleep(0.5)  # paho is in the handshake
        t0 = time.monotonic()
        line = team.apply(Broker(url="mqtt://127.0.0.1:1", device="pi-1"))
        assert time.monotonic() - t0 < 3.2
        assert line == "broker: still stopping, try again" and team.publisher is None and old.is_alive()
        assert "still stopping" in team.data()["problem"]
        silent.close()  # the pending connection is reset: the handshake fails, paho's thread ends
        assert _ended(old)
        line = team.apply(Broker(url="mqtt://127.0.0.1:1", device="pi-1"), again=True)
        assert team.publisher is not None and "still stopping" not in line
    finally:
        silent.close()
        team.close()


def test_a_username_that_is_not_the_device_name_and_a_password_in_clear_are_said(tmp_path):
    credentials = tmp_path / "broker.credentials"
    credentials.write_text("coach:secret\n")
    credentials.chmod(0o600)
    team = _team(tmp_path)
    try:
        line = team.apply(Broker(url="mqtt://127.0.0.1:1", device="pi-1"))
        assert ("broker: username coach is not the device name pi-1: the example ACL lets a device write only "
                "kneecue/<its username>/...") in line.splitlines()
        assert "broker: mqtt:// sends the password in clear; use mqtts://" in line.splitlines()
        assert team.publisher is not None and len(team.data()["warnings"]) == 2  # warned, not refused
        credentials.write_text("pi-1:secret\n")
        line = team.apply(Broker(url="mqtt://127.0.0.1:1", device="pi-1"), again=True)
        assert line.splitlines()[1:] == ["broker: mqtt:// sends the password in clear; use mqtts://"]
    finally:
        team.close()


def test_a_publisher_ended_by_an_error_says_so_in_status(tmp_path, monkeypatch):
    from firmware_py.team.publisher import Publisher

    def broken(self):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Publisher, "_run", broken)
    team = _team(tmp_path)
    try:
        team.apply(Broker(url="mqtt://127.0.0.1:1", device="pi-1"))
        assert _ended(team.publisher)
        assert team.line() == ("broker: the publisher stopped: RuntimeError: disk on fire; set broker again to "
                               "restart")
        assert "disk on fire" in team.data()["problem"]
    finally:
        team.close()
