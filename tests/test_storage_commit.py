"""Where a commit goes: a big one straight into the register file, a small one through the write-ahead log."""

from __future__ import annotations

from pathlib import Path

import pytest

from ropa.auth import User
from ropa.models import Entity
from ropa.storage import activities as store
from ropa.storage.database import Database
from tests.factories import make_activity


def _log_bytes(db: Database) -> int:
    log = Path(f"{db.path}.wal")
    return log.stat().st_size if log.exists() else 0


@pytest.mark.parametrize(("count", "through_the_log"), [(1, True), (3_000, False)],
                         ids=["one-edit-is-logged", "a-bulk-write-goes-into-the-file"])
def test_a_commit_is_logged_only_when_it_is_small(db: Database, editor: User, entity: Entity, count: int,
                                                  through_the_log: bool) -> None:
    activities = [make_activity(entity.id or 0, name=f"Activity {n}") for n in range(count)]
    with db.kept_open():  # the file stays open, so no close checkpoints the log meanwhile
        store.create_activities(db, editor, activities)
        assert (_log_bytes(db) > 0) is through_the_log
    reopened = Database(db.path)
    assert reopened.rows("SELECT count(*) FROM activities") == [(count,)]
    assert reopened.rows("SELECT count(*) FROM audit_log WHERE record_type = 'activity'") == [(count,)]
