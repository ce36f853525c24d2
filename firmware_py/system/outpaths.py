"""Where a command is told to write, checked before any work is done.

A file in a folder that does not exist, a folder that is a file, a place that cannot
be written: each is one line (``KneeCueError``) and nothing is created, rather than a
traceback after the model has run, or a warning and an exit status of 0 with nothing
written.
"""

from __future__ import annotations

import os
from pathlib import Path

from firmware_py.errors import KneeCueError


def output_file(path: str | Path, option: str) -> Path:
    """``path`` (given as ``option``, e.g. ``--out``), if a file can be written there:
    its folder exists and is writable, and it is not itself a folder."""
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise KneeCueError(f"{option} {path}: that is a folder; give a file name")
    if not folder.is_dir():
        why = "is not a folder" if folder.exists() else "does not exist"
        raise KneeCueError(f"{option} {path}: the folder {folder} {why}; nothing was written")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise KneeCueError(f"{option} {path}: cannot be written (no permission); nothing was written")
    return path


def output_folder(path: str | Path, option: str) -> Path:
    """``path`` (given as ``option``, e.g. ``--report``), if it is a folder that can be
    written or can be made: the nearest part of it that exists is a writable folder."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise KneeCueError(f"{option} {path}: that is a file, not a folder; nothing was written")
    existing = path
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise KneeCueError(f"{option} {path}: {existing} is a file, not a folder; nothing was written")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise KneeCueError(f"{option} {path}: {existing} cannot be written (no permission); nothing was written")
    return path
