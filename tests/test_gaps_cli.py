"""``python -m ropa gaps``: stable JSON, CSV safe for spreadsheets, exit codes for CI."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from ropa.cli import main
from ropa.storage.activities import create_activities
from ropa.storage.database import Database
from ropa.storage.entities import create_entity
from tests.factories import DPO, make_activity, make_entity, make_transfer

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

STABLE_KEYS = ["activity_id", "activity", "entity", "rule", "severity", "article", "message"]
REVIEWED = {"last_reviewed": date(2025, 3, 1), "next_review_due": date(2026, 3, 1)}


def run_cli(capsys: pytest.CaptureFixture[str], db: Database, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db.path), "gaps", *args])
    out, err = capsys.readouterr()
    return code, out, err


def group(db: Database) -> tuple[int, int]:
    """A parent with a Privacy Shield transfer and a subsidiary with one medium finding."""
    parent = create_entity(db, DPO, make_entity(name="Parent plc"))
    assert parent.id is not None
    child = create_entity(db, DPO, make_entity(name="=Child Ltd", parent_id=parent.id))
    assert child.id is not None
    create_activities(db, DPO, [
        make_activity(parent.id, **REVIEWED, transfers=[make_transfer(mechanism="privacy_shield")]),
        make_activity(child.id, **REVIEWED, lawful_bases=["consent"]),
    ])
    return parent.id, child.id


def test_json_has_the_stable_keys_first(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    group(db)
    code, out, _ = run_cli(capsys, db, "--as-of", "2025-06-01", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and rows
    assert all(list(row)[:7] == STABLE_KEYS for row in rows)
    shield = next(r for r in rows if r["rule"] == "transfer_mechanism_invalid")
    assert shield["severity"] == "critical" and shield["entity"] == "Parent plc"
    assert isinstance(shield["activity_id"], int) and "Privacy Shield" in shield["message"]


def test_entity_findings_have_a_null_activity_id(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    create_entity(db, DPO, make_entity(dpo_required=None))
    for fmt in ("json", "csv", "table"):
        code, out, _ = run_cli(capsys, db, "--format", fmt)
        assert code == 0 and "dpo_requirement_unknown" in out
    _, out, _ = run_cli(capsys, db, "--format", "json")
    assert json.loads(out)[0]["activity_id"] is None and json.loads(out)[0]["activity"] == ""


def test_as_of_date_changes_the_answer(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    group(db)
    _, out, _ = run_cli(capsys, db, "--as-of", "2019-01-01", "--format", "json")
    assert "transfer_mechanism_invalid" not in {r["rule"] for r in json.loads(out)}


@pytest.mark.parametrize(
    ("entity", "fail_on", "code"),
    [
        (None, "critical", 1),
        ("Parent plc", "critical", 1),
        ("=Child Ltd", "critical", 0),
        ("=Child Ltd", "high", 0),
        ("=Child Ltd", "medium", 1),
    ],
    ids=["group-has-critical", "parent-includes-subsidiary", "subsidiary-alone-no-critical",
         "subsidiary-no-high", "subsidiary-has-medium"],
)
def test_fail_on_exits_1_at_that_severity_or_worse(db: Database, capsys: pytest.CaptureFixture[str],
                                                   entity: str | None, fail_on: str, code: int) -> None:
    group(db)
    args = ["--as-of", "2025-06-01", "--format", "json", "--fail-on", fail_on]
    if entity:
        args += ["--entity", entity]
    assert run_cli(capsys, db, *args)[0] == code


def test_entity_option_includes_subsidiaries(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    parent_id, child_id = group(db)
    _, out, _ = run_cli(capsys, db, "--as-of", "2025-06-01", "--format", "json", "--entity", str(parent_id))
    assert {r["entity"] for r in json.loads(out)} == {"Parent plc", "=Child Ltd"}
    _, out, _ = run_cli(capsys, db, "--as-of", "2025-06-01", "--format", "json", "--entity", str(child_id))
    assert {r["entity"] for r in json.loads(out)} == {"=Child Ltd"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2024-13-01"], "'2024-13-01' is not a date; use YYYY-MM-DD"),
        (["--entity", "No Such Ltd"], "There is no entity named 'No Such Ltd'."),
    ],
    ids=["bad-date", "unknown-entity"],
)
def test_errors_are_one_line_and_exit_2(db: Database, capsys: pytest.CaptureFixture[str], args: list[str],
                                        message: str) -> None:
    code, out, err = run_cli(capsys, db, *args)
    assert code == 2 and out == "" and err == f"error: {message}\n"


def test_csv_neutralises_spreadsheet_formulas(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    group(db)
    code, out, _ = run_cli(capsys, db, "--as-of", "2025-06-01", "--format", "csv", "--entity", "=Child Ltd")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and rows and list(rows[0])[:7] == STABLE_KEYS
    assert {r["entity"] for r in rows} == {"'=Child Ltd"}


def test_table_output_and_empty_register(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, db)
    assert code == 0 and out == "No gaps found.\n"
    group(db)
    code, out, _ = run_cli(capsys, db, "--as-of", "2025-06-01")
    assert code == 0 and "transfer_mechanism_invalid" in out and "1 critical" in out
