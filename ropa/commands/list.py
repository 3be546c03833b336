"""``list``: every activity, as JSON (stable keys) or a table."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ropa.commands._common import opened

if TYPE_CHECKING:
    from ropa.storage.database import Database

NAME = "list"
HELP = "list processing activities"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("json", "table"), default="table")
    parser.add_argument("--include-archived", action="store_true", help="also list archived activities")


def run(args: argparse.Namespace) -> int:
    with opened(args) as db:
        if args.format == "json":
            from ropa.serialise import special_category_keys, write_activities_json

            with db.connect() as con:
                write_activities_json(con, special_category_keys(), sys.stdout.write,
                                      include_archived=args.include_archived)
            sys.stdout.write("\n")
            return 0
        return _table(db, args.include_archived)


def _table(db: Database, include_archived: bool) -> int:
    where = "" if include_archived else "WHERE a.status <> 'archived'"
    with db.connect() as con:
        frame = con.execute(
            "SELECT a.id, coalesce(e.name, '') AS entity, a.name, a.status, "
            "array_to_string(a.lawful_bases, ', ') AS \"lawful bases\", a.version AS v "
            f"FROM activities a LEFT JOIN entities e ON e.id = a.entity_id {where} ORDER BY a.id"
        ).df()
    print(frame.to_string(index=False, max_colwidth=48) if len(frame) else "The register is empty.")
    return 0
