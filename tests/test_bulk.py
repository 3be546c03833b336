"""Bulk edit: one change to many activities in one transaction, an audit row each, all or nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ropa.auth import User
from ropa.errors import PermissionDenied
from ropa.models import Activity
from ropa.storage.activities import create_activities, get_activity, update_activity
from ropa.storage.audit import history_frame
from ropa.storage.bulk import BulkChange, BulkRefused, bulk_update
from ropa.storage.database import Database
from ropa.storage.entities import create_entity
from tests.factories import DPO, EDITOR, VIEWER, Seeded, make_activity, make_entity, make_recipient

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when


def _three(db: Database) -> list[Activity]:
    """Three drafts of one entity, sharing systems and a recipient written two ways."""
    entity = create_entity(db, DPO, make_entity())
    return create_activities(db, DPO, [
        make_activity(entity.id or 0, name="Billing", status="draft", systems=["Sage"],
                      recipients=[make_recipient(name="Old Bureau Ltd")]),
        make_activity(entity.id or 0, name="Payroll", status="draft", systems=["Workday", "Sage"],
                      recipients=[make_recipient(name="old bureau ltd"), make_recipient(name="Bank plc")]),
        make_activity(entity.id or 0, name="CCTV", status="draft", systems=[], security_measures=["encryption"],
                      last_reviewed=date(2026, 1, 1), next_review_due=date(2027, 1, 1)),
    ])


@pytest.fixture
def three(db: Database, seeded: Seeded) -> list[Activity]:
    """``_three`` in the test's register (built once per session, copied over the empty one)."""
    three: list[Activity] = seeded(_three, db.path)
    return three


def _seen(activities: list[Activity]) -> dict[int, int]:
    return {int(a.id or 0): a.version for a in activities}


CHANGES: list[Any] = [
    pytest.param(BulkChange(owner="Priya Patel"), lambda a: a.owner == "Priya Patel", id="owner"),
    pytest.param(BulkChange(business_function="Human resources"), lambda a: a.business_function == "Human resources",
                 id="business-function"),
    pytest.param(BulkChange(next_review_due=date(2027, 3, 1)), lambda a: a.next_review_due == date(2027, 3, 1),
                 id="next-review-due"),
    pytest.param(BulkChange(status="in_review"), lambda a: a.status == "in_review", id="status"),
    pytest.param(BulkChange(add_recipient=make_recipient(name="New Payroll Co")),
                 lambda a: "New Payroll Co" in [r.name for r in a.recipients], id="add-recipient"),
    pytest.param(BulkChange(add_security_measures=("pseudonymisation",)),
                 lambda a: "pseudonymisation" in a.security_measures, id="add-security-measure"),
    pytest.param(BulkChange(add_systems=("Okta",)), lambda a: a.systems[-1] == "Okta", id="add-system"),
]


@pytest.mark.parametrize(("change", "holds"), CHANGES)
def test_each_change_reaches_every_chosen_activity_with_an_audit_row(db: Database, three: list[Activity],
                                                                     change: BulkChange, holds: Any) -> None:
    result = bulk_update(db, EDITOR, _seen(three), change)
    assert len(result.changed) == 3 and not result.unchanged
    for before in three:
        after = get_activity(db, int(before.id or 0))
        assert holds(after) and after.version == before.version + 1 and after.updated_by == EDITOR.email
    audit = history_frame(db, record_type="activity", limit=100)
    bulk_rows = audit[audit["detail"].str.contains("bulk edit of 3 activities", regex=False)]
    assert len(bulk_rows) == 3


def test_removing_a_recipient_matches_its_name_ignoring_case_and_keeps_the_others(db: Database,
                                                                                  three: list[Activity]) -> None:
    bulk_update(db, DPO, _seen(three[:2]), BulkChange(remove_recipient="OLD BUREAU LTD"))
    assert get_activity(db, int(three[0].id or 0)).recipients == []
    assert [r.name for r in get_activity(db, int(three[1].id or 0)).recipients] == ["Bank plc"]


def test_removing_a_system_and_a_measure_leaves_activities_without_them_unchanged(db: Database,
                                                                                  three: list[Activity]) -> None:
    result = bulk_update(db, DPO, _seen(three), BulkChange(remove_systems=("sage",),
                                                           remove_security_measures=("encryption",)))
    assert get_activity(db, int(three[1].id or 0)).systems == ["Workday"]
    assert "encryption" not in get_activity(db, int(three[2].id or 0)).security_measures
    assert {a.id for a in result.changed} == {three[0].id, three[1].id, three[2].id}


def test_an_activity_the_change_does_not_alter_keeps_its_version_and_gets_no_audit_row(
        db: Database, three: list[Activity]) -> None:
    result = bulk_update(db, DPO, _seen(three), BulkChange(remove_systems=("Workday",)))
    assert [a.id for a in result.changed] == [three[1].id]
    assert sorted(result.unchanged) == sorted([int(three[0].id or 0), int(three[2].id or 0)])
    assert get_activity(db, int(three[0].id or 0)).version == three[0].version


def test_a_batch_is_refused_with_the_list_of_activities_changed_meanwhile(db: Database,
                                                                          three: list[Activity]) -> None:
    seen = _seen(three)
    update_activity(db, DPO, three[1].model_copy(update={"purpose": "Changed elsewhere."}), three[1].version)
    with pytest.raises(BulkRefused) as refused:
        bulk_update(db, EDITOR, seen, BulkChange(owner="Priya Patel"))
    assert refused.value.problems == [f"'Payroll' (id {three[1].id}) was changed by {DPO.email} at "
                                      f"{get_activity(db, int(three[1].id or 0)).updated_at:%Y-%m-%d %H:%M} UTC "
                                      "(version 1 -> 2)"]
    assert "1 of the 3 activities changed" in str(refused.value)
    assert all(get_activity(db, int(a.id or 0)).owner == "Head of Finance" for a in three)


def test_a_status_some_cannot_reach_refuses_the_whole_batch(db: Database, three: list[Activity]) -> None:
    with pytest.raises(BulkRefused) as refused:
        bulk_update(db, DPO, _seen(three), BulkChange(status="approved"))
    assert len(refused.value.problems) == 3 and "is Draft" in refused.value.problems[0]
    assert {get_activity(db, int(a.id or 0)).status for a in three} == {"draft"}


def test_a_review_date_before_the_last_review_is_refused_for_that_activity(db: Database,
                                                                           three: list[Activity]) -> None:
    with pytest.raises(BulkRefused) as refused:
        bulk_update(db, DPO, _seen(three), BulkChange(next_review_due=date(2025, 6, 1)))
    assert len(refused.value.problems) == 1 and "'CCTV'" in refused.value.problems[0]
    assert get_activity(db, int(three[0].id or 0)).next_review_due is None


def test_a_status_move_is_recorded_as_one_so_the_status_line_names_it(db: Database, three: list[Activity]) -> None:
    bulk_update(db, DPO, _seen(three), BulkChange(status="in_review", owner="Priya Patel"))
    rows = history_frame(db, record_type="activity", record_id=three[0].id, limit=10)
    assert rows.iloc[0]["action"] == "status" and "draft -> in_review" in rows.iloc[0]["detail"]


@pytest.mark.parametrize(("seen", "change", "problem"), [
    pytest.param({}, BulkChange(owner="X"), "no activity is selected", id="nothing-selected"),
    pytest.param(None, BulkChange(), "choose at least one change to make", id="no-change"),
    pytest.param(None, BulkChange(status="archived"), "not a status a batch can set", id="archive-is-one-by-one"),
    pytest.param({999: 1}, BulkChange(owner="X"), "id 999 no longer exists", id="missing-activity"),
])
def test_a_batch_that_cannot_run_says_why(db: Database, three: list[Activity], seen: dict[int, int] | None,
                                          change: BulkChange, problem: str) -> None:
    with pytest.raises(BulkRefused) as refused:
        bulk_update(db, DPO, _seen(three) if seen is None else seen, change)
    assert any(problem in p for p in refused.value.problems)


@pytest.mark.parametrize("user", [VIEWER])
def test_viewers_may_not_bulk_edit_even_without_the_page(db: Database, three: list[Activity], user: User) -> None:
    with pytest.raises(PermissionDenied):
        bulk_update(db, user, _seen(three), BulkChange(owner="X"))
    assert get_activity(db, int(three[0].id or 0)).version == 1


def test_describe_words_every_part_of_the_change() -> None:
    text = BulkChange(owner="P", status="in_review", add_systems=("Okta",), remove_recipient="Bank plc",
                      add_security_measures=("encryption",)).describe()
    assert text == ("owner set to 'P'; status set to In review; recipient 'Bank plc' removed; "
                    "security measure 'Encryption in transit and at rest' added; system 'Okta' added")
