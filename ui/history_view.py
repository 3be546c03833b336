"""Audit rows drawn as a readable, field-by-field change table."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from ropa.changes import change_rows
from ropa.labels import ACTION_LABELS


def render_changes(history: pd.DataFrame, entity_names: Mapping[int, str], *, key: str,
                   show_record: bool = False, expand_creations: bool = True) -> pd.DataFrame:
    """One row per changed field, newest first; returns the table drawn (for selection or counts)."""
    if history.empty:
        st.caption("No recorded changes.")
        return history
    changes = change_rows(history, entity_names, expand_creations=expand_creations)
    changes["action"] = changes["action"].map(lambda a: ACTION_LABELS.get(a, str(a).capitalize()))
    changes["record"] = changes["record_type"].str.capitalize() + " " + changes["record_id"].map(
        lambda v: "" if pd.isna(v) else str(int(v)))
    # The change sits in one column next to the field, so it is on screen at any width; before/after and
    # removed/added stay in the table's data (and its download) for whoever needs them apart.
    order = ["at_utc", "actor", "action"] + (["record"] if show_record else []) + [
        "field", "change", "detail", "version"]
    st.dataframe(
        changes, key=key, hide_index=True, column_order=order,
        column_config={
            "at_utc": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "actor": st.column_config.TextColumn("Who"),
            "action": st.column_config.TextColumn("What"),
            "record": st.column_config.TextColumn("Record"),
            "version": st.column_config.NumberColumn("Version", format="%d"),
            "field": st.column_config.TextColumn("Field"),
            "change": st.column_config.TextColumn("Change", width="large"),
            "before": st.column_config.TextColumn("Before", width="medium"),
            "after": st.column_config.TextColumn("After", width="medium"),
            "removed": st.column_config.ListColumn("Removed"),
            "added": st.column_config.ListColumn("Added"),
            "detail": st.column_config.TextColumn("Note"),
        },
    )
    return changes
