"""Soak: `kneecue run` on a looped clip, unpaced, for a long time; does anything grow?

Usage: python tests/benchmarks/soak.py CLIP [--minutes 30] [--every 10] [--json]

Runs the real service (mock pins, events file, console on a pipe) as fast as the
clip decodes and scores, asks `status` every ``--every`` seconds, and reads the
process's resident memory from /proc.  Reports RSS after the first minute and at
the end (the issue's bar: within 5%), and the median of the first and the last
fifth with the peak (a replay clip being written moves RSS by several MB, so two
single samples can differ by that much either way), frames per second and
capture-to-cue latency in the first and the last fifth of the run (no rising
latency), and what the frame loop kept up with.  Prints numbers; asserts nothing
(CI prints them for docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def rss_kb(pid: int) -> tuple[int, int]:
    """(total, anonymous) resident kB of ``pid``."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]), int(fields.get("RssAnon", "0 kB").split()[0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip")
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--feet", choices=("off", "lite", "full"), help="the run's foot model (default: the run's, lite)")
    args = ap.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="kneecue-soak-"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "firmware_py", "run", "--source", args.clip, "--loop", "--gpio", "mock",
         "--console", "stdio", "--events", str(folder / "events.jsonl"), "--state-dir", str(folder / "state"),
         *(["--feet", args.feet] if args.feet else [])],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
    replies: list[dict] = []

    def read() -> None:
        for line in proc.stdout:
            line = line.strip()
            if line.startswith('{"ok": true, "athlete"'):
                replies.append(json.loads(line))

    threading.Thread(target=read, daemon=True).start()
    proc.stdin.write("json on\n")
    samples = []  # (seconds since start, status, rss, anon)
    start = time.monotonic()
    try:
        while time.monotonic() - start < args.minutes * 60:
            time.sleep(args.every)
            before = len(replies)
            proc.stdin.write("status\n")
            deadline = time.monotonic() + 10
            while len(replies) == before and time.monotonic() < deadline:
                time.sleep(0.05)
            if len(replies) > before and "frame" in replies[-1]:
                samples.append((time.monotonic() - start, replies[-1], *rss_kb(proc.pid)))
    finally:
        proc.terminate()
        code = proc.wait(30)
    if not samples:
        print(f"soak: no frame was scored (exit status {code}); is KNEECUE_MODEL_DIR set?", file=sys.stderr)
        return 1
    first_minute = next((s for s in samples if s[0] >= 60), samples[0])
    fifth = max(1, len(samples) // 5)
    early, late = samples[:fifth], samples[-fifth:]

    def med(rows, key):
        return round(statistics.median(r[1][key] for r in rows), 2)

    frames = samples[-1][1]["frame"] - samples[0][1]["frame"]
    span = samples[-1][0] - samples[0][0]
    report = {
        "minutes": round(samples[-1][0] / 60, 1), "samples": len(samples), "exit": code,
        "rss_after_1min_mb": round(first_minute[2] / 1024, 1), "rss_end_mb": round(samples[-1][2] / 1024, 1),
        "rss_growth": round(samples[-1][2] / first_minute[2] - 1, 4),
        "anon_after_1min_mb": round(first_minute[3] / 1024, 1), "anon_end_mb": round(samples[-1][3] / 1024, 1),
        "rss_median_first_fifth_mb": round(statistics.median(r[2] for r in early) / 1024, 1),
        "rss_median_last_fifth_mb": round(statistics.median(r[2] for r in late) / 1024, 1),
        "rss_peak_mb": round(max(r[2] for r in samples) / 1024, 1),
        "fps_first_fifth": med(early, "fps"), "fps_last_fifth": med(late, "fps"),
        "latency_ms_first_fifth": med(early, "latency_ms"), "latency_ms_last_fifth": med(late, "latency_ms"),
        "frames_per_s": round(frames / span, 1) if span else None,
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(f"soak: {report['minutes']} min of {Path(args.clip).name} looped, unpaced, {report['samples']} samples")
        print(f"  RSS after 1 min {report['rss_after_1min_mb']} MB, at the end {report['rss_end_mb']} MB "
              f"({report['rss_growth']:+.1%}); anonymous {report['anon_after_1min_mb']} -> {report['anon_end_mb']} MB")
        print(f"  RSS median, first fifth {report['rss_median_first_fifth_mb']} MB, last fifth "
              f"{report['rss_median_last_fifth_mb']} MB; peak {report['rss_peak_mb']} MB")
        print(f"  fps first fifth {report['fps_first_fifth']}, last fifth {report['fps_last_fifth']}")
        print(f"  capture to cue, median: first fifth {report['latency_ms_first_fifth']} ms, "
              f"last fifth {report['latency_ms_last_fifth']} ms")
        print(f"  exit status after SIGTERM: {code}")
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
