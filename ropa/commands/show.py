"""``show ID``: one activity in full, as JSON."""

from __future__ import annotations

import argparse

from ropa.commands._common import database, print_json

NAME = "show"
HELP = "show one processing activity in full (JSON)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", type=int, help="activity id")


def run(args: argparse.Namespace) -> int:
    from ropa.storage.activities import get_activity
    from ropa.storage.entities import get_entity

    db = database(args)
    activity = get_activity(db, args.id)
    data = activity.model_dump(mode="json")
    data["entity"] = get_entity(db, activity.entity_id).name
    print_json(data)
    return 0
