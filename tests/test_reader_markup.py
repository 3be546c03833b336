"""The reader's scans see a worksheet's XML without its comments and CDATA sections, whatever bytes it holds."""

from __future__ import annotations

import pytest

from ropa.ingest.reader import _strip_markup_comments, scan_xlsx_sheet

_MERGE = b'<mergeCells count="1"><mergeCell ref="A1:B2"/></mergeCells>'


@pytest.mark.parametrize(("xml", "expected"), [
    (b'<sheetData><row r="1"><c r="A1"/></row></sheetData>', b'<sheetData><row r="1"><c r="A1"/></row></sheetData>'),
    (b"<is><t>Hello!</t></is>", b"<is><t>Hello!</t></is>"),
    (b"<a/><!-- a note --><b/>", b"<a/><b/>"),
    (b"<t><![CDATA[<f>1</f>]]></t>", b"<t></t>"),
    (b"<t>Wow!</t><!-- <f/> -->", b"<t>Wow!</t>"),
    (b"<a/><!-- never closed <b/>", b"<a/>"),
])
def test_markup_comments_and_cdata_are_removed_and_nothing_else(xml: bytes, expected: bytes) -> None:
    assert _strip_markup_comments(xml) == expected


@pytest.mark.parametrize(("xml", "merged", "has_formulas"), [
    (b"<worksheet>" + _MERGE + b"</worksheet>", [(1, 1, 2, 2)], False),
    (b"<worksheet><!--" + _MERGE + b"--></worksheet>", [], False),
    (b"<worksheet><![CDATA[" + _MERGE + b"<f>1</f>]]></worksheet>", [], False),
    (b'<worksheet><c r="A1"><f>1+1</f></c><!-- ! --></worksheet>', [], True),
])
def test_sheet_scan_counts_only_what_is_outside_comments(
        xml: bytes, merged: list[tuple[int, int, int, int]], has_formulas: bool) -> None:
    scan = scan_xlsx_sheet("Register", xml)
    assert (scan.merged, scan.has_formulas) == (merged, has_formulas)
