"""``kneecue model``: fetch, list and check the model files."""

from __future__ import annotations

import argparse
from pathlib import Path

from firmware_py.errors import KneeCueError, ModelInvalid


def cmd_model(args: argparse.Namespace) -> int:
    from firmware_py.pose import modelfiles

    if args.model_command == "fetch":
        names = args.names or [modelfiles.DEFAULT_MODEL]
        if "all" in names:
            names = [spec.name for spec in modelfiles.MODELS.values() if spec.urls]
        for name in names:
            path = modelfiles.fetch(name, Path(args.dir) if args.dir else None,
                                    urls=tuple(args.url) if args.url else None)
            print(f"{name}: {path} (sha256 ok)")
        return 0
    if args.model_command == "list":
        for spec in modelfiles.MODELS.values():
            try:
                where = str(modelfiles.find_model(name=spec.name))
            except KneeCueError:
                where = "not found"
            print(f"{spec.name:<18} {spec.kind:<9} {spec.input_size}px  {spec.size:>10,} bytes  {where}")
        return 0
    from firmware_py.pose.blazepose import FootModel
    from firmware_py.pose.movenet import MoveNet

    path = modelfiles.find_model(args.path)
    modelfiles.check_header(path)
    spec = modelfiles.identify(path)
    try:
        if spec is not None and spec.kind == "blazepose":
            model = FootModel(path, runtime=args.runtime)
        else:
            model = MoveNet(path, runtime=args.runtime)
    except ModelInvalid as e:  # this is the check: the way out is a good copy, not another check
        what = getattr(e, "unloadable", None) or str(e)
        raise ModelInvalid(f"{what}; the file is truncated or corrupt: `kneecue model fetch` gets a good copy "
                           f"of a pinned model (`kneecue model list` shows them)") from None
    origin = f"pinned {spec.name}, sha256 ok" if spec else "not a pinned file (sha256 unknown), signature ok"
    print(f"{path}: {model.describe()}; {origin}")
    return 0
