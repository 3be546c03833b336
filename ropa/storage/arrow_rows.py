"""New rows written through Arrow: one ``INSERT ... SELECT`` per table, whatever the number of rows.

``executemany`` runs one statement per row, about half a millisecond each;
a batch of entities or activities and their audit rows goes in as tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import pyarrow as pa

from ropa.storage.database import Connection

AUDIT_SCHEMA = pa.schema([("at_utc", pa.timestamp("us")), ("actor", pa.string()), ("action", pa.string()),
                          ("record_type", pa.string()), ("record_id", pa.int32()), ("entity_id", pa.int32()),
                          ("version", pa.int32()), ("before", pa.string()), ("after", pa.string()),
                          ("detail", pa.string())])


def creation_audit(now: datetime, actor: str, record_type: str, ids: Sequence[int], entity_ids: Sequence[int],
                   afters: Sequence[str], detail: str) -> pa.Table:
    """The audit rows of new records (action 'create', version 1, nothing before), one per id."""
    n = len(ids)
    return pa.Table.from_arrays(
        [pa.array([now] * n, AUDIT_SCHEMA.field("at_utc").type), pa.array([actor] * n, pa.string()),
         pa.array(["create"] * n, pa.string()), pa.array([record_type] * n, pa.string()),
         pa.array(ids, pa.int32()), pa.array(entity_ids, pa.int32()), pa.array([1] * n, pa.int32()),
         pa.nulls(n, pa.string()), pa.array(afters, pa.string()), pa.array([detail] * n, pa.string())],
        schema=AUDIT_SCHEMA)


def insert_tables(con: Connection, tables: Mapping[str, pa.Table]) -> None:
    """``INSERT ... SELECT`` each Arrow table into the table of its name: one statement per table.

    Through a relation, not ``con.register``: a registered view, even
    unregistered, keeps its Arrow table alive until the transaction commits
    (6 MB per 2,000 activities, 150 MB of an insert of 50,000).
    """
    for name, table in tables.items():
        view = f"new_{name}"
        con.from_arrow(table).query(view, f"INSERT INTO {name} BY NAME SELECT * FROM {view}")
