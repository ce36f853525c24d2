"""Line discipline for a raw serial terminal: what the coach types becomes lines.

A serial line is raw: the device echoes, erases and ends lines itself.  Bytes in,
events out, nothing else: CR, LF or CRLF end a line; backspace and DEL erase
one character; Ctrl-C and Ctrl-U drop the line; up and down arrows walk a short
history; other escape sequences and control bytes are swallowed; bytes that are
not UTF-8 are ignored.  A line longer than ``max_len`` is refused when it ends,
and nothing past the limit is echoed (a bell instead), so a flood costs
bounded memory.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

MAX_LINE = 200
HISTORY = 20

BS, DEL, CTRL_C, CTRL_U, ESC, BEL = "\x08", "\x7f", "\x03", "\x15", "\x1b", "\x07"


@dataclass(frozen=True)
class Line:
    text: str


@dataclass(frozen=True)
class Cancelled:
    """Ctrl-C: the line was dropped."""


@dataclass(frozen=True)
class TooLong:
    length: int
    limit: int


Event = Line | Cancelled | TooLong


class LineEditor:
    """``feed(bytes)`` -> (bytes to echo, events).  ``echo=False`` for a terminal
    that echoes and edits by itself (a pipe, or a tty in cooked mode)."""

    def __init__(self, *, max_len: int = MAX_LINE, echo: bool = True) -> None:
        self.max_len = max_len
        self.echo = echo
        self.buffer: list[str] = []
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
        self._overflow = 0  # characters dropped past max_len
        self._after_cr = False
        self._escape = ""  # an escape sequence being read
        self.history: list[str] = []
        self._recall = 0  # 0: the line being typed; n: the nth most recent history entry

    @property
    def text(self) -> str:
        return "".join(self.buffer)

    def feed(self, data: bytes) -> tuple[bytes, list[Event]]:
        out: list[str] = []
        events: list[Event] = []
        for ch in self._decoder.decode(data):
            self._char(ch, out, events)
        return ("".join(out).encode() if self.echo else b""), events

    def _char(self, ch: str, out: list[str], events: list[Event]) -> None:
        after_cr, self._after_cr = self._after_cr, False
        if self._escape:
            self._escape_char(ch, out)
            return
        if ch == "\n" and after_cr:
            return  # the LF of a CRLF
        if ch in "\r\n":
            self._after_cr = ch == "\r"
            out.append("\r\n")
            events.append(self._end())
        elif ch in (BS, DEL):
            if self._overflow:
                self._overflow -= 1
            elif self.buffer:
                self.buffer.pop()
                out.append("\b \b")
        elif ch in (CTRL_C, CTRL_U):
            self._clear()
            out.append("^C\r\n" if ch == CTRL_C else "\r\n")
            events.append(Cancelled())
        elif ch == ESC:
            self._escape = ESC
        elif ch == "\t":
            self._insert(" ", out)
        elif ch.isprintable():
            self._insert(ch, out)
        # any other control character is ignored

    def _insert(self, ch: str, out: list[str]) -> None:
        if len(self.buffer) >= self.max_len:
            if not self._overflow:
                out.append(BEL)
            self._overflow += 1
            return
        self.buffer.append(ch)
        out.append(ch)

    def _escape_char(self, ch: str, out: list[str]) -> None:
        """ESC [ params final, or ESC O x (cursor keys); up/down recall history."""
        seq = self._escape + ch
        if len(seq) == 2 and ch not in "[O":
            self._escape = ""  # a lone ESC: drop it, keep nothing
            return
        if (len(seq) > 2 and "@" <= ch <= "~") or len(seq) > 16:
            self._escape = ""
            if seq[-1] in "AB" and len(seq) == 3:
                self._walk_history(1 if ch == "A" else -1, out)
            return
        self._escape = seq

    def _walk_history(self, step: int, out: list[str]) -> None:
        recall = min(max(self._recall + step, 0), len(self.history))
        if recall == self._recall:
            return
        self._recall = recall
        text = self.history[-recall] if recall else ""
        out.append("\b \b" * len(self.buffer))
        self.buffer = list(text)
        out.append(text)

    def _end(self) -> Event:
        text, overflow = self.text, self._overflow
        self._clear()
        if overflow:
            return TooLong(len(text) + overflow, self.max_len)
        text = text.strip()
        if text and (not self.history or self.history[-1] != text):
            self.history = (self.history + [text])[-HISTORY:]
        return Line(text)

    def _clear(self) -> None:
        self.buffer = []
        self._overflow = 0
        self._recall = 0
