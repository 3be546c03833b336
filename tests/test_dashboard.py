"""The dashboard's numbers and frames (``ropa.dashboard``) on small registers built with factories."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ropa.dashboard import (
    DashboardData,
    Filters,
    category_columns,
    function_options,
    load_dashboard,
    month_ends,
)
from ropa.models import Activity, Entity
from ropa.storage.activities import archive_activity, create_activities, restore_activity
from ropa.storage.database import Database
from ropa.storage.entities import create_entity
from ropa.storage.entity_rows import descendant_ids
from tests.conftest import copy_of
from tests.factories import DPO, make_activity, make_entity, make_transfer

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

TODAY = date(2026, 11, 1)


def add(db: Database, entity: Entity, *activities: Activity) -> list[Activity]:
    return create_activities(db, DPO, list(activities))


def load(db: Database, **filters: Any) -> DashboardData:
    return load_dashboard(db, Filters(as_of=filters.pop("as_of", TODAY), **filters))


def ids_of(cell: Any) -> list[int]:
    return sorted(int(i) for i in cell)


@pytest.fixture
def group(db: Database) -> dict[str, Entity]:
    """A UK parent with a German subsidiary, and an unrelated French company."""
    parent = create_entity(db, DPO, make_entity(name="Group plc", country="GB"))
    german = create_entity(db, DPO, make_entity(name="Group GmbH", country="DE", parent_id=parent.id))
    french = create_entity(db, DPO, make_entity(name="Other SAS", country="FR"))
    return {"parent": parent, "german": german, "french": french}


def test_an_empty_register_gives_zero_kpis_and_empty_frames(db: Database) -> None:
    data = load(db)
    assert data.kpis.activities == 0
    assert data.kpis.entities == 0
    assert data.kpis.open_findings == {"critical": 0, "high": 0, "medium": 0, "low": 0}
    assert data.kpis.completeness is None
    for frame in (data.by_entity, data.categories, data.flows, data.transfer_countries, data.retention,
                  data.review, data.findings_by_rule, data.trend):
        assert frame.empty


def test_counts_activities_per_entity_and_business_function(db: Database, group: dict[str, Entity]) -> None:
    parent, german = group["parent"].id or 0, group["german"].id or 0
    add(db, group["parent"], make_activity(parent, name="Payroll", business_function="HR"),
        make_activity(parent, name="Billing", business_function="Finance"),
        make_activity(parent, name="Ledger", business_function="Finance"))
    add(db, group["german"], make_activity(german, name="Hiring", business_function=""))
    data = load(db)
    assert data.kpis.activities == 4
    assert data.kpis.entities == 3
    rows = {(r.entity, r.business_function): (r.activities, ids_of(r.activity_ids))
            for r in data.by_entity.itertuples()}
    assert rows[("Group plc", "Finance")][0] == 2
    assert rows[("Group plc", "HR")][0] == 1
    assert rows[("Group GmbH", "(no business function)")][0] == 1
    assert sorted(function_options(db)) == ["", "Finance", "HR"]


def test_entity_filter_takes_in_subsidiaries(db: Database, group: dict[str, Entity]) -> None:
    for entity in group.values():
        add(db, entity, make_activity(entity.id or 0, name=f"Activity of {entity.name}"))
    scope = tuple(descendant_ids(db, group["parent"].id or 0))
    data = load(db, entity_ids=scope)
    assert set(data.by_entity["entity"]) == {"Group plc", "Group GmbH"}
    assert data.kpis.entities == 2
    assert data.kpis.activities == 2


def test_function_and_status_filters_select_activities(db: Database, entity: Entity) -> None:
    eid = entity.id or 0
    stored = add(db, entity, make_activity(eid, name="A", business_function="HR"),
                 make_activity(eid, name="B", business_function="Finance", status="draft"),
                 make_activity(eid, name="C", business_function="Finance"))
    archive_activity(db, DPO, stored[2].id or 0, 1)
    assert load(db).kpis.activities == 2
    assert load(db, functions=("Finance",)).kpis.activities == 1
    assert load(db, statuses=("archived",)).kpis.activities == 1
    assert load(db, statuses=("draft", "approved", "archived"), functions=("Finance",)).kpis.activities == 2


@pytest.mark.parametrize(("categories", "special"), [
    (["identity.name"], False),
    (["special"], True),
    (["special.health"], True),
    (["special.health.disability"], True),
    (["criminal.convictions"], False),
], ids=["ordinary", "special parent", "health", "disability (child of health)", "criminal is not Art. 9"])
def test_special_category_detection_follows_the_reference_flags(db: Database, entity: Entity,
                                                                 categories: list[str], special: bool) -> None:
    extra: dict[str, Any] = {"art9_conditions": ["explicit_consent"]} if special else {}
    add(db, entity, make_activity(entity.id or 0, data_categories=categories, **extra))
    assert load(db).kpis.special_category == int(special)


def test_heatmap_columns_roll_children_up_and_keep_each_special_category(db: Database, entity: Entity) -> None:
    add(db, entity, make_activity(entity.id or 0, data_categories=["contact.email", "contact.phone",
                                                                   "special.health.disability",
                                                                   "criminal.offences"],
                                  art9_conditions=["employment_social_security"]))
    frame = load(db).categories.set_index("category")
    assert sorted(frame.index) == ["contact", "criminal", "special.health"]
    assert frame.loc["contact", "activities"] == 1
    assert frame.loc["special.health", "category_label"] == "Health"
    assert bool(frame.loc["special.health", "sensitive"]) and bool(frame.loc["criminal", "sensitive"])
    assert not bool(frame.loc["contact", "sensitive"])


def test_every_data_category_has_a_heatmap_column() -> None:
    columns = category_columns().set_index("key")
    assert columns.loc["special.health.disability", "category"] == "special.health"
    assert columns.loc["identity.government_id", "category"] == "identity"
    assert columns.loc["criminal.convictions", "category"] == "criminal"


TRANSFER_CASES = [
    pytest.param("GB", date(2019, 6, 1), {"country": "US", "mechanism": "privacy_shield"}, "adequate",
                 id="privacy shield 2019 (UK)"),
    pytest.param("GB", TODAY, {"country": "US", "mechanism": "privacy_shield"}, "invalid",
                 id="privacy shield today (UK)"),
    pytest.param("DE", date(2019, 6, 1), {"country": "US", "mechanism": "privacy_shield"}, "adequate",
                 id="privacy shield 2019 (EU)"),
    pytest.param("DE", date(2020, 7, 16), {"country": "US", "mechanism": "privacy_shield"}, "invalid",
                 id="privacy shield the day after Schrems II"),
    pytest.param("GB", date(2019, 6, 1), {"country": "US", "mechanism": "eu_scc_2010"}, "safeguarded",
                 id="old SCCs 2019"),
    pytest.param("GB", TODAY, {"country": "US", "mechanism": "eu_scc_2010"}, "invalid", id="old SCCs today"),
    pytest.param("GB", TODAY, {"country": "IN", "mechanism": "uk_idta"}, "safeguarded", id="IDTA from the UK"),
    pytest.param("DE", TODAY, {"country": "IN", "mechanism": "uk_idta"}, "invalid", id="IDTA from the EU"),
    pytest.param("DE", TODAY, {"country": "US", "mechanism": "dpf"}, "adequate", id="DPF from the EU"),
    pytest.param("DE", TODAY, {"country": "US", "mechanism": None, "tia_ref": ""}, "missing",
                 id="US without a mechanism"),
    pytest.param("DE", TODAY, {"country": "JP", "mechanism": None, "tia_ref": ""}, "adequate",
                 id="Japan, adequate, no mechanism"),
    pytest.param("DE", TODAY, {"country": "FR", "mechanism": None, "tia_ref": ""}, "unrestricted",
                 id="inside the EEA"),
    pytest.param("GB", TODAY, {"country": "IN", "mechanism": "derogation_explicit_consent"}, "derogation",
                 id="Art. 49 consent"),
    pytest.param("GB", TODAY, {"country": "IN", "mechanism": "adequacy"}, "invalid",
                 id="adequacy claimed for a country without it"),
]


def _case_name(exporter: str, as_of: date, transfer: dict[str, Any]) -> str:
    return f"{exporter} {as_of} {sorted(transfer.items())}"


@pytest.fixture(scope="module")
def transfer_states(empty_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Each case's transfer as the one transfer of its own activity, all in one register, and the states the
    dashboard gives each activity's transfers on the case's as-of date: one dashboard load (and so one gap
    analysis, most of its cost) per date rather than per case."""
    db = copy_of(empty_template, tmp_path_factory.mktemp("transfers") / "ropa.duckdb")
    cases = [(exporter, as_of, transfer, _case_name(exporter, as_of, transfer))
             for exporter, as_of, transfer, _ in (case.values for case in TRANSFER_CASES)]
    exporters = {exporter: create_entity(db, DPO, make_entity(name=f"Exporter {exporter}", country=exporter))
                 for exporter in sorted({exporter for exporter, *_ in cases})}
    create_activities(db, DPO, [make_activity(exporters[exporter].id or 0, name=name,
                                              transfers=[make_transfer(**transfer)])
                                for exporter, _, transfer, name in cases])
    states: dict[str, list[str]] = {}
    with db.kept_open():
        for day in sorted({as_of for _, as_of, _, _ in cases}):
            frame = load(db, as_of=day).transfers
            for _, as_of, _, name in cases:
                if as_of == day:
                    states[name] = [str(state) for state in frame.loc[frame["activity"] == name, "state"]]
    return states


@pytest.mark.parametrize(("exporter", "as_of", "transfer", "state"), TRANSFER_CASES)
def test_transfer_state_on_the_as_of_date(transfer_states: dict[str, list[str]], exporter: str, as_of: date,
                                          transfer: dict[str, Any], state: str) -> None:
    assert transfer_states[_case_name(exporter, as_of, transfer)] == [state]


def test_map_frame_gives_each_country_its_worst_state_and_all_its_activities(db: Database, entity: Entity) -> None:
    eid = entity.id or 0
    stored = add(db, entity,
                 make_activity(eid, name="A", transfers=[make_transfer(country="US", mechanism="uk_addendum")]),
                 make_activity(eid, name="B", transfers=[make_transfer(country="US", mechanism="privacy_shield"),
                                                         make_transfer(country="IN", mechanism="uk_idta")]))
    data = load(db)
    countries = data.transfer_countries.set_index("country")
    assert countries.loc["US", "state"] == "invalid"
    assert countries.loc["US", "iso3"] == "USA"
    assert ids_of(countries.loc["US", "activity_ids"]) == sorted(a.id or 0 for a in stored)
    assert countries.loc["US", "detail"] == "1 × invalid mechanism, 1 × art. 46 safeguard"
    assert countries.loc["IN", "state"] == "safeguarded"
    assert data.kpis.third_country_transfers == 3
    assert data.kpis.transfer_activities == 2


def test_retention_buckets_keep_unknown_and_vague(db: Database, entity: Entity) -> None:
    eid = entity.id or 0
    add(db, entity,
        make_activity(eid, name="short", retention_months=3),
        make_activity(eid, name="six years", retention_months=72),
        make_activity(eid, name="vague", retention_kind="rule", retention_months=None, retention_trigger=None,
                      retention_rule="We keep it for as long as necessary."),
        make_activity(eid, name="stated", retention_kind="rule", retention_months=None, retention_trigger=None,
                      retention_rule="Six years after the end of the contract."),
        make_activity(eid, name="unknown", retention_kind="unknown", retention_months=None,
                      retention_trigger=None))
    frame = load(db).retention
    assert dict(zip(frame["bucket"], frame["activities"], strict=True)) == {
        "Up to 6 months": 1, "3-6 years": 1, "Stated rule": 1, "Vague rule": 1, "Unknown": 1}
    assert list(frame["kind"]) == ["period", "period", "rule", "vague", "unknown"]


def test_reviews_are_overdue_against_the_as_of_date(db: Database, entity: Entity) -> None:
    eid = entity.id or 0
    add(db, entity,
        make_activity(eid, name="due soon", last_reviewed=date(2026, 1, 1), next_review_due=date(2027, 1, 1)),
        make_activity(eid, name="late", last_reviewed=date(2025, 1, 1), next_review_due=date(2026, 1, 1)),
        make_activity(eid, name="never", status="approved"),
        make_activity(eid, name="drafting", status="draft"))
    now = load(db)
    states = dict(zip(now.review["review_state"], now.review["activities"], strict=True))
    assert states == {"current": 1, "overdue": 1, "no_date": 1, "draft": 1}
    assert now.kpis.reviews_overdue == 1
    assert load(db, as_of=date(2027, 2, 1)).kpis.reviews_overdue == 2
    assert load(db, as_of=date(2025, 6, 1)).kpis.reviews_overdue == 0


def test_open_findings_agree_across_kpis_and_charts(db: Database, entity: Entity) -> None:
    eid = entity.id or 0
    add(db, entity, make_activity(eid, name="shield", transfers=[make_transfer(country="US",
                                                                               mechanism="privacy_shield")]),
        make_activity(eid, name="no basis", lawful_bases=[]))
    data = load(db)
    total = sum(data.kpis.open_findings.values())
    assert total > 0
    assert data.kpis.open_findings["critical"] >= 2
    assert int(data.findings_by_rule["findings"].sum()) == total
    assert int(data.findings_by_entity["findings"].sum()) == total
    assert int(data.findings_now["findings"].sum()) == total


def test_completeness_is_the_mean_of_the_activities_in_scope(db: Database, entity: Entity) -> None:
    eid = entity.id or 0
    add(db, entity, make_activity(eid, name="complete"),
        make_activity(eid, name="no purpose", purpose="", business_function="Sales"))
    full = load(db).kpis.completeness
    sales = load(db, functions=("Sales",)).kpis.completeness
    assert full is not None and sales is not None
    assert sales < full <= 1.0


def test_lawful_bases_count_each_basis_and_name_missing_ones(db: Database, entity: Entity) -> None:
    eid = entity.id or 0
    add(db, entity, make_activity(eid, name="two bases", lawful_bases=["contract", "legal_obligation"]),
        make_activity(eid, name="none", lawful_bases=[]))
    frame = load(db).lawful_bases
    assert dict(zip(frame["basis"], frame["activities"], strict=True)) == {
        "Contract": 1, "Legal obligation": 1, "None recorded": 1}


def test_flows_link_subjects_functions_recipients_and_countries(db: Database, entity: Entity) -> None:
    add(db, entity, make_activity(entity.id or 0, business_function="Finance", data_subjects=["customers"],
                                  transfers=[make_transfer(country="US", recipient="Example Cloud Ltd")]))
    links = {(r.source_layer, r.source, r.target_layer, r.target): r.activities for r in load(db).flows.itertuples()}
    assert links[("subject", "Customers", "function", "Finance")] == 1
    assert links[("function", "Finance", "recipient", "Cloud hosting providers")] == 1
    assert links[("recipient", "Cloud hosting providers", "country", "United Kingdom")] == 1
    assert links[("recipient", "Cloud hosting providers", "country", "United States")] == 1


def test_trend_rebuilds_live_activities_at_each_month_end_from_the_audit_trail(db: Database,
                                                                               entity: Entity) -> None:
    eid = entity.id or 0
    a, b, c = add(db, entity, *(make_activity(eid, name=n) for n in "abc"))
    archived = archive_activity(db, DPO, b.id or 0, 1)
    restore_activity(db, DPO, b.id or 0, archived.version)
    archive_activity(db, DPO, c.id or 0, 1)
    when = {("create", None): datetime(2026, 1, 15), ("archive", b.id): datetime(2026, 3, 10),
            ("restore", b.id): datetime(2026, 5, 5), ("archive", c.id): datetime(2026, 6, 30, 23, 0)}
    with db.transaction() as con:
        for (action, record), at in when.items():
            con.execute("UPDATE audit_log SET at_utc = ? WHERE record_type = 'activity' AND action = ? "
                        "AND (? IS NULL OR record_id = ?)", [at, action, record, record])
    trend = load(db, as_of=date(2026, 7, 20), statuses=("draft", "in_review", "approved")).trend
    live = trend.groupby("month_end")["activities"].sum()
    assert {pd.Timestamp(k).date(): int(v) for k, v in live.items()} == {
        date(2026, 1, 31): 3, date(2026, 2, 28): 3, date(2026, 3, 31): 2, date(2026, 4, 30): 2,
        date(2026, 5, 31): 3, date(2026, 6, 30): 2, date(2026, 7, 20): 2}
    restored = trend[(trend["month_end"] == pd.Timestamp(2026, 5, 31)) & (trend["status"] == "draft")]
    assert int(restored["activities"].sum()) == 1


@pytest.mark.parametrize(("as_of", "first", "expected"), [
    (date(2026, 3, 15), date(2026, 1, 20), [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 15)]),
    (date(2026, 3, 31), date(2026, 3, 2), [date(2026, 3, 31)]),
    (date(2026, 3, 15), date(2027, 1, 1), []),
], ids=["three months", "one month", "history starts after the as-of date"])
def test_month_ends_run_from_the_first_record_to_the_as_of_date(as_of: date, first: date,
                                                                expected: list[date]) -> None:
    assert month_ends(as_of, first) == expected


def test_month_ends_are_capped_at_two_years() -> None:
    ends = month_ends(date(2026, 11, 1), date(2015, 1, 1))
    assert len(ends) == 24
    assert ends[0] == date(2024, 12, 31)
    assert ends[-1] == date(2026, 11, 1)


def test_hostile_text_is_kept_as_data(db: Database) -> None:
    hostile = create_entity(db, DPO, make_entity(name="'); DROP TABLE activities;--"))
    add(db, hostile, make_activity(hostile.id or 0, business_function="<script>alert(1)</script>"))
    data = load(db, functions=("<script>alert(1)</script>",))
    assert data.kpis.activities == 1
    assert list(data.by_entity["entity"]) == ["'); DROP TABLE activities;--"]
