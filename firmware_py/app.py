"""Builds the real adapters from command-line options: the one place that wires them."""

from __future__ import annotations

from firmware_py.core.scorer import Scorer
from firmware_py.core.settings import Thresholds
from firmware_py.pipeline import Pipeline
from firmware_py.pose.engine import PoseEngine
from firmware_py.pose.modelfiles import find_model
from firmware_py.pose.movenet import MoveNet


def build_model(model: str | None, *, threads: int = 2, runtime: str | None = None) -> MoveNet:
    return MoveNet(find_model(model), num_threads=threads, runtime=runtime)


def build_pipeline(model: MoveNet, *, track: bool = True, thresholds: Thresholds | None = None,
                   mode: str = "concurrent", still: bool = False) -> Pipeline:
    scorer = Scorer(thresholds or Thresholds(), mode, still=still)
    return Pipeline(PoseEngine(model, track=track), scorer)
