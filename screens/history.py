"""History: the audit trail (who changed what, when, field by field) and the reviews falling due."""

from __future__ import annotations

from datetime import date

import streamlit as st

from ropa.entities import descendant_ids, list_entities
from ropa.history import actors as audit_actors
from ropa.history import history_frame
from ropa.labels import status_label
from ropa.register import DUE_SOON_DAYS, REVIEW_LABELS, RegisterFilter, register_frame
from ui.choices import entity_label, entity_tree
from ui.history_view import render_changes
from ui.nav import open_activity
from ui.session import current_user, get_db, page_user

# Before anything is read: who is this, and may their role open this page?
user = page_user(__file__)

LIMIT = 1000
RECORD_TYPES = {None: "All records", "activity": "Activities", "entity": "Entities", "register": "Whole register"}

db = get_db()
user = current_user()
entities = list_entities(db, include_archived=True)
names = {int(e.id or 0): e.name for e in entities}

st.title("History")
changes_tab, reviews_tab = st.tabs(["Changes", "Reviews due"])

with changes_tab:
    actors = audit_actors(db)
    top = st.columns(3)
    record_type = top[0].selectbox("Record", list(RECORD_TYPES), format_func=RECORD_TYPES.__getitem__,
                                   key="hist_type")
    actor = top[1].selectbox("Changed by", [None, *actors], format_func=lambda v: "Anyone" if v is None else v,
                             key="hist_actor")
    entity_id = top[2].selectbox("Entity (with its subsidiaries)", [None, *(e.id for e, _ in entity_tree(entities))],
                                 format_func=entity_label(entities), key="hist_entity")
    bottom = st.columns(3)
    since = bottom[0].date_input("From", value=None, key="hist_since", format="YYYY-MM-DD")
    until = bottom[1].date_input("Until", value=None, key="hist_until", format="YYYY-MM-DD")
    activity_id = bottom[2].number_input("Activity id", min_value=1, step=1, value=None, key="hist_activity")
    if since and until and since > until:
        st.warning("'From' is after 'Until'; no change can match.", icon=":material/date_range:")
    history = history_frame(
        db,
        record_type="activity" if activity_id is not None else record_type,
        record_id=int(activity_id) if activity_id is not None else None,
        actor=actor,
        entity_ids=descendant_ids(db, entity_id) if entity_id is not None else None,
        since=since if isinstance(since, date) else None,
        until=until if isinstance(until, date) else None,
        limit=LIMIT,
    )
    shown = len(history)
    st.caption(f"{shown} recorded changes" + (f" (the latest {LIMIT}; narrow the filters to see older ones)"
                                              if shown >= LIMIT else "") + ". Times are UTC.")
    render_changes(history, names, key="hist_table", show_record=True, expand_creations=activity_id is not None)

with reviews_tab:
    today = date.today()
    live = register_frame(db, RegisterFilter(), today)
    due = live[live["review"].isin(["overdue", "due_soon"])].sort_values(["next_review_due", "id"], kind="stable")
    due = due.reset_index(drop=True)
    due["status"] = due["status"].map(status_label)
    never = int((live["review"] == "never").sum())
    counts = st.columns(3)
    counts[0].metric(REVIEW_LABELS["overdue"], int((due["review"] == "overdue").sum()))
    counts[1].metric(REVIEW_LABELS["due_soon"], int((due["review"] == "due_soon").sum()))
    counts[2].metric(REVIEW_LABELS["never"], never)
    if due.empty:
        st.success(f"No live activity is overdue for review or due within {DUE_SOON_DAYS} days.",
                   icon=":material/event_available:")
    else:
        event = st.dataframe(
            due, key="hist_reviews", hide_index=True, on_select="rerun", selection_mode="single-row",
            column_order=("next_review_due", "review", "name", "entity", "owner", "last_reviewed", "status", "id"),
            column_config={
                "next_review_due": st.column_config.DateColumn("Due"),
                "review": st.column_config.SelectboxColumn("State", options=list(REVIEW_LABELS),
                                                           format_func=lambda v: REVIEW_LABELS.get(str(v), str(v))),
                "name": st.column_config.TextColumn("Activity", width="large"),
                "entity": st.column_config.TextColumn("Entity"),
                "owner": st.column_config.TextColumn("Owner"),
                "last_reviewed": st.column_config.DateColumn("Last reviewed"),
                "status": st.column_config.TextColumn("Status"),
                "id": st.column_config.NumberColumn("ID", format="%d"),
            },
        )
        st.caption("Choose a row to open the activity and mark it reviewed.")
        if event and event.selection.rows:
            open_activity(int(due.iloc[event.selection.rows[0]]["id"]))
