"""The Import page: admins only; upload, read the preview (mappings, problems), confirm, all or nothing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_import import EXAMPLE_ROWS, ico_row, ico_workbook
from test_import_hostile import _cell_at_zzzzzz4, _edited_sheet, _merge, _merged_to_row_99_999_999_999

from ropa.storage.database import open_database
from ropa.storage.mappings import list_profiles

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROLES = '[roles]\n"dpo@example.com" = "admin"\n"ed@example.com" = "editor"\n'


def _page(user: dict[str, object] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "screens" / "import.py"), default_timeout=60)
    if user is not None:
        at.user = user
        at.secrets["auth"] = {"client_id": "ropa-test"}  # OpenID Connect is set up on this server
    return at


def _counts(path: Path) -> tuple[int, int]:
    return open_database(path).rows("SELECT (SELECT count(*) FROM entities), (SELECT count(*) FROM activities)")[0]


def test_import_page_runs_on_an_empty_register(app_env: Path) -> None:
    at = _page().run()
    assert not at.exception and at.title[0].value == "Import a register"
    assert at.file_uploader


def test_import_page_runs_on_the_demo_register(app_env: Path, demo_template: Path) -> None:
    shutil.copy(demo_template, app_env)
    at = _page().run()
    assert not at.exception and at.selectbox(key="import_controller").options


def test_import_page_refuses_non_admins(app_env: Path, monkeypatch: object, tmp_path: Path) -> None:
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES, encoding="utf-8")
    setenv = monkeypatch.setenv
    setenv("ROPA_AUTH_MODE", "oidc")
    setenv("ROPA_ROLES_FILE", str(roles))
    at = _page({"is_logged_in": True, "email": "ed@example.com", "name": "Ed"}).run()
    assert not at.exception
    assert "Import is for admins, because an import writes many records" in at.warning[0].value.replace("\\", "")
    assert not at.file_uploader


def test_upload_shows_the_preview_and_confirming_imports_everything(app_env: Path) -> None:
    at = _page().run()
    at.file_uploader[0].set_value(("register.xlsx", ico_workbook(EXAMPLE_ROWS), XLSX)).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Activities ready"] == "3" and metrics["New entities"] == "1" and metrics["Problems"] == "0"
    decisions = next(d.value for d in at.dataframe if "text" in d.value.columns)
    assert "Model Contract Clauses" in set(decisions["text"])
    mapping = next(d.value for d in at.dataframe if "source column" in d.value.columns)
    assert set(mapping["how"]) == {"heading"} and len(mapping) == 30
    assert _counts(app_env) == (0, 0)
    at.button(key="import_confirm").click().run()
    assert not at.exception
    assert at.success and "Imported 3 activities and 1 new entities" in at.success[0].value
    assert _counts(app_env) == (1, 3)


def test_rows_with_problems_are_listed_and_cannot_be_imported(app_env: Path) -> None:
    at = _page().run()
    bad = [*EXAMPLE_ROWS, ico_row(c1="x" * 600, c2="Too long")]
    at.file_uploader[0].set_value(("register.xlsx", ico_workbook(bad), XLSX)).run()
    assert not at.exception
    assert "nothing can be imported until they are fixed" in at.error[0].value
    problems = at.dataframe[0].value
    assert list(problems["row"]) == [13] and list(problems["column"]) == ["Business function"]
    assert not [b for b in at.button if b.key == "import_confirm"]


def test_an_unreadable_file_gets_one_clear_message(app_env: Path) -> None:
    at = _page().run()
    at.file_uploader[0].set_value(("register.xlsx", b"%PDF-1.7 renamed", XLSX)).run()
    assert not at.exception
    assert "cannot be read as an Excel workbook" in at.error[0].value
    assert _counts(app_env) == (0, 0)


@pytest.mark.parametrize(("build", "message"), [
    pytest.param(lambda: _edited_sheet(_merge("A10:")), "Sheet 'Template' has a malformed merged range 'A10:'",
                 id="malformed-merge-reference"),
    pytest.param(_merged_to_row_99_999_999_999, "beyond Excel's last row (1,048,576)", id="merge-to-row-99999999999"),
    pytest.param(_cell_at_zzzzzz4, "has a cell at ZZZZZZ4, beyond Excel's last column (XFD)", id="cell-ZZZZZZ4"),
])
def test_a_hostile_file_gets_one_clear_message_not_a_traceback(app_env: Path, build: Callable[[], bytes],
                                                               message: str) -> None:
    at = _page().run()
    at.file_uploader[0].set_value(("register.xlsx", build(), XLSX)).run()
    assert not at.exception
    shown = at.error[0].value.replace("\\", "")  # the page escapes Markdown
    assert message in shown and "\n" not in shown
    assert _counts(app_env) == (0, 0)


def test_the_mapping_can_be_saved_as_a_profile_from_the_page(app_env: Path) -> None:
    at = _page().run()
    at.file_uploader[0].set_value(("register.xlsx", ico_workbook(EXAMPLE_ROWS), XLSX)).run()
    at.text_input(key="import_profile_name").input("ICO template").run()
    at.button(key="import_save_mapping").click().run()
    assert not at.exception
    assert "Saved mapping profile 'ICO template' (30 columns)" in at.success[0].value.replace("\\", "")
    assert [p.name for p in list_profiles(open_database(app_env))] == ["ICO template"]


def test_re_uploading_shows_the_matches_and_updates_instead_of_duplicating(app_env: Path) -> None:
    at = _page().run()
    at.file_uploader[0].set_value(("register.xlsx", ico_workbook(EXAMPLE_ROWS), XLSX)).run()
    at.button(key="import_confirm").click().run()
    changed = [list(r) for r in EXAMPLE_ROWS]
    changed[2][9] = "90 days"
    at.file_uploader[0].set_value(("register-v2.xlsx", ico_workbook(changed), XLSX)).run()
    assert not at.exception
    matches = next(d.value for d in at.dataframe if "fields that would change" in d.value.columns)
    assert list(matches["action"]) == ["skip", "skip", "update"]
    assert "Retention" in matches["fields that would change"].iloc[2]
    at.button(key="import_confirm").click().run()
    assert not at.exception and "Updated 1. Skipped 2." in at.success[0].value.replace("\\", "")
    assert _counts(app_env) == (1, 3)
