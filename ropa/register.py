"""The register as one table: every activity with the facts people filter and sort by.

One set-based DuckDB query whatever the register's size: recipients and
transfers are folded in with EXISTS and grouped sub-queries, never by loading
activities one by one. Every user value is a bound parameter; search matches
text literally (no wildcards), so ``%``, ``_`` and quotes mean themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import pandas as pd

from ropa.legal.transfers import register_verdicts, transfer_verdicts_sql
from ropa.reference import all_countries, load_reference, lookup_country
from ropa.review import DUE_SOON_DAYS as DUE_SOON_DAYS
from ropa.review import REVIEW_LABELS as REVIEW_LABELS
from ropa.review import ReviewFilter, interval_months, review_state_sql, state_sql_filter
from ropa.storage.database import Database
from ropa.storage.entity_rows import descendant_ids

_REVIEW_STATE = review_state_sql("a.last_reviewed", "a.next_review_due", "$review_months", "$as_of")
"""The one definition of when a review is due (ropa/review.py), over the register's columns."""

@dataclass(frozen=True)
class RegisterFilter:
    """What the register page asks for; ``None`` means "any"."""

    search: str = ""
    entity_id: int | None = None
    business_function: str | None = None
    lawful_basis: str | None = None
    status: str | None = None
    special_category: bool | None = None
    third_country_transfers: bool | None = None
    review: ReviewFilter | None = None
    include_archived: bool = False
    activity_ids: tuple[int, ...] | None = None


def _search_keys(vocabulary: str, needle: str, *, match_keys: bool) -> list[str]:
    """Vocabulary keys whose label (or key, when asked) contains ``needle``: labels live in the reference data."""
    return [t.key for t in load_reference().vocabulary(vocabulary)
            if needle in t.label.lower() or (match_keys and needle in t.key.lower())]


COUNTRY_NAME_MIN = 4
"""Shorter search text matches a country by its code or common short name only ("us", "uk", "de"):
as part of a name it would match half the world ("us" is in Australia and Russia)."""


@cache
def _country_names() -> tuple[tuple[str, str], ...]:
    return tuple((code, name.lower()) for code, name in all_countries())


def _search_countries(needle: str) -> list[str]:
    """Country codes the search text names: by code or alias ("us", "uk", "deu"), or by part of the name."""
    codes = {found} if (found := lookup_country(needle)) else set()
    if len(needle) >= COUNTRY_NAME_MIN:
        codes.update(code for code, name in _country_names() if needle in name)
    return sorted(codes)


def _search_condition(needle: str, params: dict[str, Any]) -> str:
    """One set-based condition: the needle in the activity's own text, its vocabularies (by label), its
    recipients (name, contract reference, country) or its transfers (country, recipient, mechanism, documents)."""
    params["q"] = needle
    params["q_categories"] = _search_keys("data_categories", needle, match_keys=True)
    params["q_subjects"] = _search_keys("data_subjects", needle, match_keys=False)
    params["q_recipient_categories"] = _search_keys("recipient_categories", needle, match_keys=False)
    params["q_countries"] = _search_countries(needle)
    params["q_mechanisms"] = [m.key for m in load_reference().mechanisms().values()
                              if needle in m.label.lower() or needle == m.key.lower()]
    return (
        "(contains(lower(a.name), $q) OR contains(lower(a.purpose), $q) OR contains(lower(a.owner), $q)"
        " OR list_has_any(a.data_categories, $q_categories) OR list_has_any(a.data_subjects, $q_subjects)"
        " OR len(list_filter(a.systems, lambda s: contains(lower(s), $q))) > 0"
        " OR EXISTS (SELECT 1 FROM recipients r WHERE r.activity_id = a.id"
        "   AND (contains(lower(r.name), $q) OR contains(lower(r.contract_ref), $q)"
        "        OR list_contains($q_recipient_categories, r.category) OR list_contains($q_countries, r.country)))"
        " OR EXISTS (SELECT 1 FROM transfers t WHERE t.activity_id = a.id"
        "   AND (list_contains($q_countries, t.country) OR list_contains($q_mechanisms, t.mechanism)"
        "        OR contains(lower(t.recipient), $q) OR contains(lower(t.tia_ref), $q)"
        "        OR contains(lower(t.safeguard_doc), $q))))"
    )


def _conditions(db: Database, flt: RegisterFilter, params: dict[str, Any]) -> list[str]:
    where: list[str] = []
    if not flt.include_archived and flt.status != "archived":
        where.append("a.status <> 'archived'")
    needle = flt.search.strip().lower()
    if needle:
        where.append(_search_condition(needle, params))
    if flt.entity_id is not None:
        params["entity_ids"] = descendant_ids(db, flt.entity_id)
        where.append("list_contains($entity_ids, a.entity_id)")
    if flt.business_function is not None:
        params["business_function"] = flt.business_function
        where.append("a.business_function = $business_function")
    if flt.lawful_basis is not None:
        params["lawful_basis"] = flt.lawful_basis
        where.append("list_contains(a.lawful_bases, $lawful_basis)")
    if flt.status is not None:
        params["status"] = flt.status
        where.append("a.status = $status")
    if flt.special_category is not None:
        where.append("special_category" if flt.special_category else "NOT special_category")
    if flt.third_country_transfers is not None:
        where.append("third_country_transfers" if flt.third_country_transfers else "NOT third_country_transfers")
    if flt.review is not None:
        where.append(state_sql_filter(flt.review, _REVIEW_STATE))
    if flt.activity_ids is not None:
        params["activity_ids"] = list(flt.activity_ids)
        where.append("list_contains($activity_ids, a.id)")
    return where


def register_frame(db: Database, flt: RegisterFilter | None = None, as_of: date | None = None) -> pd.DataFrame:
    """Activities matching ``flt`` with entity, flags and review state as of ``as_of``, in register order."""
    flt = flt or RegisterFilter()
    day = as_of or date.today()
    ref = load_reference()
    params: dict[str, Any] = {
        "as_of": day,
        "review_months": interval_months(),
        "special": ref.special_category_keys(),
    }
    where = _conditions(db, flt, params)
    sql = f"""
        WITH transfer_facts AS (
            -- Restricted (Chapter V) transfers as the verdict module judges them on $as_of.
            SELECT activity_id, count(*) AS transfers, bool_or(restricted) AS third_country
            FROM ({transfer_verdicts_sql()}) GROUP BY activity_id
        ), recipient_counts AS (
            SELECT activity_id, count(*) AS recipients FROM recipients GROUP BY activity_id
        ), facts AS (
            SELECT a.*, e.name AS entity,
                   list_has_any(a.data_categories, $special) AS special_category,
                   coalesce(tf.third_country, false) AS third_country_transfers,
                   coalesce(tf.transfers, 0) AS transfer_count,
                   coalesce(rc.recipients, 0) AS recipient_count
            FROM activities a
            JOIN entities e ON e.id = a.entity_id
            LEFT JOIN transfer_facts tf ON tf.activity_id = a.id
            LEFT JOIN recipient_counts rc ON rc.activity_id = a.id
        )
        SELECT a.id, a.name, a.entity, a.entity_id, a.business_function, a.role, a.lawful_bases, a.status,
               a.special_category, a.third_country_transfers,
               a.recipient_count AS recipients, a.transfer_count AS transfers, a.systems, a.owner,
               a.last_reviewed, a.next_review_due,
               {_REVIEW_STATE} AS review,
               a.updated_at, a.updated_by, a.version
        FROM facts a
        WHERE {" AND ".join(where) or "TRUE"}
        ORDER BY lower(a.entity), lower(a.name), a.id
    """
    with db.connect() as con:
        register_verdicts(con, day)
        return con.execute(sql, params).df()


def live_activity_counts(db: Database) -> dict[int, int]:
    """Live (not archived) activities per entity id."""
    rows = db.rows("SELECT entity_id, count(*) FROM activities WHERE status <> 'archived' GROUP BY entity_id")
    return {int(r[0]): int(r[1]) for r in rows}


def live_activity_ids(db: Database, entity_ids: list[int]) -> list[int]:
    """The live activities of these entities, by id."""
    rows = db.rows("SELECT id FROM activities WHERE list_contains(?, entity_id) AND status <> 'archived' "
                   "ORDER BY id", [entity_ids])
    return [int(r[0]) for r in rows]


@dataclass(frozen=True)
class RegisterCounts:
    entities: int
    activities: int
    archived: int
    audit_rows: int


def register_counts(db: Database) -> RegisterCounts:
    """How big the register is, for the admin page."""
    row = db.rows("SELECT (SELECT count(*) FROM entities), (SELECT count(*) FROM activities), "
                  "(SELECT count(*) FROM activities WHERE status = 'archived'), (SELECT count(*) FROM audit_log)")[0]
    return RegisterCounts(*(int(v) for v in row))


def business_functions(db: Database) -> list[str]:
    """The business functions in use, for the filter's choices."""
    rows = db.rows("SELECT DISTINCT business_function FROM activities WHERE business_function <> '' ORDER BY 1")
    return [str(r[0]) for r in rows]
