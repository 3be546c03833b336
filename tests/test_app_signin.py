"""Sign-in in the running app: who gets in, with which controls, and who is turned away."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ropa.storage.database import open_database

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent
ROLES = """
[roles]
"dpo@example.com" = "admin"
"ed@example.com" = "editor"
"*@example.com" = "viewer"
"""


def _demo(app_env: Path, demo_template: Path) -> None:
    shutil.copy(demo_template, app_env)


def _oidc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, email: str | None) -> dict[str, object]:
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES, encoding="utf-8")
    monkeypatch.setenv("ROPA_AUTH_MODE", "oidc")
    monkeypatch.setenv("ROPA_ROLES_FILE", str(roles))
    return {"is_logged_in": email is not None, "email": email or "", "name": "Test Person"}


def _page(name: str, user: dict[str, object] | None = None, state: dict[str, object] | None = None,
          **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "screens" / f"{name}.py"), default_timeout=30)
    if user is not None:
        at.user = user
        if user.pop("configured", True):
            at.secrets["auth"] = {"client_id": "ropa-test", "client_secret": "not-a-secret"}
    for key, value in (state or {}).items():
        at.session_state[key] = value
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _shown(text: str) -> str:
    """What the reader sees of an escaped message: Markdown escapes removed."""
    return re.sub(r"\\(.)", r"\1", text)


def _first_activity(app_env: Path) -> str:
    return str(open_database(app_env).rows("SELECT min(id) FROM activities")[0][0])


def _widget_keys(at: AppTest) -> set[str]:
    keys: set[str] = set()
    for kind in ("button", "text_input", "text_area", "selectbox", "multiselect", "number_input", "checkbox",
                 "radio", "date_input", "form_submit_button"):
        keys |= {str(w.key) for w in getattr(at, kind) if w.key}
    return keys


def test_a_viewer_sees_the_record_but_no_edit_controls(
    app_env: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    _demo(app_env, demo_template)
    user = _oidc(monkeypatch, tmp_path, "someone@example.com")
    at = _page("activity", user, id=_first_activity(app_env))
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Record", "History"]
    keys = _widget_keys(at) - {"activity_tabs"}
    assert not {k for k in keys if k.startswith(("act", "activity_"))}
    assert not at.data_editor


def test_a_viewer_left_on_the_edit_tab_gets_the_record_not_the_form(
    app_env: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    _demo(app_env, demo_template)
    # "Edit" was chosen before their role was lowered, say.
    at = _page("activity", _oidc(monkeypatch, tmp_path, "someone@example.com"), state={"activity_tabs": "Edit"},
               id=_first_activity(app_env))
    assert not at.exception
    assert not {k for k in _widget_keys(at) if k.startswith("actform")}
    assert any("Purpose" in m.value for m in at.markdown)


def test_a_viewer_cannot_open_the_new_activity_form(
    app_env: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    _demo(app_env, demo_template)
    at = _page("activity", _oidc(monkeypatch, tmp_path, "someone@example.com"), new="1")
    assert "needs the editor role" in at.warning[0].value
    assert not _widget_keys(at)


def test_a_viewer_gets_no_new_activity_button_in_the_register(
    app_env: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    _demo(app_env, demo_template)
    at = _page("register", _oidc(monkeypatch, tmp_path, "someone@example.com"))
    assert "register_new" not in _widget_keys(at)
    assert len(at.dataframe(key="register_table").value) > 0


def test_an_editor_edits_activities_but_not_entities(
    app_env: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    _demo(app_env, demo_template)
    user = _oidc(monkeypatch, tmp_path, "ed@example.com")
    activity = _page("activity", user, id=_first_activity(app_env))
    assert [t.label for t in activity.tabs] == ["Record", "Edit", "History"]
    activity.session_state["activity_tabs"] = "Edit"
    assert "actform_save" in _widget_keys(activity.run())
    entities = _page("entities", user)
    assert not {k for k in _widget_keys(entities) if k.startswith(("entf", "entnew", "ent_archive", "ent_save"))}
    assert [t.label for t in entities.tabs] == ["Details", "History"]


def test_the_admin_page_refuses_non_admins(
    app_env: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    _demo(app_env, demo_template)
    at = _page("admin", _oidc(monkeypatch, tmp_path, "ed@example.com"))
    assert "Settings and backup is for admins" in _shown(at.warning[0].value)
    assert not _widget_keys(at)


def test_oidc_without_a_session_offers_sign_in_and_shows_nothing_else(
    app_env: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    _demo(app_env, demo_template)
    at = _page("register", _oidc(monkeypatch, tmp_path, None))
    assert at.title[0].value == "Not signed in"
    assert _widget_keys(at) == {"signin_login"}
    assert not at.dataframe


def test_proxy_mode_without_the_header_is_not_signed_in(
    app_env: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    _demo(app_env, demo_template)
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES, encoding="utf-8")
    monkeypatch.setenv("ROPA_AUTH_MODE", "proxy")
    monkeypatch.setenv("ROPA_ROLES_FILE", str(roles))
    for name in ("register", "activity", "entities", "history", "admin"):
        at = _page(name, id=_first_activity(app_env))
        assert at.title[0].value == "Not signed in", name
        assert "X-Forwarded-Email" in _shown(at.error[0].value)
        assert not at.dataframe and not _widget_keys(at)


@pytest.mark.parametrize(("env", "message"), [
    pytest.param({"ROPA_AUTH_MODE": "ldap"}, "ROPA_AUTH_MODE", id="unknown-mode"),
    pytest.param({"ROPA_AUTH_MODE": "proxy", "ROPA_ROLES_FILE": "config/no-such-roles.toml"}, "does not exist",
                 id="missing-roles-file"),
])
def test_a_broken_sign_in_configuration_blocks_access_with_the_reason(
    app_env: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str,
) -> None:
    _demo(app_env, demo_template)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    at = _page("register")
    assert at.title[0].value == "Sign-in is not configured"
    assert message in _shown(at.error[0].value)
    assert not at.dataframe


def test_sign_in_with_an_incomplete_provider_setup_says_so(app_env: Path, demo_template: Path,
                                                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _demo(app_env, demo_template)
    at = _page("register", _oidc(monkeypatch, tmp_path, None))
    at.button(key="signin_login").click().run()
    assert not at.exception
    assert any("Single sign-on is not set up" in _shown(e.value) for e in at.error)
    assert not at.dataframe


@pytest.mark.parametrize("name", ["register", "activity", "dashboard", "gaps", "export", "admin"])
def test_oidc_without_any_provider_secrets_says_sign_in_is_not_configured(
    app_env: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str,
) -> None:
    _demo(app_env, demo_template)
    at = _page(name, {**_oidc(monkeypatch, tmp_path, None), "configured": False}, id=_first_activity(app_env))
    assert not at.exception
    assert at.title[0].value == "Sign-in is not configured"
    assert "no [auth] section" in _shown(at.error[0].value)
    assert not at.dataframe and not _widget_keys(at)
