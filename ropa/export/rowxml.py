"""Body rows of the workbook written straight as worksheet XML, the text openpyxl would write for them.

openpyxl's write-only mode builds an ``Element`` and serialises it for every
cell: about five microseconds a cell, most of the time of an export (a
million cells at 10,000 activities). A row of plain values needs none of
that: its XML is a few f-strings. ``row_xml`` writes exactly the characters
openpyxl writes (inline strings, ``xml:space`` on padded text, the shared
style of each date type), so the file is the same, byte for byte; a test
holds the two writers equal.

A row with a value that needs openpyxl's care (text that could run as a
formula or holds characters to escape, a date type not seen yet, a value of
another type) gets ``None`` from ``row_xml`` and is written by openpyxl as
before; ``XmlRowsWorksheet`` takes both kinds of row in one sheet.
"""

from __future__ import annotations

import math
import re
from collections.abc import Generator, Sequence
from datetime import date, datetime
from typing import Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from ropa.columns import CellValue

FORMULA_OR_ESCAPE = re.compile(r"^[=+\-@\t\r#]|[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
"""Text that needs care: it could run as a formula or error literal, or holds what XML cannot carry."""
CAREFUL_FIRST = frozenset("=+-@#")
"""First characters that need a look (formulas, error literals); tab and carriage return are not printable."""
EXCEL_CELL_LIMIT = 32_767
MAY_OVERFLOW = EXCEL_CELL_LIMIT // 7
"""Escaping can make text up to seven times longer: text longer than this is measured after escaping."""

RAW_ROWS = not openpyxl.LXML
"""Rows are written as text only through the standard library's XML writer (openpyxl without lxml)."""


def wrapped_lines(text: str, per_line: int) -> int:
    """Lines ``text`` wraps to in a column that holds ``per_line`` characters a line."""
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def _xml_text(text: str) -> str:
    """Character data as ElementTree escapes it: only ``&``, ``<`` and ``>``."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


class DateStyles:
    """The cell style id and the serial-number text of dates, per date type, learnt from openpyxl's own cells.

    A date's style (its number format) is registered in the workbook when
    openpyxl first writes a date of that type; only then is its id known, so
    the first row holding one goes through openpyxl and ``learn`` reads the id.
    """

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self._ws = ws
        self._epoch: datetime = getattr(ws.parent, "epoch")  # noqa: B009  (not in openpyxl's type stubs)
        self.ids: dict[type, str] = {}
        self._serials: dict[date, str] = {}

    def learn(self, values: Sequence[object]) -> None:
        """Read the style ids of the date types in a row openpyxl has just written (registers nothing new)."""
        for value in values:
            kind = value.__class__
            if (kind is date or kind is datetime) and kind not in self.ids:
                self.ids[kind] = str(WriteOnlyCell(self._ws, value).style_id)  # type: ignore[arg-type]

    def serial(self, value: date) -> str:
        text = self._serials.get(value)
        if text is None:
            number = to_excel(value, self._epoch)  # type: ignore[no-untyped-call]
            text = self._serials[value] = f"{number:.16g}"
        return text


def row_xml(number: int, values: Sequence[CellValue], letters: Sequence[str], per_line: Sequence[int],
            dates: DateStyles) -> tuple[str, int] | None:
    """The ``<row>`` element of body row ``number`` and the lines its tallest cell wraps to (None: openpyxl's).

    ``letters`` and ``per_line`` have an entry for every cell: its column letter and the characters a line of
    its column holds. Most cells are short printable text: a few string methods in C tell so, and only the
    other cells are searched and measured. The caller adds the row height when it is more than one line.
    """
    r = str(number)
    parts: list[str] = []
    add = parts.append
    lines = 1
    for i, value in enumerate(values):
        kind = value.__class__
        if kind is str:
            text: str = value  # type: ignore[assignment]
            if not text:
                add(f'<c r="{letters[i]}{r}" t="inlineStr" />')
                continue
            limit = per_line[i]
            if len(text) > limit or not text.isprintable() or "_x" in text or text[0] in CAREFUL_FIRST:
                if FORMULA_OR_ESCAPE.search(text) or len(text) > MAY_OVERFLOW:
                    return None
                if len(text) > limit or "\n" in text:
                    lines = max(lines, wrapped_lines(text, limit))
            space = ' xml:space="preserve"' if (text[0].isspace() or text[-1].isspace()) and text.strip() else ""
            add(f'<c r="{letters[i]}{r}" t="inlineStr"><is><t{space}>{_xml_text(text)}</t></is></c>')
        elif value is None:
            continue
        elif kind is int or (kind is float and math.isfinite(value)):  # type: ignore[arg-type]
            add(f'<c r="{letters[i]}{r}" t="n"><v>{value:.16g}</v></c>')
        elif kind is bool:
            add(f'<c r="{letters[i]}{r}" t="b"><v>{1 if value else 0}</v></c>')
        elif kind is date or (kind is datetime and value.tzinfo is None):  # type: ignore[union-attr]
            style = dates.ids.get(kind)
            if style is None:
                return None
            add(f'<c r="{letters[i]}{r}" s="{style}" t="n"><v>{dates.serial(value)}</v></c>')  # type: ignore[arg-type]
        else:
            return None
    return "".join(parts), lines


def row_open(number: int, height: float | None) -> str:
    """A ``<row>`` start tag, with the custom height openpyxl writes for a row dimension of ``ht``."""
    if height is None:
        return f'<row r="{number}">'
    return f'<row r="{number}" ht="{height}" customHeight="1">'


class XmlRowsWorksheet(WriteOnlyWorksheet):
    """A write-only sheet that also takes whole rows already written as XML (``append_xml``).

    Rows keep their order whichever way they come: both are sent down the one
    stream openpyxl writes the sheet's XML into. (The attributes used are
    openpyxl's own, which its type stubs do not declare.)
    """

    def append_xml(self, xml: str) -> None:
        """Add one ``<row>`` element, written as it is."""
        sheet: Any = self
        sheet._get_writer()
        if sheet._rows is None:
            sheet._rows = self._write_rows()
            next(sheet._rows)
        sheet._rows.send(xml)

    def _write_rows(self) -> Generator[None, Any, None]:
        """openpyxl's row stream (``WriteOnlyWorksheet._write_rows``), passing text rows to the file as they are."""
        sheet: Any = self
        try:
            xf = sheet._writer.xf.send(True)
        except StopIteration:
            sheet._already_saved()
        raw = xf._file  # the text writer et_xmlfile serialises into
        with xf.element("sheetData"):
            row_idx = 1
            try:
                while True:
                    row = yield
                    if row.__class__ is str:
                        raw(row)
                    else:
                        sheet._writer.write_row(xf, sheet._values_to_row(row, row_idx), row_idx)
                    row_idx += 1
            except GeneratorExit:
                pass
        sheet._writer.xf.send(None)
