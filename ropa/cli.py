"""Command-line entry point. Each sub-command is a module in ``ropa.commands``.

The command line is for whoever holds the register file: anyone who can open
the file can change it with any DuckDB tool, so roles are not checked here (a
check of a name anyone can type would protect nothing). What it does instead
is record honestly who ran it: every write is audited under the
operating-system account, with a ``--user`` (or ``$ROPA_USER``) name beside it
as what the person said they are, e.g. ``dpo@example.com (os: alice)``.

Errors print one clear line and exit non-zero; a traceback is shown only
with ``ROPA_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from ropa import commands
from ropa.auth import Role, User
from ropa.errors import RopaError

DESCRIPTION = (
    "GDPR Article 30 register. The command line is for whoever holds the register file: it does not check "
    "roles (anyone who can open the file can change it), and it records every write under your "
    "operating-system account, with any --user name beside it, e.g. 'dpo@example.com (os: alice)'."
)
DB_HELP = "register file (default: $ROPA_DB or data/ropa.duckdb)"
USER_HELP = ("a name to record beside your operating-system account in the audit trail "
             "(default: $ROPA_USER); it is not checked against the roles file")


def _command_modules() -> list[ModuleType]:
    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"ropa.commands.{name}") for name in names]


def os_account() -> str:
    """The operating-system account running this process (its uid where it has no name)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return f"uid {os.getuid()}"


def cli_user(name: str | None) -> User:
    """Whoever runs the CLI holds the file itself, so they act as an admin, recorded as their OS account.

    A name given with --user (or $ROPA_USER) is a claim nobody checked, so it is
    recorded beside the account, never instead of it.
    """
    from ropa.config import load_config  # imported when needed: `--help` stays fast

    account = os_account()
    claimed = (name or load_config().cli_user or "").strip()
    actor = f"{claimed} (os: {account})" if claimed else f"cli:{account}"
    return User(actor, Role.ADMIN, actor)


def _common_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """--db and --user, accepted before the sub-command and after it (given after, they win)."""
    default = argparse.SUPPRESS if after_command else None
    parser.add_argument("--db", default=default, help=DB_HELP)
    parser.add_argument("--user", default=default, help=USER_HELP)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = argparse.ArgumentParser(prog="ropa", description=DESCRIPTION)
    _common_options(parser, after_command=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules: dict[str, ModuleType] = {}
    for module in _command_modules():
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        _common_options(command, after_command=True)
        modules[module.NAME] = module
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    from ropa.config import load_config  # imported when needed: `--help` stays fast

    try:
        load_config()  # every setting checked before any work, so a bad one is one line
        result: int = modules[args.command].run(args)
        return result
    except RopaError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the CLI promises no tracebacks
        if load_config().debug:
            raise
        print(f"error: unexpected {type(error).__name__}: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
