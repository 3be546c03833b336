"""Findings the DPO accepts as a risk: justified, time-limited, audited.

An acceptance is tied to the version of the record it was given for: once
the activity (or, for an entity finding, the entity) is edited, or the
expiry date passes, the finding shows again and has to be looked at anew.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ropa.auth import Role, User, require
from ropa.errors import FieldError, ValidationFailed
from ropa.gaps.catalogue import RULES, RULES_BY_ID, SEVERITY_RANK
from ropa.models import SHORT_MAX, TEXT_MAX
from ropa.storage.acceptances import Acceptance, acceptance_frame, delete_acceptance, store_acceptance
from ropa.storage.database import Database

__all__ = ["ACCEPTED_COLUMNS", "Acceptance", "accept_finding", "acceptance_problems", "accepted_findings",
           "revoke_acceptance"]


def acceptance_problems(rule: str, activity_id: int | None, entity_id: int | None, subject: str, justification: str,
                        expires_on: date, today: date) -> list[FieldError]:
    """What is wrong with an acceptance; public because restore checks restored acceptances the same way."""
    errors = []
    found = RULES_BY_ID.get(rule)
    if found is None:
        errors.append(FieldError("Rule", f"there is no gap rule '{rule}'"))
    elif (found.applies_to == "entity") != (activity_id is None):
        needs = "an entity" if found.applies_to == "entity" else "an activity"
        errors.append(FieldError("Rule", f"'{rule}' is a finding about {needs}"))
    if activity_id is None and entity_id is None:
        errors.append(FieldError("Finding", "name the activity or the entity the finding is about"))
    if not justification.strip():
        errors.append(FieldError("Justification", "is required: say why the risk is acceptable"))
    elif len(justification) > TEXT_MAX or "\x00" in justification:
        errors.append(FieldError("Justification", f"must be at most {TEXT_MAX:,} characters of text"))
    if len(subject) > 2 * SHORT_MAX or "\x00" in subject:
        errors.append(FieldError("Subject", "is not a finding subject"))
    if expires_on <= today:
        errors.append(FieldError("Expires on", f"must be after today ({today.isoformat()})"))
    return errors


def accept_finding(db: Database, user: User, rule: str, activity_id: int | None, subject: str,
                   justification: str, expires_on: date, *, entity_id: int | None = None,
                   today: date | None = None) -> Acceptance:
    """Accept one finding as a risk until ``expires_on``; replaces an earlier acceptance of it.

    The finding is identified as ``analyse`` reports it: rule, activity_id
    (None for an entity finding, then pass ``entity_id``) and subject.
    """
    require(user, Role.EDITOR, "accept gap findings as risks")
    errors = acceptance_problems(rule, activity_id, entity_id, subject, justification, expires_on,
                                 today or date.today())
    if errors:
        raise ValidationFailed(errors)
    return store_acceptance(db, user, rule, activity_id, entity_id, subject, justification, expires_on)


def revoke_acceptance(db: Database, user: User, acceptance_id: int) -> None:
    """Withdraw an accepted risk, so its finding shows again."""
    require(user, Role.EDITOR, "revoke accepted risks")
    delete_acceptance(db, user, acceptance_id)


ACCEPTED_COLUMNS = ("id", "rule", "title", "severity", "activity_id", "activity", "entity_id", "entity", "subject",
                    "justification", "expires_on", "accepted_by", "accepted_at", "status")


def accepted_findings(db: Database, as_of: date | None = None, entity_ids: list[int] | None = None) -> pd.DataFrame:
    """Every stored acceptance, worst rule first, with whether it still suppresses its finding on ``as_of``.

    ``status`` is as ``acceptance_frame`` gives it: "active", "expired", "record changed" or "archived".
    """
    frame = acceptance_frame(db, as_of or date.today(), entity_ids)
    frame["title"] = frame["rule"].map({r.id: r.title for r in RULES}).fillna(frame["rule"]).astype("str")
    frame["severity"] = frame["rule"].map({r.id: r.severity for r in RULES}).fillna("").astype("str")
    frame["activity_id"] = frame["activity_id"].astype("Int64")
    frame["entity_id"] = frame["entity_id"].astype("Int64")
    expires = pd.to_datetime(frame["expires_on"])
    frame["expires_on"] = expires.dt.date.astype(object).where(expires.notna(), None)
    rank = frame["severity"].map(SEVERITY_RANK).fillna(len(SEVERITY_RANK))
    frame = frame.assign(_rank=rank).sort_values(["_rank", "expires_on", "id"], kind="stable")
    return frame.loc[:, list(ACCEPTED_COLUMNS)].reset_index(drop=True)
