"""Between the activity form and the model: sections, table rows, errors and merging.

The form is laid out as Article 30(1) reads, so a validation message is shown
in the section that holds the field. A conflicting save is resolved by a
three-way merge: what the other person changed is kept unless the user
changed the same field too, which is then shown as a clash to decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ropa.changes import field_label
from ropa.errors import FieldError
from ropa.models import Activity, Recipient, Transfer, parse_activity


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
            ("owner", "status", "last_reviewed", "next_review_due", "source_document", "source_section", "notes")),
)
SECTION_OF_FIELD: dict[str, str] = {f: s.key for s in SECTIONS for f in s.fields}
GENERAL = "general"

_MESSAGE_HINTS = (("retention", "retention"), ("review", "governance"))


def section_of(error: FieldError) -> str:
    """The form section a validation message belongs to (``general`` when none fits)."""
    for field, section in SECTION_OF_FIELD.items():
        label = field_label(field)
        if error.field == label or error.field.startswith(label + " "):
            return section
    if not error.field:
        for word, section in _MESSAGE_HINTS:
            if word in error.message.lower():
                return section
    return GENERAL


def errors_by_section(errors: Iterable[FieldError]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for error in errors:
        grouped.setdefault(section_of(error), []).append(str(error))
    return grouped


RECIPIENT_COLUMNS: tuple[str, ...] = tuple(Recipient.model_fields)
TRANSFER_COLUMNS: tuple[str, ...] = tuple(Transfer.model_fields)
_OPTIONAL_CODES = {"role", "country", "mechanism"}
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


def table_rows(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows from an editable table as model input: blank rows dropped, empty cells made empty."""
    result = []
    for row in rows:
        cells = {c: _cell(row.get(c)) for c in columns}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue
        clean: dict[str, Any] = {}
        for column, value in cells.items():
            if column in _OPTIONAL_CODES:
                clean[column] = value if (value is not None and str(value).strip()) else None
            else:
                clean[column] = "" if value is None else value
        result.append(clean)
    return result


def recipient_table(activity: Activity | None) -> list[dict[str, Any]]:
    return [r.model_dump() for r in (activity.recipients if activity else [])]


def transfer_table(activity: Activity | None) -> list[dict[str, Any]]:
    return [t.model_dump() for t in (activity.transfers if activity else [])]


def activity_from_form(base: Mapping[str, Any], values: Mapping[str, Any]) -> Activity:
    """The activity the form describes: ``base`` (stored or new) overlaid with the form's values.

    Raises ``ValidationFailed`` with field-named messages; nothing is saved.
    """
    data = {**base, **values}
    if data.get("retention_kind") != "period":
        data["retention_months"] = None
    for name, columns in (("recipients", RECIPIENT_COLUMNS), ("transfers", TRANSFER_COLUMNS)):
        if name in values:
            data[name] = table_rows(values[name], columns)
    return parse_activity(data)


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
