"""The audit text of new activities, encoded a column at a time, is what ``json.dumps`` writes for each one."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from ropa.models import Activity
from ropa.storage.activities import activity_columns
from ropa.storage.audit_text import content_texts
from tests.factories import make_activity, make_recipient, make_transfer

SHARED_RECIPIENT = make_recipient(name="Payroll Ltd", vendor_id=3)
SHARED_TRANSFER = make_transfer(contract_date=date(2021, 9, 27), authority_informed_on=date(2022, 1, 2))

CASES: dict[str, list[dict[str, Any]]] = {
    "one default activity": [{}],
    "escapes in text, lists and kept columns": [
        {"purpose": "\x01\x1f\x7f \\ \" \u2028 ✓", "systems": ["tab\there", "quote\""],
         "unmapped": {"Zeta": "z", "Alpha": "ä\n"}},
    ],
    "equal values repeated across activities": [
        {"name": "Payroll", "recipients": [SHARED_RECIPIENT], "transfers": [SHARED_TRANSFER],
         "last_reviewed": date(2026, 1, 31), "dpia_required": True, "unmapped": {"B": "1", "A": "2"}},
        {"name": "Payroll", "recipients": [SHARED_RECIPIENT, make_recipient()], "transfers": [SHARED_TRANSFER],
         "last_reviewed": date(2026, 1, 31), "dpia_required": True, "unmapped": {"A": "2", "B": "1"}},
        {"name": "Payroll", "recipients": [], "transfers": [], "last_reviewed": None, "dpia_required": None},
    ],
    "values equal across types kept apart": [
        {"retention_kind": "period", "retention_months": 1, "adm": True, "dpia_required": True},
        {"retention_kind": "period", "retention_months": 0, "adm": False, "dpia_required": False},
        {"retention_kind": "unknown", "retention_months": None, "adm": False, "dpia_required": None},
    ],
}


def _expected(activities: list[Activity], owners: list[int]) -> list[str]:
    return [json.dumps({**a.content(), "entity_id": owner}, ensure_ascii=False, sort_keys=True)
            for a, owner in zip(activities, owners, strict=True)]


@pytest.mark.parametrize("overrides", CASES.values(), ids=CASES.keys())
def test_each_text_is_the_activity_content_dumped_with_sorted_keys(overrides: list[dict[str, Any]]) -> None:
    activities = [make_activity(7, **o) for o in overrides]
    owners = [12 + i % 2 for i in range(len(activities))]
    columns = activity_columns(activities)
    fields = {**columns.fields, "entity_id": owners, "recipients": columns.recipients,
              "transfers": columns.transfers}
    assert content_texts(fields) == _expected(activities, owners)


def test_columns_given_as_tuples_encode_as_lists() -> None:
    """The import's packed plan hands lists and records over as tuples."""
    activity = make_activity(7, systems=["b", "a"], recipients=[SHARED_RECIPIENT])
    columns = activity_columns([activity])
    fields: dict[str, Any] = {name: [tuple(v) if isinstance(v, list) else v for v in values]
                              for name, values in columns.fields.items()}
    fields.update(entity_id=[12], recipients=[tuple(r) for r in columns.recipients],
                  transfers=[tuple(t) for t in columns.transfers])
    assert content_texts(fields) == _expected([activity], [12])
