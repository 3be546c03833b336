"""The export's sheets as plain rows of cell values: one layout shared by the xlsx and CSV writers.

Sheets: Cover, Article 30(1) (controller), Article 30(2) (processor),
Transfers, Gap analysis, Reference. Table sheets carry, for each column, the
article it records (written as a row above the headings in the workbook,
and in ``columns.csv`` in the CSV zip).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

import pandas as pd

from ropa.columns import (
    ENTITY_COLUMNS,
    ICO_SOURCE,
    CellValue,
    Column,
    Record,
    Render,
    RenderContext,
    entity_cells,
    label,
    mechanism_label,
    sheet_columns,
)
from ropa.export.data import ExportData, record_verdict
from ropa.legal.regimes import entity_regime, regime_label
from ropa.legal.transfers import destination_name
from ropa.models import Activity, Entity
from ropa.reference import VOCABULARY_NAMES, country_name, load_reference

COVER = "Cover"
CONTROLLER = "Article 30(1) — controller"
PROCESSOR = "Article 30(2) — processor"
TRANSFERS = "Transfers"
GAPS = "Gap analysis"
ENTITIES = "Entities"
REFERENCE = "Reference"

GROUP_NOTE = (
    "Column groups on the Article 30 sheets: the first two columns name the controller (or processor) entity "
    "and the processing activity; dark blue headings are the Article 30 record in the ICO "
    "template's order and wording (controller columns 1-11, processor columns 1-5); teal headings are the "
    "ICO's recommended extras (columns 12-30); grey headings are record detail the register keeps (id, "
    "status, structured recipients and transfers...) so that this workbook can be "
    "re-imported without loss. The row above the headings cites the article each column records. Printed: "
    "the entity, the activity and the Article 30 columns, with the headings and the first two columns on "
    "every page."
)

LEADING = ("entity", "name")
"""Columns every activity sheet starts with, and repeats on every printed page: who, and which activity."""

CONTROLLER_ONLY = frozenset({
    "c03_joint_controller", "c12_lawful_basis", "c13_art9", "c14_legitimate_interests", "c15_lia", "c16_rights",
    "c17_adm", "c18_source", "c19_consent", "c21_dpia_required", "c22_dpia_progress", "c23_dpia_link",
    "c26_schedule1", "c27_gdpr_art6", "c28_retention_policy", "c29_policy_followed", "c30_policy_reasons",
    "joint_arrangement", "adm", "adm_description", "adm_basis", "dpia_criteria",
})
"""Duties of a controller, not of a processor (Art. 6, 9, 13-22, 26, 35; Art. 30(2) lists none of them):
left off the processor sheet unless a processor record holds something there; then they all come at the
end as record detail, so a re-import loses nothing."""


@dataclass
class SheetColumn:
    heading: str
    article: str = ""
    width: int = 20
    group: str = "plain"


Row = list[CellValue]


class RenderedRows(Sequence[Row]):
    """A sheet's rows made as they are read, not held: each row's cells are freed once it is written.

    At 50,000 activities the rendered cells of the activity and transfer
    sheets held about 100 MB until the workbook was saved. ``count`` rows
    of ``width`` cells each come from ``make`` on every pass.
    """

    def __init__(self, count: int, width: int, make: Callable[[], Iterator[Row]]) -> None:
        self._count, self.width, self._make = count, width, make

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Row]:
        return self._make()

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        """Renders every row to pick some: for a look at a few rows, not for writing them."""
        return list(self)[index]


def rendered(records: Sequence[Record], renders: Sequence[Render], context: RenderContext) -> RenderedRows:
    """One row per record, a cell per renderer (row by row: each record is read once, not once a column)."""
    return RenderedRows(len(records), len(renders),
                        lambda: ([render(record, context) for render in renders] for record in records))


@dataclass
class Sheet:
    """One sheet: a table (``columns`` + ``rows``) or the cover (``rows`` with per-row styles)."""

    title: str
    file_stem: str
    columns: list[SheetColumn]
    rows: Sequence[Row]
    styles: dict[int, str] = field(default_factory=dict)
    merges: list[tuple[int, int, int]] = field(default_factory=list)
    """(row, first column, last column), 0-based: cells shown as one on the cover."""
    print_columns: int | None = None
    """How many leading columns print (the rest is record detail for re-import)."""
    widths: list[int] = field(default_factory=list)
    title_columns: int = 0
    """Leading columns repeated on every printed page."""

    @property
    def is_table(self) -> bool:
        return bool(self.columns)

    @property
    def column_widths(self) -> list[int]:
        return self.widths or [c.width for c in self.columns]


def _activity_sheet(title: str, stem: str, columns: tuple[Column, ...], data: ExportData, controller: bool) -> Sheet:
    """Entity and activity first, then the Article 30 columns (printed), the ICO extras and record detail."""
    context = RenderContext(data.entity_names, {int(e.id or 0): entity_regime(e) for e in data.entities})
    records = data.controller_records if controller else data.processor_records
    by_key = {c.key: c for c in columns}
    ordered = [by_key[k] for k in LEADING] + [c for c in columns if c.key not in LEADING]
    if not controller:
        # All or none: the import reads an ICO column for what a missing record-detail column held.
        only = [c for c in ordered if c.key in CONTROLLER_ONLY]
        blank = Activity.model_construct(entity_id=0, name="", role="processor")
        defaults = [c.render(blank, context) for c in only]
        held = any(c.render(record, context) != default for c, default in zip(only, defaults, strict=True)
                   for record in records)
        ordered = [c for c in ordered if c.key not in CONTROLLER_ONLY] + (only if held else [])
    # Row by row: rendering column by column over the list measured a fifth slower (each record is read
    # 80 times from memory instead of once).
    rows = rendered(records, [c.render for c in ordered], context)
    detail = set() if controller else CONTROLLER_ONLY
    heads = [SheetColumn(c.heading, c.article, c.width, "record" if c.key in detail else c.group) for c in ordered]
    printed = len(LEADING) + sum(1 for c in ordered if c.group == "art30" and c.key not in detail)
    return Sheet(title, stem, heads, rows, print_columns=printed, title_columns=len(LEADING))


def controller_sheet(data: ExportData) -> Sheet:
    return _activity_sheet(CONTROLLER, "article_30_1_controller", sheet_columns("controller"), data, True)


def processor_sheet(data: ExportData) -> Sheet:
    return _activity_sheet(PROCESSOR, "article_30_2_processor", sheet_columns("processor"), data, False)


VALIDITY_COLUMNS = slice(8, 11)
"""The judgement columns of the Transfers sheet (valid?, why, TIA expected?): only with the gap analysis."""


def transfers_sheet(data: ExportData) -> Sheet:
    day = data.options.as_of
    columns = [
        SheetColumn("Entity", "Art. 30(1)(a)", 24), SheetColumn("Processing activity", "Art. 30(1)", 30),
        SheetColumn("Record id", "Art. 5(2)", 10), SheetColumn("Data importer", "Art. 30(1)(e)", 24),
        SheetColumn("Destination country", "Art. 30(1)(e)", 20), SheetColumn("Country code", "ISO 3166-1", 10),
        SheetColumn("Exporter's regime", "Art. 3; UK GDPR Art. 3", 12),
        SheetColumn("Chapter V tool", "Art. 45-49", 34),
        SheetColumn(f"Valid on {day.isoformat()}?", "Art. 44", 12),
        SheetColumn("Why", "Art. 44-49; CJEU C-311/18", 48),
        SheetColumn("Transfer impact assessment expected?", "EDPB Recommendations 01/2020", 14),
        SheetColumn("TIA reference", "Art. 46(1), Art. 5(2)", 18),
        SheetColumn("Safeguard document", "Art. 46(2)", 22),
        SheetColumn("Supervisory authority informed on", "Art. 49(1) second subparagraph", 14),
    ]
    if not data.options.with_gaps:
        del columns[VALIDITY_COLUMNS]
    count = sum(len(record.transfers) for record in data.records)
    return Sheet(TRANSFERS, "transfers", columns, RenderedRows(count, len(columns), lambda: _transfer_rows(data)),
                 title_columns=2)


def _transfer_rows(data: ExportData) -> Iterator[Row]:
    day = data.options.as_of
    for record in data.records:
        regime = data.regime(record.entity_id)
        for transfer in record.transfers:
            verdict = record_verdict(regime, transfer, day)
            judged: list[CellValue] = []
            if data.options.with_gaps:
                judged = ["No" if verdict.lawful is False else "Yes", verdict.reason,
                          f"Yes: {verdict.assessment}" if verdict.assessment else "No"]
            yield [
                data.entity_names.get(record.entity_id, ""), record.name, record.id, transfer.recipient,
                verdict.destination_name, transfer.country, regime_label(regime),
                mechanism_label(transfer.mechanism) or "(none recorded)", *judged, transfer.tia_ref,
                transfer.safeguard_doc, transfer.authority_informed_on,
            ]


def gaps_sheet(data: ExportData) -> Sheet:
    from ropa.gaps.defects import numbered

    columns = [
        SheetColumn("Severity", "Art. 24(1) (risk)", 10), SheetColumn("Finding", "Art. 5(2)", 34),
        SheetColumn("Article", "the provision the finding is about", 18),
        SheetColumn("Entity", "Art. 30(1)(a)", 24), SheetColumn("Processing activity", "Art. 30(1)", 30),
        SheetColumn("Record id", "Art. 5(2)", 10), SheetColumn("About", "Art. 30(1)", 20),
        SheetColumn("What is wrong", "Art. 5(2)", 56), SheetColumn("What to do", "Art. 24(1)", 48),
        SheetColumn("Rule", "gap rules catalogue", 24),
        SheetColumn("Accepted risk?", "Art. 24(1), Art. 5(2)", 10), SheetColumn("Accepted until", "Art. 24(1)", 12),
        SheetColumn("Defect", "findings with one cause are one defect", 10),
        SheetColumn("Records with this defect", "Art. 5(2)", 12),
    ]
    frame = numbered(data.gap_findings())
    # Column lists (not row dicts): pandas boxes every value of a row dict, which costs seconds at 30,000 findings.
    ids = [None if pd.isna(v) else int(v) for v in frame["activity_id"].tolist()]
    until = [None if v is None or pd.isna(v) else v for v in frame["accepted_until"].tolist()]
    cells = zip(frame["severity"].tolist(), frame["title"].tolist(), frame["article"].tolist(),
                frame["entity"].tolist(), frame["activity"].tolist(), ids, frame["subject"].tolist(),
                frame["message"].tolist(), frame["remediation"].tolist(), frame["rule"].tolist(),
                frame["accepted"].tolist(), until, frame["defect_no"].tolist(), frame["defect_records"].tolist(),
                strict=True)
    # Defects first: a defect's findings sit together, most serious and widest defect first (ropa.gaps.defects).
    rows: list[list[CellValue]] = [
        [str(severity).capitalize(), title, article, entity, activity, activity_id, subject, message,
         remediation, rule, "Yes" if accepted else "No", accepted_until, f"D{defect_no}", int(records)]
        for (severity, title, article, entity, activity, activity_id, subject, message, remediation, rule,
             accepted, accepted_until, defect_no, records) in cells
    ]
    return Sheet(GAPS, "gap_analysis", columns, rows)


def reference_sheet(data: ExportData) -> Sheet:
    ref = load_reference()
    columns = [SheetColumn("Section", "", 18), SheetColumn("Key", "", 24), SheetColumn("Label", "", 40),
               SheetColumn("Article", "", 20), SheetColumn("Details", "", 48), SheetColumn("Source", "", 40),
               SheetColumn("Source address", "", 40), SheetColumn("Checked on", "", 12)]
    rows: list[list[CellValue]] = [
        ["Reference data", ref.meta.version, ref.meta.title, "", f"Facts as checked on {ref.meta.as_of}; "
         f"validity judged on {data.options.as_of}", "", "", ref.meta.as_of],
        ["Layout", "ico_template", "ICO documentation templates", "Art. 30", "Column order and wording", ICO_SOURCE,
         "", None],
    ]
    for name in VOCABULARY_NAMES:
        for term in ref.vocabulary(name):
            source = ref.sources.get(term.source)
            notes = "; ".join(x for x in (
                "special category (Art. 9)" if term.special else "", "criminal offence data (Art. 10)"
                if term.criminal else "", f"retired, replaced by {term.replaced_by}" if term.deprecated else "",
                f"UK: needs a condition in {term.uk_schedule1.citation}" if term.uk_schedule1 else "",
                f"to check: {term.check}" if term.check else "") if x)
            rows.append([name.replace("_", " ").capitalize(), term.key, term.label, term.article, notes,
                         source.title if source else term.source, source.url if source else "", term.as_of])
    criteria = ref.vocabulary("dpia_criteria")
    for signal in ref.dpia_signals:
        source = ref.sources.get(signal.source)
        details = (f"recorded {signal.kind.replace('_', ' ')} counts as WP248 criterion: "
                   f"{criteria.label(signal.criterion)}")
        if signal.art35_3:
            details += f"; {signal.art35_3}"
        rows.append(["DPIA screening signal", signal.key, ref.vocabulary(signal.vocabulary_name).label(signal.key),
                     criteria[signal.criterion].article, details, source.title if source else signal.source,
                     source.url if source else "", signal.as_of])
    for mechanism in ref.transfer_mechanisms:
        spans = "; ".join(f"{v.regime}: from {v.from_}" + (f" until {v.until}" if v.until else "")
                          for v in mechanism.validity)
        details = f"{mechanism.kind}; valid {spans}; TIA expected: {'yes' if mechanism.requires_tia else 'no'}"
        if mechanism.invalid_reason:
            details += f"; {mechanism.invalid_reason}"
        if mechanism.check:
            details += f"; to check: {mechanism.check}"
        source = ref.sources.get(mechanism.source)
        rows.append(["Transfer mechanism", mechanism.key, mechanism.label, mechanism.article, details,
                     source.title if source else mechanism.source, source.url if source else "", mechanism.as_of])
    for regime, table in (("EU", ref.countries.adequacy_eu), ("UK", ref.countries.adequacy_uk),
                          ("CH", ref.countries.adequacy_ch)):
        for adequacy in table:
            source = ref.sources.get(adequacy.source)
            details = f"from {adequacy.from_}" + (f" until {adequacy.until}" if adequacy.until else "")
            if adequacy.partial:
                details += f"; covers {adequacy.partial}"
            if adequacy.excludes:
                details += f"; excludes {adequacy.excludes}"
            if adequacy.check:
                details += f"; to check: {adequacy.check}"
            rows.append([f"Adequacy ({regime})", adequacy.destination, destination_name(adequacy.destination),
                         "Art. 45", f"{adequacy.decision}; {details}", source.title if source else adequacy.source,
                         source.url if source else "", adequacy.as_of])
    for key, source in ref.sources.items():
        rows.append(["Source", key, source.title, "", "", source.title, source.url, None])
    return Sheet(REFERENCE, "reference", columns, rows)


COVER_WIDTHS = [26, 30, 40, 30, 18]


def _contact_block(entity: Entity, names: dict[int, str]) -> list[tuple[str, list[CellValue]]]:
    """One entity's contacts the way the ICO template sets them out: role by Name, Address, Email, Telephone."""
    facts = [country_name(entity.country)]
    if entity.parent_id:
        facts.append(f"subsidiary of {names.get(entity.parent_id, '?')}")
    if entity.company_number:
        facts.append(f"company number {entity.company_number}")
    if entity.ico_registration:
        facts.append(f"ICO registration {entity.ico_registration}")
    role = label("entity_kinds", entity.kind)
    dpo = entity.dpo_name or ("" if entity.dpo_email or entity.dpo_phone else dpo_blank_reason(entity))
    representative = entity.representative_name or (
        "" if entity.representative_contact else representative_blank_reason(entity))
    return [
        ("entity", [f"{entity.name} ({'; '.join(facts)})"]),
        ("subheader", ["", "Name", "Address", "Email", "Telephone"]),
        ("label", [role, entity.name, entity.address, entity.email, entity.phone]),
        ("label", ["Data Protection Officer", dpo, "", entity.dpo_email, entity.dpo_phone]),
        ("label", ["Representative (Art. 27)", representative, entity.representative_contact, "", ""]),
        ("blank", []),
    ]


def dpo_blank_reason(entity: Entity) -> str:
    """Why the DPO block is empty: not required, required but missing, or not yet assessed (Art. 37(1), 37(7))."""
    if entity.dpo_required is False:
        return "none appointed (Art. 37 does not require one)"
    if entity.dpo_required:
        return "missing: a DPO is required (Art. 37(1)) but none is recorded; contact details are due (Art. 37(7))"
    return "none recorded; whether Art. 37(1) requires one is not recorded either"


def representative_blank_reason(entity: Entity) -> str:
    """Why the representative block is empty (Art. 27(1): only for controllers and processors not established in
    the EU, or the UK for the UK GDPR, that Art. 3(2) reaches)."""
    ref = load_reference()
    if entity.country == "GB" or ref.is_eea(entity.country):
        return ("not required: established in the " + ("UK" if entity.country == "GB" else "EU/EEA")
                + " (Art. 27(1) applies to those not established there)")
    return ("missing, unless not required: an entity outside the EU and the UK needs one where it offers goods or "
            "services to, or monitors, people there (Art. 3(2), Art. 27(1)-(2))")


def exported_by(name: str, email: str) -> str:
    """'Name <email>', or the email alone when there is no name or the name is the email."""
    return f"{name} <{email}>" if name and name.strip().casefold() != email.strip().casefold() else email


def cover_sheet(data: ExportData, controller_rows: int, processor_rows: int) -> Sheet:
    ref = load_reference()
    names = ", ".join(e.name for e in data.entities)
    facts: list[tuple[CellValue, CellValue]] = [
        ("Organisation", data.organisation),
        ("Scope", data.scope),
        ("Entities included", f"{len(data.entities)}: {names}"),
        ("Activities", f"{controller_rows:,} as controller or joint controller (sheet '{CONTROLLER}'); "
                       f"{processor_rows:,} as processor (sheet '{PROCESSOR}')"),
        ("Exported at (UTC)", data.generated_at.strftime("%Y-%m-%d %H:%M:%S")),
        ("Exported by", exported_by(data.user.name, data.user.email)),
        ("As-of date", f"{data.options.as_of.isoformat()}: transfer validity and the gap analysis are judged on "
                       "this date; the records are the register as it stands at export" if data.options.with_gaps
         else f"{data.options.as_of.isoformat()}; the records are the register as it stands at export"),
        ("Contents", f"the record of processing activities only (Art. 30(1), 30(2), 30(4)); the internal gap "
                     f"analysis is on sheet '{GAPS}'" if data.options.with_gaps
         else "the record of processing activities only (Art. 30(1), 30(2), 30(4)); no gap analysis, no "
              "transfer validity"),
        ("Filters applied", data.options.filters(data.scope)),
        ("Content hash (SHA-256)", data.content_sha256),
        ("About the hash", "SHA-256 of the canonical JSON of the exported activities and entities (sorted keys, "
                           "UTF-8, ids and edit times left out); the CSV and JSON exports of the same content carry "
                           "the same hash."),
        ("Reference data", f"version {ref.meta.version}, facts checked on {ref.meta.as_of} (sheet '{REFERENCE}')"),
        ("Layout", "After the ICO documentation templates for controllers and processors: " + ICO_SOURCE),
        ("How to read", GROUP_NOTE),
    ]
    lines: list[tuple[str, list[CellValue]]] = [
        ("title", ["Record of processing activities (GDPR and UK GDPR Article 30)"]),
        ("subtitle", [data.organisation]),
        ("blank", []),
        *[("fact", [key, value]) for key, value in facts],
        ("blank", []),
        ("section", ["Controller, Data Protection Officer and representative (Art. 30(1)(a), Art. 30(2)(a)); "
                     f"full details on sheet '{ENTITIES}'"]),
    ]
    for entity in data.entities:
        lines.extend(_contact_block(entity, data.entity_names))
    rows = [values for _, values in lines]
    styles = {i: style for i, (style, _) in enumerate(lines) if style != "blank"}
    merges = [(i, 0 if style in ("title", "subtitle", "section", "entity") else 1, len(COVER_WIDTHS) - 1)
              for i, (style, _) in enumerate(lines) if style in ("title", "subtitle", "section", "entity", "fact")]
    return Sheet(COVER, "cover", [], rows, styles=styles, widths=list(COVER_WIDTHS), merges=merges)


def entities_sheet(data: ExportData) -> Sheet:
    columns = [SheetColumn(c.heading, c.article, c.width) for c in ENTITY_COLUMNS]
    rows = [entity_cells(e, data.entity_names) for e in data.entities]
    return Sheet(ENTITIES, "entities", columns, rows)


def build_sheets(data: ExportData) -> list[Sheet]:
    controller = controller_sheet(data)
    processor = processor_sheet(data)
    gaps = [gaps_sheet(data)] if data.options.with_gaps else []
    return [cover_sheet(data, len(controller.rows), len(processor.rows)), controller, processor,
            transfers_sheet(data), *gaps, entities_sheet(data), reference_sheet(data)]

