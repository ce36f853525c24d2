"""The publisher: a thread of its own that moves the session files' lines to the
broker, in file order, and the device's status as it changes.

It reads a line only while fewer than ``link.IN_FLIGHT`` messages wait for their
PUBACK and fewer than ``PENDING`` places wait to be acknowledged, so while the broker
is away it holds a position and at most that many messages, never a queue that grows;
a line that is not published (trace, cue, clip...) is kept as its place only, a run of
them as one.  The recorder goes on writing the files, and they are read once the
broker is back.  A line counts as sent when the broker acknowledged
it and every line before it (``Position``, saved atomically), so a restart or a power
cut resumes after the last line known to have arrived.

The status (athlete, drill, light, session) is looked at ``STATUS_HZ`` times a second
from what the frame loop already leaves for the console (``Mailbox.readings``, the
settings, the recorder's session): the loop never calls the publisher, never waits on
it, and the light, however often it changes, costs the broker at most that many messages
a second, the latest winning.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable, NamedTuple

from firmware_py.records.ring import background
from firmware_py.team import messages
from firmware_py.team.link import IN_FLIGHT, Link
from firmware_py.team.position import Position
from firmware_py.team.spool import Line, Spool

log = logging.getLogger("kneecue")
STATUS_HZ = 5.0
SAVE_S = 0.25  # the position is written at most this often (and at each session's end, and at stop)
DRAIN_S = 0.5  # at stop, how long the acknowledgements of messages in flight are waited for
PENDING = 4 * IN_FLIGHT  # places handed out and not yet acknowledged: messages, and runs of lines not sent


class _Place(NamedTuple):
    """A line handed out (or, ``mid`` None, a run of lines not sent, up to ``number``)."""

    session: str
    number: int
    last: bool
    mid: int | None  # its message id; None: nothing sent
    generation: int  # the connection it went on


class Publisher(threading.Thread):
    """``status()`` gives (athlete, drill, light, session) as the device shows them now."""

    def __init__(self, link: Link, sessions: Path, position: Path, *, status: Callable[[], tuple],
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(name="team publisher", daemon=True)
        self.link = link
        self.sessions, self.position_path = Path(sessions), Path(position)
        self.status = status
        self.clock = clock
        self.stop_event = threading.Event()
        self.sent = 0  # recorded messages handed to paho
        self.acknowledged = 0  # ... and acknowledged by the broker
        self._pending: deque[_Place] = deque()  # lines handed out, in order
        self._in_flight = 0
        self._said: tuple | None = None
        self._status_due = threading.Event()
        self.position: Position | None = None
        self.failure: str | None = None  # why the thread ended, if an error ended it

    @property
    def stopped(self) -> str | None:
        """The status line's words when an error ended the publisher, else None."""
        if self.failure is None:
            return None
        return f"the publisher stopped: {self.failure}; set broker again to restart"

    def stop(self, timeout: float = 3.0) -> None:
        self.stop_event.set()
        self.link.acked.set()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        try:
            self._run()
        except Exception as e:  # the team view is never worth the device
            self.failure = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            log.exception("team publisher")
            log.error("broker: %s", self.stopped)

    def _run(self) -> None:
        background()  # nice, as the session log is; paho's thread, started from here, inherits it
        position = self.position = Position.load(self.position_path)
        spool = Spool(self.sessions, position, current=lambda: self.status()[3])  # the recorder's, last
        if position.fresh:
            spool.baseline()
            position.save()
        self.link.start(on_connect=self._status_due.set)
        saved_at, status_at = 0.0, 0.0
        try:
            while not self.stop_event.is_set():
                finished = self._take_acks(position)
                now = time.monotonic()
                if finished or (position.dirty and now - saved_at >= SAVE_S):
                    position.save()
                    saved_at = now
                if now - status_at >= 1.0 / STATUS_HZ or self._status_due.is_set():
                    status_at = now
                    self._publish_status()
                self._fill(spool)
                self.link.acked.wait(0.5 / STATUS_HZ)
                self.link.acked.clear()
        finally:
            deadline = time.monotonic() + DRAIN_S  # what the stop itself wrote (the end line) goes too
            while self.link.connected and time.monotonic() < deadline:
                self._take_acks(position)
                self._fill(spool, stopping=True)
                if not self._in_flight:
                    break
                self.link.acked.wait(0.05)
                self.link.acked.clear()
            position.save()
            spool.close()
            self.link.stop()

    def _fill(self, spool: Spool, *, stopping: bool = False) -> None:
        """Read and hand to paho while the window has room, only while connected, and
        only once what was in flight when the connection last dropped is acknowledged:
        paho sends those again after the broker's CONNACK, and a message handed to it
        meanwhile (or before) could reach the broker first, out of file order."""
        if not self.link.connected:  # read before the count: link counts a connection, then says connected
            return
        generation = self.link.connections
        if any(p.generation < generation for p in self._pending if p.mid is not None):
            return
        while (self._in_flight < IN_FLIGHT and len(self._pending) < PENDING
               and (stopping or not self.stop_event.is_set())):
            line = spool.next()
            if line is None:
                return
            mid = None
            if line.record is None and not line.last:
                log.info("team: session %s line %d is unreadable (torn or damaged); not sent", line.session,
                         line.number)
            message = None if line.record is None else messages.recorded(
                self.link.device, line.context, line.number, line.record, self.clock(), line.summary)
            if message is not None:
                mid = self.link.publish(*message)
                while mid is None and not self.stop_event.wait(0.1):  # paho's queue is full: status took room
                    mid = self.link.publish(*message)
                if mid is None:  # stopping: not acknowledged, so the next start sends it
                    return
                self._in_flight += 1
                self.sent += 1
            self._hold(line, mid, generation)

    def _hold(self, line: Line, mid: int | None, generation: int) -> None:
        """Keep the line's place until acknowledged; a line not sent after one not sent of
        the same session only moves that place on."""
        last = self._pending[-1] if self._pending else None
        if mid is None and last is not None and last.mid is None and last.session == line.session and not last.last:
            self._pending[-1] = last._replace(number=line.number, last=line.last)
        else:
            self._pending.append(_Place(line.session, line.number, line.last, mid, generation))

    def _take_acks(self, position: Position) -> bool:
        """Advance the position over the acknowledged prefix; True if a session finished."""
        finished = False
        while self._pending:
            line = self._pending[0]
            if line.mid is not None:
                if not self.link.done(line.mid):
                    break
                self._in_flight -= 1
                self.acknowledged += 1
            self._pending.popleft()
            if line.last:
                position.finish(line.session)
                finished = True
            else:
                position.acked(line.session, line.number)
        return finished

    def _publish_status(self) -> None:
        """The retained status, when it changed or the link (re)connected; only while connected."""
        if not self.link.connected:
            return
        athlete, drill, light, session = self.status()
        key = (athlete, drill, light, session)
        if key == self._said and not self._status_due.is_set():
            return
        payload = messages.status(self.link.device, athlete=athlete, drill=drill, light=light, session=session,
                                  now=self.clock())
        if self.link.publish(messages.topic(self.link.device, "status"), payload, retain=True, track=False) is not None:
            self._said = key
            self._status_due.clear()
