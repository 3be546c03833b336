"""The append-only audit trail: who changed what, when (UTC), from what, to what.

Rows are only ever inserted, in the same transaction as the change they
describe; nothing in ``ropa`` updates or deletes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ropa.auth import User
from ropa.storage.database import Connection, Database, utcnow

if TYPE_CHECKING:
    import pandas as pd


def text_of(state: dict[str, Any]) -> str:
    """A record's state as the audit trail stores it: JSON, keys sorted, text as written."""
    return json.dumps(state, ensure_ascii=False, sort_keys=True, default=str)


def record(
    con: Connection,
    user: User,
    action: str,
    record_type: str,
    record_id: int | None,
    *,
    entity_id: int | None = None,
    version: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str = "",
    at: datetime | None = None,
) -> None:
    con.execute(
        "INSERT INTO audit_log (at_utc, actor, action, record_type, record_id, entity_id, version,"
        " before, after, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [at or utcnow(), user.email, action, record_type, record_id, entity_id, version,
         None if before is None else text_of(before), None if after is None else text_of(after), detail],
    )


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """Field-by-field differences between two record snapshots, in field order."""
    old, new = before or {}, after or {}
    fields = list(dict.fromkeys([*old, *new]))
    return [Change(f, old.get(f), new.get(f)) for f in fields if old.get(f) != new.get(f)]


def snapshot(db_or_con: Database | Connection, record_type: str, record_id: int, version: int) -> dict[str, Any] | None:
    """The record's content as saved at ``version`` (the audit row that produced it)."""
    sql = ("SELECT after FROM audit_log WHERE record_type = ? AND record_id = ? AND version = ? "
           "AND after IS NOT NULL ORDER BY id DESC LIMIT 1")
    params = [record_type, record_id, version]
    if isinstance(db_or_con, Database):
        rows = db_or_con.rows(sql, params)
    else:
        rows = db_or_con.execute(sql, params).fetchall()
    return json.loads(rows[0][0]) if rows else None


def history_frame(
    db: Database,
    *,
    record_type: str | None = None,
    record_id: int | None = None,
    actor: str | None = None,
    entity_ids: list[int] | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 5000,
) -> pd.DataFrame:
    """Audit rows, newest first, filtered in SQL."""
    where: list[str] = ["TRUE"]
    params: list[object] = []
    if record_type:
        where.append("record_type = ?")
        params.append(record_type)
    if record_id is not None:
        where.append("record_id = ?")
        params.append(record_id)
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if entity_ids:
        where.append("list_contains(?, entity_id)")
        params.append(entity_ids)
    if since:
        where.append("at_utc >= ?")
        params.append(since)
    if until:
        where.append("at_utc < ? + INTERVAL 1 DAY")
        params.append(until)
    params.append(limit)
    return db.frame(
        f"SELECT id, at_utc, actor, action, record_type, record_id, entity_id, version, before, after, detail "
        f"FROM audit_log WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
        params,
    )


def change_stamp(db: Database) -> tuple[int, int]:
    """Changes whenever the register does (every write adds an audit row): a key for cached results."""
    row = db.rows("SELECT coalesce(max(id), 0), count(*) FROM audit_log")[0]
    return int(row[0]), int(row[1])


def actors(db: Database) -> list[str]:
    """Everyone who has changed the register, for the history filter."""
    return [str(r[0]) for r in db.rows("SELECT DISTINCT actor FROM audit_log ORDER BY actor")]


@dataclass(frozen=True)
class Event:
    """One audit row, as far as a status line needs it."""

    actor: str
    at_utc: datetime
    action: str


def latest_event(db: Database, record_type: str, record_id: int, actions: tuple[str, ...]) -> Event | None:
    """The newest of ``actions`` on a record (e.g. who last moved it along the workflow)."""
    rows = db.rows("SELECT actor, at_utc, action FROM audit_log WHERE record_type = ? AND record_id = ? "
                   "AND list_contains(?, action) ORDER BY id DESC LIMIT 1", [record_type, record_id, list(actions)])
    return Event(str(rows[0][0]), rows[0][1], str(rows[0][2])) if rows else None
