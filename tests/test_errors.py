"""One exception tree: everything KneeCue raises on purpose is a KneeCueError, and each
error is also the builtin it behaves like, so `kneecue` prints one line for any of them
and callers may catch ValueError or OSError without knowing our names."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import firmware_py
from firmware_py.errors import KneeCueError

# Pi-only or optional adapters import their libraries lazily, so every module imports here.
MODULES = [m.name for m in pkgutil.walk_packages(firmware_py.__path__, "firmware_py.") if not m.name.endswith("__main__")]


def project_exceptions() -> dict[str, type]:
    found = {}
    for name in MODULES:
        for obj_name, obj in vars(importlib.import_module(name)).items():
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__.startswith("firmware_py"):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def test_every_project_exception_is_a_kneecue_error_with_a_builtin_mixed_in():
    found = project_exceptions()
    assert len(found) >= 15, sorted(found)
    outside = [name for name, cls in found.items() if not issubclass(cls, KneeCueError)]
    assert outside == []
    groups = {"KneeCueError", "ModelError", "SourceError"}  # the tree's inner nodes
    no_builtin = [name for name, cls in found.items() if cls.__name__ not in groups
                  and not any(b.__module__ == "builtins" and b is not Exception for b in cls.__mro__[1:-2])]
    assert no_builtin == []


def test_a_bad_pin_map_is_a_kneecue_error_and_a_value_error():
    from firmware_py.cues.pins import PinMap
    from firmware_py.errors import PinError

    with pytest.raises(PinError, match="GPIO2 is the I2C SDA") as caught:
        PinMap(green=2)
    assert isinstance(caught.value, KneeCueError) and isinstance(caught.value, ValueError)
