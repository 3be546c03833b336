"""Findings where the record is: each open finding beside the field it is about; Fix opens the form there."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ropa.finding_fields import RULE_FIELDS, activity_findings, field_of
from ropa.forms import GENERAL, SECTION_OF_FIELD
from ropa.gaps import RULES
from ropa.storage.activities import create_activity
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity
from tests.factories import DPO, make_activity, make_entity
from ui.activity_view import findings_by_section

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent
ROLES = '[roles]\n"viewer@example.com" = "viewer"\n'


def test_every_mapped_rule_exists_and_names_a_field_of_the_form() -> None:
    known = {r.id for r in RULES}
    assert set(RULE_FIELDS) <= known
    assert all(field in SECTION_OF_FIELD for field in RULE_FIELDS.values())


def test_every_activity_rule_has_a_field() -> None:
    unmapped = [r.id for r in RULES if r.applies_to != "entity" and field_of(r.id) is None]
    assert unmapped == []


@pytest.mark.parametrize(("rule", "section"), [
    ("lawful_basis_missing", "lawful"), ("transfer_tia_missing", "transfers"), ("retention_vague", "retention"),
    ("review_overdue", "governance"), ("entity_contact_missing", GENERAL), ("a_rule_not_known_yet", GENERAL),
])
def test_findings_group_under_the_section_of_their_field(rule: str, section: str) -> None:
    frame = pd.DataFrame([{"rule": rule, "field": field_of(rule), "title": "t"}])
    assert list(findings_by_section(frame, can_fix=True)) == [section]


def test_the_activitys_findings_name_their_fields(db: Database) -> None:
    entity = create_entity(db, DPO, make_entity())
    bare = create_activity(db, DPO, make_activity(entity.id or 0, name="Bare", lawful_bases=[], purpose=""))
    create_activity(db, DPO, make_activity(entity.id or 0, name="Other", lawful_bases=[]))
    found = activity_findings(db, int(bare.id or 0), entity.id or 0, date.today())
    assert set(found["activity_id"]) == {bare.id}
    assert {("lawful_basis_missing", "lawful_bases"), ("purpose_missing", "purpose")} <= set(
        zip(found["rule"], found["field"], strict=True))


def _open(app_env: Path, user: dict[str, object] | None = None) -> AppTest:
    db = open_database(app_env)
    entity = create_entity(db, DPO, make_entity())
    activity = create_activity(db, DPO, make_activity(entity.id or 0, lawful_bases=[]))
    at = AppTest.from_file(str(ROOT / "screens" / "activity.py"), default_timeout=60)
    if user is not None:
        at.user = user
        at.secrets["auth"] = {"client_id": "ropa-test"}  # OpenID Connect is set up on this server
    at.query_params["id"] = str(activity.id)
    at.session_state["activity_tabs"] = "Record"
    return at.run()


def _markdown(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown).replace("\\", "")


def test_the_record_shows_a_finding_in_its_section_with_fix(app_env: Path) -> None:
    at = _open(app_env)
    assert not at.exception
    text = _markdown(at)
    assert "No Article 6 lawful basis" in text
    headings = [s.value for s in at.subheader]
    assert "Lawful basis and conditions" in headings
    fix = at.button(key="fix_lawful_basis_missing_0")
    assert fix.label == "Fix"


def test_fix_opens_the_edit_form_at_that_field(app_env: Path) -> None:
    at = _open(app_env)
    at.button(key="fix_lawful_basis_missing_0").click().run()
    assert not at.exception
    assert at.session_state["activity_tabs"] == "Edit"
    assert any("Fix: No Article 6 lawful basis" in i.value for i in at.info)
    assert at.get("html"), "the form brings the field into view"
    at.run()
    assert not any("Fix:" in i.value for i in at.info), "the request is used once"


def test_a_viewer_sees_the_findings_but_no_fix(app_env: Path, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES, encoding="utf-8")
    monkeypatch.setenv("ROPA_AUTH_MODE", "oidc")
    monkeypatch.setenv("ROPA_ROLES_FILE", str(roles))
    at = _open(app_env, {"is_logged_in": True, "email": "viewer@example.com"})
    assert not at.exception
    assert "No Article 6 lawful basis" in _markdown(at)
    assert not [b for b in at.button if b.key and b.key.startswith("fix_")]
