"""The history page: the audit trail filtered by user, dates, entity and activity; reviews falling due."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ropa.storage.activities import create_activity, update_activity
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity
from tests.factories import DPO, EDITOR, Seeded, make_activity, make_entity

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent


def _page() -> AppTest:
    return AppTest.from_file(str(ROOT / "screens" / "history.py"), default_timeout=30)


def _build(db: Database) -> dict[str, int]:
    parent = create_entity(db, DPO, make_entity(name="Group plc"))
    child = create_entity(db, DPO, make_entity(name="Child Ltd", parent_id=parent.id))
    other = create_entity(db, DPO, make_entity(name="Other Ltd"))
    today = date.today()
    billing = create_activity(db, DPO, make_activity(child.id or 0, next_review_due=today - timedelta(days=3),
                                                     last_reviewed=today - timedelta(days=368)))
    crm = create_activity(db, DPO, make_activity(other.id or 0, name="CRM", next_review_due=today + timedelta(days=10),
                                                 last_reviewed=today - timedelta(days=355)))
    create_activity(db, DPO, make_activity(other.id or 0, name="Later", next_review_due=today + timedelta(days=90),
                                           last_reviewed=today - timedelta(days=275)))
    update_activity(db, EDITOR, billing.model_copy(update={"owner": "New owner"}), 1)
    return {"parent": int(parent.id or 0), "billing": int(billing.id or 0), "crm": int(crm.id or 0)}


def _seed(app_env: Path, seeded: Seeded) -> tuple[Database, dict[str, int]]:
    """The register of these tests at ``app_env`` (built once, copied), and its ids."""
    ids: dict[str, int] = seeded(_build, app_env)
    return open_database(app_env), ids


def _changes(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value


def test_history_shows_every_change_field_by_field(app_env: Path, seeded: Seeded) -> None:
    _seed(app_env, seeded)
    at = _page().run()
    changes = _changes(at)
    edit = changes[changes["actor"] == "editor@example.test"].iloc[0]
    assert (edit["field"], edit["before"], edit["after"]) == ("Owner", "Head of Finance", "New owner")


def test_history_filters_by_user(app_env: Path, seeded: Seeded) -> None:
    _seed(app_env, seeded)
    at = _page().run()
    at.selectbox(key="hist_actor").set_value("editor@example.test").run()
    assert set(_changes(at)["actor"]) == {"editor@example.test"}


def test_history_filters_by_activity(app_env: Path, seeded: Seeded) -> None:
    _, ids = _seed(app_env, seeded)
    at = _page().run()
    at.number_input(key="hist_activity").set_value(ids["crm"]).run()
    changes = _changes(at)
    assert set(changes["record_id"]) == {ids["crm"]}
    assert set(changes["action"]) == {"Created"}


def test_history_filters_by_entity_including_subsidiaries(app_env: Path, seeded: Seeded) -> None:
    _, ids = _seed(app_env, seeded)
    at = _page().run()
    at.selectbox(key="hist_entity").set_value(ids["parent"]).run()
    records = set(zip(_changes(at)["record_type"], _changes(at)["record_id"], strict=True))
    assert ("activity", ids["billing"]) in records
    assert ("activity", ids["crm"]) not in records


def test_history_filters_by_date_range(app_env: Path, seeded: Seeded) -> None:
    _seed(app_env, seeded)
    at = _page().run()
    at.date_input(key="hist_until").set_value(date.today() - timedelta(days=1)).run()
    assert "No recorded changes." in [c.value for c in at.caption]
    at.date_input(key="hist_until").set_value(date.today()).run()
    at.date_input(key="hist_since").set_value(date.today()).run()
    assert len(_changes(at)) > 0


def test_reviews_due_lists_overdue_and_soon_due_activities(app_env: Path, seeded: Seeded) -> None:
    _seed(app_env, seeded)
    at = _page().run()
    due = at.dataframe(key="hist_reviews").value
    assert list(due["name"]) == ["Customer billing", "CRM"]
    assert [m.value for m in at.metric] == ["1", "1", "0"]
    assert list(due["status"]) == ["Draft", "Approved"]  # billing was edited after approval


def test_history_names_status_steps_in_words_and_shows_list_changes_in_one_cell(app_env: Path, seeded: Seeded) -> None:
    from ropa.storage.activities import get_activity, transition

    db, ids = _seed(app_env, seeded)
    billing = get_activity(db, ids["billing"])
    edited = update_activity(db, EDITOR, billing.model_copy(update={"systems": ["Ledger"]}), billing.version)
    transition(db, EDITOR, ids["billing"], edited.version, "in_review")
    changes = _changes(_page().run())
    assert "Draft → In review" in set(changes["detail"])
    systems = changes[changes["field"] == "Systems"].iloc[0]
    assert systems["change"].startswith("added Ledger")
