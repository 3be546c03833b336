"""Body rows written as XML text make the very file openpyxl writes cell by cell."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from ropa.columns import CellValue
from ropa.export import ExportOptions, collect
from ropa.export.rowxml import DateStyles, XmlRowsWorksheet, row_open, row_xml
from ropa.export.sheets import build_sheets
from ropa.export.xlsx import write_xlsx
from ropa.storage.activities import create_activities
from ropa.storage.database import Database
from ropa.storage.entities import create_entity
from tests.factories import DPO, make_activity, make_entity
from tests.test_export_injection import HOSTILE

AS_OF = date(2026, 11, 1)


def _parts(path: Path) -> dict[str, bytes]:
    """Every part of a workbook but its creation time (``docProps/core.xml``)."""
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}


def _assert_writers_agree(db: Database, tmp_path: Path, with_gaps: bool) -> None:
    data = collect(db, DPO, ExportOptions(as_of=AS_OF, with_gaps=with_gaps, all_organisations=True))
    sheets = build_sheets(data)
    write_xlsx(data, tmp_path / "cells.xlsx", sheets, raw_rows=False)
    write_xlsx(data, tmp_path / "rows.xlsx", sheets, raw_rows=True)
    cells, rows = _parts(tmp_path / "cells.xlsx"), _parts(tmp_path / "rows.xlsx")
    assert list(rows) == list(cells)
    for name, content in cells.items():
        assert rows[name] == content, name


@pytest.mark.parametrize("with_gaps", [False, True], ids=["the-record-only", "with-gaps"])
def test_demo_workbook_is_the_same_file_whether_rows_are_written_as_text_or_cells(
        demo_db: Database, tmp_path: Path, with_gaps: bool) -> None:
    _assert_writers_agree(demo_db, tmp_path, with_gaps)


def test_hostile_text_is_written_the_same_way_by_both_writers(db: Database, tmp_path: Path) -> None:
    entity = create_entity(db, DPO, make_entity())
    create_activities(db, DPO, [make_activity(entity.id or 0, name=f"{i:02d} {v}", purpose=v, notes=v,
                                              last_reviewed=date(2026, 1, 2)) for i, v in enumerate(HOSTILE)])
    _assert_writers_agree(db, tmp_path, with_gaps=True)


@pytest.fixture
def dates() -> Iterator[DateStyles]:
    """Date styles of a fresh sheet in which a date and a date with time have been written (style ids 1 and 2)."""
    workbook = Workbook(write_only=True)
    ws = XmlRowsWorksheet(parent=workbook, title="Sheet")
    workbook._add_sheet(ws)  # type: ignore[attr-defined]
    styles = DateStyles(ws)
    ws.append([date(2026, 1, 2), datetime(2026, 1, 2, 3, 4, 5)])
    styles.learn([date(2026, 1, 2), datetime(2026, 1, 2, 3, 4, 5)])
    yield styles
    ws.close()


@pytest.mark.parametrize(("value", "cell"), [
    pytest.param("text", '<c r="A7" t="inlineStr"><is><t>text</t></is></c>', id="text"),
    pytest.param("", '<c r="A7" t="inlineStr" />', id="empty-text"),
    pytest.param(" padded ", '<c r="A7" t="inlineStr"><is><t xml:space="preserve"> padded </t></is></c>',
                 id="padded-text-keeps-its-spaces"),
    pytest.param("   ", '<c r="A7" t="inlineStr"><is><t>   </t></is></c>', id="blank-text"),
    pytest.param("<b> & 'q' \"", '<c r="A7" t="inlineStr"><is><t>&lt;b&gt; &amp; \'q\' "</t></is></c>',
                 id="markup-is-escaped"),
    pytest.param("a\nb", '<c r="A7" t="inlineStr"><is><t>a\nb</t></is></c>', id="line-break"),
    pytest.param(None, "", id="none-is-no-cell"),
    pytest.param(42, '<c r="A7" t="n"><v>42</v></c>', id="int"),
    pytest.param(2.5, '<c r="A7" t="n"><v>2.5</v></c>', id="float"),
    pytest.param(10**17, '<c r="A7" t="n"><v>1e+17</v></c>', id="large-int"),
    pytest.param(True, '<c r="A7" t="b"><v>1</v></c>', id="true"),
    pytest.param(False, '<c r="A7" t="b"><v>0</v></c>', id="false"),
    pytest.param(date(2026, 1, 2), '<c r="A7" s="1" t="n"><v>46024</v></c>', id="date"),
    pytest.param(datetime(2026, 1, 2, 3, 4, 5), '<c r="A7" s="2" t="n"><v>46024.12783564815</v></c>',
                 id="date-and-time"),
])
def test_plain_values_are_written_as_openpyxl_writes_them(dates: DateStyles, value: CellValue, cell: str) -> None:
    written = row_xml(7, [value], ["A"], [30], dates)
    assert written is not None and written[0] == cell


@pytest.mark.parametrize("value", [
    pytest.param("=1+1", id="formula"), pytest.param("-1", id="minus"), pytest.param("@SUM(A1)", id="at"),
    pytest.param("#N/A", id="error-literal"), pytest.param("\tX", id="tab-first"),
    pytest.param("a\x0bb", id="xml-illegal"), pytest.param("a_x000D_b", id="escape-lookalike"),
    pytest.param("x" * 5000, id="long-enough-to-overflow-when-escaped"),
    pytest.param(float("nan"), id="nan"), pytest.param(Decimal("1.5"), id="decimal"),
    pytest.param(datetime(2026, 1, 2, tzinfo=UTC), id="aware-datetime"),
])
def test_values_that_need_care_leave_the_row_to_openpyxl(dates: DateStyles, value: object) -> None:
    assert row_xml(7, ["plain", value], ["A", "B"], [30, 30], dates) is None  # type: ignore[list-item]


def test_a_date_type_not_written_yet_leaves_the_row_to_openpyxl() -> None:
    workbook = Workbook(write_only=True)
    styles = DateStyles(workbook.create_sheet("Sheet"))
    assert row_xml(3, [date(2026, 1, 2)], ["A"], [12], styles) is None


@pytest.mark.parametrize(("values", "lines"), [
    pytest.param(["short", "also short"], 1, id="one-line"),
    pytest.param(["x" * 25, "y"], 3, id="long-text-wraps"),
    pytest.param(["a\nb\nc\nd", "x" * 11], 4, id="line-breaks-count"),
])
def test_a_row_says_how_many_lines_its_tallest_cell_wraps_to(dates: DateStyles, values: list[CellValue],
                                                              lines: int) -> None:
    written = row_xml(2, values, ["A", "B"], [10, 10], dates)
    assert written is not None and written[1] == lines


@pytest.mark.parametrize(("height", "tag"), [
    pytest.param(None, '<row r="9">', id="default-height"),
    pytest.param(45.0, '<row r="9" ht="45.0" customHeight="1">', id="custom-height"),
])
def test_row_start_tag_carries_a_custom_height(height: float | None, tag: str) -> None:
    assert row_open(9, height) == tag
