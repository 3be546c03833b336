"""The one fixture file: databases, users and the demo register for every test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ropa.auth import User
from ropa.factories import DPO, EDITOR, VIEWER, make_entity
from ropa.models import Entity
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity


@pytest.fixture
def db(tmp_path: Path) -> Database:
    """An empty, migrated register in a temporary file."""
    return open_database(tmp_path / "ropa.duckdb")


@pytest.fixture
def dpo() -> User:
    return DPO


@pytest.fixture
def editor() -> User:
    return EDITOR


@pytest.fixture
def viewer() -> User:
    return VIEWER


@pytest.fixture
def entity(db: Database) -> Entity:
    return create_entity(db, DPO, make_entity())


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo register, built once per test session."""
    from ropa.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(open_database(path))
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Database:
    """A private copy of the demo register that a test may change."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_template, path)
    return open_database(path)


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Point the app at a temporary register and export folder (for AppTest)."""
    db_path = tmp_path / "app.duckdb"
    monkeypatch.setenv("ROPA_DB", str(db_path))
    monkeypatch.setenv("ROPA_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("ROPA_AUTH_MODE", "local")
    yield db_path
