"""A video piped in through a FIFO (``mkfifo``; a camera or an encoder writing into it),
read once.

Opening a FIFO waits for a writer inside the ``open`` system call, where no signal
handler runs: ``kneecue run`` on a FIFO nobody wrote to ignored SIGTERM, and a source
opened to be checked, closed and opened again (``analyze`` did) lost what the writer
had sent and then waited for a writer that never came.  So the read end is opened
without waiting, a writer is waited for in short polls (signals are heard between
them), and the open descriptor itself is handed to FFmpeg (``pipe:N``): nothing is
read before the decoder reads it, and the FIFO is never opened twice.
"""

from __future__ import annotations

import logging
import os
import select
import stat
from pathlib import Path

from firmware_py.errors import SourceOpenError

log = logging.getLogger("kneecue")
POLL_S = 0.2


def is_pipe(path: Path) -> bool:
    try:
        return stat.S_ISFIFO(path.stat().st_mode)
    except OSError:
        return False


class Pipe:
    """One FIFO's read end: ``wait`` gives the URL the decoder reads, once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None
        self.used = False

    def wait(self) -> str:
        """Wait (polling) until a writer has sent something or come and gone; the FFmpeg
        URL of the descriptor, which stays ours to close."""
        if self.used:
            raise SourceOpenError(f"video {str(self.path)!r} is a pipe and was read already: a pipe is read once")
        self.used = True
        self.fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)  # returns at once, writer or not
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        said = False
        while not poller.poll(POLL_S * 1000):  # a FIFO that never had a writer reports nothing
            if not said:
                log.info("%s: a pipe; waiting for a writer", self.path)
                said = True
        os.set_blocking(self.fd, True)  # from here the decoder waits for data as a reader of a pipe does
        return f"pipe:{self.fd}"

    def close(self) -> None:
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:  # a decoder that closed it itself
                pass
            self.fd = None
