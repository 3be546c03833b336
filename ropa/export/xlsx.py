"""The workbook a regulator reads: openpyxl write-only mode, styled headers, safe cells.

Speed: body cells are written as plain values (no per-cell style object);
the workbook's default cell format wraps text and aligns it to the top, so
every body cell still displays wrapped. Body rows of plain values go into
the sheet as XML text (``ropa.export.rowxml``), the characters openpyxl
would write for them, without its per-cell objects. ``write_floor`` writes
the same cell values with bare write-only openpyxl, the floor the export is
measured against.

Safety: text a spreadsheet would run (leading ``=``, ``+``, ``-``, ``@``,
tab, carriage return, or an error literal like ``#N/A``) is stored as an
inline string with the quote-prefix style, so no ``<f>`` formula element is
ever written and the value reads back unchanged. Characters XML cannot hold
are written with the standard ``_xHHHH_`` escape (ECMA-376 ST_Xstring).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.properties import PageSetupProperties

from ropa.columns import XML_ILLEGAL, CellValue, cell_text, escape_ooxml
from ropa.errors import RopaError
from ropa.export.data import ExportData
from ropa.export.rowxml import (
    CAREFUL_FIRST,
    EXCEL_CELL_LIMIT,
    FORMULA_OR_ESCAPE,
    MAY_OVERFLOW,
    RAW_ROWS,
    DateStyles,
    XmlRowsWorksheet,
    row_open,
    row_xml,
    wrapped_lines,
)
from ropa.export.sheets import RenderedRows, Sheet, build_sheets
from ropa.gcpause import gc_paused

GENERATOR = "ropa"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

GROUP_FILLS = {"art30": "1F4E79", "ico_extra": "1E6B5C", "record": "595959", "plain": "1F4E79"}


class _Styles:
    """The few styles the workbook uses, created once per worksheet."""

    def __init__(self) -> None:
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.header_alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        self.white_bold = Font(bold=True, color="FFFFFF")
        self.citation_font = Font(italic=True, size=8, color="595959")
        self.fills = {k: PatternFill("solid", start_color=v, end_color=v) for k, v in GROUP_FILLS.items()}
        self.citation_fill = PatternFill("solid", start_color="EDEDED", end_color="EDEDED")


def _safe_text(ws: WriteOnlyWorksheet, value: str, styles: _Styles) -> str | Cell:
    escaped = escape_ooxml(value)
    if len(escaped) > EXCEL_CELL_LIMIT:
        raise RopaError(
            f"A cell on sheet '{ws.title}' would hold {len(escaped):,} characters, more than Excel's limit of "
            f"{EXCEL_CELL_LIMIT:,} (it starts '{value[:40]}'); export this register as JSON, or shorten that text."
        )
    if value.startswith(_FORMULA_START) or value in ERROR_CODES:
        cell = WriteOnlyCell(ws, escaped)
        cell.data_type = "s"
        cell.quotePrefix = True
        cell.alignment = styles.wrap
        return cell
    return escaped


def safe_row(ws: WriteOnlyWorksheet, values: Sequence[CellValue], styles: _Styles) -> list[object]:
    """A body row ready for ``append``: plain values, except text that needs care."""
    row: list[object] = list(values)
    for i, value in enumerate(row):
        if isinstance(value, str) and (FORMULA_OR_ESCAPE.search(value) or len(value) > MAY_OVERFLOW):
            row[i] = _safe_text(ws, value, styles)
        elif isinstance(value, datetime):
            row[i] = value.replace(tzinfo=None)
    return row


def _body_row(ws: WriteOnlyWorksheet, values: Sequence[CellValue], per_line: Sequence[int],
              styles: _Styles) -> tuple[list[object], int]:
    """One pass over a body row: the values ready to append, and how many lines its tallest cell wraps to.

    ``per_line`` has an entry for every cell. Most cells are short printable text that fits one line: a few
    string methods in C tell so, and only the other cells are searched for what needs care and measured
    (this loop runs for a million cells in an export of 10,000 activities; the search on every cell took
    a third of a second more than the floor's).
    """
    row: list[object] = list(values)
    lines = 1
    for i, value in enumerate(row):
        if value.__class__ is str:
            text: str = value
            if text and (len(text) > per_line[i] or not text.isprintable() or "_x" in text
                         or text[0] in CAREFUL_FIRST):
                if FORMULA_OR_ESCAPE.search(text) or len(text) > MAY_OVERFLOW:
                    row[i] = _safe_text(ws, text, styles)
                limit = per_line[i]
                if len(text) > limit or "\n" in text:
                    lines = max(lines, wrapped_lines(text, limit))
        elif value.__class__ is datetime:
            row[i] = value.replace(tzinfo=None)
    return row, lines


def _wrap_by_default(workbook: Workbook) -> None:
    """Make the workbook's Normal style wrap and top-align, so unstyled body cells display wrapped.

    Body cells carry no style of their own (that is what keeps the export
    near the write-only floor); they take the Normal cell style. openpyxl has
    no public setter for the built-in Normal style; a test reads the saved
    styles.xml to make sure this still holds.
    """
    for style in workbook._named_styles:  # type: ignore[attr-defined]
        if style.name == "Normal":
            style.alignment = Alignment(wrap_text=True, vertical="top")


LINE_HEIGHT = 15.0
MAX_ROW_HEIGHT = 409.0
CHARS_PER_WIDTH = 1.15


def row_height(values: Sequence[object], widths: Sequence[int]) -> float | None:
    """Points needed to show every line of wrapped text in the row (None: one line is enough).

    Spreadsheets do not always fit the height of wrapped text on opening (LibreOffice does not for
    unstyled cells), so the export states it.
    """
    lines = 1
    for value, width in zip(values, widths, strict=False):
        if not isinstance(value, str):
            continue
        per_line = max(1, int(width * CHARS_PER_WIDTH))
        if len(value) <= per_line and "\n" not in value:
            continue
        count = sum(max(1, -(-len(part) // per_line)) for part in value.split("\n"))
        lines = max(lines, count)
    if lines == 1:
        return None
    return min(MAX_ROW_HEIGHT, LINE_HEIGHT * lines)


def _header_cell(ws: WriteOnlyWorksheet, text: str, group: str, styles: _Styles) -> Cell:
    cell = WriteOnlyCell(ws, escape_ooxml(text))
    cell.data_type = "s"
    cell.font = styles.white_bold
    cell.fill = styles.fills.get(group, styles.fills["plain"])
    cell.alignment = styles.header_alignment
    return cell


def _citation_cell(ws: WriteOnlyWorksheet, text: str, styles: _Styles) -> Cell:
    cell = WriteOnlyCell(ws, escape_ooxml(text))
    cell.data_type = "s"
    cell.font = styles.citation_font
    cell.fill = styles.citation_fill
    cell.alignment = styles.wrap
    return cell


def _plain(text: str, limit: int) -> str:
    """Text for a page header or document property: no characters XML cannot hold, '&' doubled for headers."""
    return XML_ILLEGAL.sub("", text)[:limit].replace("&", "&&")


A4 = 9
MARGIN_INCHES = 0.4
A4_LANDSCAPE_POINTS = (297 / 25.4 - 2 * MARGIN_INCHES) * 72
"""Printable width of an A4 page in landscape, in points."""
BODY_POINTS = 11.0
SMALLEST_PRINTED_POINTS = 8.5
"""Fit-to-width never shrinks the 11 pt body text below this: wide sheets print several pages wide instead."""


def _column_points(width: float) -> float:
    """Printed width of a column of ``width`` characters (Excel: 7 px a character plus 5 px padding, 96 dpi)."""
    return (width * 7 + 5) * 0.75


def pages_wide(widths: Sequence[int], printed: int, title_columns: int) -> int:
    """A4 landscape pages across which the first ``printed`` columns fit at no less than 8.5 pt.

    The ``title_columns`` (entity and activity) are repeated on every page, so each further page holds less.
    """
    page = A4_LANDSCAPE_POINTS * BODY_POINTS / SMALLEST_PRINTED_POINTS
    titles = sum(_column_points(w) for w in widths[:title_columns])
    body = sum(_column_points(w) for w in widths[title_columns:printed])
    if titles + body <= page:
        return 1
    return max(1, -(-int(body) // int(page - titles)))


def _page_setup(ws: Any, sheet: Sheet, header_rows: int, organisation: str, footer: str) -> None:
    setup = ws.page_setup
    setup.orientation = "landscape"
    setup.paperSize = A4
    widths = sheet.column_widths
    setup.fitToWidth = pages_wide(widths, sheet.print_columns or len(widths), sheet.title_columns)
    setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    margins = ws.page_margins
    margins.left = margins.right = MARGIN_INCHES
    margins.top = margins.bottom = 0.6
    if header_rows:
        ws.print_title_rows = f"1:{header_rows}"
    if sheet.title_columns:
        ws.print_title_cols = f"A:{get_column_letter(sheet.title_columns)}"
    header_footer = ws.HeaderFooter
    header_footer.oddHeader.left.text = _plain(organisation, 120)
    header_footer.oddHeader.right.text = _plain(sheet.title, 60)
    header_footer.oddFooter.left.text = _plain(footer, 120)
    header_footer.oddFooter.right.text = "Page &P of &N"


def _widths(ws: Any, widths: Sequence[int]) -> None:
    dimensions = ws.column_dimensions
    for i, width in enumerate(widths, start=1):
        dimensions[get_column_letter(i)].width = width


def _declare_dimension(ws: Any, ref: str) -> None:
    """Write the sheet's <dimension> up front (write-only mode cannot know it, but we do).

    Readers use it to size the sheet; without it openpyxl's read-only mode
    parses a whole sheet once more just to find out, which doubled the time
    to re-import a large export.
    """
    ws.calculate_dimension = lambda: ref


PROGRESS_EVERY = 2_000
"""Rows between two progress reports while a sheet is written."""


def _write_table(workbook: Workbook, sheet: Sheet, styles: _Styles, organisation: str, footer: str,
                 report: Callable[[int], object], raw: bool = RAW_ROWS) -> None:
    """A table sheet; ``raw`` writes the plain body rows as XML text (``ropa.export.rowxml``), else openpyxl does."""
    ws: Any = XmlRowsWorksheet(parent=workbook, title=sheet.title)
    workbook._add_sheet(ws)  # type: ignore[attr-defined]
    n_columns = len(sheet.columns)
    last = get_column_letter(max(n_columns, 1))
    _declare_dimension(ws, f"A1:{last}{(2 if any(c.article for c in sheet.columns) else 1) + len(sheet.rows)}")
    _widths(ws, sheet.column_widths)
    has_citations = any(c.article for c in sheet.columns)
    header_row = 2 if has_citations else 1
    ws.freeze_panes = f"A{header_row + 1}"
    end_row = header_row + max(len(sheet.rows), 1)
    ws.auto_filter.ref = f"A{header_row}:{last}{end_row}"
    _page_setup(ws, sheet, header_row, organisation, footer)
    printed = get_column_letter(sheet.print_columns or n_columns)
    ws.print_area = f"A1:{printed}{end_row}"
    widths = sheet.column_widths
    heights = ws.row_dimensions
    if has_citations:
        heights[1].height = 24
        ws.append([_citation_cell(ws, c.article, styles) for c in sheet.columns])
    heights[header_row].height = row_height([c.heading for c in sheet.columns], [int(w * 0.8) for w in widths]) or 30
    ws.append([_header_cell(ws, c.heading, c.group, styles) for c in sheet.columns])
    per_line = [max(1, int(w * CHARS_PER_WIDTH)) for w in widths]
    cells = sheet.rows.width if isinstance(sheet.rows, RenderedRows) else max(map(len, sheet.rows), default=0)
    per_line += [MAY_OVERFLOW] * (cells - len(per_line))  # cells beyond the headings
    letters = [get_column_letter(i) for i in range(1, cells + 1)]
    dates = DateStyles(ws)
    for number, values in enumerate(sheet.rows, start=header_row + 1):
        written = row_xml(number, values, letters, per_line, dates) if raw else None
        if written is not None:
            xml, lines = written
            height = min(MAX_ROW_HEIGHT, LINE_HEIGHT * lines) if lines > 1 else None
            ws.append_xml(f"{row_open(number, height)}{xml}</row>")
        else:
            row, lines = _body_row(ws, values, per_line, styles)
            if lines > 1:
                # A plain mapping is what the row writer reads; a RowDimension object per row costs a second.
                heights[number] = {"ht": str(min(MAX_ROW_HEIGHT, LINE_HEIGHT * lines)), "customHeight": "1"}
            ws.append(row)
            dates.learn(row)
        if not number % PROGRESS_EVERY:
            report(PROGRESS_EVERY)
    report(len(sheet.rows) % PROGRESS_EVERY)


def _write_cover(workbook: Workbook, sheet: Sheet, styles: _Styles, organisation: str, footer: str) -> None:
    ws = workbook.create_sheet(sheet.title)
    widths = sheet.column_widths
    _declare_dimension(ws, f"A1:{get_column_letter(len(widths))}{max(len(sheet.rows), 1)}")
    _widths(ws, widths)
    _page_setup(ws, sheet, 0, organisation, footer)
    ws.page_setup.orientation = "portrait"
    fonts = {"title": Font(bold=True, size=16), "subtitle": Font(size=13, color="404040"),
             "section": Font(bold=True, size=12), "entity": Font(bold=True, size=11, color="1F4E79"),
             "subheader": Font(bold=True, size=9, color="595959"), "fact": Font(bold=True), "label": Font(bold=True)}
    spans = {row: (first, last) for row, first, last in sheet.merges}
    for index, values in enumerate(sheet.rows):
        number = index + 1
        style = sheet.styles.get(index, "")
        span = spans.get(index)
        if span is not None:
            first, last = span
            ws.merged_cells.add(f"{get_column_letter(first + 1)}{number}:{get_column_letter(last + 1)}{number}")
            merged_width = sum(widths[first:last + 1])
            cells = list(values[:first]) + ["\n".join(cell_text(v) for v in values[first:] if v is not None)]
            height = row_height(cells, [*widths[:first], merged_width])
        else:
            cells = list(values)
            height = row_height(cells, widths)
        if style == "title":
            height = 24
        if height:
            ws.row_dimensions[number].height = height
        row = safe_row(ws, cells, styles)
        font = fonts.get(style)
        if font is not None and row and isinstance(row[0], str):
            first_cell = WriteOnlyCell(ws, row[0])
            first_cell.data_type = "s"
            first_cell.font = font
            first_cell.alignment = styles.wrap
            row[0] = first_cell
        if style == "subheader":
            row = [_small_cell(ws, str(v), fonts["subheader"], styles) if isinstance(v, str) else v for v in row]
        ws.append(row)


def _small_cell(ws: WriteOnlyWorksheet, text: str, font: Font, styles: _Styles) -> Cell:
    cell = WriteOnlyCell(ws, text)
    cell.data_type = "s"
    cell.font = font
    cell.alignment = styles.wrap
    return cell


def _no_progress(_: str, __: float) -> None:
    return None


def write_xlsx(data: ExportData, path: str | Path, sheets: list[Sheet] | None = None, *,
               progress: Callable[[str, float], object] = _no_progress, raw_rows: bool = RAW_ROWS) -> None:
    """Write the export workbook to ``path``; ``progress`` hears how many rows are written (0 to 1).

    ``raw_rows=False`` has openpyxl write every body cell: the same file, five times slower (where lxml is
    installed openpyxl serialises through it, and this is the only way).
    """
    progress("Laying out the sheets", 0.0)
    if sheets is None:
        with gc_paused():
            sheets = build_sheets(data)
    total = max(1, sum(len(s.rows) for s in sheets))
    written = [0]

    def report(sheet: Sheet) -> Callable[[int], object]:
        def count(rows: int) -> None:
            written[0] += rows
            progress(f"Writing sheet '{sheet.title}': {written[0]:,} of {total:,} rows", 0.9 * written[0] / total)
        return count

    workbook = Workbook(write_only=True)
    _wrap_by_default(workbook)
    properties = workbook.properties
    properties.creator = GENERATOR
    properties.title = XML_ILLEGAL.sub("", f"Record of processing activities: {data.organisation}")[:250]
    properties.subject = "GDPR / UK GDPR Article 30 record"
    properties.description = f"content sha256 {data.content_sha256}; as of {data.options.as_of.isoformat()}"
    styles = _Styles()
    footer = f"Exported {data.generated_at:%Y-%m-%d %H:%M} UTC; as of {data.options.as_of.isoformat()}"
    try:
        with gc_paused():  # the activity and transfer rows are rendered as they are written
            for sheet in sheets:
                if sheet.is_table:
                    _write_table(workbook, sheet, styles, data.organisation, footer, report(sheet), raw_rows)
                else:
                    _write_cover(workbook, sheet, styles, data.organisation, footer)
    except BaseException:
        _abandon(workbook)
        raise
    progress("Saving the workbook", 0.9)
    workbook.save(str(path))
    progress("Workbook saved", 1.0)


def _abandon(workbook: Workbook) -> None:
    """Close the half-written sheets of a failed export so nothing writes to them later."""
    for ws in workbook.worksheets:
        with contextlib.suppress(Exception):
            ws.close()


def sheet_cells(sheets: list[Sheet]) -> dict[str, list[list[CellValue]]]:
    """Every cell value the export writes, sheet by sheet (header rows included): the floor's input."""
    cells: dict[str, list[list[CellValue]]] = {}
    for sheet in sheets:
        rows: list[list[CellValue]] = []
        if sheet.is_table:
            if any(c.article for c in sheet.columns):
                rows.append([c.article for c in sheet.columns])
            rows.append([c.heading for c in sheet.columns])
        rows.extend(sheet.rows)
        cells[sheet.title] = rows
    return cells


def write_floor(sheets: Mapping[str, Sequence[Sequence[CellValue]]], path: str | Path) -> None:
    """The same cell values written with bare openpyxl write-only mode: no styles, no page setup.

    The benchmark's yardstick for ``write_xlsx``: what openpyxl alone needs to
    write these cells. Text is escaped as in the export so both write the
    same strings (it is not protected against formulas: this file is thrown away).
    """
    workbook = Workbook(write_only=True)
    for title, rows in sheets.items():
        ws = workbook.create_sheet(title)
        for values in rows:
            ws.append([escape_ooxml(v) if isinstance(v, str) and XML_ILLEGAL.search(v) else v for v in values])
    workbook.save(str(path))

