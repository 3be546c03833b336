"""The demo register: faithful to the three privacy notices in docs/sources/, complete and loadable."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from ropa.demo import DemoDataError, build_demo, load_demo
from ropa.demo.register import ENTITIES_FILE, parse_activities, parse_entities, read_data_file
from ropa.errors import PermissionDenied, RopaError
from ropa.models import Activity, Entity, parse_activity, parse_entity
from ropa.storage.activities import load_activities
from ropa.storage.database import Database, open_database
from ropa.storage.entities import list_entities
from tests.factories import VIEWER

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

SOURCES = Path(__file__).resolve().parent.parent / "docs" / "sources"
OLD_POLICY = "000_f8513696735cefe4.txt"
CURRENT_POLICY = "001_dd7cf82b0a94113a.txt"
SMELECOM = "002_823fcb248c926cde.txt"
PARENT = "SmartComms SC Limited"

# The closing list of seed 001, "Group companies responsible for the processing of personal data".
GROUP_COMPANIES = {
    "SmartComms SC Limited": "GB",
    "SmartComms Pty Limited": "AU",
    "SmartComms LLC": "US",
    "Intelledox Pty Limited": "AU",
    "Intelledox Inc": "US",
    "Intelledox Asia PTE Limited": "SG",
    "Intelledox Limited": "IE",
    "SmartComms Platinum AG": "CH",
    "SmartComms GmbH": "DE",
    "Smart Communications CCM Austria GmbH": "AT",
    "SmartComms Platinum Pte Ltd": "SG",
}


def _entities(db: Database) -> dict[str, Entity]:
    return {e.name: e for e in list_entities(db, include_archived=True)}


def _activities(db: Database) -> list[Activity]:
    with db.connect() as con:
        return load_activities(con)


def _by_name(db: Database, name: str, document: str) -> Activity:
    found = [a for a in _activities(db) if a.name == name and a.source_document == document]
    assert len(found) == 1, f"expected one activity '{name}' from {document}, found {len(found)}"
    return found[0]


@pytest.mark.parametrize(("name", "country"), GROUP_COMPANIES.items(), ids=list(GROUP_COMPANIES))
def test_every_group_company_of_the_current_notice_is_an_entity_in_its_country(
    demo_db: Database, name: str, country: str
) -> None:
    assert _entities(demo_db)[name].country == country


def test_demo_holds_the_group_and_smelecom_and_nothing_else(demo_db: Database) -> None:
    assert set(_entities(demo_db)) == set(GROUP_COMPANIES) | {"SMELECOM UK"}


def test_every_subsidiary_sits_under_the_uk_parent(demo_db: Database) -> None:
    entities = _entities(demo_db)
    parent = entities[PARENT]
    assert parent.parent_id is None
    assert parent.ico_registration == "Z9698640"
    for name in set(GROUP_COMPANIES) - {PARENT}:
        assert entities[name].parent_id == parent.id, name


def test_entity_details_are_left_empty_where_the_notices_say_nothing(demo_db: Database) -> None:
    entities = _entities(demo_db)
    for name in set(GROUP_COMPANIES) - {PARENT}:
        entity = entities[name]
        assert (entity.email, entity.phone, entity.address, entity.ico_registration, entity.dpo_name) == (
            "", "", "", "", ""), name
    assert all(e.representative_name == "" and e.company_number == "" for e in entities.values())
    assert entities["SMELECOM UK"].email == "info@smelecomuk.com"


def test_smelecom_is_controller_and_processor_with_processor_activities(demo_db: Database) -> None:
    smelecom = _entities(demo_db)["SMELECOM UK"]
    assert smelecom.kind == "both"
    mine = [a for a in _activities(demo_db) if a.entity_id == smelecom.id]
    processing = [a for a in mine if a.role == "processor"]
    assert processing and all(a.controller_served.strip() for a in processing)
    assert any(a.role == "controller" for a in mine)


def test_smelecom_processor_deletes_customer_data_within_180_days_of_the_term(demo_db: Database) -> None:
    activity = _by_name(demo_db, "Provision of the Services to customers (as processor)", SMELECOM)
    assert (activity.retention_kind, activity.retention_months, activity.retention_trigger) == (
        "period", 6, "end_of_service")
    assert {"Sage Database", "Google Cloud"} <= set(activity.systems)
    assert activity.lawful_bases == []


def test_smelecom_cctv_keeps_the_notices_seven_day_rule_verbatim(demo_db: Database) -> None:
    activity = _by_name(demo_db, "CCTV at SMELECOM UK offices", SMELECOM)
    assert activity.retention_kind == "rule"
    assert "retained for up to 7 days based on activity" in activity.retention_rule
    assert "audio_visual.cctv" in activity.data_categories
    assert "systematic_monitoring" in activity.dpia_criteria


@pytest.mark.parametrize(
    ("name", "stated"),
    [
        ("CCTV at SMELECOM UK offices", []),
        ("Web analytics with etracker", []),
        ("Website administration and cookies", []),
        ("Responding to enquiries and correspondence", []),
        ("Office access control", []),
        ("Technical support and assistance to customers (as processor)", []),
        ("Customer registration and records", ["consent"]),
        ("Disclosures for legal obligations and enforcement of terms", ["legal_obligation"]),
    ],
    ids=["cctv", "etracker", "website", "enquiries", "office-access", "processor-support", "registration",
         "legal-disclosure"],
)
def test_smelecom_lawful_bases_are_only_those_the_notice_states(
    demo_db: Database, name: str, stated: list[str]
) -> None:
    assert _by_name(demo_db, name, SMELECOM).lawful_bases == stated


def test_demo_holds_at_least_25_activities(demo_db: Database) -> None:
    assert len(_activities(demo_db)) >= 25


@pytest.mark.parametrize("document", [OLD_POLICY, CURRENT_POLICY, SMELECOM])
def test_each_source_notice_contributes_activities(demo_db: Database, document: str) -> None:
    assert any(a.source_document == document for a in _activities(demo_db))


def test_every_activity_cites_an_existing_source_file_and_a_section(demo_db: Database) -> None:
    for activity in _activities(demo_db):
        assert (SOURCES / activity.source_document).is_file(), activity.name
        assert activity.source_section.strip(), activity.name


def test_old_policy_us_transfers_rest_on_privacy_shield(demo_db: Database) -> None:
    us = [t for a in _activities(demo_db) if a.source_document == OLD_POLICY for t in a.transfers if t.country == "US"]
    assert us and all(t.mechanism == "privacy_shield" for t in us)


def test_old_policy_group_transfers_rest_on_the_old_model_clauses(demo_db: Database) -> None:
    au = [t for a in _activities(demo_db) if a.source_document == OLD_POLICY for t in a.transfers if t.country == "AU"]
    assert au and all(t.mechanism == "eu_scc_2010" for t in au)


def test_current_policy_group_transfers_use_the_2021_sccs_to_each_third_country_company(demo_db: Database) -> None:
    sharing = _by_name(demo_db, "Sharing personal data between group companies", CURRENT_POLICY)
    assert {(t.recipient, t.country) for t in sharing.transfers} == {
        (name, country) for name, country in GROUP_COMPANIES.items() if country in {"AU", "US", "SG", "CH"}
    }
    assert all(t.mechanism == "eu_scc_2021" and t.tia_ref == "" for t in sharing.transfers)


def test_no_demo_record_invents_a_contract_or_assessment_reference(demo_db: Database) -> None:
    for activity in _activities(demo_db):
        assert activity.lia_ref == activity.dpia_ref == activity.joint_arrangement_ref == "", activity.name
        assert all(r.contract_ref == "" for r in activity.recipients), activity.name
        assert all(t.tia_ref == "" for t in activity.transfers), activity.name


def test_cctv_and_biometric_activities_carry_their_dpia_criteria(demo_db: Database) -> None:
    for activity in _activities(demo_db):
        if "audio_visual.cctv" in activity.data_categories:
            assert "systematic_monitoring" in activity.dpia_criteria, activity.name
        if "special.biometric" in activity.data_categories:
            assert "sensitive_data" in activity.dpia_criteria, activity.name


def test_direct_marketing_keeps_the_stated_legitimate_interest(demo_db: Database) -> None:
    activity = _by_name(demo_db, "Direct marketing, advertising and public relations", CURRENT_POLICY)
    assert activity.lawful_bases == ["consent", "legitimate_interests"]
    assert "promote brand awareness and increase sales" in activity.legitimate_interest


def test_every_stored_entity_and_activity_validates(demo_db: Database) -> None:
    for entity in _entities(demo_db).values():
        parse_entity(entity.model_dump())
    for activity in _activities(demo_db):
        parse_activity(activity.model_dump())


def test_build_writes_one_create_audit_row_per_record(demo_db: Database) -> None:
    counts = dict(demo_db.rows(
        "SELECT record_type, count(*) FROM audit_log WHERE action = 'create' AND detail = 'demo register' "
        "GROUP BY record_type"
    ))
    assert counts == {"entity": len(_entities(demo_db)), "activity": len(_activities(demo_db))}


def test_build_is_deterministic(db: Database, tmp_path: Path) -> None:
    other = open_database(tmp_path / "other.duckdb")
    build_demo(db)
    build_demo(other)
    assert [a.content() for a in _activities(db)] == [a.content() for a in _activities(other)]
    assert [e.content() for e in _entities(db).values()] == [e.content() for e in _entities(other).values()]


def test_build_is_fast(db: Database) -> None:
    load_demo()  # imports and reference data warm
    started = time.perf_counter()
    build_demo(db)
    assert time.perf_counter() - started < 2.0


def test_build_refuses_a_register_that_already_holds_data(db: Database, entity: Entity) -> None:
    with pytest.raises(RopaError, match="already holds a register"):
        build_demo(db)
    assert [e.name for e in list_entities(db)] == [entity.name]
    assert _activities(db) == []


def test_build_needs_an_admin(db: Database) -> None:
    with pytest.raises(PermissionDenied):
        build_demo(db, VIEWER)
    assert list_entities(db) == []


def test_a_bad_activity_entry_fails_with_its_file_and_name() -> None:
    text = '[[activity]]\nentity = "x"\nname = "Broken one"\ndata_categories = ["not.a.category"]\n'
    with pytest.raises(DemoDataError, match=r"bad\.toml, activity 'Broken one': .*not\.a\.category"):
        parse_activities("bad.toml", text, {"x"})


def test_an_activity_naming_an_unknown_entity_fails() -> None:
    with pytest.raises(DemoDataError, match="unknown entity 'nobody'"):
        parse_activities("bad.toml", '[[activity]]\nentity = "nobody"\nname = "Orphan"\n', {"x"})


def test_an_entity_whose_parent_comes_later_fails() -> None:
    text = '[[entity]]\nkey = "child"\nparent = "mother"\nname = "Child"\n[[entity]]\nkey = "mother"\nname = "M"\n'
    with pytest.raises(DemoDataError, match="entity 'Child': parent 'mother' must be listed before it"):
        parse_entities("entities.toml", text)


def test_a_malformed_data_file_fails_with_its_name() -> None:
    with pytest.raises(DemoDataError, match="broken.toml: not valid TOML"):
        parse_entities("broken.toml", "[[entity]\n")


def test_shipped_entities_file_parses() -> None:
    assert len(parse_entities(ENTITIES_FILE, read_data_file(ENTITIES_FILE))) == len(GROUP_COMPANIES) + 1


# -- what the notices say, told truthfully -------------------------------------------------------

def test_recordings_and_cctv_are_audio_visual_not_biometric_and_the_mislabel_is_noted(demo_db: Database) -> None:
    activities = _activities(demo_db)
    assert not [a.name for a in activities if "special.biometric" in a.data_categories]
    for name in ("CCTV recording on premises", "CCTV at EU premises for AEO compliance", "Video conference recording"):
        record = _by_name(demo_db, name, CURRENT_POLICY)
        assert {"audio_visual.cctv", "audio_visual.recordings"} & set(record.data_categories), name
        assert "Art. 4(14)" in record.notes and "Recital 51" in record.notes, name
    assert "transparency defect" in _by_name(demo_db, "Video conference recording", CURRENT_POLICY).notes


def test_the_2019_policy_records_are_historical_not_live(demo_db: Database) -> None:
    old = [a for a in _activities(demo_db) if a.source_document == OLD_POLICY]
    assert old and {(a.status, a.superseded_on) for a in old} == {("archived", date(2023, 3, 8))}


def test_default_transfers_land_only_on_activities_with_recipients(demo_db: Database) -> None:
    old = [a for a in _activities(demo_db) if a.source_document == OLD_POLICY]
    assert [a.name for a in old if a.transfers and not a.recipients] == []
    assert any(not a.recipients for a in old) and any(a.transfers for a in old)


def test_processor_records_do_not_inherit_the_controllers_rights_text(demo_db: Database) -> None:
    processors = [a for a in _activities(demo_db) if a.role == "processor"]
    assert len(processors) >= 3 and all(a.rights_available == "" for a in processors)


def test_the_uk_cctv_record_is_not_approved(demo_db: Database) -> None:
    assert _by_name(demo_db, "CCTV recording on premises", CURRENT_POLICY).status == "in_review"


def test_activities_sharing_with_group_companies_carry_the_group_transfers(demo_db: Database) -> None:
    parent = _entities(demo_db)[PARENT].id
    sharing = [a for a in _activities(demo_db) if a.source_document == CURRENT_POLICY and a.entity_id == parent
               and any(r.category == "group_companies" for r in a.recipients)]
    assert len(sharing) >= 5
    for activity in sharing:
        assert {t.country for t in activity.transfers} >= {"AU", "US", "SG", "CH"}, activity.name


@pytest.mark.parametrize(("name", "what"), [
    ("WhatsApp chat on the website", "WhatsApp"),
    ("Cookies set by advertisers on the website", "Advertisers on the site"),
])
def test_what_smelecoms_notice_says_and_the_first_demo_omitted_is_recorded(demo_db: Database, name: str,
                                                                          what: str) -> None:
    record = _by_name(demo_db, name, SMELECOM)
    assert any(what in r.name for r in record.recipients)


def test_smelecom_stores_customer_data_wherever_its_parent_companies_have_facilities(demo_db: Database) -> None:
    record = _by_name(demo_db, "Provision of the Services to customers (as processor)", SMELECOM)
    assert "any other" in record.data_location
    assert any("Parent Companies" in r.name and r.role == "sub_processor" for r in record.recipients)
