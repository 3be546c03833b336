"""Helpers shared by the CLI sub-commands."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from ropa.errors import RopaError

if TYPE_CHECKING:
    from ropa.storage.database import Database


def _register(args: argparse.Namespace) -> Database:
    """The register named by --db, not yet opened; imported lazily so `--help` starts fast."""
    from ropa.config import load_config
    from ropa.storage.database import Database, default_db_path

    return Database(args.db or default_db_path(), busy_timeout=load_config().busy_timeout)


def database(args: argparse.Namespace) -> Database:
    """The migrated register named by --db."""
    db = _register(args)
    db.migrate()
    return db


@contextmanager
def opened(args: argparse.Namespace) -> Iterator[Database]:
    """The register named by --db, migrated and held open for the whole command.

    ``database`` opens the file to migrate it and the work opens it again:
    each open starts a DuckDB instance (about 25 ms, a tenth of ``show``).
    Here the migration check and the work share one. Only for commands that
    read and write briefly: other programs wait for the file until it ends.
    """
    db = _register(args)
    with db.kept_open():
        db.migrate()
        yield db


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RopaError(f"'{text}' is not a date; use YYYY-MM-DD") from None


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
