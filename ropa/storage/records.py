"""One stored record by its id, or the register's one-line "there is none": shared by the entity and vendor stores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ropa.errors import NotFound
from ropa.storage.database import Connection, Database

Record = TypeVar("Record")


def one_by_id(db: Database, load: Callable[[Connection, str, list[Any]], list[Record]], record_id: int,
              kind: str) -> Record:
    """The record ``load`` finds with this id; ``NotFound`` naming the ``kind`` when there is none."""
    with db.connect() as con:
        found = load(con, "id = ?", [record_id])
    if not found:
        raise NotFound(f"There is no {kind} with id {record_id}.")
    return found[0]
