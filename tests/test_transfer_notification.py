"""The day the supervisory authority was informed of a transfer (Art. 49(1) second subparagraph) survives
every way the register leaves and comes back: backup and restore, export and import, ``show``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from unittest.mock import patch

import pytest

from ropa.backups import backup, restore
from ropa.export import ExportOptions, export_register
from ropa.gaps.engine import empty_findings
from ropa.ingest import apply_import, plan_import
from ropa.models import Activity
from ropa.serialise import TRANSFER_FIELDS
from ropa.storage.activities import create_activity, get_activity, load_activities
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity
from tests.factories import DPO, make_activity, make_entity, make_transfer

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

INFORMED = date(2025, 3, 2)


def _notified(db: Database) -> Activity:
    entity = create_entity(db, DPO, make_entity())
    return create_activity(db, DPO, make_activity(entity.id or 0, transfers=[
        make_transfer(mechanism="derogation_compelling_interests", tia_ref="", safeguard_doc="Assessment CLI-1",
                      authority_informed_on=INFORMED),
        make_transfer(recipient="Other Inc")]))


def _transfers(db: Database) -> list[tuple[str, date | None]]:
    with db.connect() as con:
        return [(t.recipient, t.authority_informed_on) for a in load_activities(con) for t in a.transfers]


def test_the_field_is_stored_and_read_back(tmp_path: Path) -> None:
    db = open_database(tmp_path / "r.duckdb")
    stored = _notified(db)
    assert [t.authority_informed_on for t in get_activity(db, stored.id or 0).transfers] == [INFORMED, None]
    assert "authority_informed_on" in TRANSFER_FIELDS


def test_backup_then_restore_keeps_the_day_the_authority_was_informed(tmp_path: Path) -> None:
    db = open_database(tmp_path / "r.duckdb")
    _notified(db)
    backup(db, DPO, tmp_path / "b.json")
    fresh = open_database(tmp_path / "fresh.duckdb")
    restore(fresh, DPO, tmp_path / "b.json")
    assert _transfers(fresh) == _transfers(db) == [("Example Cloud Inc", INFORMED), ("Other Inc", None)]


@pytest.mark.parametrize(("fmt", "name"), [("xlsx", "r.xlsx"), ("csv", "r.csv.zip")])
def test_export_then_import_keeps_the_day_the_authority_was_informed(tmp_path: Path, fmt: str, name: str) -> None:
    db = open_database(tmp_path / "r.duckdb")
    _notified(db)
    with patch("ropa.export.data._findings", return_value=empty_findings()):
        export_register(db, DPO, fmt, tmp_path / name, ExportOptions(as_of=date(2026, 11, 1)), log=False)
    target = open_database(tmp_path / "t.duckdb")
    plan = plan_import(target, (tmp_path / name).read_bytes(), name)
    assert plan.ok, plan.issues[:5]
    apply_import(target, DPO, plan)
    assert _transfers(target) == [("Example Cloud Inc", INFORMED), ("Other Inc", None)]


def test_show_writes_the_day_as_iso_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ropa.cli import main

    db_path = tmp_path / "r.duckdb"
    stored = _notified(open_database(db_path))
    assert main(["--db", str(db_path), "show", str(stored.id)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [t["authority_informed_on"] for t in shown["transfers"]] == ["2025-03-02", None]
