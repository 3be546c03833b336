"""What the signed-in person has to do: their activities, their reviews, approvals waiting for them, defects.

"Theirs" means the activity's owner field names them, by email or by name
(ignoring case and surrounding spaces): the owner is free text, and people
record either. Review due is the register's definition (``REVIEW_LABELS``:
overdue, or due within ``DUE_SOON_DAYS``). An activity awaits someone's
approval when it is in review, they may approve (editors and admins), and
they did not submit it themselves: a second pair of eyes (Art. 5(2), 24).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from ropa.auth import Role, User
from ropa.register import RegisterFilter, register_frame
from ropa.storage.database import Database

DUE_STATES = ("overdue", "due_soon")


@dataclass(frozen=True)
class MyWork:
    """Four lists, each a slice of the register frame (the defects: of the gap analysis)."""

    owned: pd.DataFrame
    review_due: pd.DataFrame
    awaiting_approval: pd.DataFrame
    defects: pd.DataFrame

    @property
    def empty(self) -> bool:
        return self.owned.empty and self.awaiting_approval.empty


def owner_names(user: User) -> list[str]:
    """How an owner field may name ``user``: email and display name, lower case."""
    return sorted({n.strip().casefold() for n in (user.email, user.name) if n.strip()})


def submitted_by_others(db: Database, user: User) -> list[int]:
    """Activities in review whose latest move (creation or status change) was made by someone else."""
    rows = db.rows(
        "WITH moves AS (SELECT record_id, arg_max(actor, id) AS actor FROM audit_log "
        "  WHERE record_type = 'activity' AND action IN ('create', 'status') GROUP BY record_id) "
        "SELECT a.id FROM activities a LEFT JOIN moves m ON m.record_id = a.id "
        "WHERE a.status = 'in_review' AND coalesce(m.actor, '') <> ? ORDER BY a.id", [user.email])
    return [int(r[0]) for r in rows]


def _defects(db: Database, owned: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Open (not accepted) findings on the owned activities, worst first; the analysis runs on their entities."""
    from ropa.gaps import analyse
    from ropa.gaps.catalogue import SEVERITY_RANK
    from ropa.gaps.engine import FINDING_COLUMNS

    if owned.empty:
        return pd.DataFrame({c: [] for c in FINDING_COLUMNS})
    findings = analyse(db, as_of, sorted({int(e) for e in owned["entity_id"]}))
    mine = findings[findings["activity_id"].isin(set(owned["id"]))].copy()
    mine["_rank"] = mine["severity"].map(lambda s: SEVERITY_RANK.get(str(s), len(SEVERITY_RANK)))
    return (mine.sort_values(["_rank", "activity", "rule"], kind="stable").drop(columns="_rank")
            .reset_index(drop=True))


def my_work(db: Database, user: User, as_of: date | None = None) -> MyWork:
    """The signed-in person's lists as of ``as_of`` (default today): one register query, one gap analysis."""
    day = as_of or date.today()
    frame = register_frame(db, RegisterFilter(), day)
    names = owner_names(user)
    owned = frame[frame["owner"].str.strip().str.casefold().isin(names)].reset_index(drop=True)
    due = (owned[owned["review"].isin(DUE_STATES)].sort_values(["next_review_due", "id"], kind="stable")
           .reset_index(drop=True))
    if user.can(Role.EDITOR):
        awaiting = frame[frame["id"].isin(submitted_by_others(db, user))].reset_index(drop=True)
    else:
        awaiting = frame.iloc[0:0]
    return MyWork(owned=owned, review_due=due, awaiting_approval=awaiting, defects=_defects(db, owned, day))
