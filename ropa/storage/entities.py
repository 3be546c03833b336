"""Group entities: the controllers and processors whose records the register holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from ropa.auth import Role, User, require
from ropa.errors import ConflictError, FieldError, NotFound, ValidationFailed
from ropa.models import Entity, parse_entity
from ropa.storage import audit
from ropa.storage.database import Connection, Database, utcnow
from ropa.storage.entity_rows import descendant_ids
from ropa.storage.records import editing, one_by_id

if TYPE_CHECKING:
    import pyarrow as pa

ENTITY_COLUMNS: tuple[str, ...] = tuple(Entity.model_fields)


def _arrow_type(annotation: object) -> pa.DataType:
    """The column type of an entity field (its annotation, ``| None`` or not): numbers, flags, stamps or text."""
    import pyarrow as pa

    if annotation in (int, int | None):
        return pa.int32()
    if annotation in (bool, bool | None):
        return pa.bool_()
    if annotation in (datetime, datetime | None):
        return pa.timestamp("us")
    return pa.string()


@cache
def _entity_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema([(name, _arrow_type(info.annotation)) for name, info in Entity.model_fields.items()])


def _entity_table(entities: Sequence[Entity]) -> pa.Table:
    """The entities as an Arrow table; pyarrow is imported here, so `entity list` starts without it."""
    import pyarrow as pa

    schema = _entity_schema()
    return pa.Table.from_arrays([pa.array([getattr(e, f.name) for e in entities], f.type) for f in schema],
                                schema=schema)


def _load(con: Connection, where: str = "TRUE", params: list[Any] | None = None) -> list[Entity]:
    cursor = con.execute(f"SELECT {', '.join(ENTITY_COLUMNS)} FROM entities WHERE {where} ORDER BY id", params or [])
    return [Entity.model_validate(dict(zip(ENTITY_COLUMNS, row, strict=True))) for row in cursor.fetchall()]


def list_entities(db: Database, *, include_archived: bool = False) -> list[Entity]:
    with db.connect() as con:
        return _load(con, "TRUE" if include_archived else "NOT archived")


def get_entity(db: Database, entity_id: int) -> Entity:
    return one_by_id(db, _load, entity_id, "entity")


def find_entity(db: Database, name_or_id: str) -> Entity:
    """An entity by id or by legal name (case-insensitive), for the CLI's --entity."""
    with db.connect() as con:
        found = _load(con, "CAST(id AS VARCHAR) = ? OR lower(name) = lower(?)", [name_or_id, name_or_id])
    if not found:
        raise NotFound(f"There is no entity named '{name_or_id}'.")
    return found[0]


def _check_parent(con: Connection, entity: Entity) -> None:
    if entity.parent_id is None:
        return
    if not con.execute("SELECT 1 FROM entities WHERE id = ?", [entity.parent_id]).fetchall():
        raise ValidationFailed([FieldError("Parent entity", f"there is no entity with id {entity.parent_id}")])
    if entity.id is not None and entity.parent_id in descendant_ids(con, entity.id):
        raise ValidationFailed([FieldError("Parent entity", "would make the group structure circular")])


def _check_name(con: Connection, entity: Entity) -> None:
    clash = con.execute("SELECT id FROM entities WHERE lower(name) = lower(?) AND id IS DISTINCT FROM ?",
                        [entity.name, entity.id]).fetchall()
    if clash:
        raise ValidationFailed([FieldError("Name", f"an entity named '{entity.name}' already exists")])


def reserve_entity_ids(con: Connection, count: int) -> list[int]:
    """Ids for entities about to be inserted together, so children can name parents of the same batch."""
    rows = con.execute("SELECT nextval('entity_id_seq') FROM range(?)", [count]).fetchall()
    return [int(r[0]) for r in rows]


def insert_entity(con: Connection, user: User, entity: Entity, *, detail: str = "") -> Entity:
    """Insert inside a caller's transaction (demo build, restore)."""
    return insert_entities(con, user, [entity], detail=detail)[0]


def _check_batch(con: Connection, entities: Sequence[Entity]) -> None:
    """The checks of ``_check_name`` and ``_check_parent`` for a batch of new entities, in two queries."""
    seen: set[str] = set()
    for entity in entities:
        if entity.name.lower() in seen:
            raise ValidationFailed([FieldError("Name", f"an entity named '{entity.name}' already exists")])
        seen.add(entity.name.lower())
    taken = {str(r[0]) for r in con.execute(
        "SELECT lower(name) FROM entities WHERE list_contains(?, lower(name)) AND NOT list_contains(?, id)",
        [sorted(seen), [e.id for e in entities if e.id is not None]]).fetchall()}
    for entity in entities:
        if entity.name.lower() in taken:
            raise ValidationFailed([FieldError("Name", f"an entity named '{entity.name}' already exists")])
    batch = {e.id: e.parent_id for e in entities if e.id is not None}
    outside = sorted({e.parent_id for e in entities if e.parent_id is not None and e.parent_id not in batch})
    stored = {int(r[0]) for r in con.execute("SELECT id FROM entities WHERE list_contains(?, id)",
                                             [outside]).fetchall()}
    for entity in entities:
        if entity.parent_id is not None and entity.parent_id not in batch and entity.parent_id not in stored:
            raise ValidationFailed([FieldError("Parent entity", f"there is no entity with id {entity.parent_id}")])
    # New ids are nobody's parent outside the batch, so a circle can only close inside it.
    for start in batch:
        node, steps = batch[start], 0
        while node in batch and steps <= len(batch):
            if node == start:
                raise ValidationFailed([FieldError("Parent entity", "would make the group structure circular")])
            node, steps = batch[node], steps + 1


def insert_entities(con: Connection, user: User, entities: Sequence[Entity], *, detail: str = "") -> list[Entity]:
    """Insert new entities and their audit rows inside a caller's transaction, a statement per table.

    An entity without an id gets the next one; a batch whose children name
    parents of the same batch takes its ids from ``reserve_entity_ids`` first.
    """
    if not entities:
        return []
    fresh = iter(reserve_entity_ids(con, sum(1 for e in entities if e.id is None)))
    now = utcnow()
    stored = [e.model_copy(update={"id": e.id or next(fresh), "version": 1, "created_at": now, "updated_at": now})
              for e in entities]
    _check_batch(con, stored)
    from ropa.storage.arrow_rows import creation_audit, insert_tables  # with pyarrow, only when writing

    ids = [e.id or 0 for e in stored]
    insert_tables(con, {
        "entities": _entity_table(stored),
        "audit_log": creation_audit(
            now, user.email, "entity", ids, ids,
            [audit.text_of(e.content()) for e in stored], detail),
    })
    return stored


def create_entity(db: Database, user: User, entity: Entity) -> Entity:
    require(user, Role.ADMIN, "add entities")
    with db.transaction() as con:
        return insert_entity(con, user, entity)


def update_entity(db: Database, user: User, entity: Entity, expected_version: int, *, action: str = "update") -> Entity:
    """Save an edited entity; refused if someone saved it since ``expected_version``."""
    require(user, Role.ADMIN, "edit entities")
    with editing(db, _load, entity.id, "entity", "create") as (con, current):
        if current.version != expected_version:
            base = audit.snapshot(con, "entity", current.id or 0, expected_version) or {}
            changes = {c.field: (c.before, c.after) for c in audit.diff(base, current.content())}
            at = current.updated_at.isoformat(sep=" ", timespec="seconds") if current.updated_at else "?"
            last = con.execute("SELECT actor FROM audit_log WHERE record_type='entity' AND record_id=? "
                               "ORDER BY id DESC LIMIT 1", [current.id]).fetchall()
            raise ConflictError(f"Entity '{current.name}'", expected_version, current.version,
                                last[0][0] if last else "?", f"{at} UTC", changes)
        if entity.content() == current.content():
            return current
        _check_name(con, entity)
        _check_parent(con, entity)
        now = utcnow()
        stored = entity.model_copy(update={"version": current.version + 1, "created_at": current.created_at,
                                           "updated_at": now})
        columns = [c for c in ENTITY_COLUMNS if c not in ("id", "created_at")]
        con.execute(
            f"UPDATE entities SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ? AND version = ?",
            [getattr(stored, c) for c in columns] + [current.id, current.version],
        )
        audit.record(con, user, action, "entity", stored.id, entity_id=stored.id, version=stored.version,
                     before=current.content(), after=stored.content(), at=now)
        return stored


def set_entity_archived(db: Database, user: User, entity_id: int, expected_version: int, archived: bool) -> Entity:
    current = get_entity(db, entity_id)
    changed = parse_entity({**current.model_dump(), "archived": archived})
    return update_entity(db, user, changed, expected_version, action="archive" if archived else "restore")
