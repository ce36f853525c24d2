"""``kneecue run``: the device as systemd runs it.

Wires settings, pins, console, events, camera and model to the live loop, and
keeps the device up through what a gym does to it: a camera absent at boot or
pulled mid-run is retried with back-off (the capture thread), a missing or
corrupt model is retried every MODEL_RETRY_S while the LEDs show the fault
pattern and the console stays usable, a corrupt settings file falls back (config),
a vanished console port is reopened (console transport).

systemd hears ``READY=1`` as soon as the pins and the console are up: the device can
then show a fault and take the coach's commands, and neither ``systemctl restart``
nor the boot waits on a camera or a model that may never come.  Their state is in
the ``STATUS=`` line (the frame rate, or the fault) and in the fault pattern.
``WATCHDOG=1`` is sent while fresh frames are scored, or while a camera or model
fault is on show from a loop that still answers (``loop.sinks.WatchdogSink``).
Pins that cannot be driven on a Raspberry Pi end the start with one line: a device
with no lights or buzzer is not up.  Every signal that would end the process
(SIGTERM from systemd, SIGHUP from a dropped SSH session, SIGINT, SIGQUIT, SIGUSR1...)
stops the loop the same way, outputs off and the session closed.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import signal
import threading
from pathlib import Path

from firmware_py.app.build import (
    build_engine,
    build_foot_stage,
    build_model,
    build_pipeline,
    open_settings,
    scripted as is_scripted,
    state_folder,
)
from firmware_py.console.transport import ConsoleThread
from firmware_py.cues.outputs import CueOutputs, make_pin_factory
from firmware_py.device.config import CONSOLE_BAUDS
from firmware_py.device.state import RECENT_REPS, Device
from firmware_py.errors import KneeCueError, ModelError, PinError
from firmware_py.loop.live import LiveLoop, LoopStats
from firmware_py.loop.sinks import EventSink, ReadingsSink, WatchdogSink
from firmware_py.pose.movenet import MoveNet
from firmware_py.records.recorder import Recorder
from firmware_py.records.sessionfile import settings_header
from firmware_py.sources import make_source
from firmware_py.system.eventlog import JsonLinesWriter
from firmware_py.system.outpaths import output_file
from firmware_py.system.sdnotify import Notifier
from firmware_py.system.signals import stop_on
from firmware_py.system.throttle import describe, read_power
from firmware_py.team.control import Team

log = logging.getLogger("kneecue")
MODEL_RETRY_S = 10.0
MODEL_WATCH_S = 0.5  # how often the --model file is looked at while it is missing or bad
MONITOR_S = 5.0
# Every signal whose default action ends the process (signal(7)), where this OS has it;
# SIGKILL and the crash signals are left to systemd's ExecStopPost.
STOP_SIGNALS = tuple(getattr(signal, name) for name in (
    "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGVTALRM", "SIGPROF",
    "SIGXCPU", "SIGXFSZ", "SIGIO", "SIGPWR", "SIGSTKFLT") if hasattr(signal, name))


def run_service(args: argparse.Namespace) -> int:
    """Build the device, run the loop until SIGTERM (or the clip ends), and take it down
    in order: the loop's own last word turns the outputs off; then the console, the
    outputs' threads, the recorder (finishing a clip must not hold a cue) and the
    event log, each closed by the ExitStack whatever went wrong."""
    stop = threading.Event()
    undo_signals = stop_on(STOP_SIGNALS, stop)
    try:
        return _run_service(args, stop)
    finally:
        undo_signals()


def _run_service(args: argparse.Namespace, stop: threading.Event) -> int:
    if args.baud is not None and args.baud not in CONSOLE_BAUDS:
        raise KneeCueError(f"--baud must be one of {', '.join(map(str, CONSOLE_BAUDS))}")
    if args.events:  # a folder that is not there is one line now, not a traceback later
        output_file(args.events, "--events")
    stats = LoopStats()
    with contextlib.ExitStack() as stack:
        source = make_source(args.source, realtime=args.realtime, loop=args.loop)
        if not source.live:
            source.open()  # a wrong path is a mistake to report, not a fault to wait out
        saved, warning = open_settings(args.state_dir)
        config = saved.replace(mode=args.mode or saved.mode, muted=args.mute or saved.muted,
                               rotation=saved.rotation if args.rotate is None else args.rotate)
        if getattr(args, "drill", None):  # this run's drill, over the athlete's saved one
            config = config.with_profile(thresholds=config.thresholds.with_value("drill", args.drill))
        device = Device(config, saved=saved, state_dir=state_folder(args.state_dir), warning=warning,
                        info={"source": args.source})
        team = Team(device, device.settings.state_dir)  # publishes to a broker, if one is set
        device.team = team
        stack.callback(team.close)  # after the recorder's close: its end line goes too
        notifier = Notifier()
        events = JsonLinesWriter(args.events) if args.events else None
        if events is not None:
            stack.callback(events.close)
        recorder = _recorder(args, config, device, source_name=args.source, lossless=not source.live)
        if recorder is not None:
            # a clip's last replay clips are waited for (nothing hurries a file), a camera's not
            # past the stop the service promises
            stack.callback(recorder.close, 10.0 if source.live else 300.0)
        try:
            factory = make_pin_factory(args.gpio)
        except PinError as e:
            notifier.status(f"FAULT gpio: {e}")
            raise
        team.apply(config.broker)
        outputs = stack.enter_context(CueOutputs(config.pins, pin_factory=factory, muted=config.muted))
        console_port = args.console or saved.console_port
        if console_port != "none":
            console = ConsoleThread(console_port, args.baud or saved.console_baud, device)
            console.start()
            stack.callback(console.stop)
        ran = []

        def never_ran() -> None:  # the loop's own last word, everything dark, is said here
            if ran:
                return
            outputs.off()
            if events is not None:
                events.write({"t": 0.0, "frame": -1, "pattern": "dark", "outputs": outputs.levels()})
            source.close()
        stack.callback(never_ran)
        stack.callback(stop.set)
        stack.callback(notifier.stopping)
        notifier.ready(device.summary())  # pins and console up: camera and model are told in STATUS=
        threading.Thread(target=_monitor, args=(device, notifier, stop), name="monitor", daemon=True).start()
        scripted = is_scripted(source)  # a scripted athlete needs no model
        model = None if scripted else _wait_for_model(args, device, outputs, events, stop, notifier)
        if scripted or model is not None:
            ran.append(True)
            stats = _run_loop(args, model, source, outputs, device, notifier, recorder, events, stop,
                              scripted=scripted)
    log.info("%d frames scored, %d output changes", stats.frames, stats.changes)
    if stats.error is not None:  # a clip or a pipe that could not be read to its end: not a success
        raise KneeCueError(str(stats.error))
    return 0


def _run_loop(args: argparse.Namespace, model: MoveNet | None, source, outputs: CueOutputs, device: Device,
              notifier: Notifier, recorder: Recorder | None, events: JsonLinesWriter | None,
              stop: threading.Event, *, scripted: bool = False) -> LoopStats:
    """The live loop, fed to the sinks in the order the old hand-wiring had them."""
    config = device.settings.config
    device.info["model"] = build_engine(None).describe() if model is None else model.describe()
    with contextlib.ExitStack() as stack:
        feet = _foot_stage(args, device, scripted=scripted)
        if feet is not None:
            stack.callback(feet.close)
        pipeline = build_pipeline(model, thresholds=config.thresholds, mode=config.mode,
                                  calibration=config.calibration, keep_reps=RECENT_REPS, feet=feet)
        sinks = [EventSink(events, outputs)] if events is not None else []
        sinks += [recorder] if recorder is not None else []
        sinks += [ReadingsSink(device), WatchdogSink(notifier)]
        # What is built by now lives as long as the loop: out of the collector's sight, a
        # full collection walks only what the loop makes (the startup heap, some 40,000
        # objects, took 24 ms a collection on the x86 dev machine: a frame held up)
        gc.collect()
        gc.freeze()
        return LiveLoop(source, pipeline, outputs, sinks=sinks, stop=stop, device=device,
                        source_open=not source.live).run()


def _recorder(args: argparse.Namespace, config, device: Device, *, source_name: str,
              lossless: bool) -> Recorder | None:
    """Session records in ``<state>/sessions`` unless switched off; shared with the console."""
    if args.no_record or not config.record or device.settings.state_dir is None:
        return None

    def describe() -> dict:
        c = device.settings.config
        return settings_header(c.athlete, c.mode, c.thresholds, c.calibration)

    quota = config.clip_quota_mb if args.clip_quota is None else args.clip_quota
    recorder = Recorder(device.settings.state_dir / "sessions", describe=describe, source=source_name, quota_mb=quota,
                        lossless=lossless, on_problem=lambda problem: device.health.set_warning("records", problem))
    device.recorder = recorder
    return recorder


def _foot_stage(args: argparse.Namespace, device: Device, *, scripted: bool = False):
    """The foot stage on its own thread, or None (off, or its model will not load: the
    cues go on without the feet, and ``status`` says why).  A scripted athlete is a
    stick figure with no feet to read: off unless ``--feet`` asks for it."""
    choice = getattr(args, "feet", None) or ("off" if scripted else None)
    try:
        feet = build_foot_stage(choice, threaded=True, runtime=args.runtime)
    except ModelError as e:
        device.health.set_warning("feet", f"no foot points: {e}")
        return None
    if feet is not None:
        device.info["feet"] = feet.model.describe()
    return feet


def _wait_for_model(args: argparse.Namespace, device: Device, outputs: CueOutputs,
                    events: JsonLinesWriter | None, stop: threading.Event, notifier: Notifier) -> MoveNet | None:
    """The model, retried until it loads or the service stops (None), showing the fault
    (and feeding the watchdog: this wait is the service working as it should)."""
    while not stop.is_set():
        try:
            model = build_model(args.model, threads=args.threads, runtime=args.runtime)
        except ModelError as e:
            fetch = (f"at {args.model} (`kneecue model fetch --dir {Path(args.model).parent}` puts the pinned "
                     f"one beside it)" if args.model else "there (`kneecue model fetch`)")  # --model, if given
            device.health.set_fault("model", f"{e}. Put a good model {fetch} and it is picked up within "
                                      f"{MODEL_RETRY_S:g} s")
            if outputs.play("fault") and events is not None:
                events.write({"t": 0.0, "frame": -1, "pattern": "fault", "outputs": outputs.levels(),
                              "reasons": ["model"]})
            _wait_for_change(Path(args.model) if args.model else None, stop, notifier.ping)
            continue
        device.health.set_fault("model", None)
        return model
    return None


def _wait_for_change(path: Path | None, stop: threading.Event, tick=lambda: None) -> None:
    """Until MODEL_RETRY_S have passed, or sooner when the file ``path`` appears or
    changes (a coach copying a good model in need not wait out the retry); ``tick``
    every MODEL_WATCH_S."""
    def signature():
        if path is None:
            return None
        try:
            st = path.stat()
            return st.st_size, st.st_mtime_ns
        except OSError:
            return None

    before, waited = signature(), 0.0
    while waited < MODEL_RETRY_S and not stop.wait(MODEL_WATCH_S):
        tick()
        waited += MODEL_WATCH_S
        if path is not None and signature() != before:
            stop.wait(MODEL_WATCH_S)  # let a copy in progress finish
            return


def _monitor(device: Device, notifier: Notifier, stop: threading.Event) -> None:
    """Every MONITOR_S: the CPU throttling flags and systemd's STATUS= line."""
    said, best_fps = None, 0.0
    while not stop.wait(MONITOR_S if said is not None else 0.5):
        readings = device.mailbox.readings
        fps = readings.fps if readings is not None else 0.0
        best_fps = max(best_fps, fps)
        slowed = describe(read_power())
        device.health.set_warning("cpu", None if slowed is None else f"{slowed}: {fps:.1f} fps (best {best_fps:.1f})")
        line = device.summary()
        if line != said:
            notifier.status(line)
            said = line
