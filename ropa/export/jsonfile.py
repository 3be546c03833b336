"""The export as one JSON document: every field of every record, for systems rather than people.

``activities[].content`` and ``entities[].content`` are exactly what the
content hash is taken over (see ``ropa.export.data.content_hash``), so anyone
can recompute it: SHA-256 of the canonical JSON (sorted keys, no spaces,
UTF-8) of ``{"activities": [...contents], "entities": [...contents]}``.

Transfer validity and the findings are there only with ``with_gaps`` (the
gap analysis is internal work, not the record: Art. 30(4)).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

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


class _HashedOutput:
    """A file written block by block, each block hashed by a worker thread while the next is produced.

    hashlib lets go of the interpreter's lock on large blocks, so on a second
    core the file's SHA-256 costs no time, and the file is not read back to
    take it. At most one block waits for the hasher: memory stays one block.
    """

    def __init__(self, out: BinaryIO, pool: ThreadPoolExecutor) -> None:
        self._out, self._pool = out, pool
        self._digest = hashlib.sha256()
        self._pending: Future[None] | None = None

    def write(self, block: bytes) -> None:
        if self._pending is not None:
            self._pending.result()
        self._pending = self._pool.submit(self._digest.update, block)
        self._out.write(block)

    def hexdigest(self) -> str:
        if self._pending is not None:
            self._pending.result()
        return self._digest.hexdigest()


@contextmanager
def _hashed(path: str | Path) -> Iterator[_HashedOutput]:
    with Path(path).open("wb") as out, ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-hash") as pool:
        yield _HashedOutput(out, pool)


def write_json(data: ExportData, path: str | Path) -> str:
    """The document as canonical JSON, activities DuckDB already wrote (``data.contents``) copied in;
    returns the file's SHA-256, taken as it is written.

    The rest of the document is written around them: joining every entry into
    one text, then splicing it in, held the document three times over.
    """
    with _hashed(path) as out:
        if not data.contents:
            out.write(canonical_json(export_document(data)).encode())
            return out.hexdigest()
        # "activities" sorts first among the document's keys, so the first slot is this one.
        head, tail = canonical_json({**export_document(data), "activities": _SLOT}).split(canonical_json(_SLOT), 1)
        out.write((head + "[").encode())
        write_entries(data.contents, out.write)
        out.write(("]" + tail).encode())
        return out.hexdigest()
