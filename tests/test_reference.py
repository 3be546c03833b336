"""The reference data itself: keys unique, parents exist, every entry sourced and dated."""

from __future__ import annotations

from datetime import date

import pytest

from ropa.reference import (
    VOCABULARY_NAMES,
    country_name,
    is_country_code,
    load_reference,
    lookup_country,
    raw_reference,
    regime_for,
)

REF = load_reference()


@pytest.mark.parametrize("name", VOCABULARY_NAMES)
def test_vocabulary_keys_are_unique(name: str) -> None:
    keys = [t.key for t in REF.vocabulary(name)]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("name", VOCABULARY_NAMES)
def test_every_vocabulary_entry_has_label_article_source_and_date(name: str) -> None:
    for term in REF.vocabulary(name):
        assert term.label.strip() and term.article.strip(), term.key
        assert term.source in REF.sources, term.key
        assert term.as_of <= REF.meta.as_of, term.key


def test_every_data_category_parent_exists() -> None:
    keys = {t.key for t in REF.data_categories}
    for term in REF.data_categories:
        if "." in term.key:
            assert term.parent in keys, term.key
            assert term.key.rsplit(".", 1)[0] == term.parent


def test_special_category_children_inherit_the_flag() -> None:
    assert "special.health.disability" in REF.special_category_keys()
    assert set(REF.vocabulary("data_categories").descendants("special")) == set(REF.special_category_keys())


def test_art9_conditions_are_the_ten_of_article_9_2() -> None:
    assert [t.article for t in REF.art9_conditions] == [f"Art. 9(2)({c})" for c in "abcdefghij"]


def test_lawful_bases_are_the_six_of_article_6_1() -> None:
    assert [t.article for t in REF.lawful_bases] == [f"Art. 6(1)({c})" for c in "abcdef"]


def test_wp248_lists_nine_criteria() -> None:
    assert len(REF.dpia_criteria) == 9


def test_every_source_has_a_title_and_url() -> None:
    for key, source in REF.sources.items():
        assert source.title and source.url.startswith("https://"), key


def test_every_mechanism_and_adequacy_entry_is_sourced() -> None:
    for mechanism in REF.transfer_mechanisms:
        assert mechanism.source in REF.sources and mechanism.validity, mechanism.key
        if any(v.until for v in mechanism.validity) or len({v.regime for v in mechanism.validity}) < 2:
            assert mechanism.invalid_reason, f"{mechanism.key} can be invalid but has no reason to show"
    for entry in (*REF.countries.adequacy_eu, *REF.countries.adequacy_uk):
        assert entry.source in REF.sources and is_country_code(entry.country)


def test_eea_has_thirty_members_all_real_countries() -> None:
    assert len(REF.countries.eea) == 30
    assert all(is_country_code(c) for c in REF.countries.eea)


def test_meta_carries_version_and_as_of_date() -> None:
    raw = raw_reference()
    assert raw["meta"]["version"] and isinstance(raw["meta"]["as_of"], date)


@pytest.mark.parametrize(
    ("mechanism", "regime", "day", "valid"),
    [
        pytest.param("privacy_shield", "EU", date(2019, 1, 1), True, id="privacy-shield-2019"),
        pytest.param("privacy_shield", "EU", date(2020, 7, 16), False, id="privacy-shield-on-schrems-ii"),
        pytest.param("safe_harbor", "EU", date(2015, 10, 6), False, id="safe-harbor-on-schrems-i"),
        pytest.param("eu_scc_2010", "EU", date(2022, 12, 26), True, id="old-scc-eu-last-day"),
        pytest.param("eu_scc_2010", "EU", date(2022, 12, 27), False, id="old-scc-eu-after-transition"),
        pytest.param("eu_scc_2010", "UK", date(2024, 3, 20), True, id="old-scc-uk-last-day"),
        pytest.param("eu_scc_2010", "UK", date(2024, 3, 21), False, id="old-scc-uk-after-21-march-2024"),
        pytest.param("eu_scc_2021", "UK", date(2025, 1, 1), False, id="eu-scc-alone-from-uk"),
        pytest.param("uk_addendum", "UK", date(2022, 3, 21), True, id="uk-addendum-from-start"),
        pytest.param("uk_idta", "EU", date(2025, 1, 1), False, id="idta-from-eu"),
        pytest.param("dpf", "EU", date(2023, 7, 10), True, id="dpf-from-decision"),
        pytest.param("dpf", "EU", date(2023, 7, 9), False, id="dpf-before-decision"),
        pytest.param("uk_us_data_bridge", "UK", date(2023, 10, 12), True, id="uk-extension-in-force"),
    ],
)
def test_mechanism_validity_follows_the_dates_of_law(mechanism: str, regime: str, day: date, valid: bool) -> None:
    assert REF.mechanism(mechanism).valid_on(regime, day) is valid  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("regime", "country", "day", "adequate"),
    [
        pytest.param("EU", "JP", date(2020, 1, 1), True, id="eu-japan"),
        pytest.param("EU", "KR", date(2021, 1, 1), False, id="eu-korea-before-decision"),
        pytest.param("UK", "KR", date(2022, 12, 19), True, id="uk-korea-regulations"),
        pytest.param("UK", "DE", date(2021, 1, 1), True, id="uk-eea-state"),
        pytest.param("EU", "GB", date(2021, 6, 28), True, id="eu-uk-decision"),
        pytest.param("EU", "AU", date(2026, 1, 1), False, id="eu-australia-none"),
        pytest.param("EU", "US", date(2024, 1, 1), True, id="eu-us-dpf-participants"),
    ],
)
def test_adequacy_is_looked_up_by_regime_country_and_date(regime: str, country: str, day: date, adequate: bool) -> None:
    assert (REF.adequacy(regime, country, day) is not None) is adequate  # type: ignore[arg-type]


def test_us_adequacy_requires_dpf_participation() -> None:
    assert REF.adequacy("EU", "US", date(2025, 1, 1)).requires_mechanism == "dpf"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "code"),
    [("Germany", "DE"), ("DE", "DE"), ("DEU", "DE"), ("UK", "GB"), ("United States", "US"), ("USA", "US"),
     ("  singapore ", "SG"), ("Narnia", None), ("", None)],
)
def test_countries_are_found_by_name_or_iso_code(text: str, code: str | None) -> None:
    assert lookup_country(text) == code


def test_third_country_depends_on_the_exporting_regime() -> None:
    assert REF.is_third_country("UK", "DE") and not REF.is_third_country("EU", "DE")
    assert regime_for("GB") == "UK" and regime_for("IE") == "EU"
    assert country_name("US") == "United States"
