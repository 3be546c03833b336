"""The entities page: group structure, create, edit with conflict handling, archive and restore."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ropa.models import Entity
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity, get_entity, list_entities, update_entity
from tests.factories import DPO, Seeded, make_entity
from ui.form_keys import field_key, generation_key

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent


def _page() -> AppTest:
    return AppTest.from_file(str(ROOT / "screens" / "entities.py"), default_timeout=30)


def _group(db: Database) -> tuple[int, int]:
    parent = create_entity(db, DPO, make_entity(name="Group plc"))
    child = create_entity(db, DPO, make_entity(name="Child Ltd", parent_id=parent.id, country="IE"))
    return parent.id or 0, child.id or 0


def _seed(seeded: Seeded, app_env: Path) -> tuple[Database, Entity, Entity]:
    """The app's register holding a parent and its subsidiary (built once per session, copied here)."""
    parent_id, child_id = seeded(_group, app_env)
    db = open_database(app_env)
    return db, get_entity(db, parent_id), get_entity(db, child_id)


def _key(at: AppTest, form: str, field: str) -> str:
    """A form field's key as drawn now (forms take new keys when they start afresh)."""
    state = at.session_state
    return field_key(form, field, int(state[generation_key(form)]) if generation_key(form) in state else 0)


def _new(at: AppTest, field: str) -> str:
    return _key(at, "entnew", field)


def _edit(at: AppTest, field: str) -> str:
    return _key(at, "entf", field)


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error).replace("\\", "")


def test_the_table_shows_subsidiaries_under_their_parent(app_env: Path, seeded: Seeded) -> None:
    _seed(seeded, app_env)
    at = _page().run()
    assert list(at.dataframe[0].value["Entity"]) == ["Group plc", "↳ Child Ltd"]
    details = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "Subsidiaries:" in details and "- Child Ltd" in details


def test_an_admin_creates_an_entity(app_env: Path, seeded: Seeded) -> None:
    db, parent, _ = _seed(seeded, app_env)
    at = _page().run()
    at.text_input(key=_new(at, "name")).set_value("New Sub GmbH")
    at.selectbox(key=_new(at, "country")).set_value("DE")
    at.selectbox(key=_new(at, "parent_id")).set_value(parent.id)
    at.text_input(key=_new(at, "dpo_email")).set_value("dpo@newsub.example")
    at.button(key="entnew_save").click().run()
    assert not at.exception
    created = next(e for e in list_entities(db) if e.name == "New Sub GmbH")
    assert (created.country, created.parent_id, created.dpo_email) == ("DE", parent.id, "dpo@newsub.example")
    assert at.selectbox(key="ent_select").value == created.id


def test_a_bad_new_entity_is_refused_with_the_reason(app_env: Path, seeded: Seeded) -> None:
    db, _, _ = _seed(seeded, app_env)
    at = _page().run()
    at.text_input(key=_new(at, "name")).set_value("Group plc")
    at.button(key="entnew_save").click().run()
    assert "An entity named 'Group plc' already exists." in _errors(at)
    at.text_input(key=_new(at, "name")).set_value("Other Ltd")
    at.text_input(key=_new(at, "email")).set_value("not an email")
    at.button(key="entnew_save").click().run()
    assert "Email: 'not an email' is not an email address" in _errors(at)
    assert len(list_entities(db)) == 2


def test_an_admin_edits_an_entity(app_env: Path, seeded: Seeded) -> None:
    db, parent, _ = _seed(seeded, app_env)
    at = _page().run()
    at.text_input(key=_edit(at, "representative_name")).set_value("EU Rep BV")
    at.button(key="ent_save").click().run()
    assert not at.exception
    saved = get_entity(db, parent.id or 0)
    assert (saved.representative_name, saved.version) == ("EU Rep BV", 2)
    assert "Saved Group plc (version 2)" in at.success[0].value.replace("\\", "")


def test_a_parent_that_would_make_a_cycle_is_refused(app_env: Path, seeded: Seeded) -> None:
    db, parent, child = _seed(seeded, app_env)
    at = _page().run()
    assert child.id not in at.selectbox(key=_edit(at, "parent_id")).options
    assert get_entity(db, parent.id or 0).parent_id is None


def test_an_entity_conflict_shows_their_change_and_keeps_my_edit(app_env: Path, seeded: Seeded) -> None:
    db, parent, _ = _seed(seeded, app_env)
    at = _page().run()
    at.text_input(key=_edit(at, "phone")).set_value("+44 1")
    update_entity(db, DPO, parent.model_copy(update={"dpo_name": "New DPO"}), 1)
    at.button(key="ent_save").click().run()
    assert "Not saved: dpo@example.test changed this entity" in _errors(at)
    assert at.text_input(key=_edit(at, "phone")).value == "+44 1"
    at.button(key="ent_merge").click().run()
    assert at.text_input(key=_edit(at, "dpo_name")).value == "New DPO"
    assert at.text_input(key=_edit(at, "phone")).value == "+44 1"
    at.button(key="ent_save").click().run()
    saved = get_entity(db, parent.id or 0)
    assert (saved.dpo_name, saved.phone, saved.version) == ("New DPO", "+44 1", 3)


def test_archive_and_restore_an_entity_after_confirming(app_env: Path, seeded: Seeded) -> None:
    db, _, child = _seed(seeded, app_env)
    at = _page().run()
    at.selectbox(key="ent_select").set_value(child.id).run()
    at.button(key="ent_archive").click().run()
    assert not get_entity(db, child.id or 0).archived
    at.button(key="ent_archive_confirm").click().run()
    assert get_entity(db, child.id or 0).archived
    at.toggle(key="ent_show_archived").set_value(True).run()
    at.selectbox(key="ent_select").set_value(child.id).run()
    at.button(key="ent_restore").click().run()
    at.button(key="ent_restore_confirm").click().run()
    assert not get_entity(db, child.id or 0).archived


def test_entity_history_lists_field_changes(app_env: Path, seeded: Seeded) -> None:
    db, parent, _ = _seed(seeded, app_env)
    update_entity(db, DPO, parent.model_copy(update={"phone": "+44 2"}), 1)
    at = _page().run()
    history = next(d.value for d in at.dataframe if "field" in d.value.columns)
    change = history[history["version"] == 2].iloc[0]
    assert (change["field"], change["before"], change["after"]) == ("Phone", "+44 20 7946 0000", "+44 2")


def test_unsaved_entity_edits_survive_choosing_another_entity_and_can_be_discarded(
        app_env: Path, seeded: Seeded) -> None:
    db, parent, child = _seed(seeded, app_env)
    at = _page().run()
    at.selectbox(key="ent_select").set_value(parent.id).run()
    at.text_input(key=_edit(at, "phone")).set_value("+44 1 typed").run()
    assert any("Unsaved edits" in i.value for i in at.info)
    at.selectbox(key="ent_select").set_value(child.id).run()
    assert at.text_input(key=_edit(at, "phone")).value == child.phone
    at.selectbox(key="ent_select").set_value(parent.id).run()
    assert at.text_input(key=_edit(at, "phone")).value == "+44 1 typed"
    at.button(key="ent_discard_kept").click().run()
    assert at.text_input(key=_edit(at, "phone")).value == parent.phone
    assert get_entity(db, parent.id or 0).version == 1


def test_an_admin_records_the_fee_exemption_and_art30_5_reliance_and_reads_them_back(
        app_env: Path, seeded: Seeded) -> None:
    db, parent, _ = _seed(seeded, app_env)
    at = _page().run()
    fee = at.text_area(key=_edit(at, "fee_exemption"))
    assert "DPA 2018 s.137" in (fee.help or "") and "Charges and Information" in (fee.help or "")
    assert "Art. 30(5)" in (at.text_area(key=_edit(at, "art30_5_reliance")).help or "")
    fee.set_value("All processing is staff administration (Schedule para 2)")
    at.text_area(key=_edit(at, "art30_5_reliance")).set_value("12 staff; occasional, no special data")
    at.button(key="ent_save").click().run()
    assert not at.exception
    saved = get_entity(db, parent.id or 0)
    assert (saved.fee_exemption, saved.art30_5_reliance, saved.version) == (
        "All processing is staff administration (Schedule para 2)", "12 staff; occasional, no special data", 2)
    again = _page().run()
    assert again.text_area(key=_edit(again, "fee_exemption")).value == saved.fee_exemption
    assert again.text_area(key=_edit(again, "art30_5_reliance")).value == saved.art30_5_reliance
    details = " ".join(m.value for m in again.markdown).replace("\\", "")
    assert "exemption relied on (DPA 2018 s.137):** All processing is staff administration" in details
    assert "relied on, and why it applies:** 12 staff; occasional, no special data" in details
