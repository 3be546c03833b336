"""``backup --out PATH``: a portable JSON snapshot of the whole register."""

from __future__ import annotations

import argparse

from ropa.cli import cli_user
from ropa.commands._common import database

NAME = "backup"
HELP = "write a portable snapshot of the register (JSON; .gz compresses); audited"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="file to write, e.g. backups/ropa-2026-11-22.json.gz")


def run(args: argparse.Namespace) -> int:
    from ropa.backups import backup

    result = backup(database(args), cli_user(args.user), args.out)
    counts = ", ".join(f"{k} {v}" for k, v in result["tables"].items())
    print(f"wrote {result['path']} (sha256 {result['sha256']}): {counts}")
    return 0
