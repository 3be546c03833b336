"""Entities: the group's controllers and processors, their contacts, DPO, representative and structure."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ropa.auth import Role, User
from ropa.entities import (
    create_entity,
    descendant_ids,
    get_entity,
    list_entities,
    set_entity_archived,
    update_entity,
)
from ropa.errors import ConflictError, RopaError, ValidationFailed
from ropa.forms import entity_from_form, message_text
from ropa.history import history_frame
from ropa.labels import FIELD_HELP, field_label
from ropa.legal.regimes import entity_regime, regime_citation
from ropa.models import Entity
from ropa.reference import country_name, load_reference
from ropa.register import live_activity_counts, live_activity_ids
from ui import edit_flow, form_keys
from ui.choices import country_label, country_options, entity_label, entity_tree
from ui.history_view import render_changes
from ui.nav import open_new_activity, open_register
from ui.render import errors, field_line, item_list, md, notices
from ui.session import Database, current_user, get_db, page_user

# Before anything is read: who is this, and may their role open this page?
user = page_user(__file__)

EDIT = "entf"  # form_keys name of the edit form
NEW = "entnew"  # form_keys name of the new-entity form
PENDING = "ent_pending"  # the confirmation dialog the user asked for: archive or restore
STATE = "entities_form"  # session key: the edit form's entity, version, draft, errors and conflict
KEPT = "entities_kept"  # unsaved edits of entities the user moved away from, by entity id


def _structure(entities: list[Entity], counts: dict[int, int]) -> pd.DataFrame:
    kinds = load_reference().vocabulary("entity_kinds")
    by_id = {e.id: e for e in entities}
    rows = []
    for entity, depth in entity_tree(entities):
        parent = by_id.get(entity.parent_id)
        rows.append({
            "id": entity.id, "Entity": ("↳ " * depth) + entity.name, "Kind": kinds.label(entity.kind),
            "Country": country_name(entity.country), "Parent": parent.name if parent else "",
            "Company number": entity.company_number, "ICO registration": entity.ico_registration,
            "DPO": entity.dpo_name or entity.dpo_email, "Representative": entity.representative_name,
            "Activities": counts.get(int(entity.id or 0), 0), "Archived": entity.archived,
        })
    return pd.DataFrame(rows)


def _details(db: Database, user: User, entity: Entity, entities: list[Entity], counts: dict[int, int]) -> None:
    by_id = {e.id: e for e in entities}
    parent = by_id.get(entity.parent_id) if entity.parent_id else None
    children = sorted((e.name for e in entities if e.parent_id == entity.id), key=str.lower)
    left, right = st.columns(2)
    with left:
        st.subheader("Contact and registration", divider="gray")
        field_line("Kind", load_reference().vocabulary("entity_kinds").label(entity.kind))
        field_line("Country", country_name(entity.country))
        field_line("Applicable regime", regime_citation(entity_regime(entity))
                   + ("" if entity.regime else " — derived from the country"))
        field_line("Address", entity.address)
        field_line("Email", entity.email)
        field_line("Phone", entity.phone)
        field_line("Company number", entity.company_number)
        field_line("ICO registration", entity.ico_registration)
        for field in ("fee_exemption", "art30_5_reliance"):
            if getattr(entity, field):
                field_line(field_label(field, "entity"), getattr(entity, field))
    with right:
        st.subheader("DPO and representative", divider="gray")
        required = {True: "Yes", False: "No", None: ""}[entity.dpo_required]
        field_line("DPO required (Art. 37)", required, empty="not assessed")
        field_line("Data protection officer",
                   ", ".join(x for x in (entity.dpo_name, entity.dpo_email, entity.dpo_phone) if x))
        field_line("Representative (Art. 27)", entity.representative_name, empty="none")
        field_line("Representative contact", entity.representative_contact, empty="none")
    st.subheader("Group structure", divider="gray")
    field_line("Parent", parent.name if parent else "", empty="none (top of the group)")
    item_list("Subsidiaries", children, empty="none")
    if entity.notes:
        field_line("Notes", entity.notes)
    tree = descendant_ids(db, int(entity.id or 0))
    total = sum(counts.get(i, 0) for i in tree)
    st.caption(f"{total} live activities in {md(entity.name)} and its subsidiaries.")
    actions = st.container(horizontal=True)
    if total and actions.button("Show them in the register", key="ent_open_register", icon=":material/table_view:"):
        open_register(live_activity_ids(db, tree), f"{entity.name} and its subsidiaries")
    if user.can(Role.EDITOR) and not entity.archived and actions.button(
            "New activity for this entity", key="ent_new_activity", icon=":material/add:"):
        open_new_activity(int(entity.id or 0))


def _fields(db: Database, form: str, draft: dict[str, Any], entities: list[Entity],
            self_id: int | None) -> dict[str, Any]:
    """The entity's widgets; returns their values as model input."""
    kinds = load_reference().vocabulary("entity_kinds")
    excluded = set(descendant_ids(db, self_id)) if self_id else set()
    parents: list[int | None] = [None, *(e.id for e, _ in entity_tree(entities) if e.id not in excluded)]
    countries = country_options([draft.get("country")])
    yes_no: list[bool | None] = [None, True, False]

    def text(field: str, *, area: bool = False, help: str | None = None) -> None:
        widget = st.text_area if area else st.text_input
        values[field] = widget(field_label(field, "entity"), value=draft.get(field) or "",
                               key=form_keys.key(form, field), help=help)

    values: dict[str, Any] = {}
    left, right = st.columns(2)
    with left:
        text("name")
        values["kind"] = st.selectbox(
            field_label("kind", "entity"), kinds.keys(), index=kinds.keys().index(draft.get("kind") or "controller"),
            format_func=lambda k: f"{kinds.label(k)} ({kinds[k].article})", key=form_keys.key(form, "kind"))
        current_parent = draft.get("parent_id")
        values["parent_id"] = st.selectbox(
            field_label("parent_id", "entity"), parents,
            index=parents.index(current_parent) if current_parent in parents else 0,
            format_func=lambda v: "None (top of the group)" if v is None else entity_label(entities)(v),
            key=form_keys.key(form, "parent_id"))
        values["country"] = st.selectbox(
            field_label("country", "entity"), countries,
            index=countries.index(draft.get("country") or "GB"), format_func=country_label,
            key=form_keys.key(form, "country"))
        regimes: list[str | None] = [None, *load_reference().vocabulary("entity_regimes").keys()]
        values["regime"] = st.selectbox(
            "Applicable regime", regimes, index=regimes.index(draft.get("regime")) if draft.get("regime") in regimes
            else 0, format_func=lambda r: "Derived from the country" if r is None else regime_citation(r),
            help="Record Art. 3(2) where an entity outside the EU or UK targets or monitors people there.",
            key=form_keys.key(form, "regime"))
        text("company_number")
        text("ico_registration")
        text("address", area=True)
        text("email")
        text("phone")
    with right:
        values["dpo_required"] = st.selectbox(
            field_label("dpo_required", "entity"), yes_no, index=yes_no.index(draft.get("dpo_required")),
            format_func=lambda v: {None: "Not assessed", True: "Yes", False: "No"}[v],
            key=form_keys.key(form, "dpo_required"))
        for field in ("dpo_name", "dpo_email", "dpo_phone", "representative_name"):
            text(field)
        text("representative_contact", area=True)
        text("fee_exemption", area=True, help=FIELD_HELP["fee_exemption"])
        text("art30_5_reliance", area=True, help=FIELD_HELP["art30_5_reliance"])
        text("notes", area=True)
    return values


def _new_entity(db: Database, user: User, entities: list[Entity]) -> None:
    with st.expander("New entity", icon=":material/add_business:"):
        problems = st.session_state.pop("entnew_state_errors", None)
        if problems:
            errors(problems)
        with st.form("entnew_form", border=False, enter_to_submit=False):
            live = [e for e in entities if not e.archived]
            values = _fields(db, NEW, Entity.model_construct(name="").content(), live, None)
            submitted = st.form_submit_button("Create entity", type="primary", key="entnew_save")
        if submitted:
            try:
                created = create_entity(db, user, entity_from_form(values))
            except ValidationFailed as error:
                st.session_state["entnew_state_errors"] = [message_text(e) for e in error.errors]
                st.rerun()
            except RopaError as error:
                st.session_state["entnew_state_errors"] = [str(error)]
                st.rerun()
            form_keys.restart(NEW)
            st.session_state["entities_flash"] = f"Created {created.name}."
            st.session_state["ent_select"] = created.id
            st.rerun()


def _edit_entity(db: Database, user: User, entity: Entity, entities: list[Entity]) -> None:
    state: dict[str, Any] | None = st.session_state.get(STATE)
    kept: dict[int, dict[str, Any]] = dict(st.session_state.get(KEPT) or {})
    if state is not None and state.get("id") != entity.id and state.get("edited"):
        kept[int(state["id"])] = state  # leaving an entity with unsaved edits: keep them for when it is reopened
    if state is None or state["id"] != entity.id or state.get("reset"):
        form_keys.restart(EDIT)
        fresh: dict[str, Any] = {"id": entity.id, "version": entity.version, "draft": entity.content()}
        state = fresh if state is not None and state.get("reset") else kept.get(int(entity.id or 0), fresh)
        st.session_state[STATE] = state
    kept.pop(int(entity.id or 0), None)
    st.session_state[KEPT] = kept
    if state.get("edited") and form_keys.key(EDIT, "name") not in st.session_state:
        form_keys.restart(EDIT)  # the form was away (another page): draw it again from the kept edits
    conflict = state.get("conflict")
    if conflict:
        choice = edit_flow.conflict_panel(conflict, "entity", {e.id or 0: e.name for e in entities}, prefix="ent")
        if choice == "merge":
            content, notice = edit_flow.merged(db, "entity", int(entity.id or 0), state["version"], state["draft"],
                                               conflict, entity.content())
            form_keys.restart(EDIT)
            st.session_state[STATE] = {"id": entity.id, "version": entity.version, "draft": content,
                                       "notice": notice}
            st.rerun()
        if choice == "discard":
            st.session_state[STATE] = {"id": entity.id, "reset": True}
            st.rerun()
    if state.get("notice"):
        st.warning(md(state["notice"]), icon=":material/merge:")
    if state.get("errors"):
        errors(state["errors"])
    live = [e for e in entities if not e.archived or e.id == entity.parent_id]
    # Not an st.form: a form's widgets reach the server only on submit, so leaving the page would lose them.
    values = _fields(db, EDIT, {**state["draft"], **(state.get("edited") or {})}, live, entity.id)
    edited = {f: v for f, v in values.items() if (v or None) != (state["draft"].get(f) or None)}
    state = {**state, "edited": edited or None}
    st.session_state[STATE] = state
    if edited:
        box = st.container(horizontal=True, vertical_alignment="center")
        box.info("Unsaved edits: what you typed is kept in this session, also if you open another page or "
                 "entity; it is not in the register until you save.", icon=":material/edit_note:")
        if box.button("Discard my edits", key="ent_discard_kept", icon=":material/delete_sweep:"):
            st.session_state[STATE] = {"id": entity.id, "reset": True}
            st.session_state["entities_flash"] = "Your unsaved edits were discarded."
            st.rerun()
    if not st.button("Save entity", type="primary", key="ent_save", icon=":material/save:"):
        return
    mine: dict[str, Any] = {}
    try:
        candidate = entity_from_form({**state["draft"], **values, "id": entity.id})
        mine = candidate.content()
        saved = update_entity(db, user, candidate, state["version"])
    except ValidationFailed as error:
        st.session_state[STATE] = {**state, "errors": [message_text(e) for e in error.errors]}
        st.rerun()
    except ConflictError as error:
        st.session_state[STATE] = {**state, "errors": None, "conflict": edit_flow.conflict_state(error, mine)}
        st.rerun()
    except RopaError as error:
        st.session_state[STATE] = {**state, "errors": [str(error)]}
        st.rerun()
    st.session_state[STATE] = {"id": entity.id, "reset": True}
    st.session_state["entities_flash"] = f"Saved {saved.name} (version {saved.version})."
    st.rerun()


def _dismiss() -> None:
    st.session_state.pop(PENDING, None)


@st.dialog("Archive this entity?", on_dismiss=_dismiss)
def _confirm_archive(db: Database, user: User, entity: Entity) -> None:
    st.markdown(f"**{md(entity.name)}** is hidden from the entity choices. Its activities stay in the register "
                "until you archive them; its history is kept and it can be restored.")
    if st.button("Archive", key="ent_archive_confirm", type="primary"):
        _set_archived(db, user, entity, True)


@st.dialog("Restore this entity?", on_dismiss=_dismiss)
def _confirm_restore(db: Database, user: User, entity: Entity) -> None:
    st.markdown(f"**{md(entity.name)}** returns to the entity choices.")
    if st.button("Restore", key="ent_restore_confirm", type="primary"):
        _set_archived(db, user, entity, False)


def _set_archived(db: Database, user: User, entity: Entity, archived: bool) -> None:
    _dismiss()
    try:
        set_entity_archived(db, user, int(entity.id or 0), entity.version, archived)
        st.session_state["entities_flash"] = f"{entity.name} {'archived' if archived else 'restored'}."
    except RopaError as error:
        st.session_state["entities_error"] = str(error)
    st.session_state[STATE] = {"id": entity.id, "reset": True}
    st.rerun()


db = get_db()
user = current_user()
admin = user.can(Role.ADMIN)

st.title("Entities")
with st.container():  # always drawn, so the tabs below keep their place (and the open tab) between runs
    notices("entities_flash", "entities_error")

everything = list_entities(db, include_archived=True)
if admin:
    _new_entity(db, user, everything)
show_archived = st.toggle("Show archived entities", key="ent_show_archived")
entities = everything if show_archived else [e for e in everything if not e.archived]
if not entities:
    st.info("No entities yet." + (" Add the group's companies above." if admin else " An admin adds them."),
            icon=":material/apartment:")
    st.stop()

counts = live_activity_counts(db)
st.dataframe(_structure(entities, counts), hide_index=True, key="ent_table", column_order=(
    "Entity", "Kind", "Country", "Parent", "Company number", "ICO registration", "DPO", "Representative",
    "Activities", "Archived"))

options = [e.id for e, _ in entity_tree(entities)]
if st.session_state.get("ent_select") not in options:
    st.session_state.pop("ent_select", None)
selected = st.selectbox("Entity", options, format_func=entity_label(entities), key="ent_select")
entity = get_entity(db, int(selected or 0)) if selected is not None else None
if entity is None:
    st.stop()

names = ["Details", "Edit", "History"] if admin else ["Details", "History"]
tabs = dict(zip(names, st.tabs(names, key="ent_tabs"), strict=True))
with tabs["Details"]:
    _details(db, user, entity, everything, counts)
    if admin:
        if entity.archived:
            if st.button("Restore entity", key="ent_restore", icon=":material/unarchive:"):
                st.session_state[PENDING] = ("restore", entity.id)
        elif st.button("Archive entity", key="ent_archive", icon=":material/archive:"):
            st.session_state[PENDING] = ("archive", entity.id)
        pending = st.session_state.get(PENDING)
        if pending == ("restore", entity.id) and entity.archived:
            _confirm_restore(db, user, entity)
        elif pending == ("archive", entity.id) and not entity.archived:
            _confirm_archive(db, user, entity)
if admin:
    with tabs["Edit"]:
        _edit_entity(db, user, entity, everything)
with tabs["History"]:
    render_changes(history_frame(db, record_type="entity", record_id=entity.id, limit=500),
                   {int(e.id or 0): e.name for e in everything}, key="ent_history")
