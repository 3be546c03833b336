"""Portable snapshots of the register (JSON) and all-or-nothing restore.

A backup holds every table except the migration ledger, as rows keyed by
column name, plus the schema version it came from. Restore validates
entities and activities through the same models as the forms, replaces the
register in one transaction, and is itself audited. The audit trail is
append-only: restore never rewrites it. Into an empty register the backup's
trail is copied so history survives a move to a new machine.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ropa.auth import Role, User, require
from ropa.errors import RopaError, ValidationFailed
from ropa.models import parse_activity, parse_entity
from ropa.reference import load_reference
from ropa.storage import audit
from ropa.storage.database import Connection, Database, utcnow
from ropa.storage.migrations import RETIRED_TABLES

FORMAT = "ropa-backup"
FORMAT_VERSION = 1
_NOT_BACKED_UP = {"schema_migrations"}
_REGISTER_TABLES = ("entities", "activities", "recipients", "transfers")
_SEQUENCES = {"entities": "entity_id_seq", "activities": "activity_id_seq", "audit_log": "audit_id_seq"}


def _tables(con: Connection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_type = 'BASE TABLE' ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows if r[0] not in _NOT_BACKED_UP]


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a backup")


def snapshot_register(db: Database) -> dict[str, Any]:
    """Everything in the register as one JSON-ready document, read in one transaction."""
    with db.transaction() as con:
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in _tables(con):
            cursor = con.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description or []]
            tables[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        migrations = [r[0] for r in con.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at_utc": utcnow().isoformat(),
        "reference_version": load_reference().meta.version,
        "migrations": migrations,
        "tables": tables,
    }


def backup(db: Database, out: str | Path) -> dict[str, Any]:
    """Write a snapshot to ``out`` (gzip if it ends in .gz); returns counts and the file's SHA-256."""
    document = snapshot_register(db)
    data = json.dumps(document, ensure_ascii=False, default=_json_default, indent=1).encode("utf-8")
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = gzip.compress(data) if path.suffix == ".gz" else data
    path.write_bytes(payload)
    return {"path": str(path), "sha256": hashlib.sha256(payload).hexdigest(),
            "tables": {name: len(rows) for name, rows in document["tables"].items()}}


def read_backup(path: str | Path) -> dict[str, Any]:
    """Parse and sanity-check a backup file; raises RopaError with a clear reason."""
    file = Path(path)
    if not file.is_file():
        raise RopaError(f"There is no backup file at {file}.")
    raw = file.read_bytes()
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        document = json.loads(raw.decode("utf-8"))
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError):
        raise RopaError(f"{file.name} is not a register backup (it is not readable JSON).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RopaError(f"{file.name} is not a register backup (missing format marker).")
    if document.get("format_version") != FORMAT_VERSION:
        raise RopaError(f"{file.name} has backup format {document.get('format_version')}; "
                        f"this version reads format {FORMAT_VERSION}.")
    if not isinstance(document.get("tables"), dict):
        raise RopaError(f"{file.name} holds no tables.")
    return document


def _validate(document: dict[str, Any]) -> None:
    """Every entity and activity must pass the same validation as the forms."""
    tables = document["tables"]
    errors = []
    children: dict[str, dict[int, list[dict[str, Any]]]] = {"recipients": {}, "transfers": {}}
    for name in children:
        for row in tables.get(name, []):
            clean = {k: v for k, v in row.items() if k not in ("activity_id", "position")}
            children[name].setdefault(row["activity_id"], []).append(clean)
    for row in tables.get("entities", []):
        try:
            parse_entity(row)
        except ValidationFailed as error:
            errors.append(f"entity {row.get('id')}: {error}")
    for row in tables.get("activities", []):
        data = {**row, "unmapped": json.loads(row.get("unmapped") or "{}"),
                "recipients": children["recipients"].get(row["id"], []),
                "transfers": children["transfers"].get(row["id"], [])}
        try:
            parse_activity(data)
        except ValidationFailed as error:
            errors.append(f"activity {row.get('id')}: {error}")
        if len(errors) >= 20:
            break
    if errors:
        raise RopaError("The backup does not validate; nothing was restored: " + " | ".join(errors[:20]))


def _advance_sequence(con: Connection, table: str) -> None:
    sequence = _SEQUENCES[table]
    top = con.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"').fetchall()[0][0]
    current = con.execute(f"SELECT nextval('{sequence}')").fetchall()[0][0]
    if top >= current:
        con.execute(f"SELECT max(nextval('{sequence}')) FROM range(?)", [int(top - current) + 1])


def _insert_rows(con: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    import pyarrow as pa

    names = [d[0] for d in con.execute(f'SELECT * FROM "{table}" LIMIT 0').description or []]
    unknown = set(rows[0]) - set(names)
    if unknown:
        raise RopaError(f"The backup's table {table} has columns this version does not know: {sorted(unknown)}")
    arrow = pa.Table.from_pylist(rows)
    con.register("restore_rows", arrow)
    try:
        columns = ", ".join(f'"{c}"' for c in rows[0])
        con.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM restore_rows')
    finally:
        con.unregister("restore_rows")


def restore(db: Database, user: User, path: str | Path) -> dict[str, int]:
    """Replace the register with a backup, all or nothing; audited with the file's SHA-256."""
    require(user, Role.ADMIN, "restore a backup")
    document = read_backup(path)
    own = set(db.applied_migrations())
    newer = [m for m in document.get("migrations", []) if m not in own]
    if newer:
        raise RopaError(f"The backup comes from a newer version (migrations {newer}); upgrade first.")
    _validate(document)
    tables: dict[str, list[dict[str, Any]]] = {
        name: rows for name, rows in document["tables"].items() if rows or name not in RETIRED_TABLES}
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    with db.transaction() as con:
        present = set(_tables(con))
        missing = [t for t in tables if t not in present]
        if missing:
            raise RopaError(f"The backup has tables this register lacks: {missing}")
        had_history = con.execute("SELECT count(*) FROM audit_log").fetchall()[0][0] > 0
        for table in present - {"audit_log"}:
            con.execute(f'DELETE FROM "{table}"')
        for table, rows in tables.items():
            if table == "audit_log" and had_history:
                continue
            _insert_rows(con, table, rows)
        for table in _SEQUENCES:
            _advance_sequence(con, table)
        counts = {t: len(tables.get(t, [])) for t in _REGISTER_TABLES}
        audit.record(con, user, "restore", "register", None,
                     detail=f"restored {Path(path).name} sha256={digest} "
                            + ", ".join(f"{k}={v}" for k, v in counts.items()),
                     after={"file": Path(path).name, "sha256": digest, **counts})
    return counts
