"""The versioned legal reference data (``gdpr.toml``) as typed, queryable objects.

Everything that states a legal fact (a vocabulary, a mechanism's dates, a
country's adequacy) is read from the one TOML file so that a DPO can see
where each fact came from and when it was last checked.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date
from functools import cache
from importlib import resources
from typing import Literal

import pycountry
from pydantic import BaseModel, ConfigDict, Field, model_validator

Regime = Literal["EU", "UK", "CH"]
"""A transfer law: the Chapter V rules an exporter applies (EU GDPR, UK GDPR, Swiss revFADP)."""

VOCABULARY_NAMES = (
    "lawful_bases",
    "art9_conditions",
    "adm_bases",
    "roles",
    "entity_kinds",
    "statuses",
    "dpia_statuses",
    "retention_triggers",
    "recipient_roles",
    "recipient_categories",
    "data_subjects",
    "data_categories",
    "security_measures",
    "dpia_criteria",
    "international_organisations",
    "entity_regimes",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    title: str
    url: str


class Schedule1Requirement(_Frozen):
    """Under UK law an Art. 9(2) condition counts only with a condition in this Part of DPA 2018 Sch. 1.

    A fact of UK law qualifying a GDPR term, so it carries its own source and date.
    """

    part: Literal[1, 2]
    provision: str = Field(min_length=1)
    source: str = Field(min_length=1)
    as_of: date

    @property
    def citation(self) -> str:
        """'DPA 2018 s.10(2), Sch. 1 Part 1': the way messages and docs cite it."""
        return f"{self.provision}, Sch. 1 Part {self.part}"


class Term(_Frozen):
    """One vocabulary entry: a stable key with its label and legal anchor."""

    key: str = Field(min_length=1)
    label: str = Field(min_length=1)
    article: str = Field(min_length=1)
    source: str = Field(min_length=1)
    as_of: date
    parent: str | None = None
    special: bool = False
    criminal: bool = False
    deprecated: bool = False
    replaced_by: str | None = None
    check: str | None = None
    uk_schedule1: Schedule1Requirement | None = None
    regimes: tuple[Regime, ...] = ()
    in_force_from: date | None = None
    in_force_source: str | None = None

    def available(self, law: Regime | None, day: date) -> bool:
        """Whether the term is law for ``law`` on ``day`` (no ``regimes``: every law; no date: always)."""
        if self.regimes and law not in self.regimes:
            return False
        return self.in_force_from is None or day >= self.in_force_from


class Validity(_Frozen):
    """The days a tool could carry transfers under one law; ``contracts_until``: the last day a
    contract on it could be concluded (the old Model Clauses' cut-off for new contracts)."""

    regime: Regime
    from_: date = Field(alias="from")
    until: date | None = None
    contracts_until: date | None = None
    source: str | None = None

    def covers(self, day: date) -> bool:
        return self.from_ <= day and (self.until is None or day <= self.until)


class Mechanism(_Frozen):
    """A Chapter V transfer tool and the days on which it could be relied on."""

    key: str
    label: str
    article: str
    kind: Literal["adequacy", "safeguard", "derogation"]
    requires_tia: bool
    source: str
    as_of: date
    validity: tuple[Validity, ...]
    invalid_reason: str | None = None
    check: str | None = None
    destination: str | None = None

    def valid_on(self, regime: Regime, day: date) -> bool:
        return any(v.regime == regime and v.covers(day) for v in self.validity)

    def span(self, regime: Regime, day: date) -> Validity | None:
        """The validity span of ``regime`` covering ``day``, if any."""
        return next((v for v in self.validity if v.regime == regime and v.covers(day)), None)

    def has_contract_cutoff(self) -> bool:
        return any(v.contracts_until is not None for v in self.validity)


class Adequacy(_Frozen):
    """One adequacy finding for a country (ISO code) or an international organisation (``organisation``).

    ``excludes`` names what the decision leaves out (e.g. UK immigration-control data
    under Decision 2021/1772): such data needs another tool.
    """

    country: str = ""
    organisation: str = ""
    decision: str
    from_: date = Field(alias="from")
    until: date | None = None
    partial: str | None = None
    excludes: str | None = None
    requires_mechanism: str | None = None
    source: str
    as_of: date
    check: str | None = None

    @property
    def destination(self) -> str:
        return organisation_destination(self.organisation) if self.organisation else self.country

    def covers(self, day: date) -> bool:
        return self.from_ <= day and (self.until is None or day <= self.until)


class Territories(_Frozen):
    """Territory with its own ISO code that is part of a member state and of the EU (Art. 355 TFEU)."""

    codes: tuple[str, ...]
    source: str
    as_of: date


class Countries(_Frozen):
    source: str
    as_of: date
    eea: tuple[str, ...]
    eu_territories: Territories
    adequacy_eu: tuple[Adequacy, ...]
    adequacy_uk: tuple[Adequacy, ...]
    adequacy_ch: tuple[Adequacy, ...]


class Assessment(_Frozen):
    """What an exporter relying on an Art. 46 tool must assess, under one law, from a day."""

    regime: Regime
    from_: date = Field(alias="from")
    until: date | None = None
    name: str
    article: str
    source: str
    as_of: date
    check: str | None = None

    def covers(self, day: date) -> bool:
        return self.from_ <= day and (self.until is None or day <= self.until)


class LawChange(_Frozen):
    """A dated change in the law the register applies: shown in the docs and on the reference sheet."""

    key: str
    regime: Regime
    from_: date = Field(alias="from")
    title: str
    provisions: str
    source: str
    as_of: date
    check: str | None = None


class DpiaSignal(_Frozen):
    """A recorded fact that counts as a WP248 criterion (and, with ``art35_3``, an Art. 35(3) case)."""

    kind: Literal["data_category", "data_subject"]
    key: str = Field(min_length=1)
    criterion: str = Field(min_length=1)
    art35_3: str = ""
    source: str = Field(min_length=1)
    as_of: date

    @property
    def vocabulary_name(self) -> str:
        """The vocabulary ``key`` belongs to."""
        return "data_categories" if self.kind == "data_category" else "data_subjects"


class DpiaListSignal(_Frozen):
    """A recorded fact an Art. 35(4) list item looks for: a data category (and below), data subject or criterion."""

    kind: Literal["data_category", "data_subject", "criterion"]
    key: str = Field(min_length=1)


class DpiaListItem(_Frozen):
    """One entry of a supervisory authority's Art. 35(4) list of processing that needs a DPIA.

    ``combined`` items need a DPIA only with another WP248 criterion; ``signals``
    (all of them) are how a record shows the item; an item without signals is
    reference only (the record holds nothing that would show it).
    """

    authority: str = Field(min_length=1)
    regime: Literal["EU", "UK"]
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    description: str = Field(min_length=1)
    combined: bool = False
    signals: tuple[DpiaListSignal, ...] = ()
    source: str = Field(min_length=1)
    as_of: date
    check: str = ""


class Meta(_Frozen):
    version: str
    as_of: date
    title: str


class Vocabulary:
    """An ordered set of terms with parent/child lookups."""

    def __init__(self, name: str, terms: tuple[Term, ...]) -> None:
        self.name = name
        self.terms = terms
        self._by_key = {t.key: t for t in terms}

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def __getitem__(self, key: str) -> Term:
        return self._by_key[key]

    def keys(self) -> list[str]:
        return [t.key for t in self.terms if not t.deprecated]

    def label(self, key: str) -> str:
        term = self._by_key.get(key)
        return term.label if term else key

    def labels(self) -> dict[str, str]:
        return {t.key: t.label for t in self.terms}

    def descendants(self, key: str) -> list[str]:
        """The key itself and every key below it (dotted hierarchy)."""
        return [t.key for t in self.terms if t.key == key or t.key.startswith(key + ".")]


class Reference(_Frozen):
    meta: Meta
    sources: dict[str, Source]
    lawful_bases: tuple[Term, ...]
    art9_conditions: tuple[Term, ...]
    adm_bases: tuple[Term, ...]
    roles: tuple[Term, ...]
    entity_kinds: tuple[Term, ...]
    statuses: tuple[Term, ...]
    dpia_statuses: tuple[Term, ...]
    retention_triggers: tuple[Term, ...]
    recipient_roles: tuple[Term, ...]
    recipient_categories: tuple[Term, ...]
    data_subjects: tuple[Term, ...]
    data_categories: tuple[Term, ...]
    security_measures: tuple[Term, ...]
    dpia_criteria: tuple[Term, ...]
    international_organisations: tuple[Term, ...]
    entity_regimes: tuple[Term, ...]
    dpia_signals: tuple[DpiaSignal, ...]
    dpia_lists: tuple[DpiaListItem, ...] = ()
    transfer_mechanisms: tuple[Mechanism, ...]
    transfer_assessments: tuple[Assessment, ...]
    law_changes: tuple[LawChange, ...]
    countries: Countries

    @model_validator(mode="after")
    def every_source_is_declared(self) -> Reference:
        terms = [t for name in VOCABULARY_NAMES for t in getattr(self, name)]
        cited = {t.source for t in terms}
        cited |= {t.uk_schedule1.source for t in terms if t.uk_schedule1 is not None}
        cited |= {s.source for s in self.dpia_signals}
        cited |= {i.source for i in self.dpia_lists}
        cited |= {m.source for m in self.transfer_mechanisms}
        cited |= {v.source for m in self.transfer_mechanisms for v in m.validity if v.source}
        cited |= {t.in_force_source for t in terms if t.in_force_source}
        cited |= {a.source for a in self.adequacy_entries()}
        cited |= {a.source for a in self.transfer_assessments}
        cited |= {c.source for c in self.law_changes}
        cited |= {self.countries.source, self.countries.eu_territories.source}
        missing = cited - set(self.sources)
        if missing:
            raise ValueError(f"undeclared sources: {sorted(missing)}")
        return self

    @model_validator(mode="after")
    def every_parent_exists_and_flags_inherit(self) -> Reference:
        by_key = {t.key: t for t in self.data_categories}
        for term in self.data_categories:
            if term.parent is None:
                continue
            parent = by_key.get(term.parent)
            if parent is None:
                raise ValueError(f"{term.key}: parent {term.parent} does not exist")
            if not term.key.startswith(term.parent + "."):
                raise ValueError(f"{term.key}: key must extend its parent {term.parent}")
            if (parent.special and not term.special) or (parent.criminal and not term.criminal):
                raise ValueError(f"{term.key}: must carry its parent's special/criminal flag")
        return self

    @model_validator(mode="after")
    def only_art9_conditions_need_schedule1(self) -> Reference:
        for name in VOCABULARY_NAMES:
            if name == "art9_conditions":
                continue
            for term in getattr(self, name):
                if term.uk_schedule1 is not None:
                    raise ValueError(f"{name}.{term.key}: uk_schedule1 qualifies Art. 9(2) conditions only")
        return self

    @model_validator(mode="after")
    def every_dpia_signal_names_known_terms(self) -> Reference:
        keys = {name: {t.key for t in getattr(self, name)}
                for name in ("dpia_criteria", "data_categories", "data_subjects")}
        for signal in self.dpia_signals:
            if signal.criterion not in keys["dpia_criteria"]:
                raise ValueError(f"dpia signal {signal.key}: unknown dpia_criteria key {signal.criterion}")
            if signal.key not in keys[signal.vocabulary_name]:
                raise ValueError(f"dpia signal {signal.key}: not a key of {signal.vocabulary_name}")
        lists = {"criterion": "dpia_criteria", "data_category": "data_categories", "data_subject": "data_subjects"}
        for item in self.dpia_lists:
            for wanted in item.signals:
                if wanted.key not in keys[lists[wanted.kind]]:
                    raise ValueError(f"dpia list item {item.key}: {wanted.key} is not a key of {lists[wanted.kind]}")
        return self

    def vocabulary(self, name: str) -> Vocabulary:
        if name not in VOCABULARY_NAMES:
            raise KeyError(name)
        return _vocabulary(self, name)

    def mechanism(self, key: str) -> Mechanism:
        return _mechanisms(self)[key]

    def mechanisms(self) -> dict[str, Mechanism]:
        return dict(_mechanisms(self))

    def special_category_keys(self) -> list[str]:
        return [t.key for t in self.data_categories if t.special]

    def criminal_category_keys(self) -> list[str]:
        return [t.key for t in self.data_categories if t.criminal]

    def schedule1_requirements(self) -> dict[str, Schedule1Requirement]:
        """Art. 9(2) condition key -> the DPA 2018 Schedule 1 Part a UK controller must also meet."""
        return {t.key: t.uk_schedule1 for t in self.art9_conditions if t.uk_schedule1 is not None}

    def is_eea(self, country: str) -> bool:
        """EEA state or EU territory with its own ISO code (Réunion, Åland, ...): inside the EU/EEA."""
        return country in self.countries.eea or country in self.countries.eu_territories.codes

    def adequacy_entries(self) -> tuple[Adequacy, ...]:
        c = self.countries
        return (*c.adequacy_eu, *c.adequacy_uk, *c.adequacy_ch)

    def adequacy_table(self, regime: Regime) -> tuple[Adequacy, ...]:
        """The adequacy findings of one law, as listed (see ``ropa.legal.transfers`` for the dated rules)."""
        return {"EU": self.countries.adequacy_eu, "UK": self.countries.adequacy_uk,
                "CH": self.countries.adequacy_ch}[regime]

    def organisation(self, key: str) -> Term | None:
        vocab = self.vocabulary("international_organisations")
        return vocab[key] if key in vocab else None


ORGANISATION_PREFIX = "org:"
"""Destinations are ISO country codes or, for an international organisation, ``org:`` + its key."""


def organisation_destination(key: str) -> str:
    return ORGANISATION_PREFIX + key


def country_name(code: str | None) -> str:
    if not code:
        return ""
    found = pycountry.countries.get(alpha_2=code)
    if found is None:
        return code
    return str(getattr(found, "common_name", None) or found.name)


def lookup_country(text: str) -> str | None:
    """ISO alpha-2 code for a name or code ("Germany", "DE", "DEU", "UK"), else None."""
    cleaned = text.strip()
    if not cleaned:
        return None
    aliases = {"UK": "GB", "U.K.": "GB", "UNITED KINGDOM": "GB", "GREAT BRITAIN": "GB",
               "ENGLAND": "GB", "USA": "US", "U.S.": "US", "U.S.A.": "US", "UNITED STATES": "US",
               "UNITED STATES OF AMERICA": "US", "SOUTH KOREA": "KR", "KOREA": "KR"}
    if cleaned.upper() in aliases:
        return aliases[cleaned.upper()]
    code = cleaned.upper()
    found = pycountry.countries.get(alpha_2=code) if len(code) == 2 else pycountry.countries.get(alpha_3=code)
    if found is not None:
        return str(found.alpha_2)
    try:
        return str(pycountry.countries.lookup(cleaned).alpha_2)
    except LookupError:
        return None


def is_country_code(code: str) -> bool:
    return pycountry.countries.get(alpha_2=code) is not None


def all_countries() -> list[tuple[str, str]]:
    """(code, name) of every ISO 3166-1 country, sorted by name."""
    return sorted(((c.alpha_2, country_name(c.alpha_2)) for c in pycountry.countries),
                  key=lambda item: item[1])


_VOCABULARIES: dict[tuple[int, str], Vocabulary] = {}
_MECHANISMS: dict[int, dict[str, Mechanism]] = {}


def _vocabulary(ref: Reference, name: str) -> Vocabulary:
    key = (id(ref), name)
    if key not in _VOCABULARIES:
        _VOCABULARIES[key] = Vocabulary(name, getattr(ref, name))
    return _VOCABULARIES[key]


def _mechanisms(ref: Reference) -> dict[str, Mechanism]:
    if id(ref) not in _MECHANISMS:
        _MECHANISMS[id(ref)] = {m.key: m for m in ref.transfer_mechanisms}
    return _MECHANISMS[id(ref)]


def raw_reference() -> dict[str, object]:
    text = resources.files(__package__).joinpath("gdpr.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    data.update(data.pop("vocabulary"))
    return data


@cache
def load_reference() -> Reference:
    """Parse and validate ``gdpr.toml`` once per process."""
    return Reference.model_validate(raw_reference())
