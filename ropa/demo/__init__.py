"""The demo register: the SmartComms group and SMELECOM UK, as their privacy notices describe them.

Each activity cites the notice (``docs/sources/<file>``) and the section it
comes from. Where a notice is silent the record is left empty, and what the
notices state that is now out of date (Privacy Shield, the old Model Clauses)
is kept, so the gap analysis has real findings to show.
"""

from __future__ import annotations

from ropa.auth import SYSTEM, Role, User, require
from ropa.demo.register import DemoDataError, DemoRegister, load_demo
from ropa.errors import RopaError
from ropa.storage.activities import create_activities
from ropa.storage.database import Database
from ropa.storage.entities import insert_entity

__all__ = ["DemoDataError", "DemoRegister", "build_demo", "load_demo"]

DETAIL = "demo register"


def build_demo(db: Database, user: User = SYSTEM) -> None:
    """Load the demo register into an empty register, in one transaction."""
    require(user, Role.ADMIN, "load the demo register")
    register = load_demo()
    with db.transaction() as con:
        held = con.execute("SELECT (SELECT count(*) FROM entities) + (SELECT count(*) FROM activities)").fetchall()
        if held[0][0]:
            raise RopaError(f"{db.path} already holds a register; the demo is only loaded into an empty one")
        ids: dict[str, int] = {}
        for item in register.entities:
            parent_id = ids[item.parent] if item.parent else None
            stored = insert_entity(con, user, item.entity.model_copy(update={"parent_id": parent_id}), detail=DETAIL)
            ids[item.key] = int(stored.id or 0)
        activities = [a.activity.model_copy(update={"entity_id": ids[a.entity]}) for a in register.activities]
        create_activities(db, user, activities, con=con, detail=DETAIL)
