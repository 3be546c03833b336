"""The activity form picks business functions and systems from the managed lists, and vendors for its rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ropa.models import Activity, Vendor
from ropa.storage.activities import create_activity, get_activity
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity
from ropa.storage.vendors import add_term, create_vendor, list_terms, update_vendor
from tests.factories import DPO, Seeded, make_activity, make_entity, make_transfer
from ui.form_keys import field_key, generation_key

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent


def _build(db: Database, **overrides: object) -> int:
    entity = create_entity(db, DPO, make_entity())
    activity = create_activity(db, DPO, make_activity(entity.id or 0, **overrides))
    add_term(db, DPO, "business_functions", "Human Resources")
    return activity.id or 0


def _one_activity(db: Database) -> int:
    return _build(db)


def _one_activity_with_a_transfer(db: Database) -> int:
    return _build(db, transfers=[make_transfer()])


def _seed(seeded: Seeded, app_env: Path, build: Callable[[Database], int] = _one_activity
          ) -> tuple[Database, Activity]:
    """The app's register holding one activity and a managed business function (built once, copied here)."""
    activity_id: int = seeded(build, app_env)
    db = open_database(app_env)
    return db, get_activity(db, activity_id)


def _open(activity_id: int | None, tab: str = "Edit") -> AppTest:
    at = AppTest.from_file(str(ROOT / "screens" / "activity.py"), default_timeout=60)
    at.query_params["id"] = str(activity_id)
    at.session_state["activity_tabs"] = tab
    return at.run()


def _k(at: AppTest, field: str) -> str:
    state = at.session_state
    return field_key("act", field, int(state[generation_key("act")]) if generation_key("act") in state else 0)


def _said(at: AppTest) -> str:
    return " ".join(str(e.value) for kind in ("success", "info", "error") for e in getattr(at, kind)).replace("\\", "")


def _type(at: AppTest, field: str, value: str | list[str]) -> AppTest:
    """Type into a widget that accepts new options, as the browser sends it (AppTest picks only listed ones)."""
    if isinstance(value, list):
        at.multiselect(key=_k(at, field)).set_value(value)
        return at
    widget = at.selectbox(key=_k(at, field))
    if value not in widget.options:
        widget.options.append(value)  # the browser offers what the user typed as a new option
    widget.set_value(value)
    return at


def _term_rows(db: Database, name: str) -> list[str]:
    return [str(r[0]) for r in db.rows("SELECT term FROM managed_terms WHERE list = ? ORDER BY term", [name])]


def test_business_function_and_systems_are_picked_from_the_managed_lists(app_env: Path, seeded: Seeded) -> None:
    _, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    function = at.selectbox(key=_k(at, "business_function"))
    assert function.value == "Finance"
    assert {"Finance", "Human Resources"} <= set(function.options)
    systems = at.multiselect(key=_k(at, "systems"))
    assert systems.value == ["Sage"] and "Sage" in systems.options


def test_a_variant_of_a_listed_term_is_saved_as_the_listed_term_and_the_user_is_told(
        app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    _type(at, "business_function", "human  resources").run()
    assert "'human  resources' is saved as 'Human Resources'" in _said(at)
    at.button(key="actform_save").click().run()
    assert not at.exception
    assert get_activity(db, activity.id or 0).business_function == "Human Resources"
    assert "'human  resources' is saved as 'Human Resources', the term the list already holds" in _said(at)
    assert _term_rows(db, "business_functions") == ["Human Resources"], "no second spelling is listed"
    assert list_terms(db, "business_functions") == ["Human Resources"]


def test_a_new_term_is_saved_and_added_to_its_managed_list(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    _type(at, "business_function", "Legal  and Compliance")
    _type(at, "systems", ["sage", "Workday"])
    at.button(key="actform_save").click().run()
    assert not at.exception
    saved = get_activity(db, activity.id or 0)
    assert (saved.business_function, saved.systems) == ("Legal and Compliance", ["Sage", "Workday"])
    assert "Legal and Compliance" in _term_rows(db, "business_functions")
    assert _term_rows(db, "systems") == ["Workday"]  # Sage was only in use, and still is
    assert list_terms(db, "systems") == ["Sage", "Workday"]
    assert "'Workday' is added to the managed list of systems." in _said(at)
    assert db.rows("SELECT count(*) FROM audit_log WHERE record_type = 'term'") == [(3,)]  # HR, Legal, Workday


def test_a_refused_save_adds_no_term(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    _type(at, "business_function", "Treasury")
    at.text_input(key=_k(at, "name")).set_value("")
    at.button(key="actform_save").click().run()
    assert get_activity(db, activity.id or 0).version == 1
    assert "Treasury" not in _term_rows(db, "business_functions")
    assert at.selectbox(key=_k(at, "business_function")).value == "Treasury"


def test_a_new_unsaved_term_stays_in_the_draft_across_tabs(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    _type(at, "business_function", "Treasury")
    _type(at, "systems", ["Sage", "Kyriba"]).run()
    at.session_state["activity_tabs"] = "Record"
    at.run()
    at.session_state["activity_tabs"] = "Edit"
    at.run()
    assert at.selectbox(key=_k(at, "business_function")).value == "Treasury"
    assert at.multiselect(key=_k(at, "systems")).value == ["Sage", "Kyriba"]
    assert get_activity(db, activity.id or 0).version == 1


def _vendor(db: Database) -> Vendor:
    return create_vendor(db, DPO, Vendor(name="Acme Cloud Ltd", country="IE", contract_ref="DPA-9"))


def test_a_recipient_linked_to_a_vendor_takes_it_and_the_record_shows_the_vendor(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    vendor = _vendor(db)
    at = _open(activity.id)
    at.session_state[_k(at, "recipients")] = {"edited_rows": {0: {"vendor_id": vendor.id}}, "added_rows": [],
                                              "deleted_rows": []}
    at.button(key="actform_save").click().run()
    assert not at.exception, at.exception
    saved = get_activity(db, activity.id or 0).recipients[0]
    assert (saved.vendor_id, saved.name, saved.country, saved.contract_ref) == (vendor.id, "Acme Cloud Ltd", "IE",
                                                                                "DPA-9")
    assert "Recipient row 1 shows vendor 'Acme Cloud Ltd' as the inventory holds it." in _said(at)
    record = _open(activity.id, "Record")
    table = next(d.value for d in record.dataframe if "Vendor" in d.value.columns)
    assert list(table["Vendor"]) == ["Acme Cloud Ltd (contract DPA-9)"]
    update_vendor(db, DPO, vendor.model_copy(update={"contract_ref": "DPA-10"}), vendor.version)
    assert get_activity(db, activity.id or 0).recipients[0].contract_ref == "DPA-10"
    record = _open(activity.id, "Record")
    table = next(d.value for d in record.dataframe if "Vendor" in d.value.columns)
    assert list(table["Vendor"]) == ["Acme Cloud Ltd (contract DPA-10)"]


def test_a_link_kept_through_an_unrelated_edit_and_an_unlinked_row_is_left_as_typed(
        app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    vendor = _vendor(db)
    linked = create_activity(db, DPO, activity.model_copy(update={
        "id": None, "name": "Linked", "recipients": [activity.recipients[0].model_copy(
            update={"vendor_id": vendor.id, "name": "Acme Cloud Ltd", "country": "IE", "contract_ref": "DPA-9"})]}))
    at = _open(linked.id)
    at.text_area(key=_k(at, "purpose")).set_value("Bill customers monthly.")
    at.button(key="actform_save").click().run()
    assert not at.exception
    assert get_activity(db, linked.id or 0).recipients[0].vendor_id == vendor.id
    assert "shows vendor" not in _said(at)
    assert get_activity(db, activity.id or 0).recipients[0].vendor_id is None


def test_a_transfer_linked_to_a_vendor_names_it_on_the_record(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env, _one_activity_with_a_transfer)
    vendor = create_vendor(db, DPO, Vendor(name="Example Cloud Inc", country="US", contract_ref="SCC-3"))
    at = _open(activity.id)
    at.session_state[_k(at, "transfers")] = {"edited_rows": {0: {"vendor_id": vendor.id}}, "added_rows": [],
                                             "deleted_rows": []}
    at.button(key="actform_save").click().run()
    assert not at.exception, at.exception
    assert get_activity(db, activity.id or 0).transfers[0].vendor_id == vendor.id
    record = _open(activity.id, "Record")
    shown = " ".join(str(m.value) for m in record.markdown).replace("\\", "")
    assert "vendor Example Cloud Inc (contract SCC-3)" in shown
