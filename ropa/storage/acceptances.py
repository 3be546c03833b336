"""Accepted risks in the database: each stored or withdrawn in one transaction with its audit row.

What may be accepted, and by whom, is decided in ``ropa.gaps.acceptance``;
this module only reads and writes the ``accepted_findings`` table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from ropa.auth import User
from ropa.errors import FieldError, NotFound, ValidationFailed
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


def _record_of(con: Connection, activity_id: int | None, entity_id: int | None) -> tuple[int, int]:
    """(owning entity, current version) of the record a finding is about; refused if gone or archived."""
    if activity_id is not None:
        row = con.execute("SELECT entity_id, version, status FROM activities WHERE id = ?", [activity_id]).fetchone()
        if row is None:
            raise NotFound(f"There is no activity with id {activity_id}.")
        if row[2] == "archived":
            raise ValidationFailed([FieldError("Finding", "the activity is archived and is not analysed")])
        return int(row[0]), int(row[1])
    row = con.execute("SELECT id, version FROM entities WHERE id = ?", [entity_id]).fetchone()
    if row is None:
        raise NotFound(f"There is no entity with id {entity_id}.")
    return int(row[0]), int(row[1])


def store_acceptance(db: Database, user: User, rule: str, activity_id: int | None, entity_id: int | None,
                     subject: str, justification: str, expires_on: date) -> Acceptance:
    """Store the acceptance of one finding for the record's current version, replacing an earlier one of it."""
    with db.transaction() as con:
        owner, version = _record_of(con, activity_id, entity_id)
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


def delete_acceptance(db: Database, user: User, acceptance_id: int) -> None:
    """Withdraw a stored acceptance (its audit row keeps what it was)."""
    with db.transaction() as con:
        found = _load(con, "id = ?", [acceptance_id])
        if not found:
            raise NotFound(f"There is no accepted risk with id {acceptance_id}.")
        con.execute("DELETE FROM accepted_findings WHERE id = ?", [acceptance_id])
        accepted = found[0]
        audit.record(con, user, "revoke_risk", RECORD_TYPE, acceptance_id, entity_id=accepted.entity_id,
                     version=accepted.record_version, before=accepted.content(),
                     detail=f"revoked acceptance of {accepted.rule}")


def acceptance_frame(db: Database, as_of: date, entity_ids: list[int] | None = None) -> pd.DataFrame:
    """Every stored acceptance with its record's names and whether it still holds on ``as_of``.

    ``status``: "active", "expired", "record changed" (the activity or
    entity was edited since), or "archived".
    """
    params: dict[str, Any] = {"as_of": as_of}
    where = "TRUE"
    if entity_ids is not None:
        where, params["entity_ids"] = "list_contains($entity_ids, f.entity_id)", list(entity_ids)
    return db.frame(
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
