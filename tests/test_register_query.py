"""The register query: every filter, the search, group structure and hostile search text."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ropa.register import (
    RegisterFilter,
    business_functions,
    live_activity_counts,
    live_activity_ids,
    register_counts,
    register_frame,
)
from ropa.storage.activities import archive_activity, create_activity
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity
from tests.factories import DPO, make_activity, make_entity, make_recipient, make_transfer

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

TODAY = date(2026, 6, 1)


_BUILT: list[tuple[Database, dict[str, int]]] = []


def _register(factory: pytest.TempPathFactory) -> tuple[Database, dict[str, int]]:
    """A small group, built once per session (the tests only read it): UK parent, German subsidiary with its own
    French subsidiary, and an unrelated UK company."""
    if not _BUILT:
        _BUILT.append(_build(open_database(factory.mktemp("register") / "register.duckdb")))
    return _BUILT[0]


def _build(db: Database) -> tuple[Database, dict[str, int]]:
    parent = create_entity(db, DPO, make_entity(name="Parent UK Ltd", country="GB"))
    german = create_entity(db, DPO, make_entity(name="Tochter GmbH", country="DE", parent_id=parent.id))
    french = create_entity(db, DPO, make_entity(name="Petite SAS", country="FR", parent_id=german.id))
    other = create_entity(db, DPO, make_entity(name="Unrelated Ltd", country="GB"))
    specs: dict[str, dict[str, Any]] = {
        "billing": dict(entity_id=parent.id),
        "payroll": dict(entity_id=parent.id, name="Payroll", business_function="HR", owner="Priya Patel",
                        lawful_bases=["legal_obligation"],
                        data_subjects=["employees"], data_categories=["identity.name", "special.health"],
                        art9_conditions=["employment_social_security"], status="draft",
                        recipients=[make_recipient(category="hr_payroll_providers", name="PayCo Services")],
                        systems=["Workday"], next_review_due=date(2026, 5, 1), last_reviewed=date(2025, 5, 1)),
        "newsletter": dict(entity_id=german.id, name="Newsletter", business_function="Marketing",
                           purpose="Send the monthly newsletter to subscribers who opted in.",
                           lawful_bases=["consent"], recipients=[], status="in_review",
                           transfers=[make_transfer(country="FR", mechanism=None, recipient="Mailer SAS")],
                           next_review_due=date(2026, 6, 20), last_reviewed=date(2025, 6, 20)),
        "analytics": dict(entity_id=french.id, name="Web analytics 100% sampled", business_function="Marketing",
                          lawful_bases=["legitimate_interests"], recipients=[],
                          transfers=[make_transfer(country="US", mechanism="dpf")],
                          next_review_due=date(2027, 1, 1), last_reviewed=date(2026, 1, 1)),
        "uk_transfer": dict(entity_id=other.id, name="Support desk a_b", recipients=[],
                            transfers=[make_transfer(country="DE", mechanism="adequacy", recipient="Helpdesk GmbH")]),
        "archived": dict(entity_id=other.id, name="Old archived CRM", recipients=[]),
    }
    ids = {key: int(create_activity(db, DPO, make_activity(**spec)).id or 0) for key, spec in specs.items()}
    archive_activity(db, DPO, ids["archived"], 1)
    ids.update(parent=int(parent.id or 0), german=int(german.id or 0), french=int(french.id or 0),
               other=int(other.id or 0))
    return db, ids


def _names(db: Database, flt: RegisterFilter) -> set[str]:
    return set(register_frame(db, flt, TODAY)["name"])


LIVE = {"Customer billing", "Payroll", "Newsletter", "Web analytics 100% sampled", "Support desk a_b"}

FILTER_CASES = [
    pytest.param({}, LIVE, id="no-filter-shows-live-activities-only"),
    pytest.param({"business_function": "Marketing"}, {"Newsletter", "Web analytics 100% sampled"},
                 id="business-function"),
    pytest.param({"lawful_basis": "consent"}, {"Newsletter"}, id="lawful-basis"),
    pytest.param({"status": "draft"}, {"Payroll"}, id="status-draft"),
    pytest.param({"status": "archived"}, {"Old archived CRM"}, id="status-archived-shows-archived"),
    pytest.param({"include_archived": True}, LIVE | {"Old archived CRM"}, id="include-archived"),
    pytest.param({"special_category": True}, {"Payroll"}, id="special-category-yes"),
    pytest.param({"special_category": False}, LIVE - {"Payroll"}, id="special-category-no"),
    pytest.param({"third_country_transfers": True}, {"Web analytics 100% sampled", "Support desk a_b"},
                 id="third-country-yes-eu-to-us-and-uk-to-eea"),
    pytest.param({"third_country_transfers": False}, {"Customer billing", "Payroll", "Newsletter"},
                 id="third-country-no-eu-to-eea-is-not-a-transfer"),
    pytest.param({"review": "overdue"}, {"Payroll"}, id="review-overdue"),
    pytest.param({"review": "due_soon"}, {"Newsletter"}, id="review-due-within-30-days"),
    pytest.param({"review": "due"}, {"Payroll", "Newsletter"}, id="review-overdue-or-due-soon"),
    pytest.param({"review": "never"}, {"Customer billing", "Support desk a_b"}, id="review-never"),
]


@pytest.mark.parametrize(("criteria", "expected"), FILTER_CASES)
def test_each_filter_selects_the_matching_activities(tmp_path_factory: pytest.TempPathFactory,
                                                     criteria: dict[str, Any], expected: set[str]) -> None:
    db, _ = _register(tmp_path_factory)
    assert _names(db, RegisterFilter(**criteria)) == expected


@pytest.mark.parametrize(("entity", "expected"), [
    pytest.param("parent", LIVE - {"Support desk a_b"}, id="parent-includes-all-subsidiaries"),
    pytest.param("german", {"Newsletter", "Web analytics 100% sampled"}, id="middle-includes-its-subsidiary"),
    pytest.param("french", {"Web analytics 100% sampled"}, id="leaf-is-only-itself"),
    pytest.param("other", {"Support desk a_b"}, id="unrelated-company-alone"),
])
def test_entity_filter_includes_subsidiaries_but_not_parents(tmp_path_factory: pytest.TempPathFactory, entity: str,
                                                             expected: set[str]) -> None:
    db, register = _register(tmp_path_factory)
    assert _names(db, RegisterFilter(entity_id=register[entity])) == expected


SEARCH_CASES = [
    pytest.param("payroll", {"Payroll"}, id="name-ignores-case"),
    pytest.param("monthly newsletter", {"Newsletter"}, id="purpose"),
    pytest.param("special.health", {"Payroll"}, id="data-category-key"),
    pytest.param("Health", {"Payroll"}, id="data-category-label"),
    pytest.param("payco", {"Payroll"}, id="recipient-name"),
    pytest.param("payroll, pension", {"Payroll"}, id="recipient-category-label"),
    pytest.param("workday", {"Payroll"}, id="system"),
    pytest.param("cloud hosting", {"Customer billing"}, id="recipient-category-label-of-default-recipient"),
    pytest.param("employees", {"Payroll"}, id="data-subject-label"),
    pytest.param("priya", {"Payroll"}, id="owner"),
    pytest.param("united states", {"Web analytics 100% sampled"}, id="transfer-country-name"),
    pytest.param("Germany", {"Support desk a_b"}, id="transfer-country-name-not-the-entitys"),
    pytest.param("gb", {"Customer billing", "Payroll"}, id="recipient-country-code"),
    pytest.param("data privacy framework", {"Web analytics 100% sampled"}, id="transfer-mechanism-label"),
    pytest.param("adequacy", {"Support desk a_b"}, id="transfer-mechanism-key"),
    pytest.param("dpa-2024", {"Customer billing", "Payroll"}, id="recipient-contract-reference"),
    pytest.param("tia-2024", {"Newsletter", "Web analytics 100% sampled", "Support desk a_b"},
                 id="transfer-impact-assessment-reference"),
    pytest.param("helpdesk", {"Support desk a_b"}, id="transfer-recipient"),
    pytest.param("no such thing", set(), id="no-match"),
    pytest.param("   ", LIVE, id="blank-search-is-no-search"),
]


@pytest.mark.parametrize(("text", "expected"), SEARCH_CASES)
def test_search_matches_text_vocabularies_owner_countries_mechanisms_contracts_and_systems(
        tmp_path_factory: pytest.TempPathFactory, text: str, expected: set[str]) -> None:
    db, _ = _register(tmp_path_factory)
    assert _names(db, RegisterFilter(search=text)) == expected


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("us", ["US"], id="short-text-is-a-code-not-part-of-australia"),
    pytest.param("uk", ["GB"], id="alias"),
    pytest.param("deu", ["DE"], id="alpha-3-code"),
    pytest.param("united", ["AE", "GB", "US", "UM"], id="part-of-a-name"),
    pytest.param("atlantis", [], id="no-country"),
])
def test_search_text_names_countries_by_code_alias_or_part_of_the_name(text: str, expected: list[str]) -> None:
    from ropa.register import _search_countries

    assert set(_search_countries(text)) >= set(expected)
    assert bool(_search_countries(text)) == bool(expected)
    if len(text) < 4:
        assert _search_countries(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("'); DROP TABLE activities;--", set(), id="sql-injection-is-just-text"),
    pytest.param("%", {"Web analytics 100% sampled"}, id="percent-is-literal"),
    pytest.param("_", {"Support desk a_b"}, id="underscore-is-literal"),
    pytest.param("100%", {"Web analytics 100% sampled"}, id="percent-inside-text"),
    pytest.param("\\", set(), id="backslash"),
    pytest.param("$q", set(), id="parameter-marker"),
])
def test_hostile_search_text_is_matched_literally(tmp_path_factory: pytest.TempPathFactory, text: str,
                                                  expected: set[str]) -> None:
    db, _ = _register(tmp_path_factory)
    assert _names(db, RegisterFilter(search=text)) == expected
    assert db.rows("SELECT count(*) FROM activities")[0][0] == 6


def test_filters_combine(tmp_path_factory: pytest.TempPathFactory) -> None:
    db, register = _register(tmp_path_factory)
    flt = RegisterFilter(entity_id=register["parent"], business_function="Marketing", search="analytics")
    assert _names(db, flt) == {"Web analytics 100% sampled"}


def test_preset_ids_limit_the_register_to_those_activities(tmp_path_factory: pytest.TempPathFactory) -> None:
    db, register = _register(tmp_path_factory)
    flt = RegisterFilter(activity_ids=(register["payroll"], register["newsletter"], register["archived"]))
    assert _names(db, flt) == {"Payroll", "Newsletter"}


def test_frame_carries_entity_flags_counts_and_review_state(tmp_path_factory: pytest.TempPathFactory) -> None:
    db, _ = _register(tmp_path_factory)
    frame = register_frame(db, RegisterFilter(), TODAY).set_index("name")
    payroll = frame.loc["Payroll"]
    assert payroll["entity"] == "Parent UK Ltd"
    assert bool(payroll["special_category"]) is True
    assert payroll["recipients"] == 1 and payroll["transfers"] == 0
    assert payroll["review"] == "overdue"
    assert frame.loc["Newsletter", "review"] == "due_soon"
    assert frame.loc["Web analytics 100% sampled", "review"] == "scheduled"
    assert frame.loc["Customer billing", "review"] == "never"
    assert list(frame.loc["Newsletter", "lawful_bases"]) == ["consent"]


def test_register_is_ordered_by_entity_then_name(tmp_path_factory: pytest.TempPathFactory) -> None:
    db, _ = _register(tmp_path_factory)
    frame = register_frame(db, RegisterFilter(), TODAY)
    assert list(frame["entity"]) == sorted(frame["entity"], key=str.lower)


def test_business_functions_lists_those_in_use(tmp_path_factory: pytest.TempPathFactory) -> None:
    db, _ = _register(tmp_path_factory)
    assert business_functions(db) == ["Finance", "HR", "Marketing"]


def test_empty_register_gives_an_empty_frame_with_the_columns(tmp_path: Path) -> None:
    frame = register_frame(open_database(tmp_path / "empty.duckdb"))
    assert frame.empty
    assert {"id", "name", "entity", "review"} <= set(frame.columns)


def test_counts_and_ids_of_live_activities_leave_archived_ones_out(db: Database) -> None:
    first = create_entity(db, DPO, make_entity(name="First Ltd"))
    second = create_entity(db, DPO, make_entity(name="Second Ltd"))
    kept = create_activity(db, DPO, make_activity(first.id or 0, name="Kept"))
    gone = create_activity(db, DPO, make_activity(first.id or 0, name="Gone"))
    other = create_activity(db, DPO, make_activity(second.id or 0, name="Other"))
    archive_activity(db, DPO, gone.id or 0, gone.version)
    assert live_activity_counts(db) == {first.id: 1, second.id: 1}
    assert live_activity_ids(db, [first.id or 0]) == [kept.id]
    assert live_activity_ids(db, [first.id or 0, second.id or 0]) == [kept.id, other.id]
    counts = register_counts(db)
    assert (counts.entities, counts.activities, counts.archived) == (2, 3, 1)
    assert counts.audit_rows == len(db.rows("SELECT id FROM audit_log")) > 0
