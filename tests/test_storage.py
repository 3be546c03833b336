"""Storage: transactions, versions and conflicts, the audit trail, archive/restore, roles."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ropa.auth import User
from ropa.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    RegisterBusy,
    RegisterError,
    RegisterUnavailable,
    ValidationFailed,
    WriteRefused,
)
from ropa.models import Entity
from ropa.storage import activities as store
from ropa.storage import audit
from ropa.storage.database import Database, open_database, storage_error
from ropa.storage.entities import (
    create_entity,
    get_entity,
    set_entity_archived,
    update_entity,
)
from ropa.storage.entity_rows import descendant_ids
from tests.factories import DPO, EDITOR, VIEWER, make_activity, make_entity, make_recipient, make_transfer

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

HOSTILE = [
    "'); DROP TABLE activities;--",
    "<script>alert('x')</script>",
    '=HYPERLINK("http://x","click")',
    "Robert'); DELETE FROM audit_log; --",
    "emoji ✓ ünïcødé \u202e RTL",
    "line\nbreak\ttab\r",
    "y" * 10_000,
]


def audit_rows(db: Database) -> list[tuple[str, str, int | None, int | None]]:
    return [tuple(r) for r in db.rows("SELECT actor, action, record_id, version FROM audit_log ORDER BY id")]  # type: ignore[misc]


@pytest.mark.parametrize("text", HOSTILE, ids=["sql", "html", "formula", "sql-audit", "unicode", "controls", "10k"])
def test_hostile_text_is_stored_and_returned_byte_for_byte(db: Database, entity: Entity, text: str) -> None:
    created = store.create_activity(
        db, EDITOR, make_activity(entity.id, name=text[:500], purpose=text, systems=[text[:500]],
                                  transfers=[make_transfer(recipient=text[:500])]),
    )
    loaded = store.get_activity(db, created.id or 0)
    assert loaded.purpose == text and loaded.name == text[:500] and loaded.systems == [text[:500]]
    assert loaded.transfers[0].recipient == text[:500]
    assert db.rows("SELECT count(*) FROM audit_log")[0][0] == 2  # entity + activity: nothing dropped


@pytest.mark.parametrize("overrides", [
    {},
    {"purpose": "\x01\x1f\x7f \\ \" \u2028", "unmapped": {"Zeta": "z", "Alpha": "ä\n"}},
    {"transfers": [make_transfer(contract_date=date(2021, 9, 27), authority_informed_on=date(2022, 1, 2))],
     "recipients": [make_recipient(name="Payroll Ltd", vendor_id=3)], "last_reviewed": date(2026, 1, 31),
     "retention_kind": "period", "retention_months": 72, "dpia_required": False, "systems": ["b", "a"]},
    *({"name": text[:500], "purpose": text} for text in HOSTILE),
], ids=["defaults", "escapes", "children-and-dates", *(f"hostile-{n}" for n in range(len(HOSTILE)))])
def test_the_audit_json_of_a_new_activity_is_its_content_with_sorted_keys(overrides: dict[str, Any]) -> None:
    activity = make_activity(7, **overrides).model_copy(update={"id": 5, "version": 2, "created_by": "x"})
    expected = json.dumps({**activity.content(), "entity_id": 12}, ensure_ascii=False, sort_keys=True)
    assert store.content_json(activity, 12) == expected


def test_create_writes_version_one_and_an_audit_row_in_the_same_transaction(db: Database, entity: Entity) -> None:
    created = store.create_activity(db, EDITOR, make_activity(entity.id))
    assert created.version == 1 and created.created_by == EDITOR.email
    actor, action, record_id, version = audit_rows(db)[-1]
    assert (actor, action, record_id, version) == (EDITOR.email, "create", created.id, 1)
    after = json.loads(db.rows("SELECT after FROM audit_log ORDER BY id DESC LIMIT 1")[0][0])
    assert after["name"] == created.name


def test_update_bumps_version_and_audits_before_and_after(db: Database, entity: Entity) -> None:
    created = store.create_activity(db, EDITOR, make_activity(entity.id))
    updated = store.update_activity(db, EDITOR, created.model_copy(update={"purpose": "New purpose"}), 1)
    assert updated.version == 2
    before, after = db.rows("SELECT before, after FROM audit_log ORDER BY id DESC LIMIT 1")[0]
    assert json.loads(before)["purpose"] == created.purpose and json.loads(after)["purpose"] == "New purpose"


def test_saving_an_unchanged_record_writes_nothing(db: Database, entity: Entity) -> None:
    created = store.create_activity(db, EDITOR, make_activity(entity.id))
    again = store.update_activity(db, EDITOR, created, 1)
    assert again.version == 1 and len(audit_rows(db)) == 2


def test_stale_version_raises_a_conflict_naming_what_changed(db: Database, entity: Entity) -> None:
    created = store.create_activity(db, EDITOR, make_activity(entity.id))
    store.update_activity(db, DPO, created.model_copy(update={"purpose": "Theirs", "owner": "CFO"}), 1)
    with pytest.raises(ConflictError) as caught:
        store.update_activity(db, EDITOR, created.model_copy(update={"purpose": "Mine"}), 1)
    conflict = caught.value
    assert conflict.by == DPO.email and conflict.current == 2
    assert conflict.changes == {"purpose": (created.purpose, "Theirs"), "owner": (created.owner, "CFO"),
                                "status": ("approved", "draft")}  # their edit took away the approval
    assert store.get_activity(db, created.id or 0).purpose == "Theirs"


def test_two_threads_saving_the_same_version_never_both_win(db: Database, entity: Entity) -> None:
    created = store.create_activity(db, EDITOR, make_activity(entity.id))
    outcomes: list[str] = []

    def save(purpose: str) -> None:
        try:
            store.update_activity(db, EDITOR, created.model_copy(update={"purpose": purpose}), 1)
            outcomes.append("saved")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(f"writer {i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("saved") == 1 and outcomes.count("conflict") == 3
    assert store.get_activity(db, created.id or 0).version == 2


def _another_process_can_open(path: Path) -> bool:
    code = ("import sys, duckdb\n"
            "try:\n    duckdb.connect(sys.argv[1]).close()\nexcept duckdb.IOException:\n    sys.exit(3)")
    return subprocess.run([sys.executable, "-c", code, str(path)], timeout=60).returncode == 0


@pytest.mark.keep_registers_open(False)  # counts the opens of the file itself
def test_kept_open_opens_the_file_once_for_several_units_of_work(db: Database, entity: Entity,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[object] = []
    real_connect = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: opened.append(a) or real_connect(*a, **k))
    with db.kept_open():
        created = store.create_activity(db, EDITOR, make_activity(entity.id))
        store.get_activity(db, created.id or 0)
        assert db.rows("SELECT count(*) FROM activities") == [(1,)]
        assert not _another_process_can_open(db.path)
    assert len(opened) == 1
    assert _another_process_can_open(db.path)


def test_a_failed_write_leaves_nothing_half_written(db: Database, entity: Entity) -> None:
    good = make_activity(entity.id)
    orphan = make_activity(entity.id + 99)
    with pytest.raises(ValidationFailed, match="there is no entity"):
        store.create_activities(db, EDITOR, [good, orphan])
    assert db.rows("SELECT count(*) FROM activities")[0][0] == 0
    assert db.rows("SELECT count(*) FROM recipients")[0][0] == 0
    assert len(audit_rows(db)) == 1


def test_archive_and_restore_keep_the_record_and_its_history(db: Database, entity: Entity) -> None:
    created = store.create_activity(db, EDITOR, make_activity(entity.id, status="approved"))
    archived = store.archive_activity(db, EDITOR, created.id or 0, 1)
    assert archived.status == "archived"
    restored = store.restore_activity(db, EDITOR, created.id or 0, archived.version)
    assert restored.status == "draft" and restored.version == 3
    assert [r[1] for r in audit_rows(db)][-3:] == ["create", "archive", "restore"]


def test_restoring_a_live_activity_is_refused(db: Database, entity: Entity) -> None:
    created = store.create_activity(db, EDITOR, make_activity(entity.id))
    with pytest.raises(ValidationFailed, match="only an archived activity"):
        store.restore_activity(db, EDITOR, created.id or 0, 1)


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [("draft", "in_review", True), ("in_review", "approved", True), ("in_review", "draft", True),
     ("approved", "in_review", True), ("draft", "approved", False), ("approved", "draft", False)],
    ids=lambda v: str(v),
)
def test_review_workflow_moves_one_step_at_a_time(db: Database, entity: Entity, start: str, to: str,
                                                  allowed: bool) -> None:
    created = store.create_activity(db, EDITOR, make_activity(entity.id, status=start))
    if allowed:
        assert store.transition(db, EDITOR, created.id or 0, 1, to).status == to
    else:
        with pytest.raises(ValidationFailed, match=f"cannot go from {start} to {to}"):
            store.transition(db, EDITOR, created.id or 0, 1, to)


def test_mark_reviewed_sets_last_and_next_review(db: Database, entity: Entity) -> None:
    created = store.create_activity(db, EDITOR, make_activity(entity.id))
    reviewed = store.mark_reviewed(db, EDITOR, created.id or 0, 1, on=date(2026, 1, 31), interval_months=1)
    assert reviewed.last_reviewed == date(2026, 1, 31) and reviewed.next_review_due == date(2026, 2, 28)


def test_duplicate_starts_a_fresh_draft(db: Database, entity: Entity) -> None:
    created = store.create_activity(db, EDITOR, make_activity(entity.id, status="approved"))
    copy = store.duplicate_activity(db, EDITOR, created.id or 0)
    assert copy.id != created.id and copy.status == "draft" and copy.name.endswith("(copy)")


def test_unknown_activity_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound, match="no activity with id 404"):
        store.get_activity(db, 404)


@pytest.mark.parametrize(
    ("call", "user"),
    [
        pytest.param(lambda db, e, u: store.create_activity(db, u, make_activity(e.id)), VIEWER, id="create"),
        pytest.param(lambda db, e, u: store.update_activity(db, u, make_activity(e.id, id=1), 1), VIEWER, id="update"),
        pytest.param(lambda db, e, u: store.archive_activity(db, u, 1, 1), VIEWER, id="archive"),
        pytest.param(lambda db, e, u: store.restore_activity(db, u, 1, 1), VIEWER, id="restore"),
        pytest.param(lambda db, e, u: store.transition(db, u, 1, 1, "in_review"), VIEWER, id="transition"),
        pytest.param(lambda db, e, u: store.mark_reviewed(db, u, 1, 1, on=date.today()), VIEWER, id="review"),
        pytest.param(lambda db, e, u: create_entity(db, u, make_entity(name="Other Ltd")), EDITOR, id="entity-create"),
        pytest.param(lambda db, e, u: update_entity(db, u, e, 1), EDITOR, id="entity-update"),
    ],
)
def test_writes_are_refused_without_the_role(db: Database, entity: Entity, call: object, user: User) -> None:
    before = audit_rows(db)
    with pytest.raises(PermissionDenied, match=f"is a {user.role.value} and may not"):
        call(db, entity, user)  # type: ignore[operator]
    assert audit_rows(db) == before


def test_entity_update_conflict_and_group_structure(db: Database, entity: Entity) -> None:
    child = create_entity(db, DPO, make_entity(name="Child Ltd", parent_id=entity.id, country="IE"))
    grandchild = create_entity(db, DPO, make_entity(name="Grandchild GmbH", parent_id=child.id, country="DE"))
    assert descendant_ids(db, entity.id or 0) == [entity.id, child.id, grandchild.id]
    update_entity(db, DPO, entity.model_copy(update={"phone": "+44 1"}), 1)
    with pytest.raises(ConflictError) as caught:
        update_entity(db, DPO, entity.model_copy(update={"email": "new@example.test"}), 1)
    assert "phone" in caught.value.changes
    with pytest.raises(ValidationFailed, match="circular"):
        update_entity(db, DPO, get_entity(db, entity.id or 0).model_copy(update={"parent_id": grandchild.id}), 2)


def test_entity_names_are_unique_case_insensitively(db: Database, entity: Entity) -> None:
    with pytest.raises(ValidationFailed, match="already exists"):
        create_entity(db, DPO, make_entity(name=entity.name.upper()))


def test_entity_archive_and_restore_are_audited(db: Database, entity: Entity) -> None:
    archived = set_entity_archived(db, DPO, entity.id or 0, 1, True)
    assert archived.archived
    set_entity_archived(db, DPO, entity.id or 0, 2, False)
    assert [r[1] for r in audit_rows(db)] == ["create", "archive", "restore"]


def test_nothing_in_ropa_updates_or_deletes_audit_rows() -> None:
    from pathlib import Path

    import ropa

    root = Path(ropa.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8").lower()
        assert "update audit_log" not in text and "delete from audit_log" not in text, path


def test_the_change_stamp_moves_with_every_write_and_names_who_wrote(db: Database, entity: Entity) -> None:
    before = audit.change_stamp(db)
    created = store.create_activity(db, EDITOR, make_activity(entity.id))
    assert audit.change_stamp(db) > before
    store.transition(db, DPO, created.id or 0, created.version, "in_review")
    assert audit.actors(db) == sorted({DPO.email, EDITOR.email})


def test_latest_event_is_the_newest_of_the_actions_asked_for(db: Database, entity: Entity) -> None:
    created = store.create_activity(db, EDITOR, make_activity(entity.id))
    moved = store.transition(db, DPO, created.id or 0, created.version, "in_review")
    store.update_activity(db, EDITOR, moved.model_copy(update={"owner": "Someone else"}), moved.version)
    event = audit.latest_event(db, "activity", created.id or 0, ("create", "status"))
    assert event is not None and (event.actor, event.action) == (DPO.email, "status")
    assert audit.latest_event(db, "activity", created.id or 0, ("archive",)) is None


# -- a busy or broken register file is one typed error with a one-line message ----------------

HOLD_FILE = """
import sys, time
import duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(30)
"""


def _one_line(error: BaseException) -> str:
    message = str(error)
    assert "\n" not in message and "Traceback" not in message and len(message) < 400, message
    return message


@pytest.mark.keep_registers_open(False)  # another process must be able to take the file
def test_a_register_held_by_another_process_past_the_timeout_is_register_busy(db: Database,
                                                                             entity: Entity) -> None:
    slow = Database(db.path, busy_timeout=0.3)
    with subprocess.Popen([sys.executable, "-c", HOLD_FILE, str(db.path)], stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
            for call in (lambda: slow.rows("SELECT 1"), lambda: store.create_activity(slow, EDITOR,
                                                                                      make_activity(entity.id))):
                with pytest.raises(RegisterBusy) as caught:
                    call()
                assert "is in use by another program; waited 0 s" in _one_line(caught.value)
        finally:
            holder.kill()
    assert isinstance(caught.value, RegisterError) and not isinstance(caught.value, RegisterUnavailable)


@contextmanager
def _read_only(path: Path) -> Iterator[None]:
    """The file made read-only for this process: chmod, or the immutable flag for root (whom chmod does not stop)."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        yield
        path.chmod(0o644)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
        pytest.skip("running as root on a file system without the immutable flag: cannot make a file read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def _truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _scribble(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size // 3)
        handle.write(os.urandom(size // 3))


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a register\n" * 400)


@pytest.fixture
def filled(db: Database, entity: Entity) -> Database:
    """A register with enough rows that its data spans several blocks of the file."""
    store.create_activities(db, DPO, [make_activity(entity.id, name=f"Activity {i}", purpose="p" * 2000)
                                      for i in range(300)])
    return db


@pytest.mark.keep_registers_open(False)  # the file is damaged behind the register's back
@pytest.mark.parametrize(("damage", "message"), [
    pytest.param(_truncate, "is damaged or is not a register file (truncated or corrupt)", id="truncated"),
    pytest.param(_scribble, "is damaged or is not a register file (truncated or corrupt)", id="corrupt-blocks"),
    pytest.param(_garbage, "is damaged or is not a register file (truncated or corrupt)", id="not-a-database"),
])
def test_a_damaged_register_is_register_unavailable_on_read_and_write(
        filled: Database, damage: Callable[[Path], None], message: str) -> None:
    damage(filled.path)
    calls = {
        "read": lambda: filled.frame("SELECT sum(length(purpose)) FROM activities"),
        "write": lambda: store.create_activity(filled, EDITOR, make_activity(1, name="After the damage")),
    }
    for what, call in calls.items():
        with pytest.raises(RegisterUnavailable) as caught:
            call()
        assert message in _one_line(caught.value) and "Restore it from a backup" in str(caught.value), what


@pytest.mark.keep_registers_open(False)  # the file is made read-only behind the register's back
def test_a_read_only_register_is_register_unavailable_on_open_and_write(filled: Database) -> None:
    with _read_only(filled.path):
        for call in (lambda: open_database(filled.path),
                     lambda: store.create_activity(filled, EDITOR, make_activity(1, name="Read-only"))):
            with pytest.raises(RegisterUnavailable, match="cannot be written: the file or its folder is read-only"):
                call()
    assert filled.rows("SELECT count(*) FROM activities") == [(300,)]


FULL_DISK = """
import os, resource, signal, sys
from ropa.errors import ConflictError, RopaError
from tests.factories import EDITOR
from ropa.storage import activities as store
from ropa.storage.database import Database
db = Database(sys.argv[1])
activity = store.get_activity(db, 1)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writing past the limit then fails with EFBIG, as on a full disk
limit = 64 * 1024  # the write-ahead log, where a save goes first, may grow no further
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
try:
    store.update_activity(db, EDITOR, activity.model_copy(update={"purpose": os.urandom(600_000).hex()}), 1)
    print("saved")
except RopaError as error:
    print(type(error).__name__, error, sep="|")
"""


@pytest.mark.keep_registers_open(False)  # the full disk must show on the next open
def test_a_full_disk_on_save_is_reported_as_such_never_as_a_conflict(db: Database, entity: Entity) -> None:
    store.create_activity(db, EDITOR, make_activity(entity.id))
    with db.connect() as con:
        con.execute("CHECKPOINT")
    done = subprocess.run([sys.executable, "-c", FULL_DISK, str(db.path)], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parent.parent)
    kind, _, message = done.stdout.strip().partition("|")
    assert kind == "RegisterUnavailable", done.stdout + done.stderr
    assert "could not be written, so nothing was saved: the disk is full" in message and "changed by" not in message
    assert store.get_activity(db, 1).version == 1


def _masked(first: BaseException) -> BaseException:
    """What a ``finally: con.unregister(...)`` raises after ``first`` aborted the transaction."""
    try:
        try:
            raise first
        finally:
            raise duckdb.TransactionException("TransactionContext Error: Current transaction is aborted "
                                              "(please ROLLBACK)")
    except duckdb.TransactionException as masking:
        return masking


@pytest.mark.parametrize(("error", "kind", "message"), [
    pytest.param(duckdb.TransactionException("TransactionContext Error: Conflict on update!"), None, "",
                 id="real-conflict-passes-through"),
    pytest.param(duckdb.TransactionException('TransactionContext Error: Failed to commit: Could not write file '
                                             '"x.wal": No space left on device'), RegisterUnavailable,
                 "the disk is full", id="full-disk-commit"),
    pytest.param(duckdb.ConstraintException('Constraint Error: Duplicate key "id: 1" violates primary key '
                                            "constraint."), WriteRefused,
                 'nothing was saved: Duplicate key "id: 1" violates primary key constraint', id="constraint"),
    pytest.param(duckdb.IOException('IO Error: Could not write file "x": Input/output error'),
                 RegisterUnavailable, "could not be read or written: Could not write file", id="io"),
    pytest.param(duckdb.BinderException("Binder Error: no column x"), None, "", id="a-bug-stays-a-bug"),
    pytest.param(PermissionError(13, "Permission denied"), RegisterUnavailable, "read-only", id="folder"),
    pytest.param(_masked(duckdb.IOException("IO Error: Could not read enough bytes from file")),
                 RegisterUnavailable, "truncated or corrupt", id="aborted-transaction-tells-the-first-error"),
])
def test_storage_errors_are_named_for_what_they_are(error: BaseException, kind: type[Exception] | None,
                                                    message: str) -> None:
    typed = storage_error(Path("reg.duckdb"), error)
    if kind is None:
        assert typed is error
    else:
        assert isinstance(typed, kind) and message in _one_line(typed)
        assert not isinstance(typed, ConflictError)
