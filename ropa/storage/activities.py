"""Reading and writing processing activities.

Every write is one transaction that also writes its audit row. Updates carry
the version the user started from; if someone saved in between, the write is
refused with a ``ConflictError`` naming what they changed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import Any, NamedTuple

import duckdb
import pyarrow as pa

from ropa.auth import Role, User, require
from ropa.errors import ConflictError, FieldError, NotFound, PermissionDenied, ValidationFailed
from ropa.four_eyes import four_eyes_required
from ropa.labels import status_label
from ropa.models import Activity, Recipient, Transfer, parse_activity
from ropa.review import add_months as add_months  # re-exported: callers date reviews through storage
from ropa.storage import audit
from ropa.storage.arrow_rows import creation_audit, insert_tables
from ropa.storage.audit_text import content_texts
from ropa.storage.database import Connection, Database, utcnow

CHILD_FIELDS = ("recipients", "transfers")
ACTIVITY_COLUMNS: tuple[str, ...] = tuple(f for f in Activity.model_fields if f not in CHILD_FIELDS)
RECIPIENT_COLUMNS: tuple[str, ...] = tuple(Recipient.model_fields)
TRANSFER_COLUMNS: tuple[str, ...] = tuple(Transfer.model_fields)

_LIST_COLUMNS = {"lawful_bases", "art9_conditions", "data_subjects", "data_categories",
                 "security_measures", "systems", "dpia_criteria"}
_INT_COLUMNS = {"id", "entity_id", "retention_months", "version"}
_BOOL_COLUMNS = {"adm", "dpia_required", "retention_per_policy"}
_DATE_COLUMNS = {"last_reviewed", "next_review_due", "superseded_on"}
_TIME_COLUMNS = {"created_at", "updated_at"}
_TRANSFER_DATES = {"contract_date", "authority_informed_on"}


def _arrow_type(column: str) -> pa.DataType:
    if column in _LIST_COLUMNS:
        return pa.list_(pa.string())
    if column in _INT_COLUMNS:
        return pa.int32()
    if column in _BOOL_COLUMNS:
        return pa.bool_()
    if column in _DATE_COLUMNS:
        return pa.date32()
    if column in _TIME_COLUMNS:
        return pa.timestamp("us")
    return pa.string()


ACTIVITY_SCHEMA = pa.schema([(c, _arrow_type(c)) for c in ACTIVITY_COLUMNS])
RECIPIENT_SCHEMA = pa.schema(
    [("activity_id", pa.int32()), ("position", pa.int32())]
    + [(c, pa.int32() if c == "vendor_id" else pa.string()) for c in RECIPIENT_COLUMNS]
)
TRANSFER_SCHEMA = pa.schema(
    [("activity_id", pa.int32()), ("position", pa.int32())]
    + [(c, pa.date32() if c in _TRANSFER_DATES else pa.int32() if c == "vendor_id" else pa.string())
       for c in TRANSFER_COLUMNS]
)


WRITE_CHUNK = 2_000
"""Activities built into Arrow tables and inserted per statement: bounds the Python side of a big write."""

BULK_MEMORY_LIMIT = "128MB"
"""DuckDB's memory for a transaction writing many activities (``Database.transaction(memory_limit=...)``).

Beyond it the uncommitted rows spill to a temporary file beside the register
rather than stay in memory until the commit has written them.
"""


@dataclass(frozen=True)
class ActivityColumns:
    """Activities as columns, as a bulk write reads them: no model per activity is needed.

    ``fields`` holds every one of ``ACTIVITY_COLUMNS`` (lists may be tuples,
    ``unmapped`` as dictionaries); a write of new activities sets the
    bookkeeping and entity ids itself. ``recipients`` and ``transfers`` hold
    each activity's records as value tuples in ``RECIPIENT_COLUMNS`` and
    ``TRANSFER_COLUMNS`` order.
    """

    fields: Mapping[str, Sequence[Any]]
    recipients: Sequence[Sequence[tuple[Any, ...]]]
    transfers: Sequence[Sequence[tuple[Any, ...]]]

    def __len__(self) -> int:
        return len(self.recipients)

    def part(self, start: int, end: int) -> ActivityColumns:
        """The activities from ``start`` to ``end``: one chunk of a write."""
        return ActivityColumns({name: values[start:end] for name, values in self.fields.items()},
                               self.recipients[start:end], self.transfers[start:end])


def activity_columns(activities: Sequence[Activity]) -> ActivityColumns:
    """Models as columns, read from their field dicts (an item lookup costs less than an attribute lookup)."""
    fields = [a.__dict__ for a in activities]
    recipient, transfer = itemgetter(*RECIPIENT_COLUMNS), itemgetter(*TRANSFER_COLUMNS)
    return ActivityColumns({c: list(map(itemgetter(c), fields)) for c in ACTIVITY_COLUMNS},
                           [[recipient(r.__dict__) for r in a.recipients] for a in activities],
                           [[transfer(t.__dict__) for t in a.transfers] for a in activities])


def _content_jsons(columns: ActivityColumns, owners: Sequence[int]) -> list[str]:
    """Each activity's ``json.dumps({**content(), "entity_id": owner}, ensure_ascii=False, sort_keys=True)``.

    Encoded from the column values without building ``content()`` (``audit_text``).
    """
    return content_texts({**columns.fields, "entity_id": owners, "recipients": columns.recipients,
                          "transfers": columns.transfers})


def content_json(activity: Activity, entity_id: int) -> str:
    """The audit text of a new activity: its content and the stored entity id, keys sorted."""
    return _content_jsons(activity_columns([activity]), [entity_id])[0]


def _unmapped_json(unmapped: dict[str, str]) -> str:
    """The stored text of the unmapped columns; most records have none, and ``{}`` needs no encoder."""
    return json.dumps(unmapped, ensure_ascii=False, sort_keys=True) if unmapped else "{}"


def _activity_row(activity: Activity) -> dict[str, Any]:
    row = {c: getattr(activity, c) for c in ACTIVITY_COLUMNS}
    row["unmapped"] = _unmapped_json(activity.unmapped)
    return row


def _column(values: Sequence[Any], field: pa.Field) -> pa.Array:
    return pa.array(values, type=field.type)


def _activity_table(columns: ActivityColumns, fixed: dict[str, list[Any]]) -> pa.Table:
    """The activities' table; ``fixed`` gives the columns the write sets (ids, versions, stamps)."""
    arrays = []
    for field in ACTIVITY_SCHEMA:
        values: Sequence[Any]
        if field.name in fixed:
            values = fixed[field.name]
        elif field.name == "unmapped":
            values = list(map(_unmapped_json, columns.fields["unmapped"]))
        else:
            values = columns.fields[field.name]
        arrays.append(_column(values, field))
    return pa.Table.from_arrays(arrays, schema=ACTIVITY_SCHEMA)


def _child_table(activity_ids: Sequence[int], children: Sequence[Sequence[tuple[Any, ...]]],
                 schema: pa.Schema) -> pa.Table:
    """One row per child (recipient or transfer) with its activity and position, column by column."""
    fields = list(schema)
    rows = [(activity_id, position, *child)
            for activity_id, kids in zip(activity_ids, children, strict=True) for position, child in enumerate(kids)]
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(fields)
    return pa.Table.from_arrays([_column(c, f) for c, f in zip(columns, fields, strict=True)], schema=schema)


def insert_activities(con: Connection, activities: Sequence[Activity]) -> None:
    """Set-based insert of fully formed activities (ids and versions already set)."""
    for start in range(0, len(activities), WRITE_CHUNK):
        chunk = activity_columns(activities[start:start + WRITE_CHUNK])
        ids = [int(i or 0) for i in chunk.fields["id"]]
        insert_tables(con, {
            "activities": _activity_table(chunk, {}),
            "recipients": _child_table(ids, chunk.recipients, RECIPIENT_SCHEMA),
            "transfers": _child_table(ids, chunk.transfers, TRANSFER_SCHEMA),
        })


def _rows_as_dicts(con: Connection, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def load_activities(con: Connection, ids: Iterable[int] | None = None) -> list[Activity]:
    """Activities with their recipients and transfers, three queries whatever the count."""
    if ids is None:
        where, params = "TRUE", []
    else:
        where, params = "list_contains(?, activity_id)", [list(ids)]
    main_where = where.replace("activity_id", "id")
    rows = _rows_as_dicts(con, f"SELECT * FROM activities WHERE {main_where} ORDER BY id", params)
    children: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for table, columns in (("recipients", RECIPIENT_COLUMNS), ("transfers", TRANSFER_COLUMNS)):
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in _rows_as_dicts(
            con, f"SELECT activity_id, {', '.join(columns)} FROM {table} WHERE {where} "
                 "ORDER BY activity_id, position", params,
        ):
            grouped[row.pop("activity_id")].append(row)
        children[table] = grouped
    result = []
    for row in rows:
        data = {c: row[c] for c in ACTIVITY_COLUMNS}
        data["unmapped"] = json.loads(row["unmapped"] or "{}")
        data["recipients"] = [Recipient.model_construct(**r) for r in children["recipients"].get(row["id"], [])]
        data["transfers"] = [Transfer.model_construct(**t) for t in children["transfers"].get(row["id"], [])]
        # Rows were validated on the way in; re-validating 10,000 of them costs a second.
        result.append(Activity.model_construct(**data))
    return result


def get_activity(db: Database, activity_id: int) -> Activity:
    with db.connect() as con:
        found = load_activities(con, [activity_id])
    if not found:
        raise NotFound(f"There is no activity with id {activity_id}.")
    return found[0]


def _check_entity(con: Connection, entity_id: int) -> None:
    row = con.execute("SELECT archived FROM entities WHERE id = ?", [entity_id]).fetchone()
    if row is None:
        raise ValidationFailed([FieldError("Entity", f"there is no entity with id {entity_id}", "entity_id")])


def next_ids(con: Connection, sequence: str, count: int) -> list[int]:
    if count == 0:
        return []
    rows = con.execute(f"SELECT nextval('{sequence}') FROM range(?)", [count]).fetchall()
    return [int(r[0]) for r in rows]


def create_activity(db: Database, user: User, activity: Activity) -> Activity:
    """Add a new activity as version 1."""
    return create_activities(db, user, [activity])[0]


def create_activities(db: Database, user: User, activities: Sequence[Activity], *, detail: str = "",
                      con: Connection | None = None, entity_ids: Mapping[int, int] | None = None) -> list[Activity]:
    """Add many activities in one transaction (import, demo, duplicate); the stored activities, ids filled.

    ``entity_ids`` maps the activities' provisional entity ids to stored ones
    (entities created in the same transaction), saving a copy of each activity.
    """
    require(user, Role.EDITOR, "add processing activities")
    columns = activity_columns(activities)
    if con is None:
        with db.transaction() as tx:
            written = _create_activities(tx, user, columns, detail, entity_ids, utcnow())
    else:
        written = _create_activities(con, user, columns, detail, entity_ids, utcnow())
    return [a.model_copy(update={"id": i, "entity_id": e, "version": 1, "created_at": written.at,
                                 "created_by": user.email, "updated_at": written.at, "updated_by": user.email})
            for a, i, e in zip(activities, written.ids, written.entity_ids, strict=True)]


def add_activities(con: Connection, user: User, activities: Sequence[Activity], *, detail: str = "",
                   entity_ids: Mapping[int, int] | None = None) -> list[int]:
    """``create_activities`` inside the caller's transaction, returning only the new ids.

    For a big writer (the synthetic register) that needs no stored copy
    of each activity: a copy of 10,000 costs a quarter of a second.
    """
    return add_activity_columns(con, user, activity_columns(activities), at=utcnow(), detail=detail,
                                entity_ids=entity_ids)


def add_activity_columns(con: Connection, user: User, columns: ActivityColumns, *, at: datetime, detail: str = "",
                         entity_ids: Mapping[int, int] | None = None) -> list[int]:
    """``add_activities`` of activities given as columns, created ``at``: the new ids.

    For a writer holding its activities as values rather than models (the
    import): building a model of each only to read it back cost a sixth of the
    write. A write in several calls passes each the same ``at``.
    """
    require(user, Role.EDITOR, "add processing activities")
    return _create_activities(con, user, columns, detail, entity_ids, at).ids


class _Written(NamedTuple):
    ids: list[int]
    entity_ids: list[int]
    at: datetime


def _create_activities(con: Connection, user: User, activities: ActivityColumns, detail: str,
                       entity_ids: Mapping[int, int] | None, now: datetime) -> _Written:
    owners = list(activities.fields["entity_id"])
    if entity_ids is not None:
        owners = [entity_ids[e] for e in owners]
    wanted = sorted(set(owners))
    known = {r[0] for r in con.execute("SELECT id FROM entities WHERE list_contains(?, id)", [wanted]).fetchall()}
    missing = [e for e in wanted if e not in known]
    if missing:
        raise ValidationFailed([FieldError("Entity", f"there is no entity with id {missing[0]}", "entity_id")])
    ids = next_ids(con, "activity_id_seq", len(activities))
    # Chunk by chunk, so only one chunk's Arrow tables and audit JSON are alive at a time.
    for start in range(0, len(activities), WRITE_CHUNK):
        end = start + WRITE_CHUNK
        chunk = activities if start == 0 and end >= len(activities) else activities.part(start, end)
        _insert_new_chunk(con, user, chunk, ids[start:end], owners[start:end], now, detail)
    return _Written(ids, owners, now)


def _insert_new_chunk(con: Connection, user: User, chunk: ActivityColumns, ids: list[int], owners: list[int],
                      now: datetime, detail: str) -> None:
    """One chunk of new activities, their children and their audit rows (version 1), one INSERT per table."""
    n = len(chunk)
    stamps, actors = [now] * n, [user.email] * n
    fixed: dict[str, list[Any]] = {"id": ids, "entity_id": owners, "version": [1] * n, "created_at": stamps,
                                   "created_by": actors, "updated_at": stamps, "updated_by": actors}
    # The content leaves out the bookkeeping the write sets, but names the stored entity.
    after = _content_jsons(chunk, owners)
    audit_rows = creation_audit(now, user.email, "activity", ids, owners, after, detail)
    insert_tables(con, {
        "activities": _activity_table(chunk, fixed),
        "recipients": _child_table(ids, chunk.recipients, RECIPIENT_SCHEMA),
        "transfers": _child_table(ids, chunk.transfers, TRANSFER_SCHEMA),
        "audit_log": audit_rows,
    })


def _conflict(con: Connection, current: Activity, expected: int) -> ConflictError:
    base = audit.snapshot(con, "activity", current.id or 0, expected) or {}
    changes = {c.field: (c.before, c.after) for c in audit.diff(base, current.content())}
    at = current.updated_at.isoformat(sep=" ", timespec="seconds") if current.updated_at else "?"
    return ConflictError(f"Activity {current.id} '{current.name}'", expected, current.version,
                         current.updated_by, f"{at} UTC", changes)


def _write_update(con: Connection, user: User, current: Activity, new: Activity, action: str, detail: str) -> Activity:
    now = utcnow()
    stored = new.model_copy(update={"id": current.id, "version": current.version + 1,
                                    "created_at": current.created_at, "created_by": current.created_by,
                                    "updated_at": now, "updated_by": user.email})
    row = _activity_row(stored)
    columns = [c for c in ACTIVITY_COLUMNS if c not in ("id", "created_at", "created_by")]
    assignments = ", ".join(f"{c} = ?" for c in columns)
    changed = con.execute(
        f"UPDATE activities SET {assignments} WHERE id = ? AND version = ? RETURNING id",
        [row[c] for c in columns] + [current.id, current.version],
    ).fetchall()
    if not changed:
        raise _conflict(con, load_activities(con, [current.id or 0])[0], current.version)
    con.execute("DELETE FROM recipients WHERE activity_id = ?", [current.id])
    con.execute("DELETE FROM transfers WHERE activity_id = ?", [current.id])
    _insert_children(con, stored)
    audit.record(con, user, action, "activity", stored.id, entity_id=stored.entity_id, version=stored.version,
                 before=current.content(), after=stored.content(), detail=detail, at=now)
    return stored


def update_in(con: Connection, user: User, current: Activity, new: Activity, expected_version: int, *,
              action: str = "update", detail: str = "") -> Activity:
    """Save ``new`` over ``current`` inside the caller's transaction, with its audit row.

    For a caller writing many records in one transaction (an import): it has
    loaded ``current`` in that transaction, and the save is refused with a
    ``ConflictError`` when ``current`` is no longer the version the user saw.
    """
    require(user, Role.EDITOR, "edit processing activities")
    if current.version != expected_version:
        raise _conflict(con, current, expected_version)
    return _write_update(con, user, current, new, action, detail)


def _insert_children(con: Connection, activity: Activity) -> None:
    for i, r in enumerate(activity.recipients):
        con.execute(
            f"INSERT INTO recipients (activity_id, position, {', '.join(RECIPIENT_COLUMNS)}) "
            f"VALUES (?, ?, {', '.join('?' * len(RECIPIENT_COLUMNS))})",
            [activity.id, i, *(getattr(r, c) for c in RECIPIENT_COLUMNS)],
        )
    for i, t in enumerate(activity.transfers):
        con.execute(
            f"INSERT INTO transfers (activity_id, position, {', '.join(TRANSFER_COLUMNS)}) "
            f"VALUES (?, ?, {', '.join('?' * len(TRANSFER_COLUMNS))})",
            [activity.id, i, *(getattr(t, c) for c in TRANSFER_COLUMNS)],
        )


def _mutate(db: Database, user: User, activity_id: int, expected_version: int, action: str,
            change: dict[str, Any] | Activity, detail: str = "",
            check: Callable[[Connection, Activity], None] | None = None) -> Activity:
    """Load, check the version (and ``check``, inside the same transaction), apply ``change`` and save.

    The one path of every update.
    """
    try:
        with db.transaction() as con:
            found = load_activities(con, [activity_id])
            if not found:
                raise NotFound(f"There is no activity with id {activity_id}.")
            current = found[0]
            if current.version != expected_version:
                raise _conflict(con, current, expected_version)
            if check is not None:
                check(con, current)
            if isinstance(change, Activity):
                new = change
                _check_entity(con, new.entity_id)
            else:
                new = parse_activity({**current.model_dump(), **change})
            if new.content() == current.content():
                return current
            new, reopened = reopen_if_approved(current, new)
            return _write_update(con, user, current, new, action, "; ".join(d for d in (detail, reopened) if d))
    except duckdb.TransactionException:
        # Another thread of this process committed the same row first.
        with db.connect() as con:
            raise _conflict(con, load_activities(con, [activity_id])[0], expected_version) from None


def update_activity(db: Database, user: User, activity: Activity, expected_version: int) -> Activity:
    """Save an edited activity; refused if it changed since ``expected_version``."""
    require(user, Role.EDITOR, "edit processing activities")
    if activity.id is None:
        raise NotFound("The activity has no id; create it first.")
    return _mutate(db, user, activity.id, expected_version, "update", activity)


def archive_activity(db: Database, user: User, activity_id: int, expected_version: int) -> Activity:
    """Take an activity out of the live register; kept, with its history, for restore."""
    require(user, Role.EDITOR, "archive processing activities")
    return _mutate(db, user, activity_id, expected_version, "archive", {"status": "archived"})


def restore_activity(db: Database, user: User, activity_id: int, expected_version: int) -> Activity:
    """Bring an archived activity back as a draft, so it is reviewed before it counts as approved."""
    require(user, Role.EDITOR, "restore processing activities")
    current = get_activity(db, activity_id)
    if current.status != "archived":
        raise ValidationFailed([FieldError("Status", "only an archived activity can be restored", "status")])
    return _mutate(db, user, activity_id, expected_version, "restore", {"status": "draft"})


REVIEW_BOOKKEEPING = frozenset({"status", "last_reviewed", "next_review_due"})
"""Fields a workflow step or a review changes without changing what was approved."""


def reopen_if_approved(current: Activity, new: Activity) -> tuple[Activity, str]:
    """An approved activity whose content changes goes back to draft: what was approved is no longer what is there.

    Returns the activity to save and the audit note saying so (empty when nothing changes).
    """
    if current.status != "approved" or new.status != "approved":
        return new, ""
    before, after = current.content(), new.content()
    changed = [f for f in dict.fromkeys([*before, *after])
               if f not in REVIEW_BOOKKEEPING and before.get(f) != after.get(f)]
    if not changed:
        return new, ""
    return new.model_copy(update={"status": "draft"}), "approved -> draft: content changed after approval"


_SUBMITTED = "-> in_review"


def change_makers(con: Connection, activity_id: int) -> set[str]:
    """Who made the activity's last change of content and who last submitted it for review (four-eyes)."""
    rows = con.execute(
        "SELECT (SELECT actor FROM audit_log WHERE record_type = 'activity' AND record_id = $id "
        "        AND action NOT IN ('status', 'review', 'archive') ORDER BY id DESC LIMIT 1), "
        "       (SELECT actor FROM audit_log WHERE record_type = 'activity' AND record_id = $id "
        "        AND action = 'status' AND ends_with(detail, $submitted) ORDER BY id DESC LIMIT 1)",
        {"id": activity_id, "submitted": _SUBMITTED},
    ).fetchall()
    return {str(a) for a in rows[0] if a} if rows else set()


def _check_four_eyes(con: Connection, user: User, activity_id: int) -> None:
    if user.email in change_makers(con, activity_id):
        raise PermissionDenied(
            f"{user.display} made or submitted the last change to this activity, so another person must approve "
            "it (four-eyes review; a one-person team can turn this off with ROPA_FOUR_EYES=off).")


TRANSITIONS: dict[str, set[str]] = {
    "draft": {"in_review"},
    "in_review": {"approved", "draft"},
    "approved": {"in_review"},
    "archived": set(),
}


def transition(db: Database, user: User, activity_id: int, expected_version: int, to_status: str, *,
               four_eyes: bool | None = None) -> Activity:
    """Move an activity along draft -> in review -> approved (or back), audited with who and when.

    Refused with the other person's changes if the activity changed since
    ``expected_version`` (the version the user saw). With ``four_eyes`` (by
    default as configured: on when people sign in by proxy or OIDC), whoever
    made or submitted the last change cannot approve it.
    """
    require(user, Role.EDITOR, "change the review status")
    second_person = four_eyes_required() if four_eyes is None else four_eyes
    start = get_activity(db, activity_id).status

    def allowed(con: Connection, current: Activity) -> None:
        if to_status not in TRANSITIONS.get(current.status, set()):
            raise ValidationFailed([FieldError(
                "Status", f"cannot go from {status_label(current.status).lower()} to "
                          f"{status_label(to_status).lower()}", "status")])
        if to_status == "approved" and second_person:
            _check_four_eyes(con, user, activity_id)

    return _mutate(db, user, activity_id, expected_version, "status", {"status": to_status},
                   detail=f"{start} -> {to_status}", check=allowed)


def mark_reviewed(db: Database, user: User, activity_id: int, expected_version: int, *,
                  on: date, interval_months: int = 12) -> Activity:
    """Record a review on ``on`` and set the next one ``interval_months`` later."""
    require(user, Role.EDITOR, "mark activities reviewed")
    return _mutate(db, user, activity_id, expected_version, "review",
                   {"last_reviewed": on, "next_review_due": add_months(on, interval_months)},
                   detail=f"reviewed on {on.isoformat()}")


def duplicate_activity(db: Database, user: User, activity_id: int) -> Activity:
    """A draft copy to start a similar activity from."""
    source = get_activity(db, activity_id)
    copy = source.model_copy(update={"id": None, "name": f"{source.name} (copy)"[:500], "status": "draft",
                                     "last_reviewed": None, "next_review_due": None})
    return create_activities(db, user, [copy], detail=f"duplicated from activity {activity_id}")[0]
