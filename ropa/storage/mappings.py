"""Saved mapping profiles: how one shape of spreadsheet's columns map to the register's fields.

A profile is saved by name from the Import page or ``import --save-mapping``
and found again by the signature of a file's headings, so the next file of
the same shape imports with the same choices. Saving is one transaction with
its audit row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from ropa.auth import Role, User, require
from ropa.errors import NotFound, RopaError
from ropa.storage import audit
from ropa.storage.database import Database, utcnow


@dataclass(frozen=True)
class MappingProfile:
    id: int
    name: str
    signature: str
    mapping: dict[str, str]  # heading key -> column key, "note" or "ignore"
    saved_at: datetime
    saved_by: str


def _profile(row: tuple[object, ...]) -> MappingProfile:
    return MappingProfile(int(str(row[0])), str(row[1]), str(row[2]), dict(json.loads(str(row[3]))),
                          row[4] if isinstance(row[4], datetime) else datetime.min, str(row[5]))


_SELECT = "SELECT id, name, signature, mapping, saved_at, saved_by FROM mapping_profiles"


def save_profile(db: Database, user: User, name: str, signature: str, mapping: dict[str, str]) -> MappingProfile:
    """Save (or replace) the profile called ``name``; audited."""
    require(user, Role.ADMIN, "save import mappings")
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise RopaError("A mapping profile needs a name of 1 to 200 characters.")
    text = json.dumps(mapping, ensure_ascii=False, sort_keys=True)
    now = utcnow()
    with db.transaction() as con:
        found = con.execute("SELECT id, mapping FROM mapping_profiles WHERE lower(name) = lower(?)", [name]).fetchall()
        if found:
            profile_id = int(found[0][0])
            before = json.loads(str(found[0][1]))
            con.execute("UPDATE mapping_profiles SET name = ?, signature = ?, mapping = ?, saved_at = ?, saved_by = ? "
                        "WHERE id = ?", [name, signature, text, now, user.email, profile_id])
        else:
            before = None
            profile_id = int(con.execute(
                "INSERT INTO mapping_profiles (name, signature, mapping, saved_at, saved_by) VALUES (?, ?, ?, ?, ?) "
                "RETURNING id", [name, signature, text, now, user.email]).fetchall()[0][0])
        audit.record(con, user, "update" if found else "create", "mapping_profile", profile_id,
                     before={"name": name, "mapping": before} if before is not None else None,
                     after={"name": name, "signature": signature, "mapping": mapping}, at=now)
    return MappingProfile(profile_id, name, signature, mapping, now, user.email)


def find_profile(db: Database, signature: str) -> MappingProfile | None:
    """The most recently saved profile for files with these headings, if any."""
    with db.connect() as con:
        rows = con.execute(f"{_SELECT} WHERE signature = ? ORDER BY saved_at DESC LIMIT 1", [signature]).fetchall()
    return _profile(rows[0]) if rows else None


def get_profile(db: Database, name: str) -> MappingProfile:
    with db.connect() as con:
        rows = con.execute(f"{_SELECT} WHERE lower(name) = lower(?)", [name.strip()]).fetchall()
    if not rows:
        raise NotFound(f"There is no mapping profile named '{name}'.")
    return _profile(rows[0])


def list_profiles(db: Database) -> list[MappingProfile]:
    with db.connect() as con:
        return [_profile(r) for r in con.execute(f"{_SELECT} ORDER BY lower(name)").fetchall()]
