"""``export``: the Article 30 record as an Excel workbook, a zip of CSV files or JSON, logged."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ropa.commands._common import opened, parse_date

if TYPE_CHECKING:
    from ropa.storage.database import Database

NAME = "export"
HELP = "export the Article 30 record (xlsx for regulators, csv zip, or json) and log the export"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("xlsx", "csv", "json", "pdf"), default="xlsx",
                        help="xlsx (default), csv (a zip of CSV files, one per sheet), json, "
                             "or pdf (A4, to read and print)")
    parser.add_argument("--out", required=True, help="file to write")
    parser.add_argument("--entity", help="one entity (name or id) and its subsidiaries; default the whole group")
    parser.add_argument("--as-of", help="judge transfers and gaps on this date (YYYY-MM-DD; default today)")
    parser.add_argument("--include-archived", action="store_true", help="also export archived activities")
    parser.add_argument("--with-gaps", action="store_true",
                        help="add the gap analysis and transfer validity (internal work; a supervisory authority "
                             "is given the record only, Art. 30(4))")
    parser.add_argument("--all-organisations", action="store_true",
                        help="without --entity: every unrelated organisation in one file (default: the register "
                             "must hold one)")


def run(args: argparse.Namespace) -> int:
    from ropa.cli import cli_user
    from ropa.export import ExportOptions, export_register

    as_of = parse_date(args.as_of) if args.as_of else date.today()
    # One open of the file for the whole command (each open starts a DuckDB instance, about 25 ms): the
    # migration check, reading, and logging the export once it is written.
    with opened(args) as db:
        entity_id = _entity_id(db, args.entity) if args.entity else None
        options = ExportOptions(as_of=as_of, entity_id=entity_id, include_archived=args.include_archived,
                                with_gaps=args.with_gaps, all_organisations=args.all_organisations)
        result = export_register(db, cli_user(args.user), args.format, Path(args.out), options)
    print(f"{result.path}: {result.activity_count:,} activities ({result.scope}, as of {as_of.isoformat()}), "
          f"{result.byte_size:,} bytes, sha256 {result.file_sha256}")
    return 0


def _entity_id(db: Database, name_or_id: str) -> int | None:
    """The --entity named (the models are loaded only then: a whole-group JSON export starts without them)."""
    from ropa.storage.entities import find_entity

    return find_entity(db, name_or_id).id
