"""One spreadsheet row -> the fields of one activity, with every mapping decision recorded.

The column map (``ropa.columns``) says which cell feeds which field; this
module supplies the mapping services its parsers call (``RowContext``) and
assembles what several columns describe together (transfers from the
countries and safeguards columns, recipients from the recipients and contract
columns). Anything that maps to nothing is kept word for word in
``unmapped`` under the field (or heading) it came from.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from ropa.columns import COLUMNS, JOIN, CellValue, Column, cell_text
from ropa.ingest.layout import HeadedColumn, Table
from ropa.ingest.retention import read_retention
from ropa.ingest.vocab import MECHANISMS, Match, match_country, matchers, normalise, split_match
from ropa.labels import any_field_label
from ropa.models import SHORT_MAX, Activity
from ropa.reference import country_name, load_reference

NAME_LENGTH = 80


@dataclass(frozen=True)
class Issue:
    """A problem with one cell (or row, or the file when ``row`` is None)."""

    sheet: str
    row: int | None
    column: str
    message: str


@dataclass
class Decision:
    """How one distinct text was read, and in how many rows."""

    column: str
    text: str
    vocabulary: str
    key: str
    label: str
    how: str
    rows: int
    first_row: int
    sheet: str


_NONE = {"none", "n a", "na", "no", "nil", "not applicable", "", "no transfer", "none known"}
_EMPTY = _NONE - {"no", "no transfer"}
"""What means 'nothing here' in any cell; 'No' is an answer in yes/no columns, so it is not among them."""


@lru_cache(maxsize=4096)
def says_empty(text: str) -> bool:
    """'N/A', 'none', '-', 'not applicable': an empty cell, whatever the column."""
    return normalise(text) in _EMPTY


def _looks_like_a_country(part: str) -> bool:
    """A short name without digits ('Narnia'): meant as a country, unlike a sentence of explanation."""
    words = part.split()
    return 0 < len(words) <= 3 and not any(c.isdigit() for c in part) and len(part) <= 40


@lru_cache(maxsize=4096)
def says_none(text: str) -> bool:
    """'N/A', 'None', '-': the person said there is nothing, which is not text to keep."""
    return normalise(text) in _NONE


def _label(vocabulary: str, key: str) -> str:
    ref = load_reference()
    if vocabulary == MECHANISMS:
        mechanisms = ref.mechanisms()
        return mechanisms[key].label if key in mechanisms else key
    if vocabulary == "countries":
        return country_name(key)
    if vocabulary in ("retention", "name"):
        return key
    return ref.vocabulary(vocabulary).label(key)


class Mapper:
    """Mapping with a cache per import (registers repeat the same phrases) and the decision log."""

    def __init__(self) -> None:
        self.matchers = matchers()
        self._split: dict[tuple[str, str], tuple[list[Match], list[str]]] = {}
        self._parts: dict[str, dict[str, tuple[list[Match], list[str]]]] = {}
        self._one: dict[tuple[str, str], Match | None] = {}
        self._mentioned: dict[tuple[str, str], list[Match]] = {}
        self.decisions: dict[tuple[str, str, str, str], Decision] = {}

    def split(self, vocabulary: str, text: str) -> tuple[list[Match], list[str]]:
        cache_key = (vocabulary, text)
        if cache_key not in self._split:
            parts = self._parts.setdefault(vocabulary, {})
            if vocabulary == "countries":
                self._split[cache_key] = split_match(text, match_country, parts=parts)
            else:
                matcher = self.matchers[vocabulary]
                self._split[cache_key] = split_match(text, matcher.exact, matcher.near, parts)
        return self._split[cache_key]

    def mentioned(self, vocabulary: str, text: str) -> list[Match]:
        cache_key = (vocabulary, text)
        if cache_key not in self._mentioned:
            self._mentioned[cache_key] = self.matchers[vocabulary].mentioned(text)
        return self._mentioned[cache_key]

    def one(self, vocabulary: str, text: str) -> Match | None:
        cache_key = (vocabulary, text)
        if cache_key not in self._one:
            self._one[cache_key] = self.matchers[vocabulary].match(text)
        return self._one[cache_key]

    def record(self, sheet: str, row: int, column: str, text: str, vocabulary: str, key: str, how: str,
               rows: int = 1) -> None:
        """Count a reading of ``text`` in ``rows`` rows, the first of them ``row``."""
        decision_key = (column, text, vocabulary, key)
        found = self.decisions.get(decision_key)
        if found is None:
            self.decisions[decision_key] = Decision(column, text, vocabulary, key, _label(vocabulary, key), how,
                                                    rows, row, sheet)
        else:
            found.rows += rows
            found.first_row = min(found.first_row, row)


class RowContext:
    """The ``ParseContext`` of one row: maps text, keeps what does not map, collects problems."""

    def __init__(self, mapper: Mapper, sheet: str, row: int) -> None:
        self.mapper = mapper
        self.sheet = sheet
        self.row = row
        self.heading = ""
        self.keep_key = ""
        self.unmapped: dict[str, str] = {}
        self.issues: list[Issue] = []

    def at(self, column: Column | None, heading: str) -> None:
        self.heading = heading
        if column is None:
            self.keep_key = heading
        else:
            fields = [f for f in column.fields if f not in ("unmapped", "entity_id")]
            self.keep_key = fields[0] if fields else column.key

    def note_match(self, match: Match, vocabulary: str) -> None:
        self.decide(match.text, vocabulary, match.key, match.how)

    def decide(self, text: str, vocabulary: str, key: str, how: str) -> None:
        """Log how ``text`` was read, against this row and the current heading."""
        self.mapper.record(self.sheet, self.row, self.heading, text, vocabulary, key, how)

    def terms(self, vocabulary: str, text: str, *, keep_rest: bool = True) -> list[str]:
        if says_none(text):
            return []
        if not keep_rest:
            spotted = self.mapper.mentioned(vocabulary, text)
            for match in spotted:
                self.note_match(match, vocabulary)
            return [m.key for m in spotted]
        found, rest = self.mapper.split(vocabulary, text)
        for match in found:
            self.note_match(match, vocabulary)
        if rest and keep_rest:
            self.keep(JOIN.join(rest))
        return list(dict.fromkeys(m.key for m in found))

    def term(self, vocabulary: str, text: str) -> str | None:
        if says_none(text):
            return None
        match = self.mapper.one(vocabulary, text)
        if match is None:
            self.keep(text)
            return None
        self.note_match(match, vocabulary)
        return match.key

    def keep(self, text: str, key: str | None = None) -> None:
        name = key or self.keep_key
        if not text:
            return
        current = self.unmapped.get(name)
        if current is None:
            self.unmapped[name] = text
        elif text not in current.split("\n"):
            self.unmapped[name] = f"{current}\n{text}"

    def error(self, message: str) -> None:
        self.issues.append(Issue(self.sheet, self.row, self.heading, message))

    def retention(self, text: str) -> dict[str, Any]:
        reading = read_retention(text, self.mapper.matchers["retention_triggers"])
        self.decide(text, "retention", reading.summary, "read")
        return reading.fields

    def countries(self, text: str) -> list[str]:
        if says_none(text):
            return []
        found, rest = self.mapper.split("countries", text)
        for match in found:
            self.note_match(match, "countries")
        unknown = [part for part in rest if _looks_like_a_country(part)]
        for part in unknown:
            self.error(f"'{part}' is not a country the register knows: write its name (English, French or German) "
                       "or its ISO 3166 code")
        kept = [part for part in rest if part not in unknown]
        if kept:
            self.keep(JOIN.join(kept), "transfers")
        return list(dict.fromkeys(m.key for m in found))


def skipped_columns(table: Table) -> set[str]:
    """Readable columns whose every field an exact column of this table already carries."""
    exact = {f for h in table.columns if h.column is not None and h.column.exact for f in h.column.fields}
    return {h.column.key for h in table.columns
            if h.column is not None and not h.column.exact and not h.column.merge and set(h.column.fields) <= exact}


@dataclass
class ParsedRow:
    sheet: str
    row: int
    data: dict[str, Any]
    entity_name: str
    record_id: str
    issues: list[Issue]
    headings: dict[str, str]  # field -> heading it came from, for messages


_MODEL_DEFAULTS = {name: info.default for name, info in Activity.model_fields.items()}


@dataclass(frozen=True)
class Step:
    """How to read one column of a table: worked out once per table, used for every row."""

    index: int
    column: Column | None
    heading: str
    keep_key: str


def row_steps(table: Table, skip: set[str]) -> tuple[list[Step], dict[str, str]]:
    """The columns to read, in order, and which heading each field comes from (for messages)."""
    steps: list[Step] = []
    headings: dict[str, str] = {}
    for headed in table.columns:
        column = headed.column
        if (column is not None and column.key in skip) or headed.how == "ignored":
            continue
        if column is None:
            keep_key = headed.heading
        else:
            fields = [f for f in column.fields if f not in ("unmapped", "entity_id")]
            keep_key = fields[0] if fields else column.key
            for name in column.fields:
                headings.setdefault(name, headed.heading)
        steps.append(Step(headed.index, column, headed.heading, keep_key))
    return steps, headings


_Effect = tuple[str, str, str, str, str]


class _Recorder(RowContext):
    """A ``RowContext`` that writes down what a column's parser asks for, to apply it to each row.

    Registers repeat the same cell text thousands of times; each distinct text
    of a column is parsed once, and its decisions, kept text and problems are
    applied to every row that holds it (so counts, first rows and messages are
    as if each row had been parsed).
    """

    def __init__(self, mapper: Mapper, step: Step) -> None:  # no row of its own: it keeps no text or problems
        self.mapper, self.sheet, self.row = mapper, "", 0
        self.heading, self.keep_key = step.heading, step.keep_key
        self.decided: list[_Effect] = []
        self.effects: list[_Effect] = []

    def decide(self, text: str, vocabulary: str, key: str, how: str) -> None:
        self.decided.append((self.heading, text, vocabulary, key, how))

    def keep(self, text: str, key: str | None = None) -> None:
        if text:
            self.effects.append(("keep", text, key or self.keep_key, "", ""))

    def error(self, message: str) -> None:
        self.effects.append(("error", message, "", "", ""))


_PSEUDO, _UNMAPPED, _LIST, _SET = range(4)


class _Outcome(NamedTuple):
    """What one cell gives: (field, value, how to merge it) items, decisions to count, effects on its row.

    A named tuple: one is built per distinct cell of every column, and a tuple is the cheapest record to build.
    """

    items: tuple[tuple[str, Any, int], ...]
    decided: tuple[_Effect, ...]
    effects: tuple[_Effect, ...]

    @property
    def plain(self) -> str | None:
        """The one field this cell sets, when that is all it does."""
        if len(self.items) == 1 and self.items[0][2] in (_SET, _LIST) and not self.effects:
            return self.items[0][0]
        return None


def _read_cell(mapper: Mapper, step: Step, value: CellValue, own_export: bool) -> _Outcome:
    recorder = _Recorder(mapper, step)
    if not own_export and isinstance(value, str) and value.strip() and says_empty(value):
        value = None  # this app's own export is read back exactly as written
    column = step.column
    items: list[tuple[str, Any, int]] = []
    if column is None:
        text = cell_text(value)
        if text.strip():
            recorder.keep(text)
    else:
        for name, parsed in column.parse(value, recorder).items():
            if name[0] == "_":
                items.append((name, str(parsed), _PSEUDO))
            elif name == "unmapped":
                items.append((name, parsed, _UNMAPPED))
            elif parsed is None and _MODEL_DEFAULTS.get(name) is not None:
                continue  # an unreadable value (kept as unmapped) leaves the field at its default
            elif isinstance(parsed, list) and name not in _STRUCTURED:
                items.append((name, parsed, _LIST))
            else:
                items.append((name, parsed, _SET))
    return _Outcome(tuple(items), tuple(recorder.decided), tuple(recorder.effects))


@dataclass
class _ReadColumn:
    step: Step
    outcomes: list[_Outcome]
    """One per row."""
    distinct: list[_Outcome]

    def plain(self) -> str | None:
        """The one field every cell of the column sets with nothing else to do, if it is such a column."""
        names = {o.plain for o in self.distinct}
        return names.pop() if len(names) == 1 else None

    def names(self) -> set[str]:
        return {name for o in self.distinct for name, _, _ in o.items}


def _read_column(mapper: Mapper, sheet: str, step: Step, numbers: list[int], cells: Sequence[CellValue],
                 own_export: bool) -> _ReadColumn:
    """Every cell of one column, each distinct value parsed once; its decisions are counted in bulk."""
    memo: dict[CellValue, _Outcome] = {}
    typed: dict[tuple[type, CellValue], _Outcome] = {}
    """Numbers and dates, keyed with their type: as plain keys 1 == 1.0 == True would share an outcome."""

    def miss(value: CellValue) -> _Outcome:
        if value is None or value.__class__ is str:
            found = memo[value] = _read_cell(mapper, step, value, own_export)
            return found
        key = (value.__class__, value)
        known = typed.get(key)
        if known is None:
            known = typed[key] = _read_cell(mapper, step, value, own_export)
        return known

    get = memo.get  # only text and empty cells are keys, so a number never finds a text's outcome
    outcomes = [get(value) or miss(value) for value in cells]
    distinct = [*memo.values(), *typed.values()]
    if any(o.decided for o in distinct):
        rows = Counter(map(id, outcomes))
        first = dict(zip(map(id, reversed(outcomes)), reversed(numbers), strict=True))
        # Summed over the column's distinct cells first, so each decision is recorded once, not once a cell.
        summed: dict[tuple[str, str, str, str], list[Any]] = {}
        for found in distinct:
            count, row = rows[id(found)], first[id(found)]
            for heading, text, vocabulary, key, how in found.decided:
                seen = summed.get((heading, text, vocabulary, key))
                if seen is None:
                    summed[(heading, text, vocabulary, key)] = [how, count, row]
                else:
                    seen[1] += count
                    seen[2] = min(seen[2], row)
        for (heading, text, vocabulary, key), (how, count, row) in summed.items():
            mapper.record(sheet, row, heading, text, vocabulary, key, how, count)
    return _ReadColumn(step, outcomes, distinct)


def parse_rows(table: Table, mapper: Mapper, steps: list[Step], headings: dict[str, str]) -> Iterator[ParsedRow]:
    """Every row of ``table`` as activity fields: column by column, then each row's assembled fields.

    The rows are assembled one at a time as the caller takes them, so only one
    row's fields are held besides the activities already validated.

    A column whose every cell just sets one field that no other column sets is
    laid into the rows whole; the others are merged row by row in column order
    (their kept text, problems and list values in the order a reader sees them).
    """
    own_export = table.own_export  # worked out once: it looks at every heading
    numbers = [number for number, _ in table.rows]
    width = max((step.index for step in steps), default=0) + 1
    padded = [values[:width] + (None,) * (width - len(values)) for _, values in table.rows]
    cells = list(zip(*padded, strict=True)) if padded else [() for _ in range(width)]
    # The padded rows and their columns are let go once read: this generator stays open while the rows are
    # assembled, and at 50,000 rows they were 40 MB of the planning's peak.
    del padded
    read = [_read_column(mapper, table.sheet, step, numbers, cells[step.index], own_export) for step in steps]
    del cells
    named = Counter(name for column in read for name in column.names())
    plain = [column.plain() for column in read]
    laid = [i for i, name in enumerate(plain) if name is not None and named[name] == 1 and name != "role"]
    laid_names = [plain[i] for i in laid]
    laid_values = zip(*[[o.items[0][1] for o in read[i].outcomes] for i in laid], strict=True) if laid else None
    rest = [(column.step, column.outcomes) for i, column in enumerate(read) if i not in laid]
    role = "processor" if table.processor else "controller"
    for at, number in enumerate(numbers):
        ctx = RowContext(mapper, table.sheet, number)
        data: dict[str, Any] = {"role": role}
        if laid_values is not None:
            data.update(zip(laid_names, next(laid_values), strict=True))  # type: ignore[arg-type]
        pseudo: dict[str, tuple[str, str]] = {}
        unmapped: dict[str, str] = {}
        for step, outcomes in rest:
            found = outcomes[at]
            if found.effects:
                ctx.heading, ctx.keep_key = step.heading, step.keep_key
                for kind, first, second, _, _ in found.effects:
                    if kind == "keep":
                        ctx.keep(first, second)
                    else:
                        ctx.error(first)
            for name, parsed, how in found.items:
                if how == _SET:
                    data[name] = parsed
                elif how == _LIST:
                    data[name] = list(dict.fromkeys([*data[name], *parsed])) if name in data else parsed
                elif how == _PSEUDO:
                    pseudo[name] = (parsed, step.heading)
                else:
                    unmapped.update(parsed)
        _assemble_transfers(pseudo, data, ctx, headings)
        _assemble_recipients(pseudo, data, ctx, headings)
        _derive_name(data, ctx)
        for key, text in ctx.unmapped.items():
            current = unmapped.get(key)
            unmapped[key] = text if current is None or current == text else f"{current}\n{text}"
        data["unmapped"] = unmapped
        entity = pseudo.get("_entity", ("", ""))[0]
        record_id = pseudo.get("_record_id", ("", ""))[0]
        yield ParsedRow(table.sheet, number, data, entity, record_id.strip(), ctx.issues, headings)


_STRUCTURED = {"recipients", "transfers", "systems"}
_DOCUMENT = re.compile(r";\s*document:\s*(.*)$", re.IGNORECASE)


def _assemble_transfers(pseudo: dict[str, tuple[str, str]], data: dict[str, Any], ctx: RowContext,
                        headings: dict[str, str]) -> None:
    """Transfers from 'third countries' and 'safeguards' free text (ICO columns 8 and 9)."""
    countries_text, countries_heading = pseudo.get("_transfer_countries", ("", ""))
    safeguards_text, safeguards_heading = pseudo.get("_transfer_safeguards", ("", ""))
    if says_none(countries_text) and says_none(safeguards_text):
        return
    ctx.at(None, countries_heading or safeguards_heading)
    ctx.keep_key = "transfers"
    countries = ctx.countries(countries_text) if countries_text.strip() else []
    ctx.heading = safeguards_heading or countries_heading
    per_country: dict[str, tuple[str | None, str]] = {}
    general: list[str] = []
    leftovers: list[str] = []
    for line in (x.strip() for x in safeguards_text.splitlines()):
        if not line:
            continue
        country_part, _, rest = line.partition(":")
        code = match_country(country_part) if rest else None
        if code is not None:
            document_match = _DOCUMENT.search(rest)
            mechanism_text = rest[: document_match.start()] if document_match else rest
            match = ctx.mapper.one(MECHANISMS, mechanism_text.strip()) if mechanism_text.strip() else None
            if match:
                ctx.note_match(match, MECHANISMS)
            elif mechanism_text.strip() and "no mechanism recorded" not in mechanism_text:
                leftovers.append(line)
            per_country[code.key] = (match.key if match else None,
                                     document_match.group(1).strip() if document_match else "")
            if code.key not in countries:
                countries.append(code.key)
            continue
        found, rest_parts = ctx.mapper.split(MECHANISMS, line)
        for match in found:
            ctx.note_match(match, MECHANISMS)
        general.extend(m.key for m in found)
        leftovers.extend(rest_parts)
    general = list(dict.fromkeys(general))
    if not countries:
        if safeguards_text.strip():
            ctx.keep(safeguards_text, "transfers")
        return
    if general and len(general) not in (1, len(countries)):
        leftovers = [safeguards_text]
        general = []
    if leftovers:
        ctx.keep(JOIN.join(leftovers), "transfers")
    transfers = []
    for i, country in enumerate(countries):
        mechanism, document = per_country.get(country, (None, ""))
        if mechanism is None and general:
            mechanism = general[0] if len(general) == 1 else general[i]
        transfers.append({"country": country, "mechanism": mechanism, "safeguard_doc": document[:SHORT_MAX]})
    data["transfers"] = transfers


_RECIPIENT_LINE = re.compile(r"^(?P<category>[^:]+):\s*(?P<name>.*?)(?:\s*\((?P<detail>[^()]*)\))?$")


def _assemble_recipients(pseudo: dict[str, tuple[str, str]], data: dict[str, Any], ctx: RowContext,
                         headings: dict[str, str]) -> None:
    """Recipients from 'categories of recipients' and 'link to contract' free text (ICO columns 6 and 7)."""
    text, heading = pseudo.get("_recipient_categories", ("", ""))
    links, links_heading = pseudo.get("_contract_links", ("", ""))
    if not text.strip() and not links.strip():
        return
    ctx.at(None, heading)
    ctx.keep_key = "recipients"
    recipients: list[dict[str, Any]] = []
    for line in (x.strip() for x in text.splitlines()):
        if not line:
            continue
        shaped = _RECIPIENT_LINE.match(line)
        category = ctx.mapper.one("recipient_categories", shaped.group("category").strip()) if shaped else None
        if shaped and category and len(shaped.group("name")) <= SHORT_MAX:
            ctx.note_match(category, "recipient_categories")
            recipient: dict[str, Any] = {"category": category.key, "name": shaped.group("name").strip()}
            for part in (p.strip() for p in (shaped.group("detail") or "").split(",")):
                role = ctx.mapper.one("recipient_roles", part) if part else None
                country = match_country(part) if part and role is None else None
                if role:
                    recipient["role"] = role.key
                elif country:
                    recipient["country"] = country.key
                elif part:
                    recipient["name"] = f"{recipient['name']} ({part})"[:SHORT_MAX]
            recipients.append(recipient)
            continue
        named = _named_recipient(line, ctx)
        if named is not None:
            recipients.append(named)
            continue
        if any(r.get("name", "").casefold() == line.casefold() for r in recipients):
            continue  # the same recipient named again (e.g. by a transfers sheet)
        for key in ctx.terms("recipient_categories", line):
            recipients.append({"category": key})
    ctx.at(None, links_heading)
    ctx.keep_key = "recipients"
    unplaced: list[str] = []
    for line in (x.strip() for x in links.splitlines()):
        if not line:
            continue
        who, _, ref = line.partition(":")
        target = next((r for r in recipients if ref and r.get("name", "").strip() == who.strip()), None)
        if target is not None and len(ref.strip()) <= SHORT_MAX:
            target["contract_ref"] = ref.strip()
        else:
            unplaced.append(line)
    if unplaced:
        if len(recipients) == 1 and len(unplaced) == 1 and len(unplaced[0]) <= SHORT_MAX:
            recipients[0]["contract_ref"] = unplaced[0]
        else:
            ctx.keep("\n".join(unplaced), "recipients")
    data["recipients"] = recipients


_NAMED = re.compile(r"^(?P<name>[^():]{1,200}?)\s*\((?P<detail>[^()]{1,200})\)$")


def _named_recipient(line: str, ctx: RowContext) -> dict[str, Any] | None:
    """'Mailchimp (processor)' or 'PayCloud (processor, US)': a recipient named with its role or country.

    The category is the name's own if it names one, else 'other third parties' (recorded as a decision, so
    the preview shows the guess).
    """
    shaped = _NAMED.match(line)
    if shaped is None or len(shaped.group("name")) > SHORT_MAX:
        return None
    recipient: dict[str, Any] = {"name": shaped.group("name").strip()}
    for part in (p.strip() for p in shaped.group("detail").split(",")):
        role = ctx.mapper.one("recipient_roles", part) if part else None
        country = match_country(part) if part and role is None else None
        if role is not None:
            ctx.note_match(role, "recipient_roles")
            recipient["role"] = role.key
        elif country is not None:
            recipient["country"] = country.key
        else:
            return None
    category = ctx.mapper.one("recipient_categories", recipient["name"])
    recipient["category"] = category.key if category else "other_third_parties"
    ctx.mapper.record(ctx.sheet, ctx.row, ctx.heading, line, "recipient_categories", recipient["category"],
                      category.how if category else "guessed")
    return recipient


def _derive_name(data: dict[str, Any], ctx: RowContext) -> None:
    """The ICO template has no name column: use the purpose's first sentence (or the business function)."""
    if data.get("name", ""):
        return
    for source in ("purpose", "business_function"):
        text = " ".join(str(data.get(source, "")).split())
        if not text:
            continue
        first = re.split(r"(?<=[.;!?])\s", text, maxsplit=1)[0].rstrip(".;")
        if len(first) > NAME_LENGTH:
            first = first[:NAME_LENGTH].rsplit(" ", 1)[0] + "…"
        data["name"] = first
        ctx.mapper.record(ctx.sheet, ctx.row, "Processing activity", text[:120], "name",
                          f"named from {source.replace('_', ' ')}", "derived")
        return
    ctx.heading = "Processing activity"
    ctx.error("the row has no activity name, purpose or business function to name the activity by")


def field_heading(parsed: ParsedRow, field: str, columns: list[HeadedColumn]) -> str:
    """The heading to name in a message about ``field``: the file's own, else the export's."""
    if field in parsed.headings:
        return parsed.headings[field]
    for headed in columns:
        if headed.column is not None and field in headed.column.fields:
            return headed.heading
    exact = next((c.heading for c in COLUMNS if c.exact and c.fields == (field,)), None)
    return exact or any_field_label(field)
