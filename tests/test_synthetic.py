"""The synthetic register: deterministic, valid, and shaped like a real group's record."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import duckdb
import pytest

from bench import synthetic
from bench.synthetic import build_synthetic, generate_register
from ropa.errors import ValidationFailed
from ropa.models import Activity, Entity
from ropa.reference import load_reference
from ropa.storage.activities import BULK_MEMORY_LIMIT, add_activities, load_activities
from ropa.storage.database import Database
from ropa.storage.entities import list_entities
from ropa.storage.entity_rows import descendant_ids

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def register() -> tuple[list[Entity], list[Activity]]:
    return generate_register(50, 2_000, seed=7, as_of=AS_OF)


def _depth(entity: Entity, by_id: dict[int, Entity]) -> int:
    depth = 0
    while entity.parent_id is not None:
        entity = by_id[entity.parent_id]
        depth += 1
    return depth


def _share(activities: list[Activity], test: Callable[[Activity], bool]) -> float:
    return sum(1 for a in activities if test(a)) / len(activities)


def test_same_seed_gives_identical_content() -> None:
    first = generate_register(5, 300, seed=11, as_of=AS_OF)
    second = generate_register(5, 300, seed=11, as_of=AS_OF)
    assert [e.content() for e in first[0]] == [e.content() for e in second[0]]
    assert [a.content() for a in first[1]] == [a.content() for a in second[1]]


def test_different_seed_gives_different_content() -> None:
    first = generate_register(5, 300, seed=11, as_of=AS_OF)
    second = generate_register(5, 300, seed=12, as_of=AS_OF)
    assert [a.content() for a in first[1]] != [a.content() for a in second[1]]


@pytest.mark.parametrize(("n_entities", "n_activities"), [(1, 0), (3, 40), (50, 500)],
                         ids=["single-entity-empty", "tiny-group", "full-group"])
def test_sizes_are_honoured(n_entities: int, n_activities: int) -> None:
    entities, activities = generate_register(n_entities, n_activities, as_of=AS_OF)
    assert len(entities) == n_entities
    assert len(activities) == n_activities


def test_zero_entities_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one entity"):
        generate_register(0, 10)


def test_every_record_passes_model_validation(register: tuple[list[Entity], list[Activity]]) -> None:
    entities, activities = register
    for entity in entities:
        Entity.model_validate(entity.model_dump())
    for activity in activities:
        Activity.model_validate(activity.model_dump())


def test_group_has_one_uk_root_and_nested_subsidiaries(register: tuple[list[Entity], list[Activity]]) -> None:
    entities, _ = register
    by_id = {e.id: e for e in entities if e.id is not None}
    roots = [e for e in entities if e.parent_id is None]
    assert len(roots) == 1 and roots[0].country == "GB"
    assert all(e.parent_id in by_id for e in entities if e.parent_id is not None)
    assert max(_depth(e, by_id) for e in entities) >= 2
    assert len({e.name.lower() for e in entities}) == len(entities)
    assert {"GB", "IE", "DE", "FR", "US", "AU", "SG", "IN", "CH"} <= {e.country for e in entities}


def test_parents_come_before_their_children(register: tuple[list[Entity], list[Activity]]) -> None:
    seen: set[int | None] = {None}
    for entity in register[0]:
        assert entity.parent_id in seen
        seen.add(entity.id)


def test_every_activity_belongs_to_a_generated_entity(register: tuple[list[Entity], list[Activity]]) -> None:
    entities, activities = register
    assert {a.entity_id for a in activities} <= {e.id for e in entities}


@pytest.mark.parametrize(
    ("what", "low", "high"),
    [
        ("special", 0.05, 0.16),
        ("criminal", 0.005, 0.04),
        ("approved", 0.6, 0.85),
        ("legitimate_interests", 0.2, 0.6),
        ("overdue_review", 0.05, 0.4),
        ("no_transfer", 0.4, 0.7),
        ("adm", 0.005, 0.1),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_mix_proportions_are_realistic(register: tuple[list[Entity], list[Activity]], what: str,
                                       low: float, high: float) -> None:
    ref = load_reference()
    special, criminal = set(ref.special_category_keys()), set(ref.criminal_category_keys())
    tests: dict[str, Callable[[Activity], bool]] = {
        "special": lambda a: bool(special & set(a.data_categories)),
        "criminal": lambda a: bool(criminal & set(a.data_categories)),
        "approved": lambda a: a.status == "approved",
        "legitimate_interests": lambda a: "legitimate_interests" in a.lawful_bases,
        "overdue_review": lambda a: a.next_review_due is not None and a.next_review_due < AS_OF,
        "no_transfer": lambda a: not a.transfers,
        "adm": lambda a: a.adm,
    }
    assert low <= _share(register[1], tests[what]) <= high


def test_register_contains_the_gaps_a_dpo_meets(register: tuple[list[Entity], list[Activity]]) -> None:
    _, activities = register
    mechanisms = Counter(t.mechanism for a in activities for t in a.transfers)
    assert {"privacy_shield", "safe_harbor", "eu_scc_2010", None} <= set(mechanisms)
    assert {"eu_scc_2021", "uk_idta", "uk_addendum", "dpf", "adequacy", "bcr"} <= set(mechanisms)
    assert any(t.mechanism == "eu_scc_2021" and not t.tia_ref for a in activities for t in a.transfers)
    assert any("as long as necessary" in a.retention_rule.lower() for a in activities)
    assert {"period", "rule", "unknown"} == {a.retention_kind for a in activities}
    legitimate = [a for a in activities if "legitimate_interests" in a.lawful_bases]
    assert any(a.lia_ref for a in legitimate) and any(not a.lia_ref for a in legitimate)
    consent = [a for a in activities if "consent" in a.lawful_bases]
    assert any(a.consent_record_ref for a in consent) and any(not a.consent_record_ref for a in consent)
    processors = [r for a in activities for r in a.recipients if r.role == "processor"]
    assert any(r.contract_ref for r in processors) and any(not r.contract_ref for r in processors)
    assert {"draft", "in_review", "approved", "archived"} == {a.status for a in activities}
    assert Counter(len(a.recipients) for a in activities).keys() == {0, 1, 2, 3, 4}



def test_transfer_importers_are_recipients_but_for_a_deliberate_few(
        register: tuple[list[Entity], list[Activity]]) -> None:
    transfers = [(t.recipient.strip().lower(), {r.name.strip().lower() for r in a.recipients})
                 for a in register[1] for t in a.transfers]
    unlisted = sum(1 for importer, names in transfers if importer not in names)
    assert 0.005 <= unlisted / len(transfers) <= 0.05

def test_build_writes_every_record_with_database_ids(db: Database) -> None:
    build_synthetic(db, n_entities=4, n_activities=60, seed=3, as_of=AS_OF)
    entities = list_entities(db, include_archived=True)
    root = next(e for e in entities if e.parent_id is None)
    assert len(entities) == 4
    assert len(descendant_ids(db, root.id or 0)) == 4
    with db.connect() as con:
        stored = load_activities(con)
    _, generated = generate_register(4, 60, seed=3, as_of=AS_OF)
    assert [a.name for a in stored] == [a.name for a in generated]
    assert {a.entity_id for a in stored} <= {e.id for e in entities}
    audit = db.rows("SELECT count(*) FROM audit_log WHERE detail = 'synthetic'")[0][0]
    assert audit == 64


def test_build_is_all_or_nothing_on_a_name_clash(db: Database) -> None:
    build_synthetic(db, n_entities=2, n_activities=5, seed=3, as_of=AS_OF)
    with pytest.raises(ValidationFailed, match="already exists"):
        build_synthetic(db, n_entities=2, n_activities=5, seed=3, as_of=AS_OF)
    assert db.rows("SELECT count(*) FROM activities")[0][0] == 5


def test_generated_models_keep_their_given_fields_in_sets_no_larger_than_a_copy(
        register: tuple[list[Entity], list[Activity]]) -> None:
    activities = register[1]
    models = [m for a in activities for m in (a, *a.recipients, *a.transfers)]
    assert all(sys.getsizeof(m.model_fields_set) == sys.getsizeof(set(m.model_fields_set)) for m in models)
    again = [Activity.model_validate(a.model_dump(exclude_unset=True)) for a in activities[:50]]
    assert [a.model_fields_set for a in activities[:50]] == [a.model_fields_set for a in again]


def test_build_writes_with_duckdb_memory_capped_for_a_bulk_write(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    def memory_limit(con: Any) -> str:
        return str(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])

    seen: list[str] = []

    def add(con: Any, *args: Any, **kwargs: Any) -> list[int]:
        seen.append(memory_limit(con))
        return add_activities(con, *args, **kwargs)

    monkeypatch.setattr(synthetic, "add_activities", add)
    build_synthetic(db, n_entities=2, n_activities=5, seed=3, as_of=AS_OF)
    with duckdb.connect() as scratch, db.connect() as con:
        scratch.execute(f"SET memory_limit = '{BULK_MEMORY_LIMIT}'")
        assert (seen, memory_limit(con) != seen[0]) == ([memory_limit(scratch)], True)
