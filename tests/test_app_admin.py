"""The admin page: settings in effect, backup to a file, and restore after confirmation."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ropa.storage.activities import create_activity
from ropa.storage.backup import backup
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity
from tests.factories import DPO, make_activity, make_entity

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

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
    actor, action, detail = db.rows("SELECT actor, action, detail FROM audit_log ORDER BY id DESC LIMIT 1")[0]
    assert (action, actor) == ("backup", "dpo@localhost") and files[0].name in detail
    assert "the audit trail records who took it" in at.success[0].value


def _register_and_backup(app_env: Path, tmp_path: Path) -> tuple[Database, bytes]:
    db = open_database(app_env)
    entity = create_entity(db, DPO, make_entity())
    create_activity(db, DPO, make_activity(entity.id or 0))
    backup(db, DPO, tmp_path / "saved.json")
    return db, (tmp_path / "saved.json").read_bytes()


def _ask_to_restore(content: bytes) -> AppTest:
    at = _page().run()
    at.get("file_uploader")[0].upload("saved.json", content, "application/json")
    at.run()
    at.button(key="admin_restore").click().run()
    return at


def test_restore_replaces_the_register_after_confirmation(app_env: Path, tmp_path: Path) -> None:
    db, saved = _register_and_backup(app_env, tmp_path)
    create_activity(db, DPO, make_activity(1, name="Added after the backup"))
    at = _ask_to_restore(saved)
    assert db.rows("SELECT count(*) FROM activities")[0][0] == 2
    at.button(key="admin_restore_confirm").click().run()
    assert not at.exception
    assert db.rows("SELECT count(*) FROM activities")[0][0] == 1
    assert "Restored" in at.success[0].value


def _without_activities(saved: bytes) -> bytes:
    document = json.loads(saved)
    document["tables"].pop("activities")
    return json.dumps(document).encode()


@pytest.mark.parametrize(("spoil", "reason"), [
    pytest.param(lambda _: b'{"format": "something else"}', "is not a register backup", id="not-a-backup"),
    pytest.param(_without_activities, "nothing was restored: the backup lacks the tables ['activities']",
                 id="table-missing"),
])
def test_a_bad_backup_shows_the_real_reason_and_changes_nothing(app_env: Path, tmp_path: Path,
                                                                spoil: Callable[[bytes], bytes], reason: str) -> None:
    db, saved = _register_and_backup(app_env, tmp_path)
    at = _ask_to_restore(spoil(saved))
    at.button(key="admin_restore_confirm").click().run()
    assert not at.exception
    assert reason in at.error[0].value.replace("\\", "")
    assert db.rows("SELECT count(*) FROM activities")[0][0] == 1
