"""Peak memory of `kneecue analyze` on a clip, against a bare decode-and-invoke loop.

Prints, for each, the peak RSS (from wait4) and the peak anonymous RSS (sampled
from /proc every 10 ms); asserts nothing.  The two differ by the shared libraries'
file pages: clean and reclaimable, and larger right after a fresh install (pages
of just-written files sit in the page cache in large folios, so mapping them
pulls in more at once: +~48 MB here for the same venv before a cache drop).
Anonymous memory is what the process itself allocates.
Usage: python tests/benchmarks/analyze_memory.py CLIP
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

BARE_LOOP = r"""
import sys
from firmware_py.system.cv import cv2
from firmware_py.pose.modelfiles import find_model
from firmware_py.pose.movenet import MoveNet
model = MoveNet(find_model(), num_threads=2)
cap = cv2.VideoCapture(sys.argv[1])
while True:
    ok, bgr = cap.read()
    if not ok:
        break
    model.invoke(cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (model.input_size,) * 2))
"""


def _anon_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def peaks_mb(argv: list[str]) -> tuple[float, float]:
    """(peak RSS, peak anonymous RSS) of one child, in MB."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    anon = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        anon = max(anon, _anon_kb(proc.pid))
        time.sleep(0.01)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[:4]} failed")
    return usage.ru_maxrss / 1024, anon / 1024


def main() -> None:
    clip = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        analyze = peaks_mb([sys.executable, "-m", "firmware_py", "analyze", clip, "--json",
                            "--out", os.path.join(tmp, "out.jsonl")])
    bare = peaks_mb([sys.executable, "-c", BARE_LOOP, clip])
    print(f"peak memory on {os.path.basename(clip)}: kneecue analyze RSS {analyze[0]:.0f} MB "
          f"(anonymous {analyze[1]:.0f} MB); bare decode+invoke loop RSS {bare[0]:.0f} MB "
          f"(anonymous {bare[1]:.0f} MB)")


if __name__ == "__main__":
    main()
