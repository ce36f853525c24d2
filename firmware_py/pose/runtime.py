"""One import for the TFLite interpreter, whichever runtime is installed.

ai-edge-litert is the maintained runtime (and ~10× faster on this int8 model on
x86); tflite-runtime 2.14 is the fallback and the only choice on 32-bit Pi OS.
Both expose the same ``Interpreter`` API and release the GIL in ``invoke()``.
``KNEECUE_RUNTIME=litert|tflite`` forces one (for comparisons and the arm64 lane).
"""

from __future__ import annotations

import importlib
import os

from firmware_py.errors import RuntimeMissing

RUNTIMES = {
    "litert": "ai_edge_litert.interpreter",
    "tflite": "tflite_runtime.interpreter",
}


def load_interpreter_class(prefer: str | None = None):
    """(runtime name, Interpreter class) of the first runtime that imports."""
    prefer = prefer or os.environ.get("KNEECUE_RUNTIME") or None
    if prefer is not None and prefer not in RUNTIMES:
        raise RuntimeMissing(f"unknown runtime {prefer!r}; choose one of {', '.join(RUNTIMES)}")
    order = [prefer] if prefer else list(RUNTIMES)
    errors = []
    for name in order:
        try:
            module = importlib.import_module(RUNTIMES[name])
        except ImportError as e:  # includes numpy ABI failures (_ARRAY_API not found)
            errors.append(f"{RUNTIMES[name].split('.')[0]}: {e}")
            continue
        return name, module.Interpreter
    raise RuntimeMissing(
        "no TFLite runtime could be imported (" + "; ".join(errors) + "): "
        "`pip install ai-edge-litert` (or tflite-runtime with numpy < 2 on 32-bit Pi OS)"
    )
