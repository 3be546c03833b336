"""ROPA: the Record of Processing Activities register. Entry point for ``streamlit run``."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="ROPA register", page_icon=":material/assignment:", layout="wide")

PAGES = {
    "Register": [
        st.Page("pages/register.py", title="Register", icon=":material/table_view:", default=True),
        st.Page("pages/activity.py", title="Activity", icon=":material/description:"),
        st.Page("pages/entities.py", title="Entities", icon=":material/apartment:"),
        st.Page("pages/history.py", title="History", icon=":material/history:"),
    ],
    "Analysis": [
        st.Page("pages/dashboard.py", title="Dashboard", icon=":material/monitoring:"),
        st.Page("pages/gaps.py", title="Gaps", icon=":material/rule:"),
    ],
    "Reports": [
        st.Page("pages/export.py", title="Export", icon=":material/download:"),
    ],
    "Admin": [
        st.Page("pages/import.py", title="Import", icon=":material/upload:"),
    ],
}

st.navigation(PAGES).run()
