"""The Article 30 record for regulators: one Excel workbook (or a CSV zip, or JSON) per group or entity.

``export_register`` writes a file and logs it (who, when, scope, as-of date,
SHA-256); ``save_export`` does the same under ``ROPA_EXPORT_DIR`` with a
timestamped name (what the Export page uses). See docs/export-import.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Literal

from ropa.auth import SYSTEM, Role, User, require
from ropa.errors import RopaError
from ropa.export.data import ExportData, ExportOptions, collect
from ropa.export.log import ExportResult, list_exports, log_export
from ropa.gcpause import gc_paused
from ropa.storage.database import Database

__all__ = [
    "FORMATS", "ExportData", "ExportOptions", "ExportResult", "collect", "export_register", "export_xlsx",
    "list_exports", "save_export", "write_file",
]

Format = Literal["xlsx", "csv", "json", "pdf"]
FORMATS: dict[str, str] = {"xlsx": ".xlsx", "csv": ".csv.zip", "json": ".json", "pdf": ".pdf"}
MEDIA_TYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "application/zip",
    "json": "application/json",
    "pdf": "application/pdf",
}


Progress = Callable[[str, float], object]
"""Told what the export is doing and how far it is (0 to 1): the Export page's progress bar."""


def _quiet(_: str, __: float) -> None:
    return None


def write_file(data: ExportData, fmt: str, path: str | Path, progress: Progress = _quiet) -> str | None:
    """Write already collected export data in ``fmt`` to ``path`` (the workbook reports its rows as it goes);
    returns the file's SHA-256 when the writer took it as it wrote (JSON), else None.

    Only the chosen writer is imported: openpyxl alone costs a JSON export a tenth of a second.
    """
    if fmt == "xlsx":
        from ropa.export.xlsx import write_xlsx

        write_xlsx(data, path, progress=progress)
    elif fmt == "csv":
        from ropa.export.csvzip import write_csv_zip

        write_csv_zip(data, path)
    elif fmt == "json":
        from ropa.export.jsonfile import write_json

        return write_json(data, path)
    elif fmt == "pdf":
        from ropa.export.pdf import write_pdf

        write_pdf(data, path)
    else:
        raise RopaError(f"Unknown export format '{fmt}'; choose one of: {', '.join(FORMATS)}.")
    return None


WRITE_START, WRITE_END = 0.1, 0.95
"""Share of the progress bar before and after writing the file (reading takes about a tenth)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_register(db: Database, user: User, fmt: str, path: str | Path, options: ExportOptions, *,
                    log: bool = True, progress: Progress = _quiet) -> ExportResult:
    """Collect, write ``path`` in ``fmt`` and (unless ``log`` is False) record it in the export log.

    ``progress`` is told each step as it starts and how far the export is (the Export page shows a bar).
    """
    require(user, Role.VIEWER, "export the register")
    target = Path(path)
    if fmt not in FORMATS:
        raise RopaError(f"Unknown export format '{fmt}'; choose one of: {', '.join(FORMATS)}.")
    if target.parent and not target.parent.exists():
        raise RopaError(f"The folder {target.parent} does not exist.")
    progress("Reading the register" + (" and running the gap analysis" if options.with_gaps else ""), 0.0)
    # The JSON document of the record alone is written by DuckDB: no record objects are needed.
    with gc_paused():
        data = collect(db, user, options, records=fmt != "json" or options.with_gaps)
    progress(f"Writing {data.activity_count:,} activities as {fmt}", WRITE_START)
    file_sha256 = write_file(data, fmt, target,
                             lambda text, done: progress(text, WRITE_START + done * (WRITE_END - WRITE_START)))
    progress("Recording the export in the export log", WRITE_END)
    result = ExportResult(path=target, format=fmt, scope=data.scope, entity_id=options.entity_id,
                          as_of=options.as_of, file_sha256=file_sha256 or _sha256(target),
                          content_sha256=data.content_sha256,
                          activity_count=data.activity_count, byte_size=target.stat().st_size)
    if log:
        log_export(db, user, result)
    progress("Export ready", 1.0)
    return result


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60].lower() or "register"


def export_file_name(scope: str, fmt: str, as_of: date, stamp: str) -> str:
    return f"ropa-{_slug(scope)}-as-of-{as_of.isoformat()}-{stamp}{FORMATS[fmt]}"


def save_export(db: Database, user: User, fmt: str, options: ExportOptions, export_dir: str | Path, *,
                progress: Progress = _quiet) -> ExportResult:
    """Write the export into ``export_dir`` under a timestamped name, and log it."""
    from ropa.storage.database import utcnow
    from ropa.storage.entities import get_entity

    folder = Path(export_dir)
    folder.mkdir(parents=True, exist_ok=True)
    scope = "group" if options.entity_id is None else get_entity(db, options.entity_id).name
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    return export_register(db, user, fmt, folder / export_file_name(scope, fmt, options.as_of, stamp), options,
                           progress=progress)


def export_xlsx(db: Database, path: str | Path, *, as_of: date | None = None, entity_id: int | None = None,
                user: User = SYSTEM, log: bool = False) -> ExportResult:
    """The workbook for the whole group (or one entity and its subsidiaries) at ``path``."""
    options = ExportOptions(as_of=as_of or date.today(), entity_id=entity_id)
    return export_register(db, user, "xlsx", path, options, log=log)
