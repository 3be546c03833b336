"""The Article 30 workbook a regulator reads: ICO layout, every column citing its article, safe and logged."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ropa.auth import User
from ropa.columns import COLUMNS, ENTITY_COLUMNS, JOIN, Column, sheet_columns
from ropa.errors import RopaError
from ropa.export import ExportOptions, collect, export_register, export_xlsx, list_exports, save_export
from ropa.export.data import canonical_json, transfer_validity
from ropa.export.sheets import CONTROLLER, COVER, ENTITIES, GAPS, PROCESSOR, REFERENCE, TRANSFERS, build_sheets
from ropa.export.xlsx import row_height, sheet_cells, write_floor
from ropa.factories import DPO, make_activity, make_entity, make_transfer
from ropa.gaps import analyse
from ropa.models import Entity
from ropa.reference import VOCABULARY_NAMES, load_reference
from ropa.storage.activities import create_activities
from ropa.storage.database import Database
from ropa.storage.entities import create_entity

AS_OF = date(2026, 11, 1)
ICO_CONTROLLER_HEADINGS = [
    "Business function", "Purpose of processing", "Name and contact details of joint controller (if applicable)",
    "Categories of individuals", "Categories of personal data", "Categories of recipients",
    "Link to contract with processor",
    "Names of third countries or international organisations that personal data are transferred to (if applicable)",
    "Safeguards for exceptional transfers of personal data to third countries or international organisations "
    "(if applicable)", "Retention schedule (if possible)",
    "General description of technical and organisational security measures (if possible)",
    "Article 6 lawful basis for processing personal data", "Article 9 condition for processing special category data",
    "Legitimate interests for the processing (if applicable)",
    "Link to record of legitimate interests assessment (if applicable)", "Rights available to individuals",
    "Existence of automated decision-making, including profiling (if applicable)",
    "The source of the personal data (if applicable)", "Link to record of consent", "Location of personal data",
    "Data Protection Impact Assessment required?", "Data Protection Impact Assessment progress",
    "Link to Data Protection Impact Assessment", "Has a personal data breach occurred?",
    "Link to record of personal data breach", "Data Protection Act 2018 Schedule 1 Condition for processing",
    "GDPR Article 6 lawful basis for processing", "Link to retention and erasure policy document",
    "Is personal data retained and erased in accordance with the policy document?",
    "Reasons for not adhering to policy document (if applicable)",
]


@pytest.fixture
def group(db: Database, dpo: User) -> tuple[Entity, Entity, Entity]:
    """A UK parent with an Irish subsidiary, and an unrelated sister company."""
    parent = create_entity(db, dpo, make_entity(name="Parent plc"))
    child = create_entity(db, dpo, make_entity(name="Child Ltd", country="IE", parent_id=parent.id))
    other = create_entity(db, dpo, make_entity(name="Other Ltd"))
    create_activities(db, dpo, [
        make_activity(parent.id or 0, name="Payroll",
                      transfers=[make_transfer(country="US", mechanism="privacy_shield")]),
        make_activity(parent.id or 0, name="Hosting for clients", role="processor",
                      controller_served="Client plc, 1 Road, London"),
        make_activity(child.id or 0, name="Irish sales", lawful_bases=["contract", "legitimate_interests"],
                      transfers=[make_transfer(country="IN", mechanism="eu_scc_2021", tia_ref="TIA-9")]),
        make_activity(other.id or 0, name="Other business"),
    ])
    return parent, child, other


def _export(db: Database, tmp_path: Path, **options: object) -> Path:
    path = tmp_path / "register.xlsx"
    export_register(db, DPO, "xlsx", path, ExportOptions(as_of=AS_OF, **options))  # type: ignore[arg-type]
    return path


def _rows(path: Path, sheet: str) -> list[tuple[object, ...]]:
    workbook = load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in workbook[sheet].iter_rows(values_only=True)]
    finally:
        workbook.close()


# -- the column map -----------------------------------------------------------------------------

def test_controller_columns_are_the_ico_template_in_its_order_and_wording() -> None:
    columns = sheet_columns("controller")
    assert [c.heading for c in columns[:30]] == ICO_CONTROLLER_HEADINGS
    assert [c.ico for c in columns[:30]] == list(range(1, 31))
    assert all(c.ico is None for c in columns[30:])


def test_processor_sheet_starts_with_the_ico_processor_columns() -> None:
    columns = sheet_columns("processor")
    assert [c.ico_processor for c in columns[:5]] == [1, 2, 3, 4, 5]
    assert columns[0].heading == "Name and contact details of controller"
    assert columns[1].heading == "Categories of processing"


@pytest.mark.parametrize("column", COLUMNS, ids=[c.key for c in COLUMNS])
def test_every_column_cites_its_article(column: Column) -> None:
    article = column.article
    assert re.search(r"Art\. \d|Art\. 4|DPA 2018|Recital", article), article


def test_no_vocabulary_label_contains_the_list_separator() -> None:
    ref = load_reference()
    labels = [t.label for name in VOCABULARY_NAMES for t in ref.vocabulary(name)]
    assert not [label for label in labels if JOIN.strip() in label]


def test_headings_do_not_collide_with_other_columns_aliases() -> None:
    from ropa.ingest.layout import heading_index, heading_key

    index = heading_index()
    for column in COLUMNS:
        assert index[heading_key(column.heading)].heading == column.heading


# -- the workbook -------------------------------------------------------------------------------

def test_workbook_has_the_sheets_a_regulator_expects(group: object, db: Database, tmp_path: Path) -> None:
    workbook = load_workbook(_export(db, tmp_path), read_only=True)
    assert workbook.sheetnames == [COVER, CONTROLLER, PROCESSOR, TRANSFERS, GAPS, ENTITIES, REFERENCE]
    workbook.close()


def test_controller_sheet_rows_carry_readable_labels_with_articles(group: object, db: Database,
                                                                   tmp_path: Path) -> None:
    rows = _rows(_export(db, tmp_path), CONTROLLER)
    citations, headings, *body = rows
    assert list(headings[:30]) == ICO_CONTROLLER_HEADINGS
    assert citations[1] == "Art. 30(1)(b)" and all(citations)
    by_name = {r[headings.index("Processing activity")]: r for r in body}
    assert set(by_name) == {"Payroll", "Irish sales", "Other business"}
    sales = by_name["Irish sales"]
    assert sales[11] == "Contract (Art. 6(1)(b)); Legitimate interests (Art. 6(1)(f))"
    assert sales[3] == "Customers"
    assert sales[4] == "Name; Email address; Invoices, billing and payment history"
    assert sales[7] == "India"
    assert sales[9] == "6 years after the end of the financial year"
    assert sales[headings.index("Entity")] == "Child Ltd"


def test_processor_activities_are_on_the_processor_sheet_only(group: object, db: Database, tmp_path: Path) -> None:
    path = _export(db, tmp_path)
    _, headings, *body = _rows(path, PROCESSOR)
    assert [r[0] for r in body] == ["Client plc, 1 Road, London"]
    assert "Hosting for clients" not in {r[headings.index("Processing activity")] for r in _rows(path, CONTROLLER)}


def test_entity_export_includes_its_subsidiaries_only(group: tuple[Entity, Entity, Entity], db: Database,
                                                      tmp_path: Path) -> None:
    parent, _, _ = group
    path = _export(db, tmp_path, entity_id=parent.id)
    _, headings, *body = _rows(path, CONTROLLER)
    assert {r[headings.index("Entity")] for r in body} == {"Parent plc", "Child Ltd"}
    cover = "\n".join(str(v) for row in _rows(path, COVER) for v in row if v)
    assert "Parent plc and its subsidiaries" in cover and "Other Ltd" not in cover


def test_cover_says_who_exported_what_when_and_its_hash(group: object, db: Database, tmp_path: Path) -> None:
    path = _export(db, tmp_path)
    facts = {row[0]: row[1] for row in _rows(path, COVER) if row and row[0] and len(row) > 1}
    data = collect(db, DPO, ExportOptions(as_of=AS_OF))
    assert facts["Organisation"] == "Other Ltd, Parent plc"
    assert facts["Exported by"] == "Test DPO <dpo@example.test>"
    assert str(facts["As-of date"]).startswith("2026-11-01")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", str(facts["Exported at (UTC)"]))
    assert facts["Content hash (SHA-256)"] == data.content_sha256
    assert "entity: whole group" in str(facts["Filters applied"])
    assert facts["Data Protection Officer"] == "Dana Protection"


def test_content_hash_can_be_recomputed_from_the_json_export(group: object, db: Database, tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "register.json"
    result = export_register(db, DPO, "json", path, ExportOptions(as_of=AS_OF))
    document = json.loads(path.read_text(encoding="utf-8"))
    recomputed = hashlib.sha256(canonical_json({
        "activities": [a["content"] for a in document["activities"]],
        "entities": [e["content"] for e in document["entities"]],
    }).encode()).hexdigest()
    assert recomputed == document["content_sha256"] == result.content_sha256


def test_same_content_gives_the_same_hash_in_every_format(group: object, db: Database, tmp_path: Path) -> None:
    hashes = {export_register(db, DPO, fmt, tmp_path / f"r.{fmt}", ExportOptions(as_of=AS_OF)).content_sha256
              for fmt in ("xlsx", "csv", "json")}
    assert len(hashes) == 1


def test_transfers_sheet_judges_each_transfer_on_the_as_of_date(group: object, db: Database, tmp_path: Path) -> None:
    _, headings, *body = _rows(_export(db, tmp_path), TRANSFERS)
    valid = headings.index("Valid on 2026-11-01?")
    by_activity = {r[1]: r for r in body}
    shield = by_activity["Payroll"]
    assert shield[valid] == "No" and "C-311/18" in str(shield[valid + 1])
    assert str(shield[headings.index("Exporter's regime")]).startswith("UK GDPR")
    sccs = by_activity["Irish sales"]
    assert sccs[valid] == "Yes" and sccs[headings.index("TIA reference")] == "TIA-9"
    assert str(sccs[headings.index("Exporter's regime")]).startswith("EU GDPR")


@pytest.mark.parametrize(("regime", "country", "mechanism", "day", "valid", "why"), [
    ("UK", "US", "privacy_shield", date(2020, 7, 1), True, "EU-US Privacy Shield"),
    ("UK", "US", "privacy_shield", date(2020, 7, 17), False, "invalid since 16 July 2020"),
    ("EU", "US", None, date(2026, 1, 1), False, "no transfer mechanism recorded"),
    ("EU", "JP", None, date(2026, 1, 1), True, "adequacy"),
    ("UK", "DE", None, date(2026, 1, 1), True, "adequacy"),
    ("EU", "DE", None, date(2026, 1, 1), True, "not a restricted transfer"),
    ("UK", "US", "eu_scc_2021", date(2026, 1, 1), False, "UK Addendum"),
    ("EU", "US", "adequacy", date(2026, 1, 1), False, "covers only"),
], ids=["shield-before-schrems-ii", "shield-after-schrems-ii", "nothing-recorded", "japan-adequate",
        "eea-adequate-for-uk", "inside-the-eea", "eu-sccs-alone-for-uk", "us-adequacy-needs-dpf"])
def test_transfer_validity_follows_the_reference_data(regime: str, country: str, mechanism: str | None, day: date,
                                                      valid: bool, why: str) -> None:
    regime_key = {"UK": "uk_gdpr", "EU": "eu_gdpr"}[regime]
    ok, reason = transfer_validity(regime_key, make_transfer(country=country, mechanism=mechanism), day)
    assert ok is valid and why in reason


def test_gap_sheet_lists_the_findings_of_the_export_date(group: object, db: Database, tmp_path: Path) -> None:
    _, _, *body = _rows(_export(db, tmp_path), GAPS)
    findings = analyse(db, AS_OF, None, include_accepted=True)
    assert len(body) == len(findings) > 0
    assert {r[1] for r in body} == set(findings["title"])


def test_entities_sheet_holds_every_contact_detail(group: object, db: Database, tmp_path: Path) -> None:
    citations, headings, *body = _rows(_export(db, tmp_path), ENTITIES)
    assert list(headings) == [c.heading for c in ENTITY_COLUMNS] and all(citations)
    child = next(r for r in body if r[0] == "Child Ltd")
    assert child[1] == "Parent plc" and child[3] == "Ireland"


def test_reference_sheet_lists_vocabularies_and_mechanisms_with_sources(group: object, db: Database,
                                                                        tmp_path: Path) -> None:
    _, *body = _rows(_export(db, tmp_path), REFERENCE)
    shield = next(r for r in body if r[0] == "Transfer mechanism" and r[1] == "privacy_shield")
    assert "until 2020-07-15" in str(shield[4]) and str(shield[6]).startswith("https://")
    assert any(r[1] == "legitimate_interests" and r[3] == "Art. 6(1)(f)" for r in body)
    public_health = next(r for r in body if r[0] == "Art9 conditions" and r[1] == "public_health")
    assert "UK: needs a condition in DPA 2018 s.10(2), Sch. 1 Part 1" in str(public_health[4])
    cctv = next(r for r in body if r[0] == "DPIA screening signal" and r[1] == "audio_visual.cctv")
    assert "Systematic monitoring" in str(cctv[4]) and "Art. 35(3)(c)" in str(cctv[4]) and cctv[7] is not None


def test_sheets_are_set_up_for_reading_and_printing(group: object, db: Database, tmp_path: Path) -> None:
    workbook = load_workbook(_export(db, tmp_path))
    sheet = workbook[CONTROLLER]
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A2:")
    assert sheet.print_title_rows == "$1:$2"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr is not None and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.oddFooter.right.text == "Page &P of &N"
    assert "Parent plc" in (sheet.oddHeader.left.text or "")
    assert sheet.column_dimensions["B"].width == 44
    assert sheet["A2"].font.b and sheet["A2"].alignment.wrap_text


def test_body_text_wraps_through_the_normal_style(group: object, db: Database, tmp_path: Path) -> None:
    styles = zipfile.ZipFile(_export(db, tmp_path)).read("xl/styles.xml").decode()
    normal = re.search(r"<cellStyleXfs[^>]*>\s*<xf [^>]*>(.*?)</xf>", styles, re.S)
    assert normal is not None and 'wrapText="1"' in normal.group(1)


def test_row_heights_grow_with_wrapped_text() -> None:
    assert row_height(["short"], [20]) is None
    assert row_height(["x" * 100], [20]) == 15 * 5
    assert row_height(["a\nb\nc"], [20]) == 45
    assert row_height(["x" * 100_000], [20]) == 409


def test_every_export_is_logged_with_its_hashes_and_an_audit_row(group: object, db: Database,
                                                                 tmp_path: Path) -> None:
    result = save_export(db, DPO, "xlsx", ExportOptions(as_of=AS_OF), tmp_path / "exports")
    assert result.path.parent == tmp_path / "exports" and result.path.name.startswith("ropa-group-as-of-2026-11-01-")
    import hashlib

    assert hashlib.sha256(result.path.read_bytes()).hexdigest() == result.file_sha256
    (logged,) = list_exports(db).to_dict(orient="records")
    assert logged["file"] == result.path.name and logged["file SHA-256"] == result.file_sha256
    assert logged["by"] == DPO.email and logged["format"] == "xlsx" and logged["activities"] == 4
    (detail,) = db.rows("SELECT detail FROM audit_log WHERE action = 'export'")[0]
    assert json.loads(detail)["sha256"] == result.file_sha256


def test_export_to_a_missing_folder_is_a_clear_error(db: Database, tmp_path: Path) -> None:
    with pytest.raises(RopaError, match="does not exist"):
        export_register(db, DPO, "xlsx", tmp_path / "missing" / "r.xlsx", ExportOptions(as_of=AS_OF))


def test_text_longer_than_an_excel_cell_is_refused_with_advice(db: Database, entity: Entity, tmp_path: Path) -> None:
    systems = [f"{i:03d}" + "s" * 490 for i in range(70)]
    create_activities(db, DPO, [make_activity(entity.id or 0, systems=systems)])
    with pytest.raises(RopaError, match="more than Excel's limit of 32,767.*export this register as JSON"):
        export_xlsx(db, tmp_path / "r.xlsx", as_of=AS_OF)


def test_archived_activities_are_left_out_unless_asked_for(db: Database, entity: Entity, tmp_path: Path) -> None:
    create_activities(db, DPO, [make_activity(entity.id or 0, name="Old", status="archived"),
                                make_activity(entity.id or 0, name="Live")])
    assert [r.name for r in collect(db, DPO, ExportOptions(as_of=AS_OF)).records] == ["Live"]
    records = collect(db, DPO, ExportOptions(as_of=AS_OF, include_archived=True)).records
    assert sorted(r.name for r in records) == ["Live", "Old"]


def test_empty_register_exports_a_readable_workbook(db: Database, tmp_path: Path) -> None:
    path = _export(db, tmp_path)
    assert _rows(path, CONTROLLER)[1][0] == "Business function"


def test_floor_writes_the_same_cells_without_styles(group: object, db: Database, tmp_path: Path) -> None:
    sheets = build_sheets(collect(db, DPO, ExportOptions(as_of=AS_OF)))
    cells = sheet_cells(sheets)
    write_floor(cells, tmp_path / "floor.xlsx")
    floor = load_workbook(tmp_path / "floor.xlsx", read_only=True)
    assert floor.sheetnames == list(cells)
    assert [tuple(r) for r in floor[CONTROLLER].iter_rows(values_only=True)][1] == tuple(cells[CONTROLLER][1])
    floor.close()
