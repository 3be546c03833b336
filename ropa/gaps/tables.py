"""The reference data the rules join against, as small frames.

Every legal fact comes from ``ropa.reference`` (special/criminal flags, labels,
DPIA signals, Schedule 1 requirements); this module only lays it out as tables
so each rule can be a join instead of a Python loop over activities. The
transfer verdicts and entity regimes come from ``ropa.legal`` (registered by
``ropa.gaps.engine.prepare`` for the analysis date).
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from ropa.gaps.catalogue import RULES, SEVERITY_RANK
from ropa.legal.transfers import day_text
from ropa.reference import Reference, load_reference

__all__ = ["day_text", "static_frames"]


def _vocabulary_frame(ref: Reference, name: str) -> pd.DataFrame:
    return pd.DataFrame([{"key": t.key, "label": t.label, "article": t.article, "special": t.special,
                          "criminal": t.criminal} for t in ref.vocabulary(name)])


@cache
def static_frames() -> dict[str, pd.DataFrame]:
    """The frames that do not depend on the analysis date, by the name the SQL uses."""
    ref = load_reference()
    categories = ref.vocabulary("data_categories")
    signals = []
    for signal in ref.dpia_signals:
        keys = categories.descendants(signal.key) if signal.kind == "data_category" else [signal.key]
        signals += [{"kind": signal.kind, "key": key, "criterion": signal.criterion, "art35_3": signal.art35_3}
                    for key in keys]
    schedule1 = pd.DataFrame([{"key": key, "part": need.part, "citation": need.citation}
                              for key, need in ref.schedule1_requirements().items()],
                             columns=["key", "part", "citation"])
    dpia_list = pd.DataFrame([
        {"regime": item.regime, "item": item.key, "position": i, "label": f"{item.authority} list: {item.label}",
         "combined": item.combined, "n_signals": len(item.signals), "kind": wanted.kind, "key": wanted.key}
        for i, item in enumerate(ref.dpia_lists) for wanted in item.signals
    ], columns=["regime", "item", "position", "label", "combined", "n_signals", "kind", "key"])
    return {
        "gap_dpia_list": dpia_list,
        "gap_categories": _vocabulary_frame(ref, "data_categories"),
        "gap_recipient_categories": _vocabulary_frame(ref, "recipient_categories"),
        "gap_criteria": _vocabulary_frame(ref, "dpia_criteria"),
        "gap_dpia_signals": pd.DataFrame(signals, columns=["kind", "key", "criterion", "art35_3"]),
        "gap_schedule1_conditions": _vocabulary_frame(ref, "art9_conditions").merge(schedule1, on="key"),
        "gap_rules": pd.DataFrame([
            {"rule": r.id, "position": i, "title": r.title, "severity": r.severity,
             "severity_rank": SEVERITY_RANK[r.severity], "article": r.article, "remediation": r.remediation}
            for i, r in enumerate(RULES)
        ]),
    }

