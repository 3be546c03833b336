"""``entity add`` / ``entity list``: the controllers an import can name, from the command line.

An import of a file without a contact block needs an entity to attach its rows
to; in an empty register there is none, so the command line can add one
(audited, administrators only, like the Entities page).
"""

from __future__ import annotations

import argparse

from ropa.commands._common import database, print_json

NAME = "entity"
HELP = "list the register's entities, or add one (the controller an import names with --entity)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="{add,list}")
    shown = actions.add_parser("list", help="every entity: id, name, kind, country")
    shown.add_argument("--format", choices=("json", "table"), default="table")
    shown.add_argument("--include-archived", action="store_true", help="also list archived entities")
    added = actions.add_parser("add", help="add an entity (audited)")
    added.add_argument("name", help="the entity's legal name (unique, ignoring case)")
    added.add_argument("--kind", choices=("controller", "processor", "both"), default="controller",
                       help="acts as controller, processor or both (default controller)")
    added.add_argument("--country", default="GB", help="ISO 3166 alpha-2 country code or name (default GB)")
    added.add_argument("--parent", help="the parent entity (name or id), for a group company")
    for option in ("email", "address", "phone", "company-number", "dpo-name", "dpo-email"):
        added.add_argument(f"--{option}", default="")


def run(args: argparse.Namespace) -> int:
    from ropa.cli import cli_user
    from ropa.models import parse_entity
    from ropa.reference import lookup_country
    from ropa.storage.entities import create_entity, find_entity, list_entities

    db = database(args)
    if args.action == "list":
        entities = list_entities(db, include_archived=args.include_archived)
        rows = [{"id": e.id, "name": e.name, "kind": e.kind, "country": e.country, "archived": e.archived}
                for e in entities]
        if args.format == "json":
            print_json(rows)
        elif not rows:
            print("The register has no entities yet: add one with `entity add NAME`.")
        else:
            width = max(len(str(r["name"])) for r in rows)
            for row in rows:
                print(f"{row['id']:>5}  {str(row['name']):<{width}}  {row['kind']:<10}  {row['country']}"
                      + ("  (archived)" if row["archived"] else ""))
        return 0
    parent_id = find_entity(db, args.parent).id if args.parent else None
    entity = parse_entity({
        "name": args.name, "kind": args.kind, "country": lookup_country(args.country) or args.country,
        "parent_id": parent_id, "email": args.email, "address": args.address, "phone": args.phone,
        "company_number": args.company_number, "dpo_name": args.dpo_name, "dpo_email": args.dpo_email,
    })
    stored = create_entity(db, cli_user(args.user), entity)
    print(f"added entity {stored.id}: {stored.name} ({stored.kind}, {stored.country})")
    return 0
