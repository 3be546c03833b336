"""Finding the register inside a sheet: the heading row, the contact block above it, the data rows below.

DPOs fill in the ICO template in many small variations: a title or a contact
block above the headings, headings with or without "(if applicable)",
merged cells, blank lines. The heading row is the row (in the first 20) that
names the most template columns; the contact block is read from whatever is
above it; vertically merged cells are filled down, as the person meant.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import islice

from openpyxl.utils import get_column_letter

from ropa.columns import COLUMNS, ENTITY_COLUMNS, CellValue, Column, EntityColumn, cell_text
from ropa.ingest.files import BLANK_RUN_LIMIT, MAX_COLUMNS, ImportRejected, Limits, SheetSource
from ropa.ingest.headings import heading_key, heading_table, match_heading

HEADING_SCAN_ROWS = 20
COVER_SCAN_ROWS = 60
MIN_TEMPLATE_HEADINGS = 3
PURPOSE_COLUMNS = ("c02_purpose", "p2_categories")
MIN_ENTITY_HEADINGS = 4
MAX_HEADING = 500

def heading_index() -> dict[str, Column]:
    """Heading key -> column: a column's own heading, its aliases and the variants of headings.toml."""
    return {key: column for key, (column, _) in heading_table().items()}


@cache
def entity_heading_index() -> dict[str, EntityColumn]:
    index: dict[str, EntityColumn] = {}
    for column in ENTITY_COLUMNS:
        for text in (column.heading, *column.aliases):
            index.setdefault(heading_key(text), column)
    return index


def _is_blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _blank_row(values: tuple[CellValue, ...]) -> bool:
    return all(_is_blank(v) for v in values)


@dataclass
class HeadedColumn:
    index: int  # 0-based position in the row
    heading: str
    column: Column | None  # None: not a template column; its text is kept under the heading
    confidence: float = 1.0
    how: str = "heading"  # "heading", "variant", "close" (a guess), "mapping" (chosen by the user), "kept", "ignored"

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)


@dataclass
class Table:
    """The activity rows of one sheet, with the headings they sit under."""

    sheet: str
    heading_row: int
    columns: list[HeadedColumn]
    rows: list[tuple[int, tuple[CellValue, ...]]]
    above: list[tuple[CellValue, ...]]
    processor: bool
    notes: list[str] = field(default_factory=list)
    form: bool = False
    """A one-activity form (labels down the side) rather than a list."""

    @property
    def own_export(self) -> bool:
        """This app's export (its 'Record id' heading): read back exactly, with no reading-in of 'N/A'."""
        return any(h.column is not None and h.column.key == "id" and h.how == "heading" for h in self.columns)

    def present(self) -> set[str]:
        return {c.column.key for c in self.columns if c.column is not None}


@dataclass
class EntityTable:
    sheet: str
    rows: list[tuple[int, dict[str, str]]]


def _check_cells(sheet: str, row_number: int, values: tuple[CellValue, ...], limits: Limits,
                 headings: list[HeadedColumn] | None = None) -> None:
    for i, value in enumerate(values):
        if isinstance(value, str) and len(value) > limits.max_cell_chars:
            where = f"cell {get_column_letter(i + 1)}{row_number} of sheet '{sheet}'"
            if headings is not None:
                named = next((h.heading for h in headings if h.index == i), "")
                if named:
                    where += f" (column '{named[:60]}')"
            raise ImportRejected(
                f"The {where} holds {len(value):,} characters; a cell may hold at most "
                f"{limits.max_cell_chars:,}. Shorten it (or link to a document) and import again."
            )


def _match_headings(values: tuple[CellValue, ...], mapping: dict[str, str] | None = None) -> list[HeadedColumn]:
    result: list[HeadedColumn] = []
    seen: set[str] = set()
    by_key = {c.key: c for c in COLUMNS}
    for i, value in enumerate(values[:MAX_COLUMNS]):
        text = cell_text(value).strip()
        if not text or len(text) > MAX_HEADING:
            continue
        chosen = (mapping or {}).get(heading_key(text))
        if chosen is not None:
            if chosen in by_key and chosen not in seen:
                seen.add(chosen)
                result.append(HeadedColumn(i, " ".join(text.split()), by_key[chosen], 1.0, "mapping"))
            else:
                result.append(HeadedColumn(i, " ".join(text.split()), None, 1.0,
                                           "ignored" if chosen == "ignore" else "mapping"))
            continue
        match = match_heading(text)
        column = match.column if match is not None else None
        if column is not None and column.key in seen:
            column = None  # a repeated heading: its text is kept, not read twice
        if column is not None and match is not None:
            seen.add(column.key)
            result.append(HeadedColumn(i, " ".join(text.split()), column, match.confidence, match.how))
        else:
            result.append(HeadedColumn(i, " ".join(text.split()), None, 0.0, "kept"))
    return result


def _template_score(headed: list[HeadedColumn]) -> int:
    """How many ICO template columns a row names; naming the purpose counts as naming three.

    A row naming both an activity name and a purpose (home-made registers, the
    CNIL list, CISO Assistant) scores every column it names.
    """
    template = [h.column for h in headed if h.column is not None and (h.column.ico or h.column.ico_processor)]
    score = len(template)
    if len(template) >= 2 and any(c.key in PURPOSE_COLUMNS for c in template):
        score = max(score, MIN_TEMPLATE_HEADINGS)
    named = {h.column.key for h in headed if h.column is not None and h.confidence >= 0.9}
    if "name" in named and named & set(PURPOSE_COLUMNS):
        score = max(score, len(named), MIN_TEMPLATE_HEADINGS)
    return score


def _entity_headings(values: tuple[CellValue, ...]) -> dict[int, EntityColumn]:
    index = entity_heading_index()
    found: dict[int, EntityColumn] = {}
    for i, value in enumerate(values[:MAX_COLUMNS]):
        text = cell_text(value)
        if len(text) > MAX_HEADING:
            continue
        column = index.get(heading_key(text))
        if column is not None and column not in found.values():
            found[i] = column
    return found


def read_sheet(source: SheetSource, limits: Limits,
               mapping: dict[str, str] | None = None) -> Table | EntityTable | None:
    """The activity table, the entity (contact) table or the one-activity form a sheet holds, if any."""
    from ropa.ingest.shapes import FICHE_SCAN_ROWS, read_fiche

    form = read_fiche(source.name, list(islice(source.read_rows(0), FICHE_SCAN_ROWS)))
    rows = source.read_rows(0)
    buffered: list[tuple[CellValue, ...]] = []
    for values in rows:
        buffered.append(values)
        if len(buffered) >= COVER_SCAN_ROWS:
            break
    best: tuple[int, int, list[HeadedColumn]] | None = None
    for number, values in enumerate(buffered[:HEADING_SCAN_ROWS], start=1):
        headed = _match_headings(values, mapping)
        score = _template_score(headed)
        if score >= MIN_TEMPLATE_HEADINGS and (best is None or score > best[0]):
            best = (score, number, headed)
    if form is not None and (best is None or sum(1 for h in form.columns if h.column is not None) > best[0]):
        return form  # labels down the side name more fields than any row names across
    if best is not None:
        _, heading_row, headed = best
        for number, values in enumerate(buffered, start=1):
            _check_cells(source.name, number, values, limits, headed if number > heading_row else None)
        return _read_table(source, heading_row, headed, buffered, rows, limits)
    for number, values in enumerate(buffered, start=1):
        _check_cells(source.name, number, values, limits)
    for number, values in enumerate(buffered, start=1):
        found = _entity_headings(values)
        if len(found) >= MIN_ENTITY_HEADINGS and any(c.field == "name" for c in found.values()):
            return _read_entities(source, number, found, buffered, rows, limits)
    return None


def _read_table(source: SheetSource, heading_row: int, headed: list[HeadedColumn],
                buffered: list[tuple[CellValue, ...]], rest: Iterator[tuple[CellValue, ...]],
                limits: Limits) -> Table:
    processor = any(h.column is not None and h.column.key in ("p1_controller", "p2_categories") for h in headed)
    table = Table(source.name, heading_row, headed, [], buffered[: heading_row - 1], processor)
    width = min(MAX_COLUMNS, max((h.index for h in headed), default=0) + 1)

    def data_rows() -> Iterator[tuple[int, tuple[CellValue, ...]]]:
        number = heading_row
        for values in buffered[heading_row:]:
            number += 1
            yield number, values
        for values in rest:  # their cells' lengths were checked by the reader, before they crossed to this process
            number += 1
            yield number, values

    blank_run = 0
    filled = 0
    for number, values in data_rows():
        if _blank_row(values):
            blank_run += 1
            if blank_run >= BLANK_RUN_LIMIT:
                table.notes.append(f"Sheet '{source.name}': reading stopped after {BLANK_RUN_LIMIT:,} blank rows "
                                   f"at row {number:,}.")
                break
            table.rows.append((number, ()))
            continue
        blank_run = 0
        extra = [i for i in range(width, len(values)) if not _is_blank(values[i])]
        if extra:
            for i in extra:
                if i < MAX_COLUMNS and all(h.index != i for h in table.columns):
                    table.columns.append(HeadedColumn(i, f"Column {get_column_letter(i + 1)}", None))
            width = min(MAX_COLUMNS, max(width, max(extra) + 1))
        table.rows.append((number, values[:MAX_COLUMNS]))
        filled += 1
        if filled > limits.max_rows:
            raise ImportRejected(
                f"Sheet '{source.name}' has more than {limits.max_rows:,} activity rows; one import takes at most "
                f"{limits.max_rows:,}. Split the register into several files and import them one after the other."
            )
    while table.rows and not table.rows[-1][1]:
        table.rows.pop()
    table.rows = [(n, v) for n, v in table.rows if v]
    _fill_merged(source, table)
    if source.has_formulas():
        table.notes.append(f"Sheet '{source.name}' contains formulas: the values Excel last calculated were "
                           "imported; no formula was evaluated.")
    return table


def _fill_merged(source: SheetSource, table: Table) -> None:
    """Copy the top-left value of each vertically merged range down its first column.

    The cost follows the rows the table holds, not the rows a range claims:
    each range visits only the held rows inside it (found by bisection).
    """
    ranges = source.merged()
    if not ranges or not table.rows:
        return
    numbers = [number for number, _ in table.rows]
    filled: list[str] = []
    for min_row, min_col, max_row, max_col in ranges:
        if max_row <= table.heading_row or max_row == min_row:
            continue
        top = bisect_left(numbers, min_row)
        if top == len(numbers) or numbers[top] != min_row:
            continue
        column = min_col - 1
        value = table.rows[top][1][column] if column < len(table.rows[top][1]) else None
        for at in range(top + 1, bisect_right(numbers, max_row)):
            number, held = table.rows[at]
            values = list(held)
            values.extend([None] * (column + 1 - len(values)))
            values[column] = value
            table.rows[at] = (number, tuple(values))
        filled.append(f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}")
    if filled:
        shown = ", ".join(filled[:5]) + (f" and {len(filled) - 5} more" if len(filled) > 5 else "")
        table.notes.append(f"Sheet '{source.name}': merged cells {shown}: the top cell's value was used "
                           "for every row the merge spans.")


def _read_entities(source: SheetSource, heading_row: int, found: dict[int, EntityColumn],
                   buffered: list[tuple[CellValue, ...]], rest: Iterator[tuple[CellValue, ...]],
                   limits: Limits) -> EntityTable:
    table = EntityTable(source.name, [])

    def rows() -> Iterator[tuple[CellValue, ...]]:
        yield from buffered[heading_row:]
        yield from rest

    for number, values in enumerate(rows(), start=heading_row + 1):
        _check_cells(source.name, number, values, limits)
        if _blank_row(values):
            break
        record = {c.field: cell_text(values[i]) if i < len(values) else "" for i, c in found.items()}
        if record.get("name", "").strip():
            table.rows.append((number, record))
        if len(table.rows) > limits.max_rows:
            break
    return table


# -- the contact block above the headings --------------------------------------------------

_ROLE_WORDS = {
    "controller": ("controller", "data controller", "name of controller", "organisation",
                   "responsable du traitement", "responsable de traitement", "responsable", "verantwortlicher",
                   "verantwortliche stelle"),
    "processor": ("processor", "data processor", "sous traitant", "auftragsverarbeiter"),
    "dpo": ("data protection officer", "dpo", "data protection officer dpo", "delegue a la protection des donnees",
            "delegue a la protection des donnees dpo", "dpd", "datenschutzbeauftragter",
            "datenschutzbeauftragte"),
    "representative": ("representative", "eu representative", "uk representative", "representant",
                       "vertreter", "vertreter in der union"),
}
_FIELD_WORDS = {
    "name": ("name", "nom", "nom et prenom", "raison sociale"),
    "address": ("address", "contact detail", "contact", "adresse", "adresse postale", "anschrift"),
    "email": ("email", "email address", "e mail", "adresse mel", "mel", "courriel", "adresse electronique",
              "e mail adresse"),
    "phone": ("telephone", "phone", "telephone number", "phone number", "tel", "telefon"),
}
_ROLES = {heading_key(text): role for role, texts in _ROLE_WORDS.items() for text in texts}
_FIELDS = {heading_key(text): field for field, texts in _FIELD_WORDS.items() for text in texts}


def _role_key(value: CellValue) -> str | None:
    return _ROLES.get(heading_key(cell_text(value)))


def _field_key(value: CellValue) -> str | None:
    return _FIELDS.get(heading_key(cell_text(value)))


def contact_heading(text: str) -> tuple[str, str] | None:
    """(role, field) a column heading such as 'Controller email' or 'DPO name' names: contacts on every row."""
    words = heading_key(text).split()
    for cut in range(1, len(words)):
        role = _ROLES.get(" ".join(words[:cut]))
        field = _FIELDS.get(" ".join(words[cut:]))
        if role and field:
            return role, field
    return None


def _vertical_contacts(rows: list[tuple[CellValue, ...]]) -> dict[str, dict[str, str]]:
    """The CNIL layout: a role label alone on its row, then 'Nom :' / 'Adresse mél :' label-value rows below."""
    found: dict[str, dict[str, str]] = {}
    role: str | None = None
    for values in rows:
        cells = [(i, v) for i, v in enumerate(values) if not _is_blank(v)]
        if not cells:
            continue
        first_role = _role_key(cells[0][1])
        if first_role and len(cells) == 1:
            role = first_role
            found.setdefault(role, {})
            continue
        field = _field_key(cells[0][1])
        if role and field and len(cells) > 1:
            found[role].setdefault(field, cell_text(cells[1][1]).strip())
        elif not field:
            role = None if first_role is None else role
    return found


def contact_block(rows: list[tuple[CellValue, ...]]) -> dict[str, dict[str, str]]:
    """{'controller': {'name':..., 'address':...}, 'dpo': {...}, 'representative': {...}} read above the headings.

    Reads both layouts seen in filled-in templates: one row per role with
    Name/Address/Email/Telephone across, or one column per role with the
    fields down the side. Without field headings, the cells after the role
    label are taken as Name, Address, Email, Telephone.
    """
    found: dict[str, dict[str, str]] = {}
    cells = [(r, c, v) for r, row in enumerate(rows) for c, v in enumerate(row) if not _is_blank(v)]
    roles = [(r, c, role) for r, c, v in cells if (role := _role_key(v))]
    fields = [(r, c, f) for r, c, v in cells if (f := _field_key(v))]
    if not roles:
        return found

    def at(r: int, c: int) -> str:
        if r < len(rows) and c < len(rows[r]):
            return cell_text(rows[r][c]).strip()
        return ""

    vertical = _vertical_contacts(rows)
    if any(vertical.values()):
        return {role: record for role, record in vertical.items() if any(record.values())}
    same_row = len({r for r, _, _ in roles}) == 1 and len(roles) > 1
    if same_row and fields and all(c < min(rc for _, rc, _ in roles) for _, c, _ in fields):
        for _, c_role, role in roles:
            found[role] = {f: at(r_field, c_role) for r_field, _, f in fields}
    else:
        header = {}
        if fields:
            header_row = max({r for r, _, _ in fields}, key=lambda r: sum(1 for fr, _, _ in fields if fr == r))
            header = {c: f for r, c, f in fields if r == header_row}
        for r_role, c_role, role in roles:
            record = {f: at(r_role, c) for c, f in header.items() if c > c_role}
            if not any(record.values()):
                values = []
                for v in rows[r_role][c_role + 1:]:
                    if _role_key(v):
                        break  # the next role's label (e.g. 'Representative (if applicable)') ends this one
                    if not _is_blank(v) and not _field_key(v):
                        values.append(cell_text(v).strip())
                record = dict(zip(("name", "address", "email", "phone"), values, strict=False))
            found[role] = record
    return {role: {k: v for k, v in record.items() if v} for role, record in found.items() if any(record.values())}
