"""Portable snapshots of the register (JSON) and all-or-nothing restore.

A backup holds every table except the migration ledger, as rows keyed by
column name, plus the schema version it came from. Taking one is audited.

Restore checks the whole file before it changes anything: the file is read
within a size bound (a gzip may not inflate past ``MAX_BACKUP_BYTES``), its
rows are loaded into a private in-memory database built with the backup's own
migrations (so every table must be there, every value has its column's type,
every id is unique), the rest of the migrations bring it to this version, the
references between tables must resolve, and entities, activities and
accepted risks pass the same validation as the forms. Only then is the
register replaced, in one transaction, audited with the file's SHA-256.

The audit trail and the export log are append-only accountability records:
restore keeps them. Into a register that has none, the backup's own come
along with their ids, and the restore's audit row follows the last of them
with no gap.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from ropa.auth import Role, User, require
from ropa.errors import BackupRefused, FieldError, RopaError, ValidationFailed
from ropa.models import parse_activity, parse_entity
from ropa.reference import load_reference
from ropa.storage import audit
from ropa.storage.database import Connection, Database, utcnow
from ropa.storage.migrations import MIGRATIONS

FORMAT = "ropa-backup"
FORMAT_VERSION = 1
MAX_BACKUP_BYTES = 512 * 1024 * 1024
"""Largest backup accepted, unpacked: ten times a 10,000-activity register (about 46 MB of JSON)."""
_NOT_BACKED_UP = {"schema_migrations"}
_TRAILS = ("audit_log", "export_log", "import_log")
_REGISTER_TABLES = ("entities", "activities", "recipients", "transfers")
_MAX_REPORTED = 20
AcceptanceCheck = Callable[[str, int | None, int | None, str, str, date, date], list[FieldError]]
"""What is wrong with one accepted risk (rule, activity id, entity id, subject, justification, expires on, as of).

The rule catalogue it needs sits above storage, so the domain hands the check
in (``ropa.backups.restore``) and storage stays below the analysis.
"""
_REFERENCES = (
    # (table, column, referenced table, what a reader calls the link)
    ("entities", "parent_id", "entities", "parent entity"),
    ("activities", "entity_id", "entities", "entity"),
    ("recipients", "activity_id", "activities", "activity"),
    ("transfers", "activity_id", "activities", "activity"),
    ("accepted_findings", "activity_id", "activities", "activity"),
    ("accepted_findings", "entity_id", "entities", "entity"),
    ("recipients", "vendor_id", "vendors", "vendor"),
    ("transfers", "vendor_id", "vendors", "vendor"),
)


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


def _snapshot(con: Connection) -> dict[str, Any]:
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


def snapshot_register(db: Database) -> dict[str, Any]:
    """Everything in the register as one JSON-ready document, read in one transaction."""
    with db.transaction() as con:
        return _snapshot(con)


def backup(db: Database, user: User, out: str | Path) -> dict[str, Any]:
    """Write a snapshot to ``out`` (gzip if it ends in .gz), audited; returns counts and the file's SHA-256.

    The snapshot, the file and the audit row are one unit: if the audit row
    cannot be written the file is removed, so no backup leaves unrecorded.
    """
    require(user, Role.ADMIN, "take a backup of the register")
    path = Path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RopaError(f"The folder {path.parent} for the backup cannot be made: {error.strerror or error}.") from None
    partial = path.with_name(path.name + ".partial")
    try:
        with db.transaction() as con:
            document = _snapshot(con)
            data = json.dumps(document, ensure_ascii=False, default=_json_default, indent=1).encode("utf-8")
            payload = gzip.compress(data) if path.suffix == ".gz" else data
            try:
                partial.write_bytes(payload)
            except OSError as error:
                raise RopaError(f"The backup file {path} could not be written: {error.strerror or error}; "
                                "the register is unchanged.") from None
            digest = hashlib.sha256(payload).hexdigest()
            counts = {name: len(rows) for name, rows in document["tables"].items()}
            audit.record(con, user, "backup", "register", None,
                         detail=f"backup {path.name} sha256={digest} "
                                + ", ".join(f"{t}={counts.get(t, 0)}" for t in _REGISTER_TABLES),
                         after={"file": path.name, "sha256": digest, "bytes": len(payload), **counts})
        os.replace(partial, path)
    finally:
        with suppress(OSError):
            partial.unlink(missing_ok=True)
    return {"path": str(path), "sha256": digest, "tables": counts}


# -- reading a backup, within bounds -------------------------------------------------------------

def _too_big(name: str) -> BackupRefused:
    return BackupRefused(f"{name} unpacks to more than {MAX_BACKUP_BYTES // 1_048_576:,} MB, far more than "
                         "a register backup holds; it was not read and nothing was restored.")


def _bounded_bytes(file: Path) -> bytes:
    """The file's content, gunzipped if it is a gzip, refused before it can grow past the bound."""
    if file.stat().st_size > MAX_BACKUP_BYTES:
        raise _too_big(file.name)
    with file.open("rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    if not gzipped:
        return file.read_bytes()
    # First count what it unpacks to, holding one megabyte at a time; only then unpack it for real.
    unpacked = 0
    with gzip.open(file, "rb") as stream:
        while block := stream.read(1 << 20):
            unpacked += len(block)
            if unpacked > MAX_BACKUP_BYTES:
                raise _too_big(file.name)
    with gzip.open(file, "rb") as stream:
        return stream.read()


def read_backup(path: str | Path) -> dict[str, Any]:
    """Parse and sanity-check a backup file; raises ``BackupRefused`` with a clear reason."""
    file = Path(path)
    if not file.is_file():
        raise BackupRefused(f"There is no backup file at {file}.")
    try:
        document = json.loads(_bounded_bytes(file).decode("utf-8"))
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise BackupRefused(f"{file.name} is not a register backup (it is not readable JSON).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupRefused(f"{file.name} is not a register backup (missing format marker).")
    if document.get("format_version") != FORMAT_VERSION:
        raise BackupRefused(f"{file.name} has backup format {document.get('format_version')}; "
                            f"this version reads format {FORMAT_VERSION}.")
    if not isinstance(document.get("tables"), dict):
        raise BackupRefused(f"{file.name} holds no tables.")
    migrations = document.get("migrations")
    if not isinstance(migrations, list) or not all(isinstance(m, str) for m in migrations):
        raise BackupRefused(f"{file.name} does not say which schema version it comes from (no migrations list).")
    known = {name for name, _ in MIGRATIONS}
    newer = [m for m in migrations if m not in known]
    if newer:
        raise BackupRefused(f"The backup comes from a newer version (migrations {newer}); upgrade first.")
    return document


# -- checking a backup in a private database -----------------------------------------------------

def _refuse(problems: list[str]) -> BackupRefused:
    shown = " | ".join(problems[:_MAX_REPORTED])
    more = f" (and {len(problems) - _MAX_REPORTED:,} more)" if len(problems) > _MAX_REPORTED else ""
    return BackupRefused(f"The backup does not validate; nothing was restored: {shown}{more}")


def _load_table(stage: Connection, table: str, rows: object) -> None:
    """Rows into the staging table: DuckDB enforces each column's type, NOT NULL and unique ids."""
    import pyarrow as pa

    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise _refuse([f"table {table} is not a list of rows"])
    if not rows:
        return
    names = [d[0] for d in stage.execute(f'SELECT * FROM "{table}" LIMIT 0').description or []]
    fields = list(rows[0])
    unknown = sorted(set(fields) - set(names))
    if unknown:
        raise _refuse([f"table {table} has columns this version does not know: {unknown}"])
    uneven = next((i for i, r in enumerate(rows) if list(r) != fields), None)
    if uneven is not None:
        raise _refuse([f"row {uneven + 1} of table {table} does not have the same columns as row 1"])
    try:
        arrow = pa.table({f: [r[f] for r in rows] for f in fields})
    except (pa.ArrowException, TypeError, ValueError, OverflowError) as error:
        raise _refuse([f"table {table} mixes types in a column: {' '.join(str(error).split())[:200]}"]) from None
    stage.register("backup_rows", arrow)
    try:
        columns = ", ".join(f'"{c}"' for c in fields)
        stage.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM backup_rows')
    except duckdb.Error as error:
        raise _refuse([f"table {table} does not load: {' '.join(str(error).split())[:300]}"]) from None
    finally:
        stage.unregister("backup_rows")


def _dangling(stage: Connection, tables: set[str]) -> list[str]:
    problems = []
    for table, column, target, link in _REFERENCES:
        if table not in tables or target not in tables:
            continue
        missing = stage.execute(
            f'SELECT DISTINCT t."{column}" FROM "{table}" t WHERE t."{column}" IS NOT NULL AND NOT EXISTS '
            f'(SELECT 1 FROM "{target}" r WHERE r.id = t."{column}") ORDER BY 1 LIMIT 10').fetchall()
        if missing:
            ids = ", ".join(str(r[0]) for r in missing)
            problems.append(f"{table} point to {link} ids that are not in the backup: {ids}")
    return problems


def _dicts(stage: Connection, sql: str) -> list[dict[str, Any]]:
    cursor = stage.execute(sql)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _invalid_records(stage: Connection, acceptance_problems: AcceptanceCheck) -> list[str]:
    """Entities, activities and accepted risks through the validation the forms and the Gaps page use."""
    problems: list[str] = []
    for row in _dicts(stage, "SELECT * FROM entities ORDER BY id"):
        try:
            parse_entity(row)
        except ValidationFailed as error:
            problems.append(f"entity {row.get('id')}: {error}")
    children: dict[str, dict[int, list[dict[str, Any]]]] = {"recipients": {}, "transfers": {}}
    for table, grouped in children.items():
        for row in _dicts(stage, f"SELECT * EXCLUDE (position) FROM {table} ORDER BY activity_id, position"):
            grouped.setdefault(row.pop("activity_id"), []).append(row)
    for row in _dicts(stage, "SELECT * FROM activities ORDER BY id"):
        data = {**row, "unmapped": json.loads(row.get("unmapped") or "{}"),
                "recipients": children["recipients"].get(row["id"], []),
                "transfers": children["transfers"].get(row["id"], [])}
        try:
            parse_activity(data)
        except (ValidationFailed, json.JSONDecodeError) as error:
            problems.append(f"activity {row['id']}: {error}")
        if len(problems) > _MAX_REPORTED:
            return problems
    for number, rule, activity_id, entity_id, subject, justification, expires_on, accepted_at in stage.execute(
            "SELECT id, rule, activity_id, entity_id, subject, justification, expires_on, accepted_at "
            "FROM accepted_findings ORDER BY id").fetchall():
        # Checked as on the day it was given: an acceptance that has expired since is still a valid record.
        found = acceptance_problems(rule, activity_id, entity_id, subject, justification, expires_on,
                                    accepted_at.date())
        if found:
            problems.append(f"accepted risk {number}: " + "; ".join(str(p) for p in found))
    return problems


@contextmanager
def _staged(document: dict[str, Any], acceptance_problems: AcceptanceCheck) -> Iterator[Connection]:
    """The backup loaded into a private in-memory database, brought to this version and checked."""
    stage = duckdb.connect(":memory:")
    try:
        own = set(document["migrations"])
        for name, sql in MIGRATIONS:
            if name in own:
                stage.execute(sql)
        expected = set(_tables(stage))
        given: dict[str, object] = document["tables"]
        lacking = sorted(expected - set(given))
        if lacking:
            raise _refuse([f"the backup lacks the tables {lacking}, which its own schema version has"])
        extra = sorted(set(given) - expected)
        if extra:
            raise _refuse([f"the backup has tables its schema version does not: {extra}"])
        for table in sorted(expected):
            _load_table(stage, table, given[table])
        for name, sql in MIGRATIONS:
            if name not in own:
                stage.execute(sql)
        problems = _dangling(stage, set(_tables(stage))) or _invalid_records(stage, acceptance_problems)
        if problems:
            raise _refuse(problems)
        yield stage
    finally:
        stage.close()


# -- replacing the register ----------------------------------------------------------------------

def _advance_sequences(con: Connection) -> None:
    """Every id sequence continues after the highest id now in its table, consuming no number twice or in vain.

    ``last_value`` is read from the catalogue rather than by drawing a number,
    so the next audit row is exactly one past the last: no gap that would look
    like a deleted row.
    """
    defaults = con.execute("SELECT table_name, column_name, column_default FROM information_schema.columns "
                           "WHERE table_schema = 'main' AND column_default LIKE 'nextval(%'").fetchall()
    for table, column, default in defaults:
        sequence = default.split("'")[1]
        top = con.execute(f'SELECT coalesce(max("{column}"), 0) FROM "{table}"').fetchall()[0][0]
        start, last = con.execute("SELECT start_value, last_value FROM duckdb_sequences() WHERE sequence_name = ?",
                                  [sequence]).fetchall()[0]
        drawn = last if last is not None else start - 1
        if top > drawn:
            con.execute(f"SELECT max(nextval('{sequence}')) FROM range(?)", [int(top - drawn)])


def _trail_ids(rows: object) -> dict[str, Any]:
    ids = [r.get("id") for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
    numbers = [i for i in ids if isinstance(i, int)]
    return {"rows": len(ids), "first_id": min(numbers, default=None), "last_id": max(numbers, default=None)}


def restore(db: Database, user: User, path: str | Path, *, acceptance_problems: AcceptanceCheck) -> dict[str, int]:
    """Replace the register with a backup, all or nothing; audited with the file's SHA-256.

    ``acceptance_problems`` checks each accepted risk against the rule catalogue (``ropa.backups`` passes
    the Gaps page's own check).
    """
    require(user, Role.ADMIN, "restore a backup")
    document = read_backup(path)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    backup_trail = _trail_ids(document["tables"].get("audit_log"))
    with _staged(document, acceptance_problems) as stage, db.transaction() as con:
        present = set(_tables(con))
        staged = set(_tables(stage))
        if staged != present:
            raise BackupRefused(f"This register's tables differ from this version's ({sorted(present ^ staged)}); "
                                "run 'init' to migrate it first. Nothing was restored.")
        kept = {t for t in _TRAILS if t in present
                and con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] > 0}
        for table in sorted(present - set(_TRAILS)):
            con.execute(f'DELETE FROM "{table}"')
        for table in sorted(present - kept):
            rows = stage.sql(f'SELECT * FROM "{table}"').to_arrow_table()
            if rows.num_rows:
                con.register("restore_rows", rows)
                con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM restore_rows')
                con.unregister("restore_rows")
        _advance_sequences(con)
        counts = {t: int(stage.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]) for t in _REGISTER_TABLES}
        span = (f"ids {backup_trail['first_id']}-{backup_trail['last_id']}, {backup_trail['rows']:,} rows"
                if backup_trail["rows"] else "empty")
        trail = (f"kept this register's audit trail; the backup's own ({span}) stays in the file" if "audit_log" in kept
                 else f"copied the backup's audit trail ({span}) with its ids")
        audit.record(con, user, "restore", "register", None,
                     detail=f"restored {Path(path).name} sha256={digest} "
                            + ", ".join(f"{k}={v}" for k, v in counts.items()) + f"; {trail}",
                     after={"file": Path(path).name, "sha256": digest, **counts,
                            "backup_audit_trail": {**backup_trail, "copied": "audit_log" not in kept},
                            "kept": sorted(kept)})
    return counts
