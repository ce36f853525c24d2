"""The one door to JSON for the device's records: ``analyze --json``, the session file,
the console's JSON lines and ``stream`` and the event log serialise through ``dumps``
(the team's messages are built from session-file lines already made plain).

Records are typed inside the process; numbers that come out of numpy (a foot
reading's flag, a keypoint, a mean) are numpy scalars, which ``json`` refuses
(``Object of type bool is not JSON serializable`` stopped ``analyze --json --feet``
at the first frame a foot flag was read).  ``plain`` turns them, and arrays, tuples
and non-finite floats, into what JSON holds, in one place, so no writer has to
remember which value might be numpy's.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

__all__ = ["dumps", "plain"]


def plain(value: Any) -> Any:
    """``value`` with numpy scalars and arrays as Python bools, ints, floats and lists,
    tuples as lists, mapping keys as strings, and NaN or infinity as None (JSON has
    neither).  Anything else JSON cannot hold is left for ``json`` to refuse."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):  # bool_, integer, floating scalars
        return plain(value.item())
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    return value


def dumps(record: Any, *, compact: bool = True, **kwargs: Any) -> str:
    """``record`` as one line of strict JSON (no NaN), numpy values made plain first."""
    if compact:
        kwargs.setdefault("separators", (",", ":"))
    return json.dumps(plain(record), allow_nan=False, **kwargs)
