"""Gap analysis: the register checked against GDPR / UK GDPR, rule by rule, on a given date.

``analyse`` returns one row per finding; ``scores`` (and ``completeness``,
``compliance_score``) summarise them; ``accept_finding`` records a risk the
DPO accepts. The rules themselves are data (``rules.toml``).
"""

from ropa.gaps.acceptance import (
    Acceptance,
    accept_finding,
    accepted_findings,
    revoke_acceptance,
)
from ropa.gaps.catalogue import (
    APPLIES_TO_LABELS,
    RULES,
    RULES_BY_ID,
    SEVERITIES,
    SEVERITY_BADGE_COLOURS,
    SEVERITY_COLOURS,
    SEVERITY_ICONS,
    SEVERITY_WEIGHTS,
    Rule,
    Severity,
)
from ropa.gaps.engine import FINDING_COLUMNS, analyse
from ropa.gaps.scoring import (
    COMPLETENESS_FORMULA,
    COMPLIANCE_FORMULA,
    Scores,
    completeness,
    compliance_score,
    scores,
)

__all__ = [
    "APPLIES_TO_LABELS",
    "COMPLETENESS_FORMULA",
    "COMPLIANCE_FORMULA",
    "FINDING_COLUMNS",
    "RULES",
    "RULES_BY_ID",
    "SEVERITIES",
    "SEVERITY_BADGE_COLOURS",
    "SEVERITY_COLOURS",
    "SEVERITY_ICONS",
    "SEVERITY_WEIGHTS",
    "Acceptance",
    "Rule",
    "Scores",
    "Severity",
    "accept_finding",
    "accepted_findings",
    "analyse",
    "completeness",
    "compliance_score",
    "revoke_acceptance",
    "scores",
]
