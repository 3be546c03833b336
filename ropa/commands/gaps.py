"""``gaps``: the gap analysis as JSON, a table or CSV; ``--fail-on`` makes it a CI gate."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ropa.commands._common import database, parse_date, print_json

NAME = "gaps"
HELP = "check the register against GDPR / UK GDPR and list the gaps"

SEVERITY_CHOICES = ("critical", "high", "medium", "low")
JSON_KEYS = ("activity_id", "activity", "entity", "rule", "severity", "article", "message",
             "entity_id", "title", "subject", "remediation")
"""The first seven keys are the stable interface; the rest follow them."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--entity", help="only this entity (name or id) and its subsidiaries")
    parser.add_argument("--as-of", dest="as_of", help="analysis date, YYYY-MM-DD (default: today)")
    parser.add_argument("--format", choices=("json", "table", "csv"), default="table")
    parser.add_argument("--fail-on", dest="fail_on", choices=SEVERITY_CHOICES,
                        help="exit 1 if any finding is at this severity or worse")
    parser.add_argument("--include-accepted", action="store_true", help="also list findings accepted as risks")


def _plain(value: Any) -> Any:
    """JSON-friendly: pandas' missing values (None, NaN, NA) become null, numpy scalars plain values."""
    import pandas as pd

    if not isinstance(value, (list, tuple)) and pd.isna(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ropa.export.safecsv import write_csv
    from ropa.gaps import SEVERITIES, analyse
    from ropa.storage.entities import descendant_ids, find_entity

    as_of = parse_date(args.as_of) if args.as_of else None
    db = database(args)
    entity_ids = None
    if args.entity:
        entity = find_entity(db, args.entity)
        entity_ids = descendant_ids(db, entity.id or 0)
    findings = analyse(db, as_of=as_of, entity_ids=entity_ids, include_accepted=args.include_accepted)
    rows = findings.loc[:, list(JSON_KEYS) + (["accepted", "accepted_until"] if args.include_accepted else [])]

    if args.format == "json":
        records = [{k: _plain(v) for k, v in row.items()} for row in rows.to_dict(orient="records")]
        print_json(records)
    elif args.format == "csv":
        write_csv(sys.stdout, [list(rows.columns), *([_plain(v) for v in row] for row in rows.itertuples(index=False))])
    elif len(rows):
        table = rows.loc[:, ["severity", "entity", "activity_id", "activity", "rule", "message"]]
        with pd.option_context("display.width", 200, "display.max_colwidth", 90):
            print(table.to_string(index=False, max_colwidth=90))
        counts = findings["severity"].value_counts()
        print("\n" + ", ".join(f"{int(counts.get(s, 0))} {s}" for s in SEVERITIES))
    else:
        print("No gaps found.")

    if args.fail_on:
        worst = SEVERITIES.index(args.fail_on)
        open_findings = findings[~findings["accepted"]]
        if open_findings["severity"].isin(SEVERITIES[: worst + 1]).any():
            return 1
    return 0
