"""Importing existing registers: ICO, CNIL, CISO Assistant, Fides and home-made layouts, this app's exports.

``plan_import`` reads a file and says exactly what would be written (and why
not, row by row); ``apply_import`` writes it in one transaction. See
``docs/export-import.md`` for the formats, the limits and the mapping rules.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from ropa.auth import User
from ropa.config import load_config
from ropa.ingest.files import ImportRejected, Limits, check_size
from ropa.ingest.mapping import Mapping
from ropa.ingest.matching import Action
from ropa.ingest.plan import ImportPlan, ImportResult, apply_import, plan_import
from ropa.storage.database import Database

__all__ = [
    "Action", "ImportPlan", "ImportRejected", "ImportResult", "Limits", "apply_import", "configured_limits",
    "import_file", "plan_import",
]


def configured_limits() -> Limits:
    """The limits set by ROPA_MAX_UPLOAD_MB."""
    return Limits.from_megabytes(load_config().max_upload_mb)


def import_file(db: Database, user: User, path: str | Path, *, entity: str | None = None, dry_run: bool = False,
                limits: Limits | None = None, on_match: Action = "update",
                mapping: Mapping | None = None) -> tuple[ImportPlan, ImportResult | None]:
    """Plan the import of the file at ``path`` and, unless ``dry_run`` or the plan has problems, apply it.

    ``on_match`` says what happens to activities already in the register: "update" (changed ones; unchanged
    ones are skipped), "skip", or "add" them again.
    """
    limits = limits or configured_limits()
    file = Path(path)
    if not file.is_file():
        raise ImportRejected(f"There is no file at {file}.")
    check_size(file.stat().st_size, file.name, limits)
    with ExitStack() as held:  # the register stays open from the plan's last check through the write
        plan = plan_import(db, file.read_bytes(), file.name, entity=entity, limits=limits, mapping=mapping,
                           keep_open=held)
        if on_match != "update":
            for position in plan.existing:
                plan.choose(position, on_match)
        if dry_run or not plan.ok:
            return plan, None
        return plan, apply_import(db, user, plan)
