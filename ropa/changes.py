"""Audit snapshots as changes a person can read: labelled fields, added and removed items.

The audit trail stores each version's content as JSON with vocabulary keys;
a DPO reviewing history wants "Categories of personal data: added Health"
rather than a JSON diff. Used by the history page, the activity's own
history and the edit conflict message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ropa.labels import field_label, retention_kind_label, transition_text
from ropa.reference import country_name, load_reference

FIELD_VOCABULARIES: dict[str, str] = {
    "lawful_bases": "lawful_bases",
    "art9_conditions": "art9_conditions",
    "data_subjects": "data_subjects",
    "data_categories": "data_categories",
    "security_measures": "security_measures",
    "dpia_criteria": "dpia_criteria",
    "retention_trigger": "retention_triggers",
    "adm_basis": "adm_bases",
    "dpia_status": "dpia_statuses",
    "role": "roles",
    "status": "statuses",
    "kind": "entity_kinds",
}
"""Which reference vocabulary labels each coded field."""

def _vocab_label(vocabulary: str, key: str) -> str:
    return load_reference().vocabulary(vocabulary).label(key)


def _mechanism_label(key: str | None) -> str:
    if not key:
        return "no mechanism recorded"
    mechanisms = load_reference().mechanisms()
    return mechanisms[key].label if key in mechanisms else key


def recipient_text(item: Mapping[str, Any]) -> str:
    """One recipient in a line: category, name, role, country, contract."""
    parts = [_vocab_label("recipient_categories", str(item.get("category") or ""))]
    if item.get("name"):
        parts[0] += f": {item['name']}"
    details = []
    if item.get("role"):
        details.append(_vocab_label("recipient_roles", str(item["role"])))
    if item.get("country"):
        details.append(country_name(str(item["country"])))
    if item.get("contract_ref"):
        details.append(f"contract {item['contract_ref']}")
    return parts[0] + (f" ({', '.join(details)})" if details else "")


def transfer_text(item: Mapping[str, Any]) -> str:
    """One transfer in a line: country, recipient, mechanism, assessment."""
    text = country_name(str(item.get("country") or ""))
    if item.get("recipient"):
        text += f" to {item['recipient']}"
    text += f" under {_mechanism_label(item.get('mechanism'))}"
    if item.get("tia_ref"):
        text += f"; TIA {item['tia_ref']}"
    if item.get("safeguard_doc"):
        text += f"; safeguard {item['safeguard_doc']}"
    return text


def _item_text(field: str, item: Any, entity_names: Mapping[int, str]) -> str:
    if field == "recipients" and isinstance(item, Mapping):
        return recipient_text(item)
    if field == "transfers" and isinstance(item, Mapping):
        return transfer_text(item)
    if field in FIELD_VOCABULARIES and isinstance(item, str):
        return _vocab_label(FIELD_VOCABULARIES[field], item)
    return value_text(field, item, entity_names)


def value_text(field: str, value: Any, entity_names: Mapping[int, str] | None = None) -> str:
    """A stored value as a person reads it (labels for keys, names for ids, Yes/No)."""
    names = entity_names or {}
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field in ("entity_id", "parent_id") and isinstance(value, int):
        return names.get(value, f"entity {value}")
    if field == "country" and isinstance(value, str):
        return country_name(value)
    if field == "retention_kind" and isinstance(value, str):
        return retention_kind_label(value)
    if isinstance(value, list):
        return "; ".join(_item_text(field, v, names) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if field in FIELD_VOCABULARIES and isinstance(value, str):
        return _vocab_label(FIELD_VOCABULARIES[field], value)
    return str(value)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


@dataclass(frozen=True)
class FieldChange:
    """One field's change: scalar fields use before/after, list fields added/removed items."""

    field: str
    label: str
    before: str
    after: str
    removed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()

    @property
    def is_list(self) -> bool:
        return bool(self.removed or self.added)

    def summary(self) -> str:
        if self.is_list:
            parts = []
            if self.added:
                parts.append("added " + "; ".join(self.added))
            if self.removed:
                parts.append("removed " + "; ".join(self.removed))
            return f"{self.label}: {', '.join(parts)}"
        return f"{self.label}: {self.before or '(empty)'} → {self.after or '(empty)'}"


def _list_items(field: str, value: Any, names: Mapping[int, str]) -> list[str]:
    if isinstance(value, dict):
        return [f"{k}: {v}" for k, v in value.items()]
    if isinstance(value, list):
        return [_item_text(field, v, names) for v in value]
    return []


def field_change(field: str, before: Any, after: Any, entity_names: Mapping[int, str] | None = None,
                 record: str = "activity") -> FieldChange:
    names = entity_names or {}
    label = field_label(field, record)
    if isinstance(before, list | dict) or isinstance(after, list | dict):
        old, new = _list_items(field, before, names), _list_items(field, after, names)
        removed = tuple(x for x in old if x not in new)
        added = tuple(x for x in new if x not in old)
        if not removed and not added:  # same items, new order
            return FieldChange(field, label, "; ".join(old), "; ".join(new))
        return FieldChange(field, label, "", "", removed, added)
    return FieldChange(field, label, value_text(field, before, names), value_text(field, after, names))


def field_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                  entity_names: Mapping[int, str] | None = None, record: str = "activity") -> list[FieldChange]:
    """Every field that differs between two snapshots, in field order; empty values count as equal."""
    old, new = before or {}, after or {}
    fields = list(dict.fromkeys([*old, *new]))
    return [field_change(f, old.get(f), new.get(f), entity_names, record) for f in fields
            if old.get(f) != new.get(f) and not (_empty(old.get(f)) and _empty(new.get(f)))]


def conflict_changes(changes: Mapping[str, tuple[object, object]],
                     entity_names: Mapping[int, str] | None = None, record: str = "activity") -> list[FieldChange]:
    """``ConflictError.changes`` as readable field changes."""
    return [field_change(f, before, after, entity_names, record) for f, (before, after) in changes.items()]


def _loads(text: Any) -> dict[str, Any] | None:
    if not isinstance(text, str) or not text:
        return None
    loaded = json.loads(text)
    return loaded if isinstance(loaded, dict) else {"value": loaded}


CHANGE_COLUMNS = ("audit_id", "at_utc", "actor", "action", "record_type", "record_id", "entity_id", "version",
                  "detail", "field", "change", "before", "after", "removed", "added")

_STATUS_STEP = re.compile(r"\b([a-z_]+) -> ([a-z_]+)\b")


def detail_text(detail: str) -> str:
    """An audit note as a person reads it: status keys as labels ("in_review -> approved" → "In review → Approved")."""
    statuses = load_reference().vocabulary("statuses")

    def step(match: re.Match[str]) -> str:
        before, after = match.groups()
        if before in statuses and after in statuses:
            return transition_text(before, after)
        return match.group(0)

    return _STATUS_STEP.sub(step, detail)


def change_text(change: FieldChange) -> str:
    """The change itself in one cell, so a narrow screen shows it without scrolling to more columns."""
    return change.summary().removeprefix(f"{change.label}: ")


def change_rows(history: pd.DataFrame, entity_names: Mapping[int, str] | None = None, *,
                expand_creations: bool = True) -> pd.DataFrame:
    """Audit rows flattened to one row per changed field (an audit row with no field change keeps one row).

    With ``expand_creations`` off, a created record is one row naming it: the
    trail of a whole register then stays readable after an import of thousands.
    """
    rows: list[dict[str, Any]] = []
    for audit in history.to_dict("records"):
        base = {"audit_id": audit["id"], "at_utc": audit["at_utc"], "actor": audit["actor"],
                "action": audit["action"], "record_type": audit["record_type"],
                "record_id": audit["record_id"], "entity_id": audit["entity_id"],
                "version": audit["version"], "detail": detail_text(audit["detail"] or "")}
        before, after = _loads(audit["before"]), _loads(audit["after"])
        if not expand_creations and audit["action"] == "create" and before is None:
            name = str((after or {}).get("name", ""))
            rows.append({**base, "field": "(new record)", "change": name, "before": "", "after": name,
                         "removed": [], "added": []})
            continue
        changes = field_changes(before, after, entity_names, str(audit["record_type"] or "activity"))
        if not changes:
            rows.append({**base, "field": "", "change": "", "before": "", "after": "", "removed": [], "added": []})
        for change in changes:
            rows.append({**base, "field": change.label, "change": change_text(change),
                         "before": change.before, "after": change.after,
                         "removed": list(change.removed), "added": list(change.added)})
    return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))
