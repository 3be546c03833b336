"""Hypothesis profiles: how many examples a property test tries, chosen per run with ``HYPOTHESIS_PROFILE``.

``ci`` (``make test``, and any run with ``CI`` set): every test's full count of examples, the same ones every run,
so a red build is reproducible from its log. ``dev`` (``make test-fast``, and a plain ``pytest`` on a laptop):
a fifth of them, new ones each run, remembered in ``.hypothesis/`` so a failure found once is tried first next
time.
"""

from __future__ import annotations

import os

from hypothesis import settings

SHARE = {"ci": 1.0, "dev": 0.2}
"""The share of a test's full count of examples each profile tries."""

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
settings.load_profile(PROFILE)


def examples(full: int, profile: str = PROFILE) -> int:
    """The number of examples to try, for a test that tries ``full`` on CI: at least 2, whatever the profile."""
    return max(2, round(full * SHARE[profile]))
