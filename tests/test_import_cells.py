"""A column's cells are read once per distinct value: equal values share a reading, equal-comparing values of
different types (1, 1.0, True) never do."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from ropa.ingest import plan_import
from ropa.storage.database import Database
from tests.test_import import ico_row, ico_workbook


def _rows(values: list[Any], column: int) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for number, value in enumerate(values):
        row: list[Any] = ico_row(c2=f"Purpose number {number}.", c4="Customers", c12="Contract")
        row[column - 1] = value
        rows.append(row)
    return rows


@pytest.mark.parametrize(("column", "field", "cells", "read"), [
    (1, "business_function", [1, True, 1.0, 2.5, 1, True], ["1", "Yes", "1", "2.5", "1", "Yes"]),
    (1, "business_function", [0, False, 0.0, "0"], ["0", "No", "0", "0"]),
    (1, "business_function", [datetime(2024, 5, 1), date(2024, 5, 1), datetime(2024, 5, 1, 9, 30)],
     ["2024-05-01", "2024-05-01", "2024-05-01 09:30:00"]),
    (21, "dpia_required", [True, 1, 1.5, False, 0, True], [True, True, None, False, False, True]),
], ids=["numbers-and-yes", "zeros-and-no", "dates-and-times", "yes-no-answers"])
def test_equal_values_of_different_types_are_read_each_as_its_own(db: Database, column: int, field: str,
                                                                   cells: list[Any], read: list[Any]) -> None:
    plan = plan_import(db, ico_workbook(_rows(cells, column)), "register.xlsx")
    assert plan.ok, plan.issues[:3]
    assert [getattr(a, field) for a in plan.activities] == read


def test_a_repeated_number_is_counted_in_every_row_that_holds_it(db: Database) -> None:
    plan = plan_import(db, ico_workbook(_rows([7, 7, 2.5, 7], 10)), "register.xlsx")
    assert [a.retention_rule for a in plan.activities] == ["7", "7", "2.5", "7"]
    read = {d.text: (d.rows, d.first_row) for d in plan.decisions if d.vocabulary == "retention"}
    assert read == {"7": (3, 10), "2.5": (1, 12)}  # the headings are in row 9
