"""The mapping step: each source column's field and how sure the match is; a mapping chosen once is saved and reused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_import_cli import run_cli
from test_import_layouts import xlsx

from ropa.errors import RopaError
from ropa.ingest import plan_import
from ropa.ingest.headings import match_heading
from ropa.ingest.mapping import normalised
from ropa.models import Entity
from ropa.storage.database import Database
from ropa.storage.mappings import get_profile, list_profiles, save_profile
from tests.factories import DPO

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

OWN_HEADINGS = ["Activity", "Purpose", "Why we do it", "Who", "Internal code"]


def _sheet(why: str = "To keep staff paid") -> bytes:
    return xlsx([("Register", [OWN_HEADINGS, ["Payroll", "Pay staff", why, "Employees", "X-1"]])])


@pytest.mark.parametrize(("heading", "key", "how"), [
    ("Purpose of processing", "c02_purpose", "heading"),
    ("PURPOSE OF PROCESSING", "c02_purpose", "heading"),
    ("Purpose\nof processing", "c02_purpose", "heading"),
    ("Purpose of processing (if applicable)", "c02_purpose", "heading"),
    ("Legitimate interests for the processing", "c14_legitimate_interests", "heading"),
    ("Finalité du traitement", "c02_purpose", "variant"),
    ("Zweck der Verarbeitung", "c02_purpose", "variant"),
    ("Catégories de personnes concernées (le cas échéant)", "c04_individuals", "variant"),
    ("Categories of the personal data", "c05_data", "close"),
])
def test_headings_match_whatever_their_case_punctuation_or_language(heading: str, key: str, how: str) -> None:
    match = match_heading(heading)
    assert match is not None and (match.column.key, match.how) == (key, how)
    assert (match.confidence == 1.0) == (how == "heading") and (match.confidence < 0.9) == (how == "close")


def test_a_heading_that_names_nothing_is_not_guessed() -> None:
    assert match_heading("Internal code") is None and match_heading("Why we do it") is None


def test_each_source_column_is_shown_with_its_field_and_how_sure_the_match_is(db: Database, entity: Entity) -> None:
    plan = plan_import(db, _sheet(), "register.xlsx", entity=entity.name)
    rows = {r["source column"]: (r["field"], r["how"]) for r in plan.mapping_rows}
    assert rows == {"Activity": ("name", "variant"), "Purpose": ("c02_purpose", "variant"),
                    "Why we do it": ("note", "kept"), "Who": ("note", "kept"), "Internal code": ("note", "kept")}
    assert plan.activities[0].unmapped["Why we do it"] == "To keep staff paid"


def test_a_mapping_reassigns_ignores_or_keeps_columns(db: Database, entity: Entity) -> None:
    mapping = normalised({"Why we do it": "c14_legitimate_interests", "Who": "c04_individuals",
                          "Internal code": "ignore"})
    plan = plan_import(db, _sheet(), "register.xlsx", entity=entity.name, mapping=mapping)
    activity = plan.activities[0]
    assert (activity.legitimate_interest, activity.data_subjects, activity.unmapped) == (
        "To keep staff paid", ["employees"], {})
    assert any("1 source columns are ignored by the mapping" in n for n in plan.notes)


def test_a_mapping_naming_no_field_is_refused_in_one_line() -> None:
    with pytest.raises(RopaError, match=r"^The mapping sends 'Who' to 'people', which is not a field"):
        normalised({"Who": "people"})


def test_a_saved_profile_round_trips_and_is_reused_for_the_next_file_of_that_shape(db: Database,
                                                                                  entity: Entity) -> None:
    mapping = normalised({"Why we do it": "c14_legitimate_interests", "Who": "c04_individuals",
                          "Internal code": "ignore"})
    first = plan_import(db, _sheet(), "register.xlsx", entity=entity.name, mapping=mapping)
    saved = save_profile(db, DPO, "Our sheet", first.signature, first.mapping)
    assert get_profile(db, "our sheet").mapping == first.mapping == saved.mapping
    assert [p.name for p in list_profiles(db)] == ["Our sheet"]
    again = plan_import(db, _sheet("Pay staff monthly"), "next-month.xlsx", entity=entity.name)
    assert again.notes[0].startswith("Mapping profile 'Our sheet' (saved by")
    assert (again.activities[0].legitimate_interest, again.activities[0].unmapped) == ("Pay staff monthly", {})
    other = plan_import(db, xlsx([("R", [[*OWN_HEADINGS, "Extra"], ["P", "x", "", "", "", ""]])]), "o.xlsx",
                        entity=entity.name)
    assert not any(n.startswith("Mapping profile") for n in other.notes)  # other headings: not this profile
    with db.connect() as con:
        assert con.execute("SELECT count(*) FROM audit_log WHERE record_type = 'mapping_profile'").fetchall() == [(1,)]


def test_the_cli_takes_a_mapping_file_and_saves_it_as_a_profile(db: Database, entity: Entity, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    register, mapping = tmp_path / "register.xlsx", tmp_path / "mapping.json"
    register.write_bytes(_sheet())
    mapping.write_text(json.dumps({"Why we do it": "c14_legitimate_interests", "Who": "c04_individuals"}),
                       encoding="utf-8")
    code, out, err = run_cli(capsys, "--db", str(db.path), "import", str(register), "--entity", entity.name,
                             "--mapping", str(mapping), "--save-mapping", "Home sheet", "--dry-run")
    assert code == 0, err
    assert "saved mapping profile 'Home sheet'" in out
    assert "column: 'Why we do it' -> Legitimate interests for the processing (if applicable) (mapping, " \
           "confidence 1.00)" in out
    code, out, _ = run_cli(capsys, "--db", str(db.path), "import", str(register), "--entity", entity.name)
    assert code == 0 and "imported 1 activities" in out
    code, _, err = run_cli(capsys, "--db", str(db.path), "import", str(register), "--mapping", str(tmp_path / "no"))
    assert code == 2 and err.strip().endswith("There is no mapping file at " + str(tmp_path / "no") + ".")


@pytest.mark.parametrize("cells", [
    ["Encryption; Access control", "Access control; Encryption", "Encryption"],
    ["name, email and phone; Telepathy shields", "Telepathy shields; name, email and phone"],
    ["Consent (Art. 6(1)(a))\nContract", "Contract", "Nothing that names a key"],
], ids=["labels", "list-and-unknown", "loose-and-unmatched"])
def test_a_cell_reads_the_same_when_its_parts_were_read_in_earlier_cells(cells: list[str]) -> None:
    from ropa.ingest.vocab import Match, matchers, split_match

    matcher = matchers()["security_measures"]
    parts: dict[str, tuple[list[Match], list[str]]] = {}
    for cell in cells:
        remembered = split_match(cell, matcher.exact, matcher.near, parts)
        assert remembered == split_match(cell, matcher.exact, matcher.near)
    assert parts
