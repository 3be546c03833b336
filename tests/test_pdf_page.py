"""The PDF from the pages: the Export page offers it, the activity page downloads its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ropa.storage.activities import create_activity
from ropa.storage.database import open_database
from ropa.storage.entities import create_entity
from tests.factories import DPO, make_activity, make_entity

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent


def test_export_page_saves_and_offers_a_pdf(app_env: Path, demo_template: Path) -> None:
    shutil.copy(demo_template, app_env)
    at = AppTest.from_file(str(ROOT / "screens" / "export.py"), default_timeout=120).run()
    at.radio(key="export_format").set_value("pdf")
    at.button(key="FormSubmitter:export_form-Create export").click().run()
    assert not at.exception
    saved = list((app_env.parent / "exports").iterdir())
    assert len(saved) == 1 and saved[0].name.endswith(".pdf")
    assert saved[0].read_bytes().startswith(b"%PDF")
    assert at.get("download_button")[0].proto.label == f"Download {saved[0].name}"


def _activity_page(app_env: Path, tab: str) -> AppTest:
    db = open_database(app_env)
    entity = create_entity(db, DPO, make_entity())
    activity = create_activity(db, DPO, make_activity(entity.id or 0))
    at = AppTest.from_file(str(ROOT / "screens" / "activity.py"), default_timeout=60)
    at.query_params["id"] = str(activity.id)
    at.session_state["activity_tabs"] = tab
    return at.run()


@pytest.mark.parametrize(("tab", "buttons"), [("Record", ["Download as PDF"]), ("Edit", [])])
def test_the_record_tab_offers_the_activitys_pdf_and_the_edit_tab_does_not(app_env: Path, tab: str,
                                                                          buttons: list[str]) -> None:
    at = _activity_page(app_env, tab)
    assert not at.exception
    assert [b.proto.label for b in at.get("download_button")] == buttons
