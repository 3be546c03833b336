"""An import in two steps: a plan the user can read (nothing written), then one all-or-nothing transaction.

The plan holds the validated activities (packed: see ``packed.py``), the entities that will be created,
every mapping decision (text -> key, with how many rows used it), the text
kept unmapped, and every problem by sheet, row and column. Applying it is one
transaction: the entities, the activities, their audit rows and one audit row
for the import itself (file name, SHA-256, row count). If anything fails,
nothing is written.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import ValidationError

from ropa.auth import Role, User, require
from ropa.columns import CellValue, cell_text
from ropa.errors import ConflictError, NotFound, RopaError
from ropa.gcpause import gc_paused
from ropa.ingest.files import KIND_NAMES, ImportRejected, Limits, Source, start_source
from ropa.ingest.headings import heading_key
from ropa.ingest.layout import EntityTable, Table, contact_block, contact_heading, read_sheet
from ropa.ingest.mapping import IGNORE, NOTE, Mapping, signature
from ropa.ingest.matching import Action, Existing, default_action, find_existing
from ropa.ingest.packed import PackedActivities
from ropa.ingest.rows import (
    Decision,
    Issue,
    Mapper,
    ParsedRow,
    field_heading,
    parse_rows,
    row_steps,
    skipped_columns,
)
from ropa.ingest.shapes import FORM_ROLE as _FORM_ROLE
from ropa.ingest.shapes import (
    Related,
    is_related_sheet,
    join_related,
    merge_repeated_rows,
    read_related,
    systems_as_lists,
)
from ropa.ingest.vocab import matchers
from ropa.legal.regimes import regime_from_cell
from ropa.models import SHORT_MAX, Activity, Entity, parse_entity, validation_failed
from ropa.reference import load_reference, lookup_country
from ropa.storage import audit
from ropa.storage.activities import (
    BULK_MEMORY_LIMIT,
    WRITE_CHUNK,
    add_activity_columns,
    load_activities,
    update_in,
)
from ropa.storage.database import Database, utcnow
from ropa.storage.entities import find_entity, insert_entities, list_entities, reserve_entity_ids
from ropa.storage.import_log import insert_import, last_import_of
from ropa.storage.mappings import MappingProfile, find_profile

MAX_ISSUES_SHOWN = 1_000


@dataclass
class PlannedEntity:
    """An entity the import uses: an existing one (``id`` set) or one it will create."""

    name: str
    entity: Entity
    id: int | None
    placeholder: int
    parent: str = ""
    source: str = ""

    @property
    def new(self) -> bool:
        return self.id is None


@dataclass
class ImportPlan:
    file_name: str
    sha256: str
    size: int
    kind: str
    activities: PackedActivities = field(default_factory=PackedActivities)
    """The validated activities, each built as a model when it is read."""
    origins: list[tuple[str, int]] = field(default_factory=list)
    entities: list[PlannedEntity] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows_read: int = 0
    refs: list[str] = field(default_factory=list)
    """Each activity's reference in the file (Record id, N° / RÉF, ref_id), '' if none."""
    provided: list[frozenset[str]] = field(default_factory=list)
    """The fields each activity's row has a column for: the fields an update changes."""
    existing: dict[int, Existing] = field(default_factory=dict)
    """Activities (by position) already in the register, with what updating them would change."""
    actions: list[Action] = field(default_factory=list)
    """What applying does with each activity: add, update (its match) or skip."""
    mapping_rows: list[dict[str, object]] = field(default_factory=list)
    """Each source column: the field it maps to, how that was decided and how sure it is."""
    mapping: Mapping = field(default_factory=dict)
    """The mapping in effect (heading key -> field), as a profile saves it."""
    signature: str = ""
    """The signature of the file's headings, which finds a saved profile again."""

    def mapping_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.mapping_rows, columns=["sheet", "source column", "field", "reads as", "how",
                                                        "confidence"])

    def choose(self, position: int, action: Action) -> None:
        """Set what happens to one activity; only a matched activity can be updated or skipped."""
        if action != "add" and position not in self.existing:
            raise RopaError(f"Activity '{self.activities[position].name}' is not in the register yet; it can only "
                            "be added.")
        self.actions[position] = action

    def matches_frame(self) -> pd.DataFrame:
        names = self.activities.field("name")
        rows = [{"position": i, "sheet": self.origins[i][0], "row": self.origins[i][1],
                 "activity": names[i], "matches": f"activity {m.activity_id} (by {m.how})",
                 "fields that would change": ", ".join(m.changes) or "(none)", "action": self.actions[i]}
                for i, m in sorted(self.existing.items())]
        return pd.DataFrame(rows, columns=["position", "sheet", "row", "activity", "matches",
                                           "fields that would change", "action"])

    @property
    def ok(self) -> bool:
        return not self.issues and bool(self.activities)

    @property
    def new_entities(self) -> list[PlannedEntity]:
        return [e for e in self.entities if e.new]

    def unmapped_frame(self) -> pd.DataFrame:
        rows = [{"sheet": s, "row": r, "activity": name, "field": k, "text kept": v}
                for name, unmapped, (s, r) in zip(self.activities.field("name"), self.activities.field("unmapped"),
                                                  self.origins, strict=True) for k, v in unmapped]
        return pd.DataFrame(rows, columns=["sheet", "row", "activity", "field", "text kept"])

    def issues_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"sheet": i.sheet, "row": i.row, "column": i.column, "problem": i.message}
                             for i in self.issues[:MAX_ISSUES_SHOWN]],
                            columns=["sheet", "row", "column", "problem"])

    def decisions_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"column": d.column, "text": d.text, "read as": d.label, "key": d.key, "vocabulary": d.vocabulary,
              "how": d.how, "rows": d.rows, "first row": f"{d.sheet} {d.first_row}"} for d in self.decisions],
            columns=["column", "text", "read as", "key", "vocabulary", "how", "rows", "first row"])

    def activities_frame(self) -> pd.DataFrame:
        names = {e.id if e.id is not None else e.placeholder: e.name for e in self.entities}
        field = self.activities.field
        return pd.DataFrame(
            [{"sheet": s, "row": r, "entity": names.get(entity_id, ""), "activity": name, "role": role,
              "lawful bases": ", ".join(bases), "unmapped fields": ", ".join(k for k, _ in unmapped)}
             for entity_id, name, role, bases, unmapped, (s, r) in zip(
                 field("entity_id"), field("name"), field("role"), field("lawful_bases"), field("unmapped"),
                 self.origins, strict=True)],
            columns=["sheet", "row", "entity", "activity", "role", "lawful bases", "unmapped fields"])

    def unmapped_count(self) -> int:
        """How many texts of the file are kept unmapped, over all activities."""
        return sum(map(len, self.activities.field("unmapped")))

    def summary(self) -> str:
        created = len(self.new_entities)
        text = (f"{self.file_name}: {self.rows_read:,} rows read, {len(self.activities):,} activities ready, "
                f"{created} new entit{'y' if created == 1 else 'ies'}, {len(self.decisions):,} mapping decisions, "
                f"{self.unmapped_count():,} texts kept unmapped")
        if self.issues:
            rows = len({(i.sheet, i.row) for i in self.issues if i.row is not None})
            text += f"; {len(self.issues):,} problems in {rows:,} rows - nothing will be imported"
        return text


@dataclass(frozen=True)
class ImportResult:
    activity_ids: list[int]
    entity_ids: list[int]
    file_name: str
    sha256: str
    updated_ids: list[int] = field(default_factory=list)
    skipped: int = 0


# -- entities --------------------------------------------------------------------------------

def _existing_entities(db: Database) -> dict[str, tuple[int, Entity]]:
    return {e.name.lower(): (int(e.id or 0), e) for e in list_entities(db, include_archived=True)}


def _entity_from_contacts(block: dict[str, dict[str, str]], processor: bool, notes: list[str]) -> Entity | None:
    """The controller (or processor) named in the template's contact block."""
    own = block.get("processor" if processor and "processor" in block else "controller") or {}
    name = own.get("name", "").strip()
    if not name:
        return None
    dpo = block.get("dpo", {})
    representative = block.get("representative", {})
    data: dict[str, Any] = {
        "name": name[:500], "kind": "processor" if processor else "controller",
        "address": own.get("address", ""), "email": own.get("email", ""), "phone": own.get("phone", "")[:500],
        "dpo_name": dpo.get("name", "")[:500], "dpo_email": dpo.get("email", ""),
        "dpo_phone": dpo.get("phone", "")[:500],
        "representative_name": representative.get("name", "")[:500],
        "representative_contact": "\n".join(v for k, v in representative.items() if k != "name"),
    }
    extra = []
    if dpo.get("address"):
        extra.append(f"DPO address: {dpo['address']}")
    for email_field in ("email", "dpo_email"):
        try:
            parse_entity({"name": "x", email_field: data[email_field]})
        except RopaError:
            extra.append(f"{email_field.replace('_', ' ')} as written in the contact block: {data[email_field]}")
            notes.append(f"Contact block: '{data[email_field]}' is not an email address; it was kept in the "
                         "entity's notes.")
            data[email_field] = ""
    data["notes"] = "\n".join(extra)
    return parse_entity(data)


def _entity_from_row(record: dict[str, str]) -> tuple[Entity, str]:
    """An entity from the export's contact table (cover sheet); returns it and its parent's name."""
    ref = load_reference()
    kinds = {t.label.casefold(): t.key for t in ref.vocabulary("entity_kinds")}
    data: dict[str, Any] = {k: v for k, v in record.items()
                            if k not in ("parent", "kind", "country", "dpo_required", "regime")}
    data["kind"] = kinds.get(record.get("kind", "").strip().casefold(), record.get("kind") or "controller")
    data["regime"] = regime_from_cell(record.get("regime", ""))
    country = record.get("country", "").strip()
    data["country"] = (lookup_country(country) or country) if country else "GB"
    answer = record.get("dpo_required", "").strip().casefold()
    data["dpo_required"] = True if answer == "yes" else False if answer == "no" else None
    return parse_entity(data), record.get("parent", "")


class _Entities:
    """Resolves the entity each row names: existing by name, else planned (from the cover or contact block)."""

    def __init__(self, db: Database, plan: ImportPlan) -> None:
        self.plan = plan
        self.existing = _existing_entities(db)
        self.specs: dict[str, tuple[Entity, str, str]] = {}
        self.planned: dict[str, PlannedEntity] = {}

    def offer(self, entity: Entity, parent: str, source: str) -> None:
        self.specs.setdefault(entity.name.lower(), (entity, parent, source))

    def resolve(self, name: str) -> PlannedEntity:
        """The entity called ``name`` (ignoring case, as entity names are unique ignoring case)."""
        key = name.lower()
        if key not in self.planned and key not in self.existing and key not in self.specs:
            stripped = key.strip()
            if stripped in self.planned or stripped in self.existing or stripped in self.specs:
                key, name = stripped, name.strip()
        if key in self.planned:
            return self.planned[key]
        if key in self.existing:
            entity_id, entity = self.existing[key]
            planned = PlannedEntity(entity.name, entity, entity_id, entity_id, source="existing")
        else:
            spec = self.specs.get(key)
            if spec is None:
                entity, parent = parse_entity({"name": name}), ""
                source = "named in the file only (created with defaults: country GB; complete it on Entities)"
            else:
                entity, parent, source = spec
            if parent:
                self.resolve(parent)
            planned = PlannedEntity(entity.name, entity, None, -(len(self.plan.new_entities) + 1), parent, source)
        self.planned[key] = planned
        self.plan.entities.append(planned)
        return planned


# -- the plan ----------------------------------------------------------------------------------

def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plan_import(db: Database, data: bytes, file_name: str, *, entity: str | None = None,
                limits: Limits | None = None, mapping: Mapping | None = None,
                use_profiles: bool = True, keep_open: ExitStack | None = None) -> ImportPlan:
    """Read ``data`` and work out exactly what importing it would do; writes nothing.

    ``entity`` names (or gives the id of) an existing entity: the controller of
    rows that do not say whose they are. ``mapping`` overrides how headings
    map to fields; without one, a saved profile for files with the same
    headings is applied (``use_profiles``). Raises ``ImportRejected`` when the
    file cannot be imported at all; row problems are collected in the plan.
    With ``keep_open``, the register stays open on that stack from the plan's
    last check, so a write that follows at once does not open the file again
    (about 25 ms).
    """
    with gc_paused(), ExitStack() as checked:
        plan, profile = _plan_import(db, data, file_name, entity=entity, limits=limits, mapping=mapping,
                                     use_profiles=mapping is None and use_profiles, keep_open=checked)
        if profile is not None:
            checked.close()  # not held open while the file is planned again
            plan, _ = _plan_import(db, data, file_name, entity=entity, limits=limits, mapping=profile.mapping,
                                   use_profiles=False, keep_open=checked)
            plan.notes.insert(0, f"Mapping profile '{profile.name}' (saved by {profile.saved_by} on "
                                 f"{profile.saved_at:%Y-%m-%d}) was applied: this file has the same headings.")
        if keep_open is not None:
            keep_open.enter_context(checked.pop_all())
        return plan


def _plan_import(db: Database, data: bytes, file_name: str, *, entity: str | None, limits: Limits | None,
                 mapping: Mapping | None, use_profiles: bool,
                 keep_open: ExitStack) -> tuple[ImportPlan, MappingProfile | None]:
    """The plan, and the saved profile for files with its headings when ``use_profiles`` (to plan again with).

    The register is left open on ``keep_open`` from the last check on.
    """
    limits = limits or Limits()
    opening = start_source(data, file_name, limits)  # the file is read by child processes meanwhile
    try:
        plan = ImportPlan(file_name=file_name, sha256=sha256_hex(data), size=len(data), kind="")
        entities = _Entities(db, plan)
        default: str | None = None
        wanted: str | None = None  # an --entity the file's own contact block may create
        if entity:
            try:
                default = find_entity(db, entity).name
            except NotFound:
                wanted = entity
        matchers()  # build the synonym index before timing-sensitive work, and fail early if it is broken
        source = opening.source()
    finally:
        opening.close()
    del opening  # with it go the readers' answer as it crossed (pickled cells, as big again as the cells)
    plan.kind = KIND_NAMES.get(source.kind, source.kind)
    sheets = _read_sheets(plan, source, entities, limits, mapping)
    del source  # from here the cells are held by the tables only, which let them go as each is planned
    tables, hidden, listed = _combine_sheets(sheets.tables, sheets.related), sheets.hidden, sheets.listed
    if not tables:
        raise ImportRejected(
            f"No heading row found in '{file_name}': none of the first 20 rows of any visible sheet holds the ICO "
            "template's headings (such as 'Business function', 'Purpose of processing', 'Categories of "
            "individuals'). Put the headings in one row above the activities and import again."
            + (f" Hidden sheets were not read: {', '.join(repr(h) for h in hidden)}." if hidden else "")
        )
    contacts = [_entity_from_contacts(contact_block(table.above), table.processor, plan.notes) for table in tables]
    if wanted is not None:
        named = [c.name for c in contacts if c is not None]
        if not any(name.casefold() == wanted.strip().casefold() for name in named):
            also = f" (the file's contact block names {', '.join(repr(n) for n in named)})" if named else ""
            raise NotFound(f"There is no entity named '{wanted}'{also}. Add it first with `entity add`, or name an "
                           "existing one (`entity list`).")
        default = next(n for n in named if n.casefold() == wanted.strip().casefold())
    for table, contact in zip(tables, contacts, strict=True):
        table_default = default
        if contact is not None:
            entities.offer(contact, "", f"contact block of sheet '{table.sheet}'")
            table_default = default or contact.name
        _plan_table(plan, table, entities, table_default)
    if plan.rows_read == 0:
        raise ImportRejected(f"'{file_name}' has the register's headings but no activity rows below them.")
    for name in listed:
        entities.resolve(name)
    plan.mapping_rows = [
        {"sheet": t.sheet, "source column": h.heading,
         "field": h.column.key if h.column is not None else IGNORE if h.how == "ignored" else NOTE,
         "reads as": h.column.heading if h.column is not None else "not read" if h.how == "ignored"
         else "kept as a note", "how": h.how,
         "confidence": h.confidence}
        for t in tables if not t.form for h in t.columns]
    plan.signature = signature(h.heading for t in tables if not t.form for h in t.columns)
    plan.mapping = {heading_key(str(r["source column"])): str(r["field"]) for r in plan.mapping_rows}
    ignored = [k for k, v in plan.mapping.items() if v == IGNORE]
    if ignored:
        plan.notes.append(f"{len(ignored):,} source columns are ignored by the mapping and were not read.")
    keep_open.enter_context(db.kept_open())  # four short reads and maybe the write: one opening of the file
    plan.existing = find_existing(db, plan.activities, plan.refs, plan.provided)
    plan.actions = [default_action(plan.existing.get(i)) for i in range(len(plan.activities))]
    _note_duplicates(db, plan)
    profile = find_profile(db, plan.signature) if use_profiles and plan.signature else None
    plan.decisions = sorted(plan.decisions, key=lambda d: (d.column, -d.rows, d.text))
    return plan, profile


@dataclass
class _Sheets:
    """What the sheets of a file hold, before the activities are read from its tables."""

    tables: list[Table] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    listed: list[str] = field(default_factory=list)
    """Entities of an entity table: part of the register even without activities."""
    related: list[Related] = field(default_factory=list)
    """Sheets that add to another sheet's activities (CISO Assistant's workbook)."""


def _read_sheets(plan: ImportPlan, source: Source, entities: _Entities, limits: Limits,
                 mapping: Mapping | None) -> _Sheets:
    """Each visible sheet as a table of activities, a table of entities or a related sheet; notes in the plan."""
    sheets = _Sheets()
    for sheet in source.sheets:
        if sheet.hidden:
            sheets.hidden.append(sheet.name)
            plan.notes.append(f"Sheet '{sheet.name}' is hidden and was not read; unhide it to import it.")
            continue
        found = read_sheet(sheet, limits, mapping)
        if found is None:
            linked = read_related(sheet.name, list(sheet.read_rows(0))) if is_related_sheet(sheet.name) else None
            if linked is not None:
                sheets.related.append(linked)
            continue
        if isinstance(found, Table):
            sheets.tables.append(found)
            plan.notes.extend(found.notes)
        elif isinstance(found, EntityTable):
            for number, record in found.rows:
                try:
                    spec, parent = _entity_from_row(record)
                except RopaError as error:
                    raise ImportRejected(f"Sheet '{found.sheet}' row {number}: entity "
                                         f"'{record.get('name', '')}': {error}") from None
                entities.offer(spec, parent, f"contact table on sheet '{found.sheet}'")
                sheets.listed.append(spec.name)
    return sheets


def _combine_sheets(tables: list[Table], related: list[Related]) -> list[Table]:
    """Related sheets and one-activity forms joined to the list they belong to; repeated rows combined."""
    forms = [t for t in tables if t.form]
    lists = [t for t in tables if t not in forms]
    if lists and forms:
        for form in forms:
            record = {h.column.key: cell_text(form.rows[0][1][h.index]) for h in form.columns
                      if h.column is not None and h.index < len(form.rows[0][1])}
            ref = record.get("id") or record.get("name") or ""
            if ref and join_related(lists[0], [Related(form.sheet, _FORM_ROLE, [(ref, record)])]):
                tables.remove(form)
    for table in tables:
        if related:
            join_related(table, related)
        merge_repeated_rows(table)
        systems_as_lists(table)
    return tables


def _plan_table(plan: ImportPlan, table: Table, entities: _Entities, default: str | None) -> None:
    mapper = Mapper()
    contacts = {h.index: found for h in table.columns
                if (h.column is None or h.column.key == "entity") and (found := contact_heading(h.heading))}
    steps, headings = row_steps(table, skipped_columns(table))
    steps = [s for s in steps if s.index not in contacts or (s.column is not None and s.column.key == "entity")]
    unnamed: list[int] = []
    # Every row of a table has the same columns: one set of provided fields for all of them (with or without the
    # file's own reference), not a set per row (at 50,000 activities those were 100 MB).
    provided = {False: frozenset(headings), True: frozenset(headings) | {"source_section"}}
    for (number, values), parsed in zip(table.rows, parse_rows(table, mapper, steps, headings), strict=True):
        plan.rows_read += 1
        if contacts:
            _offer_row_contacts(table, values, contacts, entities, plan.notes)
        name = parsed.entity_name or default
        if not name:
            unnamed.append(number)
            continue
        planned = entities.resolve(name)
        parsed.data["entity_id"] = planned.id if planned.id is not None else planned.placeholder
        _validate(plan, table, parsed, provided)
    if unnamed:
        raise ImportRejected(
            f"The file does not say whose register it is (sheet '{table.sheet}', {len(unnamed):,} rows from row "
            f"{unnamed[0]}): there is no contact block naming the Controller above the headings and no 'Entity' "
            "column. Choose the controller: --entity NAME on the command line, or 'Controller' on the Import page."
        )
    plan.decisions.extend(mapper.decisions.values())
    table.rows = []  # the cells are read: let them go before the next table, and before the write


def _offer_row_contacts(table: Table, values: tuple[CellValue, ...], contacts: dict[int, tuple[str, str]],
                        entities: _Entities, notes: list[str]) -> None:
    """Controller and DPO details repeated on every row ('Controller email', 'DPO name') describe the entity."""
    block: dict[str, dict[str, str]] = {}
    for index, (role, field_name) in contacts.items():
        text = cell_text(values[index]).strip() if index < len(values) else ""
        if text:
            block.setdefault(role, {})[field_name] = text
    try:
        spec = _entity_from_contacts(block, table.processor, notes)
    except RopaError:
        return  # the row's own problems are reported by its validation
    if spec is not None:
        entities.offer(spec, "", f"contact columns of sheet '{table.sheet}'")


def _validate(plan: ImportPlan, table: Table, parsed: ParsedRow, provided: dict[bool, frozenset[str]]) -> None:
    plan.issues.extend(parsed.issues)
    if parsed.issues:
        return
    ref = parsed.record_id
    if ref and not ref.isdigit() and not parsed.data.get("source_section"):
        parsed.data["source_section"] = ref[:SHORT_MAX]  # the file's own reference, matched on re-import
    try:
        activity = Activity.model_validate(parsed.data)
    except ValidationError as error:
        failed = validation_failed(error)
        for detail, field_error in zip(error.errors(), failed.errors, strict=True):
            loc = detail["loc"]
            name = str(loc[0]) if loc else ""
            where = field_heading(parsed, name, table.columns) if name else "(row)"
            message = field_error.message if not loc or len(loc) == 1 else str(field_error)
            plan.issues.append(Issue(table.sheet, parsed.row, where, message))
        return
    plan.activities.append(activity)
    plan.origins.append((table.sheet, parsed.row))
    plan.refs.append(parsed.record_id)
    plan.provided.append(provided["source_section" in parsed.data])


def _note_duplicates(db: Database, plan: ImportPlan) -> None:
    """Warn when the register already has an activity of the same name for the same entity."""
    pairs = [(i, entity_id, name) for i, (entity_id, name)
             in enumerate(zip(plan.activities.field("entity_id"), plan.activities.field("name"), strict=True))
             if entity_id > 0]
    if pairs:
        frame = pd.DataFrame(pairs, columns=["position", "entity_id", "name"])
        with db.connect() as con:
            con.register("planned_names", frame)
            try:  # activities of the file, not pairs: two stored copies of one name still count once
                count = con.execute(
                    "SELECT count(DISTINCT p.position) FROM planned_names p JOIN activities a "
                    "ON a.entity_id = p.entity_id AND a.name = p.name AND a.status <> 'archived'"
                ).fetchall()[0][0]
            finally:
                con.unregister("planned_names")
        if count and not plan.existing:
            plan.notes.append(f"{count:,} activities in the file have the same name and entity as activities "
                              "already in the register; importing adds them again as separate records.")
    if plan.existing:
        updates = sum(1 for i in plan.existing if plan.actions[i] == "update")
        plan.notes.append(f"{len(plan.existing):,} activities in the file are already in the register: {updates:,} "
                          f"would be updated (only the fields the file has columns for) and "
                          f"{len(plan.existing) - updates:,} are unchanged and skipped. Choose add, update or skip "
                          "per activity.")
    earlier = last_import_of(db, plan.sha256)
    if earlier:
        at, actor = earlier
        plan.notes.append(f"This very file (same SHA-256) was already imported on {at:%Y-%m-%d %H:%M} UTC by {actor}.")


# -- applying it -------------------------------------------------------------------------------

def apply_import(db: Database, user: User, plan: ImportPlan) -> ImportResult:
    """Write the planned entities and activities in one transaction, with the import's audit row."""
    require(user, Role.ADMIN, "import registers")
    if plan.issues:
        raise RopaError(f"{len(plan.issues):,} problems in '{plan.file_name}' (first: row {plan.issues[0].row}, "
                        f"{plan.issues[0].column}: {plan.issues[0].message}); nothing was imported.")
    if not plan.activities:
        raise RopaError(f"'{plan.file_name}' holds no activities to import.")
    detail = f"imported from {plan.file_name} (sha256 {plan.sha256})"
    # DuckDB's memory is capped meanwhile: beyond the cap the uncommitted rows wait in a file, not in memory.
    with gc_paused(), db.transaction(memory_limit=BULK_MEMORY_LIMIT) as con:
        ids: dict[int, int] = {}
        names: dict[str, int] = {}
        fresh = iter(reserve_entity_ids(con, len(plan.new_entities)))
        batch = []
        for planned in plan.entities:
            new_id = planned.id if planned.id is not None else next(fresh)
            if planned.id is None:
                parent_id = names.get(planned.parent.lower()) if planned.parent else None
                batch.append(planned.entity.model_copy(update={"parent_id": parent_id, "id": new_id}))
            ids[planned.placeholder] = new_id
            names[planned.name.lower()] = new_id
        insert_entities(con, user, batch, detail=detail)
        actions = plan.actions or ["add"] * len(plan.activities)
        added = [i for i, action in enumerate(actions) if action == "add"]
        # A chunk of columns at a time, read from the packed plan without a model per activity; every chunk is
        # stamped with the import's one time. Only the new ids come back: a stored copy would cost more.
        at = utcnow()
        new_ids = [new_id for chunk in plan.activities.columns(added, WRITE_CHUNK)
                   for new_id in add_activity_columns(con, user, chunk, at=at, detail=detail, entity_ids=ids)]
        updated = _apply_updates(con, user, plan, actions, detail)
        audit.record(con, user, "import", "import", None, detail=json.dumps({
            "file": plan.file_name, "sha256": plan.sha256, "bytes": plan.size, "rows": plan.rows_read,
            "activities": len(new_ids), "updated": updated,
            "skipped": sum(1 for a in actions if a == "skip"),
            "entities_created": [e.name for e in plan.new_entities],
        }, ensure_ascii=False))
        insert_import(con, user, plan.file_name, plan.sha256, len(new_ids), len(updated))
    return ImportResult(new_ids,
                        [ids[e.placeholder] for e in plan.new_entities], plan.file_name, plan.sha256, updated,
                        sum(1 for a in actions if a == "skip"))


def _apply_updates(con: Any, user: User, plan: ImportPlan, actions: list[Action], detail: str) -> list[int]:
    """Update each matched activity the user chose to update; refused if it changed since the preview."""
    chosen = [plan.existing[i] for i, action in enumerate(actions) if action == "update"]
    if not chosen:
        return []
    current = {a.id: a for a in load_activities(con, [m.activity_id for m in chosen])}
    for match in chosen:
        stored = current.get(match.activity_id)
        if stored is None or stored.version != match.version:
            raise ConflictError(f"Activity {match.activity_id} '{plan.activities[match.position].name}'",
                                match.version, stored.version if stored else 0, stored.updated_by if stored else "",
                                "since the preview", {})
        if stored.content() != match.updated.content():
            update_in(con, user, stored, match.updated, match.version, detail=detail)
    return [m.activity_id for m in chosen]

