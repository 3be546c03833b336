"""How the analysis runs: two queries on two cursors, over a workspace that lasts one analysis."""

from __future__ import annotations

from datetime import date

import pytest

from ropa.gaps import RULES, analyse, engine
from ropa.storage.database import Database

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

DAYS = (date(2021, 1, 1), date(2026, 6, 19), date(2027, 3, 1))


def workspaces(db: Database) -> list[str]:
    with db.connect() as con:
        return [str(r[0]) for r in con.execute(
            "SELECT database_name FROM duckdb_databases() WHERE database_name LIKE 'gap_work_%'").fetchall()]


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("include_accepted", [False, True])
def test_the_two_queries_find_what_one_query_over_every_rule_finds(
        demo_db: Database, monkeypatch: pytest.MonkeyPatch, day: date, include_accepted: bool) -> None:
    split = analyse(demo_db, as_of=day, include_accepted=include_accepted)
    monkeypatch.setattr(engine, "halves", lambda rules: (rules, ()))
    whole = analyse(demo_db, as_of=day, include_accepted=include_accepted)
    assert len(split) > 0
    assert split.equals(whole)


def test_the_halves_hold_every_rule_once_in_catalogue_order() -> None:
    first, second = engine.halves(RULES)
    position = {r.id: i for i, r in enumerate(RULES)}
    assert sorted([*first, *second], key=lambda r: position[r.id]) == list(RULES)
    for half in (first, second):
        assert [position[r.id] for r in half] == sorted(position[r.id] for r in half)
    assert first and second


def test_the_dpia_rules_share_one_query_with_the_screening_views() -> None:
    first, second = engine.halves(RULES)
    assert not any(engine.DPIA_VIEW_NAMES & engine._words(r) for r in second)
    assert "signals AS (" in engine.findings_sql(first, False)
    assert "signals AS (" not in engine.findings_sql(second, False)


def test_an_analysis_detaches_its_workspace(demo_db: Database) -> None:
    with demo_db.kept_open():
        analyse(demo_db, as_of=DAYS[1])
        assert workspaces(demo_db) == []


def test_a_failed_analysis_detaches_its_workspace_and_tells_its_own_error(demo_db: Database) -> None:
    with demo_db.kept_open(), demo_db.connect() as con:
        with pytest.raises(LookupError, match="inside the analysis"), engine.analysed(con, DAYS[1], None):
            assert len(workspaces(demo_db)) == 1
            raise LookupError("inside the analysis")
        assert workspaces(demo_db) == []
        assert con.execute("SELECT current_setting('search_path')").fetchall() == [("",)]


def test_no_stored_table_is_named_like_a_base_table(demo_db: Database) -> None:
    # The register comes first on the analysis's search path: a stored ``acts`` would hide the workspace's.
    stored = {str(r[0]) for r in demo_db.rows("SELECT table_name FROM duckdb_tables()")}
    assert not stored & {name for name, _ in engine.BASE_TABLES}
