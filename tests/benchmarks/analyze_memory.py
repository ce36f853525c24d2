"""Peak memory of `kneecue analyze` on a clip, against a bare decode-and-invoke loop.

Prints both peaks (max RSS of each child process) in MB; asserts nothing.
Usage: python tests/benchmarks/analyze_memory.py CLIP
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

BARE_LOOP = r"""
import sys
from firmware_py.cv import cv2
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


def peak_mb(argv: list[str]) -> float:
    """Max RSS of one child, read from wait4 so earlier children do not count."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[:4]} failed")
    return usage.ru_maxrss / 1024


def main() -> None:
    clip = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        analyze = peak_mb([sys.executable, "-m", "firmware_py", "analyze", clip, "--json",
                           "--out", os.path.join(tmp, "out.jsonl")])
    bare = peak_mb([sys.executable, "-c", BARE_LOOP, clip])
    print(f"peak RSS: kneecue analyze {analyze:.0f} MB, bare decode+invoke loop {bare:.0f} MB "
          f"({os.path.basename(clip)})")


if __name__ == "__main__":
    main()
