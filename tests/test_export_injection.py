"""No exported cell can run as a formula, and every hostile value still reads back exactly."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ropa.columns import csv_protect, csv_unprotect, escape_ooxml, unescape_ooxml
from ropa.export import ExportOptions, export_register
from ropa.export.sheets import CONTROLLER
from ropa.factories import DPO, make_activity
from ropa.ingest import apply_import, plan_import
from ropa.models import Entity
from ropa.storage.activities import create_activities, load_activities
from ropa.storage.database import Database, open_database

FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(A1)", "\tX", "\rX"]
HOSTILE = [*FORMULAS, "#N/A", "'=already quoted", "''+twice", "=", "a_x000D_b", "vertical\x0btab",
           "<script>alert(1)</script>", "'); DROP TABLE activities;--", "line\r\nbreak", " padded "]


@pytest.fixture
def hostile(db: Database, entity: Entity) -> list[str]:
    """One activity per hostile value, the value in its name, purpose and notes."""
    create_activities(db, DPO, [make_activity(entity.id or 0, name=f"{i:02d} {v}", purpose=v, notes=v,
                                              business_function=v) for i, v in enumerate(HOSTILE)])
    return HOSTILE


def _export(db: Database, tmp_path: Path, fmt: str) -> Path:
    path = tmp_path / f"register.{fmt}"
    export_register(db, DPO, fmt, path, ExportOptions(as_of=date(2026, 11, 1)))
    return path


def test_workbook_holds_no_formula_anywhere(hostile: list[str], db: Database, tmp_path: Path) -> None:
    with zipfile.ZipFile(_export(db, tmp_path, "xlsx")) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            assert not re.search(rb"<f[ >/]", archive.read(name)), name


@pytest.mark.parametrize("value", FORMULAS, ids=["hyperlink", "plus", "minus", "at", "tab", "carriage-return"])
def test_formula_like_text_reads_back_as_the_same_text(hostile: list[str], db: Database, tmp_path: Path,
                                                       value: str) -> None:
    workbook = load_workbook(_export(db, tmp_path, "xlsx"))
    sheet = workbook[CONTROLLER]
    purposes = {unescape_ooxml(str(c.value)): c for c in sheet["D"][2:]}
    cell = purposes[value]
    assert cell.data_type == "s" and cell.quotePrefix
    if "\r" not in value:
        assert cell.value == value  # no apostrophe or other mark added to the text itself


def test_every_hostile_value_survives_export_and_import(hostile: list[str], db: Database, tmp_path: Path) -> None:
    for fmt, name in (("xlsx", "register.xlsx"), ("csv", "register.csv.zip")):
        path = tmp_path / name
        export_register(db, DPO, fmt, path, ExportOptions(as_of=date(2026, 11, 1)))
        target = open_database(tmp_path / f"copy-{fmt}.duckdb")
        plan = plan_import(target, path.read_bytes(), name)
        assert plan.ok, plan.issues
        apply_import(target, DPO, plan)
        with target.connect() as con:
            stored = sorted(load_activities(con), key=lambda a: a.name)
        assert [a.purpose for a in stored] == hostile, fmt
        assert [a.notes for a in stored] == hostile, fmt


def test_csv_cells_that_would_run_start_with_a_quote(hostile: list[str], db: Database, tmp_path: Path) -> None:
    with zipfile.ZipFile(_export(db, tmp_path, "csv")) as archive:
        name = next(n for n in archive.namelist() if "article_30_1" in n)
        rows = list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"), newline="")))
    purposes = [r[3] for r in rows[1:]]
    for value in FORMULAS:
        assert "'" + value in purposes
    assert "''=already quoted" in purposes and "'''+twice" in purposes
    assert "<script>alert(1)</script>" in purposes


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_cell_codecs_give_back_exactly_what_they_were_given(value: str) -> None:
    assert unescape_ooxml(escape_ooxml(value)) == value
    assert csv_unprotect(csv_protect(value)) == value
    assert not re.search(r"[\x00-\x08\x0b-\x1f]", escape_ooxml(value))
