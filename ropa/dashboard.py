"""The managers' dashboard as data: KPI numbers and the frames the figure builders take.

Everything is set-based: the filters become one ``scope`` table of activity
rows, and each chart's frame is one SQL aggregate over it (with the activity
ids of every group, for click-through). Legal facts are read from the
reference data for the as-of date; the loops in this module run over
countries and mechanisms of the reference, never over activities.

How the filters apply: entity (with its subsidiaries), business function
and status select activities by their current content. The as-of date is
the day the law and the deadlines are applied on (transfer states, overdue
reviews, the gap analysis) and the last month of the trend; the records
themselves are shown as they stand now, since a register entered today
describes processing that began long before.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import pycountry

from ropa.charts.activities import NO_BASIS_LABEL, PROCESSOR_BASIS_LABEL
from ropa.charts.palette import RETENTION_KIND_LABELS, TRANSFER_STATE_LABELS, TRANSFER_STATES
from ropa.gaps import SEVERITIES
from ropa.gaps.catalogue import load_catalogue
from ropa.gaps.scoring import findings_and_completeness
from ropa.legal.transfers import destination_name, register_verdicts, transfer_verdicts_sql
from ropa.reference import load_reference
from ropa.review import interval_months, review_state_sql
from ropa.storage.database import Connection, Database

LIVE_STATUSES: tuple[str, ...] = ("draft", "in_review", "approved")
ALL_STATUSES: tuple[str, ...] = (*LIVE_STATUSES, "archived")
NO_FUNCTION = "(no business function)"
TREND_MONTHS = 24

# Structured retention periods in buckets: (upper bound in months, label).
RETENTION_BUCKETS: tuple[tuple[int, str], ...] = (
    (6, "Up to 6 months"), (12, "7-12 months"), (24, "1-2 years"), (36, "2-3 years"),
    (72, "3-6 years"), (120, "6-10 years"),
)
RETENTION_OVER = "Over 10 years"


@dataclass(frozen=True)
class Filters:
    """What the sidebar selected. ``None`` means "all"."""

    as_of: date
    entity_ids: tuple[int, ...] | None = None
    functions: tuple[str, ...] | None = None
    statuses: tuple[str, ...] = LIVE_STATUSES


@dataclass(frozen=True)
class Kpis:
    activities: int
    entities: int
    special_category: int
    third_country_transfers: int
    transfer_activities: int
    open_findings: dict[str, int]
    reviews_overdue: int
    completeness: float | None


@dataclass
class DashboardData:
    """Every number and frame of the dashboard for one set of filters."""

    filters: Filters
    kpis: Kpis
    by_entity: pd.DataFrame
    lawful_bases: pd.DataFrame
    categories: pd.DataFrame
    flows: pd.DataFrame
    transfers: pd.DataFrame
    transfer_countries: pd.DataFrame
    retention: pd.DataFrame
    review: pd.DataFrame
    findings_by_rule: pd.DataFrame
    findings_by_entity: pd.DataFrame
    findings_now: pd.DataFrame
    trend: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)


# -- filters -------------------------------------------------------------------------------------------------


def function_options(db: Database) -> list[str]:
    """Every business function in the register ('' for activities without one), by name."""
    rows = db.rows("SELECT DISTINCT business_function FROM activities ORDER BY business_function")
    return [str(r[0]) for r in rows]


def _filter_clauses(filters: Filters, prefix: str = "") -> tuple[list[str], list[Any]]:
    """The sidebar filters as bound SQL conditions on columns named ``prefix + column``."""
    where: list[str] = [f"list_contains(?, {prefix}status)"]
    params: list[Any] = [list(filters.statuses)]
    if filters.entity_ids is not None:
        where.append(f"list_contains(?, {prefix}entity_id)")
        params.append(list(filters.entity_ids))
    if filters.functions is not None:
        where.append(f"list_contains(?, {prefix}business_function)")
        params.append(list(filters.functions))
    return where, params


def _scope_sql(filters: Filters) -> tuple[str, list[Any]]:
    where, params = _filter_clauses(filters, "a.")
    special = load_reference().special_category_keys()
    sql = f"""
        CREATE OR REPLACE TEMP TABLE scope AS
        SELECT a.id AS activity_id, a.name AS activity, a.entity_id, e.name AS entity,
               e.country AS entity_country, a.business_function,
               CASE WHEN a.business_function = '' THEN ? ELSE a.business_function END AS function_label,
               a.status, a.role, a.lawful_bases, a.data_subjects, a.data_categories, a.retention_kind,
               a.retention_months, a.retention_rule, a.next_review_due, a.last_reviewed,
               list_has_any(a.data_categories, ?::VARCHAR[]) AS special
        FROM activities a JOIN entities e ON e.id = a.entity_id
        WHERE {' AND '.join(where)}
    """
    return sql, [NO_FUNCTION, special, *params]


def _frame(con: Connection, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    return con.execute(sql, list(params)).df()


# -- charts' frames -----------------------------------------------------------------------------------------


def _by_entity(con: Connection) -> pd.DataFrame:
    return _frame(con, """
        SELECT entity_id, entity, function_label AS business_function, count(*)::INTEGER AS activities,
               list_sort(list(activity_id)) AS activity_ids
        FROM scope GROUP BY ALL ORDER BY entity, business_function
    """)


def _lawful_bases(con: Connection) -> pd.DataFrame:
    frame = _frame(con, """
        SELECT entity_id, entity, basis, count(*)::INTEGER AS activities,
               list_sort(list(activity_id)) AS activity_ids
        FROM (SELECT entity_id, entity, activity_id,
                     unnest(CASE WHEN len(lawful_bases) > 0 THEN lawful_bases
                                 WHEN role = 'processor' THEN ['(processor)']
                                 ELSE ['(none)'] END) AS basis
              FROM scope)
        GROUP BY ALL ORDER BY entity, basis
    """)
    labels = load_reference().vocabulary("lawful_bases").labels()
    labels |= {"(processor)": PROCESSOR_BASIS_LABEL, "(none)": NO_BASIS_LABEL}
    frame["basis"] = frame["basis"].map(lambda key: labels.get(key, key))
    return frame


def category_columns() -> pd.DataFrame:
    """Each data-category key and the heat-map column it counts in.

    Ordinary data rolls up to its top-level family (identity, contact, ...);
    each Art. 9 special category keeps its own column (a child such as
    ``special.health.disability`` counts as health), and Art. 10 data is one
    column. Flags come from the reference data, so a new child key is
    placed without a code change.
    """
    vocabulary = load_reference().vocabulary("data_categories")
    order = {term.key: i for i, term in enumerate(vocabulary)}
    rows = []
    for term in vocabulary:
        parts = term.key.split(".")
        if term.special and len(parts) > 1:
            column = ".".join(parts[:2])
        else:
            column = parts[0]
        rows.append({"key": term.key, "category": column, "category_label": vocabulary.label(column),
                     "sensitive": term.special or term.criminal, "position": order.get(column, len(order))})
    return pd.DataFrame(rows)


def _categories(con: Connection) -> pd.DataFrame:
    con.register("dash_category_columns", category_columns())
    try:
        return _frame(con, """
            SELECT s.entity_id, s.entity, coalesce(c.category, s.key) AS category,
                   coalesce(c.category_label, s.key) AS category_label, coalesce(c.sensitive, false) AS sensitive,
                   coalesce(c.position, 9999)::INTEGER AS position,
                   count(DISTINCT s.activity_id)::INTEGER AS activities,
                   list_sort(list_distinct(list(s.activity_id))) AS activity_ids
            FROM (SELECT entity_id, entity, activity_id, unnest(data_categories) AS key FROM scope) s
            LEFT JOIN dash_category_columns c ON c.key = s.key
            GROUP BY ALL ORDER BY s.entity, position
        """)
    finally:
        con.unregister("dash_category_columns")


def _flows(con: Connection) -> pd.DataFrame:
    frame = _frame(con, """
        WITH subjects AS (
            SELECT activity_id, function_label,
                   unnest(CASE WHEN len(data_subjects) > 0 THEN data_subjects ELSE ['(none)'] END) AS subject
            FROM scope
        ), listed AS (
            SELECT s.activity_id, s.function_label, r.category, r.country, r.name
            FROM scope s JOIN recipients r USING (activity_id)
        ), transferred AS (
            SELECT t.activity_id, s.function_label, coalesce(l.category, '(unlisted)') AS category,
                   coalesce(t.country, 'org:' || t.organisation) AS country
            FROM scope s JOIN transfers t USING (activity_id)
            LEFT JOIN listed l ON l.activity_id = t.activity_id AND t.recipient <> ''
                 AND lower(trim(l.name)) = lower(trim(t.recipient))
        ), destinations AS (
            SELECT activity_id, function_label, category, coalesce(nullif(country, ''), '(none)') AS country
            FROM listed
            UNION SELECT activity_id, function_label, category, country FROM transferred
        ), categories AS (
            SELECT activity_id, function_label, category FROM listed
            UNION SELECT activity_id, function_label, category FROM transferred
            UNION SELECT activity_id, function_label, '(no recipients)' FROM scope
            WHERE activity_id NOT IN (SELECT activity_id FROM listed)
              AND activity_id NOT IN (SELECT activity_id FROM transferred)
        )
        SELECT 'subject' AS source_layer, subject AS source, 'function' AS target_layer,
               function_label AS target, count(DISTINCT activity_id)::INTEGER AS activities
        FROM subjects GROUP BY ALL
        UNION ALL
        SELECT 'function', function_label, 'recipient', category, count(DISTINCT activity_id)::INTEGER
        FROM categories GROUP BY ALL
        UNION ALL
        SELECT 'recipient', category, 'country', country, count(DISTINCT activity_id)::INTEGER
        FROM destinations GROUP BY ALL
        ORDER BY 1, 2, 3, 4
    """)
    ref = load_reference()
    subjects = ref.vocabulary("data_subjects").labels() | {"(none)": "No data subjects recorded"}
    categories = ref.vocabulary("recipient_categories").labels() | {"(unlisted)": "Transfer recipient not listed",
                                                                    "(no recipients)": "No recipient recorded"}

    def label(layer: str, key: str) -> str:
        if layer == "subject":
            return subjects.get(key, key)
        if layer == "recipient":
            return categories.get(key, key)
        if layer == "country":
            return "Country not recorded" if key == "(none)" else destination_name(key)
        return key

    frame["source"] = [label(layer, key) for layer, key in zip(frame["source_layer"], frame["source"], strict=True)]
    frame["target"] = [label(layer, key) for layer, key in zip(frame["target_layer"], frame["target"], strict=True)]
    return frame


def _transfers(con: Connection, as_of: date) -> pd.DataFrame:
    """One row per recorded transfer in scope, with its state on ``as_of`` from the verdict module."""
    register_verdicts(con, as_of)
    return _frame(con, f"""
        SELECT v.activity_id, s.activity, s.entity_id, s.entity, v.law AS regime, v.destination AS country,
               v.mechanism, t.recipient, v.restricted AS third_country, v.state
        FROM ({transfer_verdicts_sql()}) v
        JOIN scope s USING (activity_id)
        JOIN transfers t ON t.activity_id = v.activity_id AND t.position = v.position
        ORDER BY v.activity_id, v.position
    """)


def transfer_countries(transfers: pd.DataFrame) -> pd.DataFrame:
    """Per destination country: its worst state, counts per state, and the activities behind it."""
    columns = ["country", "iso3", "country_name", "state", "transfers", "activities", "activity_ids", "detail"]
    if transfers.empty:
        return pd.DataFrame(columns=columns)
    rank = {state: i for i, state in enumerate(TRANSFER_STATES)}
    data = transfers.assign(rank=transfers["state"].map(rank))
    grouped = data.groupby("country", sort=True)
    frame = pd.DataFrame({
        "transfers": grouped.size(),
        "activities": grouped["activity_id"].nunique(),
        "rank": grouped["rank"].min(),
    }).reset_index()
    ids = {str(country): sorted({int(i) for i in group}) for country, group in grouped["activity_id"]}
    frame["activity_ids"] = [ids[str(c)] for c in frame["country"]]
    frame["state"] = [TRANSFER_STATES[int(r)] for r in frame["rank"]]
    counts = data.groupby(["country", "state"]).size()
    frame["detail"] = [
        ", ".join(f"{int(counts[(c, s)])} × {TRANSFER_STATE_LABELS[s].lower()}"
                  for s in TRANSFER_STATES if (c, s) in counts.index)
        for c in frame["country"]
    ]
    frame["iso3"] = [_alpha3(c) for c in frame["country"]]
    frame["country_name"] = [destination_name(c) for c in frame["country"]]
    return frame[columns]


def _alpha3(code: str) -> str:
    found = pycountry.countries.get(alpha_2=code)
    return str(found.alpha_3) if found is not None else code


def _retention(con: Connection) -> pd.DataFrame:
    vague = "|".join(f"(?:{p.pattern})" for p in load_catalogue().vague_retention)
    cases = " ".join(f"WHEN retention_months <= {bound} THEN {i}" for i, (bound, _) in enumerate(RETENTION_BUCKETS))
    frame = _frame(con, f"""
        SELECT position, kind, count(*)::INTEGER AS activities, list_sort(list(activity_id)) AS activity_ids
        FROM (SELECT activity_id,
                     CASE WHEN retention_kind = 'period' AND retention_months IS NOT NULL THEN 'period'
                          WHEN retention_kind = 'rule' AND regexp_matches(retention_rule, ?) THEN 'vague'
                          WHEN retention_kind = 'rule' AND trim(retention_rule) <> '' THEN 'rule'
                          ELSE 'unknown' END AS kind,
                     CASE WHEN kind = 'period' THEN CASE {cases} ELSE {len(RETENTION_BUCKETS)} END
                          WHEN kind = 'rule' THEN {len(RETENTION_BUCKETS) + 1}
                          WHEN kind = 'vague' THEN {len(RETENTION_BUCKETS) + 2}
                          ELSE {len(RETENTION_BUCKETS) + 3} END AS position
              FROM scope)
        GROUP BY ALL ORDER BY position
    """, [vague])
    labels = [label for _, label in RETENTION_BUCKETS] + [RETENTION_OVER, RETENTION_KIND_LABELS["rule"],
                                                            RETENTION_KIND_LABELS["vague"],
                                                            RETENTION_KIND_LABELS["unknown"]]
    frame["bucket"] = [labels[int(p)] for p in frame["position"]]
    return frame


def _review(con: Connection, as_of: date) -> pd.DataFrame:
    # When a review is due is defined once (ropa/review.py); the interval and date are checked values, not user text.
    state = review_state_sql("last_reviewed", "next_review_due", str(interval_months()),
                             f"DATE '{as_of.isoformat()}'")
    return _frame(con, f"""
        SELECT entity_id, entity, review_state, count(*)::INTEGER AS activities,
               list_sort(list(activity_id)) AS activity_ids
        FROM (SELECT entity_id, entity, activity_id,
                     CASE WHEN status = 'archived' THEN 'archived'
                          WHEN {state} = 'overdue' THEN 'overdue'
                          WHEN status = 'draft' THEN 'draft'
                          WHEN status = 'in_review' THEN 'in_review'
                          WHEN {state} = 'never' THEN 'no_date'
                          ELSE 'current' END AS review_state
              FROM scope)
        GROUP BY ALL ORDER BY entity, review_state
    """)


def _findings(con: Connection, findings: pd.DataFrame, filters: Filters) -> dict[str, pd.DataFrame]:
    """The open findings of activities in scope (and of entities in scope), three ways."""
    columns = ["activity_id", "entity_id", "entity", "rule", "title", "severity"]
    data = findings[columns] if not findings.empty else pd.DataFrame(columns=columns)
    data = data.astype({"activity_id": "Int64", "entity_id": "Int64", "entity": str, "rule": str, "title": str,
                        "severity": str})
    con.register("dash_findings", data)
    entity_clause = "TRUE" if filters.entity_ids is None else "list_contains(?, f.entity_id)"
    entity_params: list[Any] = [] if filters.entity_ids is None else [list(filters.entity_ids)]
    entity_level = "FALSE" if filters.functions is not None else f"(f.activity_id IS NULL AND {entity_clause})"
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE open_findings AS
            SELECT f.* FROM dash_findings f
            WHERE f.activity_id IN (SELECT activity_id FROM scope) OR {entity_level}
        """, entity_params if filters.functions is None else [])
    finally:
        con.unregister("dash_findings")
    ids = "coalesce(list_sort(list_distinct(list(activity_id) FILTER (WHERE activity_id IS NOT NULL))), [])"
    return {
        "by_rule": _frame(con, f"SELECT rule, title, severity, count(*)::INTEGER AS findings, {ids} AS activity_ids "
                               "FROM open_findings GROUP BY ALL ORDER BY findings DESC, title"),
        "by_entity": _frame(con, f"SELECT entity_id, entity, severity, count(*)::INTEGER AS findings, "
                                 f"{ids} AS activity_ids FROM open_findings GROUP BY ALL "
                                 "ORDER BY entity, entity_id, severity"),
        "now": _frame(con, f"SELECT severity, count(*)::INTEGER AS findings, {ids} AS activity_ids "
                           "FROM open_findings GROUP BY ALL"),
    }


def month_ends(as_of: date, first: date, months: int = TREND_MONTHS) -> list[date]:
    """Month ends from ``first``'s month to ``as_of``'s, at most ``months`` of them; the last is ``as_of``."""
    start = max(date(first.year, first.month, 1), _shift_month(date(as_of.year, as_of.month, 1), 1 - months))
    ends: list[date] = []
    cursor = start
    while cursor <= as_of:
        end = _shift_month(cursor, 1) - timedelta(days=1)
        ends.append(min(end, as_of))
        cursor = _shift_month(cursor, 1)
    return ends


def _shift_month(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _trend(con: Connection, filters: Filters) -> pd.DataFrame:
    """Activities per status at each month end, as the audit trail says they stood then.

    Every audit row of an activity holds its full content after the change
    (create, update, status, archive, restore, review), so the state at a
    month end is the content of its last audit row before that day ended.
    """
    columns = ["month_end", "status", "activities"]
    first = con.execute("SELECT min(at_utc) FROM audit_log WHERE record_type = 'activity'").fetchall()[0][0]
    if first is None:
        return pd.DataFrame(columns=columns)
    ends = month_ends(filters.as_of, first.date())
    if not ends:
        return pd.DataFrame(columns=columns)
    where, params = _filter_clauses(filters)
    cutoff = datetime.combine(filters.as_of + timedelta(days=1), datetime.min.time())
    return _frame(con, f"""
        WITH snapshots AS (
            SELECT id, record_id, at_utc,
                   json_extract_string(after, '$.status') AS status,
                   TRY_CAST(json_extract_string(after, '$.entity_id') AS INTEGER) AS entity_id,
                   json_extract_string(after, '$.business_function') AS business_function
            FROM audit_log
            WHERE record_type = 'activity' AND after IS NOT NULL AND at_utc < ?
        ), months AS (
            SELECT unnest(?::DATE[]) AS month_end
        ), latest AS (
            SELECT m.month_end, s.record_id,
                   arg_max(s.status, s.id) AS status, arg_max(s.entity_id, s.id) AS entity_id,
                   arg_max(s.business_function, s.id) AS business_function
            FROM months m JOIN snapshots s ON s.at_utc < m.month_end + INTERVAL 1 DAY
            GROUP BY m.month_end, s.record_id
        )
        SELECT month_end, status, count(*)::INTEGER AS activities
        FROM latest WHERE {' AND '.join(where)}
        GROUP BY ALL ORDER BY month_end, status
    """, [cutoff, ends, *params])


# -- KPIs and the whole dashboard ------------------------------------------------------------------------------


def _entity_count(con: Connection, filters: Filters) -> int:
    if filters.entity_ids is None:
        row = con.execute("SELECT count(*) FROM entities WHERE NOT archived").fetchall()
    else:
        row = con.execute("SELECT count(*) FROM entities WHERE NOT archived AND list_contains(?, id)",
                          [list(filters.entity_ids)]).fetchall()
    return int(row[0][0])


def _completeness(per_activity: pd.DataFrame, scope_ids: pd.Series) -> float | None:
    """Mean Article 30 completeness of the live activities in scope (None when there are none)."""
    values = per_activity.loc[per_activity["activity_id"].isin(scope_ids), "completeness"]
    return float(values.mean()) if len(values) else None


@dataclass(frozen=True)
class GapResults:
    """The gap analysis and the Article 30 completeness of one set of entities on one day."""

    findings: pd.DataFrame
    completeness: pd.DataFrame
    seconds: float


def gap_results(db: Database, as_of: date, entity_ids: Sequence[int] | None = None) -> GapResults:
    """Open findings and completeness for ``entity_ids`` (all when None) on ``as_of``.

    Separate from ``load_dashboard`` so a caller can keep it while only the
    business-function or status filter changes: it is the costly half.
    """
    started = time.perf_counter()
    ids = list(entity_ids) if entity_ids is not None else None
    findings, per_activity = findings_and_completeness(db, as_of, ids)
    return GapResults(findings, per_activity, time.perf_counter() - started)


def load_dashboard(db: Database, filters: Filters, gaps: GapResults | None = None) -> DashboardData:
    """Every frame and KPI of the dashboard for ``filters``: the gap analysis (unless ``gaps`` is
    given, for the same as-of date and entities), then one connection for every chart query."""
    # One open of the register file for the analysis and the charts (opening it starts a DuckDB instance).
    with db.connect() as con:
        gap = gaps if gaps is not None else gap_results(db, filters.as_of, filters.entity_ids)
        started = time.perf_counter()
        sql, params = _scope_sql(filters)
        con.execute(sql, params)
        totals = con.execute("SELECT count(*), coalesce(count_if(special), 0) FROM scope").fetchall()[0]
        scope_ids = _frame(con, "SELECT activity_id FROM scope")["activity_id"]
        transfers = _transfers(con, filters.as_of)
        review = _review(con, filters.as_of)
        frames = {
            "by_entity": _by_entity(con),
            "lawful_bases": _lawful_bases(con),
            "categories": _categories(con),
            "flows": _flows(con),
            "retention": _retention(con),
            "trend": _trend(con, filters),
        }
        entities = _entity_count(con, filters)
        found = _findings(con, gap.findings, filters)
        queries = time.perf_counter() - started
    return DashboardData(
        filters=filters,
        kpis=Kpis(
            activities=int(totals[0]),
            entities=entities,
            special_category=int(totals[1]),
            third_country_transfers=int(transfers["third_country"].sum()) if not transfers.empty else 0,
            transfer_activities=int(transfers.loc[transfers["third_country"], "activity_id"].nunique())
            if not transfers.empty else 0,
            open_findings={s: int(found["now"].loc[found["now"]["severity"] == s, "findings"].sum())
                           for s in SEVERITIES},
            reviews_overdue=int(review.loc[review["review_state"] == "overdue", "activities"].sum()),
            completeness=_completeness(gap.completeness, scope_ids),
        ),
        transfers=transfers,
        transfer_countries=transfer_countries(transfers),
        review=review,
        findings_by_rule=found["by_rule"],
        findings_by_entity=found["by_entity"],
        findings_now=found["now"],
        timings={"gap analysis": gap.seconds, "chart queries": queries},
        **frames,
    )
