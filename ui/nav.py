"""Moving between pages with context: open one activity, or the register filtered to some."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

ACTIVITY_PAGE = "pages/activity.py"
REGISTER_PAGE = "pages/register.py"
PRESET_KEY = "register_preset"


def open_activity(activity_id: int) -> None:
    """Switch to the activity page showing ``activity_id`` (also addressable as ?id=N)."""
    st.switch_page(ACTIVITY_PAGE, query_params={"id": str(activity_id)})


def open_register(activity_ids: Sequence[int], label: str) -> None:
    """Switch to the register showing only ``activity_ids``, with ``label`` saying why."""
    st.session_state[PRESET_KEY] = {"activity_ids": [int(i) for i in activity_ids], "label": label}
    st.switch_page(REGISTER_PAGE)
