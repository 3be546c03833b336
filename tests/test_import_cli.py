"""``python -m ropa import FILE``: a register in from the command line, all or nothing, errors on one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_import import EXAMPLE_ROWS, ico_workbook
from test_import_hostile import _merged_to_row_99_999_999_999

from ropa.cli import main
from ropa.models import Entity
from ropa.storage.database import Database

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _counts(db: Database) -> tuple[int, int]:
    return db.rows("SELECT (SELECT count(*) FROM entities), (SELECT count(*) FROM activities)")[0]


def test_import_writes_the_register_and_reports_it(db: Database, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "register.xlsx"
    path.write_bytes(ico_workbook(EXAMPLE_ROWS))
    code, out, err = run_cli(capsys, "--db", str(db.path), "import", str(path))
    assert code == 0 and not err
    assert "register.xlsx: 3 rows read, 3 activities ready, 1 new entity" in out
    assert "new entity: Acme Widgets Ltd (contact block of sheet 'Template')" in out
    assert ("mapped: Safeguards for exceptional transfers of personal data to third countries or international "
            "organisations (if applicable): 'Model Contract Clauses' -> EU Model Clauses 2001/2004/2010 (old SCCs) "
            "(1 rows)") in out
    assert out.rstrip().splitlines()[-1].startswith("imported 3 activities and 1 new entities from register.xlsx")
    assert _counts(db) == (1, 3)


def test_dry_run_reports_and_writes_nothing(db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "register.xlsx"
    path.write_bytes(ico_workbook(EXAMPLE_ROWS))
    code, out, _ = run_cli(capsys, "--db", str(db.path), "import", str(path), "--dry-run")
    assert code == 0 and "dry run: nothing was written" in out
    assert _counts(db) == (0, 0)


def test_entity_option_names_the_controller(db: Database, entity: Entity, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "register.xlsx"
    path.write_bytes(ico_workbook(EXAMPLE_ROWS, contact=False))
    code, _, _ = run_cli(capsys, "--db", str(db.path), "import", str(path), "--entity", entity.name)
    assert code == 0 and _counts(db) == (1, 3)


@pytest.mark.parametrize(("content", "name", "extra", "message"), [
    pytest.param(None, "missing.xlsx", [], "error: There is no file at {path}.", id="no-file"),
    pytest.param(b"%PDF-1.4", "register.pdf", [],
                 "error: 'register.pdf' is not a spreadsheet the import reads: upload an Excel workbook (.xlsx, .xlsm, "
                 ".xls), an OpenDocument spreadsheet (.ods) or a CSV file", id="not-a-register"),
    pytest.param("merged-to-row-99999999999", "register.xlsx", ["--dry-run"],
                 "error: Sheet 'Template' has a cell at the end of merged range A10:A99999999999, beyond Excel's "
                 "last row (1,048,576)", id="hostile-merge-dry-run"),
    pytest.param("no-contact", "register.xlsx", [],
                 "error: The file does not say whose register it is", id="no-controller"),
    pytest.param("no-contact", "register.xlsx", ["--entity", "Nobody"], "error: There is no entity named 'Nobody'.",
                 id="unknown-entity"),
    pytest.param("bad-row", "register.xlsx", [], "error: 1 problems in register.xlsx; nothing was imported",
                 id="row-problem"),
])
def test_import_errors_are_one_line_and_write_nothing(db: Database, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str], content: object, name: str,
                                                      extra: list[str], message: str) -> None:
    path = tmp_path / name
    if content == "no-contact":
        path.write_bytes(ico_workbook(EXAMPLE_ROWS, contact=False))
    elif content == "merged-to-row-99999999999":
        path.write_bytes(_merged_to_row_99_999_999_999())
    elif content == "bad-row":
        path.write_bytes(ico_workbook([["x" * 600, "Purpose"]]))
    elif isinstance(content, bytes):
        path.write_bytes(content)
    code, _, err = run_cli(capsys, "--db", str(db.path), "import", str(path), *extra)
    last = err.strip().splitlines()[-1]
    assert code == 2 and last.startswith(message.format(path=path))
    assert "Traceback" not in err
    assert _counts(db) == (0, 0)
