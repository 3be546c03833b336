"""``python -m ropa export``: the workbook (or CSV zip, or JSON) from the command line, logged like the page's."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ropa.cli import main, os_account
from ropa.export import list_exports
from ropa.export.sheets import CONTROLLER, ENTITIES, GAPS, PROCESSOR, REFERENCE, TRANSFERS
from ropa.models import Entity
from ropa.storage.activities import create_activities
from ropa.storage.database import Database
from ropa.storage.entities import create_entity
from tests.factories import DPO, make_activity, make_entity

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def register(db: Database, entity: Entity) -> Database:
    child = create_entity(db, DPO, make_entity(name="Child GmbH", country="DE", parent_id=entity.id))
    create_activities(db, DPO, [make_activity(entity.id or 0, name="Parent activity"),
                                make_activity(child.id or 0, name="Child activity")])
    create_entity(db, DPO, make_entity(name="Unrelated Ltd"))
    return db


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_export_writes_the_file_and_logs_it(register: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            fmt: str) -> None:
    out_path = tmp_path / f"register.{fmt}"
    code, out, err = run_cli(capsys, "--db", str(register.path), "--user", "auditor@example.test", "export",
                             "--format", fmt, "--out", str(out_path), "--as-of", "2026-01-31", "--all-organisations")
    assert code == 0 and not err
    assert out.startswith(f"{out_path}: 2 activities (the whole group, as of 2026-01-31)")
    logged = list_exports(register).to_dict(orient="records")
    by = f"auditor@example.test (os: {os_account()})"  # the CLI records the OS account beside the name given
    assert [(e["format"], e["by"], e["file"]) for e in logged] == [(fmt, by, out_path.name)]
    # The JSON writer hashes the file as it writes it; the others' files are read back: the same hash.
    file_sha256 = hashlib.sha256(out_path.read_bytes()).hexdigest()
    assert logged[0]["file SHA-256"] == file_sha256 and out.rstrip().endswith(f"sha256 {file_sha256}")
    if fmt == "xlsx":
        assert load_workbook(out_path, read_only=True).sheetnames[1] == CONTROLLER
    elif fmt == "csv":
        assert "01_article_30_1_controller.csv" in zipfile.ZipFile(out_path).namelist()
    else:
        assert json.loads(out_path.read_text(encoding="utf-8"))["as_of"] == "2026-01-31"


def test_entity_option_exports_the_entity_and_its_subsidiaries(register: Database, entity: Entity, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out_path = tmp_path / "entity.json"
    code, out, _ = run_cli(capsys, "--db", str(register.path), "export", "--format", "json", "--out", str(out_path),
                           "--entity", entity.name)
    document = json.loads(out_path.read_text(encoding="utf-8"))
    assert code == 0 and f"{entity.name} and its subsidiaries" in out
    assert sorted(a["content"]["name"] for a in document["activities"]) == ["Child activity", "Parent activity"]
    assert "Unrelated Ltd" not in {e["content"]["name"] for e in document["entities"]}


@pytest.mark.parametrize(("args", "sheets"), [
    pytest.param([], ["Cover", CONTROLLER, PROCESSOR, TRANSFERS, ENTITIES, REFERENCE], id="the-record-only"),
    pytest.param(["--with-gaps"], ["Cover", CONTROLLER, PROCESSOR, TRANSFERS, GAPS, ENTITIES, REFERENCE],
                 id="with-gaps"),
])
def test_with_gaps_adds_the_gap_analysis(register: Database, entity: Entity, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str], args: list[str],
                                         sheets: list[str]) -> None:
    out_path = tmp_path / "r.xlsx"
    code, _, _ = run_cli(capsys, "--db", str(register.path), "export", "--out", str(out_path), "--entity",
                         entity.name, *args)
    assert code == 0 and load_workbook(out_path, read_only=True).sheetnames == sheets


@pytest.mark.parametrize(("args", "message"), [
    pytest.param([], "error: The register holds 2 unrelated organisations (Example Holdings Limited, Unrelated Ltd); "
                 "a record for a supervisory authority covers one: choose one with its subsidiaries (--entity NAME), "
                 "or export them together (--all-organisations).", id="two-organisations"),
    pytest.param(["--entity", "Nobody"], "error: There is no entity named 'Nobody'.", id="unknown-entity"),
    pytest.param(["--as-of", "31/01/2026"], "error: '31/01/2026' is not a date; use YYYY-MM-DD", id="bad-date"),
    pytest.param(["--out", "/nonexistent-folder/r.xlsx"], "error: The folder /nonexistent-folder does not exist.",
                 id="missing-folder"),
])
def test_export_errors_are_one_line(register: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    args: list[str], message: str) -> None:
    base = ["--db", str(register.path), "export", "--out", str(tmp_path / "r.xlsx")]
    code, _, err = run_cli(capsys, *base, *args)
    assert code == 2 and err.strip() == message
    assert list_exports(register).empty


def test_unknown_format_is_refused_by_the_parser(register: Database, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--db", str(register.path), "export", "--format", "docx", "--out", "r.docx"])
    assert exited.value.code == 2 and "invalid choice: 'docx'" in capsys.readouterr().err
