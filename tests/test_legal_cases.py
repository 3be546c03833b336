"""The legal-case table: every case of the law the register applies, and every surface agrees on it.

Each case names the exporter (country and, where the DPO recorded one, its
applicable regime), the destination, the mechanism, the contract date, the
analysis date and whether special category data is processed, with the verdict
the law gives and the gap finding it raises. The same register is then read the
way each surface reads it (the activity page's transfer status, the export's
transfers sheet, the gap analysis, the dashboard's transfer states and the
register's third-country filter): all five must say what the table says.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ropa.dashboard import Filters, GapResults, load_dashboard
from ropa.export.data import ExportOptions, collect
from ropa.export.sheets import transfers_sheet
from ropa.gaps import RULES, analyse
from ropa.legal.regimes import entity_regime
from ropa.legal.transfers import FINDINGS, judge
from ropa.record_view import transfer_status
from ropa.register import register_frame
from ropa.storage.activities import create_activities
from ropa.storage.database import open_database
from ropa.storage.entities import create_entity, insert_entities
from tests.factories import DPO, make_activity, make_entity, make_transfer

TODAY = date(2026, 12, 1)
SPECIAL = {"data_categories": ["special.health"], "art9_conditions": ["employment_social_security"],
           "dpa_schedule1_condition": "Sch. 1 para 1"}


@dataclass(frozen=True)
class Case:
    id: str
    exporter: str
    regime: str | None
    destination: str
    mechanism: str | None
    state: str
    finding: str | None
    day: date = TODAY
    contract: date | None = None
    tia: str = "TIA-1"
    special: bool = False

    @property
    def lawful(self) -> bool | None:
        return None if self.state == "unrestricted" else self.state not in ("missing", "invalid")


def case(id: str, exporter: str, destination: str, mechanism: str | None, state: str, finding: str | None,
         **kw: Any) -> Case:
    regime = kw.pop("regime", None)
    return Case(id, exporter, regime, destination, mechanism, state, finding, **kw)


CASES: tuple[Case, ...] = (
    # One verdict: a German entity on bare "adequacy" to the US (no DPF certification recorded).
    case("de-us-bare-adequacy", "DE", "US", "adequacy", "missing", "transfer_adequacy_without_dpf"),
    case("de-us-dpf", "DE", "US", "dpf", "adequate", None),
    case("de-us-dpf-before-decision", "DE", "US", "dpf", "invalid", "transfer_mechanism_invalid",
         day=date(2023, 7, 9)),
    case("de-us-sccs-with-tia", "DE", "US", "eu_scc_2021", "safeguarded", None),
    case("de-us-sccs-without-tia", "DE", "US", "eu_scc_2021", "safeguarded", "transfer_tia_missing", tia=""),
    case("de-us-sccs-before-schrems-ii-no-tia-expected", "DE", "US", "eu_scc_2021", "invalid",
         "transfer_mechanism_invalid", day=date(2020, 7, 1), tia=""),
    case("de-us-old-sccs-2019-no-tia-expected", "DE", "US", "eu_scc_2010", "safeguarded", None,
         day=date(2019, 6, 1), tia=""),
    case("de-india-nothing", "DE", "IN", None, "missing", "transfer_mechanism_missing"),
    case("de-us-explicit-consent", "DE", "US", "derogation_explicit_consent", "derogation",
         "transfer_derogation_used"),
    case("de-japan-idta-superseded-by-adequacy", "DE", "JP", "uk_idta", "adequate",
         "transfer_mechanism_superseded_by_adequacy"),
    case("de-us-uk-addendum", "DE", "US", "uk_addendum", "invalid", "transfer_mechanism_invalid"),
    case("de-china-adequacy-not-available", "DE", "CN", "adequacy", "invalid", "transfer_adequacy_not_available"),
    case("de-special-category-data-same-verdict", "DE", "US", "eu_scc_2021", "safeguarded", None, special=True),
    # Each entity's regime: Swiss, US, Australian, Singapore companies are not held to the EU GDPR by default.
    case("ch-us-bare-adequacy-needs-swiss-dpf", "CH", "US", "adequacy", "missing", "transfer_adequacy_without_dpf"),
    case("ch-us-swiss-dpf", "CH", "US", "swiss_us_dpf", "adequate", None),
    case("ch-germany-eea", "CH", "DE", None, "adequate", None),
    case("us-entity-no-regime", "US", "IN", None, "unrestricted", None),
    case("au-entity-no-regime", "AU", "US", "eu_scc_2021", "unrestricted", None),
    case("sg-entity-no-regime", "SG", "CN", None, "unrestricted", None),
    case("us-entity-art3-2-to-india", "US", "IN", None, "missing", "transfer_mechanism_missing",
         regime="eu_gdpr_art3_2"),
    case("sg-entity-art3-2-to-us-dpf", "SG", "US", "dpf", "adequate", None, regime="eu_gdpr_art3_2"),
    case("us-entity-uk-art3-2-to-us-bridge", "US", "US", "uk_us_data_bridge", "adequate", None,
         regime="uk_gdpr_art3_2"),
    # The UK regime after the Data (Use and Access) Act 2025: the data protection test from 5 February 2026.
    case("uk-us-addendum-2026-data-protection-test", "GB", "US", "uk_addendum", "safeguarded",
         "transfer_tia_missing", tia="", day=date(2026, 6, 1)),
    case("uk-us-addendum-2025-risk-assessment", "GB", "US", "uk_addendum", "safeguarded", "transfer_tia_missing",
         tia="", day=date(2025, 6, 1)),
    case("uk-us-bridge", "GB", "US", "uk_us_data_bridge", "adequate", None),
    case("uk-us-eu-dpf", "GB", "US", "dpf", "invalid", "transfer_mechanism_invalid"),
    case("uk-us-eu-sccs-alone", "GB", "US", "eu_scc_2021", "invalid", "transfer_mechanism_invalid"),
    case("uk-germany-eea-adequate", "GB", "DE", None, "adequate", None),
    # EU territory with its own ISO code is not a third country (Art. 355 TFEU).
    *(case(f"fr-{code.lower()}-eu-territory", "FR", code, None, "unrestricted", None)
      for code in ("RE", "GP", "MQ", "GF", "YT", "MF")),
    case("fi-aland-eu-territory", "FI", "AX", None, "unrestricted", None),
    case("uk-reunion-as-eea", "GB", "RE", None, "adequate", None),
    # Swiss-US Privacy Shield: a Swiss instrument, for Swiss exporters only, until 7 September 2020.
    case("de-swiss-shield-2019", "DE", "US", "swiss_us_privacy_shield", "invalid", "transfer_mechanism_invalid",
         day=date(2019, 1, 1)),
    case("uk-swiss-shield-2019", "GB", "US", "swiss_us_privacy_shield", "invalid", "transfer_mechanism_invalid",
         day=date(2019, 1, 1)),
    case("ch-swiss-shield-2019", "CH", "US", "swiss_us_privacy_shield", "adequate", None, day=date(2019, 1, 1)),
    case("ch-swiss-shield-after-fdpic", "CH", "US", "swiss_us_privacy_shield", "invalid",
         "transfer_mechanism_invalid", day=date(2021, 1, 1)),
    # Old Model Clauses: the cut-off for new contracts and the last day for existing ones.
    case("eu-old-sccs-contract-before-cutoff", "DE", "US", "eu_scc_2010", "safeguarded", None,
         day=date(2022, 6, 1), contract=date(2021, 9, 26)),
    case("eu-old-sccs-contract-on-cutoff-day", "DE", "US", "eu_scc_2010", "invalid", "transfer_mechanism_invalid",
         day=date(2022, 6, 1), contract=date(2021, 9, 27)),
    case("eu-old-sccs-no-contract-date", "DE", "US", "eu_scc_2010", "safeguarded", "transfer_contract_date_missing",
         day=date(2022, 6, 1)),
    case("eu-old-sccs-last-day", "DE", "US", "eu_scc_2010", "safeguarded", None, day=date(2022, 12, 26),
         contract=date(2020, 1, 1)),
    case("eu-old-sccs-after-end", "DE", "US", "eu_scc_2010", "invalid", "transfer_mechanism_invalid",
         day=date(2022, 12, 27), contract=date(2020, 1, 1)),
    case("uk-old-sccs-contract-on-cutoff-day", "GB", "AU", "eu_scc_2010", "safeguarded", None,
         day=date(2023, 6, 1), contract=date(2022, 9, 21)),
    case("uk-old-sccs-contract-after-cutoff", "GB", "AU", "eu_scc_2010", "invalid", "transfer_mechanism_invalid",
         day=date(2023, 6, 1), contract=date(2022, 9, 22)),
    case("uk-old-sccs-after-end", "GB", "AU", "eu_scc_2010", "invalid", "transfer_mechanism_invalid",
         day=date(2024, 3, 21), contract=date(2020, 1, 1)),
    # Before 1 January 2021 the UK applied the EU GDPR and the EU's adequacy decisions.
    case("uk-guernsey-2019-eu-adequacy", "GB", "GG", None, "adequate", None, day=date(2019, 1, 1)),
    case("uk-germany-2019-inside-the-eu", "GB", "DE", None, "unrestricted", None, day=date(2019, 1, 1)),
    case("uk-us-privacy-shield-2019", "GB", "US", "privacy_shield", "adequate", None, day=date(2019, 1, 1)),
    case("uk-us-privacy-shield-after-schrems-ii", "GB", "US", "privacy_shield", "invalid",
         "transfer_mechanism_invalid", day=date(2020, 7, 16)),
    case("de-uk-2020-inside-the-eu", "DE", "GB", None, "unrestricted", None, day=date(2020, 6, 1)),
    case("uk-guernsey-2026-uk-regulations", "GB", "GG", None, "adequate", None),
    # Directive 95/46 adequacy decisions applied before 25 May 2018.
    case("de-switzerland-2010-directive-decision", "DE", "CH", None, "adequate", None, day=date(2010, 1, 1)),
    case("de-argentina-2005-directive-decision", "DE", "AR", "adequacy", "adequate", None, day=date(2005, 1, 1)),
    case("de-us-safe-harbor-2010", "DE", "US", "safe_harbor", "adequate", None, day=date(2010, 1, 1)),
    case("de-japan-2017-before-decision", "DE", "JP", None, "missing", "transfer_mechanism_missing",
         day=date(2017, 1, 1)),
    # The adequacy list of 1 December 2026.
    case("de-uk-2021-decision", "DE", "GB", None, "adequate", None, day=date(2024, 1, 1)),
    case("de-uk-2025-decision", "DE", "GB", "adequacy", "adequate", None),
    case("de-brazil-2026-179", "DE", "BR", "adequacy", "adequate", None),
    case("de-brazil-before-decision", "DE", "BR", "adequacy", "invalid", "transfer_adequacy_not_available",
         day=date(2025, 12, 1)),
    case("de-epo-adequate", "DE", "org:epo", "adequacy", "adequate", None),
    case("de-epo-no-mechanism-adequate", "DE", "org:epo", None, "adequate", None),
    case("de-epo-before-decision", "DE", "org:epo", None, "missing", "transfer_mechanism_missing",
         day=date(2025, 1, 1)),
    case("uk-epo-no-uk-decision", "GB", "org:epo", None, "missing", "transfer_mechanism_missing"),
    case("de-un-no-decision", "DE", "org:un", "adequacy", "invalid", "transfer_adequacy_not_available"),
)

DEROGATION_RULES = {"transfer_compelling_interests_undocumented", "transfer_consent_derogation_systematic"}
"""Rules that read how the verdict's derogation is documented and used (Art. 49(6), EDPB Guidelines 2/2018)."""
TRANSFER_RULES = {r.id for r in RULES if r.applies_to == "transfer"} - DEROGATION_RULES


def _transfer(c: Case) -> dict[str, Any]:
    where = ({"country": None, "organisation": c.destination.removeprefix("org:")} if c.destination.startswith("org:")
             else {"country": c.destination})
    return {**where, "mechanism": c.mechanism, "tia_ref": c.tia, "contract_date": c.contract}


@dataclass(frozen=True)
class Surfaces:
    """What each surface says about a case: the page's status, the export's cell, findings, map state, filter."""

    page_state: str
    page_ok: bool | None
    page_findings: frozenset[str]
    export_valid: str
    export_assessment: str
    page_assessment: str | None
    findings: frozenset[str]
    dashboard_state: str
    register_third_country: bool


@cache
def surfaces() -> dict[str, Surfaces]:
    """Every case in one register (an entity and an activity each), each surface read once per analysis date."""
    folder = Path(tempfile.mkdtemp(prefix="legal-cases-"))
    try:
        db = open_database(folder / "cases.duckdb")
        names: dict[str, str] = {}
        activities = []
        entities = {}
        with db.transaction() as con:  # one write for every case's entity, not one per case
            created = insert_entities(con, DPO, [make_entity(name=f"Case {number:03d}", country=c.exporter,
                                                             regime=c.regime) for number, c in enumerate(CASES)])
        for c, entity in zip(CASES, created, strict=True):
            assert entity.id is not None
            entities[c.id] = entity
            names[c.id] = entity.name
            extra = SPECIAL if c.special else {}
            activities.append(make_activity(entity.id, name=c.id, recipients=[],
                                            transfers=[make_transfer(**_transfer(c))], **extra))
        create_activities(db, DPO, activities)
        # Held open for every surface's reads: a unit of work then takes a cursor, not a new DuckDB instance.
        with db.kept_open():
            result = {}
            # The export's content is read once; its transfers sheet is judged on each day's as-of date.
            exported = collect(db, DPO, ExportOptions(as_of=TODAY, all_organisations=True, with_gaps=True))
            no_completeness = pd.DataFrame({"activity_id": pd.Series([], dtype=int), "completeness": []})
            for day in sorted({c.day for c in CASES}):
                findings = analyse(db, as_of=day)
                options = ExportOptions(as_of=day, all_organisations=True, with_gaps=True)
                sheet = transfers_sheet(replace(exported, options=options))
                headings = [col.heading for col in sheet.columns]
                valid_at = headings.index(f"Valid on {day.isoformat()}?")
                assessed_at = headings.index("Transfer impact assessment expected?")
                export = {str(row[1]): (str(row[valid_at]), str(row[assessed_at])) for row in sheet.rows}
                gaps = GapResults(findings, no_completeness, 0.0)
                states = load_dashboard(db, Filters(as_of=day), gaps).transfers.set_index("activity")["state"]
                register = register_frame(db, as_of=day).set_index("name")["third_country_transfers"]
                for c in (c for c in CASES if c.day == day):
                    status = transfer_status(make_transfer(**_transfer(c)), entity_regime(entities[c.id]), day)
                    own = findings[(findings["entity"] == names[c.id]) & findings["rule"].isin(TRANSFER_RULES)]
                    result[c.id] = Surfaces(status.verdict.state, status.ok, frozenset(status.verdict.findings),
                                            *export[c.id], status.verdict.assessment, frozenset(own["rule"]),
                                            str(states[c.id]), bool(register[c.id]))
    finally:
        shutil.rmtree(folder)
    return result


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_every_surface_gives_the_verdict_the_law_gives(c: Case) -> None:
    seen = surfaces()[c.id]
    expected = frozenset({c.finding} if c.finding else set())
    assert (seen.page_state, seen.page_ok) == (c.state, c.lawful), "activity page"
    assert seen.page_findings == expected, "verdict's findings"
    assert seen.findings == expected, "gap analysis"
    assert seen.export_valid == ("No" if c.lawful is False else "Yes"), "export"
    assert seen.export_assessment == (f"Yes: {seen.page_assessment}" if seen.page_assessment else "No"), "export"
    assert seen.dashboard_state == c.state, "dashboard"
    assert seen.register_third_country is (c.state != "unrestricted"), "register filter"


def test_every_transfer_rule_is_a_verdict_the_module_can_give() -> None:
    assert {*FINDINGS.values(), "transfer_tia_missing"} == TRANSFER_RULES


@pytest.mark.parametrize(("regime", "day", "assessment"), [
    pytest.param("eu_gdpr", date(2020, 7, 15), None, id="eu-before-schrems-ii"),
    pytest.param("eu_gdpr", date(2020, 7, 16), "transfer impact assessment", id="eu-from-schrems-ii"),
    pytest.param("uk_gdpr", date(2026, 2, 4), "transfer risk assessment", id="uk-before-duaa"),
    pytest.param("uk_gdpr", date(2026, 2, 5), "data protection test", id="uk-from-duaa-commencement"),
])
def test_the_expected_assessment_follows_the_exporters_law_on_the_day(regime: str, day: date,
                                                                      assessment: str | None) -> None:
    assert judge(regime, "US", "bcr", day).assessment == assessment


def test_unconfirmed_facts_travel_with_the_verdict() -> None:
    assert "C-703/25 P" in judge("eu_gdpr", "US", "dpf", TODAY).checks
    assert "first day of application" in judge("eu_gdpr", "BR", None, TODAY).checks
    assert judge("eu_gdpr", "JP", None, TODAY).checks == ""


@pytest.mark.parametrize(("exporter", "special", "day", "fires"), [
    pytest.param("GB", False, date(2026, 2, 4), True, id="uk-before-arts-22a-22d"),
    pytest.param("GB", False, date(2026, 2, 5), False, id="uk-from-arts-22a-22d-ordinary-data"),
    pytest.param("GB", True, date(2026, 2, 5), True, id="uk-from-arts-22a-22d-special-category"),
    pytest.param("DE", False, date(2026, 2, 5), True, id="eu-art-22-unchanged"),
])
def test_automated_decisions_follow_the_regime_and_special_category_data(
        db: Any, exporter: str, special: bool, day: date, fires: bool) -> None:
    entity = create_entity(db, DPO, make_entity(country=exporter))
    assert entity.id is not None
    create_activities(db, DPO, [make_activity(entity.id, adm=True, adm_basis=None, **(SPECIAL if special else {}))])
    findings: pd.DataFrame = analyse(db, as_of=day)
    assert bool((findings["rule"] == "automated_decision_without_basis").any()) is fires


def test_the_export_names_the_regime_the_organisation_and_the_contract_date(db: Any, tmp_path: Path) -> None:
    from ropa.export.sheets import build_sheets, controller_sheet
    from ropa.export.xlsx import write_xlsx

    entity = create_entity(db, DPO, make_entity(country="US", regime="eu_gdpr_art3_2"))
    assert entity.id is not None
    transfer = make_transfer(country=None, organisation="epo", mechanism="eu_scc_2010", contract_date=date(2020, 1, 1))
    create_activities(db, DPO, [make_activity(entity.id, transfers=[transfer])])
    data = collect(db, DPO, ExportOptions(as_of=TODAY, all_organisations=True, with_gaps=True))
    sheet = controller_sheet(data)
    row = dict(zip([c.heading for c in sheet.columns], sheet.rows[0], strict=True))
    assert str(row["Applicable regime"]).startswith("EU GDPR through Art. 3(2)")
    assert "European Patent Organisation" in str(row["Safeguards for exceptional transfers of personal data to third "
                                                     "countries or international organisations (if applicable)"])
    assert '"contract_date": "2020-01-01"' in str(row["Transfers (record detail)"])
    write_xlsx(data, tmp_path / "export.xlsx", build_sheets(data))
