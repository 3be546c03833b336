"""Re-importing a register: which planned activities are already in it, and what would change.

An activity in the file matches one in the register by its reference (this
app's Record id, for the same entity; or the file's own reference, such as a
CNIL "N° / RÉF" or a CISO Assistant ``ref_id``, kept in Source section), else
by entity and name (ignoring case) when that names one activity only. A
match is updated with the fields the file provides, and only those: a field
the file has no column for keeps its value. The user chooses per activity:
add, update or skip (an unchanged match is skipped by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ropa.ingest.packed import PackedActivities
from ropa.labels import any_field_label
from ropa.models import Activity
from ropa.storage.activities import load_activities
from ropa.storage.audit import diff
from ropa.storage.database import Database

Action = Literal["add", "update", "skip"]
ACTIONS: tuple[Action, ...] = ("add", "update", "skip")
_KEPT_ON_UPDATE = ("status", "owner", "last_reviewed", "next_review_due")
"""Workflow fields an import never changes unless the file has a column for them."""


@dataclass
class Existing:
    """A planned activity's match in the register and what updating it would change."""

    position: int  # index into the plan's activities
    activity_id: int
    version: int
    how: str  # "record id", "reference" or "entity and name"
    changes: list[str]  # labels of the fields that would change
    updated: Activity  # the stored activity with the file's fields applied


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def find_existing(db: Database, activities: PackedActivities, refs: Sequence[str],
                  provided: Sequence[frozenset[str]]) -> dict[int, Existing]:
    """Position in ``activities`` -> its match in the register (set-based: one query, one load).

    Only the matched activities are built as models: the others are matched by their entity and name alone.
    """
    owners: list[int] = activities.field("entity_id")
    entity_ids = sorted({e for e in owners if e > 0})
    if not entity_ids:
        return {}
    with db.connect() as con:
        rows = con.execute(
            "SELECT id, entity_id, name, source_section FROM activities "
            "WHERE status <> 'archived' AND list_contains(?, entity_id)", [entity_ids]).fetchall()
        by_id = {int(r[0]): int(r[1]) for r in rows}
        by_ref = {(int(r[1]), _key(str(r[3]))): int(r[0]) for r in rows if r[3]}
        names: dict[tuple[int, str], list[int]] = {}
        for r in rows:
            names.setdefault((int(r[1]), _key(str(r[2]))), []).append(int(r[0]))
        found: dict[int, tuple[int, str]] = {}
        for position, (owner, name, ref) in enumerate(zip(owners, activities.field("name"), refs, strict=True)):
            if owner <= 0:
                continue  # a new entity has no activities yet
            ref = ref.strip()
            if ref.isdigit() and by_id.get(int(ref)) == owner:
                found[position] = (int(ref), "record id")
            elif ref and (owner, _key(ref)) in by_ref:
                found[position] = (by_ref[(owner, _key(ref))], "reference")
            elif len(same := names.get((owner, _key(name)), [])) == 1:
                found[position] = (same[0], "entity and name")
        stored = {a.id: a for a in load_activities(con, sorted({i for i, _ in found.values()}))} if found else {}
    result: dict[int, Existing] = {}
    claimed: set[int] = set()
    for position, (activity_id, how) in found.items():
        current = stored.get(activity_id)
        if current is None or activity_id in claimed:
            continue  # two rows of the file cannot update one activity: the second is added
        claimed.add(activity_id)
        updated = apply_fields(current, activities[position], provided[position])
        changes = [any_field_label(c.field) for c in diff(current.content(),
                                                                                        updated.content())]
        result[position] = Existing(position, activity_id, current.version, how, changes, updated)
    return result


def apply_fields(current: Activity, planned: Activity, provided: frozenset[str]) -> Activity:
    """``current`` with the fields the file provides taken from ``planned``."""
    fields = {f for f in provided if f in Activity.model_fields and f not in ("id", "version", "entity_id")}
    fields -= {f for f in _KEPT_ON_UPDATE if f not in provided}
    update = {f: getattr(planned, f) for f in fields}
    if "unmapped" in update and not update["unmapped"]:
        del update["unmapped"]
    return current.model_copy(update=update)


def default_action(existing: Existing | None) -> Action:
    if existing is None:
        return "add"
    return "update" if existing.changes else "skip"
