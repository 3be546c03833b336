"""The admin page: settings in effect, backup to a file, and restore after confirmation."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ropa.factories import DPO, make_activity, make_entity
from ropa.storage.activities import create_activity
from ropa.storage.backup import backup
from ropa.storage.database import open_database
from ropa.storage.entities import create_entity

ROOT = Path(__file__).resolve().parent.parent


def _page() -> AppTest:
    return AppTest.from_file(str(ROOT / "screens" / "admin.py"), default_timeout=30)


def test_settings_table_shows_each_setting_in_effect(app_env: Path) -> None:
    at = _page().run()
    settings = next(d.value for d in at.dataframe if "Setting" in d.value.columns).set_index("Setting")
    assert settings.loc["ROPA_DB", "In effect"] == str(app_env)
    assert settings.loc["ROPA_AUTH_MODE", "In effect"] == "local"


def test_backup_writes_a_file_in_the_export_folder_and_offers_it(app_env: Path) -> None:
    db = open_database(app_env)
    entity = create_entity(db, DPO, make_entity())
    create_activity(db, DPO, make_activity(entity.id or 0))
    at = _page().run()
    at.button(key="admin_backup").click().run()
    assert not at.exception
    files = list((app_env.parent / "exports" / "backups").glob("ropa-backup-*.json.gz"))
    assert len(files) == 1
    document = json.loads(gzip.decompress(files[0].read_bytes()))
    assert len(document["tables"]["activities"]) == 1
    assert at.get("download_button")


def test_restore_replaces_the_register_after_confirmation(app_env: Path, tmp_path: Path) -> None:
    db = open_database(app_env)
    entity = create_entity(db, DPO, make_entity())
    create_activity(db, DPO, make_activity(entity.id or 0))
    saved = tmp_path / "saved.json"
    backup(db, saved)
    create_activity(db, DPO, make_activity(entity.id or 0, name="Added after the backup"))
    at = _page().run()
    at.get("file_uploader")[0].upload("saved.json", saved.read_bytes(), "application/json")
    at.run()
    at.button(key="admin_restore").click().run()
    assert db.rows("SELECT count(*) FROM activities")[0][0] == 2
    at.button(key="admin_restore_confirm").click().run()
    assert not at.exception
    assert db.rows("SELECT count(*) FROM activities")[0][0] == 1
    assert "Restored" in at.success[0].value


def test_a_file_that_is_not_a_backup_is_refused_and_nothing_changes(app_env: Path) -> None:
    db = open_database(app_env)
    create_entity(db, DPO, make_entity())
    at = _page().run()
    at.get("file_uploader")[0].upload("evil.json", b'{"format": "something else"}', "application/json")
    at.run()
    at.button(key="admin_restore").click().run()
    at.button(key="admin_restore_confirm").click().run()
    assert "is not a register backup" in at.error[0].value.replace("\\", "")
    assert db.rows("SELECT count(*) FROM entities")[0][0] == 1
