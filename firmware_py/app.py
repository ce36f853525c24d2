"""Builds the real adapters from command-line options: the one place that wires them."""

from __future__ import annotations

import logging
from pathlib import Path

from firmware_py.config import DeviceConfig, default_state_dir, load_config
from firmware_py.core.calibration import Calibration
from firmware_py.core.scorer import Scorer
from firmware_py.core.settings import Thresholds
from firmware_py.pipeline import Pipeline
from firmware_py.pose.engine import PoseEngine
from firmware_py.pose.modelfiles import find_model
from firmware_py.pose.movenet import MoveNet

log = logging.getLogger("kneecue")


def build_model(model: str | None, *, threads: int = 2, runtime: str | None = None) -> MoveNet:
    return MoveNet(find_model(model), num_threads=threads, runtime=runtime)


def build_pipeline(model: MoveNet, *, track: bool = True, thresholds: Thresholds | None = None,
                   mode: str = "concurrent", calibration: Calibration | None = None,
                   still: bool = False) -> Pipeline:
    scorer = Scorer(thresholds or Thresholds(), mode, calibration, still=still)
    return Pipeline(PoseEngine(model, track=track), scorer)


def load_settings(state_dir: str | None) -> DeviceConfig:
    """The saved device settings; a fallback (corrupt file) is logged, never fatal."""
    folder = Path(state_dir) if state_dir else default_state_dir()
    config, warning = load_config(folder)
    if warning:
        log.warning("settings: %s", warning)
    return config
