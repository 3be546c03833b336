"""Every spreadsheet format a DPO may hold their register in reads to the same activities: xlsx, xlsm, xls, ods, csv."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from openpyxl import Workbook, load_workbook
from test_import import EXAMPLE_ROWS, ico_lines, ico_workbook

from ropa.ingest import Limits, plan_import, reader
from ropa.ingest.files import MB, ImportRejected, open_source
from ropa.ingest.reader import scan_ods
from ropa.ingest.sandbox import ChildBounds, read_in_child
from ropa.storage.database import Database

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

FILES = Path(__file__).parent / "files"
_ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"')

Span = tuple[int, int]


def _ods_cell(value: Any, span: Span | None) -> str:
    spanned = f' table:number-rows-spanned="{span[0]}" table:number-columns-spanned="{span[1]}"' if span else ""
    if value is None or value == "":
        return f"<table:table-cell{spanned}/>"
    if isinstance(value, bool):
        return (f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(value).lower()}"'
                f"{spanned}><text:p>{value}</text:p></table:table-cell>")
    if isinstance(value, int | float):
        return (f'<table:table-cell office:value-type="float" office:value="{value}"{spanned}>'
                f"<text:p>{value}</text:p></table:table-cell>")
    paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in str(value).split("\n"))
    return f'<table:table-cell office:value-type="string"{spanned}>{paragraphs}</table:table-cell>'


def ods_workbook(sheets: Sequence[tuple[str, Sequence[Sequence[Any]]]],
                 spans: dict[tuple[str, int, int], Span] | None = None) -> bytes:
    """An OpenDocument spreadsheet as LibreOffice writes one (ODF 1.2 content.xml), built from rows of values.

    ``spans`` merges cells: {(sheet, row, column): (rows, columns)}, 1-based; covered cells are written as
    ``table:covered-table-cell`` as the standard requires.
    """
    spans = spans or {}
    covered = {(s, r + dr, c + dc) for (s, r, c), (rows, cols) in spans.items()
               for dr in range(rows) for dc in range(cols) if dr or dc}
    tables = []
    for name, rows in sheets:
        lines = []
        for r, row in enumerate(rows, start=1):
            cells = []
            for c, value in enumerate(row, start=1):
                if (name, r, c) in covered:
                    cells.append("<table:covered-table-cell/>")
                else:
                    cells.append(_ods_cell(value, spans.get((name, r, c))))
            lines.append(f"<table:table-row>{''.join(cells)}</table:table-row>")
        lines.append('<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
                     'table:number-columns-repeated="1024"/></table:table-row>')
        tables.append(f'<table:table table:name="{escape(name)}">{"".join(lines)}</table:table>')
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS}><office:body>'
               f'<office:spreadsheet>{"".join(tables)}</office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _csv(lines: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(lines)
    return buffer.getvalue().encode()


def _xlsm(data: bytes) -> bytes:
    """The workbook saved as macro-enabled: its content type and a VBA project part (never run)."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {i.filename: source.read(i.filename) for i in source.infolist()}
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


MERGED_ROWS = [list(r) for r in EXAMPLE_ROWS]
MERGED_ROWS[1][12] = ""  # column 13 (Art. 9 condition) of the second activity is merged with the first's


def _build(kind: str) -> bytes:
    lines = ico_lines(MERGED_ROWS)
    if kind == "xlsx":
        return _merged_xlsx()
    if kind == "xlsm":
        return _xlsm(_merged_xlsx())
    if kind == "xls":
        return (FILES / "ico-register.xls").read_bytes()
    if kind == "ods":
        return ods_workbook([("Template", lines)], {("Template", 10, 13): (2, 1)})
    return _csv(lines)


def _merged_xlsx() -> bytes:
    workbook = load_workbook(io.BytesIO(ico_workbook(MERGED_ROWS)))
    sheet = workbook.active
    assert sheet is not None
    sheet.merge_cells("M10:M11")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("kind", "name", "merged"), [
    ("xlsx", "register.xlsx", True), ("xlsm", "register.xlsm", True), ("xls", "register.xls", True),
    ("ods", "register.ods", True), ("csv", "register.csv", False),
])
def test_every_format_reads_to_the_same_activities(db: Database, kind: str, name: str, merged: bool) -> None:
    plan = plan_import(db, _build(kind), name)
    assert plan.ok and len(plan.activities) == 3
    assert [a.business_function for a in plan.activities] == ["Human resources", "Marketing", "Facilities"]
    assert plan.new_entities[0].name == "Acme Widgets Ltd"
    expected = plan_import(db, ico_workbook(EXAMPLE_ROWS), "register.xlsx").activities
    second = plan.activities[1].model_dump()
    if merged:  # the merged cell is read as the spreadsheet shows it: the top value on both rows
        assert second == expected[1].model_copy(update={"art9_conditions": expected[0].art9_conditions}).model_dump()
    assert plan.activities[0].model_dump() == expected[0].model_dump()
    assert plan.activities[2].model_dump() == expected[2].model_dump()


def test_the_xls_test_file_is_the_merged_register() -> None:
    """tests/files/ico-register.xls is _merged_xlsx() saved by LibreOffice as Excel 97-2003."""
    with open_source(_build("xls"), "register.xls", Limits()) as xls, \
            open_source(_merged_xlsx(), "register.xlsx", Limits()) as xlsx:
        assert list(xls.sheets[0].read_rows(0)) == list(xlsx.sheets[0].read_rows(0))
        assert xls.sheets[0].merged() == xlsx.sheets[0].merged() == [(10, 13, 11, 13)]


@pytest.mark.parametrize(("data", "message"), [
    pytest.param(lambda: b"not a zip", "'register.ods' cannot be read as an OpenDocument spreadsheet: the file is "
                 "damaged or incomplete. Open it in a spreadsheet program, save it again as .ods", id="not-a-zip"),
    pytest.param(lambda: _odt(), "'register.ods' is an OpenDocument file but not a spreadsheet "
                 "(application/vnd.oasis.opendocument.text)", id="a-text-document"),
])
def test_an_unreadable_ods_gets_a_message_that_says_what_to_do(db: Database, data: Any, message: str) -> None:
    with pytest.raises(ImportRejected) as refused:
        plan_import(db, data(), "register.ods")
    assert str(refused.value).startswith(message)


def _odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("repeat", "message"), [
    pytest.param('table:number-rows-repeated="2000000"', "beyond Excel's last row", id="a-value-repeated-2M-rows"),
    pytest.param('table:number-columns-repeated="20000"', "beyond Excel's last column", id="a-value-repeated-20k-cols"),
])
def test_an_ods_repeating_a_value_beyond_the_grid_is_refused_before_it_is_expanded(
        db: Database, repeat: str, message: str) -> None:
    data = ods_workbook([("Template", ico_lines(EXAMPLE_ROWS))])
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        content = source.read("content.xml")
    tag = 'table:number-columns-repeated' if "columns" in repeat else 'table:number-rows-repeated'
    element = b"<table:table-cell" if "columns" in repeat else b"<table:table-row"
    content = content.replace(element, element + f" {repeat}".encode(), 1)
    assert tag.encode() in content
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    with pytest.raises(ImportRejected, match=message):
        plan_import(db, buffer.getvalue(), "register.ods")


def test_ods_spans_are_counted_without_expanding_repeats() -> None:
    data = ods_workbook([("A", [["x", "y"], [None, "z"]])], {("A", 1, 1): (2, 1)})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        tables = scan_ods(archive.read("content.xml"))
    assert tables["A"].merged == [(1, 1, 2, 1)] and (tables["A"].last_row, tables["A"].last_column) == (2, 2)


def _ods_with_span_attribute(last: int) -> bytes:
    """A span whose end is given, not built: the covered cells are not written (as a hostile file would not)."""
    data = ods_workbook([("Template", ico_lines(EXAMPLE_ROWS))], {("Template", 10, 1): (1, 2)})
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {i.filename: source.read(i.filename) for i in source.infolist()}
    parts["content.xml"] = parts["content.xml"].replace(b'table:number-rows-spanned="1"',
                                                        f'table:number-rows-spanned="{last - 9}"'.encode())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "build", "message"), [
    pytest.param("register.ods", lambda: _ods_with_span_attribute(99_999_999_999),
                 "Sheet 'Template' has a cell at the end of merged range A10:B99999999999, beyond Excel's last row",
                 id="ods-span-to-row-99999999999"),
    pytest.param("register.csv", lambda: b"a," * 17_000 + b"b\n",
                 "Line 1 of 'register.csv' has 17,001 columns, more than the 16,384 the import reads",
                 id="csv-17k-cols"),
    pytest.param("register.csv", lambda: b"\n".join([b"a"] * 1_048_577),
                 "'register.csv' has more than 1,048,576 lines", id="csv-over-a-million-lines"),
])
def test_hostile_files_are_refused_by_every_reader(db: Database, name: str, build: Any, message: str) -> None:
    with pytest.raises(ImportRejected) as refused:
        plan_import(db, build(), name)
    assert str(refused.value).startswith(message), str(refused.value)


def test_a_zip_of_csv_files_may_hold_a_csv_as_large_as_the_row_cap_needs() -> None:
    # This app's CSV export of 50,000 activities holds a 72 MB controller sheet: more than any other part may be.
    line = "Business activity," + "x" * 70_000 + "\r\n"
    text = "Name,Purpose\r\n" + line * 300
    assert len(text) > 16 * MB
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("01_register.csv", text)
    sheets = reader.read(buffer.getvalue(), reader.Request("zip", "register.zip", 64 * MB, 100_000))
    assert [(s.name, len(s.rows)) for s in sheets] == [("01_register.csv", 301)]


def test_equal_texts_of_a_sheet_cross_from_the_reader_as_one_object() -> None:
    # A register repeats its labels on every row: held once, the cells of 50,000 activities take a third.
    workbook = Workbook()
    for row in range(3):
        workbook.active.append([f"Activity {row}", "Employees; Customers", "Payroll"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    [sheet] = read_in_child(buffer.getvalue(), "zip", "register.xlsx", 10 * MB, 100_000, ChildBounds())
    first, *others = sheet.rows
    assert [r[0] for r in sheet.rows] == ["Activity 0", "Activity 1", "Activity 2"]
    assert all(r[1] is first[1] and r[2] is first[2] for r in others)


# -- a workbook read by two processes side by side: the scan and the cells -------------------------

def _blank_and_formula_xlsx() -> bytes:
    """The merged register with a formula, and a cell holding only spaces as inline text (which calamine drops)."""
    workbook = load_workbook(io.BytesIO(_merged_xlsx()))
    sheet = workbook.active
    assert sheet is not None
    sheet["AE12"] = "=1+1"
    sheet["C11"] = "PLACEHOLDER"
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source:
        parts = {i.filename: source.read(i.filename) for i in source.infolist()}
    sheet_part = parts["xl/worksheets/sheet1.xml"]
    assert sheet_part.count(b"<t>PLACEHOLDER</t>") == 1
    parts["xl/worksheets/sheet1.xml"] = sheet_part.replace(b"<t>PLACEHOLDER</t>", b"<t>   </t>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


SIDE_BY_SIDE = [
    pytest.param(_blank_and_formula_xlsx, "register.xlsx", id="xlsx-merges-formula-blank-cell"),
    pytest.param(lambda: _build("xlsm"), "register.xlsm", id="xlsm"),
    pytest.param(lambda: _build("ods"), "register.ods", id="ods-spans"),
    pytest.param(lambda: ico_workbook(EXAMPLE_ROWS), "register.xlsx", id="xlsx-plain"),
]


def _read_whole(data: bytes, name: str) -> list[reader.SheetData]:
    return reader.read(data, reader.Request("zip", name, 10 * MB, 100_000))


@pytest.mark.parametrize(("build", "name"), SIDE_BY_SIDE)
def test_the_scan_and_the_cells_joined_are_what_one_reader_reads(build: Any, name: str) -> None:
    data = build()
    scans = reader.scan_zip(data, reader.Request("zip", name, 10 * MB, 100_000, "scan"))
    cells = reader.read(data, reader.Request("zip", name, 10 * MB, 100_000, "cells"))
    assert reader.with_scans(cells, scans, 100_000) == _read_whole(data, name)


@pytest.mark.parametrize(("build", "name"), SIDE_BY_SIDE)
def test_a_workbook_read_by_two_child_processes_is_what_one_reader_reads(build: Any, name: str) -> None:
    data = build()
    assert read_in_child(data, "zip", name, 10 * MB, 100_000, ChildBounds()) == _read_whole(data, name)


def test_a_cell_holding_only_spaces_and_a_formula_are_seen_by_the_scan() -> None:
    [sheet] = read_in_child(_blank_and_formula_xlsx(), "zip", "register.xlsx", 10 * MB, 100_000, ChildBounds())
    assert sheet.rows[10][2] == "   "
    assert sheet.has_formulas and sheet.merged == [(10, 13, 11, 13)]


ODS_TAB_CELLS = [
    pytest.param("<text:p>a<text:tab/>b</text:p>", "a\tb", id="tab-between-words"),
    pytest.param("<text:p><text:s/><text:tab/> </text:p>", " \t ", id="white-space-with-a-tab"),
    pytest.param('<text:p>x<text:tab/><text:span>y<text:tab/>z</text:span><text:s text:c="2"/></text:p>'
                 "<text:p>w<text:line-break/>v</text:p>", "x\ty\tz  \nw\nv", id="tabs-spans-and-paragraphs"),
]
"""Cells as LibreOffice writes a text with a tab in it (``<text:tab/>``), which calamine reads without the tab."""


def _ods_with_cell(cell: str) -> bytes:
    """A one-sheet .ods whose second cell is ``cell``, written as it stands."""
    data = ods_workbook([("A", [["before", "PLACE", "after"]])])
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {i.filename: source.read(i.filename) for i in source.infolist()}
    parts["content.xml"] = parts["content.xml"].replace(
        b'<table:table-cell office:value-type="string"><text:p>PLACE</text:p></table:table-cell>', cell.encode())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(("xml", "text"), ODS_TAB_CELLS)
def test_an_ods_cell_keeps_its_tabs_and_line_breaks(xml: str, text: str) -> None:
    cell = f'<table:table-cell office:value-type="string" table:number-columns-repeated="2">{xml}</table:table-cell>'
    [sheet] = read_in_child(_ods_with_cell(cell), "zip", "register.ods", 10 * MB, 100_000, ChildBounds())
    assert sheet.rows[0] == ("before", text, text, "after")


def test_an_ods_repeating_a_cell_with_a_tab_past_the_cap_is_refused(db: Database) -> None:
    cell = ('<table:table-cell office:value-type="string" table:number-columns-repeated="1000">'
            '<text:p>a<text:tab/>b</text:p></table:table-cell></table:table-row>'
            '<table:table-row table:number-rows-repeated="200"><table:table-cell office:value-type="string" '
            'table:number-columns-repeated="1000"><text:p>a<text:tab/>b</text:p></table:table-cell>')
    with pytest.raises(ImportRejected, match="more than 100,000 cells with a tab or line break"):
        plan_import(db, _ods_with_cell(cell), "register.ods")


def test_an_ods_space_count_that_is_no_number_gets_the_damaged_file_message(db: Database) -> None:
    cell = ('<table:table-cell office:value-type="string"><text:p>a<text:s text:c="many"/><text:tab/>b</text:p>'
            "</table:table-cell>")
    with pytest.raises(ImportRejected, match="cannot be read as an Excel workbook: the file is damaged"):
        plan_import(db, _ods_with_cell(cell), "register.ods")
