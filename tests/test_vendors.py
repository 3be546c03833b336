"""The vendor inventory and the managed lists: entered once, followed everywhere, duplicates merged."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ropa.errors import ConflictError, PermissionDenied, ValidationFailed
from ropa.models import Activity, Vendor
from ropa.storage.activities import create_activities, get_activity
from ropa.storage.audit import history_frame
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity
from ropa.storage.vendors import (
    add_term,
    create_vendor,
    get_vendor,
    link_by_name,
    list_terms,
    merge_terms,
    term_variants,
    update_vendor,
    vendor_usage,
)
from tests.factories import DPO, EDITOR, VIEWER, Seeded, make_activity, make_entity, make_recipient, make_transfer

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent


def _used(db: Database) -> tuple[Vendor, list[Activity]]:
    """A vendor recorded by name on two activities (one as a recipient, one as a transfer), not on a third."""
    entity = create_entity(db, DPO, make_entity())
    vendor = create_vendor(db, DPO, Vendor(name="Payroll Bureau Ltd", country="GB", contract_ref="DPA-1",
                                           sub_processors=[{"name": "Print Co", "country": "IE"}]))  # type: ignore[list-item]
    activities = create_activities(db, DPO, [
        make_activity(entity.id or 0, name="Payroll", business_function="Human resources", systems=["Workday"],
                      recipients=[make_recipient(name="payroll bureau ltd ", contract_ref="")]),
        make_activity(entity.id or 0, name="Pensions", business_function="Human Resources", systems=["workday"],
                      recipients=[], transfers=[make_transfer(country="US", recipient="Payroll Bureau Ltd")]),
        make_activity(entity.id or 0, name="Billing", business_function="Finance", recipients=[]),
    ])
    return vendor, activities


@pytest.fixture
def used(db: Database, seeded: Seeded) -> tuple[Vendor, list[Activity]]:
    """``_used`` in the test's register (built once per session, copied over the empty one)."""
    used: tuple[Vendor, list[Activity]] = seeded(_used, db.path)
    return used


def test_linking_points_recipients_and_transfers_named_like_the_vendor_at_it(
        db: Database, used: tuple[Vendor, list[Activity]]) -> None:
    vendor, activities = used
    assert link_by_name(db, EDITOR, int(vendor.id or 0)) == 2
    payroll = get_activity(db, int(activities[0].id or 0))
    assert payroll.recipients[0].vendor_id == vendor.id
    assert (payroll.recipients[0].name, payroll.recipients[0].contract_ref) == ("Payroll Bureau Ltd", "DPA-1")
    assert get_activity(db, int(activities[1].id or 0)).transfers[0].vendor_id == vendor.id
    assert get_activity(db, int(activities[2].id or 0)).version == 1
    assert vendor_usage(db) == {vendor.id: 2}


def test_a_vendor_change_shows_on_every_activity_using_it_with_an_audit_row(
        db: Database, used: tuple[Vendor, list[Activity]]) -> None:
    vendor, activities = used
    link_by_name(db, DPO, int(vendor.id or 0))
    stored, changed = update_vendor(db, EDITOR, vendor.model_copy(update={"contract_ref": "DPA-2", "country": "IE"}),
                                    vendor.version)
    assert changed == 2 and stored.version == 2
    payroll = get_activity(db, int(activities[0].id or 0))
    assert (payroll.recipients[0].contract_ref, payroll.recipients[0].country) == ("DPA-2", "IE")
    assert get_activity(db, int(activities[1].id or 0)).transfers[0].country == "IE"
    rows = history_frame(db, record_type="activity", record_id=activities[0].id, limit=10)
    assert "vendor 'Payroll Bureau Ltd' changed" in rows.iloc[0]["detail"]
    assert get_vendor(db, int(vendor.id or 0)).contract_ref == "DPA-2"


def test_a_vendor_saved_meanwhile_is_a_conflict(db: Database, used: tuple[Vendor, list[Activity]]) -> None:
    vendor, _ = used
    update_vendor(db, DPO, vendor.model_copy(update={"notes": "theirs"}), 1)
    with pytest.raises(ConflictError):
        update_vendor(db, DPO, vendor.model_copy(update={"contract_ref": "mine"}), 1)


@pytest.mark.parametrize("name", ["Payroll Bureau Ltd", "  payroll bureau LTD"])
def test_a_vendor_is_kept_once_whatever_its_case(db: Database, used: object, name: str) -> None:
    with pytest.raises(ValidationFailed, match="already holds 'Payroll Bureau Ltd'"):
        create_vendor(db, DPO, Vendor(name=name))


def test_viewers_may_not_change_vendors(db: Database, used: tuple[Vendor, list[Activity]]) -> None:
    with pytest.raises(PermissionDenied):
        create_vendor(db, VIEWER, Vendor(name="Other"))
    with pytest.raises(PermissionDenied):
        link_by_name(db, VIEWER, int(used[0].id or 0))


@pytest.mark.parametrize(("name", "variants"), [
    ("business_functions", [["Human resources", "Human Resources"]]),
    ("systems", [["workday", "Workday"]]),
])
def test_terms_written_two_ways_are_found(db: Database, used: object, name: str, variants: list[list[str]]) -> None:
    assert [sorted(v) for v in term_variants(db, name)] == [sorted(v) for v in variants]


def test_merging_rewrites_every_activity_and_the_list(db: Database, used: tuple[Vendor, list[Activity]]) -> None:
    _, activities = used
    changed = merge_terms(db, EDITOR, "business_functions", ["Human resources", "Human Resources"], "Human resources")
    assert changed == 1
    assert get_activity(db, int(activities[1].id or 0)).business_function == "Human resources"
    assert term_variants(db, "business_functions") == []
    assert "Human Resources" not in list_terms(db, "business_functions")


def test_merging_systems_keeps_each_once(db: Database, used: tuple[Vendor, list[Activity]]) -> None:
    _, activities = used
    merge_terms(db, DPO, "systems", ["workday", "Workday"], "Workday")
    assert get_activity(db, int(activities[1].id or 0)).systems == ["Workday"]


@pytest.mark.parametrize(("term", "message"), [
    ("human  RESOURCES", "already holds 'Human [Rr]esources'"),
    ("   ", "is required"),
])
def test_a_new_term_that_duplicates_one_is_refused(db: Database, used: object, term: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        add_term(db, DPO, "business_functions", term)


def test_a_new_term_is_added_tidied(db: Database, used: object) -> None:
    assert add_term(db, DPO, "business_functions", "  Procurement  ") == "Procurement"
    assert "Procurement" in list_terms(db, "business_functions")


def test_a_list_holds_every_term_in_use_even_one_never_added(demo_db: Database) -> None:
    in_use = {r[0] for r in demo_db.rows("SELECT DISTINCT business_function FROM activities "
                                         "WHERE business_function <> ''")}
    assert set(list_terms(demo_db, "business_functions")) == in_use


def _page(app_env: Path) -> AppTest:
    db = open_database(app_env)
    entity = create_entity(db, DPO, make_entity())
    create_activities(db, DPO, [
        make_activity(entity.id or 0, name="Payroll", business_function="Human resources",
                      recipients=[make_recipient(name="Payroll Bureau Ltd")]),
        make_activity(entity.id or 0, name="Pensions", business_function="Human Resources"),
    ])
    return AppTest.from_file(str(ROOT / "screens" / "vendors.py"), default_timeout=30).run()


def test_page_adds_a_vendor_and_links_its_recipients(app_env: Path) -> None:
    at = _page(app_env)
    assert not at.exception
    at.text_input(key="vendor_new_name").set_value("Payroll Bureau Ltd")
    at.text_input(key="vendor_new_contract").set_value("DPA-9")
    at.button(key="FormSubmitter:vendor_new-Add vendor").click().run()
    assert not at.exception
    assert "Added Payroll Bureau Ltd" in at.success[0].value.replace("\\", "")
    at.selectbox(key="vendors_choice").set_value(1).run()
    at.button(key="vendors_link").click().run()
    assert not at.exception
    assert "Linked 1 activities" in at.success[0].value.replace("\\", "")
    table = at.dataframe[0].value
    assert list(table["Activities using it"]) == [1]


def test_page_merges_a_term_written_two_ways(app_env: Path) -> None:
    at = _page(app_env)
    merge = next(b for b in at.button if b.key and b.key.startswith("terms_merge_business_functions"))
    merge.click().run()
    assert not at.exception
    assert "1 activities changed" in at.success[0].value.replace("\\", "")
    assert not at.warning


def test_saving_the_edit_form_keeps_the_vendor_links(app_env: Path) -> None:
    db = open_database(app_env)
    entity = create_entity(db, DPO, make_entity())
    vendor = create_vendor(db, DPO, Vendor(name="Example Cloud Ltd", contract_ref="DPA-2024-001", country="GB"))
    activity = create_activities(db, DPO, [make_activity(entity.id or 0, transfers=[
        make_transfer(recipient="Example Cloud Ltd", country="US")])])[0]
    link_by_name(db, DPO, int(vendor.id or 0))
    at = AppTest.from_file(str(ROOT / "screens" / "activity.py"), default_timeout=60)
    at.query_params["id"] = str(activity.id)
    at.session_state["activity_tabs"] = "Edit"
    at.run()
    assert not at.exception
    purpose = next(t for t in at.text_area if str(t.key).endswith("_purpose"))
    purpose.set_value("A purpose changed in the form.")
    at.button(key="actform_save").click().run()
    assert not at.exception
    saved = get_activity(db, int(activity.id or 0))
    assert saved.purpose == "A purpose changed in the form."
    assert [r.vendor_id for r in saved.recipients] == [vendor.id]
    assert [t.vendor_id for t in saved.transfers] == [vendor.id]
