"""The hand-over from a finding's "Fix" to the edit form: which field to open the form at.

The finding's button stores the activity, the field and the finding in
session state and switches the activity page to its Edit tab; the form,
drawing that field's section, shows the finding there and scrolls to it,
then forgets the request.
"""

from __future__ import annotations

import streamlit as st

from ropa.forms import SECTION_OF_FIELD
from ui.render import md

FOCUS = "activity_focus"
TABS = "activity_tabs"


def request(activity_id: int, field: str, finding: str) -> None:
    """Open the activity's edit form at ``field`` (a button callback: runs before the page is drawn)."""
    st.session_state[FOCUS] = {"activity_id": activity_id, "field": field, "finding": finding}
    st.session_state[TABS] = "Edit"


def marker(section: str) -> None:
    """In the form: if a Fix asked for a field of ``section``, say which finding and bring it into view."""
    wanted = st.session_state.get(FOCUS)
    if not isinstance(wanted, dict) or SECTION_OF_FIELD.get(str(wanted.get("field"))) != section:
        return
    if str(wanted.get("activity_id")) != st.query_params.get("id"):
        return
    st.session_state.pop(FOCUS, None)
    st.info(f"Fix: {md(wanted.get('finding', ''))}", icon=":material/build:")
    st.html(f'<div id="fix-{section}"></div><script>'
            f'document.getElementById("fix-{section}")?.scrollIntoView({{block: "center"}});</script>',
            unsafe_allow_javascript=True)
