"""The gap rules as data: what each checks, the law it rests on, and how to fix it.

The catalogue lives in ``rules.toml`` next to this module so a DPO can read
(and a reviewer can diff) every rule's legal basis, severity and SQL in one
place. The legal lists the rules join against (DPIA signals, the Art. 9(2)
conditions needing DPA 2018 Schedule 1) are reference data and live in
``ropa/reference/gdpr.toml``. This module only loads and validates the catalogue.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["critical", "high", "medium", "low"]
AppliesTo = Literal["activity", "recipient", "transfer", "entity"]

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
"""Most serious first; the order every table and chart uses."""

SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}

SEVERITY_COLOURS: dict[str, str] = {
    "critical": "#D55E00",
    "high": "#E69F00",
    "medium": "#56B4E9",
    "low": "#999999",
}
"""Okabe-Ito colours (distinguishable with the common colour-vision deficiencies).

Always shown with the severity's name or icon, never as colour alone.
"""

SEVERITY_BADGE_COLOURS: dict[str, str] = {"critical": "red", "high": "orange", "medium": "blue", "low": "gray"}
"""The nearest of Streamlit's named badge colours, for ``st.badge`` and ``:color-badge[]``."""

SEVERITY_ICONS: dict[str, str] = {
    "critical": ":material/dangerous:",
    "high": ":material/error:",
    "medium": ":material/warning:",
    "low": ":material/info:",
}
"""A distinct shape per severity, so severity never depends on colour."""

SEVERITY_WEIGHTS: dict[str, int] = {"critical": 25, "high": 10, "medium": 4, "low": 1}
"""Points an open finding takes off an activity's compliance score."""

APPLIES_TO_LABELS: dict[str, str] = {
    "activity": "Processing activity",
    "recipient": "Recipient of an activity",
    "transfer": "Transfer of an activity",
    "entity": "Group entity",
}


class Rule(BaseModel):
    """One check of the register against the law."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    severity: Severity
    article: str = Field(min_length=1)
    source: str = Field(min_length=1)
    applies_to: AppliesTo
    explanation: str = Field(min_length=1)
    remediation: str = Field(min_length=1)
    grouped_by: str = ""
    """What findings of this rule share when they are one defect (its SQL then selects ``cause``)."""
    sql: str = Field(min_length=1, repr=False)


class VaguePattern(BaseModel):
    """A retention wording that states no period and no criteria, and why that falls short."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pattern: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    example: str = Field(min_length=1)


class Catalogue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: tuple[Rule, ...] = Field(alias="rule")
    period_pattern: str
    vague_retention: tuple[VaguePattern, ...]


def _raw() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("rules.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def load_catalogue() -> Catalogue:
    """Parse and validate ``rules.toml`` once per process."""
    catalogue = Catalogue.model_validate(_raw())
    ids = [r.id for r in catalogue.rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate gap rule ids: {duplicates}")
    return catalogue


RULES: tuple[Rule, ...] = load_catalogue().rules
RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}


def rule(rule_id: str) -> Rule:
    return RULES_BY_ID[rule_id]
