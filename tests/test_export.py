"""The Article 30 workbook a regulator reads: ICO layout, every column citing its article, safe and logged."""

from __future__ import annotations

import contextlib
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
from ropa.gaps import analyse
from ropa.models import Entity
from ropa.reference import VOCABULARY_NAMES, load_reference
from ropa.storage.activities import create_activities
from ropa.storage.database import Database
from ropa.storage.entities import create_entity
from tests.factories import DPO, make_activity, make_entity, make_transfer

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

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
    export_register(db, DPO, "xlsx", path, ExportOptions(**{"as_of": AS_OF, "all_organisations": True,  # type: ignore[arg-type]
                                                            **options}))
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

@pytest.mark.parametrize(("with_gaps", "sheets"), [
    pytest.param(False, [COVER, CONTROLLER, PROCESSOR, TRANSFERS, ENTITIES, REFERENCE], id="the-record-only"),
    pytest.param(True, [COVER, CONTROLLER, PROCESSOR, TRANSFERS, GAPS, ENTITIES, REFERENCE], id="with-gaps"),
])
def test_workbook_holds_the_record_and_the_gap_analysis_only_when_asked(group: object, db: Database, tmp_path: Path,
                                                                        with_gaps: bool, sheets: list[str]) -> None:
    workbook = load_workbook(_export(db, tmp_path, with_gaps=with_gaps), read_only=True)
    assert workbook.sheetnames == sheets
    workbook.close()


def test_one_organisation_per_workbook_unless_all_are_asked_for(group: tuple[Entity, Entity, Entity], db: Database,
                                                                tmp_path: Path) -> None:
    with pytest.raises(RopaError, match=r"2 unrelated organisations \(Other Ltd, Parent plc\).*--entity NAME"):
        export_register(db, DPO, "xlsx", tmp_path / "r.xlsx", ExportOptions(as_of=AS_OF))
    assert not (tmp_path / "r.xlsx").exists()
    parent, _, other = group
    path = _export(db, tmp_path, entity_id=other.id, all_organisations=False)
    _, headings, *body = _rows(path, CONTROLLER)
    assert [r[:2] for r in body] == [("Other Ltd", "Other business")]


def test_controller_sheet_rows_carry_readable_labels_with_articles(group: object, db: Database,
                                                                   tmp_path: Path) -> None:
    rows = _rows(_export(db, tmp_path), CONTROLLER)
    citations, headings, *body = rows
    assert list(headings[:2]) == ["Entity", "Processing activity"]
    assert list(headings[2:32]) == ICO_CONTROLLER_HEADINGS
    assert citations[3] == "Art. 30(1)(b)" and all(citations)
    by_name = {r[1]: r for r in body}
    assert set(by_name) == {"Payroll", "Irish sales", "Other business"}
    sales = by_name["Irish sales"]
    assert sales[13] == "Contract (Art. 6(1)(b)); Legitimate interests (Art. 6(1)(f))"
    assert sales[5] == "Customers"
    assert sales[6] == "Name; Email address; Invoices, billing and payment history"
    assert sales[9] == "India"
    assert sales[11] == "6 years after the end of the financial year"
    assert sales[0] == "Child Ltd"


def test_activities_are_listed_by_entity_then_name_by_code_point(db: Database, entity: Entity,
                                                                  tmp_path: Path) -> None:
    names = ["b", "Ä", "B", "a", "Z", "b"]
    sister = create_entity(db, DPO, make_entity(name="Sister Ltd", parent_id=entity.id))
    create_activities(db, DPO, [make_activity(sister.id or 0, name="A sister's")])
    create_activities(db, DPO, [make_activity(entity.id or 0, name=n) for n in names])
    _, _, *body = _rows(_export(db, tmp_path), CONTROLLER)
    assert [r[1] for r in body] == ["B", "Z", "a", "b", "b", "Ä", "A sister's"]


def test_records_share_one_copy_of_each_repeated_text(group: object, db: Database) -> None:
    from ropa.export.data import load_records

    with db.connect() as con:
        first, second, *_ = load_records(con, None, include_archived=False)
    assert first.status == second.status and first.status is second.status
    assert first.data_subjects[0] is second.data_subjects[0]


def test_activity_sheets_render_their_rows_on_every_pass_without_holding_them(group: object, db: Database) -> None:
    from ropa.export.sheets import RenderedRows

    sheets = {s.title: s for s in build_sheets(collect(db, DPO, ExportOptions(as_of=AS_OF, all_organisations=True)))}
    for title in (CONTROLLER, PROCESSOR, TRANSFERS):
        rows = sheets[title].rows
        assert isinstance(rows, RenderedRows), title
        passes = [list(rows), list(rows)]
        assert passes[0] == passes[1] and len(passes[0]) == len(rows) and rows[0] == passes[0][0]
        assert passes[0][0] is not passes[1][0]
        assert {len(row) for row in passes[0]} <= {rows.width}


def test_processor_activities_are_on_the_processor_sheet_only(group: object, db: Database, tmp_path: Path) -> None:
    path = _export(db, tmp_path)
    _, headings, *body = _rows(path, PROCESSOR)
    assert [r[:3] for r in body] == [("Parent plc", "Hosting for clients", "Client plc, 1 Road, London")]
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
    data = collect(db, DPO, ExportOptions(as_of=AS_OF, all_organisations=True))
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
    result = export_register(db, DPO, "json", path, ExportOptions(as_of=AS_OF, all_organisations=True))
    document = json.loads(path.read_text(encoding="utf-8"))
    recomputed = hashlib.sha256(canonical_json({
        "activities": [a["content"] for a in document["activities"]],
        "entities": [e["content"] for e in document["entities"]],
    }).encode()).hexdigest()
    assert recomputed == document["content_sha256"] == result.content_sha256


def test_same_content_gives_the_same_hash_in_every_format(group: object, db: Database, tmp_path: Path) -> None:
    options = ExportOptions(as_of=AS_OF, all_organisations=True)
    hashes = {export_register(db, DPO, fmt, tmp_path / f"r.{fmt}", options).content_sha256
              for fmt in ("xlsx", "csv", "json")}
    assert len(hashes) == 1


def test_transfers_sheet_judges_each_transfer_on_the_as_of_date(group: object, db: Database, tmp_path: Path) -> None:
    _, headings, *body = _rows(_export(db, tmp_path, with_gaps=True), TRANSFERS)
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


def test_transfers_sheet_of_the_record_only_states_no_validity(group: object, db: Database, tmp_path: Path) -> None:
    _, headings, *body = _rows(_export(db, tmp_path), TRANSFERS)
    assert not {"Valid on 2026-11-01?", "Why", "Transfer impact assessment expected?"} & set(headings)
    assert str({r[1]: r[headings.index("Chapter V tool")] for r in body}["Payroll"]).startswith("EU-US Privacy Shield")
    assert len(headings) == len(body[0]) == 11
    assert headings[-1] == "Supervisory authority informed on"  # Art. 49(1) second subparagraph


def test_gap_sheet_lists_the_findings_of_the_export_date(group: object, db: Database, tmp_path: Path) -> None:
    _, _, *body = _rows(_export(db, tmp_path, with_gaps=True), GAPS)
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
    assert sheet.print_title_rows == "$1:$2" and sheet.print_title_cols == "$A:$B"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.page_setup.fitToWidth == 3 and sheet.page_setup.fitToHeight == 0
    assert sheet.print_area == f"'{CONTROLLER}'!$A$1:$M$5"
    assert sheet.sheet_properties.pageSetUpPr is not None and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.oddFooter.right.text == "Page &P of &N"
    assert "Parent plc" in (sheet.oddHeader.left.text or "")
    assert sheet.column_dimensions["D"].width == 44
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
    result = save_export(db, DPO, "xlsx", ExportOptions(as_of=AS_OF, all_organisations=True), tmp_path / "exports")
    assert result.path.parent == tmp_path / "exports" and result.path.name.startswith("ropa-group-as-of-2026-11-01-")
    import hashlib

    assert hashlib.sha256(result.path.read_bytes()).hexdigest() == result.file_sha256
    (logged,) = list_exports(db).to_dict(orient="records")
    assert logged["file"] == result.path.name and logged["file SHA-256"] == result.file_sha256
    assert logged["by"] == DPO.email and logged["format"] == "xlsx" and logged["activities"] == 4
    (detail,) = db.rows("SELECT detail FROM audit_log WHERE action = 'export'")[0]
    assert json.loads(detail)["sha256"] == result.file_sha256


@pytest.mark.parametrize("with_gaps", [False, True], ids=["the-record-only", "with-gaps"])
def test_workbook_export_reports_each_sheet_as_it_goes_up_to_done(group: object, db: Database, tmp_path: Path,
                                                                  with_gaps: bool) -> None:
    heard: list[tuple[str, float]] = []
    export_register(db, DPO, "xlsx", tmp_path / "r.xlsx", ExportOptions(as_of=AS_OF, with_gaps=with_gaps,
                                                                        all_organisations=True),
                    progress=lambda text, done: heard.append((text, done)))
    shares = [done for _, done in heard]
    assert shares[0] == 0.0 and shares[-1] == 1.0 and shares == sorted(shares)
    assert heard[-1][0] == "Export ready"
    sheets = [CONTROLLER, PROCESSOR, TRANSFERS, *([GAPS] if with_gaps else []), ENTITIES, REFERENCE]
    told = [text for text, _ in heard]
    for sheet in sheets:
        assert any(text.startswith(f"Writing sheet '{sheet}'") for text in told), sheet


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
    assert [r.name for r in collect(db, DPO, ExportOptions(as_of=AS_OF, all_organisations=True)).records] == ["Live"]
    records = collect(db, DPO, ExportOptions(as_of=AS_OF, include_archived=True)).records
    assert sorted(r.name for r in records) == ["Live", "Old"]


def test_empty_register_exports_a_readable_workbook(db: Database, tmp_path: Path) -> None:
    path = _export(db, tmp_path)
    assert _rows(path, CONTROLLER)[1][:3] == ("Entity", "Processing activity", "Business function")


def test_floor_writes_the_same_cells_without_styles(group: object, db: Database, tmp_path: Path) -> None:
    sheets = build_sheets(collect(db, DPO, ExportOptions(as_of=AS_OF, all_organisations=True)))
    cells = sheet_cells(sheets)
    write_floor(cells, tmp_path / "floor.xlsx")
    floor = load_workbook(tmp_path / "floor.xlsx", read_only=True)
    assert floor.sheetnames == list(cells)
    assert [tuple(r) for r in floor[CONTROLLER].iter_rows(values_only=True)][1] == tuple(cells[CONTROLLER][1])
    floor.close()


# -- the regulator's workbook: the record only, one organisation, printable -----------------------

@pytest.mark.parametrize(("widths", "printed", "titles", "pages"), [
    pytest.param([20, 30, 40], 3, 2, 1, id="narrow-one-page"),
    pytest.param([24, 30, 20, 44, 28, 28, 36, 40, 28, 28, 40, 30, 44], 13, 2, 3, id="article-30-controller"),
    pytest.param([24, 30] + [40] * 30, 2, 2, 1, id="only-the-titles-print"),
    pytest.param([200], 1, 0, 2, id="one-very-wide-column"),
])
def test_wide_sheets_print_several_a4_pages_wide_rather_than_tiny(widths: list[int], printed: int, titles: int,
                                                                  pages: int) -> None:
    from ropa.export.xlsx import pages_wide

    assert pages_wide(widths, printed, titles) == pages


CONTROLLER_ONLY_HEADINGS = {"Article 6 lawful basis for processing personal data", "Link to record of consent",
                            "Data Protection Impact Assessment required?", "Rights available to individuals"}


def test_processor_sheet_has_no_controller_only_columns(db: Database, entity: Entity, tmp_path: Path) -> None:
    create_activities(db, DPO, [make_activity(entity.id or 0, name="Hosting", role="processor", lawful_bases=[],
                                              art9_conditions=[], legitimate_interest="", lia_ref="",
                                              consent_record_ref="", rights_available="", dpia_required=None,
                                              dpia_status=None, dpia_criteria=[], adm=False, data_source="",
                                              controller_served="Client plc")])
    _, headings, *body = _rows(_export(db, tmp_path), PROCESSOR)
    assert not CONTROLLER_ONLY_HEADINGS & set(headings)
    assert headings[:3] == ("Entity", "Processing activity", "Name and contact details of controller")
    assert body[0][:3] == (entity.name, "Hosting", "Client plc")


def test_processor_sheet_keeps_controller_only_text_a_record_holds_at_the_end(db: Database, entity: Entity,
                                                                              tmp_path: Path) -> None:
    create_activities(db, DPO, [make_activity(entity.id or 0, name="Hosting", role="processor",
                                              lawful_bases=["contract"], controller_served="Client plc")])
    workbook = load_workbook(_export(db, tmp_path))
    sheet = workbook[PROCESSOR]
    headings = [c.value for c in sheet[2]]
    basis = headings.index("Article 6 lawful basis for processing personal data")
    assert basis > headings.index("Notes") and sheet.cell(3, basis + 1).value == "Contract (Art. 6(1)(b))"
    assert sheet.cell(2, basis + 1).fill.start_color.rgb.endswith("595959")  # grey: record detail


NO_DPO = {"dpo_name": "", "dpo_email": "", "dpo_phone": ""}


@pytest.mark.parametrize(("entity_fields", "dpo", "representative"), [
    pytest.param({**NO_DPO, "dpo_required": False}, "none appointed", "not required", id="dpo-not-required-uk"),
    pytest.param({**NO_DPO, "dpo_required": True}, "missing: a DPO is required", "not required",
                 id="dpo-required-missing"),
    pytest.param({**NO_DPO, "dpo_required": None}, "none recorded", "not required", id="dpo-not-assessed"),
    pytest.param({**NO_DPO, "dpo_email": "dpo@x.test", "dpo_required": True}, None, "not required",
                 id="dpo-contact-without-a-name"),
    pytest.param({"country": "DE", "representative_name": "", "representative_contact": ""}, "Dana Protection",
                 "not required: established in the EU/EEA", id="eu-entity"),
    pytest.param({"country": "US", "representative_name": "", "representative_contact": ""}, "Dana Protection",
                 "missing, unless not required", id="us-entity-without-representative"),
    pytest.param({"country": "US", "representative_name": "Rep GmbH", "representative_contact": "Berlin"},
                 "Dana Protection", "Rep GmbH", id="us-entity-with-representative"),
])
def test_a_blank_dpo_or_representative_block_says_why(db: Database, tmp_path: Path, entity_fields: dict[str, object],
                                                      dpo: str | None, representative: str) -> None:
    create_entity(db, DPO, make_entity(name="Solo Ltd", **entity_fields))
    rows = _rows(_export(db, tmp_path), COVER)
    labels = ("Data Protection Officer", "Representative (Art. 27)")
    blocks = {row[0]: row[1] for row in rows if row and row[0] in labels}
    if dpo is None:
        assert blocks["Data Protection Officer"] in (None, "")
    else:
        assert str(blocks["Data Protection Officer"]).startswith(dpo)
    assert str(blocks["Representative (Art. 27)"]).startswith(representative)


@pytest.mark.parametrize(("name", "email", "shown"), [
    pytest.param("Test DPO", "dpo@example.test", "Test DPO <dpo@example.test>", id="name-and-email"),
    pytest.param("dpo@localhost", "dpo@localhost", "dpo@localhost", id="name-is-the-email"),
    pytest.param("", "dpo@localhost", "dpo@localhost", id="no-name"),
])
def test_exported_by_names_the_person_once(db: Database, entity: Entity, tmp_path: Path, name: str, email: str,
                                           shown: str) -> None:
    path = tmp_path / "r.xlsx"
    export_register(db, User(email, DPO.role, name), "xlsx", path, ExportOptions(as_of=AS_OF), log=False)
    facts = {row[0]: row[1] for row in _rows(path, COVER) if row and row[0] and len(row) > 1}
    assert facts["Exported by"] == shown


@pytest.mark.parametrize("with_gaps", [False, True], ids=["the-record-only", "with-gaps"])
def test_json_export_holds_findings_and_validity_only_with_gaps(group: object, db: Database, tmp_path: Path,
                                                                with_gaps: bool) -> None:
    path = tmp_path / "register.json"
    export_register(db, DPO, "json", path, ExportOptions(as_of=AS_OF, all_organisations=True, with_gaps=with_gaps))
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["with_gaps"] is with_gaps
    assert ("findings" in document) is with_gaps and (len(document.get("findings", [])) > 0) is with_gaps
    assert all(("transfer_validity" in a) is with_gaps for a in document["activities"])


@pytest.mark.parametrize("text", ["plain", 'quote " backslash \\ \\u000B typed', "".join(chr(c) for c in range(1, 32)),
                                  "é 漢字 😀 \u2028 \x7f", "=1+1"], ids=["plain", "escapes", "controls", "unicode",
                                                                         "formula"])
def test_json_document_written_by_duckdb_is_the_one_the_records_give(group: object, db: Database, tmp_path: Path,
                                                                     text: str) -> None:
    from ropa.export.jsonfile import export_document

    with db.transaction() as con:
        con.execute("UPDATE activities SET purpose = ?, systems = [?], unmapped = ? WHERE name = 'Payroll'",
                    [text, text, json.dumps({"z": text, "a/b~c": "x", text or "k": "v"})])
        con.execute("UPDATE transfers SET recipient = ?", [text])
    options = ExportOptions(as_of=AS_OF, all_organisations=True)
    path = tmp_path / "register.json"
    result = export_register(db, DPO, "json", path, options, log=False)
    data = collect(db, DPO, options)
    assert path.read_text(encoding="utf-8") == canonical_json(export_document(data)).replace(
        data.generated_at.isoformat(timespec="seconds"), json.loads(path.read_text())["exported_at_utc"])
    assert result.content_sha256 == data.content_sha256 and result.activity_count == len(data.records) == 4


LOADED_PROBE = """
import sys
from datetime import date
from pathlib import Path

from ropa.auth import SYSTEM
from ropa.export import ExportOptions, export_register
from ropa.storage.database import open_database

folder = Path(sys.argv[1])
export_register(open_database(folder / "ropa.duckdb"), SYSTEM, sys.argv[2], folder / "out",
                ExportOptions(as_of=date(2026, 11, 1)))
print(" ".join(sorted(m for m in ("pandas", "openpyxl", "ropa.legal.transfers", "ropa.gaps") if m in sys.modules)))
"""


@pytest.mark.parametrize(("fmt", "needed", "not_needed"), [
    ("json", set(), {"pandas", "openpyxl", "ropa.legal.transfers", "ropa.gaps"}),
    ("xlsx", {"openpyxl", "ropa.legal.transfers"}, {"ropa.gaps"}),
])
def test_an_export_loads_only_the_libraries_its_format_needs(tmp_path: Path, fmt: str, needed: set[str],
                                                              not_needed: set[str]) -> None:
    """The command line pays every import on each run: the JSON record needs neither pandas nor openpyxl."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", LOADED_PROBE, str(tmp_path), fmt], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[1])
    loaded = set(done.stdout.split())
    assert needed <= loaded and not loaded & not_needed, loaded


def test_the_export_reads_the_columns_the_register_stores() -> None:
    from ropa.export.data import ACTIVITY_COLUMNS as EXPORTED
    from ropa.storage.activities import ACTIVITY_COLUMNS as STORED

    assert EXPORTED == STORED


@pytest.mark.parametrize(("enabled_before", "raises"), [(True, False), (True, True), (False, False)],
                         ids=["restored", "restored-after-an-error", "left-paused-when-it-was"])
def test_the_collector_is_paused_while_rows_are_built_and_restored_after(enabled_before: bool, raises: bool) -> None:
    import gc

    from ropa.gcpause import gc_paused

    was = gc.isenabled()
    (gc.enable if enabled_before else gc.disable)()
    try:
        with pytest.raises(ValueError) if raises else contextlib.nullcontext(), gc_paused():
            assert not gc.isenabled()
            if raises:
                raise ValueError("export failed")
        assert gc.isenabled() is enabled_before
    finally:
        (gc.enable if was else gc.disable)()
