"""``kneecue report``: recorded sessions as HTML pages, found by folder, file or name."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from firmware_py.errors import KneeCueError


def write_reports(files, out: str | None) -> None:
    from firmware_py.records.report import write_report

    for file in files:
        print(f"kneecue: report {write_report(file, out)}", file=sys.stderr)


def cmd_report(args: argparse.Namespace) -> int:
    from firmware_py.app.build import state_folder
    from firmware_py.records.report import NotASession
    from firmware_py.records.sessionfile import find_session, session_files
    from firmware_py.system.outpaths import output_folder

    if args.out:
        output_folder(args.out, "--out")

    target = Path(args.session)
    if target.is_dir() or target.is_file():
        files = [target] if target.is_file() else session_files(target)
        if not files:
            raise KneeCueError(f"no sessions in {target} (looked for */session.jsonl and sessions/*/session.jsonl)")
    else:
        root = state_folder(args.state_dir) / "sessions"
        try:
            files = [find_session(root, args.session)]
        except LookupError as e:
            raise KneeCueError(str(e)) from None
    try:
        write_reports(files, args.out)
    except NotASession as e:
        raise KneeCueError(str(e)) from None
    except OSError as e:
        raise KneeCueError(f"cannot make the report: {e}") from None
    return 0
