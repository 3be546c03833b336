"""When an activity's review falls due: one definition for the Gaps rules, History, the register and the dashboard.

An activity is due for review on the earlier of its recorded next-review date
and its last review plus the review interval (``ROPA_REVIEW_INTERVAL_MONTHS``).
It is *never reviewed* only when it has neither date: an activity created a
minute ago with a next-review date is scheduled, not neglected. The same
rule is written once in Python (for one record) and once as SQL (for the
register, set-based); a parametrised test holds the two to the same answers.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Literal

from ropa.config import load_config

ReviewState = Literal["never", "overdue", "due_soon", "scheduled"]
ReviewFilter = Literal["overdue", "due_soon", "due", "never"]

DUE_SOON_DAYS = 30
"""A review falling due within this many days is listed as due soon."""

REVIEW_LABELS: dict[str, str] = {
    "overdue": "Overdue",
    "due_soon": f"Due within {DUE_SOON_DAYS} days",
    "due": f"Overdue or due within {DUE_SOON_DAYS} days",
    "never": "Never reviewed, none scheduled",
}
"""The review filters a person can choose (``due`` is overdue or due soon); a scheduled review is "Scheduled"."""


def interval_months() -> int:
    """ROPA_REVIEW_INTERVAL_MONTHS, checked (1 to 120) by its declaration, so a bad setting gives one clear line."""
    return load_config().review_interval_months


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(last_reviewed: date | None, next_review_due: date | None, months: int) -> date | None:
    """The day the next review is due, or None when the activity has no review date at all."""
    candidates = [d for d in (next_review_due, add_months(last_reviewed, months) if last_reviewed else None) if d]
    return min(candidates) if candidates else None


def state_sql_filter(review: ReviewFilter, state: str) -> str:
    """SQL keeping the activities whose review ``state`` expression matches the filter ``review``."""
    return f"{state} IN ('overdue', 'due_soon')" if review == "due" else f"{state} = '{review}'"


def review_state(last_reviewed: date | None, next_review_due: date | None, as_of: date,
                 months: int) -> ReviewState:
    due = due_date(last_reviewed, next_review_due, months)
    if due is None:
        return "never"
    if due < as_of:
        return "overdue"
    if due <= as_of + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "scheduled"


def due_date_sql(last_reviewed: str, next_review_due: str, months: str) -> str:
    """SQL for ``due_date`` over the given column expressions (DuckDB's least() skips NULLs)."""
    return (f"least(CAST({next_review_due} AS DATE), "
            f"CAST(CAST({last_reviewed} AS DATE) + to_months(CAST({months} AS INTEGER)) AS DATE))")


def review_state_sql(last_reviewed: str, next_review_due: str, months: str, as_of: str) -> str:
    """SQL for ``review_state``; the arguments are column names or bound parameters, never user text."""
    due = due_date_sql(last_reviewed, next_review_due, months)
    return (f"CASE WHEN {due} IS NULL THEN 'never' "
            f"WHEN {due} < CAST({as_of} AS DATE) THEN 'overdue' "
            f"WHEN {due} <= CAST({as_of} AS DATE) + {DUE_SOON_DAYS} THEN 'due_soon' "
            "ELSE 'scheduled' END")


MACROS: tuple[str, ...] = (
    "CREATE OR REPLACE TEMP MACRO review_due(last_reviewed, next_review_due, months) AS "
    + due_date_sql("last_reviewed", "next_review_due", "months"),
    "CREATE OR REPLACE TEMP MACRO review_state(last_reviewed, next_review_due, months, as_of) AS "
    + review_state_sql("last_reviewed", "next_review_due", "months", "as_of"),
)
"""The definitions as DuckDB macros, for SQL written elsewhere (the Gaps rule catalogue)."""
