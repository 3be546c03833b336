"""Backup and restore: a portable snapshot that comes back whole, or not at all."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ropa.backups import backup, restore
from ropa.errors import BackupRefused, PermissionDenied, RopaError
from ropa.export import ExportOptions, export_register
from ropa.models import Entity
from ropa.storage.activities import create_activity, load_activities
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity
from tests.factories import DPO, EDITOR, make_activity, make_entity, make_transfer

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when


def _activities(db: Database) -> list[dict[str, object]]:
    with db.connect() as con:
        return [a.model_dump() for a in load_activities(con)]


@pytest.mark.parametrize("name", ["snapshot.json", "snapshot.json.gz"])
def test_backup_then_restore_into_a_new_register_is_lossless(db: Database, entity: Entity, tmp_path: Path,
                                                             name: str) -> None:
    create_activity(db, EDITOR, make_activity(entity.id, transfers=[make_transfer()], unmapped={"Purpose": "x"},
                                              purpose='=HYPERLINK("http://x")'))
    create_activity(db, EDITOR, make_activity(entity.id, name="Bare", recipients=[], lawful_bases=[]))
    result = backup(db, DPO, tmp_path / name)
    assert result["tables"]["activities"] == 2
    fresh = open_database(tmp_path / "fresh.duckdb")
    counts = restore(fresh, DPO, tmp_path / name)
    assert counts["activities"] == 2 and _activities(fresh) == _activities(db)
    # History came along, then the restore itself was audited.
    actions = [r[0] for r in fresh.rows("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["create", "create", "create", "restore"]
    # New records after a restore get fresh ids.
    new = create_activity(fresh, EDITOR, make_activity(entity.id, name="After restore"))
    assert new.id not in {a["id"] for a in _activities(db)}


def test_restore_over_a_changed_register_keeps_its_audit_trail(db: Database, entity: Entity, tmp_path: Path) -> None:
    create_activity(db, EDITOR, make_activity(entity.id))
    backup(db, DPO, tmp_path / "b.json")
    create_activity(db, EDITOR, make_activity(entity.id, name="Added later"))
    restore(db, DPO, tmp_path / "b.json")
    assert [a["name"] for a in _activities(db)] == ["Customer billing"]
    assert [r[0] for r in db.rows("SELECT action FROM audit_log ORDER BY id")] == ["create", "create", "backup",
                                                                                   "create", "restore"]


def _corrupt(path: Path, tables: dict[str, object]) -> None:
    path.write_text(json.dumps({"format": "ropa-backup", "format_version": 1, "migrations": [], "tables": tables}))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"not json at all", "is not a register backup (it is not readable JSON)", id="not-json"),
        pytest.param(b'{"hello": 1}', "missing format marker", id="foreign-json"),
        pytest.param(gzip.compress(b"\xff\xfe"), "is not readable JSON", id="gzip-garbage"),
        pytest.param(b'{"format": "ropa-backup", "format_version": 9, "tables": {}}', "format 9", id="future-format"),
    ],
)
def test_a_bad_backup_file_is_refused_with_a_clear_message(db: Database, entity: Entity, tmp_path: Path,
                                                          content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(RopaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        restore(db, DPO, path)
    assert db.rows("SELECT count(*) FROM entities")[0][0] == 1


def test_an_invalid_record_in_a_backup_restores_nothing(db: Database, entity: Entity, tmp_path: Path) -> None:
    create_activity(db, EDITOR, make_activity(entity.id))
    backup(db, DPO, tmp_path / "b.json")
    document = json.loads((tmp_path / "b.json").read_text())
    document["tables"]["activities"][0]["lawful_bases"] = ["made_up"]
    (tmp_path / "b.json").write_text(json.dumps(document))
    other = open_database(tmp_path / "other.duckdb")
    with pytest.raises(RopaError, match="does not validate; nothing was restored.*unknown lawful basis 'made_up'"):
        restore(other, DPO, tmp_path / "b.json")
    assert other.rows("SELECT count(*) FROM activities")[0][0] == 0


def test_only_an_admin_may_restore(db: Database, tmp_path: Path) -> None:
    backup(db, DPO, tmp_path / "b.json")
    with pytest.raises(PermissionDenied):
        restore(db, EDITOR, tmp_path / "b.json")


def test_a_missing_backup_file_is_named(db: Database, tmp_path: Path) -> None:
    with pytest.raises(RopaError, match="There is no backup file"):
        restore(db, DPO, tmp_path / "nowhere.json")


def test_a_backup_from_before_the_settings_table_was_dropped_still_restores(db: Database, entity: Entity,
                                                                            tmp_path: Path) -> None:
    create_activity(db, EDITOR, make_activity(entity.id))
    path = tmp_path / "old.json"
    backup(db, DPO, path)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["tables"]["settings"] = []
    document["migrations"] = [m for m in document["migrations"] if m != "0010_drop_settings"]
    path.write_text(json.dumps(document), encoding="utf-8")
    fresh = open_database(tmp_path / "fresh.duckdb")
    assert restore(fresh, DPO, path)["activities"] == 1
    assert "settings" not in {name for (name,) in fresh.rows("SELECT table_name FROM information_schema.tables")}


# -- taking a backup is audited -------------------------------------------------------------------

def test_taking_a_backup_is_audited_with_the_file_and_its_sha256(db: Database, entity: Entity,
                                                                 tmp_path: Path) -> None:
    result = backup(db, DPO, tmp_path / "b.json.gz")
    actor, action, detail, after = db.rows("SELECT actor, action, detail, after FROM audit_log ORDER BY id DESC "
                                           "LIMIT 1")[0]
    assert (actor, action) == (DPO.email, "backup")
    assert result["sha256"] == hashlib.sha256((tmp_path / "b.json.gz").read_bytes()).hexdigest()
    assert f"sha256={result['sha256']}" in detail and json.loads(after)["entities"] == 1
    assert not list(tmp_path.glob("*.partial"))


def test_only_an_admin_may_take_a_backup_and_a_refused_one_leaves_no_file(db: Database, tmp_path: Path) -> None:
    with pytest.raises(PermissionDenied, match="may not take a backup"):
        backup(db, EDITOR, tmp_path / "b.json")
    assert not list(tmp_path.glob("b.json*")) and db.rows("SELECT count(*) FROM audit_log") == [(0,)]


# -- restore checks the whole backup before it changes anything -----------------------------------

@pytest.fixture(scope="module")
def saved_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A register with an activity, an accepted risk and an export, its backup, and an activity added after the
    backup; built once."""
    from ropa.gaps import analyse
    from ropa.gaps.acceptance import accept_finding

    folder = tmp_path_factory.mktemp("saved")
    db = open_database(folder / "register.duckdb")
    entity = create_entity(db, DPO, make_entity())
    activity = create_activity(db, EDITOR, make_activity(entity.id or 0, transfers=[make_transfer()]))
    finding = analyse(db).query("activity_id == @activity.id").iloc[0]
    accept_finding(db, DPO, finding["rule"], activity.id, finding["subject"], "Board accepted it",
                   date.today() + timedelta(days=90))
    export_register(db, DPO, "json", folder / "export.json", ExportOptions(as_of=date(2026, 11, 1)))
    backup(db, DPO, folder / "saved.json")
    create_activity(db, EDITOR, make_activity(entity.id or 0, name="Added after the backup"))
    return db.path, folder / "saved.json"


@pytest.fixture
def saved(saved_template: tuple[Path, Path], tmp_path: Path) -> tuple[Database, Path]:
    """A private copy of that register (changed since the backup) and its backup file."""
    register, saved = saved_template
    shutil.copy(register, tmp_path / "register.duckdb")
    shutil.copy(saved, tmp_path / "saved.json")
    return open_database(tmp_path / "register.duckdb"), tmp_path / "saved.json"


def _edit(path: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    document = json.loads(path.read_text())
    change(document["tables"])
    edited = path.with_name("edited.json")
    edited.write_text(json.dumps(document))
    return edited


def _state(db: Database) -> tuple[object, ...]:
    """The row count of each table, read in one statement (each statement opens the register anew)."""
    counts = ", ".join(f"(SELECT count(*) FROM {t})" for t in (
        "entities", "activities", "recipients", "transfers", "accepted_findings", "audit_log", "export_log"))
    return tuple(db.rows(f"SELECT {counts}")[0])


def _set(table: str, field: str, value: object, row: int = 0) -> Callable[[dict[str, Any]], object]:
    return lambda tables: tables[table][row].__setitem__(field, value)


def _duplicate_activity(tables: dict[str, Any]) -> None:
    tables["activities"].append(dict(tables["activities"][0]))


def _uneven_rows(tables: dict[str, Any]) -> None:
    second = {**tables["activities"][0], "id": 99}
    second.pop("purpose")
    tables["activities"].append(second)


@pytest.mark.parametrize(("change", "message"), [
    pytest.param(lambda t: t.pop("activities"), "the backup lacks the tables ['activities']", id="table-missing"),
    pytest.param(lambda t: t.pop("export_log"), "the backup lacks the tables ['export_log']", id="log-missing"),
    pytest.param(lambda t: t.__setitem__("vendors_of_the_future", []), "tables its schema version does not",
                 id="unknown-table"),
    pytest.param(_set("activities", "entity_id", 999), "activities point to entity ids that are not in the "
                 "backup: 999", id="activity-without-entity"),
    pytest.param(_set("transfers", "activity_id", 777), "transfers point to activity ids that are not in the "
                 "backup: 777", id="transfer-without-activity"),
    pytest.param(_set("accepted_findings", "activity_id", 555), "accepted_findings point to activity ids",
                 id="acceptance-without-activity"),
    pytest.param(_set("accepted_findings", "justification", "  "), "accepted risk 1: Justification: is required",
                 id="acceptance-unjustified"),
    pytest.param(_set("accepted_findings", "rule", "made_up_rule"), "there is no gap rule 'made_up_rule'",
                 id="acceptance-unknown-rule"),
    pytest.param(_duplicate_activity,
                 'table activities does not load: Constraint Error: PRIMARY KEY or UNIQUE constraint violation: '
                 'duplicate key "1"',
                 id="duplicate-id"),
    pytest.param(_set("activities", "version", "three"), "table activities does not load: Conversion Error",
                 id="wrong-type"),
    pytest.param(_set("entities", "name", None), "table entities does not load", id="null-in-not-null"),
    pytest.param(_set("activities", "lawful_bases", ["made_up"]), "unknown lawful basis 'made_up'",
                 id="activity-fails-the-model"),
    pytest.param(_set("entities", "country", "Atlantis"), "entity 1: ", id="entity-fails-the-model"),
    pytest.param(_uneven_rows, "row 2 of table activities does not have the same"
                 " columns as row 1", id="field-missing"),
])
def test_a_backup_that_does_not_hold_together_is_refused_whole_with_the_real_reason(
        saved: tuple[Database, Path], change: Callable[[dict[str, Any]], object], message: str) -> None:
    db, path = saved
    bad = _edit(path, change)
    before = _state(db)
    with pytest.raises(BackupRefused) as caught:
        restore(db, DPO, bad)
    assert message in str(caught.value) and "nothing was restored" in str(caught.value)
    assert "aborted" not in str(caught.value)
    assert _state(db) == before


def test_restore_keeps_the_export_log_and_the_audit_trail_of_the_register(saved: tuple[Database, Path],
                                                                          tmp_path: Path) -> None:
    db, saved_file = saved
    trail = db.rows("SELECT * FROM audit_log ORDER BY id")
    export_register(db, DPO, "json", tmp_path / "later.json", ExportOptions(as_of=date(2026, 11, 1)))
    exports = db.rows("SELECT id, file_name FROM export_log ORDER BY id")
    restore(db, DPO, saved_file)
    assert db.rows("SELECT id, file_name FROM export_log ORDER BY id") == exports and len(exports) == 2
    assert db.rows("SELECT * FROM audit_log ORDER BY id")[:len(trail)] == trail
    assert [r[0] for r in db.rows("SELECT name FROM activities")] == ["Customer billing"]
    assert db.rows("SELECT count(*) FROM accepted_findings") == [(1,)]


def _audit_ids(db: Database) -> list[int]:
    return [int(r[0]) for r in db.rows("SELECT id FROM audit_log ORDER BY id")]


def test_restore_leaves_no_gap_in_the_audit_ids(saved: tuple[Database, Path], tmp_path: Path) -> None:
    db, path = saved
    fresh = open_database(tmp_path / "fresh.duckdb")
    restore(fresh, DPO, path)
    backup_ids = [r["id"] for r in json.loads(path.read_text())["tables"]["audit_log"]]
    ids = _audit_ids(fresh)
    assert ids[:-1] == backup_ids and ids == list(range(1, len(ids) + 1))
    restore(db, DPO, path)  # over a register with its own trail: that trail is kept, the next id follows
    ids = _audit_ids(db)
    assert ids == list(range(1, len(ids) + 1))
    detail, after = db.rows("SELECT detail, after FROM audit_log ORDER BY id DESC LIMIT 1")[0]
    assert f"the backup's own (ids 1-{backup_ids[-1]}" in detail
    assert json.loads(after)["backup_audit_trail"]["copied"] is False
    # New records after a restore continue the sequences without a gap either.
    before = _audit_ids(fresh)
    create_activity(fresh, EDITOR, make_activity(1, name="Next"))
    assert _audit_ids(fresh) == [*before, before[-1] + 1]


def test_restore_of_a_backup_from_a_newer_version_is_refused(saved: tuple[Database, Path]) -> None:
    db, path = saved
    bad = path.with_name("newer.json")
    document = json.loads(path.read_text())
    document["migrations"].append("9999_from_the_future")
    bad.write_text(json.dumps(document))
    with pytest.raises(BackupRefused, match="newer version"):
        restore(db, DPO, bad)


def _gzip_bomb(path: Path, inflated_mb: int) -> None:
    """A gzip of many members, each one megabyte of zeros: small on disk, huge unpacked."""
    member = gzip.compress(b"\0" * 1_048_576, compresslevel=9)
    with path.open("wb") as out:
        for _ in range(inflated_mb):
            out.write(member)


def test_a_backup_that_inflates_to_gigabytes_is_refused_quickly_in_bounded_memory(db: Database, entity: Entity,
                                                                                  tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.json.gz"
    _gzip_bomb(bomb, 5_300)
    assert 4_000_000 < bomb.stat().st_size < 6_500_000
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(BackupRefused, match="unpacks to more than 512 MB.*nothing was restored"):
            restore(db, DPO, bomb)
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 10 and peak < 64 * 1_048_576, (elapsed, peak)
    assert db.rows("SELECT count(*) FROM entities") == [(1,)]


def test_a_deeply_nested_file_is_not_a_backup(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(BackupRefused, match="not readable JSON"):
        restore(db, DPO, path)


Rows = dict[str, list[dict[str, object]]]


def _as_of_schema(tables: Rows, migrations: list[str]) -> Rows:
    """The backup's rows as a register of that schema version would have held them: its tables, its columns."""
    import duckdb

    from ropa.storage.migrations import MIGRATIONS

    old = duckdb.connect(":memory:")
    for name, sql in MIGRATIONS:
        if name in migrations:
            old.execute(sql)
    columns = {table: {c for (c,) in old.execute("SELECT column_name FROM information_schema.columns "
                                                  "WHERE table_name = ?", [table]).fetchall()}
               for (table,) in old.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    old.close()
    return {table: [{k: v for k, v in row.items() if k in columns[table]} for row in tables.get(table, [])]
            for table in columns if table != "schema_migrations"}


def test_a_backup_from_an_older_version_restores_and_is_brought_up_to_date(saved: tuple[Database, Path]) -> None:
    db, path = saved
    document = json.loads(path.read_text())
    document["migrations"] = ["0001_initial", "0002_ico_template_fields", "0003_accepted_findings"]
    document["tables"] = _as_of_schema(document["tables"], document["migrations"])
    older = path.with_name("older.json")
    older.write_text(json.dumps(document))
    exports = db.rows("SELECT * FROM export_log")
    assert restore(db, DPO, older)["activities"] == 1
    assert db.rows("SELECT * FROM export_log") == exports and exports


def _folder_is_a_file(tmp_path: Path) -> Path:
    (tmp_path / "taken").write_text("a file, not a folder")
    return tmp_path / "taken" / "b.json"


def _file_cannot_be_written(tmp_path: Path) -> Path:
    (tmp_path / "b.json.partial").mkdir()
    return tmp_path / "b.json"


@pytest.mark.parametrize(("target", "message"), [
    pytest.param(_folder_is_a_file, "for the backup cannot be made", id="folder"),
    pytest.param(_file_cannot_be_written, "could not be written: Is a directory; the register is unchanged",
                 id="file"),
])
def test_a_backup_that_cannot_be_written_says_so_and_is_not_audited(db: Database, entity: Entity, tmp_path: Path,
                                                                   target: Callable[[Path], Path],
                                                                   message: str) -> None:
    trail = db.rows("SELECT count(*) FROM audit_log")
    with pytest.raises(RopaError, match=message) as caught:
        backup(db, DPO, target(tmp_path))
    assert "The register" not in str(caught.value) and db.rows("SELECT count(*) FROM audit_log") == trail
