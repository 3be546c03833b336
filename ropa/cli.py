"""Command-line entry point. Each sub-command is a module in ``ropa.commands``.

Errors print one clear line and exit non-zero; a traceback is shown only
with ``ROPA_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from ropa import commands
from ropa.auth import Role, User
from ropa.errors import RopaError


def _command_modules() -> list[ModuleType]:
    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"ropa.commands.{name}") for name in names]


def cli_user(name: str | None) -> User:
    """Whoever runs the CLI has the file itself, so they act as an admin; the name goes in the audit."""
    from ropa.config import load_config  # imported when needed: `--help` stays fast

    email = name or load_config().cli_user or f"cli:{getpass.getuser()}"
    return User(email, Role.ADMIN, email)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = argparse.ArgumentParser(prog="ropa", description="GDPR Article 30 register.")
    parser.add_argument("--db", help="register file (default: $ROPA_DB or data/ropa.duckdb)")
    parser.add_argument("--user", help="name recorded in the audit trail (default: $ROPA_USER or cli:<login>)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules: dict[str, ModuleType] = {}
    for module in _command_modules():
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
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
        print(f"error: unexpected {type(error).__name__}: {error}", file=sys.stderr)
        return 1
