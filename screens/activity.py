"""One processing activity (?id=N): the Article 30 record, its workflow, edit form and history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from ropa.activities import (
    archive_activity,
    duplicate_activity,
    get_activity,
    mark_reviewed,
    restore_activity,
    transition,
)
from ropa.auth import Role, User
from ropa.changes import conflict_changes
from ropa.config import load_config
from ropa.entities import list_entities
from ropa.errors import ConflictError, NotFound, RopaError
from ropa.four_eyes import four_eyes_required
from ropa.history import history_frame, latest_event
from ropa.labels import months_text, status_label
from ropa.models import Activity, Entity
from ropa.record_view import WORKFLOW_VERBS, workflow_text
from ui import activity_form
from ui.activity_view import render_record
from ui.history_view import render_changes
from ui.nav import REGISTER_PAGE
from ui.render import changes_table, md, notices
from ui.session import Database, current_user, get_db, page_user

# Before anything is read: who is this, and may their role open this page?
user = page_user(__file__)

TABS = "activity_tabs"  # the tab shown: Record, Edit or History
PENDING = "activity_pending"  # the confirmation asked for: (archive|restore|duplicate, activity id, version seen)
REQUEST = "activity_request"  # the workflow step clicked: (to_<status>|review, activity id, version seen)
REFUSED = "activity_refused"  # why the last workflow step was refused, with the changes the user had not seen
TRANSITION_LABELS: dict[tuple[str, str], tuple[str, str]] = {
    ("draft", "in_review"): ("Submit for review", ":material/send:"),
    ("in_review", "approved"): ("Approve", ":material/verified:"),
    ("in_review", "draft"): ("Return to draft", ":material/undo:"),
    ("approved", "in_review"): ("Reopen for review", ":material/replay:"),
}


def _dismiss() -> None:
    st.session_state.pop(PENDING, None)


def _refusal(error: RopaError, entities: dict[int, str]) -> dict[str, object]:
    """What the page says when a workflow write is refused: the reason and, for a stale version, what changed."""
    if isinstance(error, ConflictError):
        return {"message": f"Not done: {error.by} changed this activity at {error.at} (version {error.expected} → "
                           f"{error.current}) after you opened it. Their changes are listed below; look at the "
                           "record again, then decide.",
                "changes": conflict_changes(error.changes, entities)}
    return {"message": str(error), "changes": []}


def _act(action: Callable[[], Activity], success: str, *, open_result: bool = False,
         entities: dict[int, str] | None = None) -> None:
    """Run one workflow write; on success say so and redraw, on refusal say why (nothing changed)."""
    _dismiss()
    try:
        result = action()
    except RopaError as error:
        st.session_state[REFUSED] = _refusal(error, entities or {})
        st.rerun()
    st.session_state[activity_form.FLASH] = success
    if open_result:
        st.query_params["id"] = str(result.id)
    st.rerun()


def _ask(step: str, activity_id: int, version: int) -> None:
    """Remember the step asked for with the version shown when the button was drawn (not the one loaded now)."""
    st.session_state[REQUEST] = (step, activity_id, version)


@st.dialog("Archive this activity?", on_dismiss=_dismiss)
def _confirm_archive(db: Database, user: User, activity: Activity, version: int) -> None:
    st.markdown(f"**{md(activity.name)}** leaves the live register, reports and gap analysis. "
                "It is kept with its full history and can be restored at any time.")
    if st.button("Archive", key="activity_archive_confirm", type="primary", icon=":material/archive:"):
        _act(lambda: archive_activity(db, user, int(activity.id or 0), version), "Archived.")


@st.dialog("Restore this activity?", on_dismiss=_dismiss)
def _confirm_restore(db: Database, user: User, activity: Activity, version: int) -> None:
    st.markdown(f"**{md(activity.name)}** returns to the live register as a draft, "
                "so it is reviewed again before it counts as approved.")
    if st.button("Restore", key="activity_restore_confirm", type="primary", icon=":material/unarchive:"):
        _act(lambda: restore_activity(db, user, int(activity.id or 0), version), "Restored as a draft.")


@st.dialog("Duplicate this activity?", on_dismiss=_dismiss)
def _confirm_duplicate(db: Database, user: User, activity: Activity, version: int) -> None:
    st.markdown(f"A draft copy of **{md(activity.name)}** is created, with every field except its review dates, "
                "and opened for editing.")
    if st.button("Duplicate", key="activity_duplicate_confirm", type="primary", icon=":material/content_copy:"):
        _act(lambda: duplicate_activity(db, user, int(activity.id or 0)), "Duplicated: this is the copy.",
             open_result=True)


def _workflow(db: Database, user: User, activity: Activity, entity_names: dict[int, str]) -> None:
    """Review workflow and record actions, for editors. Each acts on the version the user was shown."""
    activity_id = int(activity.id or 0)
    four_eyes = four_eyes_required()
    interval = load_config().review_interval_months
    bar = st.container(horizontal=True)
    for (source, target), (label, icon) in TRANSITION_LABELS.items():
        if source == activity.status:
            bar.button(label, key=f"activity_to_{target}", icon=icon, on_click=_ask,
                       args=(f"to_{target}", activity_id, activity.version))
    if activity.status != "archived":
        bar.button("Mark reviewed", key="activity_mark_reviewed", icon=":material/fact_check:",
                   help=f"Records a review today; the next falls due in {months_text(interval)}.",
                   on_click=_ask, args=("review", activity_id, activity.version))
        if bar.button("Duplicate", key="activity_duplicate", icon=":material/content_copy:"):
            st.session_state[PENDING] = ("duplicate", activity_id, activity.version)
        if bar.button("Archive", key="activity_archive", icon=":material/archive:"):
            st.session_state[PENDING] = ("archive", activity_id, activity.version)
    elif bar.button("Restore", key="activity_restore", icon=":material/unarchive:"):
        st.session_state[PENDING] = ("restore", activity_id, activity.version)
    if activity.status == "in_review" and load_config().auth_mode.strip().lower() == "local":
        st.caption("Local mode has one user, so the same person submits and approves; four-eyes approval "
                   "applies when people sign in by proxy or OIDC.")
    request = st.session_state.pop(REQUEST, None)
    if request and request[1] == activity_id:
        step, _, seen = request
        if step == "review":
            _act(lambda: mark_reviewed(db, user, activity_id, seen, on=date.today(), interval_months=interval),
                 "Review recorded.", entities=entity_names)
        else:
            target = step.removeprefix("to_")
            _act(lambda: transition(db, user, activity_id, seen, target, four_eyes=four_eyes),
                 f"Status is now {status_label(target)}.", entities=entity_names)
    # Kept in session state, with the version the user saw, so the dialog's own button works on the next
    # run and acts on what the user confirmed (a record changed meanwhile is refused, not silently changed).
    pending = st.session_state.get(PENDING)
    if not pending or pending[1] != activity_id:
        return
    dialogs = {"duplicate": _confirm_duplicate, "archive": _confirm_archive, "restore": _confirm_restore}
    dialogs[pending[0]](db, user, activity, pending[2])


def _refused() -> None:
    """The last refused workflow step: why, and the changes the user had not seen."""
    refused = st.session_state.pop(REFUSED, None)
    if refused:
        st.error(md(str(refused["message"])), icon=":material/sync_problem:")
        if refused["changes"]:
            changes_table(refused["changes"], key="activity_refused_changes")


def _status_line(db: Database, activity: Activity) -> str:
    event = latest_event(db, "activity", int(activity.id or 0), tuple(WORKFLOW_VERBS))
    return workflow_text(activity, event)


def _new_activity(db: Database, user: User, entities: list[Entity]) -> None:
    st.title("New processing activity")
    if not user.can(Role.EDITOR):
        st.warning("Adding activities needs the editor role.", icon=":material/lock:")
        return
    live = [e for e in entities if not e.archived]
    if not live:
        st.info("Add the entity this activity belongs to first (Entities page, admins).", icon=":material/apartment:")
        return
    try:
        wanted = int(st.query_params.get("entity", "0"))
    except ValueError:
        wanted = 0
    entity_id = wanted if wanted in {e.id for e in live} else int(live[0].id or 0)
    activity_form.start(("new", entity_id, 0), activity_form.new_draft(entity_id))
    activity_form.render(db, user, live, activity=None)


def _no_activity(message: str) -> None:
    st.title("Activity")
    st.warning(message, icon=":material/search_off:")
    raw = st.number_input("Open activity by id", min_value=1, step=1, value=None, key="activity_open_id")
    if raw is not None and st.button("Open", key="activity_open"):
        st.query_params["id"] = str(int(raw))
        st.rerun()
    if st.button("Back to the register", key="activity_back", icon=":material/table_view:"):
        st.switch_page(REGISTER_PAGE)


def _page(db: Database, user: User) -> None:
    """The new-activity form (?new), or one activity (?id=N) with the tab the user chose."""
    entities = list_entities(db, include_archived=True)

    if "new" in st.query_params:
        _new_activity(db, user, entities)
        return

    raw_id = st.query_params.get("id")
    if not raw_id:
        _no_activity("Choose an activity in the register, or open one by its id.")
        return
    try:
        activity = get_activity(db, int(str(raw_id)))
    except (ValueError, NotFound):
        _no_activity(f"There is no activity with id {md(str(raw_id)[:40])}. It may have been typed wrongly "
                     "or belong to another register.")
        return

    by_id = {e.id: e for e in entities}
    if activity.entity_id not in by_id:
        _no_activity(f"Activity {activity.id} belongs to entity {activity.entity_id}, which is not in the register.")
        return
    entity = by_id[activity.entity_id]
    parent = by_id.get(entity.parent_id) if entity.parent_id else None

    st.title(md(activity.name))
    st.caption(f"{md(entity.name)} · {md(_status_line(db, activity))} · version {activity.version}, "
               f"last changed by {md(activity.updated_by)}")
    # One container, always drawn, holds the notices: the elements below keep their place between runs,
    # so the tab the user is on stays open when a message comes or goes.
    with st.container():
        notices(activity_form.FLASH, "activity_error")
        _refused()
        if activity.status == "archived":
            st.info("This activity is archived: it is not part of the live register.", icon=":material/archive:")

    editor = user.can(Role.EDITOR)
    if editor:
        _workflow(db, user, activity, {int(e.id or 0): e.name for e in entities})
    names = ["Record", "Edit", "History"] if editor else ["Record", "History"]
    # Only the chosen tab is built: the edit form and the history cost more than the record itself,
    # and most visits only read. The choice is kept per session, so a DPO fixing findings stays on Edit.
    if editor and activity_form.kept_edits("activity", int(activity.id or 0)) and \
            st.session_state.get(TABS, names[0]) != "Edit":
        st.info("You have unsaved edits to this activity, kept as a draft in this session: open the Edit tab to "
                "save or discard them.", icon=":material/edit_note:")
    tabs = dict(zip(names, st.tabs(names, key=TABS, on_change="rerun"), strict=True))
    if tabs["Record"].open:
        with tabs["Record"]:
            render_record(activity, entity, parent, date.today())
    if editor and tabs["Edit"].open:
        with tabs["Edit"]:
            activity_form.start(("activity", int(activity.id or 0), activity.version), activity.content())
            live = [e for e in entities if not e.archived or e.id == activity.entity_id]
            activity_form.render(db, user, live, activity=activity)
    if tabs["History"].open:
        with tabs["History"]:
            history = history_frame(db, record_type="activity", record_id=activity.id, limit=500)
            render_changes(history, {int(e.id or 0): e.name for e in entities}, key="activity_history")


def _unavailable(error: RopaError) -> None:
    """The register could not be read for this run: say so; unsaved edits stay in the session for the next."""
    st.title("Activity")
    st.error(f"{md(str(error))} Any unsaved edits are kept in this session and come back when the register is "
             "available again.", icon=":material/cloud_off:")
    if st.button("Try again", key="activity_retry", icon=":material/refresh:"):
        st.rerun()


db = get_db()
user = current_user()
# One open of the register file for the page's several reads (the record, entities, status, history).
try:
    with db.kept_open():
        _page(db, user)
except RopaError as error:
    _unavailable(error)
