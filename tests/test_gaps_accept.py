"""Accepted risks: justified, audited, and lapsing on expiry or when the record changes."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ropa.errors import NotFound, PermissionDenied, ValidationFailed
from ropa.gaps import accept_finding, accepted_findings, analyse, revoke_acceptance
from ropa.models import Activity, Entity
from ropa.storage.activities import create_activity, update_activity
from ropa.storage.database import Database
from ropa.storage.entities import create_entity, update_entity
from tests.factories import DPO, EDITOR, VIEWER, make_activity, make_entity

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

AS_OF = date(2025, 6, 1)
EXPIRES = date(2025, 12, 31)


def unreviewed(db: Database, entity: Entity) -> Activity:
    """An activity whose only finding is that it was never reviewed."""
    assert entity.id is not None
    return create_activity(db, DPO, make_activity(entity.id))


def rules_of(db: Database, as_of: date = AS_OF) -> list[str]:
    return list(analyse(db, as_of=as_of)["rule"])


def accept_review(db: Database, activity: Activity, **kw: object) -> None:
    defaults: dict[str, object] = {"justification": "Reviewed at the annual audit", "expires_on": EXPIRES,
                                   "today": AS_OF}
    defaults.update(kw)
    accept_finding(db, EDITOR, "review_overdue", activity.id, "", **defaults)  # type: ignore[arg-type]


def test_an_accepted_finding_is_suppressed_and_listed(db: Database, entity: Entity) -> None:
    activity = unreviewed(db, entity)
    assert rules_of(db) == ["review_overdue"]
    accept_review(db, activity)
    assert rules_of(db) == []
    shown = analyse(db, as_of=AS_OF, include_accepted=True)
    assert list(shown["accepted"]) == [True] and list(shown["accepted_until"]) == [EXPIRES]
    listed = accepted_findings(db, as_of=AS_OF)
    assert list(listed["status"]) == ["active"] and listed.iloc[0]["justification"] == "Reviewed at the annual audit"


def test_accepting_is_audited_in_the_same_transaction(db: Database, entity: Entity) -> None:
    activity = unreviewed(db, entity)
    accept_review(db, activity)
    rows = db.rows("SELECT actor, action, record_type, entity_id, version, after FROM audit_log "
                   "WHERE record_type = 'accepted_finding'")
    assert len(rows) == 1
    actor, action, record_type, entity_id, version, after = rows[0]
    assert (actor, action, entity_id, version) == (EDITOR.email, "accept_risk", entity.id, activity.version)
    assert json.loads(after)["justification"] == "Reviewed at the annual audit"


def test_the_finding_reappears_when_the_acceptance_expires(db: Database, entity: Entity) -> None:
    activity = unreviewed(db, entity)
    accept_review(db, activity)
    assert rules_of(db, EXPIRES) == []
    assert rules_of(db, date(2026, 1, 1)) == ["review_overdue"]
    assert list(accepted_findings(db, as_of=date(2026, 1, 1))["status"]) == ["expired"]


def test_the_finding_reappears_when_the_activity_is_edited(db: Database, entity: Entity) -> None:
    activity = unreviewed(db, entity)
    accept_review(db, activity)
    update_activity(db, EDITOR, activity.model_copy(update={"purpose": "A reworded purpose."}), activity.version)
    assert rules_of(db) == ["review_overdue"]
    assert list(accepted_findings(db, as_of=AS_OF)["status"]) == ["record changed"]


def test_an_entity_finding_lapses_when_the_entity_is_edited(db: Database) -> None:
    entity = create_entity(db, DPO, make_entity(dpo_required=None))
    assert entity.id is not None
    accept_finding(db, EDITOR, "dpo_requirement_unknown", None, "", "Assessed by counsel", EXPIRES,
                   entity_id=entity.id, today=AS_OF)
    assert rules_of(db) == []
    update_entity(db, DPO, entity.model_copy(update={"phone": "+44 20 7946 0999"}), entity.version)
    assert rules_of(db) == ["dpo_requirement_unknown"]


def test_revoking_brings_the_finding_back_and_is_audited(db: Database, entity: Entity) -> None:
    activity = unreviewed(db, entity)
    accept_review(db, activity)
    acceptance_id = int(accepted_findings(db).iloc[0]["id"])
    revoke_acceptance(db, EDITOR, acceptance_id)
    assert rules_of(db) == ["review_overdue"] and accepted_findings(db).empty
    assert db.rows("SELECT action FROM audit_log WHERE record_type = 'accepted_finding' ORDER BY id") == [
        ("accept_risk",), ("revoke_risk",)]
    with pytest.raises(NotFound):
        revoke_acceptance(db, EDITOR, acceptance_id)


def test_accepting_again_replaces_the_earlier_acceptance(db: Database, entity: Entity) -> None:
    activity = unreviewed(db, entity)
    accept_review(db, activity)
    accept_review(db, activity, justification="Extended after the audit", expires_on=date(2026, 6, 1))
    listed = accepted_findings(db, as_of=AS_OF)
    assert len(listed) == 1 and listed.iloc[0]["justification"] == "Extended after the audit"
    assert len(analyse(db, as_of=AS_OF, include_accepted=True)) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"justification": "   "}, "Justification"),
        ({"expires_on": AS_OF}, "Expires on"),
        ({"justification": "x" * 20_001}, "Justification"),
    ],
    ids=["blank-justification", "expiry-not-in-the-future", "huge-justification"],
)
def test_bad_acceptances_are_refused_and_nothing_is_written(db: Database, entity: Entity,
                                                           kwargs: dict[str, object], field: str) -> None:
    activity = unreviewed(db, entity)
    with pytest.raises(ValidationFailed) as raised:
        accept_review(db, activity, **kwargs)
    assert [e.field for e in raised.value.errors] == [field]
    assert db.rows("SELECT count(*) FROM accepted_findings") == [(0,)]


def test_unknown_rule_or_wrong_target_is_refused(db: Database, entity: Entity) -> None:
    activity = unreviewed(db, entity)
    with pytest.raises(ValidationFailed, match="no gap rule"):
        accept_finding(db, EDITOR, "no_such_rule", activity.id, "", "why", EXPIRES, today=AS_OF)
    with pytest.raises(ValidationFailed, match="about an entity"):
        accept_finding(db, EDITOR, "dpo_requirement_unknown", activity.id, "", "why", EXPIRES, today=AS_OF)
    with pytest.raises(NotFound):
        accept_finding(db, EDITOR, "review_overdue", 999, "", "why", EXPIRES, today=AS_OF)


def test_viewers_may_not_accept_or_revoke_risks(db: Database, entity: Entity) -> None:
    activity = unreviewed(db, entity)
    with pytest.raises(PermissionDenied):
        accept_finding(db, VIEWER, "review_overdue", activity.id, "", "why", EXPIRES, today=AS_OF)
    accept_review(db, activity)
    with pytest.raises(PermissionDenied):
        revoke_acceptance(db, VIEWER, int(accepted_findings(db).iloc[0]["id"]))


def test_hostile_justification_is_stored_verbatim(db: Database, entity: Entity) -> None:
    activity = unreviewed(db, entity)
    hostile = "'); DROP TABLE accepted_findings;-- <script>x</script> =HYPERLINK(\"http://x\")"
    accept_review(db, activity, justification=hostile)
    assert accepted_findings(db).iloc[0]["justification"] == hostile
