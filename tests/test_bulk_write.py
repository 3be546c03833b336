"""Writing many records at once: activities chunk by chunk, entities in one batch, each with its audit row."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest

from ropa.errors import PermissionDenied, ValidationFailed
from ropa.models import Entity
from ropa.storage import activities as store
from ropa.storage.database import Database
from ropa.storage.entities import insert_entities, list_entities, reserve_entity_ids
from tests.factories import DPO, VIEWER, make_activity, make_entity, make_recipient, make_transfer

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when


def _audit(db: Database, record_type: str) -> list[tuple[Any, ...]]:
    return db.rows("SELECT record_id, entity_id, version, action, before, after, detail, actor FROM audit_log "
                   "WHERE record_type = ? ORDER BY id", [record_type])


@pytest.mark.parametrize("count", [1, 3, 7, 9])
def test_a_bulk_create_across_chunks_stores_each_activity_as_returned_with_one_audit_row(
        db: Database, entity: Entity, monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    monkeypatch.setattr(store, "WRITE_CHUNK", 3)
    given = [make_activity(entity.id or 0, name=f"Activity {i}", unmapped={"Column é": f"value {i}"},
                           recipients=[make_recipient(name=f"R{i}.{j}") for j in range(i % 3)],
                           transfers=[make_transfer(recipient=f"T{i}")] if i % 2 else [])
             for i in range(count)]
    returned = store.create_activities(db, DPO, given, detail="bulk")
    assert [a.id for a in returned] == sorted({a.id for a in returned})
    with db.connect() as con:
        loaded = store.load_activities(con)
    assert [a.model_dump() for a in loaded] == [a.model_dump() for a in returned]
    assert [a.content() for a in loaded] == [a.content() for a in given]
    assert {(a.version, a.created_by, a.updated_by) for a in loaded} == {(1, DPO.email, DPO.email)}
    assert _audit(db, "activity") == [
        (a.id, entity.id, 1, "create", None, json.dumps(a.content(), ensure_ascii=False, sort_keys=True), "bulk",
         DPO.email) for a in returned]


def test_a_bulk_create_maps_provisional_entity_ids_to_stored_ones_in_rows_and_audit(db: Database) -> None:
    with db.transaction() as con:
        first, second = insert_entities(con, DPO, [make_entity(name="First Ltd"), make_entity(name="Second Ltd")])
        stored = store.create_activities(db, DPO, [make_activity(-1), make_activity(-2), make_activity(-1)],
                                         con=con, entity_ids={-1: first.id or 0, -2: second.id or 0})
    assert [a.entity_id for a in stored] == [first.id, second.id, first.id]
    assert [row[1] for row in _audit(db, "activity")] == [first.id, second.id, first.id]
    assert [json.loads(row[5])["entity_id"] for row in _audit(db, "activity")] == [first.id, second.id, first.id]


def test_a_bulk_create_naming_an_unknown_entity_writes_nothing(db: Database, entity: Entity) -> None:
    with pytest.raises(ValidationFailed, match="there is no entity with id 999"):
        store.create_activities(db, DPO, [make_activity(entity.id or 0), make_activity(999)])
    assert db.rows("SELECT count(*) FROM activities")[0][0] == 0


def test_a_batch_of_entities_may_name_parents_of_the_same_batch(db: Database) -> None:
    with db.transaction() as con:
        parent_id, child_id = reserve_entity_ids(con, 2)
        stored = insert_entities(con, DPO, [
            make_entity(name="Parent plc", id=parent_id),
            make_entity(name="Child Ltd", id=child_id, parent_id=parent_id),
            make_entity(name="Sibling Ltd", parent_id=parent_id),
        ], detail="batch")
    assert [(e.name, e.parent_id) for e in list_entities(db)] == [
        ("Parent plc", None), ("Child Ltd", parent_id), ("Sibling Ltd", parent_id)]
    assert _audit(db, "entity") == [
        (e.id, e.id, 1, "create", None, json.dumps(e.content(), ensure_ascii=False, sort_keys=True), "batch",
         DPO.email) for e in stored]


@pytest.mark.parametrize(("batch", "message"), [
    ([{"name": "Twin Ltd"}, {"name": "TWIN LTD"}], "an entity named 'TWIN LTD' already exists"),
    ([{"name": "example holdings limited"}], "an entity named 'example holdings limited' already exists"),
    ([{"name": "Orphan Ltd", "parent_id": 999}], "there is no entity with id 999"),
    ([{"name": "A Ltd", "id": 101, "parent_id": 102}, {"name": "B Ltd", "id": 102, "parent_id": 101}],
     "would make the group structure circular"),
])
def test_a_batch_of_entities_with_a_bad_one_is_refused_whole(db: Database, entity: Entity,
                                                             batch: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message), db.transaction() as con:
        insert_entities(con, DPO, [make_entity(name="Fine Ltd"), *(make_entity(**spec) for spec in batch)])
    assert [e.name for e in list_entities(db)] == [entity.name]
    assert len(_audit(db, "entity")) == 1


def test_adding_activities_returns_their_new_ids_and_needs_an_editor(db: Database, entity: Entity) -> None:
    with db.transaction() as con:
        ids = store.add_activities(con, DPO, [make_activity(entity.id or 0, name=f"A{i}") for i in range(3)])
    assert [r[0] for r in db.rows("SELECT id FROM activities ORDER BY id")] == ids
    with pytest.raises(PermissionDenied), db.transaction() as con:
        store.add_activities(con, VIEWER, [make_activity(entity.id or 0)])
    assert db.rows("SELECT count(*) FROM activities")[0][0] == 3


@pytest.mark.parametrize("text", [
    "plain", "", "quote \" and backslash \\", "new\nline, tab\t, return\r, feed\f, bell\b",
    "unit separator \x1f, vertical tab \x0b, escape \x1b, delete \x7f", "literal \\u001F and \\\\u000b",
    "Ünïcödé — 数据 — ملاحظات, line separator \u2028, emoji \U0001f600", "</script>",
], ids=["plain", "empty", "quote", "named-escapes", "control", "literal-escape", "unicode", "slash"])
def test_a_bulk_create_audits_each_activity_as_the_json_of_its_content(
        db: Database, entity: Entity, text: str) -> None:
    given = make_activity(entity.id or 0, name=f"Activity {text}", notes=text, systems=[text, "CRM"],
                          unmapped={text or "empty": text}, recipients=[make_recipient(name=text)],
                          transfers=[make_transfer(recipient=text)])
    stored = store.create_activities(db, DPO, [given, make_activity(entity.id or 0)])
    assert [row[5] for row in _audit(db, "activity")] == [
        json.dumps(a.content(), ensure_ascii=False, sort_keys=True) for a in stored]


def _memory_limit(con: Any) -> str:
    return str(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])


@pytest.mark.parametrize("fails", [False, True], ids=["committed", "rolled-back"])
def test_a_transaction_with_a_memory_limit_holds_it_until_the_end_then_resets_it(db: Database, fails: bool) -> None:
    with db.connect() as con:
        default = _memory_limit(con)
        with pytest.raises(RuntimeError) if fails else contextlib.nullcontext(), \
                db.transaction(memory_limit="96MB") as tx:
            inside = _memory_limit(tx)
            if fails:
                raise RuntimeError("the work failed")
        assert (inside, _memory_limit(con)) == ("91.5 MiB", default)


@pytest.mark.parametrize("limit", ["", "96", "lots", "96MB'; DROP TABLE activities; --"])
def test_a_transaction_refuses_a_memory_limit_that_is_not_a_size(db: Database, limit: str) -> None:
    with pytest.raises(ValueError, match="not a memory size"), db.transaction(memory_limit=limit):
        pass
