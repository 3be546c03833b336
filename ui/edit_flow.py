"""The edit / conflict / merge flow, written once for every record form (activities and entities).

A save refused because someone else saved first keeps the user's edits and
shows what the other person changed; the user then applies their edits on top
of the other version (a three-way merge, clashes named) or discards them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import streamlit as st

from ropa.changes import conflict_changes
from ropa.errors import ConflictError
from ropa.forms import merge
from ropa.labels import field_label
from ropa.storage import audit
from ropa.storage.database import Database
from ui import render as show

Choice = Literal["merge", "discard"]
NOUNS = {"activity": "activity", "entity": "entity"}


def conflict_state(error: ConflictError, mine: Mapping[str, Any]) -> dict[str, Any]:
    """What the form keeps of a refused save: who, when, versions, their changes and the user's content."""
    return {"by": error.by, "at": error.at, "expected": error.expected, "current": error.current,
            "changes": error.changes, "mine": dict(mine)}


def conflict_panel(conflict: Mapping[str, Any], record_type: str, entity_names: Mapping[int, str], *,
                   prefix: str) -> Choice | None:
    """Say that the save was refused and what the other person changed; returns the user's choice, if made now."""
    st.error(f"Not saved: {show.md(conflict['by'])} changed this {NOUNS[record_type]} at {show.md(conflict['at'])} "
             f"(version {conflict['expected']} → {conflict['current']}) after you opened it. "
             "Your edits are still in the form below. Their changes:", icon=":material/sync_problem:")
    show.changes_table(conflict_changes(conflict["changes"], entity_names, record_type),
                       key=f"{prefix}_conflict_changes")
    left, right = st.columns(2)
    if left.button("Apply my edits to their version", key=f"{prefix}_merge", icon=":material/merge:"):
        return "merge"
    if right.button("Discard my edits and load their version", key=f"{prefix}_discard", icon=":material/undo:"):
        return "discard"
    return None


def merged(db: Database, record_type: str, record_id: int, opened_version: int, opened: Mapping[str, Any],
           conflict: Mapping[str, Any], theirs: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The user's edits applied to the other version, and the notice to show (naming any clash)."""
    base = audit.snapshot(db, record_type, record_id, opened_version) or dict(opened)
    content, clashes = merge(base, conflict["mine"], theirs)
    if clashes:
        fields = ", ".join(field_label(f, record_type) for f in clashes)
        return content, (f"You and {conflict['by']} both changed: {fields}. The form holds your values for "
                         "these; check them, then save.")
    return content, f"Your edits now sit on top of {conflict['by']}'s version; review and save."
