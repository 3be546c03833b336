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
             "entity_id", "title", "subject", "remediation", "defect")
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


def _defects_text(table: Any, findings: Any) -> str:
    """Each defect once, most serious first, with the activities it affects indented below it."""
    by_defect = findings.groupby("defect", sort=False)
    lines: list[str] = []
    for defect in table.itertuples(index=False):
        lines.append(f"[{defect.severity}] {defect.rule}: {defect.message}")
        affected = by_defect.get_group(defect.defect)
        if defect.activities == 0:
            lines.append(f"    entity: {defect.entities}")
            continue
        lines.append(f"    {defect.activities} activit{'y' if defect.activities == 1 else 'ies'}:")
        for row in affected.itertuples(index=False):
            item = f" ({row.subject})" if row.subject and defect.activities > 1 else ""
            lines.append(f"    - #{row.activity_id} {row.activity} [{row.entity}]{item}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:

    from ropa.export.safecsv import write_csv
    from ropa.gaps import SEVERITIES, analyse
    from ropa.gaps.defects import DEFECT_COUNTING, defects, with_defects
    from ropa.storage.entities import find_entity
    from ropa.storage.entity_rows import descendant_ids

    as_of = parse_date(args.as_of) if args.as_of else None
    db = database(args)
    entity_ids = None
    if args.entity:
        entity = find_entity(db, args.entity)
        entity_ids = descendant_ids(db, entity.id or 0)
    findings = with_defects(analyse(db, as_of=as_of, entity_ids=entity_ids, include_accepted=args.include_accepted))
    rows = findings.loc[:, list(JSON_KEYS) + (["accepted", "accepted_until"] if args.include_accepted else [])]

    if args.format == "json":
        records = [{k: _plain(v) for k, v in row.items()} for row in rows.to_dict(orient="records")]
        print_json(records)
    elif args.format == "csv":
        write_csv(sys.stdout, [list(rows.columns), *([_plain(v) for v in row] for row in rows.itertuples(index=False))])
    elif len(rows):
        print(_defects_text(defects(findings), findings))
        counts = defects(findings)["severity"].value_counts()
        print("\n" + f"{sum(int(counts.get(s, 0)) for s in SEVERITIES)} defects ("
              + ", ".join(f"{int(counts.get(s, 0))} {s}" for s in SEVERITIES) + f") from {len(findings)} findings. "
              + DEFECT_COUNTING)
    else:
        print("No gaps found.")

    if args.fail_on:
        worst = SEVERITIES.index(args.fail_on)
        open_findings = findings[~findings["accepted"]]
        if open_findings["severity"].isin(SEVERITIES[: worst + 1]).any():
            return 1
    return 0
