"""My work: what the signed-in person owns, must review, may approve and must fix."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ropa.auth import Role, User
from ropa.my_work import my_work, owner_names
from ropa.storage.activities import create_activities, transition
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity
from tests.factories import DPO, EDITOR, Seeded, make_activity, make_entity

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 6, 1)
ME = User("dpo@localhost", Role.ADMIN, "Dana Protection")
ROLES = '[roles]\n"viewer@example.com" = "viewer"\n'


def _seed(db: Database) -> dict[str, int]:
    entity = create_entity(db, DPO, make_entity())
    mine = create_activities(db, DPO, [
        make_activity(entity.id or 0, name="Overdue mine", owner="dpo@localhost", lawful_bases=[],
                      last_reviewed=date(2025, 1, 1), next_review_due=date(2026, 1, 1)),
        make_activity(entity.id or 0, name="Due soon by name", owner="  dana protection ",
                      last_reviewed=date(2025, 6, 10), next_review_due=date(2026, 6, 10)),
        make_activity(entity.id or 0, name="Later mine", owner="DPO@localhost", next_review_due=date(2027, 1, 1)),
        make_activity(entity.id or 0, name="Someone else's", owner="Head of Finance", lawful_bases=[]),
        make_activity(entity.id or 0, name="Submitted by me", owner="Head of Finance", status="draft"),
    ])
    theirs = create_activities(db, EDITOR, [make_activity(entity.id or 0, name="Submitted by the editor",
                                                          owner="Head of Finance", status="draft")])[0]
    transition(db, EDITOR, int(theirs.id or 0), theirs.version, "in_review")
    own_submission = mine[4]
    transition(db, ME, int(own_submission.id or 0), own_submission.version, "in_review")
    return {a.name: int(a.id or 0) for a in [*mine, theirs]}


@pytest.fixture
def register(seeded: Seeded, tmp_path: Path) -> Database:
    """A copy of the register ``_seed`` builds once per session."""
    seeded(_seed, tmp_path / "work.duckdb")
    return open_database(tmp_path / "work.duckdb")


@pytest.mark.parametrize(("user", "names"), [
    pytest.param(ME, ["dana protection", "dpo@localhost"], id="email-and-name"),
    pytest.param(User("x@example.com", Role.VIEWER), ["x@example.com"], id="email-only"),
])
def test_an_owner_field_may_name_a_person_by_email_or_name(user: User, names: list[str]) -> None:
    assert owner_names(user) == names


def test_owned_activities_match_email_or_name_ignoring_case_and_spaces(register: Database) -> None:
    work = my_work(register, ME, TODAY)
    assert set(work.owned["name"]) == {"Overdue mine", "Due soon by name", "Later mine"}


def test_reviews_due_are_the_owned_ones_overdue_or_due_soon_soonest_first(register: Database) -> None:
    assert list(my_work(register, ME, TODAY).review_due["name"]) == ["Overdue mine", "Due soon by name"]


def test_approval_waits_on_someone_who_did_not_submit_it(register: Database) -> None:
    assert list(my_work(register, ME, TODAY).awaiting_approval["name"]) == ["Submitted by the editor"]
    assert list(my_work(register, EDITOR, TODAY).awaiting_approval["name"]) == ["Submitted by me"]


def test_viewers_have_nothing_to_approve(register: Database) -> None:
    assert my_work(register, User("v@example.com", Role.VIEWER), TODAY).awaiting_approval.empty


def test_defects_are_the_open_findings_on_owned_activities_only(register: Database) -> None:
    defects = my_work(register, ME, TODAY).defects
    assert "Overdue mine" in set(defects["activity"]) <= {"Overdue mine", "Due soon by name", "Later mine"}
    assert "lawful_basis_missing" in set(defects[defects["activity"] == "Overdue mine"]["rule"])
    assert list(defects["severity"]) == sorted(defects["severity"], key=["critical", "high", "medium", "low"].index)


def test_someone_who_owns_nothing_gets_empty_lists(register: Database) -> None:
    work = my_work(register, User("nobody@example.com", Role.EDITOR), TODAY)
    assert work.owned.empty and work.review_due.empty and work.defects.empty


def _page(user: dict[str, object] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "screens" / "my_work.py"), default_timeout=60)
    if user is not None:
        at.user = user
        at.secrets["auth"] = {"client_id": "ropa-test"}  # OpenID Connect is set up on this server
    return at.run()


def _oidc_page(app_env: Path, seeded: Seeded, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
               user: dict[str, object]) -> AppTest:
    """The page for a person signed in through single sign-on, with the roles file naming a viewer."""
    seeded(_seed, app_env)
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES, encoding="utf-8")
    monkeypatch.setenv("ROPA_AUTH_MODE", "oidc")
    monkeypatch.setenv("ROPA_ROLES_FILE", str(roles))
    return _page(user)


def test_page_shows_the_four_lists_with_counts(app_env: Path, seeded: Seeded) -> None:
    seeded(_seed, app_env)
    at = _page()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Activities you own"] == "2"  # local mode: dpo@localhost, no display name
    assert metrics["Awaiting your approval"] == "1"
    assert [s.value for s in at.subheader] == ["Reviews due", "Awaiting your approval", "Defects on your activities",
                                               "Activities you own"]
    assert set(at.dataframe(key="my_work_owned").value["name"]) == {"Overdue mine", "Later mine"}


def test_clicking_a_name_opens_the_activity(app_env: Path, seeded: Seeded) -> None:
    ids: dict[str, int] = seeded(_seed, app_env)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("screens/my_work.py").run()
    at.session_state["my_work_approval"] = {"selection": {"rows": [], "columns": [], "cells": [[0, "name"]]}}
    at.run()
    assert not at.exception
    assert at.query_params["id"] == str(ids["Submitted by the editor"])


def test_page_on_an_empty_register_says_there_is_nothing(app_env: Path) -> None:
    at = _page()
    assert not at.exception
    assert any("No activity names you as its owner" in c.value.replace("\\", "") for c in at.caption)


def test_a_viewer_is_told_approving_needs_the_editor_role(app_env: Path, seeded: Seeded,
                                                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    at = _oidc_page(app_env, seeded, monkeypatch, tmp_path, {"is_logged_in": True, "email": "viewer@example.com"})
    assert not at.exception
    assert any("Approving needs the editor role" in c.value for c in at.caption)


def test_someone_not_signed_in_sees_no_register_data(app_env: Path, seeded: Seeded, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    at = _oidc_page(app_env, seeded, monkeypatch, tmp_path, {"is_logged_in": False})
    assert not at.exception
    assert at.title[0].value == "Not signed in" and not at.dataframe
