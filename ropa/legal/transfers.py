"""The verdict on one transfer on one day: the single place the register decides Chapter V.

``judge`` is a pure function of the reference data: for an exporter's regime, a
destination (ISO country code, or ``org:KEY`` for an international
organisation), the recorded mechanism, the contract date and whether an
assessment is referenced, it says whether Chapter V applies, which adequacy
finding covers the destination (with its exclusions), whether the mechanism is
valid and why not, which assessment (TIA, UK data protection test) is expected,
and which gap rule the verdict raises.

Dated law: the day decides the law. Before 1 January 2021 a UK exporter
applied the EU GDPR and the EU's adequacy decisions (and the UK was inside the
EU's area); adequacy findings under Directive 95/46 count from their adoption.

``register_verdicts`` is the set-based form: it judges each distinct
combination recorded in the register once and registers the answers as the
``legal_verdicts`` relation, and ``transfer_verdicts_sql`` turns that into one
row per stored transfer for SQL readers (gap rules, dashboard, register).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

import pandas as pd

from ropa.legal.regimes import ENTITY_REGIME_SQL, LAW_NAMES, EntityRegime, regime_frames, transfer_law
from ropa.reference import (
    ORGANISATION_PREFIX,
    Adequacy,
    Mechanism,
    Regime,
    country_name,
    load_reference,
)
from ropa.storage.database import Connection

State = Literal["unrestricted", "adequate", "safeguarded", "derogation", "missing", "invalid"]
Problem = Literal[
    "no_mechanism", "unknown_mechanism", "mechanism_invalid", "contract_after_cutoff", "adequacy_not_available",
    "needs_certification", "superseded_by_adequacy", "contract_date_unknown", "derogation",
]

UK_LAW_FROM = date(2021, 1, 1)
"""From this day UK exporters apply the UK GDPR; before it, the EU GDPR (Withdrawal Agreement Art. 127)."""

FINDINGS: dict[str, str] = {
    "no_mechanism": "transfer_mechanism_missing",
    "unknown_mechanism": "transfer_mechanism_invalid",
    "mechanism_invalid": "transfer_mechanism_invalid",
    "contract_after_cutoff": "transfer_mechanism_invalid",
    "adequacy_not_available": "transfer_adequacy_not_available",
    "needs_certification": "transfer_adequacy_without_dpf",
    "superseded_by_adequacy": "transfer_mechanism_superseded_by_adequacy",
    "contract_date_unknown": "transfer_contract_date_missing",
    "derogation": "transfer_derogation_used",
}
"""The gap rule each problem raises; a missing assessment raises ``transfer_tia_missing`` besides."""

ASSESSMENT_FINDING = "transfer_tia_missing"


def day_text(day: date) -> str:
    """'16 July 2020': the way the law and the messages write dates."""
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Verdict:
    """What the law says about one transfer on one day; ``lawful`` is None where Chapter V does not apply."""

    regime: str
    law: Regime | None
    destination: str
    destination_name: str
    restricted: bool
    adequacy_decision: str | None
    adequacy_partial: str | None
    adequacy_excludes: str | None
    requires_mechanism: str | None
    adequate: bool
    mechanism: str | None
    mechanism_label: str
    mechanism_kind: str | None
    mechanism_valid: bool | None
    state: State
    lawful: bool | None
    problem: Problem | None
    reason: str
    assessment: str | None
    assessment_missing: bool
    checks: str

    @property
    def law_name(self) -> str:
        return LAW_NAMES[self.law] if self.law else "no transfer law"

    @property
    def findings(self) -> tuple[str, ...]:
        """The gap rules this verdict raises (the SQL rules raise exactly these)."""
        found = [FINDINGS[self.problem]] if self.problem else []
        if self.assessment_missing:
            found.append(ASSESSMENT_FINDING)
        return tuple(found)


def effective_law(regime: EntityRegime | str, day: date) -> Regime | None:
    """The transfer law applied on ``day``: UK exporters applied the EU GDPR before 1 January 2021."""
    law = transfer_law(regime)  # type: ignore[arg-type]
    if law == "UK" and day < UK_LAW_FROM:
        return "EU"
    return law


def is_organisation(destination: str) -> bool:
    return destination.startswith(ORGANISATION_PREFIX)


def destination_name(destination: str) -> str:
    if is_organisation(destination):
        term = load_reference().organisation(destination.removeprefix(ORGANISATION_PREFIX))
        return term.label if term else destination
    return country_name(destination)


def is_third_country(law: Regime, destination: str, day: date) -> bool:
    """True when sending data to ``destination`` is a Chapter V transfer under ``law`` on ``day``."""
    if is_organisation(destination):
        return True
    ref = load_reference()
    if law == "EU":
        inside_before_2021 = destination in ("GB", "GI") and day < UK_LAW_FROM
        return not (ref.is_eea(destination) or inside_before_2021)
    if law == "UK":
        return destination != "GB"
    return destination != "CH"


def adequacy_on(law: Regime, destination: str, day: date) -> Adequacy | None:
    """The adequacy finding covering ``destination`` on ``day`` for exports under ``law``."""
    ref = load_reference()
    if law != "EU" and not is_organisation(destination) and ref.is_eea(destination):
        decision, since, source = {"UK": ("DPA 2018 Sch. 21 para 4 (EEA state)", UK_LAW_FROM, "uk_adequacy_regs"),
                                   "CH": ("DPO Annex 1 (EEA state)", date(1993, 7, 1), "ch_dpo_annex1")}[law]
        if day >= since:
            return Adequacy.model_validate({"country": destination, "decision": decision, "from": since,
                                            "source": source, "as_of": ref.meta.as_of})
    for entry in ref.adequacy_table(law):
        if entry.destination == destination and entry.covers(day):
            return entry
    return None


def assessment_on(law: Regime, day: date) -> str | None:
    """The assessment an Art. 46 exporter under ``law`` is expected to make on ``day`` (None before Schrems II)."""
    found = next((a for a in load_reference().transfer_assessments if a.regime == law and a.covers(day)), None)
    return found.name if found else None


def mechanism_problem(mechanism: Mechanism, law: Regime, day: date) -> str | None:
    """Why ``mechanism`` cannot carry a transfer under ``law`` on ``day`` (None if it can)."""
    if mechanism.valid_on(law, day):
        return None
    spans = [v for v in mechanism.validity if v.regime == law]
    if not spans:
        reason = mechanism.invalid_reason or f"not available to {LAW_NAMES[law]} exporters"
    elif all(day < v.from_ for v in spans):
        return f"{mechanism.label}, not available until {day_text(min(v.from_ for v in spans))}"
    else:
        ends = [v.until for v in spans if v.until is not None and v.until < day]
        reason = mechanism.invalid_reason or (
            f"not valid after {day_text(max(ends))}" if ends else f"not valid on {day_text(day)}"
        )
    if reason.startswith(mechanism.label):
        return reason
    return f"{mechanism.label}: {reason}"


def _checks(*facts: Adequacy | Mechanism | None) -> str:
    return "; ".join(f.check for f in facts if f is not None and f.check)


def _adequacy_text(adequacy: Adequacy) -> str:
    text = f"adequacy: {adequacy.decision}"
    if adequacy.partial:
        text += f" (only {adequacy.partial})"
    if adequacy.excludes:
        text += f"; excludes {adequacy.excludes}"
    return text


@lru_cache(maxsize=8192)
def judge(regime: EntityRegime | str, destination: str, mechanism: str | None, day: date, *,
          contract_date: date | None = None, assessment_recorded: bool = False) -> Verdict:
    """The verdict on a transfer from an exporter under ``regime`` to ``destination`` on ``day``."""
    ref = load_reference()
    name = destination_name(destination)
    mechanism = mechanism or None
    law = effective_law(regime, day)
    tool = ref.mechanisms().get(mechanism or "")

    def verdict(state: State, lawful: bool | None, problem: Problem | None, reason: str, *,
                valid: bool | None = None, assessment: str | None = None, missing: bool = False,
                adequacy: Adequacy | None = None) -> Verdict:
        return Verdict(
            regime=regime, law=law, destination=destination, destination_name=name, restricted=state != "unrestricted",
            adequacy_decision=adequacy.decision if adequacy else None,
            adequacy_partial=adequacy.partial if adequacy else None,
            adequacy_excludes=adequacy.excludes if adequacy else None,
            requires_mechanism=adequacy.requires_mechanism if adequacy else None,
            adequate=adequacy is not None and adequacy.requires_mechanism is None,
            mechanism=mechanism, mechanism_label=tool.label if tool else (mechanism or ""),
            mechanism_kind=tool.kind if tool else None, mechanism_valid=valid, state=state, lawful=lawful,
            problem=problem, reason=reason, assessment=assessment, assessment_missing=missing,
            checks=_checks(adequacy, tool))

    if law is None:
        return verdict("unrestricted", None, None,
                       "the exporter is subject to neither the GDPR, the UK GDPR nor the revFADP for this "
                       "processing, so Chapter V does not apply (EDPB Guidelines 05/2021)")
    if not is_third_country(law, destination, day):
        return verdict("unrestricted", None, None,
                       f"not a restricted transfer under the {LAW_NAMES[law]} ({name})")
    adequacy = adequacy_on(law, destination, day)
    adequate = adequacy is not None and adequacy.requires_mechanism is None
    if mechanism is None:
        if adequate and adequacy is not None:
            return verdict("adequate", True, None, _adequacy_text(adequacy), adequacy=adequacy)
        note = f"; {name} is adequate only for {adequacy.partial}" if adequacy and adequacy.partial else ""
        return verdict("missing", False, "no_mechanism", f"no transfer mechanism recorded (Art. 44){note}",
                       adequacy=adequacy)
    if tool is None:
        return verdict("invalid", False, "unknown_mechanism", f"unknown mechanism '{mechanism}'", valid=False,
                       adequacy=adequacy)
    problem = mechanism_problem(tool, law, day)
    if problem is None and tool.destination is not None and destination != tool.destination:
        # A certification scheme (DPF, UK Extension, Swiss-US DPF) carries only transfers to its country.
        problem = f"{tool.label}: it covers only certified recipients in {country_name(tool.destination)}"
    # An Art. 46 tool that needs an assessment still needs it while the tool is invalid: whatever replaces
    # the tool (SCCs, IDTA, Addendum) needs one too, so the missing assessment is not hidden until the fix.
    expected = assessment_on(law, day) if tool.requires_tia and not adequate else None
    missing = expected is not None and not assessment_recorded
    if problem is not None:
        if adequate and adequacy is not None:
            return verdict("adequate", True, "superseded_by_adequacy",
                           f"records {problem}; {name} is adequate for the {LAW_NAMES[law]} on {day_text(day)} "
                           f"({adequacy.decision}), so record adequacy instead", valid=False, adequacy=adequacy)
        return verdict("invalid", False, "mechanism_invalid", problem, valid=False, adequacy=adequacy,
                       assessment=expected, missing=missing)
    span = tool.span(law, day)
    cutoff = span.contracts_until if span else None
    if cutoff is not None and contract_date is not None and contract_date > cutoff:
        return verdict("invalid", False, "contract_after_cutoff",
                       f"{tool.label} in a contract concluded on {day_text(contract_date)}, after the last day "
                       f"new contracts could use them ({day_text(cutoff)}) for {LAW_NAMES[law]} exports",
                       valid=False, adequacy=adequacy, assessment=expected, missing=missing)
    if tool.key == "adequacy":
        if adequacy is None:
            return verdict("invalid", False, "adequacy_not_available",
                           f"no {LAW_NAMES[law]} adequacy decision covers {name} on {day_text(day)}", valid=True)
        if adequacy.requires_mechanism is not None:
            needed = ref.mechanism(adequacy.requires_mechanism).label
            return verdict("missing", False, "needs_certification",
                           f"the {adequacy.decision} covers only {adequacy.partial}; record {needed} once the "
                           "recipient's certification is checked", valid=True, adequacy=adequacy)
        return verdict("adequate", True, None, _adequacy_text(adequacy), valid=True, adequacy=adequacy)
    if tool.kind == "adequacy":
        return verdict("adequate", True, None, f"{tool.label} ({tool.article})", valid=True, adequacy=adequacy)
    if adequate and adequacy is not None:
        # A valid tool to an adequate destination: lawful on adequacy; no assessment is expected.
        return verdict("adequate", True, None, f"{tool.label} ({tool.article}); {name} is also adequate",
                       valid=True, adequacy=adequacy)
    if tool.kind == "derogation":
        return verdict("derogation", True, "derogation",
                       f"{tool.label} ({tool.article}), an exception for occasional transfers only", valid=True,
                       adequacy=adequacy)
    if cutoff is not None and contract_date is None and day > cutoff:
        return verdict("safeguarded", True, "contract_date_unknown",
                       f"{tool.label}: valid only in contracts concluded on or before {day_text(cutoff)}, and no "
                       "contract date is recorded", valid=True, assessment=expected, missing=missing,
                       adequacy=adequacy)
    reason = f"{tool.label} ({tool.article})"
    if missing:
        reason += f"; a {expected} is expected but none is recorded"
    return verdict("safeguarded", True, None, reason, valid=True, assessment=expected, missing=missing,
                   adequacy=adequacy)


# -- the set-based form ------------------------------------------------------------------------

KEY_COLUMNS: tuple[str, ...] = ("regime", "destination", "mechanism", "contract_date", "assessment_recorded")
VERDICT_COLUMNS: tuple[str, ...] = tuple(f for f in Verdict.__dataclass_fields__ if f not in KEY_COLUMNS)


def cutoff_mechanisms() -> list[str]:
    """Mechanisms whose verdict depends on the contract date (the old Model Clauses)."""
    return [m.key for m in load_reference().transfer_mechanisms if m.has_contract_cutoff()]


def _keys_sql() -> str:
    cutoff = ", ".join("'" + key.replace("'", "''") + "'" for key in cutoff_mechanisms()) or "NULL"
    return f"""
    SELECT t.activity_id, t.position, r.regime,
           CASE WHEN coalesce(t.organisation, '') <> '' THEN '{ORGANISATION_PREFIX}' || t.organisation
                ELSE t.country END AS destination,
           nullif(t.mechanism, '') AS mechanism,
           CASE WHEN t.mechanism IN ({cutoff}) THEN t.contract_date END AS contract_date,
           coalesce(trim(t.tia_ref, E' \\t\\r\\n'), '') <> '' AS assessment_recorded
    FROM transfers t
    JOIN activities a ON a.id = t.activity_id
    JOIN ({ENTITY_REGIME_SQL}) r ON r.entity_id = a.entity_id
    """


def verdicts_frame(keys: pd.DataFrame, day: date) -> pd.DataFrame:
    """One verdict row per distinct key row (columns ``KEY_COLUMNS``); the loop is over distinct keys only."""
    rows = []
    for regime, destination, mechanism, contract, recorded in keys.loc[:, list(KEY_COLUMNS)].itertuples(
            index=False, name=None):
        contract_day = None if pd.isna(contract) else pd.Timestamp(contract).date()
        found = judge(str(regime), str(destination), None if pd.isna(mechanism) else str(mechanism), day,
                      contract_date=contract_day, assessment_recorded=bool(recorded))
        row = dict(vars(found))  # shallow: every field is a scalar, and asdict's deep copy cost a third of the loop
        row["contract_date"] = contract_day
        row["assessment_recorded"] = bool(recorded)
        rows.append(row)
    columns = [*KEY_COLUMNS, *VERDICT_COLUMNS]
    frame = pd.DataFrame(rows, columns=columns)
    frame["contract_date"] = pd.to_datetime(frame["contract_date"]).dt.date.astype(object)
    for column in ("restricted", "adequate", "assessment_missing", "assessment_recorded"):
        frame[column] = frame[column].astype(bool)
    for column in ("lawful", "mechanism_valid"):
        frame[column] = frame[column].astype("boolean")
    return frame[[c for c in columns if c != "law"] + ["law"]].assign(law=frame["law"].fillna("none"))


def register_verdicts(con: Connection, day: date) -> None:
    """Register ``legal_verdicts`` (and the regime frames) on ``con`` for ``day``.

    Keys are every distinct transfer in the register and every distinct recipient
    country (as a transfer with no mechanism), so recipients are judged by the same rules.
    """
    for name, frame in regime_frames().items():
        con.register(name, frame)
    keys = con.execute(f"""
        SELECT DISTINCT regime, destination, mechanism, contract_date, assessment_recorded FROM ({_keys_sql()})
        UNION
        SELECT DISTINCT r.regime, rc.country, NULL, NULL::DATE, false
        FROM recipients rc JOIN activities a ON a.id = rc.activity_id
        JOIN ({ENTITY_REGIME_SQL}) r ON r.entity_id = a.entity_id
        WHERE coalesce(rc.country, '') <> ''
        ORDER BY ALL
    """).fetchall()
    con.register("legal_verdicts", _verdicts_of(tuple(keys), day))


@lru_cache(maxsize=32)
def _verdicts_of(keys: tuple[tuple[object, ...], ...], day: date) -> pd.DataFrame:
    """``verdicts_frame`` of the key rows, kept per process: the same register on the same day (every page
    run, every query of the dashboard) has the same keys, and the verdicts depend only on them and the day.
    The frame is only ever registered, never changed."""
    return verdicts_frame(pd.DataFrame(list(keys), columns=list(KEY_COLUMNS)), day)


def transfer_verdicts_sql() -> str:
    """One row per stored transfer (activity_id, position, key and verdict columns); after ``register_verdicts``."""
    return f"""
    SELECT k.activity_id, k.position, v.*
    FROM ({_keys_sql()}) k
    JOIN legal_verdicts v ON v.regime = k.regime AND v.destination = k.destination
     AND v.mechanism IS NOT DISTINCT FROM k.mechanism AND v.contract_date IS NOT DISTINCT FROM k.contract_date
     AND v.assessment_recorded = k.assessment_recorded
    """


def destination_verdicts_sql() -> str:
    """One row per (regime, destination) as a transfer with no mechanism: is it restricted, is it adequate."""
    return """
    SELECT regime, destination, destination_name, restricted, adequate, adequacy_decision, law
    FROM legal_verdicts WHERE mechanism IS NULL AND contract_date IS NULL AND NOT assessment_recorded
    """
