"""An import from a file keeps the register open from the plan's last check through its write, then lets it go."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ropa.auth import User
from ropa.ingest import apply_import, import_file, plan_import
from ropa.storage.database import Database
from tests.test_import import EXAMPLE_ROWS, ico_workbook


def _counting_opens(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    opened: list[Path] = []
    real_open = Database._open

    def counted(self: Database) -> object:
        opened.append(self.path)
        return real_open(self)

    monkeypatch.setattr(Database, "_open", counted)
    return opened


def test_an_import_opens_the_register_once_less_than_planning_and_writing_it_apart(
        db: Database, dpo: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "register.xlsx"
    path.write_bytes(ico_workbook(EXAMPLE_ROWS))
    apart = Database(tmp_path / "apart.duckdb")
    apart.path.write_bytes(db.path.read_bytes())
    opened = _counting_opens(monkeypatch)
    apply_import(apart, dpo, plan_import(apart, path.read_bytes(), path.name))
    opens_apart = len(opened)
    opened.clear()
    _, result = import_file(db, dpo, path)
    assert result is not None and len(result.activity_ids) == 3
    assert len(opened) == opens_apart - 1


@pytest.mark.parametrize("dry_run", [False, True], ids=["written", "dry run"])
def test_another_process_can_open_the_register_once_the_import_returns(
        db: Database, dpo: User, tmp_path: Path, dry_run: bool) -> None:
    path = tmp_path / "register.xlsx"
    path.write_bytes(ico_workbook(EXAMPLE_ROWS))
    import_file(db, dpo, path, dry_run=dry_run)
    opened = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).execute('SELECT 1')", str(db.path)],
        capture_output=True, text=True, timeout=60, check=False)
    assert opened.returncode == 0, opened.stderr
