"""The export as a zip of CSV files, one per sheet, plus ``columns.csv`` citing each column's article.

Files are UTF-8 with a byte-order mark (so Excel opens them with the right
characters). Text a spreadsheet would run as a formula (leading ``=``, ``+``,
``-``, ``@``, tab or carriage return) gets a leading ``'`` (OWASP CSV
injection guidance); the importer removes exactly that quote again.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

from ropa.columns import CellValue, cell_text, csv_protect
from ropa.export.data import ExportData
from ropa.export.sheets import Sheet, build_sheets


def _cell(value: CellValue) -> str:
    if isinstance(value, str):
        return csv_protect(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return cell_text(value)


def _csv_bytes(rows: list[list[CellValue]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_csv_zip(data: ExportData, path: str | Path, sheets: list[Sheet] | None = None) -> None:
    sheets = sheets if sheets is not None else build_sheets(data)
    citations: list[list[CellValue]] = [["File", "Column", "Article"]]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, sheet in enumerate(sheets):
            name = f"{number:02d}_{sheet.file_stem}.csv"
            rows: list[list[CellValue]] = []
            if sheet.is_table:
                rows.append([c.heading for c in sheet.columns])
                citations.extend([name, c.heading, c.article] for c in sheet.columns)
            rows.extend(sheet.rows)
            archive.writestr(name, _csv_bytes(rows))
        archive.writestr("columns.csv", _csv_bytes(citations))
