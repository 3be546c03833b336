"""Copies of test registers, and the registers a test holds open (``keep_registers_open`` in ``conftest.py``).

Its own module, not ``conftest.py``: a test module that imports from ``conftest`` gets a second copy of it, and
the registers held open must be one table for every caller.
"""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from pathlib import Path

HELD: dict[Path, ExitStack] = {}
"""The registers held open now, each with what closes it."""


def copy_register(template: Path, path: Path) -> None:
    """``template`` copied over ``path``, closing ``path`` first if it is held open (an open instance would go on
    showing the register the copy replaced)."""
    held = HELD.pop(path.resolve(), None)
    if held is not None:
        held.close()
    shutil.copy(template, path)
