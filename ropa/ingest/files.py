"""Opening an uploaded register: size and type checks first, then sheets as rows of cell values.

Every way a file can be unusable ends in one ``ImportRejected`` with a
message saying what to do, raised before anything is written: too big (checked
before parsing), not a spreadsheet, damaged, password-protected, or beyond
what the reader holds. The cells are read in a child process with hard limits
(``sandbox`` runs ``reader``): xlsx, xlsm, xls and ods by python-calamine,
CSV by the standard library. Cached values only: no formula or macro is run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePath

from ropa.columns import CellValue, csv_unprotect
from ropa.ingest.reader import MAX_ROWS, MB, SheetData
from ropa.ingest.sandbox import ChildBounds, ImportRejected, Reading, damaged, start_reading

__all__ = ["MAX_ROWS", "MB", "ImportRejected", "Limits", "OpeningSource", "SheetSource", "Source", "check_size",
           "open_source", "sniff", "start_source"]

MAX_CELL_CHARS = 100_000
MAX_COLUMNS = 1_000
BLANK_RUN_LIMIT = 5_000

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_MARKER = "EncryptionInfo".encode("utf-16-le")
_ZIP_SUFFIXES = {".xlsx", ".xlsm", ".ods", ".zip"}
_TEXT_SUFFIXES = {".csv", ".txt"}


@dataclass(frozen=True)
class Limits:
    """How much one import may read (see docs/export-import.md)."""

    max_bytes: int = 25 * MB
    max_rows: int = MAX_ROWS
    max_cell_chars: int = MAX_CELL_CHARS
    bounds: ChildBounds = ChildBounds()

    @classmethod
    def from_megabytes(cls, megabytes: int) -> Limits:
        return cls(max_bytes=megabytes * MB)


@dataclass
class SheetSource:
    """One sheet (or the one CSV table): its rows on demand, and what the reader noticed."""

    name: str
    hidden: bool
    read_rows: Callable[[int], Iterator[tuple[CellValue, ...]]]
    """Rows from row 1, at most ``max_col`` values each (0 = as many as the row has)."""
    merged: Callable[[], list[tuple[int, int, int, int]]] = field(default=lambda: [])
    """Merged ranges as (first row, first column, last row, last column), 1-based."""
    has_formulas: Callable[[], bool] = field(default=lambda: False)


@dataclass
class Source:
    kind: str  # "xlsx", "xls", "ods" or "csv"
    sheets: list[SheetSource]
    notes: list[str]


def check_size(size: int, file_name: str, limits: Limits) -> None:
    """Refuse an upload above the limit before reading a byte of it."""
    if size > limits.max_bytes:
        raise ImportRejected(
            f"'{file_name}' is {size / MB:,.1f} MB; the import accepts files up to {limits.max_bytes / MB:,.0f} MB "
            "(setting ROPA_MAX_UPLOAD_MB). Split the register or remove embedded pictures and try again."
        )


def _suffix(file_name: str) -> str:
    return PurePath(file_name).suffix.casefold()


def sniff(data: bytes, file_name: str) -> str:
    """'zip' (xlsx, xlsm, ods or a zip of CSV files), 'xls' or 'csv', judged by the content (the name breaks ties)."""
    suffix = _suffix(file_name)
    if not data:
        raise ImportRejected(f"'{file_name}' is empty.")
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_MARKER in data:
            raise ImportRejected(
                f"'{file_name}' is password-protected (encrypted), so it cannot be read. In Excel choose "
                "File > Info > Protect Workbook > Encrypt with Password, clear the password, save, and upload again."
            )
        return "xls"
    if data.startswith(_ZIP_MAGIC):
        if suffix in _TEXT_SUFFIXES:
            raise ImportRejected(f"'{file_name}' is named like a CSV file but is a zip archive; upload the .xlsx.")
        return "zip"
    if suffix in _ZIP_SUFFIXES or suffix == ".xls":
        raise ImportRejected(damaged(file_name, "ods" if suffix == ".ods" else "xlsx"))
    if suffix == ".json" and data.lstrip()[:1] in (b"[", b"{"):
        return "json"
    if suffix in _TEXT_SUFFIXES and b"\x00" not in data[:65536]:
        return "csv"
    raise ImportRejected(
        f"'{file_name}' is not a spreadsheet the import reads: upload an Excel workbook (.xlsx, .xlsm, .xls), an "
        "OpenDocument spreadsheet (.ods) or a CSV file (or a data map's JSON export)."
    )


@dataclass
class OpeningSource:
    """An uploaded file being read by its child processes: ``source()`` waits for the sheets."""

    kind: str
    reading: Reading

    def source(self) -> Source:
        sheets = self.reading.sheets()
        return Source(sheets[0].kind if sheets else self.kind, [_sheet(s) for s in sheets], [])

    def close(self) -> None:
        self.reading.close()


def start_source(data: bytes, file_name: str, limits: Limits) -> OpeningSource:
    """Check and start reading an uploaded file (bounded child processes); the caller may work meanwhile."""
    check_size(len(data), file_name, limits)
    kind = sniff(data, file_name)
    return OpeningSource(kind, start_reading(data, kind, PurePath(file_name).name, limits.max_bytes,
                                             limits.max_cell_chars, limits.bounds))


@contextmanager
def open_source(data: bytes, file_name: str, limits: Limits) -> Iterator[Source]:
    """The sheets of an uploaded file, read by bounded child processes."""
    opening = start_source(data, file_name, limits)
    try:
        yield opening.source()
    finally:
        opening.close()


KIND_NAMES = {"xlsx": "Excel workbook", "xls": "Excel 97-2003 workbook", "ods": "OpenDocument spreadsheet",
              "csv": "CSV file", "json": "JSON file", "zip": "zip archive"}


def _sheet(data: SheetData) -> SheetSource:
    """CSV cells lose the quote this app's CSV export puts before formula-like text (see csv_protect)."""
    rows = data.rows if data.kind != "csv" else [
        tuple(csv_unprotect(v) if isinstance(v, str) else v for v in r) for r in data.rows]

    def read_rows(max_col: int) -> Iterator[tuple[CellValue, ...]]:
        if not max_col:
            return iter(rows)
        return (r[:max_col] for r in rows)

    merged, formulas = data.merged, data.has_formulas
    return SheetSource(data.name, data.hidden, read_rows, lambda: merged, lambda: formulas)
