"""Export: the Article 30 record for a regulator, as a workbook (or CSV zip, or JSON), logged for accountability."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import streamlit as st

from ropa.config import load_config
from ropa.entities import list_entities
from ropa.errors import RopaError
from ropa.export import MEDIA_TYPES, ExportOptions, list_exports, save_export
from ropa.export.data import organisations
from ui.choices import entity_label, entity_tree
from ui.render import md
from ui.session import current_user, get_db, page_user

# Before anything is read: who is this, and may their role open this page?
user = page_user(__file__)

FORMAT_LABELS = {
    "xlsx": "Excel workbook (for a regulator; ICO template layout)",
    "csv": "CSV files in a zip (one per sheet)",
    "json": "JSON (every field, for other systems)",
    "pdf": "PDF (A4, to read and print: a cover per controller, then each activity; for a large register, "
           "one entity at a time)",
}
LAST_KEY = "export_last"

db = get_db()
user = current_user()
config = load_config()

st.title("Export the Article 30 record")
st.caption("The workbook follows the ICO documentation template: one row per processing activity, "
           "columns in the template's order and wording, each citing its GDPR article. A copy of every export "
           f"is kept in {md(config.export_dir)} and listed below with its SHA-256.")

entities = list_entities(db, include_archived=True)
roots = organisations(entities)
several = len(roots) > 1
# One organisation (a top-level entity and its subsidiaries) per file by default: unrelated controllers
# keep separate records. "All" is offered last, and only says "group" when there is one.
choices = [*(e.id for e, _ in entity_tree(entities)), None] if several else [None, *(e.id for e, _ in
                                                                                   entity_tree(entities))]
named = entity_label(entities)
everything = "All organisations together (one file)" if several else "The whole group"
with st.form("export_form"):
    left, middle, right = st.columns([2, 2, 1])
    fmt = left.radio("Format", list(FORMAT_LABELS), format_func=FORMAT_LABELS.__getitem__, key="export_format")
    entity_id = middle.selectbox("Organisation or entity", choices,
                                 format_func=lambda i: everything if i is None else named(i), key="export_entity",
                                 help="An organisation or one entity, each with all its subsidiaries. A record for "
                                      "a supervisory authority covers one controller.")
    include_archived = middle.checkbox("Include archived activities", key="export_archived")
    with_gaps = middle.checkbox("Add the gap analysis and transfer validity", key="export_with_gaps",
                                help="Internal work for the DPO: a supervisory authority is given the record only "
                                     "(Art. 30(4)).")
    as_of = right.date_input("As of", value=date.today(), key="export_as_of", format="YYYY-MM-DD",
                             help="With the gap analysis: transfer mechanisms and gaps are judged on this date.")
    submitted = st.form_submit_button("Create export", icon=":material/download:", type="primary")

if submitted:
    options = ExportOptions(as_of=as_of if isinstance(as_of, date) else date.today(),
                            entity_id=entity_id, include_archived=include_archived, with_gaps=with_gaps,
                            all_organisations=entity_id is None)
    with st.status("Exporting the register", expanded=True) as status:
        bar = st.progress(0.0, text="Starting")
        try:
            result = save_export(db, user, str(fmt), options, config.export_dir,
                                 progress=lambda text, done: bar.progress(min(1.0, done), text=text))
        except RopaError as error:
            status.update(label="The export failed", state="error")
            st.error(md(error))
        else:
            status.update(label=f"Export ready: {result.activity_count:,} activities", state="complete",
                          expanded=False)
            st.session_state[LAST_KEY] = {"path": str(result.path), "format": result.format}

last = st.session_state.get(LAST_KEY)
if isinstance(last, dict) and Path(str(last.get("path", ""))).is_file():
    file = Path(str(last["path"]))
    st.download_button(f"Download {file.name}", data=file.read_bytes(), file_name=file.name,
                       mime=MEDIA_TYPES.get(str(last.get("format")), "application/octet-stream"),
                       on_click="ignore", icon=":material/download:", type="primary", key="export_download")

st.subheader("Earlier exports")
history = list_exports(db)
if history.empty:
    st.info("No export has been made yet.")
else:
    st.dataframe(
        history, hide_index=True, width="stretch",
        column_config={
            "exported at (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            "as of": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "activities": st.column_config.NumberColumn(format="%d"),
            "bytes": st.column_config.NumberColumn(format="%d"),
        },
    )
