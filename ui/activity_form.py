"""The activity edit form: the record's sections as widgets, saved through the one validation path.

The form is drawn from a *draft* (the content it started from) and remembers
the version it was opened at. A failed save (invalid input or a conflict)
changes nothing and keeps what the user typed; a conflict shows the other
person's changes and offers to apply the user's edits on top of them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from ropa.auth import User
from ropa.changes import conflict_changes, field_label
from ropa.errors import ConflictError, NotFound, RopaError, ValidationFailed
from ropa.forms import (
    GENERAL,
    RECIPIENT_COLUMNS,
    SECTIONS,
    TRANSFER_COLUMNS,
    activity_from_form,
    errors_by_section,
    merge,
)
from ropa.models import Activity, Entity
from ropa.storage import audit
from ropa.storage.activities import create_activity, get_activity, update_activity
from ropa.storage.database import Database
from ui import focus, form_keys
from ui import render as show
from ui.choices import (
    category_label,
    country_label,
    country_options,
    entity_label,
    entity_tree,
    mechanism_label,
    mechanism_options,
    vocab_label,
    vocab_options,
)

FORM = "act"
TARGET = "actform_target"
DRAFT = "actform_draft"
ERRORS = "actform_errors"
CONFLICT = "actform_conflict"
NOTICE = "actform_notice"
FLASH = "actform_flash"

_PLAIN_FIELDS = [f for s in SECTIONS for f in s.fields
                 if f not in ("recipients", "transfers", "systems", "status", "last_reviewed")]


def key(field: str) -> str:
    """The widget key of ``field`` in the form as drawn now."""
    return form_keys.key(FORM, field)


def start(target: tuple[str, int, int], draft: dict[str, Any], *, force: bool = False) -> None:
    """Point the form at ``target`` (kind, id, version) and restart its widgets from ``draft`` when needed.

    Another record restarts the form. A newer version of the same record
    restarts it only while the user has typed nothing and no conflict is
    pending; otherwise their edits stay, and saving shows what changed.
    """
    stored = st.session_state.get(TARGET)
    fresh = force or stored is None or tuple(stored[:2]) != target[:2]
    if not fresh and stored[2] != target[2]:
        fresh = not st.session_state.get(CONFLICT) and not _edited(st.session_state.get(DRAFT) or {})
    if fresh:
        form_keys.restart(FORM)
        st.session_state[TARGET] = target
        st.session_state[DRAFT] = draft
        st.session_state.pop(ERRORS, None)
        st.session_state.pop(CONFLICT, None)
        if not force:
            st.session_state.pop(NOTICE, None)


def _edited(draft: dict[str, Any]) -> bool:
    """Whether any widget of the form holds something other than the draft it was drawn from."""
    state = st.session_state
    for field in _PLAIN_FIELDS:
        name = key(field)
        if name not in state:
            continue
        value, original = state[name], draft.get(field)
        if field == "next_review_due":
            original = _date(original)
        elif isinstance(value, str) and original is None:
            original = ""
        if value != original:
            return True
    if key("systems") in state and state[key("systems")] != "\n".join(draft.get("systems") or []):
        return True
    for table in ("recipients", "transfers"):
        delta = state.get(key(table)) or {}
        if any(delta.get(part) for part in ("edited_rows", "added_rows", "deleted_rows")):
            return True
    return False


def new_draft(entity_id: int) -> dict[str, Any]:
    """The content of an empty activity for ``entity_id``."""
    return Activity.model_construct(entity_id=entity_id, name="").content()


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return date.fromisoformat(value)
    return None


def _section_errors(section: str) -> None:
    grouped: dict[str, list[str]] = st.session_state.get(ERRORS) or {}
    if grouped.get(section):
        show.errors(grouped[section])


def _multi(field: str, vocabulary: str, draft: dict[str, Any], label: str, *, article: bool = False,
           help: str | None = None) -> None:
    current = list(draft.get(field) or [])
    st.multiselect(label, vocab_options(vocabulary, current), default=current, key=key(field),
                   format_func=vocab_label(vocabulary, article=article), help=help)


def _optional_select(field: str, vocabulary: str, draft: dict[str, Any], label: str) -> None:
    current = draft.get(field)
    options: list[str | None] = [None, *vocab_options(vocabulary, [current] if current else [])]
    st.selectbox(label, options, index=options.index(current), key=key(field),
                 format_func=vocab_label(vocabulary, article=True))


def _text(field: str, draft: dict[str, Any], label: str | None = None, *, area: bool = False,
          help: str | None = None) -> None:
    widget = st.text_area if area else st.text_input
    widget(label or field_label(field), value=str(draft.get(field) or ""), key=key(field), help=help)


def _recipient_editor(draft: dict[str, Any]) -> pd.DataFrame:
    rows = pd.DataFrame(draft.get("recipients") or [], columns=list(RECIPIENT_COLUMNS))
    current = [r.get("country") for r in draft.get("recipients") or []]
    return st.data_editor(
        rows, key=key("recipients"), num_rows="dynamic", hide_index=True,
        column_config={
            "category": st.column_config.SelectboxColumn(
                "Category", options=vocab_options("recipient_categories",
                                                  [r.get("category") for r in draft.get("recipients") or []]),
                format_func=vocab_label("recipient_categories"), required=True, width="medium"),
            "name": st.column_config.TextColumn("Name", width="medium"),
            "role": st.column_config.SelectboxColumn("Role", options=vocab_options("recipient_roles"),
                                                     format_func=vocab_label("recipient_roles")),
            "country": st.column_config.SelectboxColumn("Country", options=country_options(current),
                                                        format_func=country_label),
            "contract_ref": st.column_config.TextColumn("Contract (Art. 28)"),
            "vendor_id": None,  # the vendor inventory link: kept, not typed (set on the Vendors page)
        },
    )


def _transfer_editor(draft: dict[str, Any]) -> pd.DataFrame:
    rows = pd.DataFrame(draft.get("transfers") or [], columns=list(TRANSFER_COLUMNS))
    current = [t.get("country") for t in draft.get("transfers") or []]
    return st.data_editor(
        rows, key=key("transfers"), num_rows="dynamic", hide_index=True,
        column_config={
            "country": st.column_config.SelectboxColumn("Country", options=country_options(current),
                                                        format_func=country_label, required=True),
            "recipient": st.column_config.TextColumn("Recipient", width="medium"),
            "mechanism": st.column_config.SelectboxColumn("Mechanism", options=mechanism_options(),
                                                          format_func=mechanism_label, width="large"),
            "tia_ref": st.column_config.TextColumn("TIA reference"),
            "safeguard_doc": st.column_config.TextColumn("Safeguard document"),
            "vendor_id": None,  # the vendor inventory link: kept, not typed (set on the Vendors page)
        },
    )


def _fields(draft: dict[str, Any], entities: list[Entity]) -> dict[str, Any]:
    """Draw every section's widgets; returns the values that are not plain keyed widgets."""
    extra: dict[str, Any] = {}
    tree_ids = [e.id for e, _ in entity_tree(entities)]
    for section in SECTIONS:
        st.subheader(f"{section.title}", divider="gray", help=section.article)
        _section_errors(section.key)
        focus.marker(section.key)
        if section.key == "controller":
            left, right = st.columns(2)
            with left:
                st.selectbox("Entity", tree_ids, index=tree_ids.index(draft["entity_id"])
                             if draft.get("entity_id") in tree_ids else 0,
                             format_func=entity_label(entities), key=key("entity_id"))
                roles = vocab_options("roles")
                st.selectbox("Role", roles, index=roles.index(draft.get("role") or "controller"),
                             format_func=vocab_label("roles", article=True), key=key("role"))
                _text("joint_arrangement_ref", draft)
            with right:
                _text("controller_served", draft, area=True, help="Only for processing done as a processor.")
                _text("joint_controllers", draft, area=True)
        elif section.key == "purpose":
            _text("name", draft, "Name of the activity")
            _text("business_function", draft)
            _text("purpose", draft, area=True, help="Say why the data is processed, in plain words (Art. 5(1)(b)).")
        elif section.key == "data":
            _multi("data_subjects", "data_subjects", draft, field_label("data_subjects"))
            current = list(draft.get("data_categories") or [])
            st.multiselect(field_label("data_categories"), vocab_options("data_categories", current),
                           default=current, format_func=category_label, key=key("data_categories"))
            _text("data_source", draft, area=True)
        elif section.key == "recipients":
            extra["recipients"] = _recipient_editor(draft)
        elif section.key == "transfers":
            extra["transfers"] = _transfer_editor(draft)
        elif section.key == "retention":
            kinds = ["period", "rule", "unknown"]
            names = {"period": "A period (months)", "rule": "A stated rule", "unknown": "Not yet known"}
            left, right = st.columns(2)
            with left:
                st.radio("Retention", kinds, index=kinds.index(draft.get("retention_kind") or "unknown"),
                         format_func=names.__getitem__, key=key("retention_kind"), horizontal=True)
                st.number_input("Retention period (months)", min_value=0, max_value=1200, step=1,
                                value=draft.get("retention_months"), key=key("retention_months"),
                                help="Used when the retention is a period.")
                _optional_select("retention_trigger", "retention_triggers", draft, "Retention starts")
            with right:
                _text("retention_rule", draft, area=True, help="Used when the retention is a stated rule.")
                _text("retention_policy_ref", draft)
        elif section.key == "security":
            _multi("security_measures", "security_measures", draft, field_label("security_measures"), article=True)
            _text("security_description", draft, area=True)
            st.text_area("Systems (one per line)", value="\n".join(draft.get("systems") or []), key=key("systems"))
            _text("data_location", draft)
        elif section.key == "lawful":
            _multi("lawful_bases", "lawful_bases", draft, field_label("lawful_bases"), article=True)
            left, right = st.columns(2)
            with left:
                _text("legitimate_interest", draft, area=True)
                _text("lia_ref", draft)
                _text("consent_record_ref", draft)
            with right:
                _multi("art9_conditions", "art9_conditions", draft, field_label("art9_conditions"), article=True)
                _text("dpa_schedule1_condition", draft, area=True)
                _text("art10_basis", draft, area=True)
        elif section.key == "assessment":
            left, right = st.columns(2)
            with left:
                choices: list[bool | None] = [None, True, False]
                st.selectbox("DPIA required", choices, index=choices.index(draft.get("dpia_required")),
                             format_func=lambda v: {None: "Not assessed", True: "Yes", False: "No"}[v],
                             key=key("dpia_required"))
                _optional_select("dpia_status", "dpia_statuses", draft, "DPIA status")
                _text("dpia_ref", draft)
                _multi("dpia_criteria", "dpia_criteria", draft, field_label("dpia_criteria"), article=True)
            with right:
                st.checkbox("Solely automated decisions with legal or similar effect (Art. 22)",
                            value=bool(draft.get("adm")), key=key("adm"))
                _text("adm_description", draft, area=True)
                _optional_select("adm_basis", "adm_bases", draft, field_label("adm_basis"))
                _text("rights_available", draft, area=True)
                _text("breach_ref", draft)
        elif section.key == "governance":
            left, right = st.columns(2)
            with left:
                _text("owner", draft)
                _text("source_document", draft)
                _text("source_section", draft)
            with right:
                st.date_input("Next review due", value=_date(draft.get("next_review_due")),
                              key=key("next_review_due"), format="YYYY-MM-DD")
                _text("notes", draft, area=True)
    _section_errors(GENERAL)
    return extra


def _values(extra: dict[str, Any]) -> dict[str, Any]:
    """The form's values as model input."""
    values = {f: st.session_state.get(key(f)) for f in _PLAIN_FIELDS}
    text = str(st.session_state.get(key("systems")) or "")
    values["systems"] = [line.strip() for line in text.splitlines() if line.strip()]
    for name in ("recipients", "transfers"):
        frame: pd.DataFrame = extra[name]
        values[name] = frame.to_dict("records")
    return values


def render(db: Database, user: User, entities: list[Entity], *, activity: Activity | None) -> None:
    """The edit form (``activity``) or the new-activity form (``None``); call ``start`` first."""
    kind, record_id, version = st.session_state[TARGET]
    draft: dict[str, Any] = st.session_state[DRAFT]
    _conflict_panel(db, activity, entities)
    notice = st.session_state.get(NOTICE)
    if notice:
        st.warning(show.md(notice), icon=":material/merge:")
    if activity is not None and activity.version != version and not st.session_state.get(CONFLICT):
        st.warning(f"This activity was saved by {show.md(activity.updated_by)} (version {activity.version}) "
                   f"after you started editing version {version}. Saving will show you what changed.",
                   icon=":material/sync_problem:")
    with st.form("act_form", border=False, enter_to_submit=False):
        extra = _fields(draft, entities)
        label = "Save changes" if kind == "activity" else "Create activity"
        submitted = st.form_submit_button(label, type="primary", key="actform_save", icon=":material/save:")
    if submitted:
        _submit(db, user, kind, record_id, version, draft, _values(extra))
    _outcome_near_the_button()


def _outcome_near_the_button() -> None:
    """Repeat, beside the save button the user just pressed, that nothing was saved and where to look."""
    conflict = st.session_state.get(CONFLICT)
    if conflict:
        st.error(f"Not saved: {show.md(conflict['by'])} saved this activity after you opened it. Their changes "
                 "and your choices are at the top of this form; your edits are still here.",
                 icon=":material/sync_problem:")
        return
    grouped: dict[str, list[str]] = st.session_state.get(ERRORS) or {}
    count = sum(len(v) for v in grouped.values())
    if count:
        st.error(f"Not saved: {count} {'problem' if count == 1 else 'problems'} to fix; each is shown in its "
                 "section above.", icon=":material/error:")


def _submit(db: Database, user: User, kind: str, record_id: int, version: int, draft: dict[str, Any],
            values: dict[str, Any]) -> None:
    base = {**draft, "id": record_id if kind == "activity" else None}
    try:
        candidate = activity_from_form(base, values)
        if kind == "activity":
            saved = update_activity(db, user, candidate, version)
            message = f"Saved version {saved.version}." if saved.version != version else "No field changed."
        else:
            saved = create_activity(db, user, candidate)
            message = f"Created activity {saved.id}."
            st.query_params.clear()
            st.query_params["id"] = str(saved.id)
    except ValidationFailed as error:
        st.session_state[ERRORS] = errors_by_section(error.errors)
        st.session_state.pop(CONFLICT, None)
        st.rerun()
    except ConflictError as error:
        st.session_state.pop(ERRORS, None)
        st.session_state[CONFLICT] = {"by": error.by, "at": error.at, "expected": error.expected,
                                      "current": error.current, "changes": error.changes,
                                      "mine": candidate.content()}
        st.rerun()
    except RopaError as error:
        st.session_state[ERRORS] = {GENERAL: [str(error)]}
        st.rerun()
    st.session_state[FLASH] = message
    st.session_state.pop(NOTICE, None)
    start(("activity", int(saved.id or 0), saved.version), saved.content(), force=True)
    st.rerun()


def _conflict_panel(db: Database, activity: Activity | None, entities: list[Entity]) -> None:
    conflict = st.session_state.get(CONFLICT)
    if not conflict or activity is None:
        return
    st.error(f"Not saved: {show.md(conflict['by'])} changed this activity at {show.md(conflict['at'])} "
             f"(version {conflict['expected']} → {conflict['current']}) after you opened it. "
             "Your edits are still in the form below. Their changes:", icon=":material/sync_problem:")
    names = {int(e.id or 0): e.name for e in entities}
    show.changes_table(conflict_changes(conflict["changes"], names), key="actform_conflict_changes")
    left, right = st.columns(2)
    if left.button("Apply my edits to their version", key="actform_merge", icon=":material/merge:"):
        _merge(db, activity, conflict)
    if right.button("Discard my edits and load their version", key="actform_discard", icon=":material/undo:"):
        start(("activity", int(activity.id or 0), activity.version), activity.content(), force=True)
        st.session_state.pop(NOTICE, None)
        st.rerun()


def _merge(db: Database, activity: Activity, conflict: dict[str, Any]) -> None:
    kind, record_id, version = st.session_state[TARGET]
    try:
        current = get_activity(db, record_id)
    except NotFound as error:
        st.session_state[ERRORS] = {GENERAL: [str(error)]}
        st.rerun()
    base = audit.snapshot(db, "activity", record_id, version) or st.session_state[DRAFT]
    merged, clashes = merge(base, conflict["mine"], current.content())
    start(("activity", record_id, current.version), merged, force=True)
    if clashes:
        fields = ", ".join(field_label(f) for f in clashes)
        st.session_state[NOTICE] = (f"You and {conflict['by']} both changed: {fields}. The form holds your values "
                                    "for these; check them, then save.")
    else:
        st.session_state[NOTICE] = f"Your edits now sit on top of {conflict['by']}'s version; review and save."
    st.rerun()

