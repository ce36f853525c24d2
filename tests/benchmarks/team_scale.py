"""The team at scale: N simulated devices, one Mosquitto, `kneecue coach` reading them all.

Usage: python tests/benchmarks/team_scale.py [--devices 20] [--seconds 60] [--down 2]
       [--persistence] [--order free|coach-first|coach-last] [--browser] [--json]

Each device is a real paho client (firmware_py.fakes.teamdevice) publishing per the
schema at a realistic rate: its status (the light) changes every 0.25-0.5 s, a rep
every 2-4 s.  `kneecue coach` runs as its own process; this script reads the page's
Server-Sent Events stream as a browser would, and a counting subscriber of its own
measures what the broker delivers.  Halfway, the broker is stopped for ``--down``
seconds and started again; the devices publish on meanwhile (paho keeps QoS 1
messages) and come back on their own backoff, or (``--order``) only after the view
has subscribed again, or all before it.  Prints messages per second, the delay from a
rep's end (its ``t``) to the view model, to the page's stream and (``--browser``,
the page open in headless Chromium) to the page's DOM, the view's
resident memory, and how many reps were lost or doubled.  Asserts nothing:
test_coach_scale.py runs a small version and asserts nothing is lost or doubled.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from mosquitto import Mosquitto, free_port  # noqa: E402

from firmware_py.fakes.teamdevice import SimulatedDevice, record, session_event  # noqa: E402

LIGHTS = ("ok", "ok", "ok", "warn", "alert", "idle")
# Injected into the page in Chromium (--browser): when each rep's row first enters the DOM.
OBSERVER = """window.kneecueSeen = {};
new MutationObserver(() => {
  const now = Date.now() / 1000;
  for (const row of document.querySelectorAll('tr.record')) {
    if (!(row.dataset.id in window.kneecueSeen)) window.kneecueSeen[row.dataset.id] = now - parseFloat(row.dataset.t);
  }
}).observe(document.body, {childList: true, subtree: true});"""


def rss_kb(pid: int) -> tuple[int, int]:
    """(resident, peak resident) kB of ``pid``."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


class Stream(threading.Thread):
    """The page's event stream, read as a browser would: when each record first shows."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.first_seen, self.model_delay, self.page_delay = url, {}, {}, {}
        self.connected = threading.Event()
        self.updates = 0
        self.stop = False

    def run(self) -> None:
        while not self.stop:
            try:
                self._read()
            except OSError:
                time.sleep(0.2)

    def _read(self) -> None:
        with urllib.request.urlopen(self.url + "events", timeout=30) as stream:
            kind = None
            for raw in stream:
                if self.stop:
                    return
                line = raw.decode()
                if line.startswith("event: "):
                    kind = line[7:].strip()
                elif line.startswith("data: "):
                    self._take(kind, json.loads(line[6:]), time.time())

    def _take(self, kind: str, data: dict, now: float) -> None:
        if kind == "broker":
            (self.connected.set if data["connected"] else self.connected.clear)()
            return
        self.updates += 1
        ids = [r["id"] for r in data["recent"]]
        if len(ids) != len(set(ids)):
            raise AssertionError(f"{data['device']}: a record shown twice: {ids}")
        for r in data["recent"]:
            if r["id"] not in self.first_seen:
                self.first_seen[r["id"]] = now
                self.model_delay[r["id"]] = r["received"] - r["t"]
                self.page_delay[r["id"]] = now - r["t"]
        self.totals = getattr(self, "totals", {})
        self.totals[data["device"]] = sum(t["reps"] for t in data["totals"])


class Device(threading.Thread):
    """One simulated device's day: a session, its light changing, a rep every 2-4 s."""

    def __init__(self, name: str, port: int, until: float, seed: int):
        super().__init__(daemon=True)
        self.sim = SimulatedDevice(name, "127.0.0.1", port, reconnect=(0.5, 2.0))
        self.name, self.until, self.random = name, until, random.Random(seed)
        self.reps: dict[str, float] = {}  # id -> t
        self.published = 0
        self.athlete, self.index, self.lock = f"athlete-{name}", 0, threading.Lock()

    def run(self) -> None:
        self.sim.set_status(athlete=self.athlete, drill="sls", light="ok", session="s1")
        self.sim.publish("session", session_event(self.name, "s1", 1, "start", athlete=self.athlete, drill="sls"))
        self.published += 2
        next_rep = time.time() + self.random.uniform(0.5, 3.0)
        while time.time() < self.until:
            time.sleep(self.random.uniform(0.25, 0.5))
            self.sim.set_status(light=self.random.choice(LIGHTS))
            self.published += 1
            if time.time() >= next_rep:
                self.rep()
                next_rep = time.time() + self.random.uniform(2.0, 4.0)

    def rep(self) -> None:
        """A rep now (from this device's thread, or from the run's as the broker goes away)."""
        with self.lock:
            failed = self.random.choice([(), (), ("knee_inward",), ("trunk_sway",)])
            message = record(self.name, "s1", 10 + self.index, index=self.index, failed=failed,
                             athlete=self.athlete, pattern=("hip",) if failed == ("knee_inward",) else ())
            self.sim.publish("rep", message)
            self.reps[message["id"]], self.index = message["t"], self.index + 1
            self.published += 1


def each(sims: list[Device], do) -> None:
    """``do`` to every device at once (pausing or resuming one waits up to a second on paho)."""
    threads = [threading.Thread(target=do, args=(d,)) for d in sims]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def counter(port: int) -> tuple[object, list[int]]:
    """A subscriber of this script's own, counting what the broker delivers."""
    import paho.mqtt.client as mqtt

    count = [0]
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-counter")
    client.on_connect = lambda c, *a: c.subscribe("kneecue/+/#", qos=1)
    client.on_message = lambda *a: count.__setitem__(0, count[0] + 1)
    client.reconnect_delay_set(0.1, 1.0)
    client.connect_async("127.0.0.1", port)
    client.loop_start()
    return client, count


ORDERS = ("free", "coach-first", "coach-last")


def run(devices: int = 20, seconds: float = 60.0, down: float = 2.0, persistence: bool = False,
        order: str = "free", folder: Path | None = None, browser: bool = False) -> dict:
    """``order``: who reconnects first after the restart.  ``free``: each on its own backoff;
    ``coach-first``: the devices stay away until the view has subscribed again;
    ``coach-last``: the view is frozen (SIGSTOP) until every device is back and has sent
    what it kept, the worst order for it.  ``browser``: the page open in headless Chromium
    too, timing each rep's row into its DOM."""
    folder = Path(folder or tempfile.mkdtemp(prefix="kneecue-team-"))
    broker = Mosquitto(folder, persistence=persistence).start()
    listen = free_port()
    coach = subprocess.Popen([sys.executable, "-m", "firmware_py", "coach", "--broker",
                              f"mqtt://127.0.0.1:{broker.port}", "--listen", f"127.0.0.1:{listen}"],
                             cwd=ROOT, stderr=open(folder / "coach.log", "w"))  # noqa: SIM115
    stream = Stream(f"http://127.0.0.1:{listen}/")
    stream.start()
    sims: list[Device] = []
    page = None
    try:
        if not stream.connected.wait(15):
            raise TimeoutError(f"the coach's view never connected: {(folder / 'coach.log').read_text()[-800:]}")
        if browser:
            from cdp import Chromium

            page = Chromium(folder / "profile")
            page.open(stream.url)
            page.wait_for("document.querySelector('#link.up') !== null", 15)
            page.evaluate(OBSERVER)
        count_client, delivered = counter(broker.port)
        start = time.time()
        rss_start = rss_kb(coach.pid)[0]
        sims = [Device(f"pi-{i:02d}", broker.port, start + seconds, seed=i) for i in range(devices)]
        for d in sims:
            d.sim.start()
            d.start()
        time.sleep(seconds / 2)
        outage = [time.time()]
        if order == "coach-last":
            coach.send_signal(signal.SIGSTOP)
        broker.stop()
        for d in sims:  # one rep each while the broker is away, whatever the timing
            d.rep()
        if order == "coach-first":
            each(sims, lambda d: d.sim.pause())
        time.sleep(down)
        broker.start()
        outage.append(time.time())
        if order == "coach-first":
            stream.connected.wait(15)
            each(sims, lambda d: d.sim.resume())
        elif order == "coach-last":
            each(sims, lambda d: d.sim.connected.wait(10))
            time.sleep(0.5)  # what each kept is sent on connecting
            coach.send_signal(signal.SIGCONT)
        for d in sims:
            d.join()
        elapsed = time.time() - start
        published = sum(d.published for d in sims)
        reps = {rid: t for d in sims for rid, t in d.reps.items()}
        end = time.time() + 15
        while time.time() < end and not all(rid in stream.first_seen for rid in reps):
            time.sleep(0.2)
        time.sleep(1.0)
        rss_end, rss_peak = rss_kb(coach.pid)
        delivered_n = delivered[0]
        in_dom = page.evaluate("window.kneecueSeen") if page is not None else {}
        count_client.disconnect()
    finally:
        if page is not None:
            page.close()
        for d in sims:
            d.sim.stop()
        stream.stop = True
        coach.terminate()
        coach.wait(10)
        broker.stop()
    # the delays are of reps published while the broker was up (those kept through the outage wait for it)
    calm = [rid for rid, t in reps.items() if not outage[0] - 0.5 <= t <= outage[1] + 3.0 and rid in stream.first_seen]
    lost = sorted(rid for rid in reps if rid not in stream.first_seen)
    counted = sum(getattr(stream, "totals", {}).values())

    def spread(values: list[float]) -> dict:
        values = sorted(values)
        return {"median_ms": round(1000 * statistics.median(values), 1),
                "p95_ms": round(1000 * values[int(0.95 * (len(values) - 1))], 1),
                "max_ms": round(1000 * values[-1], 1)} if values else {}

    return {"devices": devices, "seconds": round(elapsed, 1), "broker_down_s": round(outage[1] - outage[0], 2),
            "persistence": persistence, "order": order,
            "published_per_s": round(published / elapsed, 1), "delivered_per_s": round(delivered_n / elapsed, 1),
            "page_updates_per_s": round(stream.updates / elapsed, 1), "reps": len(reps),
            "reps_while_broker_down": sum(1 for t in reps.values() if outage[0] <= t <= outage[1]),
            "delay_to_view_model": spread([stream.model_delay[r] for r in calm]),
            "delay_to_page_stream": spread([stream.page_delay[r] for r in calm]),
            **({"delay_to_page_dom": spread([in_dom[r] for r in calm if r in in_dom]),
                "reps_in_dom": len(set(in_dom) & set(reps))} if browser else {}),
            "rss_kb": {"start": rss_start, "end": rss_end, "peak": rss_peak},
            "lost": len(lost), "lost_ids": lost[:10], "counted_in_totals": counted,
            "doubled": max(0, counted - (len(reps) - len(lost)))}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devices", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--down", type=float, default=2.0, help="seconds the broker is away, halfway through")
    p.add_argument("--persistence", action="store_true", help="the broker saves its state when stopped")
    p.add_argument("--order", choices=ORDERS, default="free",
                   help="who reconnects first: free (each on its backoff), coach-first, coach-last (the view frozen)")
    p.add_argument("--browser", action="store_true", help="the page open in headless Chromium too: delay to its DOM")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    result = run(a.devices, a.seconds, a.down, a.persistence, a.order, browser=a.browser)
    if a.json:
        print(json.dumps(result))
        return 0
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
