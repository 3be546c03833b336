"""Four-eyes approval: whoever made or submitted a change is not the one who approves it.

It only means something when people sign in as themselves (proxy or OIDC):
local mode has one user, who would otherwise never be able to approve. A
one-person team turns it off with ``ROPA_FOUR_EYES=off``.
"""

from __future__ import annotations

from ropa.config import setting
from ropa.errors import RopaError

_ON = {"on", "true", "yes", "1"}
_OFF = {"off", "false", "no", "0"}
SIGNED_IN_MODES = frozenset({"proxy", "oidc"})


def four_eyes_applies(auth_mode: str, switch: str) -> bool:
    """Whether approval needs a second person, for this sign-in mode and ``ROPA_FOUR_EYES`` value."""
    text = switch.strip().lower()
    if text not in _ON | _OFF:
        raise RopaError(f"ROPA_FOUR_EYES must be on or off, not '{switch}'.")
    return text in _ON and auth_mode.strip().lower() in SIGNED_IN_MODES


def four_eyes_required() -> bool:
    """The rule as configured for this server."""
    return four_eyes_applies(setting("ROPA_AUTH_MODE"), setting("ROPA_FOUR_EYES"))
