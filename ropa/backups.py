"""Backup and restore of the whole register, as the admin page and the command line ask for them.

Storage checks a backup's tables, types, links and records before it replaces
anything; the accepted risks in it are checked here against the gap rule
catalogue, with the same check the Gaps page uses when a risk is accepted, so
storage never reaches up into the analysis.
"""

from __future__ import annotations

from pathlib import Path

from ropa.auth import User
from ropa.gaps.acceptance import acceptance_problems
from ropa.storage import backup as stored
from ropa.storage.backup import backup
from ropa.storage.database import Database, utcnow

__all__ = ["backup", "restore", "utcnow"]  # utcnow: the register's clock, which names the admin page's backups


def restore(db: Database, user: User, path: str | Path) -> dict[str, int]:
    """Replace the register with a backup, all or nothing, accepted risks checked against the rule catalogue."""
    return stored.restore(db, user, path, acceptance_problems=acceptance_problems)
