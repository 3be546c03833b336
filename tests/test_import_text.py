"""Structured content read from free text, and bugs found on real registers: each with a firing and a silent case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_import import CONTACT_BLOCK, EXAMPLE_ROWS, ICO_HEADINGS, ico_row, ico_workbook
from test_import_cli import run_cli

from ropa.ingest import apply_import, plan_import
from ropa.ingest.layout import contact_block
from ropa.models import Entity
from ropa.storage.database import Database
from tests.factories import DPO

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when


def _one(db: Database, entity: Entity, **cells: str) -> Any:
    plan = plan_import(db, ico_workbook([ico_row(c1="Sales", c2="Selling things", **cells)], contact=False),
                       "register.xlsx", entity=entity.name)
    return plan


@pytest.mark.parametrize(("security", "measures"), [
    pytest.param("See https://intranet.example/security-policy", [], id="a-link-is-not-encryption"),
    pytest.param("Encrypted laptops; see https://intranet.example/policy", ["encryption"], id="encryption-said"),
])
def test_a_link_in_the_security_column_is_not_read_as_a_measure(db: Database, entity: Entity, security: str,
                                                                measures: list[str]) -> None:
    plan = _one(db, entity, c11=security)
    assert plan.ok and plan.activities[0].security_measures == measures


@pytest.mark.parametrize("text", ["N/A", "none", "-", "not applicable", "Not Applicable"])
def test_words_for_nothing_leave_a_free_text_field_empty(db: Database, entity: Entity, text: str) -> None:
    plan = _one(db, entity, c14=text, c18=text)
    assert plan.ok
    activity = plan.activities[0]
    assert (activity.legitimate_interest, activity.data_source, activity.unmapped) == ("", "", {})


def test_text_is_kept_when_it_says_something(db: Database, entity: Entity) -> None:
    plan = _one(db, entity, c14="Keeping customers informed", c18="From the customer")
    activity = plan.activities[0]
    assert (activity.legitimate_interest, activity.data_source) == ("Keeping customers informed", "From the customer")


@pytest.mark.parametrize(("countries", "problem"), [
    pytest.param("Narnia", "'Narnia' is not a country the register knows", id="unknown-country"),
    pytest.param("USA; États-Unis; Deutschland", None, id="known-countries-in-three-languages"),
])
def test_an_unknown_country_is_a_row_problem(db: Database, entity: Entity, countries: str,
                                             problem: str | None) -> None:
    plan = _one(db, entity, c8=countries, c9="Standard contractual clauses")
    if problem is None:
        assert plan.ok and {t.country for t in plan.activities[0].transfers} == {"US", "DE"}
    else:
        assert [i.message for i in plan.issues][0].startswith(problem) and not plan.ok


@pytest.mark.parametrize(("recipients", "contract", "expected"), [
    pytest.param("Mailchimp (processor)", "Mailchimp: DPA-2024-01", [("Mailchimp", "processor", "DPA-2024-01")],
                 id="name-with-role-and-its-contract"),
    pytest.param("Marketing providers: Mailchimp (processor, US)", "", [("Mailchimp", "processor", "")],
                 id="category-name-role-country"),
    pytest.param("Payroll provider", "", [("", None, "")], id="a-category-only"),
])
def test_recipients_are_read_from_text(db: Database, entity: Entity, recipients: str, contract: str,
                                       expected: list[tuple[str, str | None, str]]) -> None:
    plan = _one(db, entity, c6=recipients, c7=contract)
    assert plan.ok
    assert [(r.name, r.role, r.contract_ref) for r in plan.activities[0].recipients] == expected


def test_country_and_mechanism_lines_become_transfers(db: Database, entity: Entity) -> None:
    plan = _one(db, entity, c8="USA; India", c9="USA: Standard contractual clauses\nIndia: Binding corporate rules")
    assert [(t.country, t.mechanism) for t in plan.activities[0].transfers] == [("US", "eu_scc_2021"),
                                                                                 ("IN", "bcr")]


def test_the_duplicate_warning_counts_activities_not_pairs(db: Database) -> None:
    data = ico_workbook(EXAMPLE_ROWS)
    for _ in range(2):  # two copies of each: a name no longer names one activity, so nothing matches
        plan = plan_import(db, data, "register.xlsx")
        for position in plan.existing:
            plan.choose(position, "add")
        apply_import(db, DPO, plan)
    plan = plan_import(db, data, "register.xlsx")
    assert not plan.existing
    assert any(n.startswith("3 activities in the file have the same name and entity") for n in plan.notes)


def test_a_first_import_has_no_duplicate_warning(db: Database) -> None:
    plan = plan_import(db, ico_workbook(EXAMPLE_ROWS), "register.xlsx")
    assert not any("same name and entity" in n for n in plan.notes)


@pytest.mark.parametrize(("rows", "dpo"), [
    pytest.param([["Controller", "Acme Ltd"], ["Data Protection Officer", "", "Representative (if applicable)", ""]],
                 {}, id="representative-label-is-not-the-dpo-name"),
    pytest.param([["Controller", "Acme Ltd"], ["Data Protection Officer", "Priya Shah"]], {"name": "Priya Shah"},
                 id="dpo-named"),
])
def test_the_contact_block_reads_the_dpo_only_from_the_dpo_cells(rows: list[list[Any]],
                                                                 dpo: dict[str, str]) -> None:
    assert contact_block([tuple(r) for r in rows]).get("dpo", {}) == dpo


def test_a_file_without_contact_block_imports_into_an_empty_register_from_the_cli(
        db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "register.xlsx"
    path.write_bytes(ico_workbook(EXAMPLE_ROWS, contact=False))
    code, _, err = run_cli(capsys, "--db", str(db.path), "import", str(path), "--entity", "Acme Ltd")
    assert code == 2 and "There is no entity named 'Acme Ltd'. Add it first with `entity add`" in err
    code, out, _ = run_cli(capsys, "--db", str(db.path), "entity", "add", "Acme Ltd", "--country", "France")
    assert code == 0 and out.startswith("added entity 1: Acme Ltd (controller, FR)")
    code, out, _ = run_cli(capsys, "--db", str(db.path), "entity", "list")
    assert code == 0 and "Acme Ltd" in out and "FR" in out
    code, out, _ = run_cli(capsys, "--db", str(db.path), "import", str(path), "--entity", "Acme Ltd")
    assert code == 0 and "imported 3 activities and 0 new entities" in out


def test_entity_may_name_the_entity_the_contact_block_creates(db: Database, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "register.xlsx"
    path.write_bytes(ico_workbook(EXAMPLE_ROWS))
    code, out, _ = run_cli(capsys, "--db", str(db.path), "import", str(path), "--entity", "acme widgets ltd")
    assert code == 0 and "imported 3 activities and 1 new entities" in out
    assert CONTACT_BLOCK[3][1] == "Acme Widgets Ltd"


def test_entity_list_on_an_empty_register_says_what_to_do(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--db", str(db.path), "entity", "list")
    assert code == 0 and "add one with `entity add NAME`" in out


def test_headings_have_the_template_width() -> None:
    assert len(ICO_HEADINGS) == 30
