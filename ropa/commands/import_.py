"""``import FILE``: read an existing register (ICO template, this app's export, CSV) in one transaction."""

from __future__ import annotations

import argparse

from ropa.commands._common import database

NAME = "import"
HELP = "import a register (ICO template .xlsx, this app's export, or CSV); all rows or none"
SHOWN = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the .xlsx, .csv or exported .csv.zip file")
    parser.add_argument("--entity", help="the controller (name or id of an existing entity) for rows that do "
                                         "not name one, when the file has no contact block")
    parser.add_argument("--dry-run", action="store_true", help="read and check the file, write nothing")


def run(args: argparse.Namespace) -> int:
    from ropa.cli import cli_user
    from ropa.errors import RopaError
    from ropa.ingest import import_file

    db = database(args)
    plan, result = import_file(db, cli_user(args.user), args.file, entity=args.entity, dry_run=args.dry_run)
    print(plan.summary())
    for note in plan.notes:
        print(f"note: {note}")
    for entity in plan.new_entities:
        print(f"new entity: {entity.name} ({entity.source})")
    guessed = [d for d in plan.decisions if d.how not in ("label",)]
    for decision in guessed[:SHOWN]:
        print(f"mapped: {decision.column}: '{decision.text[:60]}' -> {decision.label} ({decision.rows} rows)")
    if len(guessed) > SHOWN:
        print(f"mapped: ... and {len(guessed) - SHOWN} more decisions (see the Import page for all of them)")
    for issue in plan.issues[:SHOWN]:
        print(f"problem: sheet '{issue.sheet}' row {issue.row}, {issue.column}: {issue.message}")
    if plan.issues:
        raise RopaError(f"{len(plan.issues):,} problems in {plan.file_name}; nothing was imported")
    if result is None:
        print("dry run: nothing was written")
        return 0
    print(f"imported {len(result.activity_ids):,} activities and {len(result.entity_ids)} new entities "
          f"from {result.file_name} (sha256 {result.sha256})")
    return 0
