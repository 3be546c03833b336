"""Helpers shared by the CLI sub-commands."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

from ropa.errors import RopaError

if TYPE_CHECKING:
    from ropa.storage.database import Database


def database(args: argparse.Namespace) -> Database:
    """The migrated register named by --db; imported lazily so `--help` starts fast."""
    from ropa.config import load_config
    from ropa.storage.database import default_db_path, open_database

    return open_database(args.db or default_db_path(), busy_timeout=load_config().busy_timeout)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RopaError(f"'{text}' is not a date; use YYYY-MM-DD") from None


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
