"""A lean reader of one worksheet's XML: rows of cached cell values, streamed.

openpyxl's read-only mode builds a descriptor object for every inline string
cell, which made re-importing a 10,000-activity export take most of a
minute. This reader walks the same XML with the standard library's
``iterparse`` and does only what the import needs: shared and inline strings,
numbers, booleans, errors, dates (by the workbook's date styles, which
openpyxl has already read) and cached formula results. Formulas themselves
are never evaluated. ``files.py`` falls back to openpyxl if anything here is
unexpected.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from xml.etree.ElementTree import Element, iterparse

from openpyxl.utils.datetime import from_excel, from_ISO8601

from ropa.columns import CellValue

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE = f"{_NS}row", f"{_NS}c", f"{_NS}v"
_INLINE, _TEXT, _RUN = f"{_NS}is", f"{_NS}t", f"{_NS}r"
_SHEET_DATA = f"{_NS}sheetData"


class UnexpectedSheet(Exception):
    """The XML is not laid out as this reader expects; the caller uses openpyxl instead."""


_COLUMN_CACHE: dict[str, int] = {}


def _column(reference: str) -> int:
    """0-based column of a cell reference such as 'AB12'."""
    letters = reference.rstrip("0123456789")
    index = _COLUMN_CACHE.get(letters)
    if index is None:
        index = 0
        for char in letters:
            index = index * 26 + (ord(char.upper()) - 64)
        index -= 1
        _COLUMN_CACHE[letters] = index
    return index


def _inline(cell: Element) -> str:
    holder = cell.find(_INLINE)
    if holder is None:
        return ""
    parts = []
    for child in holder:
        if child.tag == _TEXT:
            parts.append(child.text or "")
        elif child.tag == _RUN:
            text = child.find(_TEXT)
            if text is not None:
                parts.append(text.text or "")
    return "".join(parts)


def _number(text: str) -> int | float:
    return float(text) if ("." in text or "E" in text or "e" in text) else int(text)


class _Cells:
    """Turns a cell's type, style and raw text into its value."""

    def __init__(self, shared_strings: Sequence[object], date_styles: set[int], epoch: datetime,
                 unescape: Callable[[str], str]) -> None:
        self.shared = shared_strings
        self.date_styles = date_styles
        self.epoch = epoch
        self.unescape = unescape

    def value(self, kind: str, style: str | None, raw: str | None) -> CellValue:
        if raw is None or (raw == "" and kind != "str"):
            return None
        if kind == "s":
            shared = self.shared[int(raw)]
            return self.unescape(shared) if isinstance(shared, str) else str(shared)
        if kind in ("str", "e"):
            return self.unescape(raw)
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "d":
            parsed: datetime = from_ISO8601(raw)  # type: ignore[no-untyped-call]
            return parsed
        if kind == "n":
            try:
                number = _number(raw)
            except ValueError:
                raise UnexpectedSheet(f"number {raw[:20]!r}") from None
            if style and int(style) in self.date_styles:
                moment: datetime = from_excel(number, self.epoch)
                return moment
            return number
        raise UnexpectedSheet(f"cell type {kind!r}")


def read_sheet_rows(archive: zipfile.ZipFile, path: str, shared_strings: Sequence[object],
                    date_styles: set[int], epoch: datetime,
                    unescape: Callable[[str], str]) -> Iterator[tuple[CellValue, ...]]:
    """Rows from row 1 (missing rows as empty tuples), cells as cached values."""
    cells = _Cells(shared_strings, date_styles, epoch, unescape)
    expected = 1
    with archive.open(path) as stream:
        for _event, element in iterparse(stream, events=("end",)):
            if element.tag != _ROW:
                if element.tag == _SHEET_DATA:
                    return
                continue
            reference = element.get("r")
            number = int(reference) if reference else expected
            while expected < number:
                yield ()
                expected += 1
            values: list[CellValue] = []
            for cell in element:
                if cell.tag != _CELL:
                    continue
                where = cell.get("r")
                column = _column(where) if where else len(values)
                kind = cell.get("t", "n")
                value: CellValue
                if kind == "inlineStr":
                    value = unescape(_inline(cell))
                else:
                    value = cells.value(kind, cell.get("s"), cell.findtext(_VALUE))
                if column < len(values):
                    raise UnexpectedSheet("cells out of order")
                if column > len(values):
                    values.extend([None] * (column - len(values)))
                values.append(value)
            element.clear()
            expected = number + 1
            yield tuple(values)
