"""My work: the signed-in person's activities, reviews due, approvals waiting for them and defects to fix."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from ropa.auth import Role, User
from ropa.history import change_stamp
from ropa.my_work import MyWork, my_work
from ropa.register import REVIEW_LABELS
from ui.choices import vocab_label
from ui.nav import open_activity
from ui.render import md
from ui.session import current_user, get_db

db = get_db()
user = current_user()

ACTIVITY_COLUMNS = {
    "name": st.column_config.TextColumn("Activity", width="large"),
    "entity": st.column_config.TextColumn("Entity"),
    "status": st.column_config.TextColumn("Status"),
    "next_review_due": st.column_config.DateColumn("Next review", format="YYYY-MM-DD"),
    "review": st.column_config.TextColumn("Review state"),
    "updated_by": st.column_config.TextColumn("Last changed by"),
}


def _table(frame: pd.DataFrame, key: str, columns: tuple[str, ...], name_column: str, id_column: str,
           empty: str) -> None:
    """A list of activities (or findings); a click on the activity's name opens it."""
    if frame.empty:
        st.caption(empty)
        return
    shown = frame.copy()
    if "review" in shown:
        shown["review"] = shown["review"].map(lambda v: REVIEW_LABELS.get(str(v), "Scheduled"))
    if "status" in shown:
        shown["status"] = shown["status"].map(vocab_label("statuses"))
    if "severity" in shown:
        shown["severity"] = shown["severity"].str.capitalize()
    event = st.dataframe(shown, key=key, on_select="rerun", selection_mode="single-cell", hide_index=True,
                         column_order=columns, column_config=ACTIVITY_COLUMNS | {
                             "activity": st.column_config.TextColumn("Activity", width="medium"),
                             "severity": st.column_config.TextColumn("Severity"),
                             "title": st.column_config.TextColumn("Finding"),
                             "message": st.column_config.TextColumn("What is wrong", width="large"),
                         }, height=min(36 + 35 * len(frame), 400))
    clicked = [int(frame.iloc[row][id_column]) for row, column in event.selection.cells if column == name_column]
    if clicked:
        open_activity(clicked[0])


@st.cache_data(ttl=300, max_entries=16, show_spinner="Gathering your work…")
def _work(path: str, who: User, day: date, stamp: tuple[int, int]) -> MyWork:
    """The person's lists, recomputed only when the register changes (``stamp``)."""
    return my_work(get_db(), who, day)


work = _work(str(db.path), user, date.today(), change_stamp(db))
st.title("My work")
who = user.email if user.display == user.email else f"{user.display} ({user.email})"
st.caption(f"For {md(who)}: activities whose owner is your email or name, their reviews and defects, and the "
           "activities in review that someone else submitted, for you to approve. Click a name to open it.")

counts = st.columns(4)
counts[0].metric("Activities you own", f"{len(work.owned):,}")
counts[1].metric("Reviews due", f"{len(work.review_due):,}")
counts[2].metric("Awaiting your approval", f"{len(work.awaiting_approval):,}")
counts[3].metric("Defects on your activities", f"{len(work.defects):,}")

st.subheader("Reviews due", divider="gray")
_table(work.review_due, "my_work_due", ("name", "entity", "next_review_due", "review"), "name", "id",
       "None of your activities is overdue or due for review soon.")
st.subheader("Awaiting your approval", divider="gray")
_table(work.awaiting_approval, "my_work_approval", ("name", "entity", "updated_by"), "name", "id",
       "Nothing is waiting for your approval." if user.can(Role.EDITOR) else
       "Approving needs the editor role; viewers have nothing to approve.")
st.subheader("Defects on your activities", divider="gray")
_table(work.defects, "my_work_defects", ("activity", "severity", "title", "message"), "activity", "activity_id",
       "The gap analysis finds nothing on your activities.")
st.subheader("Activities you own", divider="gray")
_table(work.owned, "my_work_owned", ("name", "entity", "status", "next_review_due"), "name", "id",
       "No activity names you as its owner. The owner field must hold your email or your name "
       f"({md(user.email)}).")
