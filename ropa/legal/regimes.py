"""Which data protection law an entity is subject to, and what follows from it.

The regime is recorded on the entity (``Entity.regime``); left blank it is
derived from the entity's country. It decides the Chapter V rules its
transfers follow (EDPB Guidelines 05/2021: a transfer needs an exporter
subject to the law for that processing), whether it needs an Art. 27
representative, and which lawful bases it may record.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Literal, cast, get_args

import pandas as pd
import pyarrow as pa

from ropa.models import Entity
from ropa.reference import Regime, all_countries, load_reference

EntityRegime = Literal["eu_gdpr", "uk_gdpr", "ch_fadp", "eu_gdpr_art3_2", "uk_gdpr_art3_2", "none"]
ENTITY_REGIMES: tuple[EntityRegime, ...] = get_args(EntityRegime)

_LAW: dict[EntityRegime, Regime | None] = {
    "eu_gdpr": "EU", "eu_gdpr_art3_2": "EU", "uk_gdpr": "UK", "uk_gdpr_art3_2": "UK", "ch_fadp": "CH", "none": None,
}
LAW_NAMES: dict[Regime, str] = {"EU": "EU GDPR", "UK": "UK GDPR", "CH": "Swiss revFADP"}


def default_regime(country: str | None) -> EntityRegime:
    """The regime an entity established in ``country`` is subject to unless the DPO records otherwise.

    EEA states and EU territories (Art. 355 TFEU) -> EU GDPR, Art. 3(1); the UK -> UK GDPR;
    Switzerland -> revFADP; anywhere else -> none, until the DPO records Art. 3(2).
    """
    ref = load_reference()
    if country and ref.is_eea(country):
        return "eu_gdpr"
    if country == "GB":
        return "uk_gdpr"
    if country == "CH":
        return "ch_fadp"
    return "none"


def entity_regime(entity: Entity) -> EntityRegime:
    """The entity's recorded regime, or the one derived from its country (EU GDPR, UK GDPR, revFADP or none)."""
    # A recorded regime passed the model's vocabulary check, so it is one of the keys.
    return cast(EntityRegime, entity.regime) if entity.regime else default_regime(entity.country)


def transfer_law(regime: EntityRegime) -> Regime | None:
    """The Chapter V rules an exporter under ``regime`` applies (None: no transfer rules apply)."""
    return _LAW[regime]


def needs_representative(regime: EntityRegime) -> bool:
    """Art. 27 (EU GDPR and UK GDPR): an entity reached only through Art. 3(2) designates a representative."""
    return regime in ("eu_gdpr_art3_2", "uk_gdpr_art3_2")


def regime_label(regime: EntityRegime | str | None) -> str:
    """'EU GDPR (establishment in the EU/EEA)': the vocabulary label."""
    return load_reference().vocabulary("entity_regimes").label(regime or "none")


def regime_citation(regime: EntityRegime | str | None) -> str:
    """The label with its article, as the record and the export cite it."""
    vocab = load_reference().vocabulary("entity_regimes")
    key = regime or "none"
    return f"{vocab[key].label} ({vocab[key].article})" if key in vocab else key


def lawful_bases_for(regime: EntityRegime, day: date) -> list[str]:
    """The Art. 6(1) bases an entity under ``regime`` can rely on on ``day`` (UK: 6(1)(ea) from 5 Feb 2026)."""
    law = transfer_law(regime)
    return [t.key for t in load_reference().lawful_bases if not t.deprecated and t.available(law, day)]


@cache
def default_regimes_frame() -> pd.DataFrame:
    """Country -> default regime, for the SQL that derives an entity's regime (``legal_default_regimes``)."""
    return pd.DataFrame([{"country": code, "regime": default_regime(code)} for code, _ in all_countries()])


@cache
def regimes_frame() -> pd.DataFrame:
    """Regime key -> its transfer law, label and Art. 27 duty (``legal_regimes``)."""
    return pd.DataFrame([{"regime": r, "law": transfer_law(r) or "none", "label": regime_label(r),
                          "law_name": LAW_NAMES.get(transfer_law(r) or "EU", "") if transfer_law(r) else "",
                          "needs_representative": needs_representative(r)} for r in ENTITY_REGIMES])


def lawful_bases_frame(day: date) -> pd.DataFrame:
    """Per law and Art. 6 basis: whether that law offers it on ``day`` (``gap_lawful_bases``)."""
    laws: tuple[Regime, ...] = ("EU", "UK", "CH")
    return pd.DataFrame([{"law": law, "key": t.key, "label": t.label, "article": t.article,
                          "available": t.available(law, day)}
                         for law in laws for t in load_reference().lawful_bases])


@cache
def law_changes_frame() -> pd.DataFrame:
    """The dated law changes (``gap_law_changes``): rules that follow a change read its first day here."""
    return pd.DataFrame([{"key": c.key, "regime": c.regime, "from_day": c.from_, "title": c.title}
                         for c in load_reference().law_changes])


ENTITY_REGIME_SQL = """
SELECT e.id AS entity_id, coalesce(e.regime, d.regime, 'none') AS regime,
       e.regime IS NULL AS regime_derived, g.law, g.law_name, g.needs_representative
FROM entities e
LEFT JOIN legal_default_regimes d ON d.country = e.country
LEFT JOIN legal_regimes g ON g.regime = coalesce(e.regime, d.regime, 'none')
"""
"""One row per entity with its effective regime; needs ``register_regime_frames`` on the connection."""


@cache
def regime_frames() -> dict[str, pa.Table]:
    """The frames ``ENTITY_REGIME_SQL`` reads, by the name it reads them under, as Arrow tables converted
    once per process (every analysis and every register query registers them)."""
    frames = {"legal_default_regimes": default_regimes_frame(), "legal_regimes": regimes_frame(),
              "gap_law_changes": law_changes_frame()}
    return {name: pa.Table.from_pandas(frame, preserve_index=False) for name, frame in frames.items()}


DERIVED_NOTE = " — derived from the country"
"""What the export appends to a regime the DPO did not record (the entities table)."""


def regime_from_cell(text: str) -> str | None:
    """The regime key a cell of the export's entities table names (None: derived, blank or a key as typed).

    Reads back what ``ropa.columns.entity_cells`` writes: a citation, a label or a key; a
    derived regime reads back as not recorded, so it keeps following the country.
    """
    cleaned = text.strip()
    if not cleaned or cleaned.endswith(DERIVED_NOTE.strip()):
        return None
    for term in load_reference().entity_regimes:
        if cleaned.casefold() in (term.key, term.label.casefold(), regime_citation(term.key).casefold()):
            return term.key
    return cleaned
