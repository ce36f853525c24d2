"""The scale benchmark, small (tests/benchmarks/team_scale.py): three simulated devices
through one Mosquitto into `kneecue coach` (its own process), the broker restarted
halfway with a rep from each device published while it is away; every rep reaches
the page's stream once, none lost, none doubled.  Speed is not asserted: the
figures are the benchmark's, in docs/team.md."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from mosquitto import need_mosquitto

sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
from team_scale import run  # noqa: E402


@pytest.mark.parametrize("persistence, order", [(False, "coach-first"), (True, "coach-last")],
                         ids=["no-persistence-devices-back-after-the-view", "persistence-view-back-last"])
def test_three_devices_through_a_broker_restart_lose_and_double_nothing(tmp_path, persistence, order):
    need_mosquitto()
    result = run(devices=3, seconds=3.0, down=0.8, persistence=persistence, order=order, folder=tmp_path)
    assert result["reps_while_broker_down"] >= 3  # one from each device at least
    assert (result["lost"], result["doubled"]) == (0, 0), result
    assert result["counted_in_totals"] == result["reps"]
