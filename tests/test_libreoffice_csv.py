"""Every CSV the register hands out opens in LibreOffice Calc as text: no cell becomes a formula.

LibreOffice runs formulas when it opens a CSV (the control case shows it does on this machine),
so these tests fail if a formula ever gets through the one CSV writer.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ropa.cli import main
from ropa.columns import csv_protect
from ropa.export import ExportOptions, export_register
from ropa.models import Entity
from ropa.storage.activities import create_activities
from ropa.storage.database import Database
from tests.factories import DPO, make_activity

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice]  # it runs LibreOffice: `make test` only, not `make test-fast`

HOSTILE = ["Travel\r=2*21", "Travel\n=2*21", "Travel\r\n+2*21", "=2*21", "+2*21", "-2*21", "@SUM(1)",
           "\t=2*21", "\r=2*21", "=cmd|' /C calc'!A0", "a,=2*21", 'q"=2*21']
Convert = Callable[[list[Path], str], list[Path]]


def _cells(workbook: Path) -> list[tuple[object, str]]:
    return [(c.value, c.data_type) for sheet in load_workbook(workbook).worksheets
            for row in sheet.iter_rows() for c in row if c.value is not None]


def _lines(value: object) -> str:
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def test_control_libreoffice_does_run_a_formula_from_a_raw_csv(tmp_path: Path, soffice_convert: Convert) -> None:
    raw = tmp_path / "raw.csv"
    raw.write_bytes(b"name,value\r\nTravel\r=2*21,x\r\n")
    cells = _cells(soffice_convert([raw], "xlsx")[0])
    assert ("=2*21", "f") in cells


def test_gaps_csv_and_the_csv_export_open_in_libreoffice_without_a_formula(
        db: Database, entity: Entity, tmp_path: Path, soffice_convert: Convert,
        capsys: pytest.CaptureFixture[str]) -> None:
    create_activities(db, DPO, [make_activity(entity.id or 0, name=v, purpose=v) for v in HOSTILE])
    assert main(["--db", str(db.path), "gaps", "--format", "csv", "--as-of", "2030-01-01"]) == 0
    gaps = tmp_path / "gaps.csv"
    gaps.write_bytes(capsys.readouterr().out.encode("utf-8"))
    archive = tmp_path / "register.csv.zip"
    export_register(db, DPO, "csv", archive, ExportOptions(as_of=date(2026, 11, 1)))
    with zipfile.ZipFile(archive) as members:
        name = next(n for n in members.namelist() if "article_30_1" in n)
        sheet = tmp_path / "article30.csv"
        sheet.write_bytes(members.read(name))

    gaps_book, sheet_book = soffice_convert([gaps, sheet], "xlsx")
    for book in (gaps_book, sheet_book):
        cells = _cells(book)
        assert cells and not [v for v, kind in cells if kind == "f"], book.name
    expected = {_lines(csv_protect(v)) for v in HOSTILE}  # each value whole, in one text cell
    assert expected <= {_lines(v) for v, _ in _cells(sheet_book)}
    assert expected <= {_lines(v) for v, _ in _cells(gaps_book)}
