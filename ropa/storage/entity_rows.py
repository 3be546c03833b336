"""Entities as stored rows, not validated models: for the JSON export and the group tree.

They were validated on the way in; building the models needs pydantic and the
reference data, which cost a JSON export from the command line a fifth of its
time before it read a row. A row's ``content()`` is ``Entity.content()``
(a test holds them equal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ropa.storage.database import Connection, Database

ENTITY_FIELDS: tuple[str, ...] = (
    "id", "name", "kind", "parent_id", "company_number", "ico_registration", "country", "address", "email",
    "phone", "dpo_required", "dpo_name", "dpo_email", "dpo_phone", "representative_name",
    "representative_contact", "regime", "fee_exemption", "art30_5_reliance", "notes", "archived", "version",
    "created_at", "updated_at",
)
"""The fields of ``ropa.models.Entity``, in its order (a test holds them equal)."""

_BOOKKEEPING = frozenset({"id", "version", "created_at", "updated_at"})


@dataclass(frozen=True, slots=True)
class EntityRow:
    """One stored entity: what the export's ordering, scope and document read of it."""

    id: int
    name: str
    parent_id: int | None
    archived: bool
    values: dict[str, Any]

    def content(self) -> dict[str, Any]:
        """The entity's fields without its bookkeeping, as JSON values."""
        return {k: v for k, v in self.values.items() if k not in _BOOKKEEPING}


def load_entity_rows(con: Connection) -> list[EntityRow]:
    """Every entity, archived ones included, by id."""
    rows = con.execute(f"SELECT {', '.join(ENTITY_FIELDS)} FROM entities ORDER BY id").fetchall()
    entities = []
    for row in rows:
        values = dict(zip(ENTITY_FIELDS, row, strict=True))
        entities.append(EntityRow(int(values["id"]), values["name"], values["parent_id"], bool(values["archived"]),
                                  values))
    return entities


def descendant_ids(db_or_con: Database | Connection, entity_id: int) -> list[int]:
    """The entity and every subsidiary below it, however deep."""
    sql = """
        WITH RECURSIVE tree(id) AS (
            SELECT id FROM entities WHERE id = ?
            UNION
            SELECT e.id FROM entities e JOIN tree t ON e.parent_id = t.id
        ) SELECT id FROM tree ORDER BY id
    """
    rows = (db_or_con.rows(sql, [entity_id]) if isinstance(db_or_con, Database)
            else db_or_con.execute(sql, [entity_id]).fetchall())
    return [int(r[0]) for r in rows]
