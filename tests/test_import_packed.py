"""The plan holds its activities packed: each is built again exactly as validated, and written a chunk at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

import ropa.ingest.plan as plan_module
from ropa.auth import User
from ropa.errors import RopaError
from ropa.ingest import apply_import, plan_import
from ropa.ingest.packed import PackedActivities
from ropa.models import Activity
from ropa.storage.activities import (
    ActivityColumns,
    activity_columns,
    add_activities,
    add_activity_columns,
    load_activities,
)
from ropa.storage.database import Database
from ropa.storage.entities import create_entity
from tests.conftest import copy_of
from tests.factories import make_activity, make_entity, make_recipient, make_transfer
from tests.test_import import ico_row, ico_workbook

ACTIVITIES: list[tuple[str, Activity]] = [
    ("plain", make_activity(1)),
    ("defaults only", Activity(entity_id=-1, name="Payroll")),
    ("transfers and two recipients", make_activity(
        2, transfers=[make_transfer(), make_transfer(country="IN", contract_date=date(2021, 9, 27))],
        recipients=[make_recipient(), make_recipient(name="Mailer Ltd", country="US", vendor_id=7)])),
    ("kept text, review dates, no retention", make_activity(
        3, unmapped={"Why we do it": "To pay staff", "Kept": ""}, last_reviewed=date(2025, 1, 31),
        next_review_due=date(2026, 1, 31), retention_kind="unknown", retention_months=None,
        retention_trigger=None, dpia_required=None, adm=True, systems=["SAP", "Workday"])),
]


def _state(activity: Activity) -> tuple[Any, ...]:
    """What makes two models the same: their values (of the same types) and the fields they were given."""
    nested = [(type(r), r.__dict__, r.model_fields_set) for r in [*activity.recipients, *activity.transfers]]
    return (activity.__dict__, [type(v) for v in activity.__dict__.values()], activity.model_fields_set, nested)


@pytest.mark.parametrize("activity", [a for _, a in ACTIVITIES], ids=[i for i, _ in ACTIVITIES])
def test_an_activity_is_built_again_as_it_was_validated(activity: Activity) -> None:
    packed = PackedActivities([activity])
    assert packed[0] == activity
    assert _state(packed[0]) == _state(activity)


def test_each_read_is_a_fresh_copy_that_leaves_the_plan_unchanged() -> None:
    original = ACTIVITIES[3][1]
    packed = PackedActivities([original])
    first = packed[0]
    first.systems.append("Excel")
    first.unmapped["Kept"] = "changed"
    first.recipients[0].name = "Changed"
    assert packed[0] == original
    assert packed[0] is not packed[0]


def test_the_sequence_reads_as_the_list_it_was_given() -> None:
    activities = [a for _, a in ACTIVITIES]
    packed = PackedActivities(activities)
    assert (len(packed), list(packed), packed[1:3], packed[-1]) == (4, activities, activities[1:3], activities[-1])
    assert packed == PackedActivities(activities) and packed == activities and packed != activities[:2]


@pytest.mark.parametrize(("name", "expected"), [
    ("name", ["Customer billing", "Payroll", "Customer billing", "Customer billing"]),
    ("entity_id", [1, -1, 2, 3]),
    ("systems", [("Sage",), (), ("Sage",), ("SAP", "Workday")]),
    ("unmapped", [(), (), (), (("Why we do it", "To pay staff"), ("Kept", ""))]),
])
def test_one_field_of_every_activity_is_read_without_building_them(name: str, expected: list[Any]) -> None:
    assert PackedActivities(a for _, a in ACTIVITIES).field(name) == expected


def _as_lists(columns: ActivityColumns) -> ActivityColumns:
    """The columns with lists as lists: a packed plan holds them as tuples, which write the same."""
    fields = {name: [list(v) if isinstance(v, tuple) else v for v in values] for name, values in columns.fields.items()}
    return ActivityColumns(fields, list(map(list, columns.recipients)), list(map(list, columns.transfers)))


@pytest.mark.parametrize(("positions", "size", "chunks"), [
    ([0, 1, 2, 3], 2, [[0, 1], [2, 3]]),
    ([0, 2, 3], 2, [[0, 2], [3]]),
    ([3], 5, [[3]]),
    ([], 2, []),
])
def test_columns_give_the_chosen_activities_values_a_few_at_a_time(positions: list[int], size: int,
                                                                  chunks: list[list[int]]) -> None:
    activities = [a for _, a in ACTIVITIES]
    got = [_as_lists(c) for c in PackedActivities(activities).columns(positions, size)]
    assert got == [activity_columns([activities[i] for i in chunk]) for chunk in chunks]


def _written(db: Database) -> list[list[tuple[Any, ...]]]:
    """Every stored row of the activities, their records and their audit, but the time they were written."""
    with db.connect() as con:
        return [con.execute(sql).fetchall() for sql in (
            "SELECT * EXCLUDE (created_at, updated_at) FROM activities ORDER BY id",
            "SELECT * FROM recipients ORDER BY ALL", "SELECT * FROM transfers ORDER BY ALL",
            "SELECT * EXCLUDE (at_utc) FROM audit_log ORDER BY id")]


def _entities(db: Database, user: User, activities: Sequence[Activity]) -> dict[int, int]:
    """An entity in ``db`` for each entity id of ``activities``: the stored id for each."""
    owners = sorted({a.entity_id for a in activities})
    return {e: create_entity(db, user, make_entity(name=f"Entity {e}")).id or 0 for e in owners}


def test_packed_columns_write_the_rows_the_models_write(db: Database, dpo: User, empty_template: Path,
                                                         tmp_path: Path) -> None:
    activities = [a for _, a in ACTIVITIES] * 2
    packed = copy_of(empty_template, tmp_path / "packed.duckdb")
    owners = _entities(db, dpo, activities)
    with db.transaction() as con:
        add_activities(con, dpo, activities, detail="added", entity_ids=owners)
    owners = _entities(packed, dpo, activities)
    with packed.transaction() as con:
        for chunk in PackedActivities(activities).columns(range(len(activities)), 3):
            add_activity_columns(con, dpo, chunk, at=datetime(2026, 1, 2), detail="added", entity_ids=owners)
    assert _written(packed) == _written(db)


ROWS = [ico_row(c2="Human resources", c3=f"Pay staff {i}", c4="Employees", c5="Name; Bank details") for i in range(5)]


def _stored(db: Database) -> list[tuple[str, str]]:
    with db.connect() as con:
        return [(a.name, a.purpose) for a in load_activities(con)]


def test_a_write_in_several_chunks_stores_every_activity_in_order(db: Database, dpo: User,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_module, "WRITE_CHUNK", 2)
    plan = plan_import(db, ico_workbook(ROWS), "register.xlsx")
    result = apply_import(db, dpo, plan)
    assert result.activity_ids == sorted(result.activity_ids) and len(result.activity_ids) == 5
    assert _stored(db) == [(a.name, a.purpose) for a in plan.activities]


def test_every_chunk_of_one_import_is_stamped_with_the_same_time(db: Database, dpo: User,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_module, "WRITE_CHUNK", 2)
    apply_import(db, dpo, plan_import(db, ico_workbook(ROWS), "register.xlsx"))
    with db.connect() as con:
        assert con.execute("SELECT count(*), count(DISTINCT created_at), count(DISTINCT updated_at) "
                           "FROM activities").fetchall() == [(5, 1, 1)]
        assert con.execute("SELECT count(*), count(DISTINCT at_utc) FROM audit_log "
                           "WHERE record_type = 'activity'").fetchall() == [(5, 1)]


def test_a_failure_in_a_later_chunk_writes_nothing(db: Database, dpo: User, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    add = plan_module.add_activity_columns

    def add_then_fail(con: Any, user: User, chunk: ActivityColumns, **options: Any) -> list[int]:
        calls.append(len(chunk))
        if len(calls) == 3:
            raise RopaError("the disk is full")
        return add(con, user, chunk, **options)

    monkeypatch.setattr(plan_module, "WRITE_CHUNK", 2)
    monkeypatch.setattr(plan_module, "add_activity_columns", add_then_fail)
    plan = plan_import(db, ico_workbook(ROWS), "register.xlsx")
    with pytest.raises(RopaError, match="the disk is full"):
        apply_import(db, dpo, plan)
    assert calls == [2, 2, 1]
    assert _stored(db) == []
    with db.connect() as con:
        assert con.execute("SELECT count(*) FROM entities").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM audit_log").fetchall() == [(0,)]
