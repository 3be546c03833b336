"""The export log: every file handed out, who made it, when, for what scope and date, with its SHA-256.

Art. 5(2) accountability: when a regulator holds a copy of the record, the
DPO can show which one, and prove it unchanged (the file's hash). The rows
themselves are kept by ``ropa.storage.export_log``.
"""

from __future__ import annotations

from ropa.auth import Role, User, require
from ropa.storage.database import Database
from ropa.storage.export_log import ExportResult, insert_export, list_exports

__all__ = ["ExportResult", "list_exports", "log_export"]


def log_export(db: Database, user: User, result: ExportResult) -> int:
    """Record the export (and its audit row) in one transaction; returns the log id."""
    require(user, Role.VIEWER, "export the register")
    return insert_export(db, user, result)
