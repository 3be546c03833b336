"""Importing a register as DPOs keep it: the ICO template filled in by hand, free text mapped, nothing lost."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from ropa.auth import User
from ropa.columns import COLUMNS
from ropa.errors import NotFound, PermissionDenied, RopaError
from ropa.ingest import ImportPlan, apply_import, import_file, plan_import
from ropa.ingest.files import ImportRejected
from ropa.models import Entity
from ropa.storage.activities import load_activities
from ropa.storage.database import Database
from ropa.storage.entities import create_entity, list_entities
from tests.factories import VIEWER, make_entity

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ICO_HEADINGS = [c.heading for c in COLUMNS if c.ico is not None]
CONTACT_BLOCK: list[list[Any]] = [
    ["Documentation of processing activities - requirements"],
    [],
    [None, "Name", "Address", "Email", "Telephone"],
    ["Controller", "Acme Widgets Ltd", "1 Dock Road, Bristol, BS1 1AA", "privacy@acme.test", "0117 000 0000"],
    ["Data Protection Officer", "Priya Shah", "same as above", "dpo@acme.test", "0117 000 0001"],
    ["Representative", "", "", "", ""],
    [],
]


def ico_row(**cells: str) -> list[str]:
    """One activity row of the ICO template, given as {ICO column number: text} with keys like c2."""
    row = [""] * len(ICO_HEADINGS)
    for key, text in cells.items():
        row[int(key[1:]) - 1] = text
    return row


def ico_lines(rows: Sequence[Sequence[Any]], *, contact: bool = True, headings: Sequence[str] = ICO_HEADINGS,
              heading_row: int = 9) -> list[Sequence[Any]]:
    """The lines of the ICO controller template as a DPO fills it in: contacts on top, headings in row 9."""
    top = CONTACT_BLOCK if contact else [["Record of processing"]] if heading_row > 1 else []
    return [*top, *([[]] * (heading_row - 1 - len(top))), list(headings), *rows]


def ico_workbook(rows: Sequence[Sequence[Any]], *, contact: bool = True, headings: Sequence[str] = ICO_HEADINGS,
                 heading_row: int = 9) -> bytes:
    """The ICO controller template as a DPO fills it in: sheet 'Template', contacts on top, headings in row 9."""
    lines = ico_lines(rows, contact=contact, headings=headings, heading_row=heading_row)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Template"
    for number, line in enumerate(lines, start=1):
        for column, value in enumerate(line, start=1):
            sheet.cell(row=number, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


EXAMPLE_ROWS = [
    ico_row(c1="Human resources", c2="Pay staff and run the pension scheme.", c4="Employees; Job applicants",
            c5="Name, email and bank details; health data", c6="Payroll provider, HMRC",
            c8="USA", c9="Model Contract Clauses", c10="6 years after the end of the contract",
            c11="Encrypted laptops, role-based access, annual training", c12="Legal obligation, Art 6(1)(b)",
            c13="Employment", c21="No"),
    ico_row(c1="Marketing", c2="Send our newsletter to customers who asked for it", c4="Customers",
            c5="email; Customer purchase history; CCTV", c12="Legitimate interests", c10="as long as necessary",
            c14="Keeping customers informed about products they bought", c8="India; Germany",
            c9="Standard Contractual Clauses (2021)", c17="No", c29="Yes"),
    ico_row(c1="Facilities", c2="CCTV on the car park", c4="Visitors", c5="CCTV footage",
            c12="6(1)(f)", c8="United States", c9="EU-US Privacy Shield", c10="31 days", c24="No"),
]


def _plan(db: Database, data: bytes, name: str = "register.xlsx", **kw: Any) -> ImportPlan:
    return plan_import(db, data, name, **kw)


def _decision(plan: ImportPlan, text: str) -> set[str]:
    return {d.key for d in plan.decisions if d.text == text}


def _counts(db: Database) -> tuple[int, int, int]:
    return db.rows("SELECT (SELECT count(*) FROM entities), (SELECT count(*) FROM activities), "
                   "(SELECT count(*) FROM audit_log)")[0]


# -- the ICO template --------------------------------------------------------------------------

def test_ico_template_imports_with_the_expected_mapping_report(db: Database, dpo: User) -> None:
    plan = _plan(db, ico_workbook(EXAMPLE_ROWS))
    assert plan.ok, plan.issues
    assert [a.name for a in plan.activities] == [
        "Pay staff and run the pension scheme", "Send our newsletter to customers who asked for it",
        "CCTV on the car park"]
    assert _decision(plan, "Legitimate interests") == {"legitimate_interests"}
    assert _decision(plan, "6(1)(f)") == {"legitimate_interests"}
    assert _decision(plan, "USA") == {"US"}
    assert _decision(plan, "Model Contract Clauses") == {"eu_scc_2010"}
    assert _decision(plan, "Standard Contractual Clauses (2021)") == {"eu_scc_2021"}
    assert _decision(plan, "EU-US Privacy Shield") == {"privacy_shield"}
    assert _decision(plan, "health data") == {"special.health"}
    assert _decision(plan, "CCTV") == {"audio_visual.cctv"}
    assert _decision(plan, "Employment") == {"employment_social_security"}
    hr, marketing, cctv = plan.activities
    assert hr.lawful_bases == ["legal_obligation", "contract"]
    assert hr.data_categories == ["identity.name", "contact.email", "financial.bank", "special.health"]
    assert hr.data_subjects == ["employees", "job_applicants"]
    assert [(t.country, t.mechanism) for t in hr.transfers] == [("US", "eu_scc_2010")]
    assert (hr.retention_kind, hr.retention_months, hr.retention_trigger) == ("period", 72, "end_of_contract")
    assert {"encryption", "access_control", "staff_training"} <= set(hr.security_measures)
    assert hr.security_description == "Encrypted laptops, role-based access, annual training"
    assert marketing.retention_kind == "rule" and marketing.retention_rule == "as long as necessary"
    assert [(t.country, t.mechanism) for t in marketing.transfers] == [("IN", "eu_scc_2021"), ("DE", "eu_scc_2021")]
    assert marketing.unmapped == {"data_categories": "Customer purchase history"}
    assert marketing.retention_per_policy is True  # ICO column 29 answered "Yes"
    assert cctv.retention_months == 1 and cctv.retention_rule == "31 days"
    assert all(a.status == "draft" for a in plan.activities)


def test_contact_block_becomes_the_controller_entity(db: Database, dpo: User) -> None:
    plan = _plan(db, ico_workbook(EXAMPLE_ROWS))
    (created,) = plan.new_entities
    assert created.entity.name == "Acme Widgets Ltd"
    assert created.entity.email == "privacy@acme.test" and created.entity.dpo_name == "Priya Shah"
    assert "DPO address: same as above" in created.entity.notes
    apply_import(db, dpo, plan)
    (stored,) = list_entities(db)
    assert stored.name == "Acme Widgets Ltd" and stored.dpo_email == "dpo@acme.test"


def test_contact_block_matches_an_existing_entity_by_name(db: Database, dpo: User) -> None:
    existing = create_entity(db, dpo, make_entity(name="ACME WIDGETS LTD"))
    plan = _plan(db, ico_workbook(EXAMPLE_ROWS))
    assert not plan.new_entities
    assert {a.entity_id for a in plan.activities} == {existing.id}


def test_file_without_contact_block_needs_the_entity_option(db: Database, entity: Entity) -> None:
    data = ico_workbook(EXAMPLE_ROWS, contact=False)
    with pytest.raises(ImportRejected, match="does not say whose register it is.*--entity NAME"):
        _plan(db, data)
    plan = _plan(db, data, entity=entity.name)
    assert {a.entity_id for a in plan.activities} == {entity.id}


def test_entity_option_must_name_an_existing_entity(db: Database) -> None:
    with pytest.raises(NotFound, match="no entity named 'Nobody Ltd'"):
        _plan(db, ico_workbook(EXAMPLE_ROWS, contact=False), entity="Nobody Ltd")


@pytest.mark.parametrize("heading_row", [1, 9, 20], ids=["row-1", "row-9", "row-20"])
def test_heading_row_is_found_anywhere_in_the_first_20_rows(db: Database, entity: Entity, heading_row: int) -> None:
    plan = _plan(db, ico_workbook(EXAMPLE_ROWS, contact=False, heading_row=heading_row), entity=entity.name)
    assert len(plan.activities) == 3


def test_heading_variants_are_recognised(db: Database, entity: Entity) -> None:
    variants = [h.upper().replace(" (if applicable)", "").replace(" (if possible)", "") + " " for h in ICO_HEADINGS]
    variants[11] = "Lawful basis"
    plan = _plan(db, ico_workbook(EXAMPLE_ROWS, contact=False, headings=variants), entity=entity.name)
    assert plan.ok and plan.activities[1].lawful_bases == ["legitimate_interests"]


def test_unknown_columns_are_kept_under_their_heading(db: Database, entity: Entity) -> None:
    headings = [*ICO_HEADINGS, "Comments"]
    rows = [[*EXAMPLE_ROWS[0], "Check with payroll team"]]
    plan = _plan(db, ico_workbook(rows, contact=False, headings=headings), entity=entity.name)
    assert plan.activities[0].unmapped["Comments"] == "Check with payroll team"


def test_csv_with_the_same_headings_imports(db: Database, entity: Entity) -> None:
    lines = [",".join(f'"{h}"' for h in ICO_HEADINGS)]
    lines += [",".join(f'"{c}"' for c in row) for row in EXAMPLE_ROWS]
    plan = _plan(db, "\n".join(lines).encode("utf-8"), "register.csv", entity=entity.name)
    assert plan.ok and len(plan.activities) == 3
    assert plan.activities[0].lawful_bases == ["legal_obligation", "contract"]


def test_processor_template_rows_are_processor_activities(db: Database, entity: Entity) -> None:
    headings = ["Name and contact details of controller", "Categories of processing",
                "Names of third countries or international organisations that personal data are transferred to "
                "(if applicable)", "Safeguards for exceptional transfers of personal data to third countries or "
                "international organisations (if applicable)",
                "General description of technical and organisational security measures (if possible)"]
    rows = [["Client plc, 2 High St, London", "Hosting and support of the client's CRM", "USA", "IDTA", "MFA"]]
    plan = _plan(db, ico_workbook(rows, contact=False, headings=headings), entity=entity.name)
    (activity,) = plan.activities
    assert activity.role == "processor" and activity.controller_served == "Client plc, 2 High St, London"
    assert [(t.country, t.mechanism) for t in activity.transfers] == [("US", "uk_idta")]
    assert activity.security_measures == ["authentication"]


# -- free text onto the vocabularies -----------------------------------------------------------

@pytest.mark.parametrize(("column", "text", "field", "expected"), [
    ("c12", "Legitimate interests", "lawful_bases", ["legitimate_interests"]),
    ("c12", "legitimate interest", "lawful_bases", ["legitimate_interests"]),
    ("c12", "Art 6(1)(f)", "lawful_bases", ["legitimate_interests"]),
    ("c12", "6(1)(f)", "lawful_bases", ["legitimate_interests"]),
    ("c12", "Article 6(1)(a) consent", "lawful_bases", ["consent"]),
    ("c12", "Contract (Art. 6(1)(b))", "lawful_bases", ["contract"]),
    ("c12", "Consent and legitimate interests", "lawful_bases", ["consent", "legitimate_interests"]),
    ("c13", "Explicit consent", "art9_conditions", ["explicit_consent"]),
    ("c13", "Art. 9(2)(b)", "art9_conditions", ["employment_social_security"]),
    ("c13", "occupational health", "art9_conditions", ["health_social_care"]),
    ("c4", "Staff, customers and website users", "data_subjects", ["employees", "customers", "website_visitors"]),
    ("c5", "email", "data_categories", ["contact.email"]),
    ("c5", "Email addresses", "data_categories", ["contact.email"]),
    ("c5", "health data", "data_categories", ["special.health"]),
    ("c5", "CCTV", "data_categories", ["audio_visual.cctv"]),
    ("c5", "Invoices, billing and payment history", "data_categories", ["financial.billing"]),
    ("c5", "DBS checks", "data_categories", ["criminal"]),
], ids=lambda v: v if isinstance(v, str) else None)
def test_free_text_maps_onto_the_vocabulary(db: Database, entity: Entity, column: str, text: str, field: str,
                                            expected: list[str]) -> None:
    plan = _plan(db, ico_workbook([ico_row(c2="Purpose", **{column: text})], contact=False), entity=entity.name)
    assert getattr(plan.activities[0], field) == expected
    assert not plan.activities[0].unmapped


@pytest.mark.parametrize(("text", "country", "mechanism"), [
    ("EU-US Privacy Shield", "US", "privacy_shield"),
    ("Standard Contractual Clauses (2021)", "US", "eu_scc_2021"),
    ("Model Contract Clauses", "US", "eu_scc_2010"),
    ("Safe Harbor", "US", "safe_harbor"),
    ("IDTA", "US", "uk_idta"),
    ("UK Addendum", "US", "uk_addendum"),
    ("BCR", "US", "bcr"),
    ("adequacy", "US", "adequacy"),
    ("Data Privacy Framework", "US", "dpf"),
], ids=lambda v: v if isinstance(v, str) and " " in v or v in ("IDTA", "BCR", "adequacy") else None)
def test_transfer_mechanisms_map_from_their_usual_names(db: Database, entity: Entity, text: str, country: str,
                                                       mechanism: str) -> None:
    plan = _plan(db, ico_workbook([ico_row(c2="Purpose", c8="United States of America", c9=text)], contact=False),
                 entity=entity.name)
    assert [(t.country, t.mechanism) for t in plan.activities[0].transfers] == [(country, mechanism)]


@pytest.mark.parametrize(("text", "country"), [("UK", "GB"), ("Deutschland", "DE"), ("DE", "DE"), ("DEU", "DE"),
                                               ("Korea, Republic of", "KR"), ("India", "IN"), ("États-Unis", "US"),
                                               ("Outside the UK via our group hosting arrangement", None)],
                         ids=["UK", "german-name", "alpha-2", "alpha-3", "comma-in-name", "name", "french-name",
                              "a-sentence-is-kept"])
def test_countries_map_by_name_or_iso_code(db: Database, entity: Entity, text: str, country: str | None) -> None:
    plan = _plan(db, ico_workbook([ico_row(c2="Purpose", c8=text)], contact=False), entity=entity.name)
    activity = plan.activities[0]
    if country is None:
        assert activity.transfers == [] and activity.unmapped["transfers"] == text
    else:
        assert [t.country for t in activity.transfers] == [country]


@pytest.mark.parametrize(("text", "expected"), [
    ("6 years after the end of the contract", ("period", 72, "end_of_contract", "")),
    ("Six years from the end of the financial year", ("period", 72, "end_of_financial_year", "")),
    ("2 years after last contact", ("period", 24, "last_contact", "")),
    ("18 months", ("period", 18, None, "")),
    ("7 years", ("period", 84, None, "")),
    ("90 days", ("period", 3, None, "90 days")),
    ("6 years after the contract ends, then anonymised", ("period", 72, "end_of_contract",
                                                        "6 years after the contract ends, then anonymised")),
    ("as long as necessary", ("rule", None, None, "as long as necessary")),
    ("7 years for invoices, 2 years for emails", ("rule", None, None, "7 years for invoices, 2 years for emails")),
    ("", ("unknown", None, None, "")),
], ids=lambda v: v if isinstance(v, str) else None)
def test_retention_text_becomes_a_structured_period_or_a_stated_rule(
        db: Database, entity: Entity, text: str, expected: tuple[str, int | None, str | None, str]) -> None:
    plan = _plan(db, ico_workbook([ico_row(c2="Purpose", c10=text)], contact=False), entity=entity.name)
    a = plan.activities[0]
    assert (a.retention_kind, a.retention_months, a.retention_trigger, a.retention_rule) == expected


def test_text_that_maps_to_nothing_is_kept_and_reported(db: Database, entity: Entity) -> None:
    row = ico_row(c2="Purpose", c12="Because the board said so", c5="Name; shoe size")
    plan = _plan(db, ico_workbook([row], contact=False), entity=entity.name)
    activity = plan.activities[0]
    assert activity.lawful_bases == [] and activity.data_categories == ["identity.name"]
    assert activity.unmapped == {"lawful_bases": "Because the board said so", "data_categories": "shoe size"}
    frame = plan.unmapped_frame()
    assert set(frame["text kept"]) == {"Because the board said so", "shoe size"}


def test_not_applicable_is_read_as_nothing_rather_than_kept(db: Database, entity: Entity) -> None:
    row = ico_row(c2="Purpose", c8="N/A", c9="n/a", c13="None", c17="No")
    activity = _plan(db, ico_workbook([row], contact=False), entity=entity.name).activities[0]
    assert activity.transfers == [] and activity.art9_conditions == [] and not activity.unmapped
    assert activity.adm is False


# -- all or nothing, audited -------------------------------------------------------------------

def test_import_is_one_audited_transaction(db: Database, dpo: User) -> None:
    data = ico_workbook(EXAMPLE_ROWS)
    plan = _plan(db, data)
    result = apply_import(db, dpo, plan)
    assert len(result.activity_ids) == 3
    (detail,) = [json.loads(r[0]) for r in db.rows("SELECT detail FROM audit_log WHERE action = 'import'")]
    assert detail["file"] == "register.xlsx" and detail["sha256"] == plan.sha256 and detail["rows"] == 3
    assert detail["entities_created"] == ["Acme Widgets Ltd"]
    assert db.rows("SELECT count(*) FROM audit_log WHERE action = 'create' AND record_type = 'activity'")[0][0] == 3


def test_a_failure_during_the_write_leaves_nothing_behind(db: Database, dpo: User,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _plan(db, ico_workbook(EXAMPLE_ROWS))
    before = _counts(db)

    def fail(*args: object, **kwargs: object) -> None:
        raise RopaError("disk full")

    monkeypatch.setattr("ropa.ingest.plan.add_activity_columns", fail)
    with pytest.raises(RopaError, match="disk full"):
        apply_import(db, dpo, plan)
    assert _counts(db) == before


def test_rows_with_problems_are_reported_by_row_and_column_and_nothing_is_written(db: Database, dpo: User) -> None:
    rows = [*EXAMPLE_ROWS, ico_row(c1="x" * 600, c2="Too long a function"), ico_row(c4="Customers")]
    plan = _plan(db, ico_workbook(rows))
    assert not plan.ok
    problems = {(i.row, i.column) for i in plan.issues}
    assert (13, "Business function") in problems
    assert any(i.row == 14 and "Processing activity" in i.column for i in plan.issues)
    before = _counts(db)
    with pytest.raises(RopaError, match="nothing was imported"):
        apply_import(db, dpo, plan)
    assert _counts(db) == before


def test_only_an_admin_may_import(db: Database) -> None:
    plan = _plan(db, ico_workbook(EXAMPLE_ROWS))
    with pytest.raises(PermissionDenied):
        apply_import(db, VIEWER, plan)


def test_importing_the_same_file_twice_is_pointed_out(db: Database, dpo: User) -> None:
    data = ico_workbook(EXAMPLE_ROWS)
    apply_import(db, dpo, _plan(db, data))
    again = _plan(db, data)
    assert any("already imported" in n for n in again.notes)
    assert any("3 activities in the file are already in the register" in n for n in again.notes)


def test_dry_run_writes_nothing(db: Database, dpo: User, tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    path.write_bytes(ico_workbook(EXAMPLE_ROWS))
    plan, result = import_file(db, dpo, path, dry_run=True)
    assert result is None and len(plan.activities) == 3
    assert _counts(db) == (0, 0, 0)


def test_merged_cells_give_their_value_to_every_row_they_span(db: Database, entity: Entity) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(ICO_HEADINGS)
    for purpose in ("Payroll", "Pensions", "Expenses"):
        sheet.append(ico_row(c1="Human resources" if purpose == "Payroll" else "", c2=purpose))
    sheet.merge_cells("A2:A4")
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = _plan(db, buffer.getvalue(), entity=entity.name)
    assert [a.business_function for a in plan.activities] == ["Human resources"] * 3
    assert any("merged cells A2:A4" in n for n in plan.notes)


def test_hidden_sheets_are_reported_and_not_read(db: Database, entity: Entity) -> None:
    workbook = Workbook()
    visible = workbook.active
    assert visible is not None
    visible.append(ICO_HEADINGS)
    visible.append(ico_row(c2="Visible purpose"))
    hidden = workbook.create_sheet("Old register")
    hidden.append(ICO_HEADINGS)
    hidden.append(ico_row(c2="Hidden purpose"))
    hidden.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = _plan(db, buffer.getvalue(), entity=entity.name)
    assert [a.purpose for a in plan.activities] == ["Visible purpose"]
    assert any("'Old register' is hidden" in n for n in plan.notes)


def test_formulas_are_never_evaluated(db: Database, entity: Entity) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(ICO_HEADINGS)
    sheet.append(ico_row(c1="=1+1", c2="Purpose with a formula beside it"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = _plan(db, buffer.getvalue(), entity=entity.name)
    # openpyxl saves no calculated value, so the cell is empty: nothing computed, nothing run.
    assert plan.activities[0].business_function == ""
    assert any("formulas" in n for n in plan.notes)


def test_ten_thousand_rows_import_within_the_row_limit(db: Database, entity: Entity) -> None:
    lines = [",".join(f'"{h}"' for h in ICO_HEADINGS)]
    lines += [f'"Sales","Purpose {i}","","Customers","Email"' for i in range(10_000)]
    plan = _plan(db, "\n".join(lines).encode(), "big.csv", entity=entity.name)
    assert plan.ok and len(plan.activities) == 10_000


def test_unreadable_yes_no_answer_is_kept_and_read_as_unknown(db: Database, entity: Entity) -> None:
    row = ico_row(c2="Purpose", c21="maybe")
    activity = _plan(db, ico_workbook([row], contact=False), entity=entity.name).activities[0]
    assert activity.dpia_required is None and activity.unmapped == {"dpia_required": "maybe"}


def test_every_mapping_decision_is_listed_once_with_its_row_count(db: Database, entity: Entity) -> None:
    rows = [ico_row(c2=f"Purpose {i}", c12="Legitimate interests") for i in range(5)]
    plan = _plan(db, ico_workbook(rows, contact=False), entity=entity.name)
    (decision,) = [d for d in plan.decisions if d.text == "Legitimate interests"]
    assert decision.rows == 5 and decision.key == "legitimate_interests" and decision.first_row == 10


def test_loaded_activities_keep_what_the_plan_showed(db: Database, dpo: User) -> None:
    plan = _plan(db, ico_workbook(EXAMPLE_ROWS))
    apply_import(db, dpo, plan)
    with db.connect() as con:
        stored = load_activities(con)
    assert [a.content() | {"entity_id": 0} for a in stored] == [a.content() | {"entity_id": 0}
                                                                for a in plan.activities]


@pytest.mark.parametrize(("answer", "kept"), [("Yes", {"c24_breach": "Yes"}), ("No", {}), ("N/A", {})],
                         ids=["yes-is-kept", "no-says-nothing", "not-applicable"])
def test_breach_answer_is_kept_when_it_says_something(db: Database, entity: Entity, answer: str,
                                                      kept: dict[str, str]) -> None:
    row = ico_row(c2="Purpose", c24=answer)
    assert _plan(db, ico_workbook([row], contact=False), entity=entity.name).activities[0].unmapped == kept


@pytest.mark.parametrize(("text", "adm", "description", "kept"), [
    ("No", False, "", {}),
    ("Yes", True, "", {}),
    ("Yes: credit scoring decides the limit", True, "credit scoring decides the limit", {}),
    ("Yes, profiling for marketing", True, "Yes, profiling for marketing", {}),
    ("No, but we profile for fraud", False, "", {"adm": "No, but we profile for fraud"}),
    ("Sometimes", False, "", {"adm": "Sometimes"}),
], ids=["no", "yes", "yes-colon", "yes-comma", "no-but", "unclear"])
def test_automated_decision_answers_keep_whatever_more_they_say(db: Database, entity: Entity, text: str, adm: bool,
                                                                description: str, kept: dict[str, str]) -> None:
    activity = _plan(db, ico_workbook([ico_row(c2="Purpose", c17=text)], contact=False),
                     entity=entity.name).activities[0]
    assert (activity.adm, activity.adm_description, activity.unmapped) == (adm, description, kept)


def test_the_rows_of_one_table_share_one_set_of_provided_fields(db: Database) -> None:
    # A set per row held every heading again: 100 MB at 50,000 activities.
    plan = _plan(db, ico_workbook(EXAMPLE_ROWS * 4))
    assert len(plan.provided) == len(EXAMPLE_ROWS) * 4
    assert len({id(fields) for fields in plan.provided}) <= 2  # with and without the file's own reference
    assert "business_function" in plan.provided[0]
