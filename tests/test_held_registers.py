"""The ``keep_registers_open`` marker (tests/conftest.py): one DuckDB instance a register a test, copies stay whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from ropa.storage.database import Database
from ropa.storage.entities import create_entity
from tests.factories import DPO, make_entity
from tests.registers import copy_register

pytestmark = pytest.mark.keep_registers_open


def _opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files DuckDB is asked to open from now on."""
    opened: list[str] = []
    original = duckdb.connect

    def connect(database: str, *args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        opened.append(database)
        return original(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", connect)
    return opened


@pytest.mark.parametrize("opens", [
    pytest.param(1, id="marked"),  # the first of the three units of work opens it, the others take cursors
    pytest.param(3, id="turned-off", marks=pytest.mark.keep_registers_open(False)),
])
def test_units_of_work_take_a_cursor_of_the_held_register_only_under_the_marker(
        db: Database, monkeypatch: pytest.MonkeyPatch, opens: int) -> None:
    opened = _opens(monkeypatch)
    create_entity(db, DPO, make_entity())
    assert db.rows("SELECT count(*) FROM entities") == [(1,)]
    assert db.rows("SELECT count(*) FROM audit_log WHERE record_type = 'entity'") == [(1,)]
    assert len(opened) == opens


def test_a_register_copied_over_a_held_one_is_what_later_reads_see(db: Database, empty_template: Path) -> None:
    create_entity(db, DPO, make_entity())
    copy_register(empty_template, db.path)
    assert db.rows("SELECT count(*) FROM entities") == [(0,)]


def test_a_session_template_is_never_held(empty_template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = _opens(monkeypatch)
    template = Database(empty_template)
    template.rows("SELECT 1")
    template.rows("SELECT 1")
    assert opened == [str(empty_template)] * 2
