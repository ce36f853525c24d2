"""One exception tree for the whole device.

Each error mixes in the builtin it behaves like (gpiozero's habit), so callers can
catch ``FileNotFoundError`` or ``ValueError`` without knowing our names, and the
CLI can catch ``KneeCueError`` and print one clear line instead of a traceback.
The root and the pure core's errors live in ``core.errors`` (the core imports
nothing outside itself); everything is importable from here.
"""

from __future__ import annotations

from firmware_py.core.errors import CalibrationError, KneeCueError, SettingError

__all__ = ["CalibrationError", "ConfigError", "KneeCueError", "ModelError", "ModelFetchError", "ModelInvalid",
           "ModelMissing", "PinError", "PortClosed", "RuntimeMissing", "SettingError", "SourceError",
           "SourceGivenUp", "SourceLost", "SourceOpenError"]


class ConfigError(KneeCueError, ValueError):
    """A settings file is not what this version can read."""


class PinError(KneeCueError, ValueError):
    """A pin map or pin factory the outputs cannot be driven through."""


class PortClosed(KneeCueError, EOFError):
    """The console's far end is gone for good (stdin reached its end): no reopening."""


class ModelError(KneeCueError):
    """The pose model cannot be used."""


class ModelMissing(ModelError, FileNotFoundError):
    """No model file where one was looked for."""


class ModelInvalid(ModelError, ValueError):
    """A file exists but is not a usable MoveNet model."""


class ModelFetchError(ModelError, OSError):
    """Downloading a model failed (no network, bad checksum...)."""


class RuntimeMissing(ModelError, ImportError):
    """Neither ai-edge-litert nor tflite-runtime can be imported."""


class SourceError(KneeCueError):
    """A frame source failed."""


class SourceOpenError(SourceError, OSError):
    """A frame source could not be opened."""


class SourceLost(SourceError, OSError):
    """A live frame source stopped delivering frames (camera unplugged...)."""


class SourceGivenUp(SourceError, OSError):
    """A live source that this process cannot open again (libcamera keeps its camera
    list, and what a failed open left held, for the life of the process): the fault
    stays up until the service is restarted."""
