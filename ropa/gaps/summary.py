"""Cuts of a findings frame for display: counts by severity, by rule and by entity, and filters.

Pure functions of the frame ``analyse`` returns, so the Gaps page and any
report slice the same findings the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ropa.gaps.catalogue import RULES, SEVERITIES


def open_only(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings not accepted as a risk."""
    return findings[~findings["accepted"].astype(bool)]


def severity_counts(findings: pd.DataFrame) -> dict[str, int]:
    """Number of findings per severity, every severity present (most serious first)."""
    counts = findings["severity"].value_counts()
    return {s: int(counts.get(s, 0)) for s in SEVERITIES}


def filter_findings(findings: pd.DataFrame, *, severities: Iterable[str] = (), rules: Iterable[str] = (),
                    entities: Iterable[str] = ()) -> pd.DataFrame:
    """The findings matching every non-empty filter (an empty filter keeps everything)."""
    keep = pd.Series(True, index=findings.index)
    for column, wanted in (("severity", list(severities)), ("rule", list(rules)), ("entity", list(entities))):
        if wanted:
            keep &= findings[column].isin(wanted)
    return findings[keep].reset_index(drop=True)


def _ids(values: pd.Series) -> list[int]:
    return sorted({int(v) for v in values.dropna()})


def by_rule(findings: pd.DataFrame) -> pd.DataFrame:
    """rule, title, severity, findings, activity_ids: one row per rule with findings, in catalogue order."""
    order = {r.id: i for i, r in enumerate(RULES)}
    grouped = (findings.groupby(["rule", "title", "severity"], sort=False)
               .agg(findings=("rule", "size"), activity_ids=("activity_id", _ids)).reset_index())
    grouped["findings"] = grouped["findings"].astype(int)
    return grouped.sort_values("rule", key=lambda s: s.map(order)).reset_index(drop=True)


def by_entity(findings: pd.DataFrame) -> pd.DataFrame:
    """entity, severity, findings, activity_ids: one row per entity and severity with findings."""
    grouped = (findings.groupby(["entity", "severity"], sort=True)
               .agg(findings=("rule", "size"), activity_ids=("activity_id", _ids)).reset_index())
    grouped["findings"] = grouped["findings"].astype(int)
    return grouped


def catalogue_frame() -> pd.DataFrame:
    """The rule catalogue as a table: id, title, severity, article, applies_to, explanation, remediation."""
    return pd.DataFrame([{"id": r.id, "title": r.title, "severity": r.severity, "article": r.article,
                          "applies_to": r.applies_to, "explanation": r.explanation, "remediation": r.remediation}
                         for r in RULES])
