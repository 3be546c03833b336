"""Running ``reader.py`` in a child process: the server never parses an uploaded file in its own memory.

The child sets its own address-space and CPU-time limits before it reads the
file from stdin; the parent adds a wall-clock timeout and turns every way
the child can stop (a refusal, a damaged file, the kernel ending it at a
limit) into one ``ImportRejected`` message. The child's answer is plain data
(tuples of cells); it is unpickled with only the date classes allowed.

A zip file (xlsx, ods) is read by two children side by side, each within
the bounds: one runs the reader's own scans (every check that guards
calamine, and the merges and formulas found), the other calamine. The
scan's verdict is awaited first and wins: a file it refuses is refused
with its message, whatever calamine made of it, and the cell reader is
stopped. The read starts when it is asked for (``start_reading``), so the
caller can consult the register meanwhile.
"""

from __future__ import annotations

import io
import pickle
import signal
import subprocess
import sys
import threading
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
    """Every sheet of the file, read by child processes within ``bounds``; ``ImportRejected`` otherwise."""
    return start_reading(data, kind, file_name, max_bytes, max_cell_chars, bounds).sheets()


def start_reading(data: bytes, kind: str, file_name: str, max_bytes: int, max_cell_chars: int,
                  bounds: ChildBounds) -> Reading:
    """Start the child processes that read the file; ``Reading.sheets`` waits for them."""
    def child(part: str) -> _Child:
        command = [sys.executable, "-I", str(CHILD), kind, str(max_bytes), str(max_cell_chars),
                   str(bounds.memory_mb * 1024 * 1024), str(bounds.cpu_seconds), file_name, part]
        return _Child(command, data, bounds.wall_seconds)

    if kind != "zip":
        return Reading(None, child("all"), file_name, kind, bounds, max_cell_chars)
    return Reading(child("scan"), child("cells"), file_name, kind, bounds, max_cell_chars)


class _Child:
    """One child process fed ``data`` and read to its end by a thread (two children run at once)."""

    def __init__(self, command: list[str], data: bytes, timeout: float) -> None:
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env={"RUST_BACKTRACE": "0", "LC_ALL": "C.UTF-8"})
        self.timed_out = False
        self.stdout = self.stderr = b""
        self.thread = threading.Thread(target=self._talk, args=(data, timeout), daemon=True)
        self.thread.start()

    def _talk(self, data: bytes, timeout: float) -> None:
        with self.process:  # its pipes closed and the process waited for, however it ends
            try:
                self.stdout, self.stderr = self.process.communicate(data, timeout=timeout)
            except subprocess.TimeoutExpired:
                self.timed_out = True
                self.process.kill()
            except (OSError, ValueError):  # stopped by ``stop`` while being fed
                self.process.kill()

    def wait(self) -> None:
        self.thread.join()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.thread.join()


@dataclass
class Reading:
    """The children reading one file: the scan (a zip file only) and the cells."""

    scan: _Child | None
    cells: _Child
    file_name: str
    kind: str
    bounds: ChildBounds
    max_cell_chars: int

    def sheets(self) -> list[SheetData]:
        """The sheets, once read; ``ImportRejected`` with the scan's verdict first, then the cells'."""
        try:
            scans = dict(self._answer(self.scan)) if self.scan is not None else None
            sheets = [SheetData(*sheet) for sheet in self._answer(self.cells)]
        finally:
            self.close()
        if scans is None:
            return sheets
        try:
            return reader.with_scans(sheets, scans, self.max_cell_chars)
        except reader.Refused as refused:
            raise ImportRejected(str(refused)) from None

    def close(self) -> None:
        """Stop whatever still runs (the cells of a file the scan refused, or a read no longer wanted)."""
        for child in (self.scan, self.cells):
            if child is not None:
                child.stop()

    def _answer(self, child: _Child) -> Any:
        child.wait()
        file_name, kind, bounds = self.file_name, self.kind, self.bounds
        if child.timed_out:
            raise ImportRejected(
                f"Reading '{file_name}' took longer than {bounds.wall_seconds:g} seconds, the most one import may "
                "take; it is not an ordinary register. Save a copy with only the register sheet and import that."
            )
        returncode = child.process.returncode
        if returncode == 0:
            try:
                status, payload = _PlainUnpickler(io.BytesIO(child.stdout)).load()
            except (pickle.UnpicklingError, EOFError, ValueError, TypeError):
                raise ImportRejected(damaged(file_name, kind) + " (the reader's answer was incomplete)") from None
            if status == "ok":
                return payload
            if status == "refused":
                raise ImportRejected(str(payload))
            if status == "damaged":
                raise ImportRejected(damaged(file_name, kind) + f" ({payload})")
            raise ImportRejected(_out_of_memory(file_name, bounds))
        stderr = child.stderr[-2000:]
        if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            raise ImportRejected(
                f"Reading '{file_name}' used more than {bounds.cpu_seconds} seconds of processing, the most one "
                "import may use; it is not an ordinary register. Save a copy with only the register sheet and "
                "import that."
            )
        if b"memory allocation" in stderr or b"MemoryError" in stderr or returncode == -signal.SIGABRT:
            raise ImportRejected(_out_of_memory(file_name, bounds))
        raise ImportRejected(damaged(file_name, kind) + f" (the reader stopped with code {returncode})")


def _out_of_memory(file_name: str, bounds: ChildBounds) -> str:
    return (f"Reading '{file_name}' needs more than the {bounds.memory_mb:,} MB of memory one import may use; it is "
            "not an ordinary register. Save a copy with only the register sheet (no pictures, no stray cells far "
            "from the table) and import that.")
