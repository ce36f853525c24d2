"""The coach's half of the team's security (issue 27 item 4): TLS, a username and
password, and a user the broker lets only read.  ``kneecue coach`` runs as a coach
would run it, against a Mosquitto with a throwaway certificate authority, a password
file and an ACL; its page stream is read with urllib (the browser test is
test_coach_live.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import paho.mqtt.client as mqtt
from mosquitto import Mosquitto, free_port, need_mosquitto

from firmware_py.fakes.teamdevice import SimulatedDevice, record

ROOT = Path(__file__).resolve().parents[1]
ACL = (ROOT / "systemd" / "mosquitto" / "kneecue.acl").read_text()  # the example the docs give, as shipped


def events(url: str, until, timeout: float = 10.0) -> list[dict]:
    """The device views the stream sends, read until ``until(views)`` holds."""
    views, end = [], time.monotonic() + timeout
    with urllib.request.urlopen(url + "events", timeout=timeout) as stream:
        kind = None
        while time.monotonic() < end:
            line = stream.readline().decode()
            if line.startswith("event: "):
                kind = line[7:].strip()
            elif line.startswith("data: ") and kind == "device":
                views.append(json.loads(line[6:]))
                if until(views):
                    return views
    raise TimeoutError(f"the stream did not show it in {timeout} s: {views[-1:] if views else 'nothing'}")


def start_coach(tmp_path: Path, broker: Mosquitto, password: str) -> tuple[subprocess.Popen, str]:
    credentials = tmp_path / f"coach-{password}.credentials"
    credentials.write_text(f"coach:{password}\n")
    credentials.chmod(0o600)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "firmware_py", "coach", "--broker", f"mqtts://127.0.0.1:{broker.port}",
         "--credentials", str(credentials), "--cafile", str(broker.cafile), "--listen", f"127.0.0.1:{port}"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    end = time.monotonic() + 15
    while time.monotonic() < end:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            return process, f"http://127.0.0.1:{port}/"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise TimeoutError(f"kneecue coach did not serve: {process.communicate()[1][-1000:]}")


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    return process.communicate(timeout=10)[1]


def test_over_tls_with_a_password_the_coach_reads_and_cannot_write(tmp_path):
    need_mosquitto()
    with Mosquitto(tmp_path, users={"coach": "coach-pw", "pi-s": "device-pw"}, acl=ACL, tls=True) as broker:
        coach, url = start_coach(tmp_path, broker, "coach-pw")
        device = SimulatedDevice("pi-s", "127.0.0.1", broker.port, username="pi-s", password="device-pw",
                                 cafile=str(broker.cafile)).start()
        try:
            device.set_status(athlete="sam", drill="sls", light="ok", session="s1")
            # the view has subscribed once it shows the (retained) status: a rep published before
            # that reaches no one (the view serves its page before its TLS connection is up, and
            # under a loaded suite the rep came first and the stream waited for it for ever)
            events(url, lambda views: any(v["device"] == "pi-s" for v in views))
            device.publish("rep", record("pi-s", "s1", 5, index=0, failed=("knee_inward",), pattern=("hip",)))
            shown = events(url, lambda views: any(v["recent"] for v in views))[-1]
            assert shown["device"] == "pi-s" and shown["recent"][0]["pattern_words"].startswith("lead: hip")
            # the coach's user may not publish: the broker refuses it, so nothing reaches the view
            intruder = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="not-the-view", protocol=mqtt.MQTTv5)
            intruder.username_pw_set("coach", "coach-pw")
            intruder.tls_set(ca_certs=str(broker.cafile))
            intruder.connect("127.0.0.1", broker.port)
            intruder.loop_start()
            intruder.publish("kneecue/pi-s/rep", json.dumps(record("pi-s", "s1", 6, index=1)), qos=1).wait_for_publish(5)
            intruder.publish("kneecue/pi-s/status", json.dumps({"v": 1, "device": "pi-s", "online": False}),
                             qos=1).wait_for_publish(5)
            # nor under its own name: the ACL's device pattern (kneecue/%u/#) must not let it write there
            intruder.publish("kneecue/coach/status", json.dumps({"v": 1, "device": "coach", "online": True,
                             "light": "ok", "t": 1.0}), qos=1).wait_for_publish(5)
            intruder.publish("kneecue/coach/rep", json.dumps(record("coach", "s1", 1, index=0)), qos=1).wait_for_publish(5)
            intruder.disconnect()
            intruder.loop_stop()
            device.publish("rep", record("pi-s", "s1", 7, index=2)).wait_for_publish(5)
            views = events(url, lambda views: any(len(v["recent"]) >= 2 for v in views))
            final = views[-1]
            assert [r["id"] for r in final["recent"]] == ["pi-s/s1/7", "pi-s/s1/5"] and final["online"] is True
            assert {v["device"] for v in views} == {"pi-s"}, "the coach's own writes reached the view"
        finally:
            device.stop()
            said = stop(coach)
        assert "coach's view at" in said and "connected" in said and "ignored" not in said, said


def test_a_wrong_password_is_one_line_and_the_view_keeps_trying(tmp_path):
    need_mosquitto()
    with Mosquitto(tmp_path, users={"coach": "coach-pw"}, acl=ACL, tls=True) as broker:
        coach, url = start_coach(tmp_path, broker, "wrong")
        time.sleep(1.5)  # several retries
        assert coach.poll() is None
        said = stop(coach)
    refusals = [line for line in said.splitlines() if "refused" in line]
    assert len(refusals) == 1 and ("Not authorized" in refusals[0] or "Bad user name" in refusals[0]), said
