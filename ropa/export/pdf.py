"""The Article 30 record as a PDF a regulator can read: A4 portrait, one part per controller.

The workbook is for re-use; this is for reading. Each controller (a
top-level entity with its subsidiaries) gets a cover with its contact
details, its data protection officer and its Art. 27 representative, then
one block per activity with the fields in the order Article 30(1) lists them
(Art. 30(2) for processor records), worded and cited as the workbook's
columns are: the same collected data, the same column map. Every page
carries the controller, the as-of date, the print date and "page n of m".

Nothing is printed below ``MIN_FONT_PT``. Text uses DejaVu Sans when the
system has it (Debian: fonts-dejavu-core), so any script a user typed
prints; otherwise the PDF's built-in Helvetica (Latin-1 only).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from html import escape
from pathlib import Path
from typing import IO, Any

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    HRFlowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ropa.auth import User
from ropa.columns import BY_KEY, XML_ILLEGAL, Column, Record, RenderContext, cell_text, sheet_columns
from ropa.export.data import ExportData
from ropa.models import Entity
from ropa.reference import country_name
from ropa.storage.database import Database

MIN_FONT_PT = 8.0
"""The smallest text printed anywhere in the PDF (footers and citations included)."""
BODY_PT = 9.5
MEDIA_TYPE = "application/pdf"

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
NOT_RECORDED = "Not recorded"
DETAIL_KEYS = ("role", "status", "owner", "last_reviewed", "next_review_due")
"""Record-detail columns a reader needs beside the template's: who owns the record and its review."""

ENTITY_KINDS = {"controller": "Controller", "processor": "Processor", "both": "Controller and processor"}
_GREY = HexColor("#4D4D4D")
_RULE = HexColor("#9E9E9E")


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str


@cache
def fonts() -> Fonts:
    """DejaVu Sans (embedded, full Unicode) when installed, else the PDF base font Helvetica."""
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold",
                                          italic="DejaVuSans", boldItalic="DejaVuSans-Bold")
            return Fonts("DejaVuSans", "DejaVuSans-Bold")
    return Fonts("Helvetica", "Helvetica-Bold")


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    heading: ParagraphStyle
    subheading: ParagraphStyle
    label: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle


@cache
def styles() -> Styles:
    f = fonts()

    def style(name: str, size: float, font: str, **kw: Any) -> ParagraphStyle:
        if size < MIN_FONT_PT:
            raise ValueError(f"style {name} would print below {MIN_FONT_PT} pt")
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=round(size * 1.25, 1), **kw)

    return Styles(
        title=style("title", 20, f.bold, spaceAfter=6 * mm),
        heading=style("heading", 12.5, f.bold, spaceBefore=2 * mm, spaceAfter=1 * mm, keepWithNext=1),
        subheading=style("subheading", 10.5, f.bold, spaceBefore=3 * mm, spaceAfter=1 * mm, keepWithNext=1),
        label=style("label", 8.5, f.bold, textColor=_GREY),
        body=style("body", BODY_PT, f.regular),
        small=style("small", MIN_FONT_PT, f.regular, textColor=_GREY),
    )


def _text(value: str) -> str:
    """User text as Paragraph markup: XML-escaped, control characters dropped, line breaks kept."""
    return escape(XML_ILLEGAL.sub("", value)).replace("\n", "<br/>")


# -- what goes in a block --------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """One printed line of an activity block: the column's heading, its article and the value."""

    heading: str
    article: str
    value: str


def _block_columns(sheet: str) -> tuple[Column, ...]:
    art30 = [c for c in sheet_columns("processor" if sheet == "processor" else "controller")
             if c.group in ("art30", "ico_extra")]
    return (*art30, *(BY_KEY[k] for k in DETAIL_KEYS))


def activity_fields(record: Record, context: RenderContext) -> list[Field]:
    """The record's printed fields in Art. 30 order; the Art. 30 ones always, the rest when filled in."""
    sheet = "processor" if record.role == "processor" else "controller"
    fields: list[Field] = []
    for column in _block_columns(sheet):
        value = cell_text(column.render(record, context)).strip()
        if not value and column.group != "art30":
            continue
        fields.append(Field(column.heading, column.article, value or NOT_RECORDED))
        if column.key in ("c11_security", "p5_security") and record.systems:
            fields.append(Field("Systems", BY_KEY["systems"].article, "; ".join(record.systems)))
    return fields


def controllers(entities: Sequence[Entity]) -> list[tuple[Entity, list[Entity]]]:
    """Each top-level entity with the entities under it (itself first), in the export's order."""
    by_id = {e.id: e for e in entities}

    def root(entity: Entity) -> Entity:
        seen: set[int | None] = set()
        while entity.parent_id in by_id and entity.id not in seen:
            seen.add(entity.id)
            entity = by_id[entity.parent_id]
        return entity

    groups: dict[int | None, tuple[Entity, list[Entity]]] = {}
    for entity in entities:
        top = root(entity)
        groups.setdefault(top.id, (top, []))[1].append(entity)
    return list(groups.values())


# -- layout ----------------------------------------------------------------------------------

_PAIR_STYLE = TableStyle([
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ("LINEBELOW", (0, 0), (-1, -1), 0.25, _RULE),
])


def _pairs(rows: Iterable[tuple[str, str]], *, label_width: float, width: float) -> list[Flowable]:
    """Label and value side by side, one small table per line.

    One table per line, not one per block: a table that crosses a page is
    measured again at every split, so a long block would cost quadratic time.
    A value longer than a page still splits inside its row.
    """
    s = styles()
    widths = [label_width, width - label_width]
    return [Table([[Paragraph(head, s.label), Paragraph(value, s.body)]], colWidths=widths, splitInRow=1,
                  style=_PAIR_STYLE) for head, value in rows]


def _entity_rows(entity: Entity, names: dict[int, str]) -> list[tuple[str, str]]:
    dpo = ", ".join(x for x in (entity.dpo_name, entity.dpo_email, entity.dpo_phone) if x)
    representative = " — ".join(x for x in (entity.representative_name, entity.representative_contact) if x)
    rows = [
        ("Parent entity", names.get(entity.parent_id or 0, "")),
        ("Acts as", ENTITY_KINDS.get(entity.kind, entity.kind)),
        ("Country", country_name(entity.country)),
        ("Address (Art. 30(1)(a))", entity.address),
        ("Email", entity.email),
        ("Telephone", entity.phone),
        ("Company number", entity.company_number),
        ("ICO registration", entity.ico_registration),
        ("Data protection officer (Art. 30(1)(a), Art. 37(7))",
         dpo or ("Not designated" if entity.dpo_required is False else NOT_RECORDED)),
        ("Representative (Art. 27, Art. 30(1)(a))", representative or "None"),
    ]
    keep = {"Data protection officer (Art. 30(1)(a), Art. 37(7))", "Representative (Art. 27, Art. 30(1)(a))",
            "Address (Art. 30(1)(a))", "Country"}
    return [(escape(head), _text(value or NOT_RECORDED)) for head, value in rows if value or head in keep]


def _cover(data: ExportData, top: Entity, members: list[Entity], count: int, width: float) -> list[Flowable]:
    s = styles()
    names = {int(e.id or 0): e.name for e in data.entities}
    story: list[Flowable] = [
        Paragraph("Record of processing activities", s.title),
        Paragraph(f"Article 30 UK GDPR / EU GDPR — {_text(top.name)}", s.heading),
        Spacer(0, 3 * mm),
        *_pairs([
            ("Controller", _text(top.name)),
            ("Entities covered", _text(", ".join(e.name for e in members))),
            ("Processing activities", f"{count:,}"),
            ("Record as of", data.options.as_of.isoformat()),
            ("Printed", f"{data.generated_at:%Y-%m-%d %H:%M} UTC by {_text(data.user.display)}"),
            ("Scope of the export", _text(data.options.filters(data.scope))),
            ("Content SHA-256", data.content_sha256),
        ], label_width=45 * mm, width=width),
    ]
    for entity in members:
        story.append(Paragraph(_text(entity.name), s.subheading))
        story.extend(_pairs(_entity_rows(entity, names), label_width=55 * mm, width=width))
    story.append(Spacer(0, 4 * mm))
    story.append(Paragraph(
        "Each activity follows on its own block, its fields in the order of Article 30(1) (controller records) "
        "or Article 30(2) (processor records), then the ICO's recommended extras; each field names the article "
        "it records. Fields of Article 30 left empty read \u201cNot recorded\u201d.", s.small))
    return story


def _activity_block(record: Record, data: ExportData, context: RenderContext, width: float) -> list[Flowable]:
    s = styles()
    entity = data.entity_names.get(record.entity_id, "")
    role = "Processor record (Art. 30(2))" if record.role == "processor" else "Controller record (Art. 30(1))"
    fields = activity_fields(record, context)
    rows = [(f"{escape(f.heading)}<br/><font size={MIN_FONT_PT}>{escape(f.article)}</font>", _text(f.value))
            for f in fields]
    head = [Paragraph(_text(record.name), s.heading),
            Paragraph(f"{_text(entity)} · {role} · record id {record.id}", s.small), Spacer(0, 1.5 * mm)]
    return [CondPageBreak(40 * mm), KeepTogether(head),
            *_pairs(rows, label_width=60 * mm, width=width),
            Spacer(0, 3 * mm), HRFlowable(width="100%", thickness=0.6, color=_RULE), Spacer(0, 2 * mm)]


class _NumberedCanvas(Canvas):
    """Draws "page n of m" once the page count is known: pages are kept until the document is saved."""

    footer_controller = ""

    def __init__(self, target: Any, *, footer: str, **kwargs: Any) -> None:
        # The canvas opens every page in a font of its own; make it ours, so no other font is referenced.
        kwargs.update(initialFontName=fonts().regular, initialFontSize=BODY_PT)
        super().__init__(target, **kwargs)
        self.footer_right = footer
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # reportlab's own reset, absent from its stubs

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._footer(total)
            super().showPage()
        super().save()

    def _footer(self, total: int) -> None:
        f = fonts()
        self.saveState()
        self.setFont(f.regular, MIN_FONT_PT)
        self.setFillColor(_GREY)
        width, _ = A4
        self.drawString(18 * mm, 10 * mm, f"{self.footer_controller[:70]} · {self.footer_right}")
        self.drawRightString(width - 18 * mm, 10 * mm, f"Page {self.getPageNumber()} of {total}")
        self.restoreState()


class _Controller(Flowable):
    """Invisible marker: the pages from here on belong to ``name`` (their footer says so)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.width = self.height = 0

    def draw(self) -> None:
        self.canv.footer_controller = self.name  # type: ignore[attr-defined]


def pdf_bytes(data: ExportData, activity_ids: Iterable[int] | None = None) -> bytes:
    """The PDF of ``data``: every collected activity, or only ``activity_ids`` (a one-activity printout)."""
    wanted = None if activity_ids is None else {int(i) for i in activity_ids}
    records = [r for r in data.records if wanted is None or r.id in wanted]
    context = RenderContext(data.entity_names)
    buffer = io.BytesIO()
    width = A4[0] - 36 * mm
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title="Record of processing activities (Article 30)",
                            author=data.user.display, subject=data.scope, creator="ropa")
    story: list[Flowable] = []
    groups = controllers(data.entities)
    by_entity: dict[int, list[Record]] = {}
    for record in records:
        by_entity.setdefault(record.entity_id, []).append(record)
    for top, members in groups:
        ids = [int(e.id or 0) for e in members]
        own = [r for i in ids for r in by_entity.get(i, [])]
        if wanted is not None and not own:
            continue
        ordered = [r for r in own if r.role != "processor"] + [r for r in own if r.role == "processor"]
        if wanted is not None:
            members = [e for e in members if e.id in {r.entity_id for r in own}]
        if story:
            story.append(PageBreak())
        story.append(_Controller(top.name))
        story.extend(_cover(data, top, members, len(ordered), width))
        story.append(PageBreak())
        if not ordered:
            story.append(Paragraph("No processing activity is recorded for this controller.", styles().body))
        for record in ordered:
            story.extend(_activity_block(record, data, context, width))
    if not story:
        story.append(Paragraph("Nothing to print: no entity is in the export's scope.", styles().body))

    footer = f"Article 30 record as of {data.options.as_of.isoformat()} · printed {data.generated_at:%Y-%m-%d}"

    def canvas(target: str | IO[bytes], /, **kwargs: Any) -> Canvas:
        return _NumberedCanvas(target, footer=footer, **kwargs)

    doc.build(story, canvasmaker=canvas)
    return buffer.getvalue()


def write_pdf(data: ExportData, path: str | Path) -> None:
    """Write the whole export's PDF to ``path``."""
    Path(path).write_bytes(pdf_bytes(data))


def activity_pdf(db: Database, user: User, activity_id: int, as_of: date) -> bytes:
    """One activity's printout: its entity's cover, then its block."""
    return pdf_bytes(activity_export_data(db, user, activity_id, as_of))


def activity_export_data(db: Database, user: User, activity_id: int, as_of: date) -> ExportData:
    """What one activity's printout holds (with its content hash, for the export log).

    Read directly (the activity, its entity): the export's gap analysis is not printed, so not run.
    """
    import pandas as pd

    from ropa.export.data import ExportOptions, content_hash, load_records
    from ropa.storage.activities import get_activity
    from ropa.storage.database import utcnow
    from ropa.storage.entities import list_entities

    activity = get_activity(db, activity_id)
    entities = list_entities(db, include_archived=True)
    names = {int(e.id or 0): e.name for e in entities}
    entity = next(e for e in entities if e.id == activity.entity_id)
    with db.connect() as con:
        records = [r for r in load_records(con, [activity.entity_id], include_archived=True) if r.id == activity_id]
    options = ExportOptions(as_of=as_of, entity_id=activity.entity_id, include_archived=True)
    return ExportData(options=options, generated_at=utcnow(), user=user, scope=entity.name, organisation=entity.name,
                      entities=[entity], records=records, entity_names=names, findings=pd.DataFrame(),
                      content_sha256=content_hash([entity], records, names))


def activity_pdf_name(activity_id: int, as_of: date) -> str:
    return f"ropa-activity-{activity_id}-as-of-{as_of.isoformat()}.pdf"
