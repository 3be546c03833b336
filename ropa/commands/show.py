"""``show ID``: one activity in full, as JSON."""

from __future__ import annotations

import argparse
import sys

from ropa.commands._common import opened

NAME = "show"
HELP = "show one processing activity in full (JSON)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", type=int, help="activity id")


def run(args: argparse.Namespace) -> int:
    from ropa.errors import NotFound
    from ropa.serialise import ACTIVITY_FIELDS, activity_json

    with opened(args) as db, db.connect() as con:
        text = activity_json(con, args.id, ACTIVITY_FIELDS)
    if text is None:
        raise NotFound(f"There is no activity with id {args.id}.")
    sys.stdout.write(text + "\n")
    return 0
