"""Register layouts other than one heading row over one activity per row, turned into that shape.

* **Fiche sheets** (the CNIL template's one-activity forms): labels down the
  first column, values beside them, sections with sub-headings ("Catégories de
  données" | "Durée de conservation") and one entry per line below.
* **Related sheets** (CISO Assistant's processing workbook): Purposes, Personal
  data, Data subjects, Recipients, Contractors and Transfers sheets whose rows
  name the processing they belong to by its reference; their text is added to
  that processing's row.
* **Repeated rows** (a Fides datamap: one row per system x data use x data
  category): rows of the same system and purpose become one activity.

Everything here works on rows already read (bounded by the reader); each
function's cost is linear in the cells held.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from ropa.columns import COLUMNS, JOIN, CellValue, Column, cell_text
from ropa.ingest.headings import heading_key, match_heading
from ropa.ingest.layout import MAX_HEADING, HeadedColumn, Table

FICHE_SCAN_ROWS = 400
FICHE_MIN_LABELS = 4
SURE = 0.9
_BY_KEY = {c.key: c for c in COLUMNS}
Row = tuple[CellValue, ...]


def _cells(values: Row) -> list[tuple[int, str]]:
    return [(i, text) for i, v in enumerate(values) if (text := cell_text(v).strip())]


def _label(text: str) -> Column | None:
    if len(text) > MAX_HEADING:
        return None
    match = match_heading(text)
    return match.column if match is not None and match.confidence >= SURE else None


@dataclass
class _Form:
    lines: dict[str, list[str]] = field(default_factory=dict)
    kept: dict[str, list[str]] = field(default_factory=dict)
    first_row: int = 0

    def add(self, column: Column, text: str) -> None:
        bucket = self.lines.setdefault(column.key, [])
        if text not in bucket:
            bucket.append(text)

    def keep(self, heading: str, text: str) -> None:
        self.kept.setdefault(heading, []).append(text)


def read_fiche(sheet: str, rows: Sequence[Row]) -> Table | None:
    """The one activity a form-shaped sheet describes, as a one-row table; None if the sheet is not a form."""
    form = _Form()
    labels = 0
    current: Column | None = None
    sub: dict[int, Column] = {}
    sub_kept: dict[int, str] = {}
    for number, values in enumerate(rows[:FICHE_SCAN_ROWS], start=1):
        cells = _cells(values)
        if not cells:
            continue
        first_at, first = cells[0]
        column = _label(first)
        if column is not None:
            labels += 1
            form.first_row = form.first_row or number
            current, sub, sub_kept = column, {}, {}
            rest = cells[1:]
            heads = {i: _label(text) for i, text in rest}
            if rest and sum(1 for c in heads.values() if c is not None) * 2 >= len(rest):
                for i, text in rest:  # a section header: the cells beside the label head sub-columns
                    found = heads[i]
                    if found is None or found.key in ("c02_purpose", current.key):
                        sub_kept[i] = text if found is None else ""
                    else:
                        sub[i] = found
            else:
                for _, text in rest:
                    form.add(current, text)
            continue
        if current is None:
            continue  # titles above the form
        if not sub and not sub_kept and len(cells) > 1:
            cells = cells[1:]  # "Sous-finalité 1 | text": the entry's own label is not data
        lead = first if first_at not in sub else ""
        country = next((t for i, t in cells if i in sub and sub[i].key in ("c08_countries", "p3_countries")), "")
        for i, text in cells:
            target = sub.get(i)
            if target is None:
                heading = sub_kept.get(i, "")
                if heading:
                    form.keep(f"{current.heading}: {heading}", f"{lead}: {text}" if lead else text)
                else:
                    form.add(current, text)
            elif target.key == "c10_retention" and lead:
                form.add(target, f"{lead}: {text}")
            elif target.key in ("c09_safeguards", "p4_safeguards") and country:
                form.add(target, f"{country}: {text}")
            else:
                form.add(target, text)
    if len(set(form.lines) - {"entity"}) < FICHE_MIN_LABELS or not {"name", "c02_purpose"} <= set(form.lines):
        return None  # a form names its activity and its purpose (a cover sheet of labels does not)
    columns = [HeadedColumn(i, _BY_KEY[key].heading, _BY_KEY[key], SURE, "variant")
               for i, key in enumerate(form.lines)]
    row_cells: list[CellValue] = ["\n".join(lines) for lines in form.lines.values()]
    for heading, texts in form.kept.items():
        columns.append(HeadedColumn(len(row_cells), heading, None, 0.0, "kept"))
        row_cells.append("\n".join(texts))
    return Table(sheet, form.first_row - 1, columns, [(form.first_row, tuple(row_cells))], [], False,
                 [f"Sheet '{sheet}' is a one-activity form (labels down the side): read as one activity."], form=True)


# -- related sheets joined by the processing's reference ---------------------------------------

_JOIN_HEADINGS = {heading_key(t) for t in (
    "processing", "processing ref id", "processing_ref_id", "processing ref", "processing id", "processing name",
    "processing reference", "traitement", "ref traitement", "référence du traitement", "verarbeitung")}


@dataclass(frozen=True)
class _Role:
    """How one related sheet's columns feed the processing's columns: heading words -> column key."""

    main: str  # the column its name / category / description goes to
    extra: tuple[tuple[tuple[str, ...], str], ...] = ()
    prefix_main: bool = False  # extra values are written "main: value" (retention per data category)
    suffix: str = ""  # appended to the main text ("(processor)" for contractors)


_ROLES: dict[str, _Role] = {
    "purpose": _Role("c02_purpose", ((("legal basis", "lawful basis", "base legale"), "c12_lawful_basis"),)),
    "personal data": _Role("c05_data", ((("retention", "duree de conservation"), "c10_retention"),),
                           prefix_main=True),
    "data subject": _Role("c04_individuals"),
    "recipient": _Role("c06_recipients"),
    "contractor": _Role("c06_recipients", ((("contract", "dpa"), "c07_processor_contract"),), suffix=" (processor)"),
    "transfer": _Role("c08_countries", ((("legal basis", "guarantee", "safeguard", "mechanism"), "c09_safeguards"),
                                        (("entity", "recipient", "importer"), "c06_recipients"))),
}
FORM_ROLE = _Role("name")
"""A one-activity form joined to the list row it details (the CNIL template's fiches)."""
_MAIN_HEADINGS = ("name", "category", "description", "country", "label")


def _role(sheet: str) -> _Role | None:
    key = heading_key(sheet)
    return next((role for word, role in _ROLES.items() if word in key), None)


def is_related_sheet(sheet: str) -> bool:
    """Whether a sheet's name says it adds to another sheet's activities (Purposes, Transfers...)."""
    return _role(sheet) is not None


@dataclass
class Related:
    """A related sheet: its rows keyed by the processing they name."""

    sheet: str
    role: _Role
    entries: list[tuple[str, dict[str, str]]]  # (processing reference, {column key: text})


def read_related(sheet: str, rows: Sequence[Row]) -> Related | None:
    """A sheet whose first heading row names a processing reference column and whose name says its role."""
    role = _role(sheet)
    if role is None:
        return None
    start = next((n for n, values in enumerate(rows[:20]) if _cells(values)), None)
    if start is None:
        return None
    headings = {i: heading_key(text) for i, text in _cells(rows[start])}
    join = next((i for i, key in headings.items() if key in _JOIN_HEADINGS), None)
    if join is None:
        return None
    main = next((i for word in _MAIN_HEADINGS for i, key in headings.items() if key == word and i != join), None)
    extras = {i: target for i, key in headings.items() if i not in (join, main)
              for words, target in role.extra if any(w in key for w in words)}
    entries: list[tuple[str, dict[str, str]]] = []
    for values in rows[start + 1:]:
        ref = cell_text(values[join]).strip() if join < len(values) else ""
        if not ref:
            continue
        lead = cell_text(values[main]).strip() if main is not None and main < len(values) else ""
        record: dict[str, str] = {}
        if lead:
            record[role.main] = lead + role.suffix
        for i, target in extras.items():
            text = cell_text(values[i]).strip() if i < len(values) else ""
            if not text:
                continue
            if role.prefix_main and lead:
                text = f"{lead}: {text}"
            elif target in ("c09_safeguards",) and lead:
                text = f"{lead}: {text}"
            elif target == "c07_processor_contract" and lead:
                text = f"{lead}: {text}"
            record[target] = text
        if record:
            entries.append((ref, record))
    return Related(sheet, role, entries)


def join_related(table: Table, related: list[Related]) -> int:
    """Add each related sheet's text to the rows of ``table`` it names (by reference, else by name); returns
    how many entries found their processing."""
    ref_at = next((h.index for h in table.columns if h.column is not None and h.column.key == "id"), None)
    name_at = next((h.index for h in table.columns if h.column is not None and h.column.key == "name"), None)
    if ref_at is None and name_at is None:
        return 0
    by_ref: dict[str, int] = {}
    for position, (_, values) in enumerate(table.rows):
        for at in (ref_at, name_at):
            if at is not None and at < len(values) and (text := cell_text(values[at]).strip()):
                by_ref.setdefault(text.casefold(), position)
    slots: dict[str, int] = {h.column.key: h.index for h in table.columns if h.column is not None}
    width = max((h.index for h in table.columns), default=-1) + 1
    additions: dict[tuple[int, int], list[str]] = {}
    joined = 0
    for sheet in related:
        for ref, record in sheet.entries:
            found = by_ref.get(ref.casefold())
            if found is None:
                table.notes.append(f"Sheet '{sheet.sheet}': an entry names processing '{ref[:60]}', which the "
                                   f"sheet '{table.sheet}' does not hold; it was not imported.")
                continue
            joined += 1
            position = found
            for key, text in record.items():
                if key not in slots:
                    slots[key] = width
                    table.columns.append(HeadedColumn(width, _BY_KEY[key].heading, _BY_KEY[key], SURE, "variant"))
                    width += 1
                bucket = additions.setdefault((position, slots[key]), [])
                if text not in bucket:
                    bucket.append(text)
    for (position, at), texts in additions.items():
        number, values = table.rows[position]
        cells = list(values) + [None] * max(0, at + 1 - len(values))
        lines = [line for line in cell_text(cells[at]).splitlines() if line.strip()]
        for text in texts:
            lines.extend(line for line in text.splitlines() if line.strip() and line not in lines)
        cells[at] = "\n".join(lines)
        table.rows[position] = (number, tuple(cells))
    if joined:
        names = ", ".join(f"'{r.sheet}'" for r in related)
        table.notes.append(f"Sheets {names} were joined to '{table.sheet}' by the processing each row names "
                           f"({joined:,} entries).")
    return joined


# -- repeated rows (one per system x use x category) ----------------------------------------------

def systems_as_lists(table: Table) -> None:
    """System names written as text ('Checkout; CRM') become the list the Systems column holds (JSON)."""
    at = next((h.index for h in table.columns if h.column is not None and h.column.key == "systems"), None)
    if at is None:
        return
    for position, (number, values) in enumerate(table.rows):
        text = cell_text(values[at]).strip() if at < len(values) else ""
        if text and not text.startswith("["):
            names = list(dict.fromkeys(p.strip() for p in text.replace("\n", JOIN).split(JOIN) if p.strip()))
            table.rows[position] = (number, (*values[:at], json.dumps(names, ensure_ascii=False), *values[at + 1:]))


def merge_repeated_rows(table: Table) -> None:
    """Rows of the same system and purpose (and entity) become one: their cells' texts are combined."""
    keys = {h.column.key: h.index for h in table.columns if h.column is not None}
    if "name" in keys or "id" in keys:
        return  # rows that name or number their activity are one activity each
    system_at = keys.get("systems")
    purpose_at = keys["c02_purpose"] if "c02_purpose" in keys else keys.get("p2_categories")
    if system_at is None or purpose_at is None:
        return
    entity_at = keys.get("entity")
    groups: dict[tuple[str, ...], list[int]] = {}
    for position, (_, values) in enumerate(table.rows):
        key = tuple(cell_text(values[i]).strip().casefold() if i is not None and i < len(values) else ""
                    for i in (entity_at, system_at, purpose_at))
        groups.setdefault(key, []).append(position)
    if all(len(members) == 1 for members in groups.values()):
        return
    merged: list[tuple[int, Row]] = []
    for members in groups.values():
        rows = [table.rows[p] for p in members]
        width = max(len(v) for _, v in rows)
        cells: list[CellValue] = []
        for i in range(width):
            texts: list[str] = []
            for _, values in rows:
                for part in (p.strip() for p in cell_text(values[i] if i < len(values) else None).split(JOIN)):
                    if part and part not in texts:
                        texts.append(part)
            cells.append(JOIN.join(texts) if texts else None)
        merged.append((rows[0][0], tuple(cells)))
    if "name" not in keys:  # each activity is named after its system and purpose, as the data map pairs them
        at = max((h.index for h in table.columns), default=-1) + 1
        table.columns.append(HeadedColumn(at, "Processing activity", _BY_KEY["name"], SURE, "variant"))
        merged = [(number, (*values, *([None] * (at - len(values))),
                            f"{cell_text(values[system_at]).strip()}: {cell_text(values[purpose_at]).strip()}"[:200]))
                  for number, values in merged]
    table.notes.append(f"Sheet '{table.sheet}': {len(table.rows):,} rows of the same system and purpose were "
                       f"combined into {len(merged):,} activities (one per system and purpose).")
    table.rows = merged
