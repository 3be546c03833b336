"""Every page of the register runs on an empty and on the demo register, and navigation follows the role."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ropa.auth import Role
from ropa.storage.database import open_database
from ropa.storage.entities import list_entities
from ui.nav import PAGES, pages_for

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent
MY_PAGES = ["register", "activity", "entities", "history", "admin"]


def _page(name: str) -> AppTest:
    return AppTest.from_file(str(ROOT / "screens" / f"{name}.py"), default_timeout=30)


def _demo(app_env: Path, demo_template: Path) -> None:
    shutil.copy(demo_template, app_env)


def _texts(at: AppTest) -> str:
    parts = [str(getattr(e, "value", "")) for kind in ("title", "markdown", "info", "warning", "error", "caption",
                                                       "success", "subheader")
             for e in getattr(at, kind)]
    return "\n".join(parts)


@pytest.mark.parametrize("name", MY_PAGES)
def test_page_runs_on_an_empty_register(app_env: Path, name: str) -> None:
    at = _page(name).run()
    assert not at.exception
    assert at.title


@pytest.mark.parametrize("name", MY_PAGES)
def test_page_runs_on_the_demo_register(app_env: Path, demo_template: Path, name: str) -> None:
    _demo(app_env, demo_template)
    at = _page(name).run()
    assert not at.exception
    assert at.title


def test_register_page_lists_every_live_demo_activity(app_env: Path, demo_template: Path) -> None:
    _demo(app_env, demo_template)
    live = open_database(app_env).rows("SELECT count(*) FROM activities WHERE status <> 'archived'")[0][0]
    at = _page("register").run()
    assert len(at.dataframe(key="register_table").value) == live > 0


def test_every_demo_activity_opens_without_error(app_env: Path, demo_template: Path) -> None:
    _demo(app_env, demo_template)
    ids = [r[0] for r in open_database(app_env).rows("SELECT id FROM activities ORDER BY id")]
    at = _page("activity")
    for activity_id in ids:
        at.query_params["id"] = str(activity_id)
        at.run()
        assert not at.exception, activity_id
        assert "(a) Controller" in _texts(at)


@pytest.mark.parametrize("raw", ["999999", "abc", "-1", "<script>"])
def test_an_unknown_activity_id_says_not_found(app_env: Path, demo_template: Path, raw: str) -> None:
    _demo(app_env, demo_template)
    at = _page("activity")
    at.query_params["id"] = raw
    at.run()
    assert not at.exception
    assert "There is no activity with id" in at.warning[0].value


def test_entities_page_shows_the_demo_group_structure(app_env: Path, demo_template: Path) -> None:
    _demo(app_env, demo_template)
    entities = list_entities(open_database(app_env))
    at = _page("entities").run()
    table = at.dataframe[0].value
    assert len(table) == len(entities)
    assert any(name.startswith("↳ ") for name in table["Entity"])


@pytest.mark.parametrize(("role", "hidden", "shown"), [
    pytest.param(Role.VIEWER, {"screens/import.py", "screens/admin.py"},
                 {"screens/register.py", "screens/activity.py", "screens/entities.py", "screens/history.py",
                  "screens/dashboard.py", "screens/gaps.py", "screens/export.py"}, id="viewer"),
    pytest.param(Role.EDITOR, {"screens/import.py", "screens/admin.py"}, {"screens/register.py", "screens/export.py"},
                 id="editor"),
    pytest.param(Role.ADMIN, set(), {spec.path for spec in PAGES}, id="admin"),
])
def test_navigation_offers_only_the_pages_the_role_allows(role: Role, hidden: set[str], shown: set[str]) -> None:
    offered = {spec.path for specs in pages_for(role).values() for spec in specs}
    assert shown <= offered
    assert not hidden & offered


def test_navigation_groups_pages_in_sections() -> None:
    assert list(pages_for(Role.ADMIN)) == ["Register", "Analysis", "Reports", "Admin"]


def test_every_listed_page_file_exists() -> None:
    missing = [spec.path for spec in PAGES if not (ROOT / spec.path).is_file()]
    assert not missing


def test_app_shows_the_local_mode_notice(app_env: Path, demo_template: Path) -> None:
    _demo(app_env, demo_template)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.exception
    notice = " ".join(i.value for i in at.sidebar.info)
    assert "Local mode: you are signed in as dpo@localhost with admin rights" in notice


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)


def test_app_turns_away_a_visitor_without_identity_before_any_page_runs(
    app_env: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    _demo(app_env, demo_template)
    roles = tmp_path / "roles.toml"
    roles.write_text('[roles]\n"dpo@example.com" = "admin"\n', encoding="utf-8")
    monkeypatch.setenv("ROPA_AUTH_MODE", "proxy")
    monkeypatch.setenv("ROPA_ROLES_FILE", str(roles))
    at = _app().run()
    assert not at.exception
    assert at.title[0].value == "Not signed in"
    assert not at.sidebar.children or not _texts(at.sidebar)
    assert not at.dataframe and "SmartComms" not in _texts(at)


@pytest.mark.parametrize(("role", "hidden"), [
    pytest.param("viewer", {"Import", "Settings and backup"}, id="viewer"),
    pytest.param("admin", set(), id="admin"),
])
def test_app_menu_links_only_the_pages_the_role_may_open(
    app_env: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, role: str,
    hidden: set[str],
) -> None:
    _demo(app_env, demo_template)
    roles = tmp_path / "roles.toml"
    roles.write_text(f'[roles]\n"person@example.com" = "{role}"\n', encoding="utf-8")
    monkeypatch.setenv("ROPA_AUTH_MODE", "oidc")
    monkeypatch.setenv("ROPA_ROLES_FILE", str(roles))
    at = _app()
    at.user = {"is_logged_in": True, "email": "person@example.com", "name": "Person"}
    at.secrets["auth"] = {"client_id": "ropa-test"}
    at.run()
    assert not at.exception
    links = {link.label for link in at.sidebar.get("page_link")}
    assert "Register" in links and "Dashboard" in links
    assert not hidden & links


@pytest.mark.parametrize("content", [b"", b"this is not a register file" * 100], ids=["empty", "garbage"])
def test_a_broken_register_file_is_a_message_not_a_traceback(app_env: Path, content: bytes) -> None:
    app_env.write_bytes(content)
    at = _app().run()
    assert not at.exception
    assert any("The register cannot be used right now" in e.value.replace("\\", "") for e in at.error)


def test_a_bad_setting_is_one_line_on_the_page_and_nothing_else(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROPA_REVIEW_INTERVAL_MONTHS", "abc")
    at = _app().run()
    assert not at.exception
    assert at.title[0].value == "The server is not configured"
    assert "ROPA_REVIEW_INTERVAL_MONTHS" in at.error[0].value.replace("\\", "")
    assert not at.dataframe
