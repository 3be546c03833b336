"""Files an import must refuse with one clear message, writing nothing."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook
from test_import import ICO_HEADINGS, ico_row, ico_workbook

from ropa.config import DEFAULT_MAX_UPLOAD_MB
from ropa.factories import DPO
from ropa.ingest import Limits, import_file, plan_import
from ropa.ingest.files import MB, ImportRejected
from ropa.models import Entity
from ropa.storage.database import Database


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
     "'register.pdf' is not an Excel workbook (.xlsx) or a CSV file"),
    ("binary-named-csv", "register.csv", lambda: b"\x00\x01\x02" * 100,
     "'register.csv' is not an Excel workbook (.xlsx) or a CSV file"),
    ("empty", "register.xlsx", lambda: b"", "'register.xlsx' is empty."),
    ("corrupt-zip", "register.xlsx", _truncated,
     "'register.xlsx' cannot be read as an Excel workbook: the file is damaged or incomplete"),
    ("not-a-zip-named-xlsx", "register.xlsx", lambda: b"Business function,Purpose\nSales,Selling\n",
     "'register.xlsx' cannot be read as an Excel workbook: the file is damaged or incomplete"),
    ("zip-but-not-a-workbook", "register.xlsx", lambda: _zip_of({"readme.txt": b"hello"}),
     "'register.xlsx' is a zip archive but neither an Excel workbook"),
    ("password-protected", "register.xlsx", lambda: _ole("EncryptionInfo".encode("utf-16-le")),
     "'register.xlsx' is password-protected (encrypted)"),
    ("legacy-xls", "register.xls", lambda: _ole("Workbook".encode("utf-16-le")),
     "'register.xls' is an Excel 97-2003 workbook (.xls)"),
    ("no-heading-row", "register.xlsx", lambda: _workbook(_no_headings),
     "No heading row found in 'register.xlsx': none of the first 20 rows of any visible sheet"),
    ("only-a-hidden-sheet", "register.xlsx", lambda: _workbook(_hidden_register),
     "No heading row found in 'register.xlsx'"),
    ("fifty-thousand-rows", "register.csv", lambda: _rows_csv(50_000),
     "Sheet 'register.csv' has more than 20,000 activity rows; one import takes at most 20,000"),
    ("one-megabyte-cell", "register.xlsx", _huge_cell,
     "The cell B2 of sheet 'Sheet' (column 'Purpose of processing') holds 1,048,576 characters; a cell may hold "
     "at most 100,000"),
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


def test_a_zip_that_unpacks_to_far_more_than_it_weighs_is_refused(db: Database) -> None:
    bomb = _zip_of({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\x00" * (30 * MB)})
    with pytest.raises(ImportRejected, match="unpacks to 30 MB, more than the 20 MB the import reads"):
        plan_import(db, bomb, "bomb.xlsx", limits=Limits(max_bytes=MB))


def test_hidden_sheets_are_named_when_nothing_else_is_found(db: Database) -> None:
    with pytest.raises(ImportRejected, match=r"Hidden sheets were not read: 'Register'"):
        plan_import(db, _workbook(_hidden_register), "register.xlsx")
