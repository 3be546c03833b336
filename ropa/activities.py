"""An activity's life as the pages ask for it: read, create, edit, archive, duplicate and the review workflow.

The writes live in ``ropa.storage.activities`` (each one transaction with its
audit row, the role and four-eyes checks inside); this module is the one
door the app's pages and widgets use, so a page never reaches into storage.
"""

from __future__ import annotations

from ropa.storage.activities import (
    archive_activity,
    create_activity,
    duplicate_activity,
    get_activity,
    mark_reviewed,
    restore_activity,
    transition,
    update_activity,
)

__all__ = [
    "archive_activity", "create_activity", "duplicate_activity", "get_activity", "mark_reviewed", "restore_activity",
    "transition", "update_activity",
]
