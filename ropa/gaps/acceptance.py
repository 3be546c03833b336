"""Findings the DPO accepts as a risk: justified, time-limited, audited.

An acceptance is tied to the version of the record it was given for: once
the activity (or, for an entity finding, the entity) is edited, or the
expiry date passes, the finding shows again and has to be looked at anew.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from ropa.auth import Role, User, require
from ropa.errors import FieldError, NotFound, ValidationFailed
from ropa.gaps.catalogue import RULES, RULES_BY_ID, SEVERITY_RANK
from ropa.models import SHORT_MAX, TEXT_MAX
from ropa.storage import audit
from ropa.storage.database import Connection, Database, utcnow

RECORD_TYPE = "accepted_finding"


@dataclass(frozen=True)
class Acceptance:
    id: int
    rule: str
    activity_id: int | None
    entity_id: int
    subject: str
    record_version: int
    justification: str
    expires_on: date
    accepted_by: str
    accepted_at: datetime

    def content(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("id")
        return data


_COLUMNS = ("id", "rule", "activity_id", "entity_id", "subject", "record_version", "justification", "expires_on",
            "accepted_by", "accepted_at")


def _load(con: Connection, where: str, params: list[Any]) -> list[Acceptance]:
    rows = con.execute(f"SELECT {', '.join(_COLUMNS)} FROM accepted_findings WHERE {where} ORDER BY id",
                       params).fetchall()
    return [Acceptance(*row) for row in rows]


def _validate(rule: str, activity_id: int | None, entity_id: int | None, subject: str, justification: str,
              expires_on: date, today: date) -> list[FieldError]:
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
    errors = _validate(rule, activity_id, entity_id, subject, justification, expires_on, today or date.today())
    if errors:
        raise ValidationFailed(errors)
    with db.transaction() as con:
        if activity_id is not None:
            row = con.execute("SELECT entity_id, version, status FROM activities WHERE id = ?",
                              [activity_id]).fetchone()
            if row is None:
                raise NotFound(f"There is no activity with id {activity_id}.")
            if row[2] == "archived":
                raise ValidationFailed([FieldError("Finding", "the activity is archived and is not analysed")])
            owner, version = int(row[0]), int(row[1])
        else:
            row = con.execute("SELECT id, version FROM entities WHERE id = ?", [entity_id]).fetchone()
            if row is None:
                raise NotFound(f"There is no entity with id {entity_id}.")
            owner, version = int(row[0]), int(row[1])
        key = ("rule = ? AND subject = ? AND activity_id IS NOT DISTINCT FROM ? AND "
               "(activity_id IS NOT NULL OR entity_id = ?)")
        key_params: list[Any] = [rule, subject, activity_id, owner]
        previous = _load(con, key, key_params)
        con.execute(f"DELETE FROM accepted_findings WHERE {key}", key_params)
        now = utcnow()
        new_id = int(con.execute(
            "INSERT INTO accepted_findings (rule, activity_id, entity_id, subject, record_version, justification,"
            " expires_on, accepted_by, accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [rule, activity_id, owner, subject, version, justification, expires_on, user.email, now],
        ).fetchall()[0][0])
        accepted = Acceptance(new_id, rule, activity_id, owner, subject, version, justification, expires_on,
                              user.email, now)
        what = f"activity {activity_id}" if activity_id is not None else f"entity {owner}"
        audit.record(con, user, "accept_risk", RECORD_TYPE, new_id, entity_id=owner, version=version,
                     before=previous[-1].content() if previous else None, after=accepted.content(),
                     detail=f"accepted {rule} on {what}{': ' + subject if subject else ''} "
                            f"until {expires_on.isoformat()}", at=now)
        return accepted


def revoke_acceptance(db: Database, user: User, acceptance_id: int) -> None:
    """Withdraw an accepted risk, so its finding shows again."""
    require(user, Role.EDITOR, "revoke accepted risks")
    with db.transaction() as con:
        found = _load(con, "id = ?", [acceptance_id])
        if not found:
            raise NotFound(f"There is no accepted risk with id {acceptance_id}.")
        con.execute("DELETE FROM accepted_findings WHERE id = ?", [acceptance_id])
        accepted = found[0]
        audit.record(con, user, "revoke_risk", RECORD_TYPE, acceptance_id, entity_id=accepted.entity_id,
                     version=accepted.record_version, before=accepted.content(),
                     detail=f"revoked acceptance of {accepted.rule}")


ACCEPTED_COLUMNS = ("id", "rule", "title", "severity", "activity_id", "activity", "entity_id", "entity", "subject",
                    "justification", "expires_on", "accepted_by", "accepted_at", "status")


def accepted_findings(db: Database, as_of: date | None = None, entity_ids: list[int] | None = None) -> pd.DataFrame:
    """Every stored acceptance with whether it still suppresses its finding on ``as_of``.

    ``status``: "active", "expired", "record changed" (the activity or
    entity was edited since), or "archived".
    """
    day = as_of or date.today()
    params: dict[str, Any] = {"as_of": day}
    where = "TRUE"
    if entity_ids is not None:
        where, params["entity_ids"] = "list_contains($entity_ids, f.entity_id)", list(entity_ids)
    frame = db.frame(
        f"""
        SELECT f.id, f.rule, f.activity_id, coalesce(a.name, '') AS activity, f.entity_id,
               coalesce(e.name, '') AS entity, f.subject, f.justification, f.expires_on, f.accepted_by,
               f.accepted_at,
               CASE WHEN a.status = 'archived' OR e.archived THEN 'archived'
                    WHEN f.expires_on < $as_of THEN 'expired'
                    WHEN f.record_version <> coalesce(a.version, e.version) THEN 'record changed'
                    ELSE 'active' END AS status
        FROM accepted_findings f
        LEFT JOIN activities a ON a.id = f.activity_id
        LEFT JOIN entities e ON e.id = f.entity_id
        WHERE {where}
        ORDER BY f.expires_on, f.id
        """,
        params,
    )
    frame["title"] = frame["rule"].map({r.id: r.title for r in RULES}).fillna(frame["rule"]).astype("str")
    frame["severity"] = frame["rule"].map({r.id: r.severity for r in RULES}).fillna("").astype("str")
    frame["activity_id"] = frame["activity_id"].astype("Int64")
    frame["entity_id"] = frame["entity_id"].astype("Int64")
    expires = pd.to_datetime(frame["expires_on"])
    frame["expires_on"] = expires.dt.date.astype(object).where(expires.notna(), None)
    rank = frame["severity"].map(SEVERITY_RANK).fillna(len(SEVERITY_RANK))
    frame = frame.assign(_rank=rank).sort_values(["_rank", "expires_on", "id"], kind="stable")
    return frame.loc[:, list(ACCEPTED_COLUMNS)].reset_index(drop=True)
