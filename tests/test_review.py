"""When a review is due: one definition, the same answer from Python, SQL, the Gaps rule, History and the dashboard."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from ropa.dashboard import Filters, load_dashboard
from ropa.gaps import analyse
from ropa.models import Entity
from ropa.register import RegisterFilter, register_frame
from ropa.review import MACROS, add_months, due_date, review_state
from ropa.storage.activities import create_activity
from ropa.storage.database import Database
from tests.factories import DPO, make_activity

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

TODAY = date(2026, 6, 15)

CASES = [
    # last reviewed, next review due, state on TODAY with a 12-month interval, due date
    pytest.param(None, None, "never", None, id="no-date-at-all-is-never-reviewed"),
    pytest.param(None, date(2027, 6, 1), "scheduled", date(2027, 6, 1), id="new-with-next-review-date-is-scheduled"),
    pytest.param(None, date(2026, 6, 1), "overdue", date(2026, 6, 1), id="never-reviewed-and-date-passed"),
    pytest.param(None, date(2026, 7, 1), "due_soon", date(2026, 7, 1), id="next-review-within-30-days"),
    pytest.param(date(2025, 1, 10), None, "overdue", date(2026, 1, 10), id="interval-passed-without-due-date"),
    pytest.param(date(2025, 9, 1), None, "scheduled", date(2026, 9, 1), id="within-interval-without-due-date"),
    pytest.param(date(2024, 5, 1), date(2027, 1, 1), "overdue", date(2025, 5, 1),
                 id="a-far-due-date-does-not-hide-an-interval-long-passed"),
    pytest.param(date(2026, 3, 1), date(2026, 6, 14), "overdue", date(2026, 6, 14), id="due-yesterday"),
    pytest.param(date(2026, 3, 1), date(2026, 6, 15), "due_soon", date(2026, 6, 15), id="due-today-is-not-overdue"),
    pytest.param(date(2026, 3, 1), date(2026, 7, 15), "due_soon", date(2026, 7, 15), id="due-in-exactly-30-days"),
    pytest.param(date(2026, 3, 1), date(2026, 7, 16), "scheduled", date(2026, 7, 16), id="due-in-31-days"),
    pytest.param(date(2025, 6, 30), None, "due_soon", date(2026, 6, 30), id="interval-ends-soon"),
]


@pytest.mark.parametrize(("last", "next_due", "state", "due"), CASES)
def test_review_state_and_due_date(last: date | None, next_due: date | None, state: str, due: date | None) -> None:
    assert review_state(last, next_due, TODAY, 12) == state
    assert due_date(last, next_due, 12) == due


@pytest.mark.parametrize(("last", "next_due", "state", "due"), CASES)
def test_the_sql_gives_the_same_answers(last: date | None, next_due: date | None, state: str,
                                        due: date | None) -> None:
    con = duckdb.connect()
    for macro in MACROS:
        con.execute(macro)
    row = con.execute("SELECT review_state(?::DATE, ?::DATE, 12, ?::DATE), review_due(?::DATE, ?::DATE, 12)",
                      [last, next_due, TODAY, last, next_due]).fetchone()
    assert row == (state, due)


@pytest.mark.parametrize(("day", "months", "expected"), [
    pytest.param(date(2026, 1, 31), 1, date(2026, 2, 28), id="shorter-month"),
    pytest.param(date(2024, 1, 31), 1, date(2024, 2, 29), id="leap-year"),
    pytest.param(date(2026, 11, 15), 3, date(2027, 2, 15), id="across-the-year"),
    pytest.param(date(2026, 3, 31), -1, date(2026, 2, 28), id="backwards"),
])
def test_add_months_keeps_the_day_or_the_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def _review_findings(db: Database, as_of: date) -> list[str]:
    findings = analyse(db, as_of)
    return list(findings.loc[findings["rule"] == "review_overdue", "message"])


def test_an_activity_created_minutes_ago_with_a_next_review_date_is_not_never_reviewed(
        db: Database, entity: Entity) -> None:
    create_activity(db, DPO, make_activity(entity.id or 0, last_reviewed=None,
                                           next_review_due=add_months(date.today(), 12)))
    assert _review_findings(db, date.today()) == []


def test_an_activity_with_no_review_date_at_all_is_never_reviewed(db: Database, entity: Entity) -> None:
    create_activity(db, DPO, make_activity(entity.id or 0, last_reviewed=None, next_review_due=None))
    [message] = _review_findings(db, date.today())
    assert message.startswith("Never reviewed and no review scheduled")


@pytest.mark.parametrize("as_of", [date(2026, 12, 1), date(2027, 6, 30), date(2028, 1, 1)])
def test_gaps_history_and_dashboard_count_the_same_reviews_on_the_demo(demo_db: Database, as_of: date) -> None:
    live = register_frame(demo_db, RegisterFilter(), as_of)
    overdue, never = int((live["review"] == "overdue").sum()), int((live["review"] == "never").sum())
    dashboard = load_dashboard(demo_db, Filters(as_of=as_of))
    no_date = dashboard.review.loc[dashboard.review["review_state"] == "no_date", "activities"].sum()
    assert len(_review_findings(demo_db, as_of)) == overdue + never
    assert dashboard.kpis.reviews_overdue == overdue
    assert no_date <= never
    assert overdue + never > 0
