"""Between the activity form and the model: sections, table rows, errors and merging.

The form is laid out as Article 30(1) reads, so a validation message is shown
in the section that holds the field. A conflicting save is resolved by a
three-way merge: what the other person changed is kept unless the user
changed the same field too, which is then shown as a clash to decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from pydantic import BaseModel, ValidationError

from ropa.errors import FieldError, ValidationFailed
from ropa.labels import ROW_NOUNS, cell_label, field_label
from ropa.models import Activity, Entity, Recipient, Transfer, Vendor


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    article: str
    fields: tuple[str, ...]


SECTIONS: tuple[Section, ...] = (
    Section("controller", "Controller and role", "Art. 30(1)(a), 30(2)(a)",
            ("entity_id", "role", "controller_served", "joint_controllers", "joint_arrangement_ref")),
    Section("purpose", "Purpose of the processing", "Art. 30(1)(b)", ("name", "business_function", "purpose")),
    Section("data", "Individuals and personal data", "Art. 30(1)(c)",
            ("data_subjects", "data_categories", "data_source")),
    Section("recipients", "Recipients", "Art. 30(1)(d)", ("recipients",)),
    Section("transfers", "Transfers to third countries", "Art. 30(1)(e), 30(2)(c)", ("transfers",)),
    Section("retention", "Retention", "Art. 30(1)(f)",
            ("retention_kind", "retention_months", "retention_trigger", "retention_rule", "retention_policy_ref")),
    Section("security", "Security measures", "Art. 30(1)(g), 32(1)",
            ("security_measures", "security_description", "systems", "data_location")),
    Section("lawful", "Lawful basis and conditions", "Art. 6(1), 9(2), 10",
            ("lawful_bases", "legitimate_interest", "lia_ref", "consent_record_ref", "art9_conditions",
             "art10_basis", "dpa_schedule1_condition")),
    Section("assessment", "DPIA, automated decisions and rights", "Art. 35, 22, 12-22",
            ("dpia_required", "dpia_status", "dpia_ref", "dpia_criteria", "dpia_not_required_reason",
             "dpia_decided_by", "adm", "adm_description", "adm_basis", "rights_available", "breach_ref")),
    Section("duties", "Further duties the gap analysis checks", "Art. 6(3), 7, 8, 22(3), 28; DPA 2018 Sch. 1 Part 4",
            ("law_relied_on", "member_state_law", "consent_withdrawal", "parental_consent", "adm_safeguards",
             "eprivacy_consent", "controller_contract_ref", "subprocessor_authorisation", "appropriate_policy_ref",
             "retention_per_policy", "policy_deviation_reasons")),
    Section("governance", "Owner, source and review", "Art. 5(2), 24",
            ("owner", "status", "last_reviewed", "next_review_due", "superseded_on", "source_document",
             "source_section", "notes")),
)
SECTION_OF_FIELD: dict[str, str] = {f: s.key for s in SECTIONS for f in s.fields}
GENERAL = "general"

_MODEL_RULE_FIELDS = (("retention", "retention_kind"), ("review", "next_review_due"))
"""Checks across fields (model validators) name no field; the words of their message say which it is."""


def section_of(error: FieldError) -> str:
    """The form section a validation message belongs to, by the field key it carries (``general`` when none)."""
    return SECTION_OF_FIELD.get(error.key, GENERAL)


def errors_by_section(errors: Iterable[FieldError]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for error in errors:
        grouped.setdefault(section_of(error), []).append(message_text(error))
    return grouped


def message_text(error: FieldError) -> str:
    """One validation message as a sentence naming the field as the form shows it."""
    message = error.message.strip().rstrip(".")
    if not error.field:
        return message[:1].upper() + message[1:] + "."
    if message.startswith(("is ", "must ", "needs ")):
        return f"{error.field} {message}."
    return f"{error.field}: {message[:1].upper()}{message[1:]}."


def _pydantic_message(error: Mapping[str, Any]) -> str:
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    ctx = error.get("ctx") or {}
    if error["type"] == "string_too_long":
        return f"is too long ({len(error['input']):,} characters; at most {ctx['max_length']:,})"
    if error["type"] in ("string_too_short", "too_short") and ctx.get("min_length") == 1:
        return "is required"
    return message


def form_error(error: Mapping[str, Any], record: str = "activity") -> FieldError:
    """A pydantic error as a message keyed by the record field it concerns and named as the form names it."""
    loc = tuple(error["loc"])
    message = _pydantic_message(error)
    if not loc:
        lowered = message.lower()
        key = next((f for word, f in _MODEL_RULE_FIELDS if word in lowered), "")
        return FieldError("", message, key)
    key = str(loc[0])
    if key in ROW_NOUNS and len(loc) >= 2 and isinstance(loc[1], int):
        name = f"{ROW_NOUNS[key]} row {loc[1] + 1}"
        if len(loc) >= 3:
            name += f", {cell_label(key, str(loc[2]))}"
        return FieldError(name, message, key)
    name = field_label(key, record)
    if len(loc) >= 2 and isinstance(loc[1], int):
        name += f" (item {loc[1] + 1})"
    return FieldError(name, message, key)


def form_errors(error: ValidationError, record: str = "activity") -> ValidationFailed:
    return ValidationFailed([form_error(e, record) for e in error.errors()])


ROW_MODELS: dict[str, type[BaseModel]] = {"recipients": Recipient, "transfers": Transfer}
ROW_COLUMNS: dict[str, tuple[str, ...]] = {name: tuple(model.model_fields) for name, model in ROW_MODELS.items()}
REQUIRED_CELLS: dict[str, tuple[str, ...]] = {
    name: tuple(f for f, info in model.model_fields.items() if info.is_required()) for name, model in ROW_MODELS.items()
}
"""The cells a recipient or transfer row cannot do without (read from the model, so a new column needs no edit)."""
DATE_CELLS: dict[str, tuple[str, ...]] = {
    name: tuple(f for f, info in model.model_fields.items() if info.annotation in (date, date | None))
    for name, model in ROW_MODELS.items()
}
"""The cells of a row that hold a day (the record's JSON content carries them as ISO text)."""
RECIPIENT_COLUMNS = ROW_COLUMNS["recipients"]
TRANSFER_COLUMNS = ROW_COLUMNS["transfers"]
_OPTIONAL_CODES = {"role", "country", "mechanism", "contract_date", "organisation", "authority_informed_on"}
"""Coded table cells that may be left empty (stored as null, not as an empty string)."""


def _cell(value: Any) -> Any:
    """A table cell with pandas' missing markers (None, NaN, NA, NaT) read as empty."""
    if value is None or isinstance(value, str):
        return value
    try:
        missing = bool(pd.isna(value))
    except (TypeError, ValueError):
        missing = False
    return None if missing else value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def table_rows(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows from an editable table as model input: rows with nothing typed dropped, empty cells made empty."""
    result = []
    for row in rows:
        cells = {c: _cell(row.get(c)) for c in columns}
        if all(_blank(v) for v in cells.values()):
            continue
        clean: dict[str, Any] = {}
        for column, value in cells.items():
            if column in _OPTIONAL_CODES:
                clean[column] = None if _blank(value) else value
            else:
                clean[column] = "" if value is None else value
        result.append(clean)
    return result


def row_problems(table: str, rows: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """What is wrong with each row that holds something: a required cell left empty, or a cell the model refuses.

    A row is never dropped for being incomplete: the user fills it in or deletes it.
    """
    problems: list[FieldError] = []
    model = ROW_MODELS[table]
    for number, row in enumerate(rows, start=1):
        missing = [c for c in REQUIRED_CELLS[table] if _blank(row.get(c))]
        problems += [FieldError(f"{ROW_NOUNS[table]} row {number}",
                                f"{cell_label(table, c)} is missing: fill it in, or delete the row", table)
                     for c in missing]
        try:
            model.model_validate(row)
        except ValidationError as error:
            problems += [form_error({**e, "loc": (table, number - 1, *e["loc"])}) for e in error.errors()
                         if not (e["loc"] and e["loc"][0] in missing)]
    return problems


def activity_from_form(base: Mapping[str, Any], values: Mapping[str, Any]) -> Activity:
    """The activity the form describes: ``base`` (stored or new) overlaid with the form's values.

    Raises ``ValidationFailed`` with field-keyed messages (each incomplete
    recipient or transfer row among them); nothing is saved.
    """
    data = {**base, **values}
    if data.get("retention_kind") != "period":
        data["retention_months"] = None
    problems: list[FieldError] = []
    for name, columns in ROW_COLUMNS.items():
        if name in values:
            rows = table_rows(values[name], columns)
            found = row_problems(name, rows)
            problems += found
            data[name] = [] if found else rows  # the rows are reported above; the rest is still checked
    try:
        activity = Activity.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed(problems + form_errors(error).errors) from None
    if problems:
        raise ValidationFailed(problems)
    return activity


def entity_from_form(values: Mapping[str, Any]) -> Entity:
    """The entity the form describes; ``ValidationFailed`` messages are named as the entity form names fields."""
    try:
        return Entity.model_validate(dict(values))
    except ValidationError as error:
        raise form_errors(error, "entity") from None


def merge(base: Mapping[str, Any], mine: Mapping[str, Any],
          theirs: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Three-way merge of record content: returns the merged content and the fields both sides changed differently.

    A field only I changed keeps my value; a field only they changed takes
    theirs; a field we both changed to different values keeps mine and is
    reported, so the user decides knowingly instead of overwriting silently.
    """
    merged: dict[str, Any] = {}
    clashes: list[str] = []
    for field in dict.fromkeys([*base, *mine, *theirs]):
        b, m, t = base.get(field), mine.get(field), theirs.get(field)
        if m == b:
            merged[field] = t
        elif t == b or t == m:
            merged[field] = m
        else:
            merged[field] = m
            clashes.append(field)
    return merged, clashes


MANAGED_FIELDS: dict[str, str] = {"business_function": "business_functions", "systems": "systems"}
"""Activity fields whose values come from a managed list (``ropa.storage.vendors``), by the list they use."""


def _term_key(term: str) -> str:
    """What two ways of writing one term share: case and runs of spaces do not count."""
    return " ".join(term.split()).casefold()


@dataclass(frozen=True)
class ManagedValues:
    """The form's managed-list values as they are saved, what was changed in them, and what is new to a list."""

    values: dict[str, Any]
    notes: list[str]
    new_terms: dict[str, list[str]]


def managed_values(values: Mapping[str, Any], lists: Mapping[str, Sequence[str]]) -> ManagedValues:
    """Typed business functions and systems as their lists hold them.

    A value that equals a listed term apart from case or spaces is taken as that term, and a note says
    so ("Human resources" stays one function, not two); a value no list holds is kept as typed (runs of
    spaces made one) and named among the terms to add to its list.
    """
    result = dict(values)
    notes: list[str] = []
    new_terms: dict[str, list[str]] = {}
    for field, list_name in MANAGED_FIELDS.items():
        if field not in values:
            continue
        known = {_term_key(t): t for t in lists.get(list_name, ())}
        raw = values[field]
        typed = [raw or ""] if field == "business_function" else list(raw or [])
        taken: list[str] = []
        for value in typed:
            clean = " ".join(str(value).split())
            if not clean:
                continue
            listed = known.get(clean.casefold())
            if listed is None:
                known[clean.casefold()] = clean
                new_terms.setdefault(list_name, []).append(clean)
                taken.append(clean)
                continue
            if listed != value:
                notes.append(f"{field_label(field)}: '{value}' is saved as '{listed}', the term the list "
                             "already holds.")
            taken.append(listed)
        result[field] = (taken[0] if taken else "") if field == "business_function" else list(dict.fromkeys(taken))
    return ManagedValues(result, notes, new_terms)


def follow_vendors(activity: Activity, vendors: Mapping[int, Vendor]) -> tuple[Activity, list[str]]:
    """The activity with each recipient and transfer linked to a vendor showing it as the inventory holds it.

    A linked row takes its vendor's name, country and contract (a transfer keeps its country when the
    vendor has none), as a vendor's later change does; each row whose cells this changed is named, so
    nothing typed is replaced unsaid. A link to a vendor the inventory lacks is refused.
    """
    notes: list[str] = []
    problems: list[FieldError] = []

    def linked(table: str, rows: Sequence[Recipient | Transfer]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for number, row in enumerate(rows, start=1):
            cells = row.model_dump()
            vendor = vendors.get(row.vendor_id) if row.vendor_id is not None else None
            if row.vendor_id is not None and vendor is None:
                problems.append(FieldError(f"{ROW_NOUNS[table]} row {number}",
                                           f"there is no vendor with id {row.vendor_id} in the inventory", table))
            elif vendor is not None:
                follows = ({"name": vendor.name, "country": vendor.country, "contract_ref": vendor.contract_ref}
                           if table == "recipients" else
                           {"recipient": vendor.name, "country": vendor.country or cells["country"]})
                if any(cells[c] != v for c, v in follows.items()):
                    notes.append(f"{ROW_NOUNS[table]} row {number} shows vendor '{vendor.name}' as the inventory "
                                 "holds it.")
                cells.update(follows)
            out.append(cells)
        return out

    update = {"recipients": linked("recipients", activity.recipients),
              "transfers": linked("transfers", activity.transfers)}
    if problems:
        raise ValidationFailed(problems)
    return Activity.model_validate({**activity.model_dump(), **update}), notes
