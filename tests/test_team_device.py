"""The device half of a team (issue 27): `kneecue run` publishes what it records to a
real Mosquitto, and every rep arrives once, in order, with an id, through a broker that
stops and starts again and a device that restarts; wrong credentials and TLS mistakes
are one clear line; with no broker there is no publisher and no network."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from mosquitto import Mosquitto, Subscriber

from firmware_py.records.sessionfile import session_files

ROOT = Path(__file__).resolve().parent.parent


class DeviceRun:
    """`kneecue run` on the scripted athlete, unpaced and looped (a dozen reps a second,
    mock pins), its log read line by line as it comes."""

    def __init__(self, state: Path, broker: dict | None) -> None:
        state.mkdir(parents=True, exist_ok=True)
        if broker is not None:
            (state / "config.json").write_text(json.dumps({"broker": broker}))
        self.lines: list[str] = []
        self.proc = subprocess.Popen([sys.executable, "-m", "firmware_py", "run", "--source", "synthetic:valgus",
                                      "--loop", "--gpio", "mock", "--state-dir", str(state)], cwd=ROOT,
                                     stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 10.0, after: int = 0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, line in enumerate(self.lines[after:], after):
                if text in line:
                    return i
            time.sleep(0.01)
        raise AssertionError(f"no {text!r} in the log: {self.lines[-20:]}")

    def stop_broker(self, broker: Mosquitto, sub: Subscriber) -> None:
        """Stop the broker under the device mid-session.  A broker stopped with messages it
        acknowledged but has not yet handed to a subscriber loses them (persistence off:
        they were only in its memory); that loss is the broker's, not the device's.  So
        the device is paused (SIGSTOP) until the subscriber has heard all the broker
        took, the broker stops, and the device goes on, recording, from there."""
        self.proc.send_signal(signal.SIGSTOP)
        try:
            heard, still = -1, time.monotonic()
            while time.monotonic() - still < 0.3:
                if len(sub.messages) != heard:
                    heard, still = len(sub.messages), time.monotonic()
                time.sleep(0.02)
            broker.stop()
            sub.drop()
        finally:
            self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(15) == 0, self.lines[-20:]
        self.reader.join(5)
        assert not [x for x in self.lines if "Traceback" in x], self.lines


def rep_lines(path: Path) -> list[int]:
    """The 1-based line numbers of the rep records in a session file."""
    out = []
    for number, raw in enumerate(path.read_bytes().split(b"\n")[:-1], 1):
        try:
            if json.loads(raw).get("type") == "rep":
                out.append(number)
        except ValueError:
            pass
    return out


def test_every_rep_arrives_once_in_order_through_a_broker_restart_and_a_device_restart(tmp_path):
    with Mosquitto(tmp_path / "broker") as broker:
        sub = Subscriber(broker.port)
        state = tmp_path / "state"
        device = DeviceRun(state, {"url": f"mqtt://127.0.0.1:{broker.port}", "device": "pi-1"})
        try:
            # (a) session start, then reps, each with its id
            sub.wait(lambda s: len(s.of("rep")) >= 3, timeout=20)
            start = sub.of("session")[0]
            assert start["event"] == "start" and start["v"] == 1 and start["device"] == "pi-1"
            session = start["session"]
            assert start["id"] == f"pi-1/{session}/1"
            status = sub.of("status")[-1]
            assert status["online"] is True and status["session"] == session and status["athlete"] == "default"
            # (b) the broker goes away mid-session: the device goes on recording
            device.stop_broker(broker, sub)
            away = device.wait_for("connection refused")  # the device's first retry failed: its next is 2 s off
            broker.start()  # the same port, nothing persisted: what was in flight is the device's to send again
            sub.connect()
            device.wait_for("broker: connected", after=away, timeout=10)
            time.sleep(0.5)
            device.stop()
        finally:
            if device.proc.poll() is None:
                device.proc.kill()
        (path,) = session_files(state)
        expected = [f"pi-1/{session}/{n}" for n in rep_lines(path)]
        sub.wait(lambda s: any(p.get("event") == "end" for p in s.of("session")), timeout=5)
        heard = [p["id"] for p in sub.of("rep")]
        distinct = list(dict.fromkeys(heard))
        assert len(expected) > 10
        assert distinct == expected  # none missing, none extra, in file order
        assert len(heard) - len(distinct) <= 16  # only QoS 1 redelivery of what was in flight (link.IN_FLIGHT)
        records = path.read_bytes().split(b"\n")
        for p in sub.of("rep"):
            assert set(p) == {"v", "id", "device", "session", "athlete", "drill", "t", "rep"}
            assert {"index", "leg", "verdict", "failed", "pattern"} <= set(p["rep"]), sorted(p["rep"])
            record = json.loads(records[int(p["id"].rsplit("/", 1)[1]) - 1])  # its line in the session file
            assert p["rep"] == {k: v for k, v in record.items() if k != "type"}
        end = [p for p in sub.of("session") if p.get("event") == "end"][-1]
        assert end["summary"]["reps"] == len(expected) and end["summary"]["ended"] == "stopped"
        assert sub.of("status")[-1] == {"v": 1, "device": "pi-1", "online": False}
        position = json.loads((state / "team.json").read_text())
        assert session in position["done"]

        # (c) the device restarts, its position kept: nothing acknowledged is sent again
        before = len(sub.messages)
        again = DeviceRun(state, None)
        try:
            sub.wait(lambda s: any(p.get("session") != session for p in s.of("rep")[0:]), timeout=20)
            again.stop()
        finally:
            if again.proc.poll() is None:
                again.proc.kill()
        later = [p for t, p, _ in sub.messages[before:] if "id" in p]
        assert later and not [p["id"] for p in later if p["session"] == session]
        sub.drop()


def test_wrong_password_is_one_clear_line_and_nothing_crashes(tmp_path):
    with Mosquitto(tmp_path / "broker", users={"pi-1": "right"}) as broker:
        state = tmp_path / "state"
        state.mkdir()
        credentials = state / "broker.credentials"
        credentials.write_text("pi-1:wrong\n")
        credentials.chmod(0o600)
        team, device = _team(state, f"mqtt://127.0.0.1:{broker.port}")
        device.settings.update(lambda c: c.replace(broker=team.broker))
        try:
            _until(lambda: "not authorised" in team.line())
            assert team.line().splitlines() == [
                f"broker: not authorised (wrong username or password) by 127.0.0.1:{broker.port} "
                f"(0 of 0 messages acknowledged; retrying)",
                "broker: mqtt:// sends the password in clear; use mqtts://"]  # said, not refused
            credentials.write_text("pi-1:right\n")
            from firmware_py.console.registry import Context, handle
            from firmware_py.console.session import ConsoleSession  # registers every command

            assert ConsoleSession
            reply = handle(Context(device), f"set broker mqtt://127.0.0.1:{broker.port}", 0.0)  # the same: read again
            assert reply.ok, reply.text
            _until(lambda: "connected" in team.line())
        finally:
            team.close()


def test_credentials_others_can_read_are_refused_in_one_line(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "broker.credentials").write_text("pi-1:secret\n")
    (state / "broker.credentials").chmod(0o640)
    team, _ = _team(state, "mqtt://127.0.0.1:1")
    assert team.publisher is None
    assert team.line() == (f"broker: credentials file {state / 'broker.credentials'} is mode 0640: group and others "
                           f"may read it; make it 0600 and the service user's (chmod 600); not publishing")


def test_tls_to_a_plain_listener_and_plain_to_a_tls_listener_are_one_clear_line(tmp_path):
    with Mosquitto(tmp_path / "plain") as plain, Mosquitto(tmp_path / "tls", tls=True) as tls:
        state = tmp_path / "state"
        state.mkdir()
        team, _ = _team(state, f"mqtts://127.0.0.1:{plain.port}", ca=str(tls.cafile))
        _until(lambda: "TLS" in team.line())
        assert team.line().startswith(f"broker: TLS handshake failed with 127.0.0.1:{plain.port}: ")
        assert "is it a TLS listener?" in team.line()
        team.close()
        team, _ = _team(state, f"mqtt://127.0.0.1:{tls.port}")
        _until(lambda: "closed" in team.line())
        assert team.line().startswith(f"broker: 127.0.0.1:{tls.port} closed the connection before answering "
                                      f"(is it a TLS listener? use mqtts://)")
        team.close()
        team, _ = _team(state, f"mqtts://127.0.0.1:{tls.port}")  # the system's CAs do not know ours
        _until(lambda: "TLS" in team.line())
        assert "certificate is not trusted" in team.line()
        team.close()
        team, _ = _team(state, f"mqtts://localhost:{tls.port}", ca=str(tls.cafile))
        _until(lambda: "connected" in team.line())
        team.close()


def test_no_broker_no_publisher_thread_and_no_network(tmp_path):
    """`kneecue run` with no broker set: the team code is not even imported, no thread
    beyond today's, and no socket but the AF_UNIX ones (an audit hook watches)."""
    script = (
        "import sys, socket, threading, runpy\n"
        "seen = []\n"
        "def hook(event, args):\n"
        "    if event in ('socket.connect', 'socket.bind') and args[0].family != socket.AF_UNIX:\n"
        "        seen.append((event, str(args[1])))\n"
        "sys.addaudithook(hook)\n"
        "sys.argv = ['kneecue', 'run', '--source', 'synthetic:valgus', '--gpio', 'mock', '--state-dir', sys.argv[1]]\n"
        "try:\n"
        "    runpy.run_module('firmware_py', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(seen, sorted(m for m in sys.modules if m.startswith(('paho', 'firmware_py.team.'))))\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "state")], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[] ['firmware_py.team.control']"
    assert "broker" not in done.stderr
    assert (tmp_path / "state" / "sessions").is_dir() and not (tmp_path / "state" / "team.json").exists()


def test_a_device_with_no_broker_builds_no_thread(tmp_path):
    from firmware_py.device.broker import Broker

    team, _ = _team(tmp_path, "")
    before = {t.name for t in threading.enumerate()}
    assert team.apply(Broker()) == "broker: off" and team.publisher is None
    assert {t.name for t in threading.enumerate()} == before


# -- helpers ------------------------------------------------------------------------------


def _team(state: Path, url: str, **broker):
    from firmware_py.device.broker import Broker
    from firmware_py.device.config import DeviceConfig
    from firmware_py.device.state import Device
    from firmware_py.team.control import Team

    device = Device(DeviceConfig(), state_dir=state)
    team = Team(device, state)
    device.team = team
    team.apply(Broker(url=url, device="pi-1", **broker))
    return team, device


def _until(condition, timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")



def test_a_power_cut_while_the_broker_is_away_loses_no_rep_and_the_last_will_says_offline(tmp_path):
    """SIGKILL is the power cut, here while the broker is away: at the next start every
    rep of the cut-short session arrives, once after de-duplication.  A device killed
    with the broker up is announced offline by its last will."""
    with Mosquitto(tmp_path / "broker") as broker:
        sub = Subscriber(broker.port)
        state = tmp_path / "state"
        device = DeviceRun(state, {"url": f"mqtt://127.0.0.1:{broker.port}", "device": "pi-1"})
        try:
            sub.wait(lambda s: len(s.of("rep")) >= 3, timeout=20)
            device.stop_broker(broker, sub)
            device.wait_for("connection refused")  # it records on, unpublished
        finally:
            device.proc.kill()
            device.proc.wait(5)
        (cut,) = session_files(state)
        expected = [f"pi-1/{cut.parent.name}/{n}" for n in rep_lines(cut)]
        assert len(expected) > len(sub.of("rep"))
        broker.start()
        sub.connect()
        again = DeviceRun(state, None)
        try:
            sub.wait(lambda s: any(p["session"] != cut.parent.name for p in s.of("rep")), timeout=20)
        finally:
            again.proc.kill()
            again.proc.wait(5)
        heard = [p["id"] for p in sub.of("rep") if p["session"] == cut.parent.name]
        assert list(dict.fromkeys(heard)) == expected
        assert len(heard) - len(expected) <= 16
        sub.wait(lambda s: s.of("status")[-1] == {"v": 1, "device": "pi-1", "online": False}, timeout=5)
