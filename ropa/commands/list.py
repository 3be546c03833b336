"""``list``: every activity, as JSON (stable keys) or a table."""

from __future__ import annotations

import argparse

from ropa.commands._common import database, print_json

NAME = "list"
HELP = "list processing activities"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("json", "table"), default="table")
    parser.add_argument("--include-archived", action="store_true", help="also list archived activities")


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ropa.serialise import activity_json
    from ropa.storage.activities import load_activities

    db = database(args)
    with db.connect() as con:
        activities = load_activities(con)
        names = dict(con.execute("SELECT id, name FROM entities").fetchall())
    if not args.include_archived:
        activities = [a for a in activities if a.status != "archived"]
    if args.format == "json":
        print_json([activity_json(a, names.get(a.entity_id, "")) for a in activities])
        return 0
    frame = pd.DataFrame(
        [{"id": a.id, "entity": names.get(a.entity_id, ""), "name": a.name, "status": a.status,
          "lawful bases": ", ".join(a.lawful_bases), "v": a.version} for a in activities]
    )
    print(frame.to_string(index=False, max_colwidth=48) if len(frame) else "The register is empty.")
    return 0
