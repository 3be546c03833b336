"""The import log: one row per file brought in, written in the import's own transaction.

It answers "was this very file imported before?" by its SHA-256 column, not by
searching the audit trail's text, and it is an accountability record like the
export log: restore keeps it.
"""

from __future__ import annotations

from datetime import datetime

from ropa.auth import User
from ropa.storage.database import Connection, Database, utcnow


def insert_import(con: Connection, user: User, file_name: str, sha256: str, activities: int, updated: int) -> int:
    """Log an import inside the transaction that writes it; returns the log id."""
    return int(con.execute(
        "INSERT INTO import_log (at_utc, actor, file_name, sha256, activities, updated) VALUES (?, ?, ?, ?, ?, ?) "
        "RETURNING id", [utcnow(), user.email, file_name, sha256, activities, updated]).fetchall()[0][0])


def last_import_of(db: Database, sha256: str) -> tuple[datetime, str] | None:
    """When and by whom the file with this SHA-256 was last imported, if ever."""
    with db.connect() as con:
        rows = con.execute("SELECT at_utc, actor FROM import_log WHERE sha256 = ? ORDER BY id DESC LIMIT 1",
                           [sha256]).fetchall()
    return (rows[0][0], str(rows[0][1])) if rows else None
