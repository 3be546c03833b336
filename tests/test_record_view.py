"""What the activity's read view derives: transfer validity on a day, retention and review sentences."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ropa.record_view import (
    category_flags,
    retention_text,
    review_text,
    term_with_article,
    transfer_status,
    workflow_text,
)
from ropa.storage.audit import Event
from tests.factories import make_activity, make_transfer


@pytest.mark.parametrize(("regime", "country", "mechanism", "tia", "day", "ok", "says"), [
    pytest.param("eu_gdpr", "US", "privacy_shield", "", date(2020, 7, 17), False, "invalid since 16 July 2020",
                 id="privacy-shield-invalid-after-schrems-ii"),
    pytest.param("eu_gdpr", "US", "privacy_shield", "", date(2020, 7, 15), True, "EU-US Privacy Shield",
                 id="privacy-shield-valid-before-schrems-ii"),
    pytest.param("uk_gdpr", "US", "eu_scc_2010", "T-1", date(2024, 3, 21), False, "no longer carry transfers from "
                 "27 December 2022 (EU) or 21 March 2024 (UK)", id="old-sccs-invalid-for-uk-from-21-march-2024"),
    pytest.param("eu_gdpr", "US", "eu_scc_2021", "", date(2026, 1, 1), True, "transfer impact assessment is expected",
                 id="sccs-without-tia-lawful-but-warned"),
    pytest.param("eu_gdpr", "US", "eu_scc_2021", "TIA-9", date(2026, 1, 1), True, "(Art. 46(2)(c))",
                 id="sccs-with-tia"),
    pytest.param("uk_gdpr", "US", "eu_scc_2021", "TIA-9", date(2026, 1, 1), False, "UK Addendum",
                 id="eu-sccs-alone-not-for-uk"),
    pytest.param("eu_gdpr", "JP", "adequacy", "", date(2026, 1, 1), True, "Adequacy: 2019/419", id="adequacy-japan"),
    pytest.param("eu_gdpr", "CN", "adequacy", "", date(2026, 1, 1), False, "No EU GDPR adequacy decision",
                 id="no-adequacy-china"),
    pytest.param("eu_gdpr", "FR", None, "", date(2026, 1, 1), None, "ot a restricted transfer",
                 id="eea-is-not-a-transfer"),
    pytest.param("uk_gdpr", "FR", None, "", date(2026, 1, 1), True, "DPA 2018 Sch. 21 para 4",
                 id="uk-to-eea-adequate"),
    pytest.param("eu_gdpr", "GB", None, "", date(2024, 1, 1), True, "excludes data transferred for the purposes of UK",
                 id="uk-2021-decision-excludes-immigration-data"),
    pytest.param("eu_gdpr", "GB", None, "", date(2026, 1, 1), True, "19 December 2025", id="uk-new-2025-decision"),
])
def test_transfer_status_follows_the_reference_data_on_the_day(regime: str, country: str, mechanism: str | None,
                                                               tia: str, day: date, ok: bool | None,
                                                               says: str) -> None:
    status = transfer_status(make_transfer(country=country, mechanism=mechanism, tia_ref=tia), regime, day)
    assert status.ok is ok
    assert says in status.message + status.warning


@pytest.mark.parametrize(("fields", "expected"), [
    pytest.param({"retention_kind": "period", "retention_months": 72, "retention_trigger": "end_of_financial_year"},
                 "6 years after the end of the financial year", id="whole-years"),
    pytest.param({"retention_kind": "period", "retention_months": 18, "retention_trigger": None}, "18 months",
                 id="months-no-trigger"),
    pytest.param({"retention_kind": "rule", "retention_months": None, "retention_rule": "As long as necessary"},
                 "As long as necessary", id="stated-rule"),
    pytest.param({"retention_kind": "unknown", "retention_months": None}, "", id="unknown"),
])
def test_retention_reads_as_a_sentence(fields: dict[str, object], expected: str) -> None:
    assert retention_text(make_activity(1, **fields)) == expected


@pytest.mark.parametrize(("last", "due", "expected"), [
    pytest.param(None, None, "never reviewed; no review scheduled", id="never"),
    pytest.param(date(2025, 1, 1), date(2026, 1, 1), "last reviewed 2025-01-01; review overdue since 2026-01-01 "
                 "(31 days)", id="overdue"),
    pytest.param(date(2025, 2, 1), date(2026, 2, 1), "last reviewed 2025-02-01; review due today", id="today"),
    pytest.param(date(2025, 6, 1), date(2026, 6, 1), "last reviewed 2025-06-01; next review due 2026-06-01 "
                 "(in 120 days)", id="scheduled"),
])
def test_review_reads_relative_to_today(last: date | None, due: date | None, expected: str) -> None:
    activity = make_activity(1, last_reviewed=last, next_review_due=due)
    assert review_text(activity, date(2026, 2, 1)) == expected


def test_terms_cite_their_article_and_special_data_is_marked() -> None:
    assert term_with_article("lawful_bases", "contract") == "Contract (Art. 6(1)(b))"
    assert category_flags("special.health") == "Health — special category data (Art. 9(1); Art. 4(15))"
    assert category_flags("criminal.convictions") == "Criminal convictions — criminal offence data (Art. 10)"
    assert category_flags("contact.email") == "Email address"


@pytest.mark.parametrize(("event", "expected"), [
    pytest.param(None, "In review", id="no-event"),
    pytest.param(Event("dpo@example.test", datetime(2026, 3, 1, 9, 5), "status"),
                 "In review — set by dpo@example.test at 2026-03-01 09:05 UTC", id="status-change"),
    pytest.param(Event("ed@example.test", datetime(2026, 3, 2, 17, 0), "review"),
                 "In review — reviewed by ed@example.test at 2026-03-02 17:00 UTC", id="review"),
])
def test_the_workflow_line_says_who_last_moved_the_record(event: Event | None, expected: str) -> None:
    assert workflow_text(make_activity(1, status="in_review"), event) == expected
