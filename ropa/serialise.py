"""Activities as plain JSON objects with stable keys (CLI ``list``/``show``, API consumers)."""

from __future__ import annotations

from typing import Any

from ropa.models import Activity
from ropa.reference import load_reference


def retention_json(activity: Activity) -> dict[str, Any]:
    return {
        "kind": activity.retention_kind,
        "months": activity.retention_months,
        "trigger": activity.retention_trigger,
        "rule": activity.retention_rule,
    }


def activity_json(activity: Activity, entity_name: str) -> dict[str, Any]:
    """The stable summary: keys are a contract with scripts; add, never rename."""
    special = set(load_reference().special_category_keys())
    return {
        "id": activity.id,
        "entity": entity_name,
        "name": activity.name,
        "business_function": activity.business_function,
        "purpose": activity.purpose,
        "role": activity.role,
        "lawful_bases": list(activity.lawful_bases),
        "special_categories": [c for c in activity.data_categories if c in special],
        "data_subjects": list(activity.data_subjects),
        "data_categories": list(activity.data_categories),
        "recipients": [r.model_dump(mode="json") for r in activity.recipients],
        "transfers": [t.model_dump(mode="json") for t in activity.transfers],
        "retention": retention_json(activity),
        "status": activity.status,
        "source": {"document": activity.source_document, "section": activity.source_section},
        "version": activity.version,
    }
