"""One change applied to many activities at once: all of them, or none.

The DPO ticks activities on the register and changes their owner, business
function, next review date or status, or adds or removes a recipient, a
security measure or a system. The whole batch is one transaction with an
audit row per activity that actually changed. Each activity carries the
version the user saw; if any of them was saved by someone else since, the
batch is refused with the list of those activities and nothing is written.
Likewise when the change is not allowed for some of them (a status they
cannot move to, a review date before their last review).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa

from ropa.auth import Role, User, require
from ropa.errors import RopaError, ValidationFailed
from ropa.models import Activity, Recipient, parse_activity
from ropa.reference import load_reference
from ropa.storage.activities import (
    ACTIVITY_COLUMNS,
    ACTIVITY_SCHEMA,
    RECIPIENT_SCHEMA,
    TRANSFER_SCHEMA,
    TRANSITIONS,
    load_activities,
)
from ropa.storage.arrow_rows import AUDIT_SCHEMA
from ropa.storage.audit import text_of
from ropa.storage.database import Connection, Database, utcnow

BULK_STATUSES = ("draft", "in_review", "approved")
"""Statuses a batch may move activities to (archiving stays one by one, with its confirmation)."""

SCALAR_FIELDS = ("owner", "business_function", "next_review_due", "status")


@dataclass(frozen=True)
class BulkChange:
    """What to change on every chosen activity; ``None`` or empty leaves that field as it is."""

    owner: str | None = None
    business_function: str | None = None
    next_review_due: date | None = None
    status: str | None = None
    add_recipient: Recipient | None = None
    remove_recipient: str | None = None
    add_security_measures: tuple[str, ...] = ()
    remove_security_measures: tuple[str, ...] = ()
    add_systems: tuple[str, ...] = ()
    remove_systems: tuple[str, ...] = ()

    def _scalars(self) -> dict[str, Any]:
        """The single-valued fields this change sets (those not left as ``None``)."""
        return {name: getattr(self, name) for name in SCALAR_FIELDS if getattr(self, name) is not None}

    def is_empty(self) -> bool:
        return self == BulkChange()

    def describe(self) -> str:
        """The change in words, for the audit row's detail and the page's confirmation."""
        statuses = load_reference().vocabulary("statuses")
        measures = load_reference().vocabulary("security_measures")
        words = {"owner": lambda v: f"owner set to '{v}'",
                 "business_function": lambda v: f"business function set to '{v}'",
                 "next_review_due": lambda v: f"next review due {v.isoformat()}",
                 "status": lambda v: f"status set to {statuses.label(v)}"}
        parts = [words[name](value) for name, value in self._scalars().items()]
        if self.add_recipient is not None:
            parts.append(f"recipient '{self.add_recipient.name or self.add_recipient.category}' added")
        if self.remove_recipient is not None:
            parts.append(f"recipient '{self.remove_recipient}' removed")
        parts += [f"security measure '{measures.label(k)}' added" for k in self.add_security_measures]
        parts += [f"security measure '{measures.label(k)}' removed" for k in self.remove_security_measures]
        parts += [f"system '{s}' added" for s in self.add_systems]
        parts += [f"system '{s}' removed" for s in self.remove_systems]
        return "; ".join(parts)

    def applied(self, activity: Activity) -> dict[str, Any]:
        """The fields of ``activity`` this change sets, with their new values."""
        update: dict[str, Any] = dict(self._scalars())
        recipients = list(activity.recipients)
        if self.remove_recipient is not None:
            gone = self.remove_recipient.casefold()
            recipients = [r for r in recipients if r.name.casefold() != gone]
        if self.add_recipient is not None and self.add_recipient not in recipients:
            recipients.append(self.add_recipient)
        if recipients != list(activity.recipients):
            update["recipients"] = [r.model_dump() for r in recipients]
        measures = _edited(activity.security_measures, self.add_security_measures, self.remove_security_measures)
        if measures != activity.security_measures:
            update["security_measures"] = measures
        systems = _edited(activity.systems, self.add_systems, self.remove_systems)
        if systems != activity.systems:
            update["systems"] = systems
        return update


def _edited(values: list[str], add: tuple[str, ...], remove: tuple[str, ...]) -> list[str]:
    gone = {v.casefold() for v in remove}
    kept = [v for v in values if v.casefold() not in gone]
    have = {v.casefold() for v in kept}
    return kept + [v for v in dict.fromkeys(add) if v.casefold() not in have]


class BulkRefused(RopaError):
    """The batch was not written: ``problems`` lists each activity that stopped it, and why."""

    def __init__(self, headline: str, problems: list[str]) -> None:
        self.headline, self.problems = headline, problems
        super().__init__(f"{headline}: " + "; ".join(problems))


@dataclass(frozen=True)
class BulkResult:
    changed: list[Activity]
    unchanged: list[int]


def _label(activity: Activity) -> str:
    return f"'{activity.name}' (id {activity.id})"


def _check(current: list[Activity], seen: Mapping[int, int], change: BulkChange) -> None:
    found = {a.id for a in current}
    missing = [f"id {i} no longer exists" for i in seen if i not in found]
    stale = [f"{_label(a)} was changed by {a.updated_by} at {a.updated_at:%Y-%m-%d %H:%M} UTC "
             f"(version {seen[int(a.id or 0)]} -> {a.version})" for a in current if a.version != seen[int(a.id or 0)]]
    if missing or stale:
        raise BulkRefused(f"Nothing was changed: {len(missing) + len(stale)} of the {len(seen)} activities "
                          "changed since you opened the register; reload and try again", missing + stale)
    if change.status is not None:
        statuses = load_reference().vocabulary("statuses")
        blocked = [f"{_label(a)} is {statuses.label(a.status)}" for a in current
                   if a.status != change.status and change.status not in TRANSITIONS.get(a.status, set())]
        if blocked:
            raise BulkRefused(f"Nothing was changed: these cannot move to {statuses.label(change.status)}", blocked)


def _new_versions(current: list[Activity], change: BulkChange) -> list[tuple[Activity, Activity]]:
    pairs, invalid = [], []
    for activity in current:
        update = change.applied(activity)
        if not update:
            continue
        try:
            new = parse_activity({**activity.model_dump(), **update})
        except ValidationFailed as error:
            invalid.append(f"{_label(activity)}: {error}")
            continue
        if new.content() != activity.content():
            pairs.append((activity, new))
    if invalid:
        raise BulkRefused("Nothing was changed: the change would make these activities invalid", invalid)
    return pairs


def write_versions(con: Connection, user: User, pairs: list[tuple[Activity, Activity]], detail: str, *,
                   children: bool) -> list[Activity]:
    """Store each ``(current, new)`` pair as the next version, set-based, with an audit row each.

    Inside the caller's transaction. ``children``: also rewrite recipients and transfers. A row saved by
    someone else since ``current`` was read refuses the whole write.
    """
    now = utcnow()
    stored = [new.model_copy(update={"id": old.id, "version": old.version + 1, "created_at": old.created_at,
                                     "created_by": old.created_by, "updated_at": now, "updated_by": user.email})
              for old, new in pairs]
    rows = [{c: getattr(a, c) for c in ACTIVITY_COLUMNS} | {"unmapped": json.dumps(a.unmapped, ensure_ascii=False,
                                                                                   sort_keys=True)}
            for a in stored]
    ids = [int(a.id or 0) for a in stored]
    columns = [c for c in ACTIVITY_COLUMNS if c not in ("id", "created_at", "created_by")]
    # A status move is recorded as one (the activity's status line reads those rows), with the rest in its detail.
    audit = [{"at_utc": now, "actor": user.email, "action": "status" if old.status != new.status else "update",
              "record_type": "activity", "record_id": new.id, "entity_id": new.entity_id, "version": new.version,
              "before": text_of(old.content()), "after": text_of(new.content()),
              "detail": f"{old.status} -> {new.status}; {detail}" if old.status != new.status else detail}
             for (old, _), new in zip(pairs, stored, strict=True)]
    tables = {"bulk_activities": pa.Table.from_pylist(rows, schema=ACTIVITY_SCHEMA),
              "bulk_audit": pa.Table.from_pylist(audit, schema=AUDIT_SCHEMA)}
    if children:
        for table, schema in (("recipients", RECIPIENT_SCHEMA), ("transfers", TRANSFER_SCHEMA)):
            tables[f"bulk_{table}"] = pa.Table.from_pylist(
                [{"activity_id": a.id, "position": i, **c.model_dump()}
                 for a in stored for i, c in enumerate(getattr(a, table))], schema=schema)
    for name, table in tables.items():
        con.register(name, table)
    try:
        written = con.execute(
            f"UPDATE activities SET {', '.join(f'{c} = n.{c}' for c in columns)} FROM bulk_activities n "
            "WHERE activities.id = n.id AND activities.version = n.version - 1 RETURNING activities.id").fetchall()
        if len(written) != len(stored):
            raise BulkRefused("Nothing was changed: some activities were saved by someone else just now",
                              [f"id {i}" for i in sorted(set(ids) - {int(r[0]) for r in written})])
        if children:
            for table in ("recipients", "transfers"):
                con.execute(f"DELETE FROM {table} WHERE list_contains(?, activity_id)", [ids])
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM bulk_{table}")
        con.execute("INSERT INTO audit_log BY NAME SELECT * FROM bulk_audit")
    finally:
        for name in tables:
            con.unregister(name)
    return stored


def bulk_update(db: Database, user: User, seen: Mapping[int, int], change: BulkChange) -> BulkResult:
    """Apply ``change`` to the activities ``seen`` (id -> the version the user saw): all, or none.

    Activities the change leaves as they are keep their version and get no audit row.
    """
    require(user, Role.EDITOR, "edit activities in bulk")
    if not seen:
        raise BulkRefused("Nothing was changed", ["no activity is selected"])
    if change.is_empty():
        raise BulkRefused("Nothing was changed", ["choose at least one change to make"])
    if change.status is not None and change.status not in BULK_STATUSES:
        raise BulkRefused("Nothing was changed", [f"'{change.status}' is not a status a batch can set"])
    with db.transaction() as con:
        current = load_activities(con, list(seen))
        _check(current, seen, change)
        pairs = _new_versions(current, change)
        detail = f"bulk edit of {len(pairs)} activities: {change.describe()}"
        children = change.add_recipient is not None or change.remove_recipient is not None
        stored = write_versions(con, user, pairs, detail, children=children) if pairs else []
    touched = {a.id for a in stored}
    return BulkResult(changed=stored, unchanged=[int(a.id or 0) for a in current if a.id not in touched])


@dataclass(frozen=True)
class SelectionFacts:
    """What the chosen activities hold that a batch may remove: recipient names and systems."""

    recipients: list[str]
    systems: list[str]


def selection_facts(db: Database, ids: list[int]) -> SelectionFacts:
    """Recipient names and systems in use on the activities ``ids``, each once (two queries)."""
    recipients = db.rows("SELECT DISTINCT name FROM recipients WHERE list_contains(?, activity_id) AND name <> '' "
                         "ORDER BY lower(name)", [ids])
    systems = db.rows("SELECT DISTINCT unnest(systems) AS s FROM activities WHERE list_contains(?, id) "
                      "ORDER BY lower(s)", [ids])
    return SelectionFacts([str(r[0]) for r in recipients], [str(r[0]) for r in systems])
