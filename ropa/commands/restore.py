"""``restore PATH``: replace the register with a backup, all or nothing, audited."""

from __future__ import annotations

import argparse

from ropa.cli import cli_user
from ropa.commands._common import database

NAME = "restore"
HELP = "replace the register with a backup (all or nothing; the audit trail is kept)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="backup file written by 'backup'")


def run(args: argparse.Namespace) -> int:
    from ropa.backups import restore

    counts = restore(database(args), cli_user(args.user), args.path)
    print("restored " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0
