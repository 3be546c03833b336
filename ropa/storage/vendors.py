"""The vendor / processor inventory, and the managed lists of business functions and systems.

A vendor (a processor, or another recipient the group shares data with) is
kept once: name, country, the Art. 28(3) contract reference and its
sub-processors (Art. 28(2), 28(4)) with their countries. Recipients and
transfers that point at it (``vendor_id``) follow it: when the vendor
changes, every activity using it gets a new version in the same transaction,
with an audit row naming the vendor change, so the record, the export and
the gap analysis all show the vendor as it is now.

Business functions and systems are managed lists: the terms people pick
from, kept in ``managed_terms``. Variants that differ only in case or spaces
("Human resources" / "Human Resources") are found and merged into one, on
every activity that uses them, in one audited transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from ropa.auth import Role, User, require
from ropa.errors import ConflictError, FieldError, NotFound, ValidationFailed
from ropa.models import Activity, Vendor, parse_activity
from ropa.storage import audit
from ropa.storage.activities import load_activities
from ropa.storage.bulk import write_versions
from ropa.storage.database import Connection, Database, utcnow
from ropa.storage.records import editing, one_by_id

VENDOR_COLUMNS = ("id", "name", "country", "contract_ref", "sub_processors", "notes", "version", "updated_at",
                  "updated_by")
TermList = Literal["business_functions", "systems"]
TERM_LISTS: dict[str, str] = {"business_functions": "Business functions", "systems": "Systems"}


def _load(con: Connection, where: str = "TRUE", params: list[Any] | None = None) -> list[Vendor]:
    rows = con.execute(f"SELECT {', '.join(VENDOR_COLUMNS)} FROM vendors WHERE {where} ORDER BY lower(name), id",
                       params or []).fetchall()
    vendors = []
    for row in rows:
        data = dict(zip(VENDOR_COLUMNS, row, strict=True))
        data["sub_processors"] = json.loads(data["sub_processors"] or "[]")
        vendors.append(Vendor.model_validate(data))
    return vendors


def list_vendors(db: Database) -> list[Vendor]:
    with db.connect() as con:
        return _load(con)


def get_vendor(db: Database, vendor_id: int) -> Vendor:
    return one_by_id(db, _load, vendor_id, "vendor")


def _check_name(con: Connection, vendor: Vendor) -> None:
    clash = con.execute("SELECT name FROM vendors WHERE lower(trim(name)) = lower(trim(?)) AND id IS DISTINCT FROM ?",
                        [vendor.name, vendor.id]).fetchall()
    if clash:
        raise ValidationFailed([FieldError("Name", f"the inventory already holds '{clash[0][0]}'")])


def _row(vendor: Vendor) -> list[Any]:
    return [vendor.name, vendor.country, vendor.contract_ref,
            json.dumps([s.model_dump() for s in vendor.sub_processors], ensure_ascii=False), vendor.notes]


def create_vendor(db: Database, user: User, vendor: Vendor) -> Vendor:
    """Add a vendor to the inventory (names are unique, ignoring case)."""
    require(user, Role.EDITOR, "add vendors")
    with db.transaction() as con:
        _check_name(con, vendor)
        now = utcnow()
        new_id = int(con.execute(
            "INSERT INTO vendors (name, country, contract_ref, sub_processors, notes, version, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?, 1, ?, ?) RETURNING id", [*_row(vendor), now, user.email]).fetchall()[0][0])
        stored = vendor.model_copy(update={"id": new_id, "version": 1, "updated_at": now, "updated_by": user.email})
        audit.record(con, user, "create", "vendor", new_id, version=1, after=stored.content(), at=now)
    return stored


def _follow(vendor: Vendor) -> Callable[[Activity], dict[str, Any]]:
    """The recipients and transfers of an activity once those pointing at ``vendor`` show it as it is now."""

    def update(activity: Activity) -> dict[str, Any]:
        recipients = [r.model_copy(update={"name": vendor.name, "country": vendor.country,
                                           "contract_ref": vendor.contract_ref}) if r.vendor_id == vendor.id else r
                      for r in activity.recipients]
        transfers = [t.model_copy(update={"recipient": vendor.name, "country": vendor.country or t.country})
                     if t.vendor_id == vendor.id else t for t in activity.transfers]
        return {"recipients": [r.model_dump() for r in recipients], "transfers": [t.model_dump() for t in transfers]}

    return update


def _rewrite(con: Connection, user: User, ids: list[int], change: Callable[[Activity], dict[str, Any]],
             detail: str) -> list[Activity]:
    """Apply ``change`` to the activities ``ids`` and store those it alters, one version and audit row each."""
    pairs = []
    for current in load_activities(con, ids):
        new = parse_activity({**current.model_dump(), **change(current)})
        if new.content() != current.content():
            pairs.append((current, new))
    return write_versions(con, user, pairs, detail, children=True) if pairs else []


def _using(con: Connection, vendor_id: int) -> list[int]:
    rows = con.execute("SELECT activity_id FROM recipients WHERE vendor_id = ? UNION "
                       "SELECT activity_id FROM transfers WHERE vendor_id = ? ORDER BY 1", [vendor_id, vendor_id])
    return [int(r[0]) for r in rows.fetchall()]


def update_vendor(db: Database, user: User, vendor: Vendor, expected_version: int) -> tuple[Vendor, int]:
    """Save a changed vendor and bring every activity using it up to date; returns it and how many changed."""
    require(user, Role.EDITOR, "edit vendors")
    with editing(db, _load, vendor.id, "vendor", "add") as (con, current):
        if current.version != expected_version:
            changes = {c.field: (c.before, c.after) for c in audit.diff(vendor.content(), current.content())}
            raise ConflictError(f"Vendor '{current.name}'", expected_version, current.version, current.updated_by,
                                f"{current.updated_at:%Y-%m-%d %H:%M:%S} UTC", changes)
        if vendor.content() == current.content():
            return current, 0
        _check_name(con, vendor)
        now = utcnow()
        con.execute("UPDATE vendors SET name = ?, country = ?, contract_ref = ?, sub_processors = ?, notes = ?, "
                    "version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?",
                    [*_row(vendor), now, user.email, vendor.id])
        stored = vendor.model_copy(update={"version": current.version + 1, "updated_at": now, "updated_by": user.email})
        audit.record(con, user, "update", "vendor", vendor.id, version=stored.version, before=current.content(),
                     after=stored.content(), at=now)
        users = _using(con, int(current.id or 0))
        changed = _rewrite(con, user, users, _follow(stored), f"vendor '{stored.name}' changed")
    return stored, len(changed)


def link_by_name(db: Database, user: User, vendor_id: int) -> int:
    """Point every recipient and transfer named like the vendor (ignoring case and spaces) at it; how many changed."""
    require(user, Role.EDITOR, "link recipients to vendors")
    with db.transaction() as con:
        found = _load(con, "id = ?", [vendor_id])
        if not found:
            raise NotFound(f"There is no vendor with id {vendor_id}.")
        vendor = found[0]
        key = vendor.name.strip().casefold()
        ids = [int(r[0]) for r in con.execute(
            "SELECT activity_id FROM recipients WHERE lower(trim(name)) = ? AND vendor_id IS NULL UNION "
            "SELECT activity_id FROM transfers WHERE lower(trim(recipient)) = ? AND vendor_id IS NULL",
            [key, key]).fetchall()]

        def link(activity: Activity) -> dict[str, Any]:
            linked = activity.model_copy(update={
                "recipients": [r.model_copy(update={"vendor_id": vendor.id}) if r.name.strip().casefold() == key
                               else r for r in activity.recipients],
                "transfers": [t.model_copy(update={"vendor_id": vendor.id}) if t.recipient.strip().casefold() == key
                              else t for t in activity.transfers]})
            return _follow(vendor)(linked)

        return len(_rewrite(con, user, ids, link, f"recipients linked to vendor '{vendor.name}'"))


def vendor_usage(db: Database) -> dict[int, int]:
    """How many activities use each vendor, by vendor id."""
    rows = db.rows("SELECT vendor_id, count(DISTINCT activity_id) FROM (SELECT vendor_id, activity_id FROM recipients "
                   "UNION ALL SELECT vendor_id, activity_id FROM transfers) WHERE vendor_id IS NOT NULL GROUP BY 1")
    return {int(r[0]): int(r[1]) for r in rows}


# -- managed lists -------------------------------------------------------------------------------

_IN_USE = {
    "business_functions": "SELECT DISTINCT business_function FROM activities WHERE business_function <> ''",
    "systems": "SELECT DISTINCT s FROM (SELECT unnest(systems) AS s FROM activities) WHERE s <> ''",
}


def _list_name(name: str) -> str:
    if name not in _IN_USE:
        raise ValidationFailed([FieldError("List", f"there is no managed list '{name}'")])
    return name


def list_terms(db: Database, name: str) -> list[str]:
    """The managed list's terms, with any in use that it lacks (so no recorded value is hidden), by name."""
    rows = db.rows(f"SELECT term FROM managed_terms WHERE list = ? UNION {_IN_USE[_list_name(name)]}", [name])
    return sorted({str(r[0]) for r in rows}, key=lambda t: (t.casefold(), t))


def term_variants(db: Database, name: str) -> list[list[str]]:
    """Groups of terms that are one term written differently (case, spaces): each a candidate for a merge."""
    groups: dict[str, list[str]] = {}
    for term in list_terms(db, name):
        groups.setdefault(" ".join(term.split()).casefold(), []).append(term)
    return [terms for terms in groups.values() if len(terms) > 1]


def add_term(db: Database, user: User, name: str, term: str) -> str:
    """Add a term to a managed list; one that differs from an existing term only in case or spaces is refused."""
    require(user, Role.EDITOR, "change the managed lists")
    clean = " ".join(term.split())
    if not clean:
        raise ValidationFailed([FieldError("Term", "is required")])
    existing = {" ".join(t.split()).casefold(): t for t in list_terms(db, name)}
    if clean.casefold() in existing:
        raise ValidationFailed([FieldError("Term", f"the list already holds '{existing[clean.casefold()]}'")])
    with db.transaction() as con:
        con.execute("INSERT INTO managed_terms VALUES (?, ?)", [name, clean])
        audit.record(con, user, "create", "term", None, after={"list": name, "term": clean})
    return clean


def merge_terms(db: Database, user: User, name: str, variants: list[str], into: str) -> int:
    """Replace each of ``variants`` by ``into`` on every activity and in the list; how many activities changed."""
    require(user, Role.EDITOR, "change the managed lists")
    _list_name(name)
    if into not in variants:
        raise ValidationFailed([FieldError("Term", f"'{into}' is not one of the terms merged")])
    others = [v for v in variants if v != into]
    with db.transaction() as con:
        if name == "business_functions":
            ids = [int(r[0]) for r in con.execute(
                "SELECT id FROM activities WHERE list_contains(?, business_function)", [others]).fetchall()]

            def change(activity: Activity) -> dict[str, Any]:
                return {"business_function": into}
        else:
            ids = [int(r[0]) for r in con.execute(
                "SELECT id FROM activities WHERE list_has_any(systems, ?)", [others]).fetchall()]

            def change(activity: Activity) -> dict[str, Any]:
                return {"systems": list(dict.fromkeys(into if s in others else s for s in activity.systems))}
        changed = _rewrite(con, user, ids, change, f"{TERM_LISTS[name].lower()} {', '.join(others)} merged "
                                                   f"into '{into}'")
        con.execute("DELETE FROM managed_terms WHERE list = ? AND list_contains(?, term)", [name, others])
        con.execute("INSERT INTO managed_terms SELECT ?, ? WHERE NOT EXISTS "
                    "(SELECT 1 FROM managed_terms WHERE list = ? AND term = ?)", [name, into, name, into])
        audit.record(con, user, "update", "term", None, before={"list": name, "terms": variants},
                     after={"list": name, "term": into}, detail=f"{len(changed)} activities changed")
    return len(changed)
