"""Reading a spreadsheet's cells inside a child process that has hard limits on memory and CPU time.

A file of a few kilobytes can claim a merged range to row 99,999,999,999, a
cell at column ZZZZZZ or a 450 MB ``styles.xml``; a dense reader pays for
what the file *claims*. So the reading runs here, in a separate interpreter
started by ``ropa.ingest.sandbox`` with ``RLIMIT_AS`` and ``RLIMIT_CPU`` set
before a byte is read, and this module refuses, with a one-line message,
whatever exceeds what it can hold: too many zip members, a part that unpacks
beyond its cap, coordinates beyond Excel's grid, a used area far larger than
the cells held, too many merged ranges.

Cells are read by python-calamine (xlsx, xlsm, xls, ods; no macro or formula
is ever run). What calamine does not give, or gives unchecked, is read here
by small bounded scanners: the extent, merged ranges and formulas of an xlsx
sheet (XML comments removed first, so nothing inside a comment counts), and
the extent, spans and formulas of an ods sheet. CSV is read with the
standard library.

This file runs as a script (``python reader.py``): it imports nothing from
``ropa`` so the child starts in milliseconds, and the parent imports it only
for its types and constants.
"""

from __future__ import annotations

import csv
import gc
import io
import pickle
import posixpath
import re
import resource
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:  # the XML parser is imported where an ods is scanned: a workbook's children never load it
    from xml.etree.ElementTree import Element

MB = 1024 * 1024
EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384
MAX_SHEET_CELLS = 5_000_000
"""The used area (first to last row x first to last column) a sheet may span: what calamine holds densely."""
MAX_MERGED = 20_000
MAX_MEMBERS = 2_000
MAX_SHEETS = 200
MAX_TOTAL_UNPACKED = 512 * MB
UNPACK_FACTOR = 20
"""A file may unpack to at most this many times the upload limit (and never more than MAX_TOTAL_UNPACKED)."""
PART_CAPS: tuple[tuple[str, int], ...] = (
    ("xl/worksheets/", 256 * MB),
    ("xl/sharedStrings.xml", 64 * MB),
    ("content.xml", 128 * MB),
    ("xl/styles.xml", 16 * MB),
    ("", 16 * MB),
)
"""The most each part may unpack to, by path prefix (first match wins)."""
MAX_ROWS = 60_000
"""Activity rows one sheet may hold: this app's own export of 50,000 activities (its largest sheet, the
controller's, has about 42,000 rows) imports whole, with room to spare."""
CSV_ROW_BYTES = 4 * 1024
"""What one CSV line of a register may take on average: that 42,000-row sheet is 72 MB as CSV, 1.7 KB a line."""
CSV_MEMBER_CAP = MAX_ROWS * CSV_ROW_BYTES
"""The most one CSV file of a zip (this app's CSV export) may unpack to: as many rows as a sheet may hold."""
CHUNK = 1 * MB

Cell = str | int | float | bool | date | datetime | None
Row = tuple[Cell, ...]
_Scan = tuple[list[tuple[int, int, int, int]], bool, list[tuple[int, int, str, str]]]
"""What the reader's own scan found in a sheet: merged ranges, whether it has formulas, and the texts calamine
misreads, each (row, column, the text, what calamine reads instead)."""


class Refused(Exception):
    """The file exceeds what the reader holds; the message says which bound and what to do."""


class Damaged(Exception):
    """The file cannot be parsed; the message names the part."""


@dataclass
class SheetData:
    """One sheet as plain data: what crosses from the child to the parent."""

    name: str
    hidden: bool
    rows: list[Row]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    """(first row, first column, last row, last column), 1-based."""
    has_formulas: bool = False
    kind: str = "xlsx"
    """The format the sheet was read from: xlsx, xls, ods, csv or json."""


@dataclass(frozen=True)
class Request:
    kind: str  # "zip" (xlsx, xlsm, ods or CSV files), "xls", "csv" or "json"
    file_name: str
    max_bytes: int
    max_cell_chars: int
    part: str = "all"
    """"all"; or one of the two halves two processes run side by side on a zip file: "scan" (every check the
    reader's own scanners make, and what they find) and "cells" (calamine's cells, without those scans)."""


# -- shared helpers ------------------------------------------------------------------------------

def column_letters(number: int) -> str:
    """1 -> 'A', 16384 -> 'XFD'."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """'A' -> 1, 'XFD' -> 16384 (any length: the caller judges the result)."""
    number = 0
    for char in letters.upper():
        number = number * 26 + (ord(char) - 64)
    return number


def _check_extent(sheet: str, last_row: int, last_column: int, where: str) -> None:
    if last_column > EXCEL_COLUMNS:
        raise Refused(f"Sheet '{sheet}' has a cell at {where}, beyond Excel's last column (XFD); the file is not "
                      "an ordinary register. Open it in a spreadsheet program, save a clean copy and import that.")
    if last_row > EXCEL_ROWS:
        raise Refused(f"Sheet '{sheet}' has a cell at {where}, beyond Excel's last row ({EXCEL_ROWS:,}); the file "
                      "is not an ordinary register. Save a clean copy and import that.")
    if last_row * last_column > MAX_SHEET_CELLS:
        raise Refused(
            f"Sheet '{sheet}' spans A1:{column_letters(last_column)}{last_row} ({last_row * last_column:,} cells), "
            f"more than the {MAX_SHEET_CELLS:,} the import reads in one sheet. Delete stray cells far from the "
            "table (select the empty rows and columns after it, delete them, save) and import again."
        )


def _check_merges(sheet: str, merged: list[tuple[int, int, int, int]]) -> None:
    if len(merged) > MAX_MERGED:
        raise Refused(_too_many_merges(sheet, len(merged)))
    for first_row, first_column, last_row, last_column in merged:
        ref = f"{column_letters(first_column)}{first_row}:{column_letters(last_column)}{last_row}"
        if last_row < first_row or last_column < first_column or first_row < 1 or first_column < 1:
            raise Refused(f"Sheet '{sheet}' has a malformed merged range '{ref}'; save a clean copy of the file "
                          "and import that.")
        _check_extent(sheet, last_row, last_column, f"the end of merged range {ref}")


def _too_many_merges(sheet: str, count: int) -> str:
    return (f"Sheet '{sheet}' has {count:,} merged ranges, more than the {MAX_MERGED:,} the import reads. Unmerge "
            "the cells (select all, Merge > Unmerge) and import again.")


def _strip_markup_comments(xml: bytes) -> bytes:
    """The XML without ``<!-- -->`` comments and CDATA sections, in one linear pass.

    Both start with ``<!``; a part without a ``!`` byte (most worksheets) has neither, and one byte is looked
    for several times faster than a longer mark.
    """
    if b"!" not in xml or (b"<!--" not in xml and b"<![CDATA[" not in xml):
        return xml
    parts: list[bytes] = []
    at = 0
    while True:
        comment, cdata = xml.find(b"<!--", at), xml.find(b"<![CDATA[", at)
        starts = [s for s in (comment, cdata) if s >= 0]
        if not starts:
            parts.append(xml[at:])
            break
        start = min(starts)
        parts.append(xml[at:start])
        end_mark = b"-->" if start == comment else b"]]>"
        end = xml.find(end_mark, start + 4)
        if end < 0:
            break  # an unterminated comment runs to the end: nothing after it counts
        at = end + len(end_mark)
    return b"".join(parts)


def _cap(name: str) -> int:
    if name.casefold().endswith(".csv"):
        return CSV_MEMBER_CAP
    return next(limit for prefix, limit in PART_CAPS if name.startswith(prefix))


def _read_part(archive: zipfile.ZipFile, name: str) -> bytes:
    """A member's bytes, never more than its cap (counted as it unpacks, not taken from the header)."""
    cap = _cap(name)
    out = io.BytesIO()
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(CHUNK):
                out.write(chunk)
                if out.tell() > cap:
                    raise Refused(_too_big(name, cap))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise Damaged(f"part {name}: {type(error).__name__}") from None
    return out.getvalue()


def _too_big(name: str, cap: int) -> str:
    return (f"Its part '{name}' unpacks to more than {cap // MB:,} MB, far more than a register needs; it is not an "
            "ordinary register. Save a copy with only the register sheet (and no pictures) and import that.")


def check_archive(archive: zipfile.ZipFile, request: Request) -> list[str]:
    """The member names, once member count and declared sizes are within the caps."""
    file_name = request.file_name
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise Refused(f"'{file_name}' holds {len(members):,} parts, more than the {MAX_MEMBERS:,} the import "
                      "reads; it is not an ordinary register.")
    total = 0
    for member in members:
        cap = _cap(member.filename)
        if member.file_size > cap:
            raise Refused(f"'{file_name}' cannot be imported. " + _too_big(member.filename, cap))
        total += member.file_size
    allowed = min(MAX_TOTAL_UNPACKED, UNPACK_FACTOR * request.max_bytes)
    if total > allowed:
        raise Refused(f"'{file_name}' unpacks to {total / MB:,.0f} MB, more than the {allowed / MB:,.0f} MB "
                      "the import reads; it is not an ordinary register. Save a copy with only the register sheet "
                      "and try again.")
    return [m.filename for m in members]


def _value(value: Any) -> Cell:
    """A cell that is neither text nor empty: times and durations as text, numbers and dates as they are."""
    if isinstance(value, time | timedelta):
        return str(value)
    return value  # type: ignore[no-any-return]


def _rows(raw: list[list[Any]], texts: dict[str, str]) -> list[Row]:
    """Calamine's dense rows -> tuples without trailing empties (empty cells are None).

    Equal texts become one object (``texts`` holds each once): the answer then sends each text of a sheet
    once and the parent holds it once (a register repeats its vocabulary labels, owners and functions on
    every row).
    """
    rows: list[Row] = []
    one = texts.setdefault
    for values in raw:
        end = len(values)
        while end and values[end - 1] == "":
            end -= 1
        rows.append(tuple([None if v == "" else one(v, v) if v.__class__ is str else _value(v)
                           for v in values[:end]]) if end else ())
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _check_cells(sheet: str, rows: list[Row], max_chars: int) -> None:
    """No text cell longer than the limit (checked here so a huge cell never crosses to the parent)."""
    for number, values in enumerate(rows, start=1):
        for index, value in enumerate(values):
            if isinstance(value, str) and len(value) > max_chars:
                raise Refused(f"The cell {column_letters(index + 1)}{number} of sheet '{sheet}' holds "
                              f"{len(value):,} characters; a cell may hold at most {max_chars:,}. Shorten it (or "
                              "link to a document) and import again.")


# -- xlsx / xlsm ---------------------------------------------------------------------------------

_REF = re.compile(rb"""\sr=["']([A-Za-z]*)([0-9]+)["']""")
_MERGE = re.compile(rb"""<(?:\w+:)?mergeCell\s[^>]*?ref=["']([^"']*)["']""")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_PLAIN_FORMULA = re.compile(rb"<f[\s>/]")
_PREFIXED_FORMULA_END = re.compile(rb":f[\s>/]")
_RANGE = re.compile(r"^\$?([A-Za-z]{1,10})\$?([0-9]{1,15})(?::\$?([A-Za-z]{1,10})\$?([0-9]{1,15}))?$")


@dataclass
class _XlsxScan:
    merged: list[tuple[int, int, int, int]]
    has_formulas: bool
    blanks: list[tuple[int, int, str, str]] = field(default_factory=list)
    """Inline cells holding only white space (row, column, text, calamine's trimmed reading), 0-based: calamine
    drops or trims them."""


_SPACE = rb"(?:[ \t\r\n]|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80)+"
"""Text that is only white space (what ``str.isspace`` counts, less the characters XML 1.0 cannot hold), as UTF-8:
calamine trims the spaces, tabs and line breaks off both ends of such a text, or drops it when nothing is left."""
_BLANK_INLINE = re.compile(
    rb"""<(?:\w+:)?c\s+r="([A-Z]{1,3})([0-9]{1,7})"[^>]*><(?:\w+:)?is><(?:\w+:)?t(?:\s[^>]*)?>(""" + _SPACE + rb")</")


_PLAIN_REF = re.compile(rb' r="([A-Za-z]*)([0-9]+)"')
_OTHER_REF_FORM = re.compile(rb"r=(?:'|(?<=[\t\n\r\x0b\x0c]r=))")
"""A reference attribute written other than ' r="...' (after a tab or line break, or in single quotes): if
none occurs, the plain pattern sees every reference. One search, looking for ``r=`` alone first."""
_WHITESPACE_TEXT = re.compile(rb">[ \t\r\n\xc2\xe1\xe2\xe3][ \t\r\n\x80-\xbf\xc2\xe1\xe2\xe3]*</")
"""Where a text of white space alone may be (any text of _SPACE matches; so may a few others): as fast a search
over a part without one as spaces, tabs and line breaks alone, where the exact pattern takes twice as long."""
REF_SLICE = 4 * MB
"""References are collected a slice of the part at a time: a tuple for each of 2.5 million cells would not fit."""


def _ref_parts(xml: bytes, pattern: re.Pattern[bytes]) -> tuple[set[bytes], set[bytes]]:
    """The column letters and the row digits that ``pattern``'s references name, each kept once.

    The part is cut just before a ``<``, which no reference holds, so no reference is split between slices.
    """
    letters: set[bytes] = set()
    digits: set[bytes] = set()
    start = 0
    while start < len(xml):
        end = xml.find(b"<", start + REF_SLICE)
        end = len(xml) if end < 0 else end
        refs = pattern.findall(xml, start, end)
        letters.update(map(itemgetter(0), refs))
        digits.update(map(itemgetter(1), refs))
        start = end
    return letters, digits


def _extent(xml: bytes) -> tuple[int, int] | None:
    """(last row, last column) the cell and row references name, or None when one is beyond Excel's grid.

    The letters and the digits are collected as two sets (a sheet repeats a
    few dozen column letters and one row number per row), so the cost is one
    scan of the part, not a Python step per cell.
    """
    letters, digits = _ref_parts(xml, _REF if _OTHER_REF_FORM.search(xml) else _PLAIN_REF)
    last_column = max((column_number(x.decode()) for x in letters if x), default=1)
    last_row = max((int(d) if len(d) < 13 else 10**13 for d in digits), default=1)
    if last_column > EXCEL_COLUMNS or last_row > EXCEL_ROWS:
        return None
    return last_row, last_column


def _refuse_beyond_grid(sheet: str, xml: bytes) -> NoReturn:
    """Refuse a sheet naming a cell beyond Excel's grid, naming the first such reference in the file."""
    refs = _REF.findall(xml)
    columns = {letters.upper(): column_number(letters.decode()) for letters in {r[0] for r in refs} if letters}
    letters, digits = next((letters, digits) for letters, digits in refs
                           if columns.get(letters.upper(), 1) > EXCEL_COLUMNS or len(digits) > 7
                           or int(digits) > EXCEL_ROWS)
    row = int(digits) if len(digits) < 13 else 10**13
    _check_extent(sheet, row, columns.get(letters.upper(), 1), f"{letters.decode()[:10]}{digits.decode()[:15]}")
    raise Refused(f"Sheet '{sheet}' has a cell beyond Excel's grid; save a clean copy and import that.")


def scan_xlsx_sheet(sheet: str, xml: bytes) -> _XlsxScan:
    """Extent, merged ranges and formulas of one worksheet part, outside comments; refuses what is too big."""
    xml = _strip_markup_comments(xml)
    extent = _extent(xml)
    if extent is None:
        _refuse_beyond_grid(sheet, xml)
    last_row, last_column = extent
    _check_extent(sheet, last_row, last_column, f"{column_letters(last_column)}{last_row}")
    refs = _MERGE.findall(xml) if b"mergeCell" in xml else []
    if len(refs) > MAX_MERGED:
        raise Refused(_too_many_merges(sheet, len(refs)))
    merged = [parse_range(sheet, ref.decode("utf-8", "replace")) for ref in refs]
    _check_merges(sheet, merged)
    found = [(int(digits) - 1, column_number(letters.decode()) - 1, text.decode())
             for letters, digits, text in _BLANK_INLINE.findall(xml)] if _WHITESPACE_TEXT.search(xml) else []
    blanks = [(row, column, text, text.strip(" \t\r\n")) for row, column, text in found]
    # _FORMULA tries every tag; its two branches are looked for by what they start or end with first.
    formulas = _PLAIN_FORMULA.search(xml) is not None or (
        _PREFIXED_FORMULA_END.search(xml) is not None and _FORMULA.search(xml) is not None)
    return _XlsxScan(merged, formulas, blanks)


_SI_END = re.compile(rb"</(?:\w+:)?si\s*>")
_TAG = re.compile(rb"<[^>]*>")
_ENTITY = re.compile(rb"&[#\w]{1,12};")


def check_shared_strings(xml: bytes, request: Request) -> None:
    """No shared text longer than a cell may hold: calamine copies it into every cell that uses it.

    Only entries whose XML is longer than the limit can hold that many
    characters, so only those are measured (tags removed, entities as one character).
    """
    for piece in _SI_END.split(_strip_markup_comments(xml)):
        if len(piece) <= request.max_cell_chars:
            continue
        entry = piece[max(piece.rfind(b"<si>"), piece.rfind(b"<si "), 0):]
        length = len(_ENTITY.sub(b"&", _TAG.sub(b"", entry)).decode("utf-8", "replace"))
        if length > request.max_cell_chars:
            raise Refused(f"A text in '{request.file_name}' (its shared strings) holds {length:,} characters; a cell "
                          f"may hold at most {request.max_cell_chars:,}. Shorten it (or link to a document) and "
                          "import again.")


def parse_range(sheet: str, ref: str) -> tuple[int, int, int, int]:
    """'A2:B5' -> (2, 1, 5, 2); a malformed reference is refused with the sheet named."""
    match = _RANGE.match(ref.strip())
    if match is None:
        raise Refused(f"Sheet '{sheet}' has a malformed merged range '{ref[:40]}'; save a clean copy of the file "
                      "and import that.")
    first_column, first_row = column_number(match.group(1)), int(match.group(2))
    last_column = column_number(match.group(3)) if match.group(3) else first_column
    last_row = int(match.group(4)) if match.group(4) else first_row
    return first_row, first_column, last_row, last_column


_SHEET = re.compile(rb"""<(?:\w+:)?sheet\s[^>]*?>""")
_ATTR = re.compile(rb"""([\w:]+)=["']([^"']*)["']""")
_RELATIONSHIP = re.compile(rb"""<(?:\w+:)?Relationship\s[^>]*?>""")


def _workbook_parts(archive: zipfile.ZipFile, names: list[str]) -> dict[str, str]:
    """Sheet name -> worksheet part path, from xl/workbook.xml and its relationships."""
    workbook = _strip_markup_comments(_read_part(archive, "xl/workbook.xml"))
    rels_name = "xl/_rels/workbook.xml.rels"
    rels = _strip_markup_comments(_read_part(archive, rels_name)) if rels_name in names else b""
    targets: dict[bytes, str] = {}
    for element in _RELATIONSHIP.findall(rels):
        attrs = dict(_ATTR.findall(element))
        target = attrs.get(b"Target", b"").decode("utf-8", "replace")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[attrs.get(b"Id", b"")] = path
    parts: dict[str, str] = {}
    for element in _SHEET.findall(workbook):
        attrs = {k.split(b":")[-1] if k != b"r:id" else k: v for k, v in _ATTR.findall(element)}
        rid = next((v for k, v in attrs.items() if k.endswith(b"id") and k != b"sheetId"), b"")
        name = _xml_unescape(attrs.get(b"name", b"").decode("utf-8", "replace"))
        if rid in targets:
            parts[name] = targets[rid]
    return parts


def _xml_unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


def _calamine(data: bytes) -> Any:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except CalamineError as error:
        raise Damaged(f"{type(error).__name__}: {str(error)[:120]}") from None


def _calamine_sheets(data: bytes, request: Request, kind: str, calamine_merges: bool) -> list[SheetData]:
    """Every sheet's cells as calamine reads them (merged ranges too if ``calamine_merges``: xls has no scan)."""
    from python_calamine import CalamineError, SheetTypeEnum, SheetVisibleEnum

    workbook = _calamine(data)
    sheets: list[SheetData] = []
    metadata = list(workbook.sheets_metadata)
    if len(metadata) > MAX_SHEETS:
        raise Refused(f"'{request.file_name}' has {len(metadata):,} sheets, more than the {MAX_SHEETS} the import "
                      "reads.")
    for index, meta in enumerate(metadata):
        if meta.typ not in (SheetTypeEnum.WorkSheet,):
            continue
        hidden = meta.visible != SheetVisibleEnum.Visible
        if hidden:
            sheets.append(SheetData(meta.name, True, [], kind=kind))
            continue
        try:
            sheet = workbook.get_sheet_by_index(index)
            end = sheet.end
            if end is not None:
                _check_extent(meta.name, end[0] + 1, end[1] + 1,
                              f"{column_letters(end[1] + 1)}{end[0] + 1}")
            texts: dict[str, str] = {}
            rows = _rows(sheet.to_python(skip_empty_area=False), texts)
            merged: list[tuple[int, int, int, int]] = []
            if calamine_merges:
                merged = [(a[0] + 1, a[1] + 1, b[0] + 1, b[1] + 1) for a, b in (sheet.merged_cell_ranges or [])]
                _check_merges(meta.name, merged)
        except CalamineError as error:
            raise Damaged(f"sheet '{meta.name}': {type(error).__name__}") from None
        if any(len(text) > request.max_cell_chars for text in texts):  # each text once; then find the first cell
            _check_cells(meta.name, rows, request.max_cell_chars)
        sheets.append(SheetData(meta.name, False, rows, merged, False, kind))
    return sheets


def scan_xlsx(archive: zipfile.ZipFile, names: list[str], request: Request) -> dict[str, _Scan]:
    """Each worksheet's scan; refuses what calamine must not be given (a part beyond its cap, a huge extent)."""
    scans: dict[str, _Scan] = {}
    for sheet, part in _workbook_parts(archive, names).items():
        if part in names:
            scan = scan_xlsx_sheet(sheet, _read_part(archive, part))
            scans[sheet] = (scan.merged, scan.has_formulas, scan.blanks)
    for name in names:  # every part calamine reads whole unpacks within its cap first
        if name.startswith("xl/styles.xml"):
            _read_part(archive, name)
        elif name.startswith("xl/sharedStrings.xml"):
            check_shared_strings(_read_part(archive, name), request)
    return scans


def read_xlsx(data: bytes, archive: zipfile.ZipFile, names: list[str], request: Request) -> list[SheetData]:
    scans = scan_xlsx(archive, names, request) if request.part == "all" else {}
    return with_scans(_calamine_sheets(data, request, "xlsx", calamine_merges=False), scans, request.max_cell_chars)


def _zip(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Damaged("not a readable zip archive") from None


# -- ods -----------------------------------------------------------------------------------------

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_T = f"{{{_TABLE_NS}}}"


def _count(element: Element, name: str, namespace: str = _T) -> int:
    """A repeat or span count (``table:`` unless told), 1 where it is missing or not a whole number."""
    raw = element.get(f"{namespace}{name}", "1")
    try:
        return max(1, int(raw))
    except ValueError:
        return 1


_X = f"{{{_TEXT_NS}}}"
_DROPPED = (f"{_X}tab", f"{_X}line-break")
"""The inline elements calamine leaves out of an .ods cell's text."""
MAX_TAB_CELLS = 100_000
"""Cells with a tab or line break an .ods file may have put back (repeats counted): beyond it the file is
refused, not read with them lost."""
MAX_SPACES = 32_767
"""Spaces one ``<text:s text:c="n"/>`` gives at most: an Excel cell's length (the cell check refuses more)."""


def _ods_inline_text(element: Element, dropped: str = "") -> str:
    """The text of one paragraph or span as ODF writes it: ``<text:s text:c="n"/>`` is n spaces,
    ``<text:tab/>`` a tab, ``<text:line-break/>`` a line break; other elements give their own text. With
    ``dropped`` set, tabs and line breaks are written as it (calamine's reading: "")."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == f"{_X}s":
            parts.append(" " * min(_count(child, "c", _X), MAX_SPACES))
        elif child.tag == f"{_X}tab":
            parts.append(dropped or "\t")
        elif child.tag == f"{_X}line-break":
            parts.append(dropped or "\n")
        else:
            parts.append(_ods_inline_text(child, dropped))
        parts.append(child.tail or "")
    return "".join(parts)


def _ods_dropped_text(element: Element) -> tuple[str, str] | None:
    """A string cell's text and calamine's reading of it, when the cell holds a tab or a line break inside a
    paragraph, which calamine drops from .ods cells ("a<tab/>b" reads "ab"); None for every other cell
    (calamine reads those whole, and a cell's office:string-value, when present, is the text itself)."""
    if element.get(f"{{{_OFFICE_NS}}}string-value") is not None or not any(
            node.tag in _DROPPED for node in element.iter()):
        return None
    paragraphs = [p for p in element if p.tag == f"{_X}p"]
    return ("\n".join(_ods_inline_text(p) for p in paragraphs),
            "\n".join(_ods_inline_text(p, "\0") for p in paragraphs).replace("\0", ""))


def _ods_cell_has_content(element: Element) -> bool:
    return element.get(f"{{{_OFFICE_NS}}}value-type") is not None or any(
        child.tag == f"{_X}p" for child in element)


@dataclass
class _OdsTable:
    name: str
    last_row: int = 0
    last_column: int = 0
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    has_formulas: bool = False
    tab_texts: list[tuple[int, int, str, str]] = field(default_factory=list)
    """(row, column, text, calamine's reading) of the cells holding a tab or line break, 0-based, repeats
    expanded."""


def scan_ods(content: bytes) -> dict[str, _OdsTable]:
    """Extent, spans and formulas of each table in content.xml, walked as a stream (repeats counted, not expanded)."""
    from xml.etree.ElementTree import ParseError, XMLPullParser

    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    tables: dict[str, _OdsTable] = {}
    table: _OdsTable | None = None
    row = column = 0
    row_repeat = 1
    depth = 0  # nested tables (sub-tables) are read as part of their parent

    def events(data: bytes) -> Iterator[tuple[str, Element]]:
        for at in range(0, len(data), CHUNK):
            parser.feed(data[at:at + CHUNK])
            yield from parser.read_events()  # type: ignore[misc]
        parser.close()
        yield from parser.read_events()  # type: ignore[misc]

    try:
        for event, element in events(content):
            tag = element.tag
            if tag == f"{_T}table":
                if event == "start":
                    depth += 1
                    if depth == 1:
                        table = _OdsTable(element.get(f"{_T}name", f"Sheet{len(tables) + 1}"))
                        row = 0
                else:
                    depth -= 1
                    if depth == 0 and table is not None:
                        tables[table.name] = table
                        _check_merges(table.name, table.merged)
                        table = None
                    element.clear()
            elif table is None:
                continue
            elif tag == f"{_T}table-row":
                if event == "start":
                    row_repeat = _count(element, "number-rows-repeated")
                    column = 0
                else:
                    row += row_repeat
                    element.clear()
            elif tag in (f"{_T}table-cell", f"{_T}covered-table-cell") and event == "end":
                repeat = _count(element, "number-columns-repeated")
                if element.get(f"{_T}formula") is not None:
                    table.has_formulas = True
                if tag == f"{_T}table-cell" and _ods_cell_has_content(element):
                    table.last_row = max(table.last_row, row + row_repeat)
                    table.last_column = max(table.last_column, column + repeat)
                    _check_extent(table.name, table.last_row, table.last_column,
                                  f"{column_letters(min(table.last_column, 99_999_999))}{table.last_row}")
                    texts = _ods_dropped_text(element)
                    if texts is not None:
                        if len(table.tab_texts) + repeat * row_repeat > MAX_TAB_CELLS:
                            raise Refused(f"Sheet '{table.name}' has more than {MAX_TAB_CELLS:,} cells with a tab "
                                          "or line break in them; save it as .xlsx or .csv and upload that.")
                        table.tab_texts.extend((r, c, *texts) for r in range(row, row + row_repeat)
                                               for c in range(column, column + repeat))
                rows_spanned, columns_spanned = _count(element, "number-rows-spanned"), _count(
                    element, "number-columns-spanned")
                if tag == f"{_T}table-cell" and (rows_spanned > 1 or columns_spanned > 1):
                    table.merged.append((row + 1, column + 1, row + rows_spanned, column + columns_spanned))
                    if len(table.merged) > MAX_MERGED:
                        _check_merges(table.name, table.merged)
                column += repeat
                element.clear()
    except ParseError as error:
        raise Damaged(f"content.xml: {error}") from None
    return tables


_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def scan_ods_file(archive: zipfile.ZipFile, names: list[str], request: Request) -> dict[str, _Scan]:
    """The spreadsheet's tables as scanned; refuses an OpenDocument file that is no spreadsheet."""
    mimetype = _read_part(archive, "mimetype").strip() if "mimetype" in names else _ODS_MIMETYPE
    if not mimetype.startswith(_ODS_MIMETYPE) or mimetype.endswith(b"-template"):
        raise Refused(f"'{request.file_name}' is an OpenDocument file but not a spreadsheet "
                      f"({mimetype.decode('ascii', 'replace')[:80]}); upload the register's .ods, .xlsx or .csv.")
    tables = scan_ods(_read_part(archive, "content.xml"))
    return {name: (t.merged, t.has_formulas, t.tab_texts) for name, t in tables.items()}


def read_ods(data: bytes, archive: zipfile.ZipFile, names: list[str], request: Request) -> list[SheetData]:
    scans = scan_ods_file(archive, names, request) if request.part == "all" else {}
    return with_scans(_calamine_sheets(data, request, "ods", calamine_merges=False), scans, request.max_cell_chars)


def scan_zip(data: bytes, request: Request) -> dict[str, _Scan]:
    """The "scan" half of reading a zip file: every check but calamine's, and the merges, formulas and blank
    cells found (a zip of CSV files has nothing to scan: its reading checks it)."""
    with _zip(data) as archive:
        names = check_archive(archive, request)
        if "xl/workbook.xml" in names:
            return scan_xlsx(archive, names, request)
        if "content.xml" in names:
            return scan_ods_file(archive, names, request)
        return {}


def read_zip(data: bytes, request: Request) -> list[SheetData]:
    """An xlsx/xlsm workbook, an ods spreadsheet or a zip of CSV files (this app's CSV export)."""
    with _zip(data) as archive:
        names = check_archive(archive, request)
        if "xl/workbook.xml" in names:
            return read_xlsx(data, archive, names, request)
        if "content.xml" in names:
            return read_ods(data, archive, names, request)
        csv_members = sorted(n for n in names if n.casefold().endswith(".csv"))
        if not csv_members:
            raise Refused(f"'{request.file_name}' is a zip archive but neither an Excel workbook (it has no "
                          "xl/workbook.xml), an OpenDocument spreadsheet nor a zip of CSV files; upload the .xlsx, "
                          ".ods or .csv register itself.")
        return [read_csv(_read_part(archive, n), posixpath.basename(n) or n, request)[0] for n in csv_members]


def read_xls(data: bytes, request: Request) -> list[SheetData]:
    return _calamine_sheets(data, request, "xls", calamine_merges=True)


# -- csv -----------------------------------------------------------------------------------------

def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def csv_delimiter(text: str) -> str:
    """Comma, semicolon (European Excel) or tab: the one that splits the first lines into the most columns.

    Only the delimiter is guessed; quoting is always the standard double quote
    (csv.Sniffer also guesses quote characters, and guesses them wrong on
    text that starts with an apostrophe).
    """
    head = "\n".join(text[:256 * 1024].splitlines()[:30])
    best, best_width = ",", 0
    for candidate in (",", ";", "\t"):
        try:
            widths = sorted(len(row) for row in csv.reader(io.StringIO(head), delimiter=candidate))
        except csv.Error:
            continue
        width = widths[len(widths) // 2] if widths else 0
        if width > best_width:
            best, best_width = candidate, width
    return best


def read_csv(data: bytes, name: str, request: Request) -> list[SheetData]:
    text = decode_text(data)
    csv.field_size_limit(max(request.max_bytes, 131072))
    rows: list[Row] = []
    cells = 0
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text)),
                                     start=1):
            if number > EXCEL_ROWS:
                raise Refused(f"'{name}' has more than {EXCEL_ROWS:,} lines, more than the import reads. Split it "
                              "into several files.")
            if len(row) > EXCEL_COLUMNS:
                raise Refused(f"Line {number:,} of '{name}' has {len(row):,} columns, more than the "
                              f"{EXCEL_COLUMNS:,} the import reads.")
            while row and not row[-1]:
                row.pop()
            cells += len(row)
            if cells > MAX_SHEET_CELLS:
                raise Refused(f"'{name}' holds more than {MAX_SHEET_CELLS:,} cells, more than the import reads in "
                              "one file. Split it into several files.")
            rows.append(tuple(v if v else None for v in row))
    except csv.Error as error:
        raise Damaged(f"not a well-formed CSV file: {error}") from None
    while rows and not rows[-1]:
        rows.pop()
    _check_cells(name, rows, request.max_cell_chars)
    return [SheetData(name, False, rows, kind="csv")]


# -- json (a Fides datamap export: a list of flat or nested records) ------------------------------

MAX_JSON_DEPTH = 8


def _flatten(value: Any, prefix: str, out: dict[str, str], depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise Refused("The JSON file nests records more than 8 levels deep; export the data map as a flat list.")
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, f"{prefix}.{key}" if prefix else str(key), out, depth + 1)
    elif isinstance(value, list):
        parts: list[str] = []
        for item in value:
            if isinstance(item, dict | list):
                nested: dict[str, str] = {}
                _flatten(item, "", nested, depth + 1)
                parts.append(", ".join(v for v in nested.values() if v))
            elif item is not None:
                parts.append(str(item))
        out[prefix] = "; ".join(p for p in parts if p)
    elif value is not None:
        out[prefix] = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) \
            else str(value)


def read_json(data: bytes, name: str, request: Request) -> list[SheetData]:
    """Records as rows under their (dotted) keys: a list, or the first list inside an object."""
    import json

    try:
        document = json.loads(decode_text(data))
    except (ValueError, RecursionError) as error:
        raise Damaged(f"not well-formed JSON: {str(error)[:80]}") from None
    records = document if isinstance(document, list) else next(
        (v for v in document.values() if isinstance(v, list)), None) if isinstance(document, dict) else None
    if not records or not all(isinstance(r, dict) for r in records):
        raise Refused(f"'{name}' holds no list of records; export the data map as JSON records (one per row).")
    if len(records) > EXCEL_ROWS:
        raise Refused(f"'{name}' holds more than {EXCEL_ROWS:,} records, more than the import reads.")
    flat: list[dict[str, str]] = []
    for record in records:
        out: dict[str, str] = {}
        _flatten(record, "", out, 0)
        flat.append(out)
    keys = list(dict.fromkeys(k for record in flat for k in record))
    if len(keys) > EXCEL_COLUMNS or len(keys) * len(flat) > MAX_SHEET_CELLS:
        raise Refused(f"'{name}' has {len(keys):,} different keys in {len(flat):,} records, more than the import "
                      "reads in one file.")
    rows: list[Row] = [tuple(keys)]
    rows.extend(tuple(record.get(k) or None for k in keys) for record in flat)
    _check_cells(name, rows, request.max_cell_chars)
    return [SheetData(name, False, rows, kind="json")]


# -- the child's entry point ---------------------------------------------------------------------

READERS = {"zip": read_zip, "xls": read_xls}


def read(data: bytes, request: Request) -> list[SheetData]:
    """Every sheet of the file, or ``Refused`` / ``Damaged``. Pure: the limits of the process are the caller's.

    With ``request.part == "cells"`` a workbook's sheets come without the scans (``scan_zip`` gives those, and
    ``with_scans`` joins the two halves).
    """
    if request.kind == "csv":
        return read_csv(data, request.file_name, request)
    if request.kind == "json":
        return read_json(data, request.file_name, request)
    return READERS[request.kind](data, request)


def apply_limits(memory_bytes: int, cpu_seconds: int) -> None:
    """Hard limits for this process: address space and CPU time (the kernel stops it beyond them)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def with_scans(sheets: list[SheetData], scans: dict[str, _Scan], max_chars: int) -> list[SheetData]:
    """The "cells" half joined with the "scan" half: what ``read`` gives for the whole file.

    Whitespace-only inline cells are put back where calamine dropped them (no value) or trimmed them (its
    value is the text without its outer spaces, tabs and line breaks, as for " \\u3000"), and an .ods
    file's tabs and line breaks inside a paragraph where calamine dropped them.
    """
    for sheet in sheets:
        if sheet.hidden or sheet.name not in scans:
            continue
        sheet.merged, sheet.has_formulas, misreads = scans[sheet.name]
        if misreads:
            rows = [list(r) for r in sheet.rows]
            for row, column, text, misread in misreads:
                rows.extend([] for _ in range(row + 1 - len(rows)))  # bounded: the scan checked the extent
                rows[row].extend([None] * (column + 1 - len(rows[row])))
                if rows[row][column] is None or rows[row][column] == misread:
                    rows[row][column] = text
            sheet.rows = [tuple(r) for r in rows]
            _check_cells(sheet.name, sheet.rows, max_chars)
    return sheets


def main(argv: list[str]) -> int:
    """``reader.py KIND MAX_BYTES MAX_CELL_CHARS MEMORY_BYTES CPU_SECONDS FILE_NAME PART``; the file on stdin."""
    kind, max_bytes, max_chars, memory, cpu, file_name, part = argv
    apply_limits(int(memory), int(cpu))
    # Every row built is kept until the answer is sent and the process ends, and rows hold no cycles: the
    # cyclic collector would only walk the growing heap again and again (a fifth of reading the cells).
    gc.disable()
    request = Request(kind, file_name, int(max_bytes), int(max_chars), part)
    data = sys.stdin.buffer.read(int(max_bytes) + 1)
    result: tuple[str, Any]
    try:
        result = ("ok", list(scan_zip(data, request).items()) if part == "scan" else
                  [(s.name, s.hidden, s.rows, s.merged, s.has_formulas, s.kind) for s in read(data, request)])
    except Refused as refused:
        result = ("refused", str(refused))
    except Damaged as damaged:
        result = ("damaged", str(damaged))
    except MemoryError:
        result = ("memory", "")
    except RecursionError:
        result = ("damaged", "nested too deeply")
    # Streamed as it is built, with the memo: a text repeated across a sheet's cells (one object, see _rows)
    # is sent once and unpickled as one object.
    pickler = pickle.Pickler(sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dump(result)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
