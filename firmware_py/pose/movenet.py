"""MoveNet SinglePose on a TFLite interpreter: built once, checked once, invoked per frame.

The model's input side and dtype are read from the file, so Lightning (192) and
Thunder (256), int8 or float16, all load.  Every way a model file can be wrong
becomes a ModelError naming the path and what was expected.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from firmware_py.errors import ModelInvalid
from firmware_py.pose.modelfiles import check_header
from firmware_py.pose.runtime import load_interpreter_class

KEYPOINTS = 17
INPUT_DTYPES = (np.uint8, np.int32, np.float32)


@contextlib.contextmanager
def _native_stderr_into(lines: list[str]):
    """Collect what the C++ runtime writes to fd 2 while loading.

    The runtime prints an INFO line on every load; it would land in the middle of
    ``analyze`` output.  Errors are kept and re-printed (or folded into our message).
    """
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (daemonised oddly): nothing to tidy
        yield
        return
    with tempfile.TemporaryFile() as tmp:
        sys.stderr.flush()
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            lines.extend(tmp.read().decode("utf-8", "replace").splitlines())


def open_interpreter(path: Path, num_threads: int, runtime: str | None):
    """(runtime name, allocated interpreter) for the model file at ``path``: every way the
    file can be wrong ends as a ModelError naming it; the runtime's INFO lines are kept
    out of the terminal and anything else it prints is passed on."""
    check_header(path)
    name, interpreter_class = load_interpreter_class(runtime)
    native: list[str] = []
    try:
        with _native_stderr_into(native):
            interpreter = interpreter_class(model_path=str(path), num_threads=num_threads)
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as e:
        detail = (str(e) or type(e).__name__).splitlines()[0]
        error = ModelInvalid(
            f"{str(path)!r} could not be loaded by {name}: {detail} "
            f"(truncated or corrupt? run `kneecue model check {path}`)"
        )
        error.unloadable = f"{str(path)!r} could not be loaded by {name}: {detail}"
        raise error from e
    for line in native:
        if not line.startswith("INFO:"):
            print(line, file=sys.stderr)
    return name, interpreter


class MoveNet:
    """A loaded, validated MoveNet SinglePose model.

    ``invoke(image)`` takes an (S, S, 3) RGB image of 0–255 values and returns the
    raw (17, 3) array of (y, x, score), normalised to the input square.
    """

    def __init__(self, path: str | os.PathLike, *, num_threads: int = 2, runtime: str | None = None):
        self.path = Path(path)
        if num_threads < 1:
            raise ValueError(f"num_threads must be at least 1, got {num_threads}")
        self.runtime, interpreter = open_interpreter(self.path, num_threads, runtime)
        self.num_threads = num_threads
        self._interpreter = interpreter
        inp = interpreter.get_input_details()
        out = interpreter.get_output_details()
        self._check_signature(inp, out)
        self.input_size = int(inp[0]["shape"][1])
        self.input_dtype = np.dtype(inp[0]["dtype"])
        self._input_index = inp[0]["index"]
        self._output_index = out[0]["index"]
        self._batch = np.zeros((1, self.input_size, self.input_size, 3), dtype=self.input_dtype)

    def _check_signature(self, inp: list, out: list) -> None:
        expected = (
            "one input [1, S, S, 3] (uint8, int32 or float32) and one output [1, 1, 17, 3] "
            "float32, as MoveNet SinglePose has"
        )
        ok = len(inp) == 1 and len(out) == 1
        if ok:
            shape = [int(v) for v in inp[0]["shape"]]
            ok = (
                len(shape) == 4 and shape[0] == 1 and shape[1] == shape[2] and shape[1] >= 32
                and shape[3] == 3 and np.dtype(inp[0]["dtype"]) in INPUT_DTYPES
                and [int(v) for v in out[0]["shape"]] == [1, 1, KEYPOINTS, 3]
                and np.dtype(out[0]["dtype"]) == np.float32
            )
        if not ok:
            found = ", ".join(f"in {list(d['shape'])} {np.dtype(d['dtype']).name}" for d in inp)
            found += ", " + ", ".join(f"out {list(d['shape'])} {np.dtype(d['dtype']).name}" for d in out)
            raise ModelInvalid(f"{str(self.path)!r} is not MoveNet SinglePose: expected {expected}; found {found}")

    def twin(self, num_threads: int = 1) -> "MoveNet":
        """The same model in an interpreter of its own (an interpreter serves one thread:
        a landing's burst runs beside the live loop)."""
        return MoveNet(self.path, num_threads=num_threads, runtime=self.runtime)

    @property
    def input_buffer(self) -> np.ndarray:
        """The (S, S, 3) array ``invoke()`` sends, for writing a frame into without a copy."""
        return self._batch[0]

    def invoke(self, image: np.ndarray | None = None) -> np.ndarray:
        """Run the model on ``image`` (or on ``input_buffer`` as it stands)."""
        if image is not None:
            self._batch[0] = image
        self._interpreter.set_tensor(self._input_index, self._batch)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output_index)[0, 0]

    def describe(self) -> str:
        return f"{self.path.name} ({self.input_size}×{self.input_size} {self.input_dtype.name}, {self.runtime}, {self.num_threads} threads)"
