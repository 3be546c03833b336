"""Validation: the one path for forms, import and CLI, with messages a DPO understands."""

from __future__ import annotations

from typing import Any

import pytest

from ropa.errors import ValidationFailed
from ropa.legal.regimes import entity_regime
from ropa.models import TEXT_MAX, parse_activity, parse_entity
from tests.factories import make_activity, make_entity

BASE = make_activity(1).model_dump()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"name": ""}, "Name of the activity: is required", id="empty-name"),
        pytest.param({"lawful_bases": ["bogus"]}, "Article 6 lawful basis #1: unknown lawful basis 'bogus'",
                     id="unknown-lawful-basis"),
        pytest.param({"data_categories": ["special.nonsense"]},
                     "Categories of personal data #1: unknown data category 'special.nonsense'", id="unknown-category"),
        pytest.param({"transfers": [{"country": "XX"}]},
                     "Transfers #1 Country: 'XX' is not an ISO 3166 country code", id="country-that-does-not-exist"),
        pytest.param({"transfers": [{"country": "US", "mechanism": "pinky_promise"}]},
                     "Transfers #1 Mechanism: unknown transfer mechanism 'pinky_promise'",
                     id="unknown-mechanism"),
        pytest.param({"purpose": "x" * (TEXT_MAX + 1)},
                     f"Purpose of processing: is too long ({TEXT_MAX + 1:,} characters; at most {TEXT_MAX:,})",
                     id="oversized-text"),
        pytest.param({"name": "n" * 501}, "Name of the activity: is too long (501 characters; at most 500)",
                     id="oversized-name"),
        pytest.param({"retention_kind": "period", "retention_months": None},
                     "a retention period needs a number of months", id="period-without-months"),
        pytest.param({"retention_kind": "rule", "retention_rule": "  ", "retention_months": None},
                     "a stated retention rule needs its text", id="rule-without-text"),
        pytest.param({"retention_months": -1}, "Retention period (months): Input should be greater than or equal to 0",
                     id="negative-months"),
        pytest.param({"recipients": [{"category": "friends"}]},
                     "Recipients #1 Category: unknown recipient category 'friends'", id="unknown-recipient"),
        pytest.param({"purpose": "a\x00b"}, "Purpose of processing: must not contain NUL characters", id="nul-byte"),
        pytest.param({"colour": "red"}, "Colour: is not a field of this record", id="unknown-field"),
        pytest.param({"transfers": [{"recipient": "Nobody"}]},
                     "a transfer needs a destination country or an international organisation", id="no-destination"),
        pytest.param({"transfers": [{"organisation": "galactic_senate"}]},
                     "Transfers #1 International organisation: unknown international organisation 'galactic_senate'",
                     id="unknown-organisation"),
        pytest.param({"transfers": [{"country": "US", "contract_date": "someday"}]},
                     "Transfers #1 Contract date:", id="bad-contract-date"),
    ],
)
def test_bad_activity_input_gets_a_clear_message(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_activity({**BASE, **change})
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"email": "not-an-email"}, "Email: 'not-an-email' is not an email address", id="bad-email"),
        pytest.param({"country": "Atlantis"}, "Country: 'Atlantis' is not an ISO 3166 country code", id="bad-country"),
        pytest.param({"kind": "overlord"}, "Kind: Input should be 'controller', 'processor' or 'both'", id="bad-kind"),
        pytest.param({"id": 3, "parent_id": 3}, "an entity cannot be its own parent", id="own-parent"),
        pytest.param({"regime": "martian_law"}, "Applicable regime: unknown applicable regime 'martian_law'",
                     id="bad-regime"),
    ],
)
def test_bad_entity_input_gets_a_clear_message(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_entity({**make_entity().model_dump(), **change})
    assert message in str(caught.value)


def test_repeated_vocabulary_keys_are_kept_once() -> None:
    activity = parse_activity({**BASE, "lawful_bases": ["contract", "contract", "consent"]})
    assert activity.lawful_bases == ["contract", "consent"]


def test_special_category_detection_covers_child_keys() -> None:
    assert parse_activity({**BASE, "data_categories": ["special.health.disability"]}).has_special_category_data()
    assert not parse_activity(BASE).has_special_category_data()


@pytest.mark.parametrize(("country", "regime", "applicable"), [
    pytest.param("DE", None, "eu_gdpr", id="eea-establishment"),
    pytest.param("RE", None, "eu_gdpr", id="reunion-is-eu-territory"),
    pytest.param("GB", None, "uk_gdpr", id="uk-establishment"),
    pytest.param("CH", None, "ch_fadp", id="switzerland"),
    pytest.param("US", None, "none", id="third-country-until-the-dpo-says"),
    pytest.param("US", "eu_gdpr_art3_2", "eu_gdpr_art3_2", id="dpo-records-art3-2"),
])
def test_an_entitys_regime_is_derived_from_its_country_unless_recorded(country: str, regime: str | None,
                                                                       applicable: str) -> None:
    entity = parse_entity({**make_entity().model_dump(), "country": country, "regime": regime})
    assert entity_regime(entity) == applicable


def test_a_transfer_may_go_to_an_international_organisation_with_a_contract_date() -> None:
    from datetime import date

    activity = parse_activity({**BASE, "transfers": [{"organisation": "epo", "contract_date": "2020-01-01"}]})
    assert activity.transfers[0].destination == "org:epo"
    assert activity.transfers[0].contract_date == date(2020, 1, 1)
