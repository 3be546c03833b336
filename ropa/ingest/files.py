"""Opening an uploaded register: size and type checks first, then sheets as rows of cell values.

Every way a file can be unusable ends in one ``ImportRejected`` with a
message saying what to do, raised before anything is written: too big (checked
before parsing), not an xlsx or CSV, damaged, password-protected, an old .xls,
a zip that unpacks to far more than it weighs. Workbooks are read with
openpyxl's streaming reader and cached values only (``data_only``): formulas
are never evaluated.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from ropa.columns import CellValue, csv_unprotect, unescape_ooxml
from ropa.errors import RopaError
from ropa.ingest.sheetxml import UnexpectedSheet, read_sheet_rows

MB = 1024 * 1024
MAX_ROWS = 20_000
MAX_CELL_CHARS = 100_000
MAX_COLUMNS = 1_000
UNPACK_FACTOR = 20
BLANK_RUN_LIMIT = 5_000

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_MARKER = "EncryptionInfo".encode("utf-16-le")
_EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_TEXT_SUFFIXES = {".csv", ".txt"}
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


class ImportRejected(RopaError):
    """The file cannot be imported at all; the message says why and what to do."""


@dataclass(frozen=True)
class Limits:
    """How much one import may read (see docs/export-import.md)."""

    max_bytes: int = 25 * MB
    max_rows: int = MAX_ROWS
    max_cell_chars: int = MAX_CELL_CHARS

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
    merged: Callable[[], list[str]] = field(default=lambda: [])
    has_formulas: Callable[[], bool] = field(default=lambda: False)


@dataclass
class Source:
    kind: str  # "xlsx" or "csv"
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
    """'xlsx' or 'csv', judged by the content (the name only breaks ties)."""
    suffix = _suffix(file_name)
    if not data:
        raise ImportRejected(f"'{file_name}' is empty.")
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_MARKER in data:
            raise ImportRejected(
                f"'{file_name}' is password-protected (encrypted), so it cannot be read. In Excel choose "
                "File > Info > Protect Workbook > Encrypt with Password, clear the password, save, and upload again."
            )
        raise ImportRejected(
            f"'{file_name}' is an Excel 97-2003 workbook (.xls) or another old Office file; "
            "open it in Excel, save it as .xlsx and upload that."
        )
    if data.startswith(_ZIP_MAGIC):
        if suffix in _TEXT_SUFFIXES:
            raise ImportRejected(f"'{file_name}' is named like a CSV file but is a zip archive; upload the .xlsx.")
        return "xlsx"  # or a zip of CSV files (this app's CSV export): told apart once opened
    if suffix in _EXCEL_SUFFIXES or suffix == ".zip":
        raise ImportRejected(_damaged(file_name))
    if suffix in _TEXT_SUFFIXES and b"\x00" not in data[:65536]:
        return "csv"
    raise ImportRejected(
        f"'{file_name}' is not an Excel workbook (.xlsx) or a CSV file. Save the register in one of those "
        "formats and upload it again."
    )


def _damaged(file_name: str) -> str:
    return (f"'{file_name}' cannot be read as an Excel workbook: the file is damaged or incomplete. "
            "Open it in Excel, save it again as .xlsx and upload the new copy.")


def _check_zip(data: bytes, file_name: str, limits: Limits) -> list[str]:
    """The archive's member names, once it is known to be a workbook or a CSV export of reasonable size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportRejected(_damaged(file_name)) from None
    names = [m.filename for m in members]
    csv_members = [n for n in names if n.casefold().endswith(".csv")]
    if "xl/workbook.xml" not in names and not csv_members:
        raise ImportRejected(
            f"'{file_name}' is a zip archive but neither an Excel workbook (it has no xl/workbook.xml) nor a "
            "zip of CSV files; upload the .xlsx or .csv register itself."
        )
    unpacked = sum(m.file_size for m in members)
    allowed = limits.max_bytes * UNPACK_FACTOR
    if unpacked > allowed:
        raise ImportRejected(
            f"'{file_name}' unpacks to {unpacked / MB:,.0f} MB, more than the {allowed / MB:,.0f} MB the import "
            "reads; it is not an ordinary register. Save a copy with only the register sheet and try again."
        )
    return names


@contextmanager
def open_source(data: bytes, file_name: str, limits: Limits) -> Iterator[Source]:
    """The sheets of an uploaded file, open while the caller reads them."""
    check_size(len(data), file_name, limits)
    kind = sniff(data, file_name)
    if kind == "csv":
        yield _csv_source(data, file_name, limits)
        return
    names = _check_zip(data, file_name, limits)
    if "xl/workbook.xml" not in names:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheets = [_csv_source(archive.read(n), n, limits).sheets[0]
                      for n in sorted(names) if n.casefold().endswith(".csv")]
        yield Source("csv", sheets, [])
        return
    with warnings.catch_warnings():
        # openpyxl warns about features it drops (data validation, slicers): not the user's concern here.
        warnings.simplefilter("ignore")
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as error:
            raise ImportRejected(_damaged(file_name) + f" ({type(error).__name__})") from None
        except Exception as error:  # noqa: BLE001 - any parser failure means a damaged file
            raise ImportRejected(_damaged(file_name) + f" ({type(error).__name__})") from None
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            sheets = [_xlsx_sheet(ws, workbook, archive, file_name) for ws in workbook.worksheets]
            yield Source("xlsx", sheets, [])
        finally:
            workbook.close()


def _xlsx_sheet(ws: Any, workbook: Any, archive: zipfile.ZipFile, file_name: str) -> SheetSource:
    path = str(getattr(ws, "_worksheet_path", ""))
    title = str(getattr(ws, "title", "?"))

    def openpyxl_rows(max_col: int) -> Iterator[tuple[CellValue, ...]]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for row in ws.iter_rows(max_col=max_col or None, values_only=True):
                yield tuple(unescape_ooxml(v) if isinstance(v, str) else v for v in row)

    def lean_rows() -> Iterator[tuple[CellValue, ...]]:
        shared = getattr(ws, "_shared_strings", None)
        date_styles = getattr(workbook, "_date_formats", None)
        if not path or shared is None or date_styles is None:
            raise UnexpectedSheet("openpyxl internals not available")
        yield from read_sheet_rows(archive, path, shared, set(date_styles), workbook.epoch, unescape_ooxml)

    def read_rows(max_col: int) -> Iterator[tuple[CellValue, ...]]:
        done = 0
        try:
            try:
                for row in lean_rows():
                    done += 1
                    yield row[:max_col] if max_col else row
                return
            except UnexpectedSheet:
                pass
            for number, row in enumerate(openpyxl_rows(max_col), start=1):
                if number > done:
                    yield row
        except ImportRejected:
            raise
        except Exception as error:  # noqa: BLE001 - a damaged sheet surfaces while streaming
            raise ImportRejected(_damaged(file_name) + f" (sheet '{title}': {type(error).__name__})") from None

    def xml() -> bytes:
        try:
            return archive.read(path) if path else b""
        except (KeyError, zipfile.BadZipFile, OSError):
            return b""

    cache: dict[str, bytes] = {}

    def sheet_xml() -> bytes:
        if "xml" not in cache:
            cache["xml"] = xml()
        return cache["xml"]

    return SheetSource(
        name=title,
        hidden=getattr(ws, "sheet_state", "visible") != "visible",
        read_rows=read_rows,
        merged=lambda: [m.decode() for m in _MERGE.findall(sheet_xml())],
        has_formulas=lambda: _FORMULA.search(sheet_xml()) is not None,
    )


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _delimiter(text: str) -> str:
    """Comma, semicolon (European Excel) or tab: the one that splits the first lines into the most columns.

    Only the delimiter is guessed; quoting is always the standard double quote
    (csv.Sniffer also guesses quote characters, and guesses them wrong on
    text that starts with an apostrophe).
    """
    head = "\n".join(text.splitlines()[:30])
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


def _csv_source(data: bytes, file_name: str, limits: Limits) -> Source:
    text = _decode(data)
    delimiter = _delimiter(text)

    def read_rows(max_col: int) -> Iterator[tuple[CellValue, ...]]:
        previous = csv.field_size_limit()
        csv.field_size_limit(max(limits.max_bytes, previous))
        try:
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
                values = row[:max_col] if max_col else row
                yield tuple(csv_unprotect(v) for v in values)
        except csv.Error as error:
            raise ImportRejected(f"'{file_name}' is not a well-formed CSV file: {error}.") from None
        finally:
            csv.field_size_limit(previous)

    return Source("csv", [SheetSource(name=PurePath(file_name).name, hidden=False, read_rows=read_rows)], [])
