"""The export as a zip of CSV files, one per sheet, plus ``columns.csv`` citing each column's article.

Each file is written by ``ropa.export.safecsv`` (UTF-8 with a byte-order mark;
formulas neutralised and line breaks quoted, OWASP CSV-injection guidance).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ropa.columns import CellValue
from ropa.export.data import ExportData
from ropa.export.safecsv import csv_bytes
from ropa.export.sheets import Sheet, build_sheets


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
            archive.writestr(name, csv_bytes(rows))
        archive.writestr("columns.csv", csv_bytes(citations))
