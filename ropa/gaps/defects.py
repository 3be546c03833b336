"""One finding per defect: findings that share a cause are one thing for the DPO to fix.

A notice copied onto twenty records gives twenty findings of one rule with
the same cause (the same Privacy Shield transfer, the same vague retention
sentence, the same processor without a contract). The rules say what they
share in ``grouped_by`` and select it as ``cause``; a finding without a
cause is a defect of its own. Everything here is a vectorised cut of the
findings frame ``analyse`` returns: no loop per finding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ropa.gaps.catalogue import RULES, SEVERITY_RANK

DEFECT_COLUMNS: tuple[str, ...] = (
    "defect", "rule", "title", "severity", "article", "message", "remediation", "entities", "activities",
    "activity_ids", "activity_names", "findings", "open_findings", "accepted", "grouped_by",
)
"""One row per defect. ``activities`` counts the affected activities (0 for an entity's own defect);
``accepted`` is true when every finding of the defect is an accepted risk."""

DEFECT_COUNTING = (
    "Findings with the same cause are one defect: the same rule on the same source record, inherited transfer "
    "(exporter, destination, importer and tool), recipient or retention wording, as each rule states under "
    "'grouped by'. Every other finding is a defect of its own. Severity counts are open defects (a defect is "
    "open while any of its findings is not an accepted risk); an affected activity counts each defect once."
)

_GROUPED_BY: dict[str, str] = {r.id: r.grouped_by for r in RULES}
_POSITION: dict[str, int] = {r.id: i for i, r in enumerate(RULES)}


def defect_keys(findings: pd.DataFrame) -> pd.Series:
    """The defect each finding belongs to: its rule and shared cause, or the finding itself."""
    own = ("entity " + findings["entity_id"].astype("string").fillna("") + " | activity "
           + findings["activity_id"].astype("string").fillna("-") + " | " + findings["subject"].astype("string"))
    cause = findings["cause"].astype("string") if "cause" in findings else pd.Series(pd.NA, index=findings.index,
                                                                                      dtype="string")
    return (findings["rule"].astype("string") + " :: " + cause.fillna(own)).astype(str)


def with_defects(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings with a ``defect`` column (the key from ``defect_keys``)."""
    return findings.assign(defect=defect_keys(findings) if len(findings) else pd.Series([], dtype=str))


def _lists(frame: pd.DataFrame, column: str) -> pd.Series:
    """Per defect, the distinct non-empty values of ``column``, sorted: one sort and one split, no group loop."""
    values = frame.loc[frame[column].notna() & (frame[column].astype(str) != ""), ["defect", column]]
    values = values.drop_duplicates()
    key = values[column].astype(str).str.casefold() if values[column].dtype != "Int64" else values[column]
    values = values.assign(_key=key).sort_values(["defect", "_key"], kind="stable")
    if values.empty:
        return pd.Series([], dtype=object)
    keys = values["defect"].to_numpy()
    starts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    chunks = np.split(values[column].to_numpy(dtype=object), starts)
    return pd.Series([chunk.tolist() for chunk in chunks], index=keys[np.r_[0, starts]], dtype=object)


def defects(findings: pd.DataFrame) -> pd.DataFrame:
    """One row per defect (``DEFECT_COLUMNS``), most serious first, then the widest spread.

    The message is the first finding's (the findings of one defect say the
    same thing about different records).
    """
    if findings.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in DEFECT_COLUMNS})
    frame = with_defects(findings)
    frame = frame.assign(_open=~frame["accepted"].astype(bool), activity_id=frame["activity_id"].astype("Int64"))
    grouped = frame.groupby("defect", sort=False).agg(
        rule=("rule", "first"), title=("title", "first"), severity=("severity", "first"),
        article=("article", "first"), message=("message", "first"), remediation=("remediation", "first"),
        findings=("rule", "size"), open_findings=("_open", "sum"),
    )
    empty: list[object] = []
    for column, source in (("entities", "entity"), ("activity_ids", "activity_id"), ("activity_names", "activity")):
        grouped[column] = _lists(frame, source).reindex(grouped.index)
        grouped[column] = grouped[column].map(lambda v: v if isinstance(v, list) else empty.copy())
    grouped = grouped.reset_index()
    grouped["activity_ids"] = grouped["activity_ids"].map(lambda ids: [int(i) for i in ids])
    grouped["activities"] = grouped["activity_ids"].map(len).astype(int)
    grouped["findings"] = grouped["findings"].astype(int)
    grouped["open_findings"] = grouped["open_findings"].astype(int)
    grouped["accepted"] = grouped["open_findings"] == 0
    grouped["grouped_by"] = grouped["rule"].map(_GROUPED_BY).fillna("")
    grouped["entities"] = grouped["entities"].map(", ".join)
    # A defect on several records is not about one record's transfer or recipient number.
    spread = grouped["activities"] > 1
    grouped.loc[spread, "message"] = grouped.loc[spread, "message"].str.replace(
        r"^(Transfer|Recipient) #\d+ ", r"\1 ", regex=True)
    order = pd.DataFrame({"rank": grouped["severity"].map(SEVERITY_RANK), "spread": -grouped["activities"],
                          "position": grouped["rule"].map(_POSITION), "entities": grouped["entities"]})
    grouped = grouped.loc[order.sort_values(["rank", "spread", "position", "entities"]).index]
    return grouped.loc[:, list(DEFECT_COLUMNS)].reset_index(drop=True)


def open_defects(table: pd.DataFrame) -> pd.DataFrame:
    """The defects that still have a finding not accepted as a risk."""
    return table[~table["accepted"].astype(bool)]


def findings_of(findings: pd.DataFrame, defect: str) -> pd.DataFrame:
    """The findings (one per affected activity or item) of one defect."""
    frame = with_defects(findings)
    return frame[frame["defect"] == defect].reset_index(drop=True)


def numbered(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings in defect order (a defect's findings together), with ``defect_no`` (1 = most serious,
    widest) and ``defect_records`` (how many findings the defect has): the export's flat list, defects first."""
    frame = with_defects(findings)
    if frame.empty:
        return frame.assign(defect_no=pd.Series([], dtype=int), defect_records=pd.Series([], dtype=int))
    table = defects(frame)
    order = pd.DataFrame({"defect": table["defect"], "defect_no": range(1, len(table) + 1),
                          "defect_records": table["findings"].astype(int)})
    merged = frame.merge(order, on="defect", how="left", sort=False)
    merged = merged.sort_values(["defect_no", "entity", "activity_id"], kind="stable", na_position="first")
    return merged.reset_index(drop=True)
