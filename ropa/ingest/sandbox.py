"""Running ``reader.py`` in a child process: the server never parses an uploaded file in its own memory.

The child sets its own address-space and CPU-time limits before it reads the
file from stdin; the parent adds a wall-clock timeout and turns every way
the child can stop (a refusal, a damaged file, the kernel ending it at a
limit) into one ``ImportRejected`` message. The child's answer is plain data
(tuples of cells); it is unpickled with only the date classes allowed.
"""

from __future__ import annotations

import io
import pickle
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ropa.errors import RopaError
from ropa.ingest import reader
from ropa.ingest.reader import SheetData

CHILD = Path(reader.__file__)
_ALLOWED = {("datetime", "date"), ("datetime", "datetime")}


class ImportRejected(RopaError):
    """The file cannot be imported at all; the message says why and what to do."""


@dataclass(frozen=True)
class ChildBounds:
    """What one parse may use: address space, CPU time, elapsed time."""

    memory_mb: int = 1024
    """This app's own export of 50,000 activities (20 MB, 2.6 million cells) peaks at 442 MB of address space."""
    cpu_seconds: int = 30
    """That export takes 8.4-9.5 s of CPU to read."""
    wall_seconds: float = 90.0
    """On a busy two-core machine that read took 27 s."""


class _PlainUnpickler(pickle.Unpickler):
    """Lists, tuples, text, numbers and dates only: nothing the child sends can name other code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed")


def damaged(file_name: str, kind: str) -> str:
    what = {"ods": "an OpenDocument spreadsheet", "csv": "a CSV file"}.get(kind, "an Excel workbook")
    resave = "as .ods" if kind == "ods" else "as .xlsx"
    return (f"'{file_name}' cannot be read as {what}: the file is damaged or incomplete. "
            f"Open it in a spreadsheet program, save it again {resave} and upload the new copy.")


def read_in_child(data: bytes, kind: str, file_name: str, max_bytes: int, max_cell_chars: int,
                  bounds: ChildBounds) -> list[SheetData]:
    """Every sheet of the file, read by a child process within ``bounds``; ``ImportRejected`` otherwise."""
    command = [sys.executable, "-I", str(CHILD), kind, str(max_bytes), str(max_cell_chars),
               str(bounds.memory_mb * 1024 * 1024), str(bounds.cpu_seconds), file_name]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=bounds.wall_seconds,
                              env={"RUST_BACKTRACE": "0", "LC_ALL": "C.UTF-8"}, check=False)
    except subprocess.TimeoutExpired:
        raise ImportRejected(
            f"Reading '{file_name}' took longer than {bounds.wall_seconds:g} seconds, the most one import may "
            "take; it is not an ordinary register. Save a copy with only the register sheet and import that."
        ) from None
    if done.returncode == 0:
        try:
            status, payload = _PlainUnpickler(io.BytesIO(done.stdout)).load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError):
            raise ImportRejected(damaged(file_name, kind) + " (the reader's answer was incomplete)") from None
        if status == "ok":
            return [SheetData(*sheet) for sheet in payload]
        if status == "refused":
            raise ImportRejected(str(payload))
        if status == "damaged":
            raise ImportRejected(damaged(file_name, kind) + f" ({payload})")
        raise ImportRejected(_out_of_memory(file_name, bounds))
    stderr = done.stderr[-2000:]
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise ImportRejected(
            f"Reading '{file_name}' used more than {bounds.cpu_seconds} seconds of processing, the most one import "
            "may use; it is not an ordinary register. Save a copy with only the register sheet and import that."
        )
    if b"memory allocation" in stderr or b"MemoryError" in stderr or done.returncode == -signal.SIGABRT:
        raise ImportRejected(_out_of_memory(file_name, bounds))
    raise ImportRejected(damaged(file_name, kind) + f" (the reader stopped with code {done.returncode})")


def _out_of_memory(file_name: str, bounds: ChildBounds) -> str:
    return (f"Reading '{file_name}' needs more than the {bounds.memory_mb:,} MB of memory one import may use; it is "
            "not an ordinary register. Save a copy with only the register sheet (no pictures, no stray cells far "
            "from the table) and import that.")
