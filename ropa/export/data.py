"""What an export contains, read once with set-based queries: entities, activities, findings, transfers.

Activities are read as plain row records (attribute access over the stored
columns) rather than validated models: they were validated on the way in,
and building 10,000 models would cost more than writing them. The column
map renders a record and an ``Activity`` the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from ropa.auth import User
from ropa.errors import NotFound, RopaError
from ropa.serialise import ACTIVITY_FIELDS, RECIPIENT_FIELDS, TRANSFER_FIELDS, Content, record_contents
from ropa.storage.database import Connection, Database, utcnow
from ropa.storage.entity_rows import descendant_ids, load_entity_rows

if TYPE_CHECKING:
    # pandas and the legal modules (which import it) are loaded only by the exports that need them:
    # they cost the JSON export from the command line most of its start (about 0.8 s of CPU). The models
    # (pydantic and the reference data) are loaded only by the exports that build records.
    import pandas as pd

    from ropa.columns import Record, TransferRecord
    from ropa.legal.transfers import Verdict
    from ropa.models import Entity

BOOKKEEPING = ("id", "version", "created_at", "created_by", "updated_at", "updated_by")
ACTIVITY_COLUMNS: tuple[str, ...] = tuple(f for f in ACTIVITY_FIELDS if f not in ("recipients", "transfers"))
"""The stored columns of an activity (``ropa.storage.activities.ACTIVITY_COLUMNS``; a test holds them equal)."""
CONTENT_COLUMNS = tuple(c for c in ACTIVITY_COLUMNS if c not in BOOKKEEPING)


@dataclass(frozen=True)
class ExportOptions:
    """What to export: the whole group or one entity with its subsidiaries, judged on ``as_of``."""

    as_of: date
    entity_id: int | None = None
    include_archived: bool = False
    with_gaps: bool = False
    """Add the gap analysis and transfer validity: internal work, not part of the record (Art. 30(4))."""
    all_organisations: bool = False
    """With no entity: every organisation in one file (by default one organisation, one controller, a file)."""

    def filters(self, scope: str) -> str:
        parts = [f"entity: {scope}" if self.entity_id is not None else "entity: whole group"]
        parts.append("archived activities included" if self.include_archived else "archived activities left out")
        parts.append("gap analysis and transfer validity included" if self.with_gaps
                     else "the record only (Art. 30(4)): no gap analysis, no transfer validity")
        return "; ".join(parts)


@dataclass
class ExportData:
    options: ExportOptions
    generated_at: datetime
    user: User
    scope: str
    organisation: str
    entities: list[Entity]
    records: list[Record]
    entity_names: dict[int, str]
    findings: pd.DataFrame | None
    """The gap analysis (``with_gaps`` only; None otherwise)."""
    content_sha256: str = ""
    notes: list[str] = field(default_factory=list)
    contents: list[Content] = field(default_factory=list)
    """Instead of ``records`` when only JSON is written: each activity's canonical text, from DuckDB."""

    @property
    def activity_count(self) -> int:
        return len(self.records) or len(self.contents)

    @property
    def controller_records(self) -> list[Record]:
        return [r for r in self.records if r.role != "processor"]

    @property
    def processor_records(self) -> list[Record]:
        return [r for r in self.records if r.role == "processor"]

    def gap_findings(self) -> pd.DataFrame:
        """The findings of an export made with the gap analysis."""
        if self.findings is None:
            raise RopaError("This export was collected without the gap analysis.")
        return self.findings

    def regime(self, entity_id: int) -> str:
        """The entity's applicable regime (``ropa.legal.regimes`` key): recorded, or derived from its country."""
        from ropa.legal.regimes import entity_regime

        entity = next((e for e in self.entities if e.id == entity_id), None)
        return entity_regime(entity) if entity else "none"


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def canonical_json(value: Any) -> str:
    """The one serialisation the content hash is taken over (and the JSON export uses).

    Sorted keys, no spaces, UTF-8 text, dates as ISO 8601: anyone can rebuild it.
    """
    return _CANONICAL.encode(value)


def fields_of(row: object) -> dict[str, Any]:
    """A row record's fields by name: a named tuple's, or any other object's attributes."""
    as_dict = getattr(row, "_asdict", None)
    return dict(as_dict()) if as_dict is not None else dict(vars(row))


def record_content(record: Record, entity_names: dict[int, str]) -> dict[str, Any]:
    """An activity's content as ``Activity.content()`` has it, plus its entity's name."""
    content = {k: v for k, v in fields_of(record).items() if k not in BOOKKEEPING}
    content["recipients"] = [fields_of(r) for r in record.recipients]
    content["transfers"] = [fields_of(t) for t in record.transfers]
    content["entity"] = entity_names.get(record.entity_id, "")
    return content


def content_hash(entities: list[Entity], records: Sequence[Record], entity_names: dict[int, str]) -> str:
    """SHA-256 of the canonical JSON of the exported entities and activities (bookkeeping left out).

    The same register content gives the same hash whatever the format, so a
    regulator can match an xlsx to its JSON twin and see nothing changed.
    """
    return texts_hash(entities, (canonical_json(record_content(r, entity_names)) for r in records))


def texts_hash(entities: list[Entity], contents: Iterable[str]) -> str:
    """``content_hash`` over activity contents already written as canonical JSON."""
    digest = hashlib.sha256()
    digest.update(b'{"activities":[')
    for i, text in enumerate(contents):
        if i:
            digest.update(b",")
        digest.update(text.encode())
    digest.update(b'],"entities":')
    digest.update(canonical_json([e.content() for e in entities]).encode())
    digest.update(b"}")
    return digest.hexdigest()


# Row records are named tuples: 10,000 activities with their recipients and transfers take 41 MB so,
# against 56 MB as namespaces (a dict each). The field lists follow the models', so the types are built
# at run time (the column map reads them through its ``Record`` protocols).
_make_row_type: Any = namedtuple
_ActivityRow = _make_row_type("ActivityRow", (*ACTIVITY_COLUMNS, "recipients", "transfers"))
_RecipientRow = _make_row_type("RecipientRow", RECIPIENT_FIELDS)
_TransferRow = _make_row_type("TransferRow", TRANSFER_FIELDS)
_UNMAPPED, _ID = ACTIVITY_COLUMNS.index("unmapped"), ACTIVITY_COLUMNS.index("id")


def load_records(con: Connection, entity_ids: list[int] | None, include_archived: bool) -> list[Record]:
    """Activities with recipients and transfers: three queries whatever the count.

    Each is a row record: a named tuple of the stored columns, read by the column map as a ``Record``.
    """
    where = ["TRUE"]
    params: list[Any] = []
    if entity_ids is not None:
        where.append("list_contains(?, entity_id)")
        params.append(entity_ids)
    if not include_archived:
        where.append("status <> 'archived'")
    condition = " AND ".join(where)
    children: dict[str, dict[int, list[tuple[Any, ...]]]] = {}
    for table, row_type in (("recipients", _RecipientRow), ("transfers", _TransferRow)):
        grouped: dict[int, list[tuple[Any, ...]]] = {}
        sql = (f"SELECT activity_id, {', '.join(row_type._fields)} FROM {table} "
               f"WHERE activity_id IN (SELECT id FROM activities WHERE {condition}) ORDER BY activity_id, position")
        for row in _streamed(con.execute(sql, params)):
            grouped.setdefault(row[0], []).append(row_type._make(row[1:]))
        children[table] = grouped
    recipients, transfers = children["recipients"], children["transfers"]
    records = []
    # Not sorted by DuckDB: sorting the wide rows held 40 MB more at 50,000 activities than sorting the records.
    result = con.execute(f"SELECT {', '.join(ACTIVITY_COLUMNS)} FROM activities WHERE {condition}", params)
    share = _shared_texts()
    for row in _streamed(result):
        values = [share(v) for v in row]
        values[_UNMAPPED] = json.loads(values[_UNMAPPED] or "{}")
        activity_id = values[_ID]
        values.append(recipients.get(activity_id, []))
        values.append(transfers.get(activity_id, []))
        records.append(_ActivityRow._make(values))
    records.sort(key=_register_order)
    return cast("list[Record]", records)


def _register_order(record: Any) -> tuple[int, str, int]:
    """By entity, then name, then id (names compare by code point, as DuckDB's binary collation does)."""
    return record.entity_id, record.name, record.id


def _shared_texts() -> Callable[[Any], Any]:
    """A value with its texts replaced by the one copy already seen (lists of texts item by item).

    DuckDB hands every row its own copy of each text: the same vocabulary keys, statuses and owners
    took about 80 MB at 50,000 activities, one copy each takes kilobytes.
    """
    seen: dict[str, str] = {}
    share = seen.setdefault

    def shared(value: Any) -> Any:
        kind = value.__class__
        if kind is str:
            return share(value, value)
        if kind is list:
            return [share(item, item) if item.__class__ is str else item for item in value]
        return value

    return shared


FETCH_ROWS = 4_096
"""Rows fetched from DuckDB at a time while records are built."""


def _streamed(result: Any) -> Iterator[tuple[Any, ...]]:
    """A query's rows a chunk at a time: all 50,000 fetched at once held about 100 MB more while the records
    were built from them."""
    while chunk := result.fetchmany(FETCH_ROWS):
        yield from chunk


def _ordered(entities: list[Entity]) -> list[Entity]:
    """Parents before their subsidiaries, then by name: the order a group chart reads."""
    by_parent: dict[int | None, list[Entity]] = {}
    ids = {e.id for e in entities}
    for entity in sorted(entities, key=lambda e: e.name.casefold()):
        parent = entity.parent_id if entity.parent_id in ids else None
        by_parent.setdefault(parent, []).append(entity)
    ordered: list[Entity] = []

    def visit(parent: int | None) -> None:
        for child in by_parent.get(parent, []):
            ordered.append(child)
            visit(child.id)

    visit(None)
    return ordered


def collect(db: Database, user: User, options: ExportOptions, *, records: bool = True) -> ExportData:
    """Everything one export writes, read in a handful of queries.

    ``records=False`` (the JSON document without the gap analysis) reads each
    activity's canonical content from DuckDB instead of building records.
    """
    with db.connect() as con:
        all_entities = _entities(db, con, records)
        names = {int(e.id or 0): e.name for e in all_entities}
        if options.entity_id is not None:
            if options.entity_id not in names:
                raise NotFound(f"There is no entity with id {options.entity_id}.")
            ids: list[int] | None = descendant_ids(con, options.entity_id)
            scope = (f"{names[options.entity_id]} and its subsidiaries" if len(ids or []) > 1
                     else names[options.entity_id])
        else:
            ids = None
            scope = "the whole group"
            if not options.all_organisations:
                _one_organisation(all_entities)
        # The gap analysis is one DuckDB query that runs outside Python's lock: let it run while the
        # records are read and hashed here.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-gaps") as pool:
            findings = pool.submit(_findings if options.with_gaps else _no_findings, db, options, ids)
            rows = load_records(con, ids, options.include_archived) if records else []
            contents = [] if records else record_contents(con, CONTENT_COLUMNS, ids, options.include_archived)
            used = {r.entity_id for r in rows} | {c.entity_id for c in contents}
            entities = _ordered([e for e in all_entities
                                 if (ids is None or e.id in ids) and (not e.archived or e.id in used)])
            roots = [e.name for e in entities
                     if e.parent_id is None or e.parent_id not in {x.id for x in entities}]
            # The hash of the records is taken here in Python: DuckDB writes the same texts in half the CPU
            # time, but held 100 MB more at 10,000 activities (500 MB at 50,000) to do it.
            content_sha256 = (content_hash(entities, rows, names) if records
                              else texts_hash(entities, (c.text for c in contents)))
            return ExportData(options=options, generated_at=utcnow(), user=user, scope=scope,
                              organisation=", ".join(roots) or scope, entities=entities, records=rows,
                              entity_names=names, findings=findings.result(), content_sha256=content_sha256,
                              contents=contents)


def _entities(db: Database, con: Connection, models: bool) -> list[Entity]:
    """Every entity, archived ones included: validated models for the exports that build records, light row
    records (the fields and ``content()`` the JSON document reads) for the one that does not."""
    if models:
        from ropa.storage.entities import list_entities

        return list_entities(db, include_archived=True)  # a cursor of the file already open
    return cast("list[Entity]", load_entity_rows(con))


def organisations(entities: list[Entity]) -> list[Entity]:
    """The top-level live entities: each with its subsidiaries is one organisation (one controller's record)."""
    ids = {e.id for e in entities}
    return [e for e in entities if not e.archived and (e.parent_id is None or e.parent_id not in ids)]


def _one_organisation(entities: list[Entity]) -> None:
    roots = organisations(entities)
    if len(roots) > 1:
        names = ", ".join(e.name for e in sorted(roots, key=lambda e: e.name.casefold()))
        raise RopaError(f"The register holds {len(roots)} unrelated organisations ({names}); a record for a "
                        "supervisory authority covers one: choose one with its subsidiaries (--entity NAME), "
                        "or export them together (--all-organisations).")


def _no_findings(db: Database, options: ExportOptions, ids: list[int] | None) -> None:
    """The record only: no analysis is run (nor the gap rules imported); nothing reads these findings."""
    return None


def _findings(db: Database, options: ExportOptions, ids: list[int] | None) -> pd.DataFrame:
    """The gap analysis as of the export date, accepted risks included and marked."""
    from ropa.gaps import analyse

    return analyse(db, options.as_of, ids, include_accepted=True)


# -- transfers -------------------------------------------------------------------------------

def record_verdict(regime: str, transfer: TransferRecord, day: date) -> Verdict:
    """The verdict module's answer for a stored transfer (a model or a row record) of an exporter under ``regime``."""
    from ropa.legal.transfers import judge

    organisation = transfer.organisation
    destination = f"org:{organisation}" if organisation else str(transfer.country)
    return judge(regime, destination, transfer.mechanism or None, day, contract_date=transfer.contract_date,
                 assessment_recorded=bool((transfer.tia_ref or "").strip()))


def transfer_validity(regime: str, transfer: TransferRecord, day: date) -> tuple[bool, str]:
    """Whether a stored transfer is lawful on ``day`` for an exporter under ``regime``, and why.

    The verdict module's answer (``ropa.legal.transfers.judge``), so the export says what
    the activity page, the dashboard and the gap analysis say: a transfer Chapter V does
    not reach counts as valid; the reason names what is still expected (an assessment).
    """
    verdict = record_verdict(regime, transfer, day)
    return verdict.lawful is not False, verdict.reason
