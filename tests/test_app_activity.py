"""The activity page: create, edit, validation, conflicts, workflow, archive/restore and history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ropa.models import Activity
from ropa.storage.activities import add_months, create_activity, get_activity, transition, update_activity
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity
from tests.factories import DPO, EDITOR, Seeded, make_activity, make_entity
from ui.form_keys import field_key, generation_key

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent


def _with_entity(db: Database) -> int:
    return create_entity(db, DPO, make_entity()).id or 0


@cache
def _with_activity(**overrides: object) -> Callable[[Database], int]:
    """One build per set of overrides, so ``seeded`` makes each register once per session."""
    def build(db: Database) -> int:
        return create_activity(db, DPO, make_activity(_with_entity(db), **overrides)).id or 0
    return build


def _seed(seeded: Seeded, app_env: Path, **overrides: object) -> tuple[Database, Activity]:
    """The app's register holding one entity and one activity (``overrides`` on the factory's)."""
    activity_id: int = seeded(_with_activity(**overrides), app_env)
    db = open_database(app_env)
    return db, get_activity(db, activity_id)


def _open(activity_id: int | None = None, tab: str = "Edit", **params: str) -> AppTest:
    """The page opened on ``tab`` (only the chosen tab is built, so the form needs Edit)."""
    at = AppTest.from_file(str(ROOT / "screens" / "activity.py"), default_timeout=30)
    if activity_id is not None:
        at.query_params["id"] = str(activity_id)
    for name, value in params.items():
        at.query_params[name] = value
    at.session_state["activity_tabs"] = tab
    return at.run()


def _show(at: AppTest, tab: str) -> AppTest:
    """Choose another tab, as a click on it does."""
    at.session_state["activity_tabs"] = tab
    return at.run()


def _texts(at: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(at, kind)]


def _k(at: AppTest, field: str) -> str:
    """The key of a form field as the form is drawn now (it changes when the form restarts)."""
    state = at.session_state
    return field_key("act", field, int(state[generation_key("act")]) if generation_key("act") in state else 0)


def _table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page that has ``column`` (read-only tables carry no key in AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _unescape(text: str) -> str:
    return text.replace("\\", "")


def test_create_an_activity_through_the_form(app_env: Path, seeded: Seeded) -> None:
    entity_id: int = seeded(_with_entity, app_env)
    db = open_database(app_env)
    at = _open(new="1", entity=str(entity_id))
    assert at.title[0].value == "New processing activity"
    at.text_input(key=_k(at, "name")).set_value("Visitor Wi-Fi")
    at.text_area(key=_k(at, "purpose")).set_value("Give visitors internet access and keep the logs the law requires.")
    at.multiselect(key=_k(at, "lawful_bases")).set_value(["legal_obligation"])
    at.multiselect(key=_k(at, "data_categories")).set_value(["online.ip_address", "online.device"])
    at.radio(key=_k(at, "retention_kind")).set_value("period")
    at.number_input(key=_k(at, "retention_months")).set_value(12)
    at.button(key="actform_save").click().run()
    assert not at.exception
    assert at.query_params["id"]
    created = get_activity(db, int(at.query_params["id"]))
    assert (created.name, created.lawful_bases, created.retention_months) == ("Visitor Wi-Fi", ["legal_obligation"], 12)
    assert created.status == "draft" and created.created_by == "dpo@localhost"
    assert "Created activity" in _unescape(" ".join(_texts(at, "success")))


def test_a_new_activity_without_a_name_is_refused_next_to_the_field(app_env: Path, seeded: Seeded) -> None:
    entity_id: int = seeded(_with_entity, app_env)
    db = open_database(app_env)
    at = _open(new="1", entity=str(entity_id))
    at.text_area(key=_k(at, "purpose")).set_value("Something")
    at.button(key="actform_save").click().run()
    assert "Name of the activity is required." in _unescape(" ".join(_texts(at, "error")))
    assert at.text_area(key=_k(at, "purpose")).value == "Something"
    assert db.rows("SELECT count(*) FROM activities")[0][0] == 0


def test_edit_saves_a_new_version_and_shows_it_in_the_history(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.text_area(key=_k(at, "purpose")).set_value("Bill customers monthly.")
    at.multiselect(key=_k(at, "data_categories")).set_value(["identity.name", "contact.address"])
    at.button(key="actform_save").click().run()
    assert not at.exception
    saved = get_activity(db, activity.id or 0)
    assert (saved.purpose, saved.version) == ("Bill customers monthly.", 2)
    history = _table_with(_show(at, "History"), "field")
    edited = history[history["version"] == 2]
    assert set(edited["field"]) == {"Purpose of processing", "Categories of personal data", "Status"}  # back to draft
    categories = edited[edited["field"] == "Categories of personal data"].iloc[0]
    assert list(categories["added"]) == ["Postal address"]
    assert set(categories["removed"]) == {"Email address", "Invoices, billing and payment history"}


def test_over_long_input_is_refused_and_the_form_keeps_it(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.text_input(key=_k(at, "name")).set_value("N" * 501)
    at.button(key="actform_save").click().run()
    assert "Name of the activity is too long (501 characters; at most 500)." in _unescape(" ".join(_texts(at, "error")))
    assert at.text_input(key=_k(at, "name")).value == "N" * 501
    assert get_activity(db, activity.id or 0).version == 1


def test_a_conflicting_save_is_refused_shows_their_change_and_keeps_mine(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.text_area(key=_k(at, "purpose")).set_value("My purpose")
    theirs = activity.model_copy(update={"owner": "Their owner"})
    update_activity(db, EDITOR, theirs, 1)
    at.button(key="actform_save").click().run()
    errors = _unescape(" ".join(_texts(at, "error")))
    assert "Not saved: editor@example.test changed this activity" in errors
    changes = _table_with(at, "Field")
    assert changes.iloc[0].to_dict()["Field"] == "Owner"
    assert changes.iloc[0].to_dict()["After"] == "Their owner"
    assert at.text_area(key=_k(at, "purpose")).value == "My purpose"
    stored = get_activity(db, activity.id or 0)
    assert (stored.owner, stored.purpose, stored.version) == ("Their owner", activity.purpose, 2)


def test_after_a_conflict_my_edits_can_be_applied_on_top_of_theirs(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.text_area(key=_k(at, "purpose")).set_value("My purpose")
    update_activity(db, EDITOR, activity.model_copy(update={"owner": "Their owner"}), 1)
    at.button(key="actform_save").click().run()
    at.button(key="actform_merge").click().run()
    assert at.text_area(key=_k(at, "purpose")).value == "My purpose"
    assert at.text_input(key=_k(at, "owner")).value == "Their owner"
    at.button(key="actform_save").click().run()
    stored = get_activity(db, activity.id or 0)
    assert (stored.owner, stored.purpose, stored.version) == ("Their owner", "My purpose", 3)


def test_when_both_changed_the_same_field_the_clash_is_named(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.text_area(key=_k(at, "purpose")).set_value("My purpose")
    update_activity(db, EDITOR, activity.model_copy(update={"purpose": "Their purpose"}), 1)
    at.button(key="actform_save").click().run()
    at.button(key="actform_merge").click().run()
    assert "both changed: Purpose of processing" in _unescape(" ".join(_texts(at, "warning")))
    assert at.text_area(key=_k(at, "purpose")).value == "My purpose"


def test_after_a_conflict_my_edits_can_be_discarded(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.text_area(key=_k(at, "purpose")).set_value("My purpose")
    update_activity(db, EDITOR, activity.model_copy(update={"purpose": "Their purpose"}), 1)
    at.button(key="actform_save").click().run()
    at.button(key="actform_discard").click().run()
    assert at.text_area(key=_k(at, "purpose")).value == "Their purpose"
    assert not at.error


def test_recipients_and_transfers_are_edited_as_tables(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.session_state[_k(at, "recipients")] = {
        "edited_rows": {0: {"name": "Renamed Cloud Ltd"}},
        "added_rows": [{"category": "payment_providers", "name": "PayCo", "role": "processor", "country": "IE"}],
        "deleted_rows": [],
    }
    at.session_state[_k(at, "transfers")] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"country": "US", "recipient": "PayCo Inc", "mechanism": "dpf"}],
    }
    at.button(key="actform_save").click().run()
    assert not at.exception, at.exception
    saved = get_activity(db, activity.id or 0)
    assert [r.name for r in saved.recipients] == ["Renamed Cloud Ltd", "PayCo"]
    assert saved.recipients[1].country == "IE" and saved.recipients[1].contract_ref == ""
    assert [(t.country, t.mechanism) for t in saved.transfers] == [("US", "dpf")]


@pytest.mark.parametrize(("table", "row", "message"), [
    pytest.param("recipients", {"name": "No category given"},
                 "Recipient row 2: Category is missing: fill it in, or delete the row.", id="recipient-no-category"),
    pytest.param("transfers", {"recipient": "US Payroll Inc", "mechanism": "dpf"},
                 "Transfer row 1: A transfer needs a destination country or an international organisation.",
                 id="transfer-no-country"),
])
def test_an_incomplete_row_is_refused_by_row_and_cell_and_nothing_is_saved(
        app_env: Path, seeded: Seeded, table: str, row: dict[str, str], message: str) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.text_input(key=_k(at, "owner")).set_value("Typed owner")
    at.session_state[_k(at, table)] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [row]}
    at.button(key="actform_save").click().run()
    errors = _unescape(" ".join(_texts(at, "error")))
    assert message in errors and "Not saved: 1 problem to fix" in errors, errors
    assert get_activity(db, activity.id or 0).version == 1
    assert at.text_input(key=_k(at, "owner")).value == "Typed owner"


def test_a_new_activity_with_an_incomplete_transfer_is_not_created(app_env: Path, seeded: Seeded) -> None:
    entity_id: int = seeded(_with_entity, app_env)
    db = open_database(app_env)
    at = _open(new="1", entity=str(entity_id))
    at.text_input(key=_k(at, "name")).set_value("US payroll")
    at.session_state[_k(at, "transfers")] = {"edited_rows": {}, "deleted_rows": [],
                                             "added_rows": [{"recipient": "US Payroll Inc"}]}
    at.button(key="actform_save").click().run()
    assert "Transfer row 1: A transfer needs a destination country" in _unescape(" ".join(_texts(at, "error")))
    assert not any("Created activity" in t for t in _texts(at, "success"))
    assert db.rows("SELECT count(*) FROM activities")[0][0] == 0


@pytest.mark.parametrize(("start", "button", "expected"), [
    pytest.param("draft", "activity_to_in_review", "in_review", id="submit-for-review"),
    pytest.param("in_review", "activity_to_approved", "approved", id="approve"),
    pytest.param("in_review", "activity_to_draft", "draft", id="return-to-draft"),
    pytest.param("approved", "activity_to_in_review", "in_review", id="reopen"),
])
def test_review_workflow_moves_the_status_and_records_who(app_env: Path, seeded: Seeded, start: str, button: str,
                                                          expected: str) -> None:
    db, activity = _seed(seeded, app_env, status=start)
    at = _open(activity.id)
    at.button(key=button).click().run()
    assert not at.exception
    assert get_activity(db, activity.id or 0).status == expected
    detail = db.rows("SELECT actor, detail FROM audit_log WHERE action = 'status'")
    assert detail == [("dpo@localhost", f"{start} -> {expected}")]
    assert "set by dpo@localhost" in _unescape(at.caption[0].value)


def test_only_the_allowed_transitions_are_offered(app_env: Path, seeded: Seeded) -> None:
    _, activity = _seed(seeded, app_env, status="draft")
    at = _open(activity.id)
    keys = {b.key for b in at.button}
    assert "activity_to_in_review" in keys
    assert not {"activity_to_approved", "activity_to_draft"} & keys


def test_mark_reviewed_sets_last_review_and_next_due_from_config(app_env: Path, seeded: Seeded,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROPA_REVIEW_INTERVAL_MONTHS", "6")
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.button(key="activity_mark_reviewed").click().run()
    saved = get_activity(db, activity.id or 0)
    assert saved.last_reviewed == date.today()
    assert saved.next_review_due == add_months(date.today(), 6)


def test_archive_asks_first_then_archives_and_restore_brings_it_back_as_draft(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.button(key="activity_archive").click().run()
    assert get_activity(db, activity.id or 0).status == "approved"
    at.button(key="activity_archive_confirm").click().run()
    assert get_activity(db, activity.id or 0).status == "archived"
    assert "archived" in at.info[0].value
    at.button(key="activity_restore").click().run()
    at.button(key="activity_restore_confirm").click().run()
    assert get_activity(db, activity.id or 0).status == "draft"


def test_archive_of_a_record_changed_meanwhile_is_refused(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.button(key="activity_archive").click().run()
    transition(db, EDITOR, activity.id or 0, 1, "in_review")
    at.button(key="activity_archive_confirm").click().run()
    assert "Not done: editor@example.test changed this activity" in _unescape(" ".join(_texts(at, "error")))
    assert get_activity(db, activity.id or 0).status == "in_review"


def test_duplicate_creates_a_draft_copy_and_opens_it(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.button(key="activity_duplicate").click().run()
    at.button(key="activity_duplicate_confirm").click().run()
    copy_id = int(at.query_params["id"])
    assert copy_id != activity.id
    copy = get_activity(db, copy_id)
    assert (copy.name, copy.status) == ("Customer billing (copy)", "draft")
    assert _unescape(at.title[0].value) == "Customer billing (copy)"


HOSTILE = "<script>alert(1)</script> **bold** :red[x] $x$ [link](http://x) =HYPERLINK(\"http://x\")"


def test_hostile_text_is_escaped_wherever_it_is_shown(app_env: Path, seeded: Seeded) -> None:
    _, activity = _seed(seeded, app_env, name=HOSTILE, purpose=HOSTILE, owner=HOSTILE)
    at = _open(activity.id, tab="Record")
    assert not at.exception
    assert _unescape(at.title[0].value) == HOSTILE.replace("\\", "")
    shown = [m.value for m in at.markdown if "alert" in m.value]
    assert shown and all("\\<script\\>" in m and "\\*\\*bold\\*\\*" in m and "\\:red\\[x\\]" in m for m in shown)
    assert _show(at, "Edit").text_input(key=_k(at, "name")).value == HOSTILE


@pytest.mark.parametrize(("tab", "form_drawn", "history_drawn"), [
    pytest.param("Record", False, False, id="record"),
    pytest.param("Edit", True, False, id="edit"),
    pytest.param("History", False, True, id="history"),
])
def test_only_the_chosen_tab_is_built(app_env: Path, seeded: Seeded, tab: str, form_drawn: bool,
                                      history_drawn: bool) -> None:
    _, activity = _seed(seeded, app_env)
    at = _open(activity.id, tab=tab)
    assert not at.exception
    assert any(b.key == "actform_save" for b in at.button) is form_drawn
    assert any("field" in d.value.columns for d in at.dataframe) is history_drawn
    assert any("Purpose" in m.value for m in at.markdown) is (tab == "Record")


def test_the_chosen_tab_stays_open_when_another_activity_is_opened(app_env: Path, seeded: Seeded) -> None:
    db, first = _seed(seeded, app_env)
    second = create_activity(db, DPO, make_activity(first.entity_id, name="Second"))
    at = _open(first.id, tab="History")
    at.query_params["id"] = str(second.id)
    at.run()
    assert at.session_state["activity_tabs"] == "History"
    assert any("field" in d.value.columns for d in at.dataframe)


def test_the_form_starts_afresh_when_another_activity_is_opened(app_env: Path, seeded: Seeded) -> None:
    db, first = _seed(seeded, app_env)
    second = create_activity(db, DPO, make_activity(first.entity_id, name="Second"))
    at = _open(first.id)
    at.text_area(key=_k(at, "purpose")).set_value("typed but not saved")
    at.query_params["id"] = str(second.id)
    at.run()
    assert at.text_input(key=_k(at, "name")).value == "Second"
    assert at.text_area(key=_k(at, "purpose")).value == second.purpose


def test_a_record_saved_elsewhere_refreshes_an_untouched_form(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    update_activity(db, EDITOR, activity.model_copy(update={"owner": "Their owner"}), 1)
    at.run()
    assert at.text_input(key=_k(at, "owner")).value == "Their owner"


@pytest.mark.parametrize(("start", "button"), [
    pytest.param("draft", "activity_to_in_review", id="submit"),
    pytest.param("in_review", "activity_to_approved", id="approve"),
    pytest.param("in_review", "activity_mark_reviewed", id="mark-reviewed"),
])
def test_a_step_clicked_on_a_version_changed_meanwhile_is_refused_with_the_changes(
        app_env: Path, seeded: Seeded, start: str, button: str) -> None:
    db, activity = _seed(seeded, app_env, status=start)
    at = _open(activity.id, tab="Record")
    update_activity(db, EDITOR, activity.model_copy(update={"purpose": "Sell the data"}), 1)
    at.button(key=button).click().run()
    assert not at.exception
    assert "Not done: editor@example.test changed this activity" in _unescape(" ".join(_texts(at, "error")))
    changes = _table_with(at, "Field")
    assert changes.iloc[0].to_dict()["After"] == "Sell the data"
    stored = get_activity(db, activity.id or 0)
    assert (stored.status, stored.last_reviewed, stored.version) == (start, activity.last_reviewed, 2)


def test_local_mode_says_plainly_it_has_one_user_when_approving(app_env: Path, seeded: Seeded) -> None:
    _, activity = _seed(seeded, app_env, status="in_review")
    at = _open(activity.id, tab="Record")
    assert any("Local mode has one user" in c.value for c in at.caption)


def test_editing_an_approved_activity_makes_it_a_draft_and_says_so(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env, status="approved")
    at = _open(activity.id)
    at.text_area(key=_k(at, "purpose")).set_value("A changed purpose")
    at.button(key="actform_save").click().run()
    assert "it is a draft again" in _unescape(" ".join(_texts(at, "success")))
    assert get_activity(db, activity.id or 0).status == "draft"


def test_unsaved_edits_survive_another_tab_and_are_said_to_be_kept(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.text_area(key=_k(at, "purpose")).set_value("Typed, not saved").run()
    at.session_state[_k(at, "transfers")] = {"edited_rows": {}, "deleted_rows": [],
                                             "added_rows": [{"recipient": "Half-typed row"}]}
    at.run()
    _show(at, "Record")
    assert any("unsaved edits to this activity, kept as a draft" in i.value for i in at.info)
    _show(at, "Edit")
    assert at.text_area(key=_k(at, "purpose")).value == "Typed, not saved"
    assert any("Unsaved edits" in i.value for i in at.info)
    at.button(key="actform_save").click().run()
    assert "Transfer row 1: A transfer needs a destination country" in _unescape(" ".join(_texts(at, "error")))
    assert get_activity(db, activity.id or 0).version == 1


def test_unsaved_edits_survive_opening_another_activity_and_coming_back(app_env: Path, seeded: Seeded) -> None:
    db, first = _seed(seeded, app_env)
    second = create_activity(db, DPO, make_activity(first.entity_id, name="Second"))
    at = _open(first.id)
    at.text_area(key=_k(at, "purpose")).set_value("Typed on the first").run()
    at.query_params["id"] = str(second.id)
    at.run()
    assert at.text_area(key=_k(at, "purpose")).value == second.purpose
    at.query_params["id"] = str(first.id)
    at.run()
    assert at.text_area(key=_k(at, "purpose")).value == "Typed on the first"


def test_discarding_kept_edits_is_explicit_and_restores_the_record(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.text_area(key=_k(at, "purpose")).set_value("Typed, not saved").run()
    _show(_show(at, "Record"), "Edit")
    at.button(key="actform_discard_kept").click().run()
    assert at.text_area(key=_k(at, "purpose")).value == activity.purpose
    assert not any("Unsaved edits" in i.value for i in at.info)
    assert "Your unsaved edits were discarded." in _unescape(" ".join(_texts(at, "success")))
    assert get_activity(db, activity.id or 0).version == 1


HOLD_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


@pytest.mark.keep_registers_open(False)  # another process must be able to take the file
def test_a_save_while_the_register_is_held_elsewhere_keeps_the_edit_and_says_why(
        app_env: Path, seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys

    monkeypatch.setenv("ROPA_BUSY_TIMEOUT", "1")
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.text_area(key=_k(at, "purpose")).set_value("Typed while busy").run()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(app_env), "60"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        at.button(key="actform_save").click().run()
        assert not at.exception
        assert "in use by another program" in _unescape(" ".join(_texts(at, "error")))
    finally:
        holder.kill()
        holder.communicate(timeout=15)
    at.run()
    assert at.text_area(key=_k(at, "purpose")).value == "Typed while busy"
    at.button(key="actform_save").click().run()
    assert get_activity(db, activity.id or 0).purpose == "Typed while busy"


@pytest.mark.parametrize(("switch", "approved"), [
    pytest.param("on", False, id="four-eyes-refuses-the-submitter"),
    pytest.param("off", True, id="one-person-team-relaxes-it"),
])
def test_behind_the_proxy_the_submitter_cannot_approve_their_own_change(
        app_env: Path, seeded: Seeded, monkeypatch: pytest.MonkeyPatch, switch: str, approved: bool) -> None:
    import ui.session

    db, activity = _seed(seeded, app_env, status="draft")
    submitted = transition(db, EDITOR, activity.id or 0, 1, "in_review")
    monkeypatch.setenv("ROPA_AUTH_MODE", "proxy")
    monkeypatch.setenv("ROPA_FOUR_EYES", switch)
    monkeypatch.setattr(ui.session, "current_user", lambda: EDITOR)
    at = _open(activity.id, tab="Record")
    at.button(key="activity_to_approved").click().run()
    assert not at.exception
    assert get_activity(db, activity.id or 0).status == ("approved" if approved else "in_review")
    refusals = _unescape(" ".join(_texts(at, "error")))
    assert ("another person must approve" in refusals) is not approved
    assert submitted.version == 2


def test_the_day_a_record_stopped_being_in_force_is_set_saved_and_read_back(app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    widget = at.date_input(key=_k(at, "superseded_on"))
    assert widget.value is None and widget.label == "No longer in force from"
    assert "Art. 5(2)" in (widget.help or "")
    widget.set_value(date(2024, 3, 31))
    at.button(key="actform_save").click().run()
    assert not at.exception
    saved = get_activity(db, activity.id or 0)
    assert (saved.superseded_on, saved.version) == (date(2024, 3, 31), 2)
    again = _open(activity.id)
    assert again.date_input(key=_k(again, "superseded_on")).value == date(2024, 3, 31)
    record = _show(again, "Record")
    assert "**No longer in force from:** 2024-03-31" in _unescape(" ".join(_texts(record, "markdown")))


def test_the_day_the_authority_was_informed_is_a_transfer_column_saved_and_read_back(
        app_env: Path, seeded: Seeded) -> None:
    db, activity = _seed(seeded, app_env)
    at = _open(activity.id)
    at.session_state[_k(at, "transfers")] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"country": "US", "recipient": "Example Cloud Inc",
                        "mechanism": "derogation_compelling_interests", "safeguard_doc": "Assessment CLI-1",
                        "authority_informed_on": "2025-03-02"}],
    }
    at.button(key="actform_save").click().run()
    assert not at.exception, at.exception
    saved = get_activity(db, activity.id or 0)
    assert [(t.mechanism, t.authority_informed_on) for t in saved.transfers] == [
        ("derogation_compelling_interests", date(2025, 3, 2))]
    record = _show(_open(activity.id), "Record")
    assert "supervisory authority informed on 2025-03-02" in _unescape(" ".join(_texts(record, "markdown")))
