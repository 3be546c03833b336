"""One activity's PDF, downloaded from its page: saved and logged as every export is.

A printout of one record handed to anyone is an export like the full
record (Art. 5(2) accountability): a copy goes to ``ROPA_EXPORT_DIR`` and a
row, with its audit row, to the export log, so the DPO can later show
which version left the register and prove it unchanged (its SHA-256).
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from ropa.auth import User
from ropa.export.log import ExportResult, log_export
from ropa.export.pdf import activity_export_data, pdf_bytes
from ropa.storage.database import Database, utcnow


def activity_file_name(activity_id: int, as_of: date, stamp: str) -> str:
    """The kept copy's name: the download's name with the moment it was made (two downloads never collide)."""
    return f"ropa-activity-{activity_id}-as-of-{as_of.isoformat()}-{stamp}.pdf"


def logged_activity_pdf(db: Database, user: User, activity_id: int, as_of: date, export_dir: str | Path) -> bytes:
    """The activity's PDF, its copy kept in ``export_dir`` and its export-log row written; returns the bytes.

    The copy and the log row are one unit: if the row cannot be written the copy is removed and the error
    raised, so no printout leaves unrecorded.
    """
    data = activity_export_data(db, user, activity_id, as_of)
    payload = pdf_bytes(data)
    folder = Path(export_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / activity_file_name(activity_id, as_of, utcnow().strftime("%Y%m%dT%H%M%S%fZ"))
    path.write_bytes(payload)
    names = [record.name for record in data.records]
    result = ExportResult(path=path, format="pdf", scope=f"activity {activity_id}: {', '.join(names)}",
                          entity_id=data.options.entity_id, as_of=as_of,
                          file_sha256=hashlib.sha256(payload).hexdigest(), content_sha256=data.content_sha256,
                          activity_count=len(data.records), byte_size=len(payload))
    try:
        log_export(db, user, result)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return payload
