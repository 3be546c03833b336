"""One stored record by its id, or the register's one-line "there is none": shared by the entity and vendor stores."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from ropa.errors import NotFound
from ropa.storage.database import Connection, Database

Record = TypeVar("Record")
Loader = Callable[[Connection, str, list[Any]], list[Record]]


def one_in(con: Connection, load: Loader[Record], record_id: int, kind: str) -> Record:
    """The record ``load`` finds with this id on ``con``; ``NotFound`` naming the ``kind`` when there is none."""
    found = load(con, "id = ?", [record_id])
    if not found:
        raise NotFound(f"There is no {kind} with id {record_id}.")
    return found[0]


def one_by_id(db: Database, load: Loader[Record], record_id: int, kind: str) -> Record:
    """``one_in`` on a connection of its own."""
    with db.connect() as con:
        return one_in(con, load, record_id, kind)


@contextmanager
def editing(db: Database, load: Loader[Record], record_id: int | None, kind: str,
            add: str) -> Iterator[tuple[Connection, Record]]:
    """The transaction of an edit and the stored record it replaces, read in it (to check its version).

    ``NotFound`` when the edited record has no id yet (``add`` says how it gets one) or is gone.
    """
    if record_id is None:
        raise NotFound(f"The {kind} has no id; {add} it first.")
    with db.transaction() as con:
        yield con, one_in(con, load, record_id, kind)
