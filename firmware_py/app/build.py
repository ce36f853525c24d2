"""The parts every command builds the same way, from command-line options: the pose
model, the pose engine (or the scripted one of a pose file or synthetic athlete), the
foot stage, the scoring pipeline, and the saved settings with where they live.

It is not the only place that wires: each command puts these together with the rest
itself.  ``app/service.py`` wires ``kneecue run`` (settings, pins, console, event log,
recorder, camera and watchdog around the live loop), and each tool in ``tools/``
(``analyze``, ``demo``, ``calibrate``, ``bench``, ``doctor``...) opens its own source,
outputs and recorder around the pipeline it builds here."""

from __future__ import annotations

import logging
from pathlib import Path

from firmware_py.core.calibration import Calibration
from firmware_py.core.scorer import Scorer
from firmware_py.core.settings import Thresholds
from firmware_py.device.config import DeviceConfig, default_state_dir, load_config
from firmware_py.loop.pipeline import Pipeline
from firmware_py.pose.engine import PoseEngine
from firmware_py.pose.modelfiles import find_model
from firmware_py.pose.movenet import MoveNet

log = logging.getLogger("kneecue")


def build_model(model: str | None, *, threads: int = 2, runtime: str | None = None) -> MoveNet:
    return MoveNet(find_model(model), num_threads=threads, runtime=runtime)


def build_pipeline(model: MoveNet | None, *, track: bool = True, thresholds: Thresholds | None = None,
                   mode: str = "concurrent", calibration: Calibration | None = None,
                   still: bool = False, keep_reps: int | None = None, feet=None) -> Pipeline:
    """The pipeline on ``model``, or with None on the scripted poses of a synthetic source."""
    scorer = Scorer(thresholds or Thresholds(), mode, calibration, still=still, keep_reps=keep_reps)
    return Pipeline(build_engine(model, track=track), scorer, feet)


def build_engine(model: MoveNet | None, *, track: bool = True):
    """MoveNet with the crop that follows the athlete; None: the poses come with the
    frames (a pose file, ``--source synthetic:NAME``: no model file needed)."""
    if model is None:
        from firmware_py.pose.given import GivenPoseEngine

        return GivenPoseEngine()
    return PoseEngine(model, track=track)


def scripted(source) -> bool:
    """A source whose frames carry their poses (a pose file, a synthetic athlete): no
    model reads them."""
    return getattr(source, "poses_given", False)


def model_for(source, args) -> MoveNet | None:
    """The model ``args`` name, or None for a source that carries its poses."""
    if scripted(source):
        return None
    return build_model(args.model, threads=args.threads, runtime=args.runtime)


FOOT_MODELS = ("off", "lite", "full")


def default_foot_model() -> str:
    """The foot model for this machine: lite everywhere (docs/feet.md: it costs
    less per reading on every CPU measured, and it read the turned-out feet of the
    shared clips that the eye sees; full only agrees better with full's own output)."""
    return "lite"


def build_foot_stage(choice: str | None, *, threaded: bool, runtime: str | None = None):
    """The foot stage (``pose.feetstage``) for ``choice`` (off, lite, full; None: this
    machine's default), or None when off."""
    from firmware_py.pose.blazepose import FootModel
    from firmware_py.pose.feetstage import FootStage

    choice = choice or default_foot_model()
    if choice == "off":
        return None
    if choice not in FOOT_MODELS:
        raise ValueError(f"foot model must be one of {', '.join(FOOT_MODELS)}, got {choice!r}")
    model = FootModel(find_model(name="blazepose-" + choice), num_threads=1, runtime=runtime)
    return FootStage(model, threaded=threaded)


def state_folder(state_dir: str | None) -> Path:
    """The one answer to "where does the device keep its state": ``--state-dir`` if
    given, else systemd's StateDirectory= or ~/.local/state/kneecue."""
    return Path(state_dir) if state_dir else default_state_dir()


def open_settings(state_dir: str | None) -> tuple[DeviceConfig, str | None]:
    """The saved device settings and the fallback warning, if any (logged, never fatal)."""
    config, warning = load_config(state_folder(state_dir))
    if warning:
        log.warning("settings: %s", warning)
    return config, warning


def load_settings(state_dir: str | None) -> DeviceConfig:
    return open_settings(state_dir)[0]
