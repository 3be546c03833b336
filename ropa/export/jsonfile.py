"""The export as one JSON document: every field of every record, for systems rather than people.

``activities[].content`` and ``entities[].content`` are exactly what the
content hash is taken over (see ``ropa.export.data.content_hash``), so anyone
can recompute it: SHA-256 of the canonical JSON (sorted keys, no spaces,
UTF-8) of ``{"activities": [...contents], "entities": [...contents]}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ropa.export.data import BOOKKEEPING, ExportData, canonical_json, record_content, transfer_validity
from ropa.reference import load_reference

FORMAT = "ropa-article-30-export"
FORMAT_VERSION = 1


def export_document(data: ExportData) -> dict[str, Any]:
    ref = load_reference()
    names = data.entity_names
    activities = []
    for record in data.records:
        regime = data.regime(record.entity_id)
        validity = []
        for transfer in record.transfers:
            valid, why = transfer_validity(regime, transfer, data.options.as_of)
            validity.append({"country": transfer.country, "valid": valid, "why": why})
        activities.append({
            **{k: getattr(record, k) for k in BOOKKEEPING},
            "content": record_content(record, names),
            "transfer_validity": validity,
        })
    findings = data.findings.astype(object).where(data.findings.notna(), None).to_dict(orient="records")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at_utc": data.generated_at.isoformat(timespec="seconds"),
        "exported_by": data.user.email,
        "as_of": data.options.as_of.isoformat(),
        "scope": data.scope,
        "organisation": data.organisation,
        "filters": data.options.filters(data.scope),
        "content_sha256": data.content_sha256,
        "reference": {"version": ref.meta.version, "as_of": ref.meta.as_of.isoformat()},
        "entities": [{"id": e.id, "parent": names.get(e.parent_id, "") if e.parent_id else "",
                      "content": e.content()} for e in data.entities],
        "activities": activities,
        "findings": findings,
    }


def write_json(data: ExportData, path: str | Path) -> None:
    Path(path).write_text(canonical_json(export_document(data)), encoding="utf-8")
