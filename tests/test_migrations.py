"""Schema migrations: named, recorded, and never losing a row of an older register."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ropa.storage.database import open_database
from ropa.storage.migrations import MIGRATIONS

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when


def _old_register(path: Path) -> None:
    """A register file as the first release wrote it: only migration 0001, with data."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)")
    con.execute(MIGRATIONS[0][1])
    con.execute("INSERT INTO schema_migrations VALUES (?, now())", [MIGRATIONS[0][0]])
    con.execute("INSERT INTO entities (id, name, kind, country, created_at, updated_at) "
                "VALUES (1, 'Old Co Ltd', 'controller', 'GB', now(), now())")
    for i in range(1, 51):
        con.execute(
            "INSERT INTO activities (id, entity_id, name, role, lawful_bases, created_at, created_by, updated_at,"
            " updated_by) VALUES (?, 1, ?, 'controller', ['contract'], now(), 'old', now(), 'old')",
            [i, f"Activity {i}"],
        )
        con.execute("INSERT INTO transfers (activity_id, position, country, mechanism) VALUES (?, 0, 'US', 'dpf')", [i])
    con.execute("INSERT INTO audit_log (at_utc, actor, action, record_type, record_id) "
                "VALUES (now(), 'old', 'create', 'entity', 1)")
    con.close()


def test_migrations_have_unique_names_in_order() -> None:
    names = [name for name, _ in MIGRATIONS]
    assert len(names) == len(set(names)) and names == sorted(names)


def test_a_new_register_records_every_migration(tmp_path: Path) -> None:
    db = open_database(tmp_path / "new.duckdb")
    assert db.applied_migrations() == [name for name, _ in MIGRATIONS]


def test_an_older_register_is_migrated_without_losing_a_row(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _old_register(path)
    db = open_database(path)
    assert db.applied_migrations() == [name for name, _ in MIGRATIONS]
    counts = db.rows("SELECT count(*), min(name), max(lawful_bases[1]) FROM activities")[0]
    assert counts == (50, "Activity 1", "contract")
    assert db.rows("SELECT count(*) FROM transfers")[0][0] == 50
    assert db.rows("SELECT count(*) FROM audit_log")[0][0] == 1
    # New columns arrive with their defaults, and the migrated rows load as valid activities.
    from ropa.storage.activities import get_activity

    activity = get_activity(db, 7)
    assert activity.unmapped == {} and activity.dpia_criteria == [] and activity.transfers[0].mechanism == "dpf"


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    db = open_database(tmp_path / "again.duckdb")
    assert db.migrate() == []


def test_the_unused_settings_table_is_dropped_from_an_older_register(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _old_register(path)
    db = open_database(path)
    assert db.rows("SELECT count(*) FROM information_schema.tables WHERE table_name = 'settings'")[0][0] == 0


def test_earlier_imports_are_carried_into_the_import_log(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _old_register(path)
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO audit_log (at_utc, actor, action, record_type, detail) VALUES (now(), 'dpo', 'import', "
                "'import', ?)", ['{"file": "ico.xlsx", "sha256": "ab12", "activities": 7, "updated": [3, 4]}'])
    con.close()
    db = open_database(path)
    assert db.rows("SELECT actor, file_name, sha256, activities, updated FROM import_log") == [
        ("dpo", "ico.xlsx", "ab12", 7, 2)]
