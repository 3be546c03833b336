"""Re-importing a register updates what is already there instead of adding duplicates."""

from __future__ import annotations

import pytest
from test_import import EXAMPLE_ROWS, ico_workbook
from test_import_layouts import CISO_FLAT, csv_bytes

from ropa.errors import ConflictError
from ropa.ingest import apply_import, plan_import
from ropa.models import Entity
from ropa.storage.activities import load_activities, update_activity, update_in
from ropa.storage.database import Database
from tests.factories import DPO

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when


def _counts(db: Database) -> tuple[int, int]:
    return db.rows("SELECT (SELECT count(*) FROM activities), (SELECT count(*) FROM audit_log)")[0]


def _changed_rows() -> list[list[str]]:
    rows = [list(r) for r in EXAMPLE_ROWS]
    rows[0][1] = "Pay staff and run the pension scheme."  # same first sentence: the same derived name
    rows[0][10] = "Encrypted laptops, role-based access, annual training, MFA"
    return rows


def test_an_unchanged_re_import_matches_everything_and_writes_no_activity(db: Database) -> None:
    apply_import(db, DPO, plan_import(db, ico_workbook(EXAMPLE_ROWS), "register.xlsx"))
    before = _counts(db)
    plan = plan_import(db, ico_workbook(EXAMPLE_ROWS), "register.xlsx")
    assert sorted(plan.existing) == [0, 1, 2] and plan.actions == ["skip", "skip", "skip"]
    assert all(m.how == "entity and name" and m.changes == [] for m in plan.existing.values())
    result = apply_import(db, DPO, plan)
    assert (result.activity_ids, result.updated_ids, result.skipped) == ([], [], 3)
    assert _counts(db)[0] == before[0]


def test_a_changed_re_import_updates_only_the_changed_fields_in_one_audited_transaction(db: Database) -> None:
    first = apply_import(db, DPO, plan_import(db, ico_workbook(EXAMPLE_ROWS), "register.xlsx"))
    update_activity(db, DPO, load_activities_one(db, first.activity_ids[2]).model_copy(
        update={"owner": "facilities@acme.test"}), 1)
    activities, audits = _counts(db)
    plan = plan_import(db, ico_workbook(_changed_rows()), "register.xlsx")
    assert plan.actions == ["update", "skip", "skip"]
    assert plan.existing[0].changes == ["Security measures", "Security description"]
    result = apply_import(db, DPO, plan)
    assert result.updated_ids == [first.activity_ids[0]] and result.activity_ids == []
    payroll = load_activities_one(db, first.activity_ids[0])
    assert payroll.version == 2 and "authentication" in payroll.security_measures
    assert load_activities_one(db, first.activity_ids[2]).owner == "facilities@acme.test"  # no column: kept
    assert _counts(db) == (activities, audits + 2)  # one audit row for the activity, one for the import


@pytest.mark.parametrize(("on_match", "expected"), [("add", 6), ("skip", 3), ("update", 3)])
def test_the_user_chooses_add_update_or_skip(db: Database, on_match: str, expected: int) -> None:
    apply_import(db, DPO, plan_import(db, ico_workbook(EXAMPLE_ROWS), "register.xlsx"))
    plan = plan_import(db, ico_workbook(_changed_rows()), "register.xlsx")
    for position in plan.existing:
        plan.choose(position, on_match)  # type: ignore[arg-type]
    apply_import(db, DPO, plan)
    assert _counts(db)[0] == expected
    security = load_activities_one(db, 1).security_description
    assert security.endswith("MFA") == (on_match == "update")


def test_a_new_activity_can_only_be_added(db: Database) -> None:
    plan = plan_import(db, ico_workbook(EXAMPLE_ROWS), "register.xlsx")
    with pytest.raises(Exception, match="is not in the register yet; it can only be added"):
        plan.choose(0, "update")


def test_the_reference_column_matches_even_when_the_name_changed(db: Database, entity: Entity) -> None:
    apply_import(db, DPO, plan_import(db, csv_bytes(CISO_FLAT), "p.csv", entity=entity.name))
    renamed = [list(r) for r in CISO_FLAT]
    renamed[1][1] = "Payroll and pensions"
    plan = plan_import(db, csv_bytes(renamed), "p.csv", entity=entity.name)
    assert plan.existing[0].how == "reference" and plan.existing[0].changes == ["Name of the activity"]
    apply_import(db, DPO, plan)
    with db.connect() as con:
        names = sorted(a.name for a in load_activities(con))
    assert names == ["CCTV", "Payroll and pensions"]


def test_an_activity_changed_since_the_preview_is_not_overwritten(db: Database) -> None:
    first = apply_import(db, DPO, plan_import(db, ico_workbook(EXAMPLE_ROWS), "register.xlsx"))
    plan = plan_import(db, ico_workbook(_changed_rows()), "register.xlsx")
    current = load_activities_one(db, first.activity_ids[0])
    update_activity(db, DPO, current.model_copy(update={"owner": "someone@acme.test"}), current.version)
    before = _counts(db)
    with pytest.raises(ConflictError):
        apply_import(db, DPO, plan)
    assert _counts(db) == before


@pytest.mark.parametrize(("expected_version", "saved"), [(1, True), (2, False)])
def test_update_in_saves_inside_the_callers_transaction_only_over_the_version_seen(
        db: Database, expected_version: int, saved: bool) -> None:
    first = apply_import(db, DPO, plan_import(db, ico_workbook(EXAMPLE_ROWS), "register.xlsx"))
    before = _counts(db)
    with db.connect() as con:
        current = load_activities(con, [first.activity_ids[0]])[0]
    try:
        with db.transaction() as con:
            stored = update_in(con, DPO, current, current.model_copy(update={"owner": "hr@acme.test"}),
                               expected_version, detail="re-imported")
            assert stored.version == 2
    except ConflictError:
        assert not saved
    payroll = load_activities_one(db, first.activity_ids[0])
    assert (payroll.owner == "hr@acme.test", payroll.version) == (saved, 2 if saved else 1)
    assert _counts(db) == (before[0], before[1] + (1 if saved else 0))


def load_activities_one(db: Database, activity_id: int):  # type: ignore[no-untyped-def]
    with db.connect() as con:
        return load_activities(con, [activity_id])[0]
