"""Backup and restore: a portable snapshot that comes back whole, or not at all."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from ropa.errors import PermissionDenied, RopaError
from ropa.factories import DPO, EDITOR, make_activity, make_transfer
from ropa.models import Entity
from ropa.storage.activities import create_activity, load_activities
from ropa.storage.backup import backup, restore
from ropa.storage.database import Database, open_database


def _activities(db: Database) -> list[dict[str, object]]:
    with db.connect() as con:
        return [a.model_dump() for a in load_activities(con)]


@pytest.mark.parametrize("name", ["snapshot.json", "snapshot.json.gz"])
def test_backup_then_restore_into_a_new_register_is_lossless(db: Database, entity: Entity, tmp_path: Path,
                                                             name: str) -> None:
    create_activity(db, EDITOR, make_activity(entity.id, transfers=[make_transfer()], unmapped={"Purpose": "x"},
                                              purpose='=HYPERLINK("http://x")'))
    create_activity(db, EDITOR, make_activity(entity.id, name="Bare", recipients=[], lawful_bases=[]))
    result = backup(db, tmp_path / name)
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
    backup(db, tmp_path / "b.json")
    create_activity(db, EDITOR, make_activity(entity.id, name="Added later"))
    restore(db, DPO, tmp_path / "b.json")
    assert [a["name"] for a in _activities(db)] == ["Customer billing"]
    assert [r[0] for r in db.rows("SELECT action FROM audit_log ORDER BY id")] == ["create", "create", "create",
                                                                                   "restore"]


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
    backup(db, tmp_path / "b.json")
    document = json.loads((tmp_path / "b.json").read_text())
    document["tables"]["activities"][0]["lawful_bases"] = ["made_up"]
    (tmp_path / "b.json").write_text(json.dumps(document))
    other = open_database(tmp_path / "other.duckdb")
    with pytest.raises(RopaError, match="does not validate; nothing was restored.*unknown lawful basis 'made_up'"):
        restore(other, DPO, tmp_path / "b.json")
    assert other.rows("SELECT count(*) FROM activities")[0][0] == 0


def test_only_an_admin_may_restore(db: Database, tmp_path: Path) -> None:
    backup(db, tmp_path / "b.json")
    with pytest.raises(PermissionDenied):
        restore(db, EDITOR, tmp_path / "b.json")


def test_a_missing_backup_file_is_named(db: Database, tmp_path: Path) -> None:
    with pytest.raises(RopaError, match="There is no backup file"):
        restore(db, DPO, tmp_path / "nowhere.json")


@pytest.mark.parametrize(("settings_rows", "refused"), [
    pytest.param([], False, id="empty-retired-table-restores"),
    pytest.param([{"key": "k", "value": "v"}], True, id="retired-table-with-rows-is-refused"),
])
def test_a_backup_from_before_the_settings_table_was_dropped(db: Database, entity: Entity, tmp_path: Path,
                                                             settings_rows: list[dict[str, str]],
                                                             refused: bool) -> None:
    create_activity(db, EDITOR, make_activity(entity.id))
    path = tmp_path / "old.json"
    backup(db, path)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["tables"]["settings"] = settings_rows
    document["migrations"] = [m for m in document["migrations"] if m != "0010_drop_settings"]
    path.write_text(json.dumps(document), encoding="utf-8")
    fresh = open_database(tmp_path / "fresh.duckdb")
    if refused:
        with pytest.raises(RopaError, match=r"tables this register lacks: \['settings'\]"):
            restore(fresh, DPO, path)
        assert fresh.rows("SELECT count(*) FROM activities")[0][0] == 0
    else:
        assert restore(fresh, DPO, path)["activities"] == 1
