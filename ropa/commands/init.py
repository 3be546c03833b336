"""``init``: create (or migrate) the register, optionally with the demo data."""

from __future__ import annotations

import argparse

from ropa.commands._common import database
from ropa.errors import RopaError

NAME = "init"
HELP = "create or migrate the register; --demo loads the SmartComms / SMELECOM demo register"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--demo", action="store_true", help="load the demo register into an empty database")
    parser.add_argument("--force", action="store_true", help="with --demo: delete an existing file first")


def run(args: argparse.Namespace) -> int:
    from ropa.demo import build_demo
    from ropa.storage.database import default_db_path

    path = args.db or default_db_path()
    if args.force:
        from pathlib import Path

        for suffix in ("", ".wal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = database(args)
    if args.demo:
        count = db.rows("SELECT count(*) FROM entities")[0][0]
        if count:
            raise RopaError(f"{db.path} already holds a register; use --force to replace it with the demo")
        build_demo(db)
    entities, activities = db.rows("SELECT (SELECT count(*) FROM entities), (SELECT count(*) FROM activities)")[0]
    print(f"{db.path}: {entities} entities, {activities} activities")
    return 0
