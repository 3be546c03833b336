"""The reference data itself: keys unique, parents exist, every entry sourced and dated."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from ropa.legal.regimes import default_regime
from ropa.legal.transfers import adequacy_on, is_third_country
from ropa.reference import (
    VOCABULARY_NAMES,
    Reference,
    country_name,
    is_country_code,
    load_reference,
    lookup_country,
    raw_reference,
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


SCHEDULE1_BY_ARTICLE = {
    "Art. 9(2)(b)": (1, "DPA 2018 s.10(2)"),
    "Art. 9(2)(g)": (2, "DPA 2018 s.10(3)"),
    "Art. 9(2)(h)": (1, "DPA 2018 s.10(2)"),
    "Art. 9(2)(i)": (1, "DPA 2018 s.10(2)"),
    "Art. 9(2)(j)": (1, "DPA 2018 s.10(2)"),
}
"""DPA 2018 s.10(2): points (b), (h), (i), (j) need Sch. 1 Part 1; s.10(3): point (g) needs Part 2."""


@pytest.mark.parametrize("term", REF.art9_conditions, ids=lambda t: t.key)
def test_art9_condition_needs_the_schedule1_part_dpa_2018_section_10_names(term: Any) -> None:
    expected = SCHEDULE1_BY_ARTICLE.get(term.article)
    if expected is None:
        assert term.uk_schedule1 is None
        return
    need = term.uk_schedule1
    assert need is not None and (need.part, need.provision) == expected
    assert need.source == "dpa2018" and need.as_of <= REF.meta.as_of
    assert need.citation == f"{expected[1]}, Sch. 1 Part {expected[0]}"


def test_five_art9_conditions_need_a_schedule1_condition() -> None:
    assert set(REF.schedule1_requirements()) == {
        "employment_social_security", "substantial_public_interest", "health_social_care", "public_health",
        "archiving_research"}


@pytest.mark.parametrize("signal", REF.dpia_signals, ids=lambda s: f"{s.kind}-{s.key}")
def test_every_dpia_signal_names_a_wp248_criterion_and_a_recorded_key(signal: Any) -> None:
    assert signal.criterion in REF.vocabulary("dpia_criteria")
    assert signal.key in REF.vocabulary(signal.vocabulary_name)
    assert signal.source in REF.sources and signal.as_of <= REF.meta.as_of


def _term(raw: dict[str, Any], vocabulary: str, key: str) -> dict[str, Any]:
    term: dict[str, Any] = next(t for t in raw[vocabulary] if t["key"] == key)
    return term


def _signal(raw: dict[str, Any], key: str) -> dict[str, Any]:
    signal: dict[str, Any] = next(s for s in raw["dpia_signals"] if s["key"] == key)
    return signal


SCHEDULE1_PART_1 = {"part": 1, "provision": "DPA 2018 s.10(2)", "source": "dpa2018", "as_of": date(2026, 11, 23)}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        pytest.param(lambda raw: _signal(raw, "children").update(criterion="gut_feeling"),
                     "unknown dpia_criteria key gut_feeling", id="signal-unknown-criterion"),
        pytest.param(lambda raw: _signal(raw, "location.precise").update(key="special.telepathy"),
                     "not a key of data_categories", id="signal-unknown-category"),
        pytest.param(lambda raw: raw["dpia_lists"][0]["signals"][0].update(key="gut_feeling"),
                     "dpia list item ico_innovative_technology: gut_feeling is not a key of dpia_criteria",
                     id="dpia-list-unknown-criterion"),
        pytest.param(lambda raw: raw["dpia_lists"][0].update(source="blog_post"),
                     "undeclared sources: ['blog_post']", id="dpia-list-undeclared-source"),
        pytest.param(lambda raw: _signal(raw, "patients").update(key="special"),
                     "not a key of data_subjects", id="signal-category-key-given-as-subject"),
        pytest.param(lambda raw: _signal(raw, "criminal").update(source="blog_post"),
                     "undeclared sources: ['blog_post']", id="signal-undeclared-source"),
        pytest.param(lambda raw: _signal(raw, "criminal").pop("as_of"), "as_of\n  Field required", id="signal-undated"),
        pytest.param(lambda raw: _term(raw, "art9_conditions", "public_health")["uk_schedule1"].update(part=3),
                     "uk_schedule1.part\n  Input should be 1 or 2", id="schedule1-part-3"),
        pytest.param(lambda raw: _term(raw, "art9_conditions", "public_health")["uk_schedule1"].update(
                     source="blog_post"), "undeclared sources: ['blog_post']", id="schedule1-undeclared-source"),
        pytest.param(lambda raw: _term(raw, "lawful_bases", "consent").update(uk_schedule1=SCHEDULE1_PART_1),
                     "uk_schedule1 qualifies Art. 9(2) conditions only", id="schedule1-on-a-lawful-basis"),
    ],
)
def test_reference_rejects_legal_lists_that_do_not_resolve(mutate: Callable[[dict[str, Any]], object],
                                                           message: str) -> None:
    raw = raw_reference()
    mutate(raw)
    with pytest.raises(ValidationError, match=re.escape(message)):
        Reference.model_validate(raw)


def test_lawful_bases_are_the_six_of_article_6_1_and_the_uk_recognised_legitimate_interests() -> None:
    assert [t.article for t in REF.lawful_bases if not t.regimes] == [f"Art. 6(1)({c})" for c in "abcdef"]
    uk_only = [t for t in REF.lawful_bases if t.regimes]
    assert [(t.key, t.regimes, t.in_force_from) for t in uk_only] == [
        ("recognised_legitimate_interests", ("UK",), date(2026, 2, 5))]


@pytest.mark.parametrize(("regime", "day", "offered"), [
    pytest.param("uk_gdpr", date(2026, 2, 4), False, id="uk-day-before-commencement"),
    pytest.param("uk_gdpr", date(2026, 2, 5), True, id="uk-from-commencement"),
    pytest.param("uk_gdpr_art3_2", date(2026, 12, 1), True, id="uk-art3-2-entity"),
    pytest.param("eu_gdpr", date(2026, 12, 1), False, id="eu-never"),
])
def test_recognised_legitimate_interests_follow_the_regime_and_the_commencement(regime: str, day: date,
                                                                               offered: bool) -> None:
    from ropa.legal.regimes import lawful_bases_for

    assert ("recognised_legitimate_interests" in lawful_bases_for(regime, day)) is offered  # type: ignore[arg-type]


def test_unconfirmed_adequacy_facts_stay_marked_check() -> None:
    flagged = {a.destination for a in REF.adequacy_entries() if a.check}
    assert {"BR", "org:epo", "US"} <= flagged


def test_reference_is_brought_to_1_december_2026() -> None:
    assert REF.meta.as_of == date(2026, 12, 1) and REF.meta.version == "2026.12.1"
    assert all(c.from_ <= REF.meta.as_of and c.source in REF.sources for c in REF.law_changes)


@pytest.mark.parametrize(("vocabulary", "key", "article"), [
    pytest.param("data_categories", "communications.traffic", "Directive 2002/58/EC Art. 6", id="traffic-eprivacy"),
    pytest.param("security_measures", "certification", "Art. 32(1)(b)", id="iso-27001-not-art-42"),
    pytest.param("data_subjects", "customer_end_users", "Art. 30(1)(c)", id="end-users-data-subjects"),
])
def test_citations_name_the_provision_they_rest_on(vocabulary: str, key: str, article: str) -> None:
    assert article in REF.vocabulary(vocabulary)[key].article


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
    for entry in REF.adequacy_entries():
        assert entry.source in REF.sources
        assert is_country_code(entry.country) or entry.organisation in REF.vocabulary("international_organisations")


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
    assert (adequacy_on(regime, country, day) is not None) is adequate  # type: ignore[arg-type]


def test_us_adequacy_requires_dpf_participation() -> None:
    assert adequacy_on("EU", "US", date(2025, 1, 1)).requires_mechanism == "dpf"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "code"),
    [("Germany", "DE"), ("DE", "DE"), ("DEU", "DE"), ("UK", "GB"), ("United States", "US"), ("USA", "US"),
     ("  singapore ", "SG"), ("Narnia", None), ("", None)],
)
def test_countries_are_found_by_name_or_iso_code(text: str, code: str | None) -> None:
    assert lookup_country(text) == code


def test_third_country_depends_on_the_exporting_regime() -> None:
    day = date(2026, 12, 1)
    assert is_third_country("UK", "DE", day) and not is_third_country("EU", "DE", day)
    assert default_regime("GB") == "uk_gdpr" and default_regime("IE") == "eu_gdpr"
    assert country_name("US") == "United States"
