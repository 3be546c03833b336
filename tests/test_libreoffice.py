"""Exported workbooks open in another spreadsheet program: LibreOffice Calc converts them without complaint.

Also the other way: a workbook re-saved by LibreOffice (shared strings, its own
XML) imports back to the same activities.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from ropa.export import ExportOptions, export_register
from ropa.ingest import apply_import, plan_import
from ropa.storage.activities import load_activities
from ropa.storage.database import Database
from tests.conftest import copy_of
from tests.factories import DPO

Convert = Callable[[list[Path], str], list[Path]]
PDFTOPPM = shutil.which("pdftoppm")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.libreoffice,
    pytest.mark.skipif(shutil.which("soffice") is None,
                       reason="LibreOffice (soffice) is not installed; these tests need it"),
]


@pytest.fixture(scope="module")
def demo_register(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Database:
    """A copy of the demo that the tests of this module only read."""
    return copy_of(demo_template, tmp_path_factory.mktemp("demo") / "demo.duckdb")


@pytest.fixture(scope="module")
def exported(demo_register: Database, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo exported once for the module: LibreOffice only reads the workbook."""
    path = tmp_path_factory.mktemp("export") / "register.xlsx"
    export_register(demo_register, DPO, "xlsx", path,
                    ExportOptions(as_of=date(2026, 11, 1), all_organisations=True))
    return path


def test_libreoffice_prints_the_export_to_pdf(exported: Path, tmp_path: Path, soffice_convert: Convert) -> None:
    [pdf] = soffice_convert([exported], "pdf")
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", content)) > 5
    if PDFTOPPM is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: the PDF was made but not rendered to an image")
    subprocess.run([PDFTOPPM, "-r", "40", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2 and all(p.stat().st_size > 2_000 for p in pages)


def _contents(db: Database) -> Counter[str]:
    with db.connect() as con:
        names = dict(con.execute("SELECT id, name FROM entities").fetchall())
        activities = load_activities(con)
    return Counter(json.dumps({**a.content(), "entity_id": names[a.entity_id]}, sort_keys=True, default=str)
                   for a in activities if a.status != "archived")


def test_a_workbook_resaved_by_libreoffice_imports_to_the_same_activities(
        exported: Path, demo_register: Database, empty_template: Path, tmp_path: Path, soffice_convert: Convert,
) -> None:
    [resaved] = soffice_convert([exported], "xlsx")
    target = copy_of(empty_template, tmp_path / "copy.duckdb")
    plan = plan_import(target, resaved.read_bytes(), resaved.name)
    assert plan.ok, plan.issues[:5]
    apply_import(target, DPO, plan)
    assert _contents(target) == _contents(demo_register)
