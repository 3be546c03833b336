"""The review workflow in storage: steps carry the version the user saw, approval needs a second person,
and an approved record whose content changes is a draft again."""

from __future__ import annotations

from datetime import date

import pytest

from ropa.auth import Role, User
from ropa.errors import ConflictError, PermissionDenied, RopaError, ValidationFailed
from ropa.four_eyes import four_eyes_applies
from ropa.models import Activity, Entity
from ropa.storage.activities import (
    create_activity,
    get_activity,
    mark_reviewed,
    transition,
    update_activity,
)
from ropa.storage.database import Database
from tests.factories import DPO, EDITOR, make_activity

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

SECOND = User("second@example.test", Role.EDITOR, "Second Editor")


def _activity(db: Database, entity: Entity, status: str = "draft", by: User = DPO) -> Activity:
    return create_activity(db, by, make_activity(entity.id or 0, status=status))


@pytest.mark.parametrize("step", ["submit", "approve", "review"])
def test_a_step_on_a_version_that_changed_meanwhile_is_refused_with_the_changes(
        db: Database, entity: Entity, step: str) -> None:
    start = {"submit": "draft", "approve": "in_review", "review": "in_review"}[step]
    seen = _activity(db, entity, start, by=SECOND)
    update_activity(db, EDITOR, seen.model_copy(update={"purpose": "Changed behind the approver's back"}), 1)
    with pytest.raises(ConflictError) as refused:
        if step == "review":
            mark_reviewed(db, DPO, seen.id or 0, seen.version, on=date(2026, 6, 1))
        else:
            transition(db, DPO, seen.id or 0, seen.version, "in_review" if step == "submit" else "approved")
    assert refused.value.changes["purpose"][1] == "Changed behind the approver's back"
    assert (refused.value.expected, refused.value.current, refused.value.by) == (1, 2, EDITOR.email)
    stored = get_activity(db, seen.id or 0)
    assert (stored.status, stored.last_reviewed, stored.version) == (start, seen.last_reviewed, 2)


def test_a_step_on_the_version_shown_goes_through(db: Database, entity: Entity) -> None:
    seen = _activity(db, entity, "in_review", by=SECOND)
    assert transition(db, DPO, seen.id or 0, seen.version, "approved").status == "approved"


@pytest.mark.parametrize(("who_changed", "who_submitted", "approver", "refused"), [
    pytest.param(EDITOR, SECOND, EDITOR, True, id="maker-cannot-approve"),
    pytest.param(SECOND, EDITOR, EDITOR, True, id="submitter-cannot-approve"),
    pytest.param(SECOND, SECOND, EDITOR, False, id="someone-else-approves"),
])
def test_four_eyes_the_maker_or_submitter_cannot_approve(db: Database, entity: Entity, who_changed: User,
                                                          who_submitted: User, approver: User,
                                                          refused: bool) -> None:
    draft = _activity(db, entity, "draft", by=DPO)
    changed = update_activity(db, who_changed, draft.model_copy(update={"owner": "New owner"}), 1)
    submitted = transition(db, who_submitted, draft.id or 0, changed.version, "in_review")
    if refused:
        with pytest.raises(PermissionDenied, match="another person must approve"):
            transition(db, approver, draft.id or 0, submitted.version, "approved", four_eyes=True)
        assert get_activity(db, draft.id or 0).status == "in_review"
    else:
        assert transition(db, approver, draft.id or 0, submitted.version, "approved", four_eyes=True).status \
            == "approved"


@pytest.mark.parametrize(("mode", "switch", "allowed"), [
    pytest.param("proxy", "off", True, id="switched-off-for-one-person-team"),
    pytest.param("local", "on", True, id="local-mode-has-one-user"),
    pytest.param("proxy", "on", False, id="proxy-default-on"),
])
def test_by_default_four_eyes_follows_the_settings(db: Database, entity: Entity, monkeypatch: pytest.MonkeyPatch,
                                                   mode: str, switch: str, allowed: bool) -> None:
    monkeypatch.setenv("ROPA_AUTH_MODE", mode)
    monkeypatch.setenv("ROPA_FOUR_EYES", switch)
    draft = _activity(db, entity, "draft", by=EDITOR)
    submitted = transition(db, EDITOR, draft.id or 0, 1, "in_review")
    if allowed:
        assert transition(db, EDITOR, draft.id or 0, submitted.version, "approved").status == "approved"
    else:
        with pytest.raises(PermissionDenied):
            transition(db, EDITOR, draft.id or 0, submitted.version, "approved")


@pytest.mark.parametrize(("mode", "switch", "applies"), [
    pytest.param("proxy", "on", True, id="proxy"),
    pytest.param("oidc", "ON", True, id="oidc"),
    pytest.param("proxy", "off", False, id="relaxed-for-one-person-team"),
    pytest.param("local", "on", False, id="local-has-one-user"),
])
def test_four_eyes_applies_when_people_sign_in_as_themselves(mode: str, switch: str, applies: bool) -> None:
    assert four_eyes_applies(mode, switch) is applies


def test_a_bad_four_eyes_setting_is_one_clear_line() -> None:
    with pytest.raises(RopaError, match="ROPA_FOUR_EYES must be on or off, not 'maybe'"):
        four_eyes_applies("proxy", "maybe")


@pytest.mark.parametrize(("change", "status"), [
    pytest.param({"purpose": "A new purpose"}, "draft", id="content-change-returns-to-draft"),
    pytest.param({"recipients": []}, "draft", id="list-change-returns-to-draft"),
    pytest.param({"next_review_due": date(2030, 1, 1)}, "approved", id="review-date-keeps-approval"),
])
def test_changing_an_approved_activity_returns_it_to_draft_audited(db: Database, entity: Entity,
                                                                   change: dict[str, object], status: str) -> None:
    approved = _activity(db, entity, "approved")
    saved = update_activity(db, EDITOR, approved.model_copy(update=change), 1)
    assert saved.status == status
    detail = db.rows("SELECT detail FROM audit_log WHERE action = 'update'")[0][0]
    assert ("approved -> draft" in detail) is (status == "draft")


def test_mark_reviewed_keeps_an_approved_activity_approved(db: Database, entity: Entity) -> None:
    approved = _activity(db, entity, "approved")
    assert mark_reviewed(db, EDITOR, approved.id or 0, 1, on=date(2026, 6, 1)).status == "approved"


def test_a_transition_the_workflow_does_not_allow_is_refused_in_words(db: Database, entity: Entity) -> None:
    draft = _activity(db, entity, "draft")
    with pytest.raises(ValidationFailed, match="cannot go from draft to approved"):
        transition(db, EDITOR, draft.id or 0, 1, "approved")
