"""A settings file that would not read (``device.config``): kept, never overwritten,
and looked at for one thing, whether it held a passcode.

A save moves it aside under a name of its own (``config.json.damaged-TIME``), so
whatever is left in it can still be recovered by hand; a passcode it held is not
dropped in silence by falling back to a copy without one (``Passcode.lost``).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

log = logging.getLogger("kneecue")


def held_passcode(path: Path, limit: int) -> bool:
    """Whether the damaged file held a passcode, from its first ``limit`` bytes (or it
    cannot be read to tell: then it may have)."""
    try:
        with open(path, "rb") as f:
            return b'"salt"' in f.read(limit)
    except FileNotFoundError:
        return False
    except OSError:
        return True


def set_aside(path: Path) -> None:
    """Move a damaged file out of the way under a name of its own, never over another."""
    if not path.exists():
        return
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for n in range(1, 1000):
        aside = path.with_name(f"{path.name}.damaged-{stamp}" + (f"-{n}" if n > 1 else ""))
        try:
            os.link(path, aside)  # fails if the name is taken: nothing is overwritten
        except FileExistsError:
            continue
        except OSError:  # a filesystem without hard links: rename, having looked first
            if aside.exists():
                continue
            os.rename(path, aside)
        else:
            os.unlink(path)
        log.warning("settings: the damaged %s is kept as %s", path.name, aside.name)
        return
    raise OSError(f"cannot keep the damaged {path} aside")
