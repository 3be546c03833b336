"""The Export page: choose format, entity and date, watch it run, download it, see every earlier export."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ropa.export import list_exports
from ropa.storage.database import open_database
from ropa.storage.entities import find_entity

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent


def _page() -> AppTest:
    return AppTest.from_file(str(ROOT / "screens" / "export.py"), default_timeout=60)


def _demo(app_env: Path, demo_template: Path) -> None:
    shutil.copy(demo_template, app_env)


def test_export_page_runs_on_an_empty_register(app_env: Path) -> None:
    at = _page().run()
    assert not at.exception
    assert at.title[0].value == "Export the Article 30 record"
    assert "No export has been made yet." in [i.value for i in at.info]


def test_export_page_exports_the_empty_register(app_env: Path) -> None:
    at = _page().run()
    at.button(key="FormSubmitter:export_form-Create export").click().run()
    assert not at.exception and at.status[0].label == "Export ready: 0 activities"


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_export_page_saves_offers_and_lists_the_export(app_env: Path, demo_template: Path, fmt: str) -> None:
    _demo(app_env, demo_template)
    at = _page().run()
    assert not at.exception
    at.radio(key="export_format").set_value(fmt)
    at.button(key="FormSubmitter:export_form-Create export").click().run()
    assert not at.exception
    assert at.status[0].label.startswith("Export ready: ")
    saved = list((app_env.parent / "exports").iterdir())
    assert len(saved) == 1 and saved[0].name.endswith({"xlsx": ".xlsx", "csv": ".csv.zip", "json": ".json"}[fmt])
    assert at.get("download_button")[0].proto.label == f"Download {saved[0].name}"
    listed = at.dataframe[0].value
    assert list(listed["file"]) == [saved[0].name] and list(listed["format"]) == [fmt]


def test_export_page_shows_the_export_s_progress_until_it_is_ready(app_env: Path, demo_template: Path) -> None:
    _demo(app_env, demo_template)
    at = _page().run()
    at.button(key="FormSubmitter:export_form-Create export").click().run()
    assert not at.exception
    (bar,) = at.get("progress")
    assert bar.value == 100 and bar.text == "Export ready"


def test_export_page_exports_one_entity_with_its_subsidiaries(app_env: Path, demo_template: Path) -> None:
    _demo(app_env, demo_template)
    db = open_database(app_env)
    parent = find_entity(db, "SmartComms SC Limited")
    at = _page().run()
    at.selectbox(key="export_entity").set_value(parent.id)
    at.button(key="FormSubmitter:export_form-Create export").click().run()
    assert not at.exception
    (logged,) = list_exports(db).to_dict(orient="records")
    assert logged["scope"] == "SmartComms SC Limited and its subsidiaries"


def test_export_page_offers_one_organisation_by_default(app_env: Path, demo_template: Path) -> None:
    _demo(app_env, demo_template)
    at = _page().run()
    choice = at.selectbox(key="export_entity")
    assert choice.value == find_entity(open_database(app_env), "SmartComms SC Limited").id
    assert choice.options[-1] == "All organisations together (one file)"
    at.button(key="FormSubmitter:export_form-Create export").click().run()
    assert not at.exception and at.status[0].label.startswith("Export ready: ")
    (logged,) = list_exports(open_database(app_env)).to_dict(orient="records")
    assert logged["scope"] == "SmartComms SC Limited and its subsidiaries"


@pytest.mark.parametrize(("with_gaps", "has_gaps"), [(False, False), (True, True)], ids=["record-only", "with-gaps"])
def test_export_page_adds_the_gap_analysis_only_when_ticked(app_env: Path, demo_template: Path, with_gaps: bool,
                                                            has_gaps: bool) -> None:
    from openpyxl import load_workbook

    from ropa.export.sheets import GAPS

    _demo(app_env, demo_template)
    at = _page().run()
    at.checkbox(key="export_with_gaps").set_value(with_gaps)
    at.button(key="FormSubmitter:export_form-Create export").click().run()
    assert not at.exception
    (saved,) = (app_env.parent / "exports").iterdir()
    assert (GAPS in load_workbook(saved, read_only=True).sheetnames) is has_gaps
