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

import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from xml.etree.ElementTree import XML, Element, ParseError

from openpyxl.utils.datetime import from_excel, from_ISO8601

from ropa.columns import CellValue

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE = f"{_NS}row", f"{_NS}c", f"{_NS}v"
_INLINE, _TEXT, _RUN = f"{_NS}is", f"{_NS}t", f"{_NS}r"


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


CHUNK_BYTES = 4 * 1024 * 1024
_SHEET_DATA_START = re.compile(rb"<(?:(\w+):)?sheetData(?:\s[^>]*)?(/?)>")
_ROOT_START = re.compile(rb"<(?:\w+:)?worksheet\b[^>]*>")


def read_sheet_rows(archive: zipfile.ZipFile, path: str, shared_strings: Sequence[object],
                    date_styles: set[int], epoch: datetime,
                    unescape: Callable[[str], str]) -> Iterator[tuple[CellValue, ...]]:
    """Rows from row 1 (missing rows as empty tuples), cells as cached values.

    The rows are parsed a few megabytes at a time: each chunk of whole
    ``<row>`` elements is parsed by the C parser into a small tree, which is
    several times faster than an event per element and still bounded in memory.
    """
    cells = _Cells(shared_strings, date_styles, epoch, unescape)
    expected = 1
    for chunk in _row_chunks(archive, path):
        for element in chunk:
            if element.tag != _ROW:
                continue
            reference = element.get("r")
            number = int(reference) if reference else expected
            while expected < number:
                yield ()
                expected += 1
            yield _row_values(element, cells)
            expected = number + 1


def _row_values(element: Element, cells: _Cells) -> tuple[CellValue, ...]:
    values: list[CellValue] = []
    unescape = cells.unescape
    for cell in element:
        if cell.tag != _CELL:
            continue
        where = cell.get("r")
        if where:
            letters = where.rstrip("0123456789")
            column = _COLUMN_CACHE.get(letters)
            if column is None:
                column = _column(where)
        else:
            column = len(values)
        kind = cell.get("t", "n")
        value: CellValue
        if kind == "inlineStr":
            holder = cell[0] if len(cell) == 1 else None
            if holder is not None and holder.tag == _INLINE and len(holder) == 1 and holder[0].tag == _TEXT:
                value = unescape(holder[0].text or "")
            else:
                value = unescape(_inline(cell))
        else:
            value = cells.value(kind, cell.get("s"), cell.findtext(_VALUE))
        if column < len(values):
            raise UnexpectedSheet("cells out of order")
        if column > len(values):
            values.extend([None] * (column - len(values)))
        values.append(value)
    return tuple(values)


def _row_chunks(archive: zipfile.ZipFile, path: str) -> Iterator[Element]:
    """The sheet's rows as a series of parsed chunks (each a root element whose children are rows)."""
    with archive.open(path) as stream:
        head = stream.read(CHUNK_BYTES)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"UTF-16" in head[:200].upper():
            raise UnexpectedSheet("not UTF-8")
        root = _ROOT_START.search(head)
        start = _SHEET_DATA_START.search(head)
        while start is None and len(head) < 64 * 1024 * 1024:
            more = stream.read(CHUNK_BYTES)
            if not more:
                break
            head += more
            root = root or _ROOT_START.search(head)
            start = _SHEET_DATA_START.search(head)
        if root is None or start is None or start.group(2) == b"/":
            return
        prefix = start.group(1) + b":" if start.group(1) else b""
        opener, closer = root.group(0), b"</" + root.group(0)[1:].split()[0].rstrip(b">") + b">"
        row_mark, data_end = b"<" + prefix + b"row", b"</" + prefix + b"sheetData>"
        pending = head[start.end():]
        while True:
            more = stream.read(CHUNK_BYTES)
            ended = data_end in pending
            if ended:
                pending = pending[: pending.index(data_end)]
            if not more or ended:
                if pending.strip():
                    yield _parse(opener + pending + closer)
                return
            pending += more
            cut = pending.rfind(row_mark)
            if cut > 0:
                yield _parse(opener + pending[:cut] + closer)
                pending = pending[cut:]


def _parse(xml: bytes) -> Element:
    try:
        return XML(xml)
    except ParseError as error:
        raise UnexpectedSheet(f"XML: {error}") from None
