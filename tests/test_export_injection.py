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
from ropa.ingest import apply_import, plan_import
from ropa.models import Entity
from ropa.storage.activities import create_activities, load_activities
from ropa.storage.database import Database, open_database
from tests.factories import DPO, make_activity

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

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


# -- the one CSV writer: every CSV a command or a page hands out ------------------------------

SPLITTERS = ["Travel\r=2*21", "Travel\n=2*21", "Travel\r\n=2*21", 'a,"=1+1"', "x\r@SUM(A1)", "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param("=1+1", "'=1+1", id="equals"),
        pytest.param("+1", "'+1", id="plus"),
        pytest.param("-1", "'-1", id="minus"),
        pytest.param("@SUM(A1)", "'@SUM(A1)", id="at"),
        pytest.param("\t=1", "'\t=1", id="tab"),
        pytest.param("\r=1", "'\r=1", id="carriage-return"),
        pytest.param("'=1", "''=1", id="already-quoted"),
        pytest.param("Travel\r=2*21", "Travel\r=2*21", id="formula-after-a-break-stays-in-its-cell"),
        pytest.param("Payroll", "Payroll", id="plain-text-untouched"),
        pytest.param("a-b", "a-b", id="dash-inside-untouched"),
        pytest.param(-5, "-5", id="negative-number-stays-a-number"),
        pytest.param(None, "", id="missing"),
        pytest.param(date(2026, 1, 31), "2026-01-31", id="date"),
    ],
)
def test_the_csv_writer_neutralises_every_formula_and_only_those(value: object, written: str) -> None:
    from ropa.export.safecsv import csv_bytes

    text = csv_bytes([[value, "next"]], bom=False).decode("utf-8")
    assert list(csv.reader(io.StringIO(text, newline=""))) == [[written, "next"]]


@pytest.mark.parametrize("value", SPLITTERS, ids=["cr", "lf", "crlf", "comma-quote", "cr-at", "dde"])
def test_a_line_break_inside_a_cell_is_quoted_so_no_row_starts_with_a_formula(value: str) -> None:
    from ropa.export.safecsv import csv_bytes

    text = csv_bytes([["first", value, "last"], ["second", "b", "c"]], bom=False).decode("utf-8")
    assert text.count("\r\n") == 2 + value.count("\r\n")
    # A reader splitting on any line break outside quotes (as spreadsheets do) sees two rows of three cells.
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["first", csv_protect(value), "last"], ["second", "b", "c"]]
    outside_quotes = re.sub(r'"(?:[^"]|"")*"', '""', text)
    assert not re.search(r"(^|[\r\n,])[=+\-@]", outside_quotes)


def _gaps_csv(db: Database, capsys: pytest.CaptureFixture[str]) -> str:
    from ropa.cli import main

    code = main(["--db", str(db.path), "gaps", "--format", "csv", "--as-of", "2030-01-01"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_gaps_csv_keeps_each_hostile_name_in_its_own_cell(db: Database, entity: Entity,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    names = [*SPLITTERS, *FORMULAS]
    create_activities(db, DPO, [make_activity(entity.id or 0, name=v) for v in names])
    out = _gaps_csv(db, capsys)
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert rows and all(len(r) == len(rows[0]) and None not in r for r in rows)
    assert {r["activity"] for r in rows} == {csv_protect(v) for v in names}
    assert {csv_unprotect(r["activity"]) for r in rows} == set(names)
    assert out.split("\n", 1)[0].endswith("\r")  # rows end in CRLF


def test_no_code_writes_csv_except_the_one_writer() -> None:
    root = Path(__file__).resolve().parent.parent
    sources = [root / "app.py", *(p for folder in ("ropa", "screens", "ui") for p in (root / folder).rglob("*.py"))]
    writers = {p.relative_to(root).as_posix() for p in sources
               if re.search(r"csv\.writer\(|csv\.DictWriter\(|\.to_csv\(", p.read_text(encoding="utf-8"))}
    assert writers == {"ropa/export/safecsv.py"}


def test_the_app_offers_no_csv_download_of_its_tables() -> None:
    """Streamlit's own table download quotes neither formulas nor a lone carriage return, so it is off."""
    import tomllib

    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True
