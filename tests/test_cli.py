"""The command line: stable JSON, one-line errors, backup/restore, and living beside the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ropa.cli import main, os_account
from ropa.models import Entity
from ropa.storage.activities import create_activity
from ropa.storage.database import Database
from tests.factories import EDITOR, make_activity, make_transfer

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

LIST_KEYS = ["id", "entity", "name", "business_function", "purpose", "role", "lawful_bases", "special_categories",
             "data_subjects", "data_categories", "recipients", "transfers", "retention", "status", "source", "version"]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json_has_the_stable_keys(db: Database, entity: Entity, capsys: pytest.CaptureFixture[str]) -> None:
    create_activity(db, EDITOR, make_activity(entity.id, data_categories=["special.health", "contact.email"],
                                              transfers=[make_transfer(country="US", mechanism="dpf")]))
    code, out, _ = run_cli(capsys, "--db", str(db.path), "list", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and list(rows[0]) == LIST_KEYS
    assert rows[0]["entity"] == entity.name and rows[0]["special_categories"] == ["special.health"]
    assert rows[0]["transfers"][0]["country"] == "US" and rows[0]["transfers"][0]["mechanism"] == "dpf"
    assert rows[0]["retention"] == {"kind": "period", "months": 72, "trigger": "end_of_financial_year", "rule": ""}


def test_list_table_and_show(db: Database, entity: Entity, capsys: pytest.CaptureFixture[str]) -> None:
    created = create_activity(db, EDITOR, make_activity(entity.id, name="<script>x</script>"))
    code, out, _ = run_cli(capsys, "--db", str(db.path), "list")
    assert code == 0 and "<script>x</script>" in out
    code, out, _ = run_cli(capsys, "--db", str(db.path), "show", str(created.id))
    assert code == 0 and json.loads(out)["name"] == "<script>x</script>"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["show", "999"], "error: There is no activity with id 999.", id="unknown-id"),
        pytest.param(["restore", "missing.json"], "error: There is no backup file at missing.json.", id="no-backup"),
    ],
)
def test_errors_print_one_line_and_exit_non_zero(db: Database, capsys: pytest.CaptureFixture[str],
                                                 args: list[str], message: str) -> None:
    code, _, err = run_cli(capsys, "--db", str(db.path), *args)
    assert code == 2 and err.strip() == message and "Traceback" not in err


@pytest.mark.parametrize("content", [b"", b"not a register" * 300], ids=["empty", "garbage"])
def test_a_damaged_register_file_is_one_line_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          content: bytes) -> None:
    path = tmp_path / "broken.duckdb"
    path.write_bytes(content)
    code, _, err = run_cli(capsys, "--db", str(path), "list")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: The register {path} is damaged or is not a register file")


def test_backup_and_restore_round_trip_through_the_cli(db: Database, entity: Entity, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    create_activity(db, EDITOR, make_activity(entity.id))
    out_file = tmp_path / "snap.json.gz"
    code, out, _ = run_cli(capsys, "--db", str(db.path), "backup", "--out", str(out_file))
    assert code == 0 and "activities 1" in out
    other = tmp_path / "other.duckdb"
    code, out, _ = run_cli(capsys, "--db", str(other), "--user", "restorer@example.test", "restore", str(out_file))
    assert code == 0 and "activities 1" in out
    code, out, _ = run_cli(capsys, "--db", str(other), "list", "--format", "json")
    assert [a["name"] for a in json.loads(out)] == ["Customer billing"]


@pytest.mark.parametrize("where", ["before", "after"])
def test_db_and_user_are_accepted_before_or_after_the_sub_command(db: Database, entity: Entity, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  where: str) -> None:
    create_activity(db, EDITOR, make_activity(entity.id))
    options = ["--db", str(db.path), "--user", "viewer@example.com"]
    command = ["backup", "--out", str(tmp_path / "b.json")]
    code, out, err = run_cli(capsys, *(options + command if where == "before" else command + options))
    assert code == 0 and "activities 1" in out, err
    assert db.rows("SELECT actor FROM audit_log WHERE action = 'backup'") == [
        (f"viewer@example.com (os: {os_account()})",)]


@pytest.mark.parametrize(("argv", "env", "actor"), [
    pytest.param(["--user", "viewer@example.com"], {}, "viewer@example.com (os: {os})", id="name-beside-account"),
    pytest.param([], {"ROPA_USER": "dpo@example.com"}, "dpo@example.com (os: {os})", id="name-from-environment"),
    pytest.param([], {}, "cli:{os}", id="account-alone"),
])
def test_every_cli_write_is_audited_under_the_os_account(db: Database, entity: Entity, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch, argv: list[str],
                                                        env: dict[str, str], actor: str) -> None:
    monkeypatch.delenv("ROPA_USER", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    backup_file = tmp_path / "b.json"
    assert run_cli(capsys, "--db", str(db.path), "backup", "--out", str(backup_file))[0] == 0
    code, _, err = run_cli(capsys, "--db", str(db.path), *argv, "restore", str(backup_file))
    assert code == 0, err
    assert db.rows("SELECT actor FROM audit_log ORDER BY id DESC LIMIT 1") == [(actor.format(os=os_account()),)]


def test_help_names_the_program_ropa_and_says_roles_are_not_checked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith("usage: ropa ") and "does not check roles" in out
    assert "records every write under your operating-system account" in out


def test_init_creates_an_empty_register(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--db", str(tmp_path / "new.duckdb"), "init")
    assert code == 0 and "0 entities, 0 activities" in out


def _trail(db: Database) -> list[tuple[object, ...]]:
    return db.rows("SELECT * FROM audit_log ORDER BY id")


@pytest.mark.parametrize(("args", "message"), [
    pytest.param(["init", "--force"], "error: --force only goes with --demo; init never empties a register",
                 id="force"),
    pytest.param(["init", "--demo"], "already holds a register (1 entities, 1 activities, 2 audit rows); add --force",
                 id="demo-over-a-register"),
])
def test_init_never_empties_a_register(db: Database, entity: Entity, capsys: pytest.CaptureFixture[str],
                                       args: list[str], message: str) -> None:
    create_activity(db, EDITOR, make_activity(entity.id))
    trail = _trail(db)
    code, _, err = run_cli(capsys, "--db", str(db.path), *args)
    assert code == 2 and message in err and err.count("\n") == 1
    assert _trail(db) == trail and db.rows("SELECT count(*) FROM activities") == [(1,)]


@pytest.mark.keep_registers_open(False)  # init moves the register's file aside
def test_init_demo_force_keeps_the_old_register_and_its_audit_trail_beside_the_demo(
        db: Database, entity: Entity, capsys: pytest.CaptureFixture[str]) -> None:
    create_activity(db, EDITOR, make_activity(entity.id))
    trail = _trail(db)
    code, out, err = run_cli(capsys, "--db", str(db.path), "init", "--demo", "--force")
    assert code == 0, err
    kept = [p for p in db.path.parent.iterdir() if p.name.startswith(f"{db.path.name}.replaced-")]
    assert len(kept) == 1 and f"kept the previous register, with its audit trail, as {kept[0]}" in out
    assert _trail(Database(kept[0])) == trail
    assert db.rows("SELECT count(*) FROM entities")[0][0] > 1
    assert "Example Holdings Limited" not in {r[0] for r in db.rows("SELECT name FROM entities")}


def _python(code: str, db_path: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "ROPA_DB": str(db_path), **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)


HOLD = """
import sys, time
from ropa.storage.database import open_database
db = open_database()
with db.connect():
    print("holding", flush=True)
    time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else {seconds})
"""

WRITE = """
from tests.factories import EDITOR, make_activity
from ropa.storage.database import open_database
from ropa.storage.activities import create_activity
db = open_database()
for i in range(15):
    create_activity(db, EDITOR, make_activity(1, name="{who} %d" % i))
"""


def _wait_for_holding(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "holding"


@pytest.mark.keep_registers_open(False)  # another process holds the file
def test_the_cli_waits_while_another_process_holds_the_register(db: Database, entity: Entity) -> None:
    with _python(HOLD.format(seconds=1.5), db.path) as holder:
        _wait_for_holding(holder)
        started = time.monotonic()
        cli = subprocess.run([sys.executable, "-m", "ropa", "--db", str(db.path), "list", "--format", "json"],
                             capture_output=True, text=True, cwd=Path(__file__).parent.parent)
        holder.communicate(timeout=30)
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == [] and time.monotonic() - started >= 0.5


@pytest.mark.keep_registers_open(False)  # another process holds the file
def test_the_cli_gives_up_with_a_clear_message_when_the_register_stays_busy(db: Database) -> None:
    with _python(HOLD.format(seconds=8), db.path) as holder:
        try:
            _wait_for_holding(holder)
            cli = subprocess.run([sys.executable, "-m", "ropa", "--db", str(db.path), "list"], capture_output=True,
                                 text=True, cwd=Path(__file__).parent.parent,
                                 env={**os.environ, "ROPA_BUSY_TIMEOUT": "1"})
        finally:
            holder.kill()
            holder.communicate()
    assert cli.returncode == 2
    assert "is in use by another program; waited 1 s" in cli.stderr and "Traceback" not in cli.stderr


@pytest.mark.keep_registers_open(False)  # other processes write the file
def test_two_processes_writing_at_once_lose_nothing(db: Database, entity: Entity) -> None:
    writers = [_python(WRITE.format(who=who), db.path) for who in ("app", "cli")]
    for writer in writers:
        with writer:
            _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    assert db.rows("SELECT count(*) FROM activities")[0][0] == 30
    assert db.rows("SELECT count(*) FROM audit_log WHERE record_type = 'activity'")[0][0] == 30


COMMAND_PROBE = """
import runpy, sys

sys.argv = ["ropa", *sys.argv[1:]]
try:
    runpy.run_module("ropa", run_name="__main__")
except SystemExit as done:
    assert not done.code, done.code
print(" ".join(sorted(m for m in ("pydantic", "pandas", "ropa.models", "ropa.reference") if m in sys.modules)),
      file=sys.stderr)
"""


@pytest.mark.keep_registers_open(False)  # each command runs in a new process
@pytest.mark.parametrize("command", [["list", "--format", "json"], ["show", "1"], ["gaps", "--help"],
                                     ["export", "--format", "json", "--out", "{out}", "--all-organisations"]],
                         ids=["list-json", "show", "help", "export-json"])
def test_reading_commands_start_without_the_models_or_pandas(demo_db: Database, tmp_path: Path,
                                                             command: list[str]) -> None:
    """Each command pays its imports on every run: pydantic and pandas cost a cold start more than its work."""
    argv = [part.replace("{out}", str(tmp_path / "register.json")) for part in command]
    done = subprocess.run([sys.executable, "-c", COMMAND_PROBE, "--db", str(demo_db.path), *argv],
                          capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1])
    assert done.stdout and done.stderr.strip() == "", done.stderr


@pytest.mark.keep_registers_open(False)  # counts the opens of the file itself
@pytest.mark.parametrize("command", [["list", "--format", "json"], ["list"], ["show", "1"],
                                     ["export", "--format", "json", "--out", "{out}", "--all-organisations"]],
                         ids=["list-json", "list-table", "show", "export-json"])
def test_reading_commands_open_the_register_once(demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    """Each open starts a DuckDB instance: the migration check and the work share one."""
    from ropa.storage import database

    opens: list[str] = []
    connect = database.duckdb.connect
    monkeypatch.setattr(database.duckdb, "connect", lambda path, *a, **k: opens.append(path) or connect(path, *a, **k))
    argv = [part.replace("{out}", str(tmp_path / "register.json")) for part in command]
    code, _, err = run_cli(capsys, "--db", str(demo_db.path), *argv)
    assert code == 0 and opens == [str(demo_db.path)], err
