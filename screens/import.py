"""Import: bring an existing register in (ICO template, this app's export, CSV); preview first, then all or nothing."""

from __future__ import annotations

import json

import streamlit as st

from ropa.auth import Role
from ropa.config import load_config
from ropa.entities import list_entities
from ropa.errors import RopaError
from ropa.ingest import ImportPlan, apply_import, configured_limits, plan_import
from ropa.ingest.files import check_size
from ropa.ingest.headings import heading_key
from ropa.ingest.mapping import targets as mapping_targets
from ropa.ingest.matching import ACTIONS
from ropa.ingest.plan import sha256_hex
from ropa.mapping_profiles import save_profile
from ui.choices import entity_label, entity_tree
from ui.render import md
from ui.session import current_user, get_db, page_user

# Before anything is read: who is this, and may their role open this page?
user = page_user(__file__)

PLAN_KEY = "import_plan"
DONE_KEY = "import_done"
MAPPING_KEY = "import_mapping"
ROUND_KEY = "import_round"

db = get_db()
user = current_user()

st.title("Import a register")
if not user.can(Role.ADMIN):
    st.warning("Only administrators can import registers: an import writes many records at once. "
               "Ask an administrator, or add activities one by one on the Register page.",
               icon=":material/lock:")
    st.stop()

config = load_config()
limits = configured_limits()
st.caption("Reads the ICO documentation template for controllers or processors as DPOs fill it in, this app's "
           "own Excel or CSV export, or a file with the same headings: Excel (.xlsx, .xlsm, .xls), OpenDocument "
           "(.ods) or CSV. Nothing is written until you "
           f"confirm, and then all rows are written or none. Files up to {config.max_upload_mb} MB.")

done = st.session_state.pop(DONE_KEY, None)
if done:
    st.success(md(done), icon=":material/check_circle:")

entities = list_entities(db)
upload = st.file_uploader("Register file", type=["xlsx", "xlsm", "xls", "ods", "csv", "zip"],
                          key=f"import_file_{st.session_state.get(ROUND_KEY, 0)}",
                          max_upload_size=config.max_upload_mb)
controller = st.selectbox(
    "Controller", [None, *(e.id for e, _ in entity_tree(entities))], key="import_controller",
    format_func=lambda v: "As named in the file (contact block or Entity column)" if v is None
    else entity_label(entities)(v),
    help="Whose register this is, for rows that do not say: used when the file has no contact block.")

if upload is None:
    st.session_state.pop(PLAN_KEY, None)
    st.stop()

try:
    check_size(upload.size, upload.name, limits)
    data = upload.getvalue()
    digest = sha256_hex(data)
    chosen_mapping = st.session_state.get(MAPPING_KEY)
    mapping = chosen_mapping[1] if isinstance(chosen_mapping, tuple) and chosen_mapping[0] == digest else None
    key = (upload.name, digest, controller, json.dumps(mapping, sort_keys=True))
    cached = st.session_state.get(PLAN_KEY)
    if isinstance(cached, tuple) and cached[0] == key:
        plan: ImportPlan = cached[1]
    else:
        with st.spinner("Reading the file"):
            plan = plan_import(db, data, upload.name, entity=None if controller is None else str(controller),
                               limits=limits, mapping=mapping)
        st.session_state[PLAN_KEY] = (key, plan)
except RopaError as error:
    st.session_state.pop(PLAN_KEY, None)
    st.error(md(error), icon=":material/error:")
    st.stop()

metrics = st.columns(5)
metrics[0].metric("Rows read", f"{plan.rows_read:,}")
metrics[1].metric("Activities ready", f"{len(plan.activities):,}")
metrics[2].metric("New entities", len(plan.new_entities))
metrics[3].metric("Texts kept unmapped", f"{plan.unmapped_count():,}")
metrics[4].metric("Problems", f"{len(plan.issues):,}")
st.caption(md(f"{plan.kind}, SHA-256 {plan.sha256}"))
for note in plan.notes:
    st.info(md(note), icon=":material/info:")

if plan.issues:
    st.error(f"{len(plan.issues):,} problems: nothing can be imported until they are fixed in the file. "
             "Each is listed by sheet, row and column.", icon=":material/error:")
    st.dataframe(plan.issues_frame(), hide_index=True, width="stretch")

if plan.new_entities:
    st.subheader("Entities the import will create")
    st.dataframe([{"entity": e.name, "from": e.source, "parent": e.parent, "country": e.entity.country}
                  for e in plan.new_entities], hide_index=True, width="stretch")

st.subheader("How the columns are read")
st.caption("Each source column, the field it feeds and how that was decided (heading = the field's own heading, "
           "variant = a listed wording, close = a guess by shared words, with its confidence; kept = kept as a note "
           "on the activity). Change a field to reassign the column, or choose 'note' or 'ignore'.")
fields = list(mapping_targets())
edited = st.data_editor(
    plan.mapping_frame(), hide_index=True, width="stretch",
    key=f"import_mapping_editor_{digest[:12]}_{abs(hash(json.dumps(plan.mapping, sort_keys=True))) % 10**8}",
    disabled=["sheet", "source column", "reads as", "how", "confidence"],
    column_config={"field": st.column_config.SelectboxColumn(options=fields, required=True),
                   "confidence": st.column_config.NumberColumn(format="%.2f")})
wanted = {heading_key(str(h)): str(f) for h, f in zip(edited["source column"], edited["field"], strict=True)}
if wanted != {k: v for k, v in plan.mapping.items() if k in wanted}:
    st.session_state[MAPPING_KEY] = (digest, {**plan.mapping, **wanted})
    st.rerun()
profile_name = st.text_input("Save this mapping as a profile (reused for the next file with these headings)",
                             key="import_profile_name", max_chars=200)
if st.button("Save mapping profile", key="import_save_mapping", disabled=not profile_name.strip()):
    try:
        saved = save_profile(db, user, profile_name, plan.signature, plan.mapping)
    except RopaError as error:
        st.error(md(error), icon=":material/error:")
    else:
        st.success(md(f"Saved mapping profile '{saved.name}' ({len(saved.mapping)} columns)."),
                   icon=":material/check_circle:")

st.subheader("How the text was read")
st.caption("Every distinct text and the vocabulary entry it was mapped to ('how': label = the entry's own "
           "wording, synonym = a listed synonym, close = after dropping brackets or filler words, read = "
           "retention wording, derived = a name made from the purpose).")
st.dataframe(plan.decisions_frame(), hide_index=True, width="stretch",
             column_config={"rows": st.column_config.NumberColumn(format="%d")})

unmapped = plan.unmapped_frame()
if not unmapped.empty:
    st.subheader("Text kept as written (not mapped)")
    st.caption("Kept word for word on the activity so nothing is lost; review it after the import.")
    st.dataframe(unmapped, hide_index=True, width="stretch")

if plan.existing:
    st.subheader("Already in the register")
    st.caption("These activities match one in the register (by reference, else by entity and name). Update "
               "changes only the fields the file has columns for; skip leaves the register as it is; add creates "
               "a second record.")
    chosen = st.data_editor(
        plan.matches_frame(), hide_index=True, width="stretch", key=f"import_actions_{plan.sha256[:12]}",
        disabled=["position", "sheet", "row", "activity", "matches", "fields that would change"],
        column_config={"position": None, "action": st.column_config.SelectboxColumn(options=list(ACTIONS),
                                                                                   required=True)})
    for position, action in zip(chosen["position"], chosen["action"], strict=True):
        plan.choose(int(position), action)

if plan.activities:
    with st.expander(f"Activities to import ({len(plan.activities):,})"):
        st.dataframe(plan.activities_frame(), hide_index=True, width="stretch")

if plan.ok:
    adding = sum(1 for a in plan.actions if a == "add")
    updating = sum(1 for a in plan.actions if a == "update")
    label = f"Import: add {adding:,}" + (f", update {updating:,}" if updating else "") + " activities"
    if st.button(label if plan.existing else f"Import {len(plan.activities):,} activities", type="primary",
                 icon=":material/upload:", key="import_confirm"):
        try:
            with st.spinner("Importing in one transaction"):
                result = apply_import(db, user, plan)
        except RopaError as error:
            st.error(md(error), icon=":material/error:")
        else:
            st.session_state.pop(PLAN_KEY, None)
            st.session_state[DONE_KEY] = (
                f"Imported {len(result.activity_ids):,} activities and {len(result.entity_ids)} new entities "
                f"from {result.file_name}." + (f" Updated {len(result.updated_ids):,}." if result.updated_ids else "")
                + (f" Skipped {result.skipped:,}." if result.skipped else ""))
            st.session_state[ROUND_KEY] = int(st.session_state.get(ROUND_KEY, 0)) + 1  # a fresh, empty uploader
            st.rerun()
