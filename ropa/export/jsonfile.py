"""The export as one JSON document: every field of every record, for systems rather than people.

``activities[].content`` and ``entities[].content`` are exactly what the
content hash is taken over (see ``ropa.export.data.content_hash``), so anyone
can recompute it: SHA-256 of the canonical JSON (sorted keys, no spaces,
UTF-8) of ``{"activities": [...contents], "entities": [...contents]}``.

Transfer validity and the findings are there only with ``with_gaps`` (the
gap analysis is internal work, not the record: Art. 30(4)).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ropa.export.data import BOOKKEEPING, ExportData, canonical_json, record_content, transfer_validity
from ropa.serialise import reference_meta, write_entries

FORMAT = "ropa-article-30-export"
FORMAT_VERSION = 1


def export_document(data: ExportData) -> dict[str, Any]:
    meta = reference_meta()
    names = data.entity_names
    with_gaps = data.options.with_gaps
    activities = []
    for record in data.records:
        activity = {**{k: getattr(record, k) for k in BOOKKEEPING}, "content": record_content(record, names)}
        if with_gaps:
            regime = data.regime(record.entity_id)
            validity = []
            for transfer in record.transfers:
                valid, why = transfer_validity(regime, transfer, data.options.as_of)
                validity.append({"country": transfer.country, "valid": valid, "why": why})
            activity["transfer_validity"] = validity
        activities.append(activity)
    judged: dict[str, Any] = {}
    if with_gaps:
        findings = data.gap_findings()
        judged["findings"] = findings.astype(object).where(findings.notna(), None).to_dict(
            orient="records")
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
        "reference": {"version": meta["version"], "as_of": meta["as_of"]},
        "entities": [{"id": e.id, "parent": names.get(e.parent_id, "") if e.parent_id else "",
                      "content": e.content()} for e in data.entities],
        "activities": activities,
        "with_gaps": with_gaps,
        **judged,
    }


_SLOT = "\x00activities\x00"


def write_json(data: ExportData, path: str | Path) -> None:
    """The document as canonical JSON; activities DuckDB already wrote (``data.contents``) are copied in.

    The rest of the document is written around them: joining every entry into
    one text, then splicing it in, held the document three times over.
    """
    if not data.contents:
        Path(path).write_text(canonical_json(export_document(data)), encoding="utf-8")
        return
    # "activities" sorts first among the document's keys, so the first slot is this one.
    head, tail = canonical_json({**export_document(data), "activities": _SLOT}).split(canonical_json(_SLOT), 1)
    with Path(path).open("wb") as out:
        out.write((head + "[").encode())
        write_entries(data.contents, out.write)
        out.write(("]" + tail).encode())
