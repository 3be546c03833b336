"""The export log in the database: one row per file handed out, written with its audit row."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ropa.auth import User
from ropa.storage import audit
from ropa.storage.database import Database, utcnow

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    scope: str
    entity_id: int | None
    as_of: date
    file_sha256: str
    content_sha256: str
    activity_count: int
    byte_size: int


def insert_export(db: Database, user: User, result: ExportResult) -> int:
    """Store the log row and its audit row in one transaction; returns the log id."""
    with db.transaction() as con:
        now = utcnow()
        log_id = int(con.execute(
            "INSERT INTO export_log (at_utc, actor, format, entity_id, scope, as_of, file_name, file_sha256, "
            "content_sha256, activity_count, byte_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [now, user.email, result.format, result.entity_id, result.scope, result.as_of, result.path.name,
             result.file_sha256, result.content_sha256, result.activity_count, result.byte_size],
        ).fetchall()[0][0])
        audit.record(con, user, "export", "export", log_id, entity_id=result.entity_id, at=now, detail=json.dumps({
            "file": result.path.name, "format": result.format, "scope": result.scope,
            "as_of": result.as_of.isoformat(), "sha256": result.file_sha256,
            "content_sha256": result.content_sha256, "activities": result.activity_count,
        }, ensure_ascii=False))
    return log_id


def list_exports(db: Database, limit: int = 500) -> pd.DataFrame:
    """Earlier exports, newest first."""
    return db.frame(
        "SELECT at_utc AS \"exported at (UTC)\", actor AS \"by\", format, scope, as_of AS \"as of\", "
        "activity_count AS activities, file_name AS \"file\", file_sha256 AS \"file SHA-256\", "
        "content_sha256 AS \"content SHA-256\", byte_size AS bytes FROM export_log ORDER BY id DESC LIMIT ?",
        [limit],
    )
