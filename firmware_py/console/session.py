"""One console connection as bytes in, bytes out: line editing, commands, notices,
the metric stream, and a limit on how fast input is obeyed.

Pure (time is passed in), so the whole console is tested without a port; the
transport only moves bytes.  Text replies end lines with CRLF for raw terminals.
Output that arrives while the coach is typing (a countdown, a stream line) clears
the line, prints, then redraws the prompt and what was typed.
"""

from __future__ import annotations

import logging
import queue
from typing import Any

from firmware_py import __version__
from firmware_py.console import commands, guided, passcode, records, running  # noqa: F401 (they register their commands)
from firmware_py.console.lineedit import Cancelled, Line, LineEditor, TooLong
from firmware_py.console.registry import Context, Reply, handle, prompt
from firmware_py.core.procedures import Notice
from firmware_py.device.state import Device
from firmware_py.system.jsonedge import dumps
from firmware_py.wording import notice_text
from firmware_py.wording.judged import GATE_TAGS

log = logging.getLogger("kneecue")
LINES_PER_S = 20.0  # commands obeyed per second, sustained; a burst of BURST first
BURST = 40.0
CLEAR_LINE = "\r\x1b[K"



class ConsoleSession:
    def __init__(self, device: Device, *, echo: bool = True) -> None:
        self.device = device
        self.ctx = Context(device)
        self.editor = LineEditor(echo=echo)
        self._echo = echo
        self._tokens = BURST
        self._refilled: float | None = None
        self._ignored = 0
        self._discarded = 0
        self._next_stream = 0.0
        self._streamed: int | None = None  # the frame the last stream line told

    def greeting(self) -> bytes:
        text = f"KneeCue {__version__} console: 'help' lists the commands. A training aid, not a diagnosis."
        return self._out([text]) + self._prompt()

    def receive(self, data: bytes, now: float) -> bytes:
        """Bytes typed -> bytes to send back (echo, replies, prompts)."""
        echo, events = self.editor.feed(data)
        out = [echo]
        for event in events:
            if isinstance(event, Cancelled):
                out.append(self._prompt())
            elif isinstance(event, TooLong):
                out.append(self._reply(Reply(False, f"line too long ({event.length} characters, the limit is "
                                                    f"{event.limit}): ignored")))
            elif isinstance(event, Line):
                out.append(self._line(event.text, now))
        return b"".join(out)

    def discarded(self, count: int) -> None:
        """The transport threw ``count`` unread bytes away (a flood)."""
        self._discarded += count

    def tick(self, now: float) -> bytes:
        """Anything to say unasked: notices from the loop, a stream line, dropped input."""
        lines: list[Any] = []
        if self._discarded:
            lines.append(self._format(Reply(False, f"input flood: {self._discarded} bytes discarded")))
            self._discarded = 0
        if self._ignored and self._refill(now) >= 1.0:
            lines.append(self._format(Reply(False, f"input too fast: {self._ignored} lines ignored")))
            self._ignored = 0
        while True:
            try:
                notice: Notice = self.device.mailbox.notices.get_nowait()
            except queue.Empty:
                break
            lines.append(dumps({"notice": notice.to_dict()}, compact=False) if self.ctx.json else notice_text(notice))
        hz = self.ctx.stream_hz
        readings = self.device.mailbox.readings
        if hz and now >= self._next_stream and readings is not None and readings.frame != self._streamed:
            period = 1.0 / hz  # (a frame already sent is not sent again: a stalled loop goes quiet)
            self._next_stream = self._next_stream + period if self._next_stream + period > now else now + period
            self._streamed = readings.frame
            lines.append(self._stream_line())
        if not lines:
            return b""
        if self.ctx.json:
            return self._out(lines)
        return CLEAR_LINE.encode() + self._out(lines) + self._prompt() + self.editor.text.encode()

    # -- internals ------------------------------------------------------------------

    def _line(self, text: str, now: float) -> bytes:
        if not text:
            return self._prompt()
        if self._refill(now) < 1.0:
            self._ignored += 1
            return b""
        self._tokens -= 1.0
        try:
            reply = handle(self.ctx, text, now)
        except Exception as e:  # a bug must cost one reply, not the console
            log.exception("console: %r failed", text)
            reply = Reply(False, f"internal error ({type(e).__name__}: {e}); logged, nothing else changed")
        self.editor.echo = self._echo and not self.ctx.json
        return self._reply(reply) if reply is not None else self._prompt()

    def _refill(self, now: float) -> float:
        if self._refilled is not None:
            self._tokens = min(BURST, self._tokens + (now - self._refilled) * LINES_PER_S)
        self._refilled = now
        return self._tokens

    def _reply(self, reply: Reply) -> bytes:
        return self._out([self._format(reply)]) + self._prompt()

    def _format(self, reply: Reply) -> str:
        if self.ctx.json:
            body = {"ok": reply.ok, **reply.data, ("text" if reply.ok else "error"): reply.text}
            return dumps(body, compact=False, default=str)
        return reply.text if reply.ok else "error: " + reply.text

    def _prompt(self) -> bytes:
        return b"" if self.ctx.json else prompt(self.ctx).encode()

    @staticmethod
    def _out(lines: list[str]) -> bytes:
        return "".join(line.replace("\n", "\r\n") + "\r\n" for line in lines).encode()

    def _stream_line(self) -> str:
        r = self.device.mailbox.readings
        m = r.metrics
        if self.ctx.json:
            stream = {"frame": r.frame, "t": round(r.t, 3), "cue": r.cue.level, "drill": r.drill,
                      "reasons": list(r.cue.reasons), "phase": r.phase,
                      **{k: v for k, v in m.items() if not k.startswith("leg_trusted")}}
            return dumps({"stream": stream}, compact=False)

        gated = m.get("gated") or {}

        def num(key: str, fmt: str) -> str:
            value = m.get(key)
            if value is None:  # why it is not read, in a word ("--": not seen)
                return GATE_TAGS.get(gated.get(key, ""), "--")
            return format(value, fmt)
        reasons = ",".join(r.cue.reasons)
        if r.drill == "run":  # a runner: the latest step's midstance, not the passing frame
            steps = self.device.mailbox.steps
            if not steps:
                return f"t {r.t:7.2f} run: no step yet | {r.cue.level}{' ' + reasons if reasons else ''}"
            s, sm = steps[-1], steps[-1].metrics

            def step_num(key: str, fmt: str) -> str:
                return "--" if sm.get(key) is None else format(sm[key], fmt)
            return (f"t {r.t:7.2f} run: step {s.index + 1} {s.side}: drop {step_num('pelvic_drop', '+.1f')}"
                    f" hip add {step_num('hip_adduction', '+.1f')} lean {step_num('trunk_lean', '+.1f')}"
                    f" FPPA {step_num('fppa', '+.1f')} gap {step_num('knee_gap', '.2f')}"
                    f" | {r.cue.level}{' ' + reasons if reasons else ''}")
        if "shin_angle_left" in m:  # a side view: the ankle, not the frontal plane
            return (f"t {r.t:7.2f} side view: shin L {num('shin_angle_left', '+.1f')} R {num('shin_angle_right', '+.1f')}"
                    f" | heel lift L {num('heel_lift_left', '+.1f')} R {num('heel_lift_right', '+.1f')}"
                    f" | {r.cue.level}{' ' + reasons if reasons else ''}")
        return (f"t {r.t:7.2f} stance {m.get('stance')}: FPPA L {num('fppa_left', '+.1f')} R {num('fppa_right', '+.1f')}"
                f" | inside L {num('knee_medial_left', '+.2f')} R {num('knee_medial_right', '+.2f')}"
                f" | sep {num('knee_separation_ratio', '.2f')}"
                f" | drop {num('pelvic_drop', '+.1f')} lean {num('trunk_lean', '+.1f')}"
                f" | {r.cue.level}{' ' + reasons if reasons else ''}")
