"""Two numbers a manager can follow: how complete the Article 30 record is, and how compliant.

Completeness counts the items Article 30 requires that are present, whatever
their quality; the compliance score takes points off for each open finding,
weighted by severity. Both are per activity, then averaged per entity and
for the group, so a large entity weighs as much as its activities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import pandas as pd

from ropa.gaps.catalogue import SEVERITIES, SEVERITY_WEIGHTS
from ropa.gaps.defects import with_defects
from ropa.gaps.engine import analysed, empty_findings, in_scope, query_findings, sql_literal
from ropa.storage.database import Connection, Database

CONTROLLER_ITEMS: tuple[tuple[str, str], ...] = (
    ("item_a", "Art. 30(1)(a) controller, joint controller and DPO contact details"),
    ("item_b", "Art. 30(1)(b) purposes"),
    ("item_c", "Art. 30(1)(c) categories of individuals and of personal data"),
    ("item_d", "Art. 30(1)(d) recipients"),
    ("item_e", "Art. 30(1)(e) transfers and their safeguards"),
    ("item_f", "Art. 30(1)(f) retention periods"),
    ("item_g", "Art. 30(1)(g) security measures"),
)
"""The seven items of a controller's record (Art. 30(1)(a)-(g)) and the column that checks each."""

PROCESSOR_ITEMS: tuple[tuple[str, str], ...] = (
    ("item_a", "Art. 30(2)(a) processor, controller and DPO contact details"),
    ("item_b", "Art. 30(2)(b) categories of processing"),
    ("item_e", "Art. 30(2)(c) transfers and their safeguards"),
    ("item_g", "Art. 30(2)(d) security measures"),
)
"""The four items of a processor's record (Art. 30(2)(a)-(d))."""

COMPLETENESS_FORMULA = (
    "Completeness of an activity = items present ÷ items required. A controller or joint-controller "
    "activity requires the 7 items of Art. 30(1)(a)-(g); a processor activity the 4 items of "
    "Art. 30(2)(a)-(d). An item is present when it is recorded (contact details of the entity, its DPO "
    "where one is required, and of any joint controller or the controller served; purpose; individuals "
    "and data categories; recipients; every third-country transfer and recipient covered by a valid "
    "mechanism; a retention period or rule; security measures). An entity's and the group's completeness "
    "is the mean over their live activities."
)

COMPLIANCE_FORMULA = (
    "Compliance score of an activity = max(0, 100 − "
    + " − ".join(f"{w} × {s}" for s, w in SEVERITY_WEIGHTS.items())
    + "), counting the open defects that affect it (accepted risks excluded; a defect shared by several "
    "records counts once on each of them) and those of its entity, since the entity's contact and DPO details "
    "are part of every record (Art. 30(1)(a)). An entity's and the group's score is the mean over their live "
    "activities; an entity with no activities is scored on its own defects."
)

_ITEMS_SQL = """
SELECT a.id AS activity_id, a.name AS activity, a.entity_id, e.entity, a.role,
    NOT (gap_blank(e.email) AND gap_blank(e.address))
        AND (a.role <> 'joint_controller' OR NOT gap_blank(a.joint_controllers))
        AND (a.role <> 'processor' OR NOT gap_blank(a.controller_served))
        AND (e.dpo_required IS NOT TRUE OR NOT (gap_blank(e.dpo_email) AND gap_blank(e.dpo_phone))) AS item_a,
    NOT gap_blank(a.purpose) AS item_b,
    len(a.data_subjects) > 0 AND len(a.data_categories) > 0 AS item_c,
    a.id IN (SELECT activity_id FROM recs) AS item_d,
    a.id NOT IN (SELECT activity_id FROM xfers WHERE NOT safeguarded)
        AND a.id NOT IN (SELECT activity_id FROM recs WHERE third_country AND NOT transfer_recorded) AS item_e,
    a.retention_kind <> 'unknown' AS item_f,
    len(a.security_measures) > 0 OR NOT gap_blank(a.security_description) AS item_g
FROM acts a JOIN ents e ON e.entity_id = a.entity_id
"""

COMPLETENESS_COLUMNS = ("activity_id", "activity", "entity_id", "entity", "role", "items_present",
                        "items_total", "completeness", "missing")


@dataclass(frozen=True)
class Scores:
    """Scores of one analysis: per activity, per entity, and for the whole selection."""

    activities: pd.DataFrame
    """activity_id, activity, entity_id, entity, role, items_present, items_total, completeness (0-1),
    missing, critical, high, medium, low (open findings), compliance (0-100)."""
    entities: pd.DataFrame
    """entity_id, entity, activities, completeness (0-1 or NaN), compliance (0-100), findings (entity-level)."""
    completeness: float | None
    compliance: float | None


def _items_sql(items: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """SQL for the number of ``items`` present and the labels of those missing, '; '-separated in item order.

    An item that is NULL counts as missing, as a blank does."""
    present = " + ".join(f"CAST(coalesce({column}, false) AS BIGINT)" for column, _ in items)
    missing = ", ".join(f"CASE WHEN NOT coalesce({column}, false) THEN {sql_literal(label)} END"
                        for column, label in items)
    return present, f"concat_ws('; ', {missing})"


@cache
def completeness_sql() -> str:
    """Completeness per activity of the base tables, counted in SQL: the item labels are concatenated for the
    few rows that miss an item, where a pandas pass over every item and row cost about 50 ms at 10,000."""
    controller, controller_missing = _items_sql(CONTROLLER_ITEMS)
    processor, processor_missing = _items_sql(PROCESSOR_ITEMS)
    return f"""
SELECT activity_id, activity, entity_id, entity, role,
       CASE WHEN processor THEN {processor} ELSE {controller} END AS items_present,
       CAST(CASE WHEN processor THEN {len(PROCESSOR_ITEMS)} ELSE {len(CONTROLLER_ITEMS)} END AS BIGINT) AS items_total,
       CAST(items_present AS DOUBLE) / items_total AS completeness,
       CASE WHEN processor THEN {processor_missing} ELSE {controller_missing} END AS missing
FROM (SELECT *, coalesce(role = 'processor', false) AS processor FROM ({_ITEMS_SQL}))
ORDER BY entity, activity_id
"""


def _no_activities() -> pd.DataFrame:
    """The completeness frame of an empty scope (no entity in it)."""
    names = {column: pd.Series([], dtype=float) for column in ("activity", "entity", "role")}
    return pd.DataFrame({
        "activity_id": pd.Series([], dtype="Int64"), "activity": names["activity"],
        "entity_id": pd.Series([], dtype="Int64"), "entity": names["entity"], "role": names["role"],
        "items_present": pd.Series([], dtype="int64"), "items_total": pd.Series([], dtype="int64"),
        "completeness": pd.Series([], dtype=float), "missing": pd.Series([], dtype="str"),
    })


def _completeness(con: Connection | None) -> pd.DataFrame:
    """Completeness per activity of the base tables on ``con`` (see ``ropa.gaps.engine.analysed``);
    no activities when ``con`` is None (no entity in scope)."""
    if con is None:
        return _no_activities()
    frame = con.execute(completeness_sql()).df()
    frame["activity_id"] = frame["activity_id"].astype("Int64")
    frame["entity_id"] = frame["entity_id"].astype("Int64")
    frame["missing"] = frame["missing"].astype("str")
    return frame.loc[:, list(COMPLETENESS_COLUMNS)].reset_index(drop=True)


def _entities(con: Connection | None) -> pd.DataFrame:
    if con is None:
        return pd.DataFrame({"entity_id": pd.Series([], dtype="Int64"), "entity": pd.Series([], dtype="str")})
    frame = con.execute("SELECT entity_id, entity FROM ents ORDER BY entity").df()
    frame["entity_id"] = frame["entity_id"].astype("Int64")
    return frame


def _penalties(findings: pd.DataFrame) -> pd.DataFrame:
    """Open defects by severity per (entity_id, activity_id); entity-level findings have activity_id -1."""
    marked = with_defects(findings) if len(findings) else findings.assign(defect=pd.Series([], dtype=str))
    open_findings = marked.loc[~marked["accepted"].astype(bool), ["entity_id", "activity_id", "severity", "defect"]]
    open_findings = open_findings.drop_duplicates(["entity_id", "activity_id", "defect"])
    keys = pd.DataFrame({
        "entity_id": open_findings["entity_id"].astype("Int64"),
        "activity_id": open_findings["activity_id"].astype("Int64").fillna(-1),
        "severity": pd.Categorical(open_findings["severity"], categories=list(SEVERITIES)),
    })
    counts = keys.groupby(["entity_id", "activity_id", "severity"], observed=False).size().unstack("severity")
    counts = counts.reindex(columns=list(SEVERITIES), fill_value=0).fillna(0).astype(int)
    counts.columns = list(SEVERITIES)
    return counts.reset_index()


def _points(frame: pd.DataFrame) -> pd.Series:
    return sum((frame[s] * w for s, w in SEVERITY_WEIGHTS.items()), start=pd.Series(0, index=frame.index))


def scores(db: Database, as_of: date | None = None, entity_ids: list[int] | None = None,
           findings: pd.DataFrame | None = None) -> Scores:
    """Completeness and compliance per activity, per entity and overall.

    Pass ``findings`` (from ``analyse`` for the same date and entities) to
    avoid running the rules twice.
    """
    day = as_of or date.today()
    with db.connect() as con, analysed(con, day, entity_ids) as built:
        activities = _completeness(built)
        entities = _entities(built)
        if findings is None:
            findings = _open_findings(built, day)
    counts = _penalties(findings)
    entity_counts = counts[counts["activity_id"] == -1].drop(columns="activity_id")
    activity_counts = counts[counts["activity_id"] != -1].drop(columns="entity_id")

    merged = activities.merge(activity_counts, on="activity_id", how="left")
    own = entity_counts.rename(columns={s: f"entity_{s}" for s in SEVERITIES})
    merged = merged.merge(own, on="entity_id", how="left")
    for s in SEVERITIES:
        merged[s] = merged[s].fillna(0).astype(int) + merged[f"entity_{s}"].fillna(0).astype(int)
    merged["compliance"] = (100 - _points(merged)).clip(lower=0).astype(float)
    merged = merged.drop(columns=[f"entity_{s}" for s in SEVERITIES])

    per_entity = merged.groupby("entity_id", sort=False).agg(
        activities=("activity_id", "size"), completeness=("completeness", "mean"),
        compliance=("compliance", "mean"))
    summary = entities.merge(per_entity, on="entity_id", how="left")
    summary = summary.merge(entity_counts, on="entity_id", how="left")
    for s in SEVERITIES:
        summary[s] = summary[s].fillna(0).astype(int)
    summary["activities"] = summary["activities"].fillna(0).astype(int)
    alone = (100 - _points(summary)).clip(lower=0).astype(float)
    summary["compliance"] = summary["compliance"].astype(float).where(summary["activities"] > 0, alone)
    summary["completeness"] = summary["completeness"].astype(float)
    summary["findings"] = sum((summary[s] for s in SEVERITIES), start=pd.Series(0, index=summary.index))
    summary = summary.drop(columns=list(SEVERITIES))

    has_activities = len(merged) > 0
    return Scores(
        activities=merged.reset_index(drop=True),
        entities=summary.reset_index(drop=True),
        completeness=float(merged["completeness"].mean()) if has_activities else None,
        compliance=float(merged["compliance"].mean()) if has_activities else None,
    )


def _open_findings(built: Connection | None, day: date) -> pd.DataFrame:
    """``analyse``'s open findings, read from the base tables already built on ``built``."""
    return empty_findings() if built is None or not in_scope(built) else query_findings(built, day, False)


def findings_and_completeness(db: Database, as_of: date, entity_ids: list[int] | None = None,
                              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``analyse`` and ``completeness`` for the same day and entities from one build of the base tables,
    on one connection: each alone prepares and materialises the register, the fixed cost of an analysis."""
    with db.connect() as con, analysed(con, as_of, entity_ids) as built:
        return _open_findings(built, as_of), _completeness(built)


def completeness(db: Database, as_of: date | None = None, entity_ids: list[int] | None = None) -> pd.DataFrame:
    """Article 30 completeness per live activity (``COMPLETENESS_COLUMNS``; see ``COMPLETENESS_FORMULA``)."""
    day = as_of or date.today()
    with db.connect() as con, analysed(con, day, entity_ids) as built:
        return _completeness(built)


def compliance_score(db: Database, as_of: date | None = None, entity_ids: list[int] | None = None,
                     findings: pd.DataFrame | None = None) -> pd.DataFrame:
    """Compliance score per live activity: activity_id, activity, entity_id, entity, critical, high,
    medium, low, compliance (see ``COMPLIANCE_FORMULA``)."""
    frame = scores(db, as_of, entity_ids, findings).activities
    return frame.loc[:, ["activity_id", "activity", "entity_id", "entity", *SEVERITIES, "compliance"]]
