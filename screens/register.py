"""Register: every live processing activity, searchable and filterable; click a name to open it."""

from __future__ import annotations

from datetime import date
from typing import cast

import streamlit as st

from ropa.auth import Role
from ropa.entities import list_entities
from ropa.register import REVIEW_LABELS, RegisterFilter, business_functions, register_frame
from ropa.review import ReviewFilter
from ui import bulk_edit
from ui.choices import entity_label, entity_tree, vocab_label, vocab_options
from ui.nav import PRESET_KEY, open_activity, open_new_activity
from ui.render import md
from ui.session import current_user, get_db, page_user

# Before anything is read: who is this, and may their role open this page?
user = page_user(__file__)

YES_NO = {None: "Any", True: "Yes", False: "No"}

db = get_db()
user = current_user()

title_col, new_col = st.columns([4, 1], vertical_alignment="bottom")
title_col.title("Register of processing activities")
if user.can(Role.EDITOR):
    if new_col.button("New activity", key="register_new", icon=":material/add:"):
        open_new_activity()

preset = st.session_state.get(PRESET_KEY)
preset_ids: tuple[int, ...] | None = None
if isinstance(preset, dict):
    preset_ids = tuple(int(i) for i in preset.get("activity_ids", []))
    notice, clear = st.columns([5, 1], vertical_alignment="center")
    notice.info(f"Showing {len(preset_ids)} activities from {md(preset.get('label', 'a selection'))}.",
                icon=":material/filter_alt:")
    if clear.button("Clear", key="register_clear_preset", icon=":material/close:"):
        del st.session_state[PRESET_KEY]
        st.rerun()

entities = list_entities(db, include_archived=True)
search = st.text_input("Search", key="register_search",
                       placeholder="Name, purpose, owner, data subjects or categories, recipient, country, "
                                   "transfer mechanism, contract or TIA reference, system",
                       help="Matches the text literally, ignoring case; a country by its name or code (US, DE).")
row1 = st.columns(4)
entity_id = row1[0].selectbox("Entity (with its subsidiaries)", [None, *(e.id for e, _ in entity_tree(entities))],
                              format_func=entity_label(entities), key="register_entity")
function = row1[1].selectbox("Business function", [None, *business_functions(db)],
                             format_func=lambda v: "All functions" if v is None else str(v), key="register_function")
basis_label = vocab_label("lawful_bases", article=True)
basis = row1[2].selectbox("Lawful basis", [None, *vocab_options("lawful_bases")],
                          format_func=lambda v: "Any basis" if v is None else basis_label(v), key="register_basis")
status = row1[3].selectbox("Status", [None, *vocab_options("statuses")],
                           format_func=lambda v: "Any live status" if v is None else vocab_label("statuses")(v),
                           key="register_status", help="Archived activities appear only when you choose Archived.")
row2 = st.columns(4)
special = row2[0].selectbox("Special category data", list(YES_NO), format_func=YES_NO.__getitem__,
                            key="register_special")
transfers = row2[1].selectbox("Third-country transfers", list(YES_NO), format_func=YES_NO.__getitem__,
                              key="register_transfers")
review = row2[2].selectbox("Review", [None, *REVIEW_LABELS], key="register_review",
                           format_func=lambda v: "Any" if v is None else REVIEW_LABELS[str(v)])

flt = RegisterFilter(search=search or "", entity_id=entity_id, business_function=function, lawful_basis=basis,
                     status=status, special_category=special, third_country_transfers=transfers,
                     review=cast(ReviewFilter | None, review),
                     activity_ids=preset_ids)
frame = register_frame(db, flt, date.today())

row2[3].metric("Activities shown", f"{len(frame):,}")
if frame.empty:
    if entities:
        st.info("No activity matches. Clear the search or a filter to see more.", icon=":material/search_off:")
    else:
        st.info("The register is empty. An admin can add the group's entities on the Entities page "
                "or import an existing register.", icon=":material/inbox:")
    st.stop()

statuses = vocab_label("statuses")
event = st.dataframe(
    frame,
    key="register_table",
    on_select="rerun",
    # A click on a cell selects that cell (a click on a name opens the activity); the row boxes tick rows.
    selection_mode=["multi-row", "single-cell"],
    hide_index=True,
    height=min(36 + 35 * len(frame), 600),
    column_order=("name", "entity", "business_function", "role", "lawful_bases", "status", "special_category",
                  "third_country_transfers", "recipients", "transfers", "next_review_due", "review", "owner",
                  "updated_at", "id"),
    column_config={
        "name": st.column_config.TextColumn("Activity", width="large"),
        "entity": st.column_config.TextColumn("Entity"),
        "business_function": st.column_config.TextColumn("Business function"),
        "role": st.column_config.SelectboxColumn("Role", options=vocab_options("roles"),
                                                 format_func=vocab_label("roles")),
        "lawful_bases": st.column_config.MultiselectColumn("Lawful basis (Art. 6)", options=vocab_options(
            "lawful_bases", {k for keys in frame["lawful_bases"] for k in keys}),
            format_func=vocab_label("lawful_bases")),
        "status": st.column_config.SelectboxColumn("Status", options=vocab_options("statuses"), format_func=statuses),
        "special_category": st.column_config.CheckboxColumn("Special category (Art. 9)"),
        "third_country_transfers": st.column_config.CheckboxColumn("Third-country transfer"),
        "recipients": st.column_config.NumberColumn("Recipients", format="%d"),
        "transfers": st.column_config.NumberColumn("Transfers", format="%d"),
        "next_review_due": st.column_config.DateColumn("Next review"),
        "review": st.column_config.SelectboxColumn(
            "Review state", options=["overdue", "due_soon", "scheduled", "never"],
            format_func=lambda v: {"scheduled": "Scheduled"}.get(str(v), REVIEW_LABELS.get(str(v), str(v)))),
        "owner": st.column_config.TextColumn("Owner"),
        "updated_at": st.column_config.DatetimeColumn("Last changed (UTC)", format="YYYY-MM-DD HH:mm"),
        "id": st.column_config.NumberColumn("ID", format="%d"),
    },
)
selection = event.selection if event else None
clicked = [int(frame.iloc[row]["id"]) for row, column in (selection.cells if selection else []) if column == "name"]
if clicked:
    open_activity(clicked[0])
rows = list(selection.rows) if selection else []
if len(rows) == 1:
    chosen = frame.iloc[rows[0]]
    if st.button(f"Open {md(str(chosen['name']))}", key="register_open", icon=":material/open_in_new:",
                 type="primary", shortcut="Enter"):
        open_activity(int(chosen["id"]))
st.caption("Click an activity's name to open it, or tick its row and press Enter. "
           + ("Tick several rows to change them together." if user.can(Role.EDITOR) else ""))
if user.can(Role.EDITOR):
    bulk_edit.outcome()
    if rows:
        bulk_edit.render(db, user, frame.iloc[rows])
