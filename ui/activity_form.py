"""The activity edit form: the record's sections as widgets, saved through the one validation path.

The form is drawn from a *draft* (the content it started from) and remembers
the version it was opened at. A failed save (invalid input or a conflict)
changes nothing and keeps what the user typed; a conflict shows the other
person's changes and offers to apply the user's edits on top of them.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import date
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from ropa.auth import User
from ropa.errors import ConflictError, NotFound, RopaError, ValidationFailed
from ropa.forms import (
    DATE_CELLS,
    GENERAL,
    MANAGED_FIELDS,
    ROW_COLUMNS,
    SECTIONS,
    activity_from_form,
    errors_by_section,
    follow_vendors,
    managed_values,
    table_rows,
)
from ropa.labels import FIELD_HELP, RETENTION_KIND_LABELS, cell_label, count_text, field_label
from ropa.models import Activity, Entity, Vendor
from ropa.storage.activities import create_activity, get_activity, update_activity
from ropa.storage.database import Database
from ropa.storage.vendors import add_term, list_terms, list_vendors
from ui import edit_flow, focus, form_keys
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
BASE = "actform_base"  # the stored content the form's edits started from
KEPT = "actform_kept"  # unsaved edits per record ("activity:5", "new:2"): kept in the session across tabs and pages
FLASH = "actform_flash"

_PLAIN_FIELDS = [f for s in SECTIONS for f in s.fields
                 if f not in ("recipients", "transfers", "systems", "status", "last_reviewed")]
_DATE_FIELDS = ("next_review_due", "superseded_on")
MANAGED_HELP = ("Pick from the managed list of {list}, or type a new one: it is added to the list when you save. "
                "A value that differs from a listed one only in capitals or spaces is saved as the listed one.")
_VENDOR_NAMES: ContextVar[dict[int, str] | None] = ContextVar("form_vendor_names", default=None)
"""The vendor inventory's names by id for this run's tables (set by ``render``; a context variable, so
sessions running at once in their own threads never see each other's)."""


def key(field: str) -> str:
    """The widget key of ``field`` in the form as drawn now."""
    return form_keys.key(FORM, field)


def _record(target: tuple[str, int, int]) -> str:
    return f"{target[0]}:{target[1]}"


def kept_edits(kind: str, record_id: int) -> dict[str, Any] | None:
    """The unsaved edits kept in this session for a record (``kind`` "activity" or "new"), if any."""
    kept: dict[str, dict[str, Any]] = st.session_state.get(KEPT) or {}
    return kept.get(f"{kind}:{record_id}")


def _forget_edits(target: tuple[str, int, int]) -> None:
    kept: dict[str, dict[str, Any]] = dict(st.session_state.get(KEPT) or {})
    kept.pop(_record(target), None)
    st.session_state[KEPT] = kept


def start(target: tuple[str, int, int], draft: dict[str, Any], *, force: bool = False,
          base: dict[str, Any] | None = None) -> None:
    """Point the form at ``target`` (kind, id, version) and restart its widgets from ``draft`` when needed.

    Another record restarts the form, from the unsaved edits kept for it
    when there are some. A newer version of the same record restarts it only
    while the user has typed nothing and no conflict is pending; otherwise
    their edits stay, and saving shows what changed. Widgets that were not
    drawn (another tab or page was shown) come back from the kept edits.
    ``base`` is the stored content the draft started from (default: ``draft``).
    """
    stored = st.session_state.get(TARGET)
    if force:  # the caller decides what the form holds now (saved, merged or discarded): older kept edits go
        _forget_edits(target)
    kept = None if force else kept_edits(target[0], target[1])
    fresh = force or stored is None or tuple(stored[:2]) != target[:2]
    if not fresh and stored is not None and stored[2] != target[2]:
        fresh = not st.session_state.get(CONFLICT) and not kept and not _edited(st.session_state.get(DRAFT) or {})
    if not fresh and kept and key("name") not in st.session_state:
        fresh = True  # the form was away (another tab or page): draw it again from the kept edits
    if fresh:
        form_keys.restart(FORM)
        st.session_state[TARGET] = tuple(kept["target"]) if kept else target
        st.session_state[DRAFT] = kept["values"] if kept else draft
        st.session_state[BASE] = kept["base"] if kept else (base or draft)
        if not kept:
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
        if field in _DATE_FIELDS:
            original = _date(original)
        elif isinstance(value, str) and original is None:
            original = ""
        if value != original:
            return True
    if key("systems") in state and list(state[key("systems")] or []) != list(draft.get("systems") or []):
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


def _multi(field: str, vocabulary: str, draft: dict[str, Any], *, article: bool = False,
           help: str | None = None) -> None:
    current = list(draft.get(field) or [])
    st.multiselect(field_label(field), vocab_options(vocabulary, current), default=current, key=key(field),
                   format_func=vocab_label(vocabulary, article=article), help=help)


def _optional_select(field: str, vocabulary: str, draft: dict[str, Any]) -> None:
    current = draft.get(field)
    options: list[str | None] = [None, *vocab_options(vocabulary, [current] if current else [])]
    st.selectbox(field_label(field), options, index=options.index(current), key=key(field),
                 format_func=vocab_label(vocabulary, article=True))


def _text(field: str, draft: dict[str, Any], *, area: bool = False, help: str | None = None) -> None:
    widget = st.text_area if area else st.text_input
    widget(field_label(field), value=str(draft.get(field) or ""), key=key(field), help=help)


ColumnFactory = Callable[[str, list[Any]], Any]
"""Builds one table column's config from its label and the values the record holds in it now."""


def _text_column(width: str | None = None) -> ColumnFactory:
    return lambda label, _current: st.column_config.TextColumn(label, width=width)  # type: ignore[arg-type]


def _vocab_column(vocabulary: str, width: str | None = None) -> ColumnFactory:
    return lambda label, current: st.column_config.SelectboxColumn(
        label, options=vocab_options(vocabulary, [c for c in current if c]), format_func=vocab_label(vocabulary),
        width=width)  # type: ignore[arg-type]


def _country_column() -> ColumnFactory:
    return lambda label, current: st.column_config.SelectboxColumn(
        label, options=country_options(current), format_func=country_label)


def _mechanism_column() -> ColumnFactory:
    return lambda label, _current: st.column_config.SelectboxColumn(
        label, options=mechanism_options(), format_func=mechanism_label, width="large")


def _date_column() -> ColumnFactory:
    return lambda label, _current: st.column_config.DateColumn(label, format="YYYY-MM-DD")


def _vendor_id(value: object) -> int | None:
    """A vendor cell as an id (the browser may send 3 or 3.0): empty cells (None, NaN, NA, blank) are no vendor."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) and bool(pd.isna(value)):  # type: ignore[call-overload]
        return None
    return int(float(str(value)))


def _vendor_column() -> ColumnFactory:
    """The vendor inventory entry a row is, picked by name; on save the row shows the vendor as it is held."""

    def column(label: str, current: list[Any]) -> Any:
        names = _VENDOR_NAMES.get() or {}
        held = [i for i in (_vendor_id(c) for c in current) if i is not None and i not in names]
        return st.column_config.SelectboxColumn(
            label, options=[*names, *held], width="medium",
            format_func=lambda v: "—" if _vendor_id(v) is None else names.get(_vendor_id(v) or 0, f"vendor {v}"),
            help="A vendor from the inventory (Vendors page): the row then takes its name, country and contract, "
                 "and follows the vendor's later changes.")

    return column


TABLE_COLUMNS: dict[str, dict[str, ColumnFactory]] = {
    "recipients": {
        "category": _vocab_column("recipient_categories", "medium"),
        "name": _text_column("medium"),
        "role": _vocab_column("recipient_roles"),
        "country": _country_column(),
        "contract_ref": _text_column(),
        "vendor_id": _vendor_column(),
    },
    "transfers": {
        "country": _country_column(),
        "recipient": _text_column("medium"),
        "organisation": _vocab_column("international_organisations", "medium"),
        "contract_date": _date_column(),
        "mechanism": _mechanism_column(),
        "tia_ref": _text_column(),
        "safeguard_doc": _text_column(),
        "authority_informed_on": _date_column(),
        "vendor_id": _vendor_column(),
    },
}
"""How each cell of the recipient and transfer tables is edited: one line per column; a model field
not listed here is edited as text. No column is marked required: the browser would hold back an
incomplete new row and it would vanish on save; the form reports it by row and cell instead."""


def _table_editor(table: str, draft: dict[str, Any]) -> pd.DataFrame:
    columns = list(ROW_COLUMNS[table])
    held = draft.get(table) or []
    specs = TABLE_COLUMNS.get(table, {})
    config = {c: specs.get(c, _text_column())(cell_label(table, c), [r.get(c) for r in held]) for c in columns}
    frame = pd.DataFrame(held, columns=columns)
    for column in DATE_CELLS[table]:  # the draft holds ISO text; a date column edits days
        frame[column] = pd.Series([_date(v) for v in frame[column]], index=frame.index, dtype=object)
    frame["vendor_id"] = pd.Series([_vendor_id(v) for v in frame["vendor_id"]], index=frame.index, dtype=object)
    return st.data_editor(frame, key=key(table), num_rows="dynamic", hide_index=True, column_config=config)


def _with_current(terms: list[str], current: list[str]) -> list[str]:
    """A managed list's terms plus any value the draft holds that the list lacks (typed, not yet saved)."""
    return terms + [c for c in current if c and c not in terms]


def _typed(field: str) -> list[str]:
    """What the user typed into a widget that accepts new options, so the options keep offering it."""
    value = st.session_state.get(key(field))
    return [str(v) for v in value] if isinstance(value, list) else [str(value)] if value else []


def _managed_select(field: str, draft: dict[str, Any], lists: dict[str, list[str]]) -> None:
    current = str(draft.get(field) or "")
    options = ["", *_with_current(lists[MANAGED_FIELDS[field]], [current, *_typed(field)])]
    st.selectbox(field_label(field), options, index=options.index(current), key=key(field),
                 accept_new_options=True, format_func=lambda v: v or "—",
                 help=MANAGED_HELP.format(list="business functions"))


def _fields(draft: dict[str, Any], entities: list[Entity], lists: dict[str, list[str]]) -> dict[str, Any]:
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
                st.selectbox(field_label("entity_id"), tree_ids, index=tree_ids.index(draft["entity_id"])
                             if draft.get("entity_id") in tree_ids else 0,
                             format_func=entity_label(entities), key=key("entity_id"))
                roles = vocab_options("roles")
                st.selectbox(field_label("role"), roles, index=roles.index(draft.get("role") or "controller"),
                             format_func=vocab_label("roles", article=True), key=key("role"))
                _text("joint_arrangement_ref", draft)
            with right:
                _text("controller_served", draft, area=True, help="Only for processing done as a processor.")
                _text("joint_controllers", draft, area=True)
        elif section.key == "purpose":
            _text("name", draft)
            _managed_select("business_function", draft, lists)
            _text("purpose", draft, area=True, help="Say why the data is processed, in plain words (Art. 5(1)(b)).")
        elif section.key == "data":
            _multi("data_subjects", "data_subjects", draft)
            current = list(draft.get("data_categories") or [])
            st.multiselect(field_label("data_categories"), vocab_options("data_categories", current),
                           default=current, format_func=category_label, key=key("data_categories"))
            _text("data_source", draft, area=True)
        elif section.key == "recipients":
            extra["recipients"] = _table_editor("recipients", draft)
        elif section.key == "transfers":
            extra["transfers"] = _table_editor("transfers", draft)
        elif section.key == "retention":
            kinds = list(RETENTION_KIND_LABELS)
            left, right = st.columns(2)
            with left:
                st.radio(field_label("retention_kind"), kinds,
                         index=kinds.index(draft.get("retention_kind") or "unknown"),
                         format_func=RETENTION_KIND_LABELS.__getitem__, key=key("retention_kind"), horizontal=True)
                st.number_input(field_label("retention_months"), min_value=0, max_value=1200, step=1,
                                value=draft.get("retention_months"), key=key("retention_months"),
                                help="Used when the retention is a period.")
                _optional_select("retention_trigger", "retention_triggers", draft)
            with right:
                _text("retention_rule", draft, area=True, help="Used when the retention is a stated rule.")
                _text("retention_policy_ref", draft)
        elif section.key == "security":
            _multi("security_measures", "security_measures", draft, article=True)
            _text("security_description", draft, area=True)
            current_systems = list(draft.get("systems") or [])
            st.multiselect(field_label("systems"), _with_current(lists["systems"], current_systems + _typed("systems")),
                           default=current_systems, key=key("systems"), accept_new_options=True,
                           help=MANAGED_HELP.format(list="systems"))
            _text("data_location", draft)
        elif section.key == "lawful":
            _multi("lawful_bases", "lawful_bases", draft, article=True)
            left, right = st.columns(2)
            with left:
                _text("legitimate_interest", draft, area=True)
                _text("lia_ref", draft)
                _text("consent_record_ref", draft)
            with right:
                _multi("art9_conditions", "art9_conditions", draft, article=True)
                _text("dpa_schedule1_condition", draft, area=True)
                _text("art10_basis", draft, area=True)
        elif section.key == "assessment":
            left, right = st.columns(2)
            with left:
                choices: list[bool | None] = [None, True, False]
                st.selectbox(field_label("dpia_required"), choices, index=choices.index(draft.get("dpia_required")),
                             format_func=lambda v: {None: "Not assessed", True: "Yes", False: "No"}[v],
                             key=key("dpia_required"))
                _optional_select("dpia_status", "dpia_statuses", draft)
                _text("dpia_ref", draft)
                _multi("dpia_criteria", "dpia_criteria", draft, article=True)
                _text("dpia_not_required_reason", draft, area=True,
                      help="The DPO's reasons when a screening points to a DPIA but none is needed.")
                _text("dpia_decided_by", draft)
            with right:
                st.checkbox(field_label("adm"),
                            value=bool(draft.get("adm")), key=key("adm"))
                _text("adm_description", draft, area=True)
                _optional_select("adm_basis", "adm_bases", draft)
                _text("rights_available", draft, area=True)
                _text("breach_ref", draft)
        elif section.key == "duties":
            for field in section.fields:
                if field == "retention_per_policy":
                    policy: list[bool | None] = [None, True, False]
                    st.selectbox(field_label(field), policy, index=policy.index(draft.get(field)),
                                 format_func=lambda v: {None: "Not stated", True: "Yes", False: "No"}[v],
                                 key=key(field))
                else:
                    _text(field, draft, area=field not in ("controller_contract_ref", "appropriate_policy_ref"))
        elif section.key == "governance":
            left, right = st.columns(2)
            with left:
                _text("owner", draft)
                _text("source_document", draft)
                _text("source_section", draft)
            with right:
                st.date_input(field_label("next_review_due"), value=_date(draft.get("next_review_due")),
                              key=key("next_review_due"), format="YYYY-MM-DD")
                st.date_input(field_label("superseded_on"), value=_date(draft.get("superseded_on")),
                              key=key("superseded_on"), format="YYYY-MM-DD", help=FIELD_HELP["superseded_on"])
                _text("notes", draft, area=True)
    _section_errors(GENERAL)
    return extra


def _values(extra: dict[str, Any]) -> dict[str, Any]:
    """The form's values as model input."""
    values = {f: st.session_state.get(key(f)) for f in _PLAIN_FIELDS}
    values["business_function"] = values.get("business_function") or ""
    values["systems"] = list(st.session_state.get(key("systems")) or [])
    for name in ("recipients", "transfers"):
        frame: pd.DataFrame = extra[name]
        values[name] = frame.to_dict("records")
    return values


def _comparable(field: str, value: Any) -> Any:
    if field in ROW_COLUMNS:
        return table_rows(value or [], ROW_COLUMNS[field])
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def _keep(values: dict[str, Any]) -> None:
    """Keep the form's values in the session while they differ from the stored record, so leaving loses nothing."""
    target = st.session_state[TARGET]
    base: dict[str, Any] = st.session_state.get(BASE) or st.session_state[DRAFT]
    draft = {**st.session_state[DRAFT], **{f: _comparable(f, v) if f in ROW_COLUMNS else v for f, v in values.items()}}
    if any(_comparable(f, v) != _comparable(f, base.get(f)) for f, v in values.items()):
        st.session_state[KEPT] = {**(st.session_state.get(KEPT) or {}),
                                  _record(target): {"target": target, "base": base, "values": draft}}
    else:
        _forget_edits(target)


def _kept_notice(activity: Activity | None) -> None:
    kind, record_id, _ = st.session_state[TARGET]
    if not kept_edits(kind, record_id):
        return
    box = st.container(horizontal=True, vertical_alignment="center")
    box.info("Unsaved edits: what you typed is kept as a draft in this session, also if you open another tab "
             "or page; it is not in the register until you save.", icon=":material/edit_note:")
    if box.button("Discard my edits", key="actform_discard_kept", icon=":material/delete_sweep:"):
        _forget_edits(st.session_state[TARGET])
        if activity is not None:
            start(("activity", int(activity.id or 0), activity.version), activity.content(), force=True)
        else:
            start((kind, record_id, 0), new_draft(record_id), force=True)
        st.session_state[FLASH] = "Your unsaved edits were discarded."
        st.rerun()


def render(db: Database, user: User, entities: list[Entity], *, activity: Activity | None) -> None:
    """The edit form (``activity``) or the new-activity form (``None``); call ``start`` first.

    Not an ``st.form``: a form's widgets reach the server only on submit, so
    switching tab or page would silently lose them. Each change is kept.
    """
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
    lists = {name: list_terms(db, name) for name in MANAGED_FIELDS.values()}
    vendors = {int(v.id or 0): v for v in list_vendors(db)}
    _VENDOR_NAMES.set({i: v.name for i, v in vendors.items()})
    extra = _fields(draft, entities, lists)
    values = _values(extra)
    _keep(values)
    _kept_notice(activity)
    recased = managed_values(values, lists).notes
    if recased:
        st.info(show.md(" ".join(recased)), icon=":material/spellcheck:")
    label = "Save changes" if kind == "activity" else "Create activity"
    if st.button(label, type="primary", key="actform_save", icon=":material/save:"):
        _submit(db, user, (kind, record_id, version), draft, values, lists, vendors)
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
        st.error(f"Not saved: {count_text(count, 'problem')} to fix; each is shown in its section above.",
                 icon=":material/error:")


def _submit(db: Database, user: User, target: tuple[str, int, int], draft: dict[str, Any], values: dict[str, Any],
            lists: dict[str, list[str]], vendors: dict[int, Vendor]) -> None:
    kind, record_id, version = target
    base = {**draft, "id": record_id if kind == "activity" else None}
    managed = managed_values(values, lists)
    try:
        candidate, followed = follow_vendors(activity_from_form(base, managed.values), vendors)
        added = _add_terms(db, user, managed.new_terms)
        if kind == "activity":
            saved = update_activity(db, user, candidate, version)
            message = f"Saved version {saved.version}." if saved.version != version else "No field changed."
            if draft.get("status") == "approved" and saved.status == "draft":
                message += " It was approved; as its content changed, it is a draft again and needs a new review."
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
        st.session_state[CONFLICT] = edit_flow.conflict_state(error, candidate.content())
        st.rerun()
    except RopaError as error:  # busy or unavailable register, refused permission: nothing saved, edits kept
        st.session_state[ERRORS] = {GENERAL: [f"{error} Nothing was saved; your edits are still in the form."]}
        st.rerun()
    except duckdb.Error as error:  # a storage failure not yet given its own message
        st.session_state[ERRORS] = {GENERAL: [f"The register could not save this ({type(error).__name__}: "
                                              f"{str(error)[:200]}). Nothing was saved; your edits are still in "
                                              "the form."]}
        st.rerun()
    _forget_edits((kind, record_id, version))
    notes = [*managed.notes, *followed, *added]
    st.session_state[FLASH] = " ".join([message, *notes])
    st.session_state.pop(NOTICE, None)
    start(("activity", int(saved.id or 0), saved.version), saved.content(), force=True)
    st.rerun()


def _add_terms(db: Database, user: User, new_terms: dict[str, list[str]]) -> list[str]:
    """Add the new terms of a valid form to their managed lists; what was added, or why not.

    Run just before the activity is saved: once saved, a new term is in use and the list counts it as held.
    """
    said: list[str] = []
    for list_name, terms in new_terms.items():
        for term in terms:
            try:
                add_term(db, user, list_name, term)
            except ValidationFailed:
                continue  # someone added it meanwhile: the list holds it
            except RopaError as error:
                said.append(f"'{term}' could not be added to the managed list ({error}); the activity keeps it.")
                continue
            said.append(f"'{term}' is added to the managed list of {list_name.replace('_', ' ')}.")
    return said


def _conflict_panel(db: Database, activity: Activity | None, entities: list[Entity]) -> None:
    conflict = st.session_state.get(CONFLICT)
    if not conflict or activity is None:
        return
    choice = edit_flow.conflict_panel(conflict, "activity", {int(e.id or 0): e.name for e in entities},
                                      prefix="actform")
    if choice == "merge":
        _merge(db, conflict)
    elif choice == "discard":
        start(("activity", int(activity.id or 0), activity.version), activity.content(), force=True)
        st.session_state.pop(NOTICE, None)
        st.rerun()


def _merge(db: Database, conflict: dict[str, Any]) -> None:
    _, record_id, version = st.session_state[TARGET]
    try:
        current = get_activity(db, record_id)
    except NotFound as error:
        st.session_state[ERRORS] = {GENERAL: [str(error)]}
        st.rerun()
    content, notice = edit_flow.merged(db, "activity", record_id, version, st.session_state[BASE], conflict,
                                       current.content())
    start(("activity", record_id, current.version), content, force=True, base=current.content())
    st.session_state[NOTICE] = notice
    st.rerun()
