"""Exported workbooks open in another spreadsheet program: LibreOffice Calc converts them without complaint.

Also the other way: a workbook re-saved by LibreOffice (shared strings, its own
XML) imports back to the same activities.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from ropa.export import ExportOptions, export_register
from ropa.ingest import apply_import, plan_import
from ropa.storage.activities import load_activities
from ropa.storage.database import Database, open_database
from tests.factories import DPO

SOFFICE = shutil.which("soffice")
PDFTOPPM = shutil.which("pdftoppm")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.libreoffice,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; these tests need it"),
]


def _convert(source: Path, target_format: str, out_dir: Path) -> Path:
    profile = Path("/tmp") / f"lo-{uuid.uuid4().hex}"
    try:
        done = subprocess.run(
            [str(SOFFICE), f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", target_format,
             "--outdir", str(out_dir), str(source)],
            capture_output=True, text=True, timeout=300, check=False,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    converted = out_dir / f"{source.stem}.{target_format.split(':')[0]}"
    assert converted.is_file(), f"{done.stdout}\n{done.stderr}"
    return converted


@pytest.fixture
def exported(demo_db: Database, tmp_path: Path) -> Path:
    path = tmp_path / "register.xlsx"
    export_register(demo_db, DPO, "xlsx", path, ExportOptions(as_of=date(2026, 11, 1), all_organisations=True))
    return path


def test_libreoffice_prints_the_export_to_pdf(exported: Path, tmp_path: Path) -> None:
    pdf = _convert(exported, "pdf", tmp_path / "pdf")
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


def test_a_workbook_resaved_by_libreoffice_imports_to_the_same_activities(exported: Path, demo_db: Database,
                                                                          tmp_path: Path) -> None:
    resaved = _convert(exported, "xlsx", tmp_path / "resaved")
    target = open_database(tmp_path / "copy.duckdb")
    plan = plan_import(target, resaved.read_bytes(), resaved.name)
    assert plan.ok, plan.issues[:5]
    apply_import(target, DPO, plan)
    assert _contents(target) == _contents(demo_db)
