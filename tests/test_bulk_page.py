"""Bulk edit on the Register page: tick rows, change them together, see what changed or why nothing did."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ropa.storage.activities import create_activities, get_activity, update_activity
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity
from tests.factories import DPO, EDITOR, VIEWER, Seeded, make_activity, make_entity

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent


def _build(db: Database) -> list[int]:
    entity = create_entity(db, DPO, make_entity())
    created = create_activities(db, DPO, [make_activity(entity.id or 0, name=n, status="draft")
                                          for n in ("Alpha", "Bravo", "Charlie")])
    return [int(a.id or 0) for a in created]


def _seed(app_env: Path, seeded: Seeded) -> tuple[Database, list[int]]:
    """The register of these tests at ``app_env`` (built once, copied), and its ids."""
    ids: list[int] = seeded(_build, app_env)
    return open_database(app_env), ids


def _ticked(rows: list[int]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "screens" / "register.py"), default_timeout=30)
    at.session_state["register_table"] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    return at.run()


def _errors(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in at.error).replace("\\", "")


def test_ticked_rows_get_the_form_and_a_change_reaches_each_of_them(app_env: Path, seeded: Seeded) -> None:
    db, ids = _seed(app_env, seeded)
    at = _ticked([0, 2])
    assert not at.exception
    at.text_input(key="bulk_owner").set_value("Priya Patel")
    at.selectbox(key="bulk_status").set_value("in_review")
    at.button(key="FormSubmitter:register_bulk-Apply to 2 activities").click().run()
    assert not at.exception
    assert "Changed 2 activities" in at.success[0].value.replace("\\", "")
    changed = [get_activity(db, i) for i in ids]
    assert [(a.owner, a.status) for a in changed] == [("Priya Patel", "in_review"), ("Head of Finance", "draft"),
                                                      ("Priya Patel", "in_review")]


def test_a_batch_with_an_activity_changed_meanwhile_is_refused_with_its_name(app_env: Path, seeded: Seeded) -> None:
    db, ids = _seed(app_env, seeded)
    at = _ticked([0, 1])
    bravo = get_activity(db, ids[1])
    update_activity(db, EDITOR, bravo.model_copy(update={"purpose": "Changed elsewhere."}), bravo.version)
    at.text_input(key="bulk_owner").set_value("Priya Patel")
    at.button(key="FormSubmitter:register_bulk-Apply to 2 activities").click().run()
    assert not at.exception
    errors = _errors(at)
    assert "Nothing was changed" in errors and "'Bravo'" in errors and "editor@example.test" in errors
    assert get_activity(db, ids[0]).owner == "Head of Finance"


def test_a_recipient_name_without_a_category_is_not_dropped_silently(app_env: Path, seeded: Seeded) -> None:
    db, ids = _seed(app_env, seeded)
    at = _ticked([0])
    at.text_input(key="bulk_recipient_name").set_value("Payroll Bureau")
    at.button(key="FormSubmitter:register_bulk-Apply to 1 activities").click().run()
    assert "Recipient category: choose one for the recipient to add" in _errors(at)
    assert get_activity(db, ids[0]).version == 1


def test_no_ticked_row_no_form(app_env: Path, seeded: Seeded) -> None:
    _seed(app_env, seeded)
    at = _ticked([])
    assert not at.exception
    assert not [f for f in at.text_input if f.key == "bulk_owner"]


@pytest.mark.parametrize("user", [VIEWER])
def test_viewers_get_no_bulk_form(app_env: Path, monkeypatch: pytest.MonkeyPatch, user: object, seeded: Seeded) -> None:
    import ui.session

    _seed(app_env, seeded)
    monkeypatch.setattr(ui.session, "current_user", lambda: user)
    at = _ticked([0, 1])
    assert not at.exception
    assert not [f for f in at.text_input if f.key == "bulk_owner"]
