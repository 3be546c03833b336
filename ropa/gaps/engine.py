"""Run the rule catalogue over the register, set-based in DuckDB.

The relations every rule reads (``ents``, ``acts``, ``cats``, ``recs``,
``xfers``) are built once per analysis as tables of an in-memory database
attached for that analysis alone (``analysed``), from the stored tables joined
with the reference frames for the analysis date (``materialise``); the DPIA
screening (``dpia``) is a view of the findings queries. Each rule's SQL
selects its findings from them; the rules are unioned in two queries that
run at once on two cursors of the register's DuckDB instance (DuckDB plans
each on the thread that runs it, and planning is a third of the work). The
cost is a handful of scans whatever the register size, never a loop per
activity.
"""

from __future__ import annotations

import re
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager, suppress
from datetime import date
from functools import cache, lru_cache
from typing import Any

import pandas as pd
import pyarrow as pa

from ropa.gaps.catalogue import RULES, Rule, load_catalogue
from ropa.gaps.tables import static_frames
from ropa.legal.locations import register_location_countries
from ropa.legal.regimes import ENTITY_REGIME_SQL, lawful_bases_frame, regime_frames
from ropa.legal.transfers import destination_verdicts_sql, register_verdicts, transfer_verdicts_sql
from ropa.review import MACROS as REVIEW_MACROS
from ropa.review import interval_months as review_interval_months
from ropa.storage.database import Connection, Database

FINDING_COLUMNS: tuple[str, ...] = (
    "activity_id", "activity", "entity_id", "entity", "rule", "title", "severity", "article",
    "message", "remediation", "subject", "accepted", "accepted_until", "cause",
)

BASE_TABLES: tuple[tuple[str, str], ...] = (
    ("ents", """
    SELECT e.id AS entity_id, e.name AS entity, e.country, r.law AS regime, r.regime AS entity_regime,
           r.regime_derived, r.law_name, r.needs_representative, e.email, e.address, e.phone,
           e.dpo_required, e.dpo_name, e.dpo_email, e.dpo_phone, e.representative_name, e.representative_contact,
           e.version
    FROM entities e JOIN ({entity_regimes}) r ON r.entity_id = e.id
    WHERE NOT e.archived AND {entity_filter}
    """),
    ("acts", """
    SELECT a.*, a.role <> 'processor' AS is_controller, e.regime, e.entity_regime
    FROM activities a JOIN ents e ON e.entity_id = a.entity_id
    -- A historical record (superseded_on set) is in scope on the days it was in force; others while live.
    WHERE coalesce(a.superseded_on > $as_of, a.status <> 'archived')
    """),
    ("cats", """
    SELECT u.activity_id, u.key, coalesce(c.label, u.key) AS label,
           coalesce(c.special, false) AS special, coalesce(c.criminal, false) AS criminal
    FROM (SELECT id AS activity_id, unnest(data_categories) AS key FROM acts) u
    LEFT JOIN gap_categories c ON c.key = u.key
    """),
    # Recipients and transfers read their legal standing from the verdict module's legal_verdicts
    # relation (ropa.legal.transfers), registered for the analysis date: the SQL never decides Chapter V itself.
    ("recs", """
    SELECT r.activity_id, a.entity_id, a.regime, r.position, r.category, r.name, r.role, r.country,
           r.contract_ref, coalesce(v.destination_name, r.country) AS country_name,
           coalesce(v.restricted, false) AS third_country,
           coalesce(v.adequate, false) AS adequate,
           tc.activity_id IS NOT NULL AS transfer_recorded,
           'recipient #' || (r.position + 1) || ' ' || CASE WHEN gap_blank(r.name)
               THEN '(' || coalesce(rc.label, r.category) || ')' ELSE r.name END AS subject,
           'R' || substr(subject, 2) AS item
    FROM recipients r JOIN acts a ON a.id = r.activity_id
    LEFT JOIN ({destinations}) v ON v.regime = a.entity_regime AND v.destination = r.country
    LEFT JOIN gap_recipient_categories rc ON rc.key = r.category
    LEFT JOIN (SELECT DISTINCT activity_id, country FROM transfers) tc
           ON tc.activity_id = r.activity_id AND tc.country = r.country
    """),
    ("xfers", """
    SELECT v.activity_id, a.entity_id, coalesce(nullif(v.law, 'none'), a.regime) AS regime, v.position,
           t.country, t.organisation, t.recipient, t.mechanism, t.tia_ref, t.contract_date, t.safeguard_doc,
           t.authority_informed_on,
           v.destination_name AS country_name, v.restricted AS third_country,
           v.adequacy_decision, coalesce(v.adequacy_partial, 'the whole country') AS adequacy_partial,
           v.adequacy_excludes, v.requires_mechanism, v.mechanism_label, v.mechanism_kind,
           coalesce(v.mechanism_valid, false) AS mechanism_valid, v.adequate, v.state, v.lawful, v.problem,
           v.reason, v.assessment, v.assessment_missing, v.checks,
           coalesce(v.lawful, true) AS safeguarded,
           'transfer #' || (v.position + 1) || ' to ' || v.destination_name AS subject,
           'Transfer #' || (v.position + 1) || ' to ' || v.destination_name AS item
    FROM ({transfer_verdicts}) v
    JOIN acts a ON a.id = v.activity_id
    JOIN transfers t ON t.activity_id = v.activity_id AND t.position = v.position
    """),
)
"""The tables every rule reads, in the order they are built (each may read those before it).

They are tables of the analysis's workspace (``analysed``), built once per
analysis by ``materialise``: a rule scans only the columns it reads, and no
rule re-derives a join another already made.
"""

DPIA_VIEWS: tuple[tuple[str, str], ...] = (
    ("signals", """
    SELECT id AS activity_id, unnest(dpia_criteria) AS criterion, NULL::VARCHAR AS art35_3 FROM acts
    UNION ALL
    SELECT c.activity_id, s.criterion, nullif(s.art35_3, '')
    FROM cats c JOIN gap_dpia_signals s ON s.kind = 'data_category' AND s.key = c.key
    UNION ALL
    SELECT u.activity_id, s.criterion, nullif(s.art35_3, '')
    FROM (SELECT id AS activity_id, unnest(data_subjects) AS key FROM acts) u
    JOIN gap_dpia_signals s ON s.kind = 'data_subject' AND s.key = u.key
    UNION ALL
    SELECT id, 'automated_decision',
           'solely automated decisions with legal or similarly significant effects (Art. 35(3)(a))'
    FROM acts WHERE adm
    """),
    ("screen", """
    SELECT s.activity_id,
           count(DISTINCT s.criterion) AS n_criteria,
           bool_or(s.criterion = 'large_scale') AS large_scale,
           array_to_string(list_sort(list_distinct(list(coalesce(k.label, s.criterion)))), ', ') AS criteria_labels,
           list_sort(list_distinct(list(s.art35_3) FILTER (WHERE s.art35_3 IS NOT NULL))) AS art35_3
    FROM signals s LEFT JOIN gap_criteria k ON k.key = s.criterion
    GROUP BY s.activity_id
    """),
    ("art9_10", """
    SELECT DISTINCT activity_id FROM cats WHERE special OR criminal
    """),
    ("dpia", """
    SELECT a.id AS activity_id, a.entity_id, a.dpia_required, a.dpia_status, a.dpia_ref,
           list_concat(
               coalesce(s.art35_3, []),
               CASE WHEN s.large_scale AND x.activity_id IS NOT NULL
                    THEN ['special category or criminal offence data on a large scale (Art. 35(3)(b))'] ELSE [] END,
               CASE WHEN s.n_criteria >= 2
                    THEN [s.n_criteria || ' WP248 criteria (' || s.criteria_labels || ')'] ELSE [] END
           ) AS reasons,
           len(reasons) > 0 AS indicated,
           coalesce(a.dpia_status IN ('in_progress', 'completed') AND NOT gap_blank(a.dpia_ref), false) AS done
    FROM acts a
    LEFT JOIN screen s ON s.activity_id = a.id
    LEFT JOIN art9_10 x ON x.activity_id = a.id
    WHERE a.is_controller
    """),
)
"""The DPIA screening, read by the DPIA rules only: common table expressions of the findings query that holds
those rules, so the DuckDB scheduler builds them alongside the other rules' work instead of before it."""

DPIA_VIEW_NAMES: frozenset[str] = frozenset(name for name, _ in DPIA_VIEWS)


def sql_literal(text: str) -> str:
    """A SQL string literal for package-defined text (never user input: that is always bound)."""
    return "'" + text.replace("'", "''") + "'"


def _macros() -> list[str]:
    catalogue = load_catalogue()
    cases = " ".join(
        f"WHEN regexp_matches(s, {sql_literal(v.pattern)}) THEN {sql_literal(v.reason)}"
        for v in catalogue.vague_retention
    )
    return [
        "CREATE OR REPLACE TEMP MACRO gap_blank(s) AS coalesce(trim(s, E' \\t\\r\\n'), '') = ''",
        "CREATE OR REPLACE TEMP MACRO gap_day(d) AS strftime(CAST(d AS DATE), '%-d %B %Y')",
        f"CREATE OR REPLACE TEMP MACRO gap_vague_reason(s) AS CASE {cases} END",
        f"CREATE OR REPLACE TEMP MACRO gap_has_period(s) AS regexp_matches(s, {sql_literal(catalogue.period_pattern)})",
        *REVIEW_MACROS,
    ]


@cache
def _static_tables() -> dict[str, pa.Table]:
    """The reference frames as Arrow tables, converted once per process: registering a pandas frame
    converts it on every call, and the analysis registers seven of them."""
    return {name: pa.Table.from_pandas(frame, preserve_index=False) for name, frame in static_frames().items()}


@lru_cache(maxsize=64)
def _lawful_bases_table(day: date) -> pa.Table:
    return pa.Table.from_pandas(lawful_bases_frame(day), preserve_index=False)


@cache
def _macro_script() -> str:
    """Every helper macro in one script: one round trip to DuckDB instead of one per macro."""
    return ";\n".join(_macros())


def prepare(con: Connection, day: date) -> None:
    """Register the reference frames and helper macros the base tables use on ``con``; the location
    countries, which only rules read, are registered while the base tables are built (``materialise``)."""
    for name, table in _static_tables().items():
        con.register(name, table)
    register_verdicts(con, day)
    con.register("gap_lawful_bases", _lawful_bases_table(day))
    con.execute(_macro_script())


def _join(cursor: Connection, search_path: str, day: date) -> None:
    """Make ``cursor`` see what ``prepare`` gave the analysis's connection: its search path (the workspace),
    the reference frames (converted once per process) and the macros."""
    cursor.execute(f"SET search_path = {sql_literal(search_path)}")
    frames = {**_static_tables(), **regime_frames(), "gap_lawful_bases": _lawful_bases_table(day)}
    for name, table in frames.items():
        cursor.register(name, table)
    cursor.execute(_macro_script())


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def workspace(con: Connection) -> Iterator[str]:
    """An in-memory database attached for one analysis, behind the register on the search path of ``con``;
    detached afterwards. Unlike temporary tables, its tables are seen by every cursor of the instance."""
    register = str(con.execute("SELECT current_database()").fetchall()[0][0])
    name = f"gap_work_{uuid.uuid4().hex}"
    con.execute(f"ATTACH ':memory:' AS {name}")
    try:
        con.execute(f"SET search_path = {sql_literal(f'{_identifier(register)}.main,{name}.main')}")
        yield name
    except BaseException:
        with suppress(Exception):  # the first error is the one to tell
            _leave(con, name)
        raise
    _leave(con, name)


def _leave(con: Connection, name: str) -> None:
    con.execute("RESET search_path")
    con.execute(f"DETACH {name}")


@contextmanager
def analysed(con: Connection, day: date, entity_ids: list[int] | None) -> Iterator[Connection | None]:
    """``con`` prepared for ``day`` with the base tables built for the entities in scope (all when None), or
    None when the scope is empty; the workspace holding the tables is dropped when the block ends."""
    if entity_ids is not None and not entity_ids:
        yield None
        return
    prepare(con, day)
    with workspace(con) as name:
        materialise(con, day, entity_ids, name)
        yield con


def entity_filter(entity_ids: list[int] | None) -> str:
    return "TRUE" if entity_ids is None else "list_contains($entity_ids, e.id)"


def base_table_sql(entity_ids: list[int] | None) -> list[tuple[str, str]]:
    """``(name, SELECT ...)`` of each base table for the entities in scope (all when None)."""
    parts = {"entity_filter": entity_filter(entity_ids), "entity_regimes": ENTITY_REGIME_SQL,
             "destinations": destination_verdicts_sql(), "transfer_verdicts": transfer_verdicts_sql()}
    return [(name, body.format(**parts).strip()) for name, body in BASE_TABLES]


def materialise(con: Connection, day: date, entity_ids: list[int] | None, into: str) -> None:
    """Build the base tables in the workspace ``into`` of ``con`` (already prepared for ``day``) for the
    entities in scope, with the frames derived from the register that the rules read.

    Once ``acts`` is built, a second cursor registers the location countries and builds ``ASIDE`` while
    this one builds the rest.
    """
    values = {"as_of": day, "entity_ids": list(entity_ids or [])}
    # The verdicts are derived from the register by ``prepare``: copied for the second cursor, not derived again.
    con.execute(f"CREATE TABLE {into}.main.legal_verdicts AS SELECT * FROM legal_verdicts")
    statements = {name: f"CREATE TABLE {into}.main.{name} AS {body}" for name, body in base_table_sql(entity_ids)}
    for name in BUILT_FIRST:
        _run(con, statements.pop(name), values)
    aside = [statements.pop(name) for name in ASIDE]
    search_path = _search_path(con)
    with ThreadPoolExecutor(max_workers=1) as pool:
        built = pool.submit(_build_aside, con, search_path, day, into, aside, values)
        for sql in statements.values():
            _run(con, sql, values)
        built.result()


BUILT_FIRST: tuple[str, ...] = ("ents", "acts")
"""The base tables every other one reads, built before the others start."""

ASIDE: tuple[str, ...] = ("xfers",)
"""The base tables the second cursor builds (``materialise``): the other big one next to ``recs``."""


def _run(con: Connection, sql: str, values: dict[str, Any]) -> None:
    con.execute(sql, bound(sql, values))


def _build_aside(con: Connection, search_path: str, day: date, into: str, statements: list[str],
                 values: dict[str, Any]) -> None:
    with closing(con.cursor()) as cursor:
        _join(cursor, search_path, day)
        register_location_countries(cursor, day)
        cursor.execute(f"CREATE TABLE {into}.main.legal_location_countries AS SELECT * FROM legal_location_countries")
        for sql in statements:
            _run(cursor, sql, values)


def _search_path(con: Connection) -> str:
    return str(con.execute("SELECT current_setting('search_path')").fetchall()[0][0])


def _rule_select(rule: Rule) -> str:
    body = rule.sql.strip().rstrip(";")
    # A rule that groups its findings into defects selects ``cause`` (see ropa.gaps.defects).
    cause = "CAST(cause AS VARCHAR)" if rule.grouped_by else "NULL::VARCHAR"
    return (f"SELECT {sql_literal(rule.id)} AS rule, {RULE_POSITION[rule.id]} AS _position, "
            f"CAST(activity_id AS INTEGER) AS activity_id, "
            f"CAST(entity_id AS INTEGER) AS entity_id, CAST(subject AS VARCHAR) AS subject, "
            f"CAST(message AS VARCHAR) AS message, {cause} AS cause FROM (\n{body}\n)")


def findings_sql(rules: tuple[Rule, ...], include_accepted: bool) -> str:
    """The findings of ``rules`` over the base tables (see ``materialise``), with their catalogue columns."""
    found = "found AS (\n" + "\nUNION ALL\n".join(_rule_select(r) for r in rules) + "\n)"
    # The DPIA views only where a rule reads them: DuckDB binds a common table expression even when unused.
    screened = any(_words(r) & DPIA_VIEW_NAMES for r in rules)
    # One row per accepted finding key, even if the table were to hold two.
    acc = """acc AS (
    SELECT rule, activity_id, entity_id, subject, record_version, min(id) AS id, max(expires_on) AS expires_on
    FROM accepted_findings WHERE expires_on >= $as_of GROUP BY ALL
)"""
    accepted_filter = "" if include_accepted else "WHERE acc.id IS NULL"
    views = "".join(f"{name} AS (\n{body.strip()}\n),\n" for name, body in DPIA_VIEWS) if screened else ""
    return "WITH " + views + found + ",\n" + acc + f"""
SELECT f.activity_id, coalesce(a.name, '') AS activity, f.entity_id, e.entity, f.message, f.subject,
       acc.id IS NOT NULL AS accepted, acc.expires_on AS accepted_until, f.cause,
       coalesce(f.activity_id, -1) AS _activity, f._position
FROM found f
JOIN ents e ON e.entity_id = f.entity_id
LEFT JOIN acts a ON a.id = f.activity_id
LEFT JOIN acc
       ON acc.rule = f.rule AND acc.subject = f.subject
      AND CASE WHEN f.activity_id IS NULL
               THEN acc.activity_id IS NULL AND acc.entity_id = f.entity_id AND acc.record_version = e.version
               ELSE acc.activity_id = f.activity_id AND acc.record_version = a.version END
{accepted_filter}
"""


def bound(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """The named parameters ``sql`` uses (DuckDB refuses unused ones)."""
    used = set(re.findall(r"\$([a-z_]+)", sql))
    missing = used - set(values)
    if missing:
        raise KeyError(f"no value for SQL parameters {sorted(missing)}")
    return {k: v for k, v in values.items() if k in used}


def empty_findings() -> pd.DataFrame:
    return as_findings(pd.DataFrame({c: [] for c in FINDING_COLUMNS}))


def as_findings(frame: pd.DataFrame) -> pd.DataFrame:
    """The stable dtypes of the findings frame: nullable ids, bool, ``date`` or None."""
    frame = frame.loc[:, list(FINDING_COLUMNS)].copy()
    frame["activity_id"] = frame["activity_id"].astype("Int64")
    frame["entity_id"] = frame["entity_id"].astype("Int64")
    frame["accepted"] = frame["accepted"].astype(bool)
    until = pd.to_datetime(frame["accepted_until"])
    frame["accepted_until"] = until.dt.date.astype(object).where(until.notna(), None)
    for column in ("activity", "entity", "rule", "title", "severity", "article", "message", "remediation", "subject"):
        frame[column] = frame[column].astype("str")
    frame["cause"] = frame["cause"].astype(object).where(frame["cause"].notna(), None)
    return frame.reset_index(drop=True)


RULE_POSITION: dict[str, int] = {r.id: i for i, r in enumerate(RULES)}


@cache
def _catalogue_columns() -> pa.Table:
    """The catalogue columns of every finding, one row per rule in catalogue order."""
    return pa.Table.from_pandas(static_frames()["gap_rules"].rename(columns={"severity_rank": "_rank"})
                                .loc[:, ["rule", "title", "severity", "article", "remediation", "_rank"]],
                                preserve_index=False)


def with_catalogue(table: pa.Table) -> pa.Table:
    """``table`` with each finding's rule columns, looked up by ``_position`` in Arrow rather than joined in SQL
    (a take from 62 rows beats carrying the long texts through the query)."""
    catalogue = _catalogue_columns()
    for name in catalogue.column_names:
        table = table.append_column(name, catalogue[name].take(table["_position"]))
    return table


def _arrow(con: Connection, sql: str, params: dict[str, Any]) -> pa.Table:
    """The statement's rows as Arrow, planned once.

    ``con.sql(...)`` describes a parameterised statement before running it,
    which plans this one (36 rules) twice, about 0.08 s a time; running it
    with ``execute`` and copying the result out is cheaper. The copy is what
    DuckDB's warning is about, so it is silenced here and nowhere else.
    """
    con.execute(sql, params)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)
        return con.to_arrow_table()


def _found(con: Connection, values: dict[str, Any], include_accepted: bool, rules: tuple[Rule, ...]) -> pa.Table:
    sql = findings_sql(rules, include_accepted)
    return _arrow(con, sql, bound(sql, values))


def _found_aside(con: Connection, search_path: str, values: dict[str, Any], include_accepted: bool,
                 rules: tuple[Rule, ...]) -> pa.Table:
    """``_found`` on a cursor of its own, for another thread."""
    with closing(con.cursor()) as cursor:
        _join(cursor, search_path, values["as_of"])
        return _found(cursor, values, include_accepted, rules)


def halves(rules: tuple[Rule, ...]) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
    """``rules`` in two parts of about equal work, each in catalogue order: the DPIA rules (whose screening
    is the costliest view) and the first rules, then the rest."""
    screening = [r for r in rules if _words(r) & DPIA_VIEW_NAMES]
    rest = [r for r in rules if not _words(r) & DPIA_VIEW_NAMES]
    cut = max(0, len(rules) // 2 - len(screening) * SCREENING_WEIGHT)
    first = {r.id for r in (*screening, *rest[:cut])}
    return tuple(r for r in rules if r.id in first), tuple(r for r in rules if r.id not in first)


SCREENING_WEIGHT = 3
"""How many ordinary rules' work a DPIA rule counts for in ``halves`` (its share of the screening views)."""


def query_findings(con: Connection, day: date, include_accepted: bool, rules: tuple[Rule, ...] = RULES) -> pd.DataFrame:
    """The findings of ``rules`` on ``con``, whose base tables ``materialise`` has built for ``day``.

    Half the rules run on a second cursor in another thread: DuckDB releases
    the GIL, and each query is planned on the thread that runs it.
    """
    # The setting is read here, before any thread starts, so a bad value fails once and plainly.
    values = {"as_of": day, "review_months": review_interval_months()}
    rules = rules_with_input(con, rules)
    if not rules:
        return empty_findings()
    mine, theirs = halves(rules)
    if not theirs or not mine:
        found = _found(con, values, include_accepted, mine or theirs)
    else:
        search_path = _search_path(con)
        with ThreadPoolExecutor(max_workers=1) as pool:
            aside = pool.submit(_found_aside, con, search_path, values, include_accepted, theirs)
            first = _found(con, values, include_accepted, mine)
            found = pa.concat_tables([first, aside.result()])
    table = with_catalogue(found)
    # Sorted in Arrow rather than in SQL: sorting the keys beats sorting the wide rows twice over.
    table = table.sort_by([(key, "ascending") for key in ("_rank", "entity", "_activity", "_position", "subject")])
    return as_findings(table.to_pandas())


DERIVED_FROM: dict[str, str] = {"signals": "acts", "screen": "acts", "art9_10": "cats", "dpia": "acts"}
"""The DPIA views (``DPIA_VIEWS``), by the base table they are empty with."""

_WORD = re.compile(r"[a-z_][a-z0-9_]*")


@cache
def _words(rule: Rule) -> frozenset[str]:
    """The identifiers of ``rule``'s SQL (and any word of its messages), lower case."""
    return frozenset(_WORD.findall(rule.sql.lower()))


def _rule_reads(rule: Rule, relations: frozenset[str]) -> frozenset[str]:
    """The register relations among ``relations`` that ``rule``'s SQL names (a word in a message only adds one)."""
    return frozenset(DERIVED_FROM.get(w, w) for w in _words(rule) if w in relations or w in DERIVED_FROM)


def filled_sql(relations: list[str]) -> str:
    """The names among ``relations`` that hold a row, one ``LIMIT 1`` scan each.

    A UNION ALL of limited scans, not one SELECT of EXISTS subqueries: DuckDB
    plans the latter as joins of the whole relations (about 20 ms at 10,000
    activities, against 1 ms).
    """
    return " UNION ALL ".join(f"SELECT {sql_literal(name)} AS name FROM (SELECT 1 FROM {name} LIMIT 1)"
                              for name in relations)


def rules_with_input(con: Connection, rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """``rules`` less those whose every register relation is empty on ``con``.

    Such a rule cannot find anything: a finding's entity comes from a register
    row, and the findings query keeps only those of an entity in ``ents``.
    Planning a rule costs a few milliseconds even over empty tables, and a
    small register (no transfers, no recipients) leaves a third of them idle.
    """
    stored = {str(r[0]) for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()}
    relations = frozenset(stored | {name for name, _ in BASE_TABLES})
    reads = {rule.id: _rule_reads(rule, relations) for rule in rules}
    named = sorted(set().union(*reads.values()))
    if not named:
        return rules
    filled = {str(row[0]) for row in con.execute(filled_sql(named)).fetchall()}
    return tuple(rule for rule in rules if not reads[rule.id] or reads[rule.id] & filled)


def in_scope(con: Connection) -> bool:
    """Whether the materialised ``ents`` holds an entity: every finding belongs to one (the findings query
    joins ``ents``), so with none there is nothing to find, and planning the 62 rules costs more than the
    rest of an analysis of a small register."""
    return bool(con.execute("SELECT EXISTS (SELECT 1 FROM ents)").fetchall()[0][0])


def analyse(db: Database, as_of: date | None = None, entity_ids: list[int] | None = None,
            include_accepted: bool = False) -> pd.DataFrame:
    """Every finding of every rule for the live register on ``as_of`` (default today).

    One row per finding, columns ``FINDING_COLUMNS``; accepted risks are left
    out unless ``include_accepted``. ``entity_ids`` limits the analysis to
    those entities (pass ``descendant_ids`` to include subsidiaries).
    """
    day = as_of or date.today()
    review_interval_months()  # a bad setting is reported whatever the register holds
    with db.connect() as con:
        if not _any_entity(con, entity_ids):
            return empty_findings()
        with analysed(con, day, entity_ids) as built:
            if built is None or not in_scope(built):
                return empty_findings()
            return query_findings(built, day, include_accepted)


def _any_entity(con: Connection, entity_ids: list[int] | None) -> bool:
    """Whether any live entity is in scope, asked before preparing: an empty register has nothing to find."""
    if entity_ids is not None and not entity_ids:
        return False
    sql = f"SELECT EXISTS (SELECT 1 FROM entities e WHERE NOT e.archived AND {entity_filter(entity_ids)})"
    return bool(con.execute(sql, bound(sql, {"entity_ids": list(entity_ids or [])})).fetchall()[0][0])
