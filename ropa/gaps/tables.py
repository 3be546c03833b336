"""The reference data the rules join against, as small frames for one analysis date.

Every legal fact comes from ``ropa.reference`` (adequacy, mechanism validity,
special/criminal flags, labels, DPIA signals, Schedule 1 requirements); this
module only lays it out as tables so each rule can be a join instead of a
Python loop over activities. Frames that depend on the date are cached per date.
"""

from __future__ import annotations

from datetime import date
from functools import cache, lru_cache

import pandas as pd

from ropa.gaps.catalogue import RULES, SEVERITY_RANK
from ropa.reference import Mechanism, Reference, Regime, all_countries, load_reference, regime_for

REGIMES: tuple[Regime, ...] = ("EU", "UK")


def day_text(day: date) -> str:
    """'16 July 2020': the way the law and the messages write dates."""
    return f"{day.day} {day:%B %Y}"


def mechanism_problem(mechanism: Mechanism, regime: Regime, day: date) -> str | None:
    """Why ``mechanism`` cannot carry a transfer from a ``regime`` exporter on ``day`` (None if it can)."""
    if mechanism.valid_on(regime, day):
        return None
    spans = [v for v in mechanism.validity if v.regime == regime]
    if not spans:
        reason = mechanism.invalid_reason or f"not available to {regime} exporters"
    elif all(day < v.from_ for v in spans):
        start = min(v.from_ for v in spans)
        return f"{mechanism.label}, not available until {day_text(start)}"
    else:
        ends = [v.until for v in spans if v.until is not None and v.until < day]
        reason = mechanism.invalid_reason or (
            f"not valid after {day_text(max(ends))}" if ends else f"not valid on {day_text(day)}"
        )
    if reason.startswith(mechanism.label):
        return reason
    return f"{mechanism.label}: {reason}"


@cache
def regimes_frame() -> pd.DataFrame:
    """Country code -> the transfer regime of an exporter established there."""
    return pd.DataFrame([{"country": code, "regime": regime_for(code)} for code, _ in all_countries()])


@lru_cache(maxsize=32)
def countries_frame(day: date) -> pd.DataFrame:
    """Per regime and country: name, whether it is a third country, and its adequacy on ``day``."""
    ref = load_reference()
    mechanisms = ref.mechanisms()
    rows = []
    for regime in REGIMES:
        for code, name in all_countries():
            adequacy = ref.adequacy(regime, code, day)
            required = adequacy.requires_mechanism if adequacy else None
            rows.append({
                "regime": regime,
                "country": code,
                "name": name,
                "third_country": ref.is_third_country(regime, code),
                "adequacy_decision": adequacy.decision if adequacy else None,
                "adequacy_partial": (adequacy.partial or "the whole country") if adequacy else None,
                "requires_mechanism": required,
                "requires_mechanism_label": mechanisms[required].label if required in mechanisms else required,
            })
    return pd.DataFrame(rows)


@lru_cache(maxsize=32)
def mechanisms_frame(day: date) -> pd.DataFrame:
    """Per regime and mechanism: whether it is valid on ``day`` and, if not, why."""
    ref = load_reference()
    rows = []
    for regime in REGIMES:
        for m in ref.transfer_mechanisms:
            problem = mechanism_problem(m, regime, day)
            rows.append({"regime": regime, "key": m.key, "label": m.label, "kind": m.kind,
                         "requires_tia": m.requires_tia, "valid": problem is None, "problem": problem})
    return pd.DataFrame(rows)


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
        "gap_regimes": regimes_frame(),
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


def dated_frames(day: date) -> dict[str, pd.DataFrame]:
    return {"gap_countries": countries_frame(day), "gap_mechanisms": mechanisms_frame(day)}
