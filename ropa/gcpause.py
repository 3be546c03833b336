"""Python's cyclic garbage collector paused while bulk work builds its rows (export and import).

Building 10,000 records and a million cell values allocates millions of
tuples, lists and strings, none of them in reference cycles; each time a
collection runs it walks every object still alive, so the collector spent
about 0.3 s of CPU time (a seventh of reading and laying out the sheets at
10,000 activities) finding nothing to free; reading a file to import, as
much as reading the file itself. Plain reference counting still
frees everything as usual; the collector resumes when the block ends, and
anything cyclic made meanwhile is collected then.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (a no-op if it is already paused, e.g. nested)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
