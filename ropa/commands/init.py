"""``init``: create (or migrate) the register, optionally with the demo data.

``init`` never empties a register. ``--demo --force`` starts the demo in a new
file and keeps the old one, whole and with its audit trail, beside it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ropa.commands._common import database
from ropa.errors import RopaError

NAME = "init"
HELP = "create or migrate the register; --demo loads the SmartComms / SMELECOM demo register"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--demo", action="store_true", help="load the demo register into an empty database")
    parser.add_argument("--force", action="store_true",
                        help="only with --demo: move an existing register aside (kept whole, audit trail and all, "
                             "as FILE.replaced-<UTC time>) and start the demo in a new file")


def _move_aside(path: Path) -> Path:
    """Rename the register file (and its write-ahead log) to a dated name beside it; nothing is deleted."""
    from ropa.storage.database import utcnow

    kept = path.with_name(f"{path.name}.replaced-{utcnow():%Y%m%dT%H%M%SZ}")
    if kept.exists():
        raise RopaError(f"{kept} already exists; wait a second and try again")
    path.rename(kept)
    wal = Path(f"{path}.wal")
    if wal.exists():
        wal.rename(Path(f"{kept}.wal"))
    return kept


def run(args: argparse.Namespace) -> int:
    from ropa.cli import cli_user
    from ropa.demo import build_demo
    from ropa.storage.database import default_db_path

    if args.force and not args.demo:
        raise RopaError("--force only goes with --demo; init never empties a register "
                        "(to replace one, restore a backup)")
    path = Path(args.db or default_db_path())
    db = database(args)  # also checks that no other program holds the file
    held = db.rows("SELECT (SELECT count(*) FROM entities), (SELECT count(*) FROM activities),"
                   " (SELECT count(*) FROM audit_log)")[0]
    if args.demo and any(held):
        if not args.force:
            raise RopaError(f"{db.path} already holds a register ({held[0]} entities, {held[1]} activities, "
                            f"{held[2]} audit rows); add --force to move it aside and start the demo in a new file")
        print(f"kept the previous register, with its audit trail, as {_move_aside(path)}")
        db = database(args)
    if args.demo:
        build_demo(db, cli_user(args.user))
    entities, activities = db.rows("SELECT (SELECT count(*) FROM entities), (SELECT count(*) FROM activities)")[0]
    print(f"{db.path}: {entities} entities, {activities} activities")
    return 0
