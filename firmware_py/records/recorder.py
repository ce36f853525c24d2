"""Session records written while the device works, never from the frame loop's thread.

The loop calls ``observe`` once per frame (two queue puts: the scored frame for
the log, the frame itself for the replay ring) and ``applied`` when a console
change takes effect.  Everything else happens on three threads:

* the log thread decides when sessions start and end (core.sessions), keeps the
  per-frame trace, and appends the session file (sessionfile), flushing and
  fsyncing each rep line;
* the ring thread (ring.FrameRing) keeps the last seconds of frames, downscaled;
* the clip thread (replays.ReplayWriter) draws and writes the replay clip of each
  failed rep (and, slowed down, of each failed landing), then trims the clips to the quota.

The log thread runs at nice +10; the ring and clip threads at SCHED_IDLE, on CPU
time the frame loop and the model leave over (measured: tests/benchmarks/recording.py).
Replaying a file (``lossless``) nothing is dropped however little CPU they get: the
loop waits rather than run more than LOSSLESS_LAG frames ahead of the log thread, and
a failed rep's frames are held in the ring until its clip has them (a busy machine
once gave a clip one frame fewer than the ring had kept).

A full or failing disk costs records, never cues: errors are counted and shown
as a warning, and writing is retried with the next line.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import queue
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from firmware_py import __version__
from firmware_py.core.sessions import END, START, Change, SessionParams, SessionTracker
from firmware_py.core.vocabulary import CUE_METRICS
from firmware_py.loop.sinks import FrameSink, Outcome
from firmware_py.records import clips
from firmware_py.records.lines import drill_record, foot_points, landing_record, num, step_record
from firmware_py.records.replays import ReplayWriter
from firmware_py.records.ring import FrameRing, background
from firmware_py.records.sessionfile import CLIPS, FORMAT, TRACE_KEYS, SessionWriter, unique_folder
from firmware_py.sources.base import Frame
from firmware_py.system.jsonedge import dumps

log = logging.getLogger("kneecue")
TRACE_CHUNK = 150  # frames of trace per line between reps
QUOTA_MB = 500.0
LOSSLESS_LAG = 16  # replaying a file, the loop waits rather than run further ahead of the log thread
_FRAME, _APPLIED, _REQUEST, _CLIP, _MARK, _STOP, _TEST = range(7)


class Recorder(FrameSink):
    """``root``: the sessions folder (one sub-folder per session).  ``folder``: write
    one session there instead (``analyze --report``).  ``describe()`` gives the
    athlete, mode, thresholds and calibration in use for a session's first line."""

    def __init__(self, root: Path, *, describe: Callable[[], dict[str, Any]], source: str = "",
                 quota_mb: float = QUOTA_MB, lossless: bool = False, folder: Path | None = None,
                 params: SessionParams | None = None,
                 on_problem: Callable[[str | None], None] | None = None,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone()) -> None:
        self.root = Path(root)
        self.describe = describe
        self.source = source
        self.quota_bytes = int(quota_mb * (1 << 20))
        self.fixed_folder = folder
        self.on_problem = on_problem or (lambda problem: None)
        self.clock = clock
        removed = clips.remove_temp_clips([folder] if folder is not None else self.root.glob("*"))
        if removed:
            log.info("replay clips: removed %d temp file(s) left by a power cut or a kill", len(removed))
        self.ring = FrameRing(lossless=lossless)
        if folder is not None:  # a recorded video is one session, first to last frame
            params = SessionParams(quiet_s=math.inf)
        self.tracker = SessionTracker(params)
        self.current: Path | None = None  # the session file being written (read by the console)
        self.sessions: list[Path] = []  # written by this run, oldest first
        self.replays = ReplayWriter(self.ring, quota_bytes=self.quota_bytes, done=self._clip_written,
                                    quota_root=lambda f: self.root if self.fixed_folder is None else f.parent)
        self._writer: SessionWriter | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lag = threading.Semaphore(LOSSLESS_LAG)  # (lossless) frames handed over, not yet logged
        self._trace: dict[str, list[Any]] = {k: [] for k in TRACE_KEYS}
        self._overlays: deque[clips.Overlay] = deque(maxlen=1024)
        self._reps = 0
        self._failed = 0
        self._landings = 0
        self._last = (0.0, -1)  # (t, frame) of the latest frame seen
        self._drill: str | None = None  # the drill the session last said
        self._problems: dict[str, str] = {}  # "lines" / "clips" -> what went wrong, while it lasts
        self._log_thread = threading.Thread(target=self._log_loop, name="session log", daemon=True)
        self._log_thread.start()

    @property
    def clips_written(self) -> int:
        return self.replays.written

    # -- the frame loop's side: hand over and go on --------------------------------

    def on_frame(self, outcome: Outcome) -> None:
        """A scored frame (a loop.sinks.FrameSink): two queue puts, the rest on our threads."""
        frame = outcome.frame
        # Replaying a file, the log thread (which holds a failed rep's frames in the ring)
        # is never let fall far behind, however little CPU it gets: a file's clips are whole.
        while self.ring.lossless and not self._lag.acquire(timeout=1.0) and self._log_thread.is_alive():
            pass
        self.ring.offer(frame.rgb, frame.index, frame.pts)
        self._queue.put((_FRAME, outcome.result, outcome.pattern, outcome.changed))

    def on_applied(self, frame: Frame, changes: dict[str, Any]) -> None:
        """Settings the loop applied from ``frame`` on (an athlete change ends the session)."""
        self._queue.put((_APPLIED, frame.index, frame.pts, changes))

    def test(self, record: dict[str, Any]) -> None:
        """A guided test finished (its ``record``): one ``test`` line in the session."""
        self._queue.put((_TEST, record))

    # -- the console's side ---------------------------------------------------------

    def request(self, kind: str, wait: float = 2.0) -> Request:
        """``start`` or ``end`` a session, waiting up to ``wait`` seconds for the log
        thread (on a busy CPU it may take a moment longer): ``done`` says whether it has
        acted, ``problem`` why no session started (its folder could not be made)."""
        if kind not in (START, END):
            raise ValueError(kind)
        request = Request(kind)
        self._queue.put((_REQUEST, request))
        request.done.wait(wait)
        return request

    def caught_up(self, timeout: float = 10.0) -> bool:
        """Wait until everything handed over so far is written, clips included."""
        def line_mark(done: threading.Event) -> None:
            self._queue.put((_MARK, done))
        for mark in (line_mark, self.replays.mark, line_mark):  # lines, the clips they asked for, the clip lines
            done = threading.Event()
            mark(done)
            if not done.wait(timeout):
                return False
        return True

    def close(self, timeout: float = 10.0) -> None:
        """End the session under way ("stopped"), finish queued clips and lines."""
        if self._log_thread.is_alive():
            self._queue.put((_STOP,))
            self._log_thread.join(timeout)
        self.replays.close(timeout)
        self._drain_clip_results()
        self.ring.close()

    # -- the log thread ---------------------------------------------------------------

    def _log_loop(self) -> None:
        background()  # nice, not idle: a rep's line must reach the disk even while the CPU is busy
        while True:
            item = self._queue.get()
            kind = item[0]
            try:
                if kind == _STOP:
                    self._change(self.tracker.end(self._last[0], "stopped"))
                    return
                if kind == _FRAME:
                    self._lag.release()
                    self._frame(*item[1:])
                elif kind == _APPLIED:
                    frame, t, changes = item[1:]
                    if "athlete" in changes:  # each athlete's reps in their own session
                        self._change(self.tracker.switch(t, "athlete changed"))
                    self._write({"type": "settings", "t": num(t, 3), "frame": frame, "changed": changes})
                elif kind == _TEST:
                    t, frame = self._last
                    if not self._write({"type": "test", "t": num(t, 3), "frame": frame, **item[1]}, sync=True):
                        log.warning("test result not recorded (no session under way): %s", item[1])
                elif kind == _REQUEST:
                    self._act(item[1])
                elif kind == _CLIP:
                    self._clip_done(*item[1:])
                elif kind == _MARK:
                    item[1].set()
            except Exception:  # records are never worth the device: log and go on
                log.exception("session records")

    def _act(self, request: Request) -> None:
        """The coach's ``session start|end``; a start that made no session says why."""
        t = self._last[0]
        try:
            self._change(self.tracker.start(t) if request.kind == START else self.tracker.end(t))
            if request.kind == START and self._writer is None:
                request.problem = self._problems.get("lines") or "no session folder"
        finally:
            request.done.set()

    def _frame(self, result: Any, pattern: str, changed: bool) -> None:
        score = result.score
        self._last = (score.t, score.frame_index)
        present = score.cue.level != "idle"
        self._change(self.tracker.update(present, score.t))
        if self._writer is None:
            return
        m = score.metrics
        feet = foot_points(result.feet, score.t)
        self._overlays.append(clips.Overlay(score.frame_index, score.t, result.pose, m.get("fppa_left"),
                                            m.get("fppa_right"), m.get("pelvic_drop"), score.cue.level,
                                            None if feet is None else np.reshape(feet, (4, 2))))
        gated = {k: v for k, v in (m.get("gated") or {}).items() if k in CUE_METRICS} or None
        row = {"t": num(score.t, 3), "frame": score.frame_index, "level": score.cue.level, "gated": gated,
               "feet": feet}
        for key in TRACE_KEYS:
            self._trace[key].append(row[key] if key in row else num(m.get(key)))
        if changed:
            self._write({"type": "cue", "t": num(score.t, 3), "frame": score.frame_index, "pattern": pattern,
                         "level": score.cue.level, "reasons": list(score.cue.reasons),
                         "metrics": {k: num(m.get(k)) for k in CUE_METRICS}, "gated": gated or {}})
        if score.drill != self._drill:
            self._drill = score.drill
            self._write(drill_record(score))
        if score.step is not None:
            self._write(step_record(score.step))
        if score.landing is not None:
            self._landing(score.landing)
        if score.rep is not None:
            self._rep(score.rep)
        elif len(self._trace["t"]) >= TRACE_CHUNK:
            self._flush_trace()

    def _change(self, changes: list[Change]) -> None:
        for change in changes:
            if change.kind == START:
                self._start(change)
            else:
                self._end(change)

    def _start(self, change: Change) -> None:
        now = self.clock()
        folder = self.fixed_folder or unique_folder(self.root / now.strftime("%Y-%m-%dT%H-%M-%S"))
        try:
            self._writer = SessionWriter(folder)
        except OSError as e:
            self._report("lines", f"cannot start a session in {folder} ({e})")
            return
        self.current = self._writer.path
        self.sessions.append(self._writer.path)
        self._reps = self._failed = self._landings = 0
        self._drill = None  # a new session says its drill on its first frame
        header = {"type": "session", "format": FORMAT, "id": folder.name, "started": now.isoformat(timespec="seconds"),
                  "t": num(change.t, 3), "frame": self._last[1], "reason": change.reason, "source": self.source,
                  "kneecue": __version__, **self.describe()}
        self._write(header, sync=True)
        log.info("session %s started (%s)", folder.name, change.reason)

    def _end(self, change: Change) -> None:
        writer = self._writer
        if writer is None:
            return
        self._flush_trace()
        self._write({"type": "end", "t": num(change.t, 3), "frame": self._last[1], "reason": change.reason,
                     "reps": self._reps, "failed": self._failed}, sync=True)
        writer.close()
        self._writer = None
        self.current = None
        self._overlays.clear()
        log.info("session %s ended (%s): %d reps, %d failed", writer.folder.name, change.reason,
                 self._reps, self._failed)

    def _rep(self, rep: Any) -> None:
        writer = self._writer
        number = self._reps
        self._reps += 1
        record = {"type": "rep", **rep.to_dict(), "index": number, "run_index": rep.index, "clip": None}
        record = {k: num(v, 3) if k in ("start_t", "end_t", "bottom_t") else v for k, v in record.items()}
        failed = not rep.passed
        if failed:
            self._failed += 1
            record["clip"] = f"{CLIPS}/rep-{number + 1:03d}.mp4"
        self._flush_trace()
        if self._write(record, sync=True):
            log.info("session %s: rep %d (%s) %s recorded", writer.folder.name, number + 1, rep.leg,
                     "pass" if rep.passed else "fail: " + ", ".join(rep.failed))
        if failed:
            self._clip(writer, ("rep", number), record["clip"], rep.start_t - clips.PRE_S, rep.end_frame,
                       f"rep {number + 1} {rep.leg} leg  FAIL", rep.failed)

    def _landing(self, landing: Any) -> None:
        """A landing's line (synced: as precious as a rep) and, if it failed, its replay
        slowed ``clips.LANDING_SLOW`` times, from just before contact to the end of its
        balance window (this frame): a landing is over in a fraction of a second."""
        writer = self._writer
        number = self._landings
        self._landings += 1
        record = {**landing_record(landing), "index": number, "run_index": landing.index, "clip": None}
        if landing.failed:
            record["clip"] = f"{CLIPS}/landing-{number + 1:03d}.mp4"
        self._write(record, sync=True)
        if landing.failed:
            self._clip(writer, ("landing", number), record["clip"], landing.contact_t - clips.PRE_S,
                       self._last[1], f"landing {number + 1} {landing.leg}  FAIL", landing.failed,
                       slow=clips.LANDING_SLOW)

    def _clip(self, writer: SessionWriter, key: tuple[str, int], name: str, first_t: float, last_frame: int,
              title: str, failed: tuple[str, ...], *, slow: float = 1.0) -> None:
        """Queue the replay of a failed rep or landing (``key``: ("rep"|"landing", number))."""
        overlays = [o for o in self._overlays if o.t >= first_t and o.index <= last_frame]
        reason = ", ".join(c.replace("_", " ") for c in failed)
        skipped = self.replays.offer(writer, key, name, overlays, title, reason, slow)
        if skipped is not None:
            self._clip_done(writer, skipped)

    def _flush_trace(self) -> None:
        if self._trace["t"]:
            self._write({"type": "trace", **self._trace})
            self._trace = {k: [] for k in TRACE_KEYS}

    def _write(self, record: dict[str, Any], *, sync: bool = False) -> bool:
        writer = self._writer
        if writer is None:
            return False
        ok = writer.write(record, sync=sync)
        self._report("lines", None if ok else f"session file: {writer.last_error} ({writer.errors} lines lost)")
        return ok

    def _report(self, kind: str, problem: str | None) -> None:
        """Tell the device (a warning, not a fault) while writing fails, once per change."""
        if self._problems.get(kind) == problem:
            return
        if problem is None:
            del self._problems[kind]
        else:
            log.warning("%s", problem)
            self._problems[kind] = problem
        text = "; ".join(self._problems.values())
        self.on_problem(f"{text}; the cues go on" if text else None)

    # -- the clip lines ---------------------------------------------------------------

    def _clip_written(self, writer: SessionWriter, record: dict[str, Any]) -> None:
        """(the clip thread) A clip's line, handed to the log thread to write."""
        self._queue.put((_CLIP, writer, record))

    def _clip_done(self, writer: SessionWriter, record: dict[str, Any]) -> None:
        error = record.get("error")
        self._report("clips", None if not error else f"replay clips: {error}")
        if error:
            kind = "landing" if "landing" in record else "rep"
            log.info("session %s: %s %d: no clip", writer.folder.name, kind, record[kind] + 1)
        if writer is self._writer:
            self._write(record)
            return
        try:  # the session ended while the clip was being written
            with open(writer.path, "a", encoding="utf-8") as f:
                f.write(dumps(record) + "\n")
        except OSError as e:
            self._report("lines", f"session file: {e}")

    def _drain_clip_results(self) -> None:
        """After the threads stop: the clip lines they did not get to."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item[0] == _CLIP:
                self._clip_done(*item[1:])


@dataclass
class Request:
    """A coach's ``session start|end``, as the log thread answers it."""

    kind: str
    done: threading.Event = field(default_factory=threading.Event)
    problem: str | None = None
