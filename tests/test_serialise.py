"""``list --format json`` and ``show``, written by DuckDB, are byte for byte what the models gave before."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ropa.cli import main
from ropa.models import Activity, Entity
from ropa.reference import load_reference
from ropa.storage.activities import create_activity, get_activity, load_activities
from ropa.storage.database import Database
from ropa.storage.entities import create_entity
from tests.conftest import copy_of
from tests.factories import DPO, EDITOR, Seeded, make_activity, make_entity, make_recipient, make_transfer

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

HOSTILE = [
    pytest.param("plain text", id="plain"),
    pytest.param('quote " and backslash \\ and slash /', id="quote-backslash"),
    pytest.param("line\nbreak\ttab\rreturn\bback\fform", id="short-escapes"),
    pytest.param("".join(chr(c) for c in range(32)), id="every-control-character"),
    pytest.param("typed \\u000B and \\\\u001F literally", id="escape-lookalike"),
    pytest.param("\x0b\\\x0b\\\\\x1f", id="control-beside-backslashes"),
    pytest.param("é ü ß 漢字 😀 \u2028 \u2029 \x7f \ufeff", id="unicode"),
    pytest.param("=1+1 <script>x</script> '; DROP TABLE activities; --", id="formula-script-sql"),
    pytest.param("", id="empty"),
]


def _models_list(activities: list[Activity], names: dict[int, str]) -> list[dict[str, Any]]:
    """What ``list --format json`` wrote when every record went through the models (the contract)."""
    special = set(load_reference().special_category_keys())
    return [{
        "id": a.id, "entity": names.get(a.entity_id, ""), "name": a.name, "business_function": a.business_function,
        "purpose": a.purpose, "role": a.role, "lawful_bases": list(a.lawful_bases),
        "special_categories": [c for c in a.data_categories if c in special],
        "data_subjects": list(a.data_subjects), "data_categories": list(a.data_categories),
        "recipients": [r.model_dump(mode="json") for r in a.recipients],
        "transfers": [t.model_dump(mode="json") for t in a.transfers],
        "retention": {"kind": a.retention_kind, "months": a.retention_months, "trigger": a.retention_trigger,
                      "rule": a.retention_rule},
        "status": a.status, "source": {"document": a.source_document, "section": a.source_section},
        "version": a.version,
    } for a in activities]


def _dumped(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def _register(db: Database, entity: Entity, text: str) -> None:
    """Three activities with and without children; ``text`` stored as is in text, list and child fields."""
    assert entity.id is not None
    create_activity(db, EDITOR, make_activity(entity.id, data_categories=["special.health", "contact.email"],
                                              recipients=[make_recipient(), make_recipient(name="Second")],
                                              transfers=[make_transfer(country="US", mechanism="dpf")]))
    create_activity(db, EDITOR, make_activity(entity.id, name="Bare", recipients=[], transfers=[],
                                              retention_kind="unknown", retention_months=None,
                                              retention_trigger=None, lawful_bases=[], data_subjects=[]))
    archived = create_activity(db, EDITOR, make_activity(entity.id, name="Old"))
    with db.transaction() as con:
        con.execute("UPDATE activities SET name = ?, purpose = ?, systems = [?, 'b'], notes = ?, "
                    "unmapped = ? WHERE id = 1", [text or "x", text, text, text, json.dumps({"col": text})])
        con.execute("UPDATE recipients SET name = ?, contract_ref = ? WHERE activity_id = 1", [text, text])
        con.execute("UPDATE transfers SET recipient = ? WHERE activity_id = 1", [text])
        con.execute("UPDATE activities SET status = 'archived' WHERE id = ?", [archived.id])


@cache
def _hostile_register(text: str) -> Callable[[Database], Entity]:
    """One build per text, so ``seeded`` makes each register once per session and every read copies it."""
    def build(db: Database) -> Entity:
        entity = create_entity(db, DPO, make_entity())
        _register(db, entity, text)
        return entity
    return build


def _hostile(seeded: Seeded, tmp_path: Path, text: str) -> tuple[Database, Entity]:
    """A copy of ``_register``'s register for ``text`` (one entity, three activities), and its entity."""
    entity: Entity = seeded(_hostile_register(text), tmp_path / "ropa.duckdb")
    return Database(tmp_path / "ropa.duckdb"), entity


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("archived", [False, True], ids=["live", "with-archived"])
def test_list_json_is_byte_for_byte_what_the_models_wrote(seeded: Seeded, tmp_path: Path, text: str, archived: bool,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    db, entity = _hostile(seeded, tmp_path, text)
    with db.connect() as con:
        activities = load_activities(con)
    kept = [a for a in activities if archived or a.status != "archived"]
    args = ["--db", str(db.path), "list", "--format", "json", *(["--include-archived"] if archived else [])]
    assert _run(capsys, *args) == _dumped(_models_list(kept, {entity.id or 0: entity.name}))


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("activity_id", [1, 2], ids=["with-children", "bare"])
def test_show_is_byte_for_byte_what_the_models_wrote(seeded: Seeded, tmp_path: Path, text: str, activity_id: int,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    db, entity = _hostile(seeded, tmp_path, text)
    expected = get_activity(db, activity_id).model_dump(mode="json")
    expected["entity"] = entity.name
    assert _run(capsys, "--db", str(db.path), "show", str(activity_id)) == _dumped(expected)


def test_list_json_of_an_empty_register_is_an_empty_array(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "--db", str(db.path), "list", "--format", "json") == "[]\n"


def test_special_categories_read_without_the_models_match_the_reference_loader() -> None:
    from ropa.serialise import special_category_keys

    keys = special_category_keys()
    assert keys == load_reference().special_category_keys() and "special.health" in keys
    assert "contact.email" not in keys


def test_the_fields_written_by_duckdb_are_the_models_fields() -> None:
    from ropa.models import Recipient, Transfer
    from ropa.serialise import ACTIVITY_FIELDS, RECIPIENT_FIELDS, TRANSFER_FIELDS

    assert (ACTIVITY_FIELDS, RECIPIENT_FIELDS, TRANSFER_FIELDS) == (
        tuple(Activity.model_fields), tuple(Recipient.model_fields), tuple(Transfer.model_fields))


def test_the_reference_version_read_without_the_models_is_the_loaders() -> None:
    from ropa.serialise import reference_meta

    meta = load_reference().meta
    assert reference_meta() == {"version": meta.version, "as_of": meta.as_of.isoformat()}


def test_entity_rows_read_without_the_models_have_the_models_fields_and_content(demo_db: Database) -> None:
    from ropa.storage.entities import list_entities
    from ropa.storage.entity_rows import ENTITY_FIELDS, load_entity_rows

    with demo_db.connect() as con:
        con.execute("UPDATE entities SET archived = true, dpo_required = NULL "
                    "WHERE id = (SELECT max(id) FROM entities)")
        rows = load_entity_rows(con)
    models = list_entities(demo_db, include_archived=True)
    assert ENTITY_FIELDS == tuple(Entity.model_fields)
    assert [(r.id, r.name, r.parent_id, r.archived, r.content()) for r in rows] == [
        (e.id, e.name, e.parent_id, e.archived, e.content()) for e in models]
    assert any(e.archived for e in models) and any(e.parent_id for e in models)


def _synthetic(db: Database) -> None:
    from bench.synthetic import build_synthetic

    build_synthetic(db, n_entities=6, n_activities=150, seed=11)


@pytest.fixture(params=["demo", "synthetic"])
def whole_register(request: pytest.FixtureRequest, demo_template: Path, seeded: Seeded, tmp_path: Path) -> Database:
    """The demo register, or a seeded synthetic one: the records real use and the generator produce."""
    if request.param == "demo":
        return copy_of(demo_template, tmp_path / "demo.duckdb")
    seeded(_synthetic, tmp_path / "synthetic.duckdb")
    return Database(tmp_path / "synthetic.duckdb")


def test_list_and_show_of_whole_registers_are_what_the_models_wrote(whole_register: Database,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    db = whole_register
    with db.connect() as con:
        activities = load_activities(con)
        names = dict(con.execute("SELECT id, name FROM entities").fetchall())
    assert len(activities) > 20
    args = ["--db", str(db.path), "list", "--format", "json"]
    assert _run(capsys, *args, "--include-archived") == _dumped(_models_list(activities, names))
    assert _run(capsys, *args) == _dumped(_models_list([a for a in activities if a.status != "archived"], names))
    for activity in activities[::9]:
        expected = activity.model_dump(mode="json")
        expected["entity"] = names.get(activity.entity_id, "")
        assert _run(capsys, "--db", str(db.path), "show", str(activity.id)) == _dumped(expected)


@pytest.mark.parametrize("include_archived", [False, True], ids=["live", "with-archived"])
def test_json_export_in_batches_is_the_document_the_records_give(whole_register: Database, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 include_archived: bool) -> None:
    from ropa import serialise
    from ropa.export import ExportOptions, collect, export_register, jsonfile
    from ropa.export.data import canonical_json

    monkeypatch.setattr(serialise, "CONTENT_BATCH", 7)  # many batches, the last one short
    options = ExportOptions(as_of=date(2026, 11, 1), all_organisations=True, include_archived=include_archived)
    path = tmp_path / "register.json"
    result = export_register(whole_register, DPO, "json", path, options, log=False)
    data = collect(whole_register, DPO, options)
    written = path.read_text(encoding="utf-8")
    expected = canonical_json(jsonfile.export_document(data))
    assert written == expected.replace(data.generated_at.isoformat(timespec="seconds"),
                                       json.loads(written)["exported_at_utc"])
    assert result.content_sha256 == data.content_sha256 and result.activity_count == len(data.records) > 20


@pytest.fixture(scope="module")
def demo_contents(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """The demo's record contents read in batches of 4, once for every order they are written in."""
    from ropa import serialise
    from ropa.export.data import CONTENT_COLUMNS

    db = copy_of(demo_template, tmp_path_factory.mktemp("contents") / "demo.duckdb")
    with pytest.MonkeyPatch.context() as patch, db.connect() as con:
        patch.setattr(serialise, "CONTENT_BATCH", 4)
        return list(serialise.record_contents(con, CONTENT_COLUMNS, None, include_archived=True))


@pytest.mark.parametrize("pick", [slice(None), slice(1, None), slice(None, -1), slice(None, None, -1)],
                         ids=["all", "without-the-first", "without-the-last", "reversed"])
def test_entries_are_written_in_the_order_given_whether_or_not_they_are_their_whole_spool(
        demo_contents: list[Any], monkeypatch: pytest.MonkeyPatch, pick: slice) -> None:
    from ropa import serialise

    monkeypatch.setattr(serialise, "CONTENT_BATCH", 4)
    contents = demo_contents[pick]
    written: list[bytes] = []
    serialise.write_entries(contents, written.append)
    assert b"".join(written).decode() == ",".join(c.entry for c in contents)
    assert all(c.entry.startswith(f'{{"content":{c.text},"created_at":') for c in contents)


class _WritesMeanwhile:
    """A connection on which another session writes ``statements`` once the export's order has been read."""

    def __init__(self, con: Any, statements: list[str]) -> None:
        self.con, self.statements = con, statements

    def execute(self, sql: str, params: Any = None) -> Any:
        if sql.startswith("DESCRIBE"):
            for statement in self.statements:
                self.con.execute(statement)
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)


def test_activities_archived_or_restored_while_the_contents_are_read_are_left_out(demo_db: Database) -> None:
    from ropa import serialise
    from ropa.export.data import CONTENT_COLUMNS

    with demo_db.connect() as con:
        archived, restored = (con.execute(f"SELECT min(id) FROM activities WHERE {live}").fetchone()[0]  # type: ignore[index]
                              for live in ("status <> 'archived'", "status = 'archived'"))
        before = [json.loads(c.entry)["id"] for c in serialise.record_contents(con, CONTENT_COLUMNS, None, False)]
        meanwhile = _WritesMeanwhile(con, [f"UPDATE activities SET status = 'archived' WHERE id = {archived}",
                                           f"UPDATE activities SET status = 'draft' WHERE id = {restored}"])
        after = [json.loads(c.entry)["id"] for c in serialise.record_contents(meanwhile, CONTENT_COLUMNS, None, False)]
    assert restored not in before and archived in before
    assert after == [i for i in before if i != archived]
