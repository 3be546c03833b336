"""The one CSV writer: every CSV a command or a page hands out is written here.

OWASP's CSV-injection guidance, applied to every cell:

- text a spreadsheet would run as a formula (leading ``=``, ``+``, ``-``, ``@``,
  tab or carriage return, also behind quotes) gets a leading ``'``
  (``ropa.columns.csv_protect``; the importer removes exactly that quote again);
- rows end in ``\\r\\n``, so Python's writer quotes every cell holding a ``\\r``
  or ``\\n``: a lone carriage return can never end a row early and start a
  new one with a formula (``"Travel\\r=2*21"`` stays one cell).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TextIO

from ropa.columns import CellValue, cell_text, csv_protect

LINE_END = "\r\n"
BOM = "\ufeff"


def safe_cell(value: CellValue) -> str:
    """A cell as text a spreadsheet shows and never runs: formulas neutralised, dates ISO 8601."""
    if isinstance(value, str):
        return csv_protect(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return cell_text(value)


def write_csv(stream: TextIO, rows: Iterable[Sequence[CellValue]]) -> None:
    """Write ``rows`` to an open text stream (opened with ``newline=""`` if it is a file)."""
    writer = csv.writer(stream, lineterminator=LINE_END, quoting=csv.QUOTE_MINIMAL)
    writer.writerows([safe_cell(v) for v in row] for row in rows)


def csv_bytes(rows: Iterable[Sequence[CellValue]], *, bom: bool = True) -> bytes:
    """UTF-8 CSV, by default with a byte-order mark so Excel opens it with the right characters."""
    buffer = io.StringIO(newline="")
    write_csv(buffer, rows)
    return ((BOM if bom else "") + buffer.getvalue()).encode("utf-8")
