"""``import FILE``: read an existing register (ICO template, this app's export, CSV) in one transaction."""

from __future__ import annotations

import argparse

from ropa.commands._common import database

NAME = "import"
HELP = ("import a register (xlsx, xlsm, xls, ods, csv, a data map's json; ICO, CNIL, CISO Assistant, Fides or "
        "home-made headings); all rows or none; re-imports update instead of duplicating")
SHOWN = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the .xlsx, .xlsm, .xls, .ods, .csv, .json or exported .csv.zip file")
    parser.add_argument("--entity", help="the controller (name or id of an existing entity) for rows that do "
                                         "not name one, when the file has no contact block")
    parser.add_argument("--dry-run", action="store_true", help="read and check the file, write nothing")
    parser.add_argument("--mapping", metavar="FILE",
                        help="a JSON object {\"Source heading\": \"field key\" | \"note\" | \"ignore\"} that "
                             "overrides how the file's headings map (else a saved profile for the same headings)")
    parser.add_argument("--save-mapping", metavar="NAME",
                        help="save the mapping in effect as a named profile, reused for the next file of this shape")
    parser.add_argument("--on-match", choices=("update", "skip", "add"), default="update",
                        help="for activities already in the register (same reference, else same entity and name): "
                             "update them with the file's fields (default; unchanged ones are skipped), skip "
                             "them, or add them again as new records")


def run(args: argparse.Namespace) -> int:
    from ropa.cli import cli_user
    from ropa.errors import RopaError
    from ropa.ingest import import_file
    from ropa.ingest.mapping import load_mapping_file
    from ropa.storage.mappings import save_profile

    db = database(args)
    user = cli_user(args.user)
    mapping = load_mapping_file(args.mapping) if args.mapping else None
    plan, result = import_file(db, user, args.file, entity=args.entity, dry_run=args.dry_run,
                               on_match=args.on_match, mapping=mapping)
    if args.save_mapping:
        profile = save_profile(db, user, args.save_mapping, plan.signature, plan.mapping)
        print(f"saved mapping profile '{profile.name}' ({len(profile.mapping)} columns)")
    print(plan.summary())
    for row in plan.mapping_rows[:SHOWN * 3]:
        if row["how"] not in ("heading", "variant"):
            print(f"column: '{row['source column']}' -> {row['reads as']} ({row['how']}, "
                  f"confidence {float(str(row['confidence'])):.2f})")
    for note in plan.notes:
        print(f"note: {note}")
    for entity in plan.new_entities:
        print(f"new entity: {entity.name} ({entity.source})")
    guessed = [d for d in plan.decisions if d.how not in ("label",)]
    for decision in guessed[:SHOWN]:
        print(f"mapped: {decision.column}: '{decision.text[:60]}' -> {decision.label} ({decision.rows} rows)")
    if len(guessed) > SHOWN:
        print(f"mapped: ... and {len(guessed) - SHOWN} more decisions (see the Import page for all of them)")
    for position, match in sorted(plan.existing.items())[:SHOWN]:
        changed = ", ".join(match.changes) or "nothing changed"
        print(f"{plan.actions[position]}: activity {match.activity_id} '{plan.activities[position].name}' "
              f"(matched by {match.how}): {changed}")
    if len(plan.existing) > SHOWN:
        print(f"... and {len(plan.existing) - SHOWN:,} more activities already in the register")
    for issue in plan.issues[:SHOWN]:
        print(f"problem: sheet '{issue.sheet}' row {issue.row}, {issue.column}: {issue.message}")
    if plan.issues:
        raise RopaError(f"{len(plan.issues):,} problems in {plan.file_name}; nothing was imported")
    if result is None:
        print("dry run: nothing was written")
        return 0
    print(f"imported {len(result.activity_ids):,} activities and {len(result.entity_ids)} new entities "
          f"from {result.file_name} (sha256 {result.sha256})"
          + (f"; updated {len(result.updated_ids):,}" if result.updated_ids else "")
          + (f"; skipped {result.skipped:,}" if result.skipped else ""))
    return 0
