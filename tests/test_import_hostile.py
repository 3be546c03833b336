"""Files an import must refuse with one clear message, writing nothing."""

from __future__ import annotations

import io
import re
import signal
import struct
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import Workbook
from test_import import EXAMPLE_ROWS, ICO_HEADINGS, ico_row, ico_workbook

from ropa.config import DEFAULT_MAX_UPLOAD_MB
from ropa.ingest import Limits, import_file, plan_import, sandbox
from ropa.ingest.files import MAX_ROWS, MB, ImportRejected
from ropa.ingest.reader import CSV_MEMBER_CAP
from ropa.ingest.sandbox import ChildBounds
from ropa.models import Entity
from ropa.storage.database import Database
from tests.factories import DPO

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when


def _workbook(fill: Callable[[Workbook], None]) -> bytes:
    workbook = Workbook()
    fill(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _no_headings(workbook: Workbook) -> None:
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Name", "Value"])
    sheet.append(["Budget", 1200])


def _hidden_register(workbook: Workbook) -> None:
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Notes"])
    hidden = workbook.create_sheet("Register")
    hidden.append(ICO_HEADINGS)
    hidden.append(ico_row(c2="Payroll"))
    hidden.sheet_state = "hidden"


def _huge_cell() -> bytes:
    """A workbook with a 1 MB cell (openpyxl itself cuts text at 32,767 characters, so the XML is edited)."""
    def fill(workbook: Workbook) -> None:
        sheet = workbook.active
        assert sheet is not None
        sheet.append(ICO_HEADINGS)
        sheet.append(ico_row(c2="PLACEHOLDER"))

    source = zipfile.ZipFile(io.BytesIO(_workbook(fill)))
    members = {info.filename: source.read(info.filename) for info in source.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = members[sheet].replace(b"PLACEHOLDER", b"x" * (1024 * 1024))
    return _zip_of(members)


def _headings_only(workbook: Workbook) -> None:
    sheet = workbook.active
    assert sheet is not None
    sheet.append(ICO_HEADINGS)


def _truncated() -> bytes:
    return ico_workbook([ico_row(c2="Payroll")])[:3000]


def _zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _ole(extra: bytes) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + extra + b"\x00" * 512


def _rows_csv(count: int) -> bytes:
    lines = [",".join(f'"{h}"' for h in ICO_HEADINGS)]
    lines += [f"Sales,Purpose {i}" for i in range(count)]
    return "\n".join(lines).encode()


CASES: list[tuple[str, str, Callable[[], bytes], str]] = [
    ("not-a-spreadsheet", "register.pdf", lambda: b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",
     "'register.pdf' is not a spreadsheet the import reads: upload an Excel workbook (.xlsx, .xlsm, .xls), an "
     "OpenDocument spreadsheet (.ods) or a CSV file"),
    ("binary-named-csv", "register.csv", lambda: b"\x00\x01\x02" * 100,
     "'register.csv' is not a spreadsheet the import reads"),
    ("empty", "register.xlsx", lambda: b"", "'register.xlsx' is empty."),
    ("corrupt-zip", "register.xlsx", _truncated,
     "'register.xlsx' cannot be read as an Excel workbook: the file is damaged or incomplete"),
    ("not-a-zip-named-xlsx", "register.xlsx", lambda: b"Business function,Purpose\nSales,Selling\n",
     "'register.xlsx' cannot be read as an Excel workbook: the file is damaged or incomplete"),
    ("zip-but-not-a-workbook", "register.xlsx", lambda: _zip_of({"readme.txt": b"hello"}),
     "'register.xlsx' is a zip archive but neither an Excel workbook"),
    ("password-protected", "register.xlsx", lambda: _ole("EncryptionInfo".encode("utf-16-le")),
     "'register.xlsx' is password-protected (encrypted)"),
    ("ole-file-that-is-no-workbook", "register.xls", lambda: _ole("Workbook".encode("utf-16-le")),
     "'register.xls' cannot be read as an Excel workbook: the file is damaged or incomplete"),
    ("no-heading-row", "register.xlsx", lambda: _workbook(_no_headings),
     "No heading row found in 'register.xlsx': none of the first 20 rows of any visible sheet"),
    ("only-a-hidden-sheet", "register.xlsx", lambda: _workbook(_hidden_register),
     "No heading row found in 'register.xlsx'"),
    ("more-rows-than-the-cap", "register.csv", lambda: _rows_csv(MAX_ROWS + 1),
     f"Sheet 'register.csv' has more than {MAX_ROWS:,} activity rows; one import takes at most {MAX_ROWS:,}"),
    ("one-megabyte-cell", "register.xlsx", _huge_cell,
     "The cell B2 of sheet 'Sheet' holds 1,048,576 characters; a cell may hold at most 100,000"),
    ("headings-without-rows", "register.xlsx", lambda: _workbook(_headings_only),
     "'register.xlsx' has the register's headings but no activity rows below them."),
]


def _counts(db: Database) -> tuple[int, int, int]:
    return db.rows("SELECT (SELECT count(*) FROM entities), (SELECT count(*) FROM activities), "
                   "(SELECT count(*) FROM audit_log)")[0]


@pytest.mark.parametrize(("name", "build", "message"), [(n, b, m) for _, n, b, m in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_file_is_refused_with_one_clear_message(db: Database, entity: Entity, name: str,
                                                    build: Callable[[], bytes], message: str) -> None:
    before = _counts(db)
    with pytest.raises(ImportRejected) as refused:
        plan_import(db, build(), name, entity=entity.name)
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)
    assert _counts(db) == before


def test_upload_above_the_limit_is_refused_before_it_is_read(db: Database, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.xlsx"
    with path.open("wb") as handle:  # a sparse 100 MB file: refused on its size alone
        handle.truncate(100 * MB)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the file was read"))
    before = _counts(db)
    with pytest.raises(ImportRejected, match=r"'huge.xlsx' is 100.0 MB; the import accepts files up to "
                                             rf"{DEFAULT_MAX_UPLOAD_MB} MB \(setting ROPA_MAX_UPLOAD_MB\)"):
        import_file(db, DPO, path)
    assert _counts(db) == before


def test_upload_limit_follows_the_setting(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROPA_MAX_UPLOAD_MB", "1")
    path = tmp_path / "register.csv"
    path.write_bytes(_rows_csv(80_000))
    with pytest.raises(ImportRejected, match="accepts files up to 1 MB"):
        import_file(db, DPO, path)


@pytest.mark.parametrize(("rows", "refused"), [(3, False), (4, True)])
def test_a_sheet_may_hold_up_to_the_row_cap(db: Database, entity: Entity, rows: int, refused: bool) -> None:
    limits = Limits(max_rows=3)
    if refused:
        with pytest.raises(ImportRejected, match="has more than 3 activity rows; one import takes at most 3"):
            plan_import(db, _rows_csv(rows), "register.csv", entity=entity.name, limits=limits)
    else:
        assert len(plan_import(db, _rows_csv(rows), "register.csv", entity=entity.name, limits=limits).activities) == 3


def test_a_zip_that_unpacks_to_far_more_than_it_weighs_is_refused(db: Database) -> None:
    bomb = _zip_of({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\x00" * (30 * MB)})
    with pytest.raises(ImportRejected, match="unpacks to 30 MB, more than the 20 MB the import reads"):
        plan_import(db, bomb, "bomb.xlsx", limits=Limits(max_bytes=MB))


def test_hidden_sheets_are_named_when_nothing_else_is_found(db: Database) -> None:
    with pytest.raises(ImportRejected, match=r"Hidden sheets were not read: 'Register'"):
        plan_import(db, _workbook(_hidden_register), "register.xlsx")


# -- files that claim far more than they hold (each read in a bounded child process) ---------------

SHEET = "xl/worksheets/sheet1.xml"
TIGHT = ChildBounds(memory_mb=256, cpu_seconds=10, wall_seconds=20.0)
"""Bounds the hostile files are read under: a file that needed more would get the memory or time message."""


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info.filename) for info in archive.infolist()}


def _register_parts() -> dict[str, bytes]:
    return _parts(ico_workbook(EXAMPLE_ROWS))


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


@dataclass(frozen=True)
class Repeated:
    """A part that unpacks to head + chunk * count + tail, compressed without ever being built in memory."""

    head: bytes
    chunk: bytes
    count: int
    tail: bytes

    def deflated(self) -> tuple[bytes, int, int]:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        first = compressor.compress(self.head) + compressor.flush(zlib.Z_FULL_FLUSH)
        piece = compressor.compress(self.chunk) + compressor.flush(zlib.Z_FULL_FLUSH)  # the same bytes every time
        last = compressor.compress(self.tail) + compressor.flush()
        crc = zlib.crc32(self.head)
        for _ in range(self.count):
            crc = zlib.crc32(self.chunk, crc)
        crc = zlib.crc32(self.tail, crc)
        return first + piece * self.count + last, crc, len(self.head) + len(self.chunk) * self.count + len(self.tail)


def _zip_parts(parts: dict[str, bytes | Repeated]) -> bytes:
    """A deflated zip written by hand, so that a part can be hundreds of megabytes unpacked."""
    out, directory = io.BytesIO(), io.BytesIO()
    for name, content in parts.items():
        if isinstance(content, Repeated):
            data, crc, size = content.deflated()
        else:
            data, crc, size = _deflate(content), zlib.crc32(content), len(content)
        encoded, offset = name.encode(), out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0))
        out.write(encoded + data)
        directory.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                                    len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    out.write(directory.getvalue())
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), len(directory.getvalue()), start, 0))
    return out.getvalue()


def _edited_sheet(edit: Callable[[bytes], bytes]) -> bytes:
    parts = _register_parts()
    parts[SHEET] = edit(parts[SHEET])
    return _zip_of(parts)


def _merge(ref: str) -> Callable[[bytes], bytes]:
    return lambda xml: xml.replace(b"</sheetData>", f'</sheetData><mergeCells count="1"><mergeCell ref="{ref}"/>'
                                                    "</mergeCells>".encode())


def _merged_to_row_99_999_999_999() -> bytes:
    return _edited_sheet(_merge("A10:A99999999999"))


def _cell_at_zzzzzz4() -> bytes:
    return _edited_sheet(lambda xml: xml.replace(b'r="B10"', b'r="ZZZZZZ4"', 1))


def _stray_cell_far_away() -> bytes:
    return _edited_sheet(lambda xml: xml.replace(
        b"</sheetData>", b'<row r="1048576"><c r="E1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))


def _styles_of_450_mb() -> bytes:
    parts: dict[str, bytes | Repeated] = dict(_register_parts())
    styles = _register_parts()["xl/styles.xml"]
    cut = styles.rindex(b"</")
    parts["xl/styles.xml"] = Repeated(styles[:cut], b"<!-- padding -->" * 65536, 450, styles[cut:])
    return _zip_parts(parts)


def _sheet_with_comment(megabytes: int) -> bytes:
    parts: dict[str, bytes | Repeated] = dict(_register_parts())
    sheet = _register_parts()[SHEET]
    cut = sheet.index(b"<sheetData>")
    parts[SHEET] = Repeated(sheet[:cut] + b"<!--", b"x" * MB, megabytes, b"-->" + sheet[cut:])
    return _zip_parts(parts)


def _shared_string_of_1_1_mb() -> bytes:
    """One shared text of 1.1 million characters, used by a cell (and copied into every cell that used it)."""
    parts = _register_parts()
    cell = re.compile(rb'<c r="B10"[^>]*>.*?</c>')
    assert cell.search(parts[SHEET])
    parts[SHEET] = cell.sub(b'<c r="B10" t="s"><v>0</v></c>', parts[SHEET], count=1)
    parts["xl/sharedStrings.xml"] = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                                     b'count="1" uniqueCount="1"><si><t>' + b"p" * 1_100_000 + b"</t></si></sst>")
    return _zip_of(parts)


def _many_merges() -> bytes:
    refs = "".join(f'<mergeCell ref="AA{n}:AB{n}"/>' for n in range(1, 20_002))
    merges = f"</sheetData><mergeCells>{refs}</mergeCells>".encode()
    return _edited_sheet(lambda xml: xml.replace(b"</sheetData>", merges))


def _many_parts() -> bytes:
    parts = _register_parts()
    parts.update({f"xl/media/image{n}.png": b"" for n in range(2_001)})
    return _zip_of(parts)


HOSTILE: list[tuple[str, Callable[[], bytes], str]] = [
    ("merged-range-to-row-99999999999", _merged_to_row_99_999_999_999,
     "Sheet 'Template' has a cell at the end of merged range A10:A99999999999, beyond Excel's last row (1,048,576)"),
    ("cell-reference-ZZZZZZ4", _cell_at_zzzzzz4,
     "Sheet 'Template' has a cell at ZZZZZZ4, beyond Excel's last column (XFD)"),
    ("stray-cell-at-E1048576", _stray_cell_far_away,
     "Sheet 'Template' spans A1:AD1048576 (31,457,280 cells), more than the 5,000,000 the import reads in one sheet"),
    ("cell-reference-ZZZZZZ4-after-a-tab-in-single-quotes",
     lambda: _edited_sheet(lambda xml: xml.replace(b' r="B10"', b"\tr='ZZZZZZ4'", 1)),
     "Sheet 'Template' has a cell at ZZZZZZ4, beyond Excel's last column (XFD)"),
    ("stray-cell-at-E1048576-in-single-quotes", lambda: _edited_sheet(lambda xml: xml.replace(
        b"</sheetData>", b"<row r='1048576'><c r='E1048576' t='inlineStr'><is><t>x</t></is></c></row></sheetData>")),
     "Sheet 'Template' spans A1:AD1048576 (31,457,280 cells), more than the 5,000,000 the import reads in one sheet"),
    ("styles-of-450-MB", _styles_of_450_mb,
     "'register.xlsx' cannot be imported. Its part 'xl/styles.xml' unpacks to more than 16 MB"),
    ("comment-of-300-MB", lambda: _sheet_with_comment(300),
     "'register.xlsx' cannot be imported. Its part 'xl/worksheets/sheet1.xml' unpacks to more than 256 MB"),
    ("csv-of-300-MB-in-a-zip", lambda: _zip_parts({"register.csv": Repeated(b"Name,Purpose\n", b"x" * MB, 300, b"")}),
     f"'register.xlsx' cannot be imported. Its part 'register.csv' unpacks to more than {CSV_MEMBER_CAP // MB:,} MB"),
    ("shared-string-of-1.1-MB", _shared_string_of_1_1_mb,
     "A text in 'register.xlsx' (its shared strings) holds 1,100,000 characters; a cell may hold at most 100,000"),
    ("malformed-merge-reference", lambda: _edited_sheet(_merge("A10:")),
     "Sheet 'Template' has a malformed merged range 'A10:'"),
    ("merge-ending-above-its-start", lambda: _edited_sheet(_merge("A12:A10")),
     "Sheet 'Template' has a malformed merged range 'A12:A10'"),
    ("twenty-thousand-merges", _many_merges,
     "Sheet 'Template' has 20,001 merged ranges, more than the 20,000 the import reads"),
    ("two-thousand-parts", _many_parts, "'register.xlsx' holds 2,0"),
]


@pytest.mark.parametrize(("build", "message"), [(b, m) for _, b, m in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_a_file_claiming_more_than_it_holds_is_refused_quickly_within_bounds(
        db: Database, build: Callable[[], bytes], message: str) -> None:
    data = build()
    assert len(data) < 2 * MB  # a small file: the cost would come from what it claims
    before = _counts(db)
    started = time.monotonic()
    with pytest.raises(ImportRejected) as refused:
        plan_import(db, data, "register.xlsx", limits=Limits(bounds=TIGHT))
    assert time.monotonic() - started < 15
    assert str(refused.value).startswith(message), str(refused.value)
    assert "\n" not in str(refused.value)
    assert _counts(db) == before


@pytest.mark.parametrize(("build", "activities"), [
    pytest.param(lambda: _edited_sheet(lambda xml: re.sub(rb"<dimension[^>]*/>", b"", xml)), 3, id="no-dimension"),
    pytest.param(lambda: _sheet_with_comment(60), 3, id="comment-of-60-MB"),
    pytest.param(lambda: _edited_sheet(lambda xml: xml.replace(b'<dimension ref="A1:AD12"/>',
                                                               b'<dimension ref="A1:XFD1048576"/>')), 3,
                 id="dimension-claiming-the-whole-grid"),
])
def test_a_file_whose_claims_are_harmless_imports_quickly_within_bounds(
        db: Database, build: Callable[[], bytes], activities: int) -> None:
    started = time.monotonic()
    plan = plan_import(db, build(), "register.xlsx", limits=Limits(bounds=TIGHT))
    assert time.monotonic() - started < 15
    assert plan.ok and len(plan.activities) == activities


def _comment_merge(xml: bytes) -> bytes:
    return xml.replace(b"</sheetData>", b'</sheetData><!-- <mergeCells count="1"><mergeCell ref="A10:A12"/>'
                                        b"</mergeCells> -->")


@pytest.mark.parametrize(("edit", "functions"), [
    pytest.param(_merge("A10:A12"), ["Human resources"] * 3, id="merge-applies"),
    pytest.param(_comment_merge, ["Human resources", "Marketing", "Facilities"], id="merge-inside-a-comment-ignored"),
])
def test_merged_cells_are_read_as_excel_shows_them(db: Database, edit: Callable[[bytes], bytes],
                                                   functions: list[str]) -> None:
    plan = plan_import(db, _edited_sheet(edit), "register.xlsx")
    assert [a.business_function for a in plan.activities] == functions


def test_a_huge_dense_area_is_stopped_by_the_memory_bound(db: Database) -> None:
    data = _edited_sheet(lambda xml: xml.replace(
        b"</sheetData>", b'<row r="160000"><c r="E160000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))
    with pytest.raises(ImportRejected, match=r"^Reading 'register.xlsx' needs more than the 100 MB of memory one "
                                             r"import may use"):
        plan_import(db, data, "register.xlsx", limits=Limits(bounds=ChildBounds(memory_mb=100)))
    assert plan_import(db, data, "register.xlsx").ok  # the same file within the default bound


def test_a_read_that_takes_too_long_is_stopped_by_the_clock(db: Database) -> None:
    with pytest.raises(ImportRejected, match=r"^Reading 'register.xlsx' took longer than 0.001 seconds"):
        plan_import(db, ico_workbook(EXAMPLE_ROWS), "register.xlsx",
                    limits=Limits(bounds=ChildBounds(wall_seconds=0.001)))


_SLOW_CELLS_CHILD = """
import pickle, sys, time
sys.stdin.buffer.read()
if sys.argv[-1] == "scan":
    pickle.dump(("refused", "The scan refused it."), sys.stdout.buffer)
else:
    time.sleep(60)
"""


def test_the_scans_refusal_decides_and_stops_the_cells_reader(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    child = tmp_path / "reader.py"
    child.write_text(_SLOW_CELLS_CHILD)
    monkeypatch.setattr(sandbox, "CHILD", child)
    reading = sandbox.start_reading(b"PK", "zip", "register.xlsx", MB, 100_000, ChildBounds(wall_seconds=120))
    started = time.monotonic()
    with pytest.raises(ImportRejected, match=r"^The scan refused it\.$"):
        reading.sheets()
    assert time.monotonic() - started < 30
    assert reading.cells.process.returncode == -signal.SIGKILL


def test_a_read_no_longer_wanted_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    child = tmp_path / "reader.py"
    child.write_text(_SLOW_CELLS_CHILD)
    monkeypatch.setattr(sandbox, "CHILD", child)
    reading = sandbox.start_reading(b"x", "csv", "register.csv", MB, 100_000, ChildBounds(wall_seconds=120))
    reading.close()
    assert reading.cells.process.returncode == -signal.SIGKILL
