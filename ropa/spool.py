"""Rendered texts waiting in a temporary file until the document they belong to is written.

The JSON export renders every activity's entry while it collects (the
content hash is taken over all of them) and writes the document afterwards.
Held as Python strings, the entries of 50,000 activities took 110 MB of the
process's memory; in an unlinked temporary file they wait on disk, and the
document copies them over in blocks.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from collections.abc import Callable

_BLOCK = 1 << 20


class Spool:
    """Byte strings appended to a temporary file, read back by offset (the file goes with the object)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()
        weakref.finalize(self, self._file.close)  # closed, not left to the file's own finaliser and its warning
        self.size = 0
        """Bytes appended so far."""

    def append(self, data: bytes) -> int:
        """Add ``data`` at the end; returns its offset."""
        offset = self.size
        self._file.write(data)
        self._file.flush()
        self.size += len(data)
        return offset

    def read(self, offset: int, size: int) -> bytes:
        return os.pread(self._file.fileno(), size, offset)

    def copy_to(self, write: Callable[[bytes], object]) -> None:
        """Everything appended, in order, handed to ``write`` a block at a time."""
        for offset in range(0, self.size, _BLOCK):
            write(self.read(offset, min(_BLOCK, self.size - offset)))
