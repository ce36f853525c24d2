"""The coach's view end to end: a real Mosquitto, two simulated devices publishing with
paho, the view (in this process), and its page live in headless Chromium.

The broker is stopped and started again mid-session (persistence off, so it forgets
every retained status and session): the devices publish on while it is away (paho
keeps QoS 1 messages), come back, publish their status again, and every rep still
appears on the page exactly once, with its verdict and lead pattern.  In this test
the devices come back after the view has subscribed again; docs/team.md says what a
device that comes back first loses, and ``tests/benchmarks/team_scale.py`` measures it.
"""

from __future__ import annotations

import json
import logging
import time

from cdp import Chromium, need_chromium
from mosquitto import Mosquitto, need_mosquitto

from firmware_py.coach.app import Coach
from firmware_py.fakes.teamdevice import SimulatedDevice, record, session_event

PAGE = """JSON.stringify([...document.querySelectorAll('section.device')].map(s => ({
  device: s.dataset.device, online: s.classList.contains('online'),
  athlete: s.querySelector('.athlete').textContent, drill: s.querySelector('.drill').textContent,
  light: s.querySelector('.light').textContent,
  leds: [...s.querySelectorAll('.led')].map(l => l.className),
  records: [...s.querySelectorAll('tr.record')].map(r => ({id: r.dataset.id,
    what: r.querySelector('.what').textContent, verdict: r.querySelector('.verdict').textContent,
    failed: r.querySelector('.failed').textContent, pattern: r.querySelector('.pattern').textContent})),
  totals: [...s.querySelectorAll('tr.total')].map(t => [t.dataset.athlete, t.querySelector('.done').textContent,
    t.querySelector('.passed').textContent, t.querySelector('.failures').textContent])})))"""

# Each device's reps: (failed, pattern); the i-th rep of a device is line 10 + i of its session.
REPS = {
    "pi-a": [((), ()), (("knee_inward",), ("hip",)), (("knee_inward", "trunk_sway"), ()),
             ((), ()), (("knee_inward",), ("ankle", "hip")), (("hands_off_hips",), ()), ((), ())],
    "pi-b": [(("knee_inward",), ("feet_in",)), ((), ()), (("balance_lost",), ()),
             (("knee_inward",), ("pronation_suspected",)), ((), ()), ((), ()), (("knee_inward",), ())],
}
WHO = {"pi-a": ("sam", "sls"), "pi-b": ("alex", "squat")}


def rep(device: str, i: int) -> dict:
    failed, pattern = REPS[device][i]
    athlete, drill = WHO[device]
    return record(device, "s1", 10 + i, index=i, leg="left" if device == "pi-a" else "both", failed=failed,
                  pattern=pattern, athlete=athlete, drill=drill)


def expected_words(device: str, i: int) -> tuple[str, str, str]:
    failed, pattern = REPS[device][i]
    verdict = "FAIL" if failed else "pass"
    failed_words = ", ".join(f.replace("_", " ") for f in failed) or "—"
    if pattern:
        lead = {"hip": "lead: hip pattern", "ankle": "lead: ankle pattern", "feet_in": "lead: feet pointing in",
                "pronation_suspected": "lead: pronation suspected"}[pattern[0]]
    else:
        lead = "pattern unclear" if "knee_inward" in failed else "—"
    return verdict, failed_words, lead


def shown(page: Chromium) -> dict:
    return {d["device"]: d for d in json.loads(page.evaluate(PAGE))}


def test_two_devices_live_on_the_page_through_a_broker_restart_every_rep_once(tmp_path, caplog):
    need_mosquitto()
    need_chromium()
    (tmp_path / "broker").mkdir()
    broker = Mosquitto(tmp_path / "broker").start()
    devices: dict[str, SimulatedDevice] = {}
    caplog.set_level(logging.INFO, logger="kneecue.coach")
    try:
        with Coach(f"mqtt://127.0.0.1:{broker.port}", ("127.0.0.1", 0)) as coach, \
                Chromium(tmp_path / "profile") as page:
            page.open(coach.url)  # the page is open from the start: everything after arrives live
            page.wait_for("document.querySelector('#link.up') !== null")
            for name, (athlete, drill) in WHO.items():
                devices[name] = device = SimulatedDevice(name, "127.0.0.1", broker.port).start()
                device.set_status(athlete=athlete, drill=drill, light="ok", session="s1")
                device.publish("session", session_event(name, "s1", 1, "start", athlete=athlete, drill=drill))
            # before the restart: three reps each, one delivered twice, and a message that is not JSON
            for i in range(3):
                for name, device in devices.items():
                    device.publish("rep", rep(name, i))
            devices["pi-a"].publish("rep", rep("pi-a", 1)).wait_for_publish(5)
            devices["pi-b"].publish("rep", b"{this is not json").wait_for_publish(5)
            page.wait_for("document.querySelectorAll('tr.record').length === 6")
            assert page.evaluate("document.querySelector('[data-device=\"pi-a\"] .athlete').textContent") == "sam"

            broker.stop()  # persistence off: retained statuses and sessions are gone with it
            page.wait_for("document.querySelector('#link.down') !== null")
            for device in devices.values():
                device.pause()
            for i in range(3, 5):  # published while the broker is away: paho keeps them
                for name, device in devices.items():
                    device.publish("rep", rep(name, i))
            broker.start()
            page.wait_for("document.querySelector('#link.up') !== null", timeout=10)
            for device in devices.values():
                device.resume()  # the status again (retained), then what was kept
            devices["pi-b"].set_status(light="alert")
            for i in range(5, 7):
                for name, device in devices.items():
                    device.publish("rep", rep(name, i)).wait_for_publish(5)
            devices["pi-a"].publish("rep", rep("pi-a", 6)).wait_for_publish(5)  # again, after the restart

            page.wait_for("document.querySelectorAll('tr.record').length >= 14", timeout=10)
            time.sleep(0.5)  # a late duplicate would show by now
            seen = shown(page)
    finally:
        for device in devices.values():
            device.stop()
        broker.stop()

    assert sorted(seen) == ["pi-a", "pi-b"]
    for name, (athlete, drill) in WHO.items():
        d = seen[name]
        assert (d["online"], d["athlete"], d["drill"]) == (True, athlete, drill)
        ids = [r["id"] for r in d["records"]]
        assert sorted(ids) == sorted(f"{name}/s1/{10 + i}" for i in range(7)), ids  # each once, none lost
        for r in d["records"]:
            i = int(r["id"].rsplit("/", 1)[1]) - 10
            verdict, failed, lead = expected_words(name, i)
            assert (r["verdict"], r["failed"]) == (verdict, failed)
            assert r["pattern"].startswith(lead), (r["pattern"], lead)
            assert r["what"] == f"rep {i + 1}, {'left leg' if name == 'pi-a' else 'both legs'}"
        passed = sum(1 for f, _ in REPS[name] if not f)
        assert d["totals"] == [[athlete, "7", str(passed), str(7 - passed)]]
    assert seen["pi-a"]["light"] == "green" and seen["pi-a"]["leds"] == ["led green on", "led amber off", "led red off"]
    assert seen["pi-b"]["light"] == "red" and seen["pi-b"]["leds"] == ["led green off", "led amber off", "led red on"]
    bad = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and "ignored" in r.getMessage()]
    assert len(bad) == 1 and "'pi-b'" in bad[0] and "kneecue/pi-b/rep" in bad[0] and "not JSON" in bad[0], bad


def test_a_device_gone_without_a_word_shows_offline_by_its_last_will(tmp_path):
    need_mosquitto()
    need_chromium()
    with Mosquitto(tmp_path) as broker, Coach(f"mqtt://127.0.0.1:{broker.port}", ("127.0.0.1", 0)) as coach, \
            Chromium(tmp_path / "profile") as page:
        device = SimulatedDevice("pi-c", "127.0.0.1", broker.port).start()
        device.set_status(athlete="kim", drill="run", light="warn")
        page.open(coach.url)
        page.wait_for("document.querySelector('[data-device=\"pi-c\"].online .led.amber.on') !== null")
        device.close()  # the socket dropped, no DISCONNECT: the broker publishes the will
        page.wait_for("document.querySelector('[data-device=\"pi-c\"].offline') !== null")
        assert page.evaluate("document.querySelector('[data-device=\"pi-c\"] .light').textContent") == "offline"



def test_devices_named_like_javascript_object_keys_are_shown_like_any_other(tmp_path):
    """A device named __proto__ or constructor is only a name: the page keeps its devices in a Map."""
    need_chromium()
    from firmware_py.coach.hub import Hub
    from firmware_py.coach.server import CoachServer
    from firmware_py.fakes.teamdevice import status

    hub = Hub()
    with CoachServer(("127.0.0.1", 0), hub, heartbeat=0.2) as server, Chromium(tmp_path / "profile") as page:
        server.start()
        page.open(server.url)
        page.wait_for("document.querySelector('#empty') !== null && window.Alpine !== undefined")
        for name, light in (("__proto__", "ok"), ("constructor", "warn"), ("pi-1", "alert"), ("hasOwnProperty", "ok")):
            hub.receive(f"kneecue/{name}/status", json.dumps(status(name, athlete=name, light=light)).encode())
        page.wait_for("document.querySelectorAll('section.device').length === 4")
        hub.receive("kneecue/__proto__/status", json.dumps(status("__proto__", athlete="kim", light="alert")).encode())
        page.wait_for("document.querySelector('[data-device=\"__proto__\"] .athlete').textContent === 'kim'")
        seen = shown(page)
    assert sorted(seen) == ["__proto__", "constructor", "hasOwnProperty", "pi-1"]
    assert (seen["constructor"]["athlete"], seen["constructor"]["light"]) == ("constructor", "amber")
    assert seen["__proto__"]["light"] == "red"
