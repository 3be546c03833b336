"""Completeness of the Article 30 record and the severity-weighted compliance score."""

from __future__ import annotations

from datetime import date

import pytest

from ropa.gaps import (
    COMPLETENESS_FORMULA,
    COMPLIANCE_FORMULA,
    SEVERITY_WEIGHTS,
    analyse,
    completeness,
    compliance_score,
    scores,
)
from ropa.models import Entity
from ropa.storage.activities import create_activities
from ropa.storage.database import Database
from ropa.storage.entities import create_entity
from tests.factories import DPO, make_activity, make_entity, make_transfer

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

AS_OF = date(2025, 6, 1)
REVIEWED = {"last_reviewed": date(2025, 3, 1), "next_review_due": date(2026, 3, 1)}
UNKNOWN_RETENTION = {"retention_kind": "unknown", "retention_months": None, "retention_trigger": None}


def test_complete_controller_activity_scores_full_marks(db: Database, entity: Entity) -> None:
    assert entity.id is not None
    create_activities(db, DPO, [make_activity(entity.id, **REVIEWED)])
    row = scores(db, AS_OF).activities.iloc[0]
    assert (row["items_present"], row["items_total"], row["completeness"]) == (7, 7, 1.0)
    assert row["compliance"] == 100.0 and row["missing"] == ""


@pytest.mark.parametrize(
    ("overrides", "present", "total", "missing"),
    [
        ({"purpose": "", **UNKNOWN_RETENTION}, 5, 7, "Art. 30(1)(b) purposes; Art. 30(1)(f) retention periods"),
        ({"recipients": [], "data_subjects": []}, 5, 7, "Art. 30(1)(c)"),
        ({"transfers": [make_transfer(mechanism="privacy_shield")]}, 6, 7, "Art. 30(1)(e)"),
        ({"role": "processor", "controller_served": "", "recipients": [], **UNKNOWN_RETENTION}, 3, 4,
         "Art. 30(2)(a)"),
        ({"role": "processor", "controller_served": "Customer plc", "security_measures": [],
          "security_description": ""}, 3, 4, "Art. 30(2)(d) security measures"),
    ],
    ids=["purpose-and-retention-missing", "recipients-and-subjects-missing", "invalid-transfer-tool",
         "processor-without-controller", "processor-without-security"],
)
def test_completeness_counts_the_article_30_items(db: Database, entity: Entity, overrides: dict[str, object],
                                                  present: int, total: int, missing: str) -> None:
    assert entity.id is not None
    create_activities(db, DPO, [make_activity(entity.id, **REVIEWED, **overrides)])
    row = completeness(db, AS_OF).iloc[0]
    assert (row["items_present"], row["items_total"]) == (present, total)
    assert row["completeness"] == pytest.approx(present / total)
    assert missing in row["missing"]


def test_compliance_score_subtracts_severity_weights(db: Database, entity: Entity) -> None:
    assert entity.id is not None
    create_activities(db, DPO, [make_activity(entity.id, **REVIEWED, lawful_bases=[], retention_trigger=None)])
    row = compliance_score(db, AS_OF).iloc[0]
    assert (row["critical"], row["low"]) == (1, 1)
    assert row["compliance"] == 100 - SEVERITY_WEIGHTS["critical"] - SEVERITY_WEIGHTS["low"]


def test_entity_findings_count_against_each_of_its_activities(db: Database) -> None:
    entity = create_entity(db, DPO, make_entity(dpo_required=None))
    assert entity.id is not None
    create_activities(db, DPO, [make_activity(entity.id, **REVIEWED), make_activity(entity.id, **REVIEWED)])
    result = scores(db, AS_OF)
    assert list(result.activities["compliance"]) == [99.0, 99.0]
    assert result.entities.iloc[0]["compliance"] == 99.0 and result.entities.iloc[0]["findings"] == 1
    assert result.compliance == 99.0


def test_the_score_never_goes_below_zero(db: Database, entity: Entity) -> None:
    assert entity.id is not None
    create_activities(db, DPO, [make_activity(entity.id, lawful_bases=[], data_categories=["special.health"],
                                              transfers=[make_transfer(mechanism=None)], adm=True)])
    assert compliance_score(db, AS_OF).iloc[0]["compliance"] == 0.0


def test_group_and_entity_scores_are_means_over_activities(db: Database, entity: Entity) -> None:
    other = create_entity(db, DPO, make_entity(name="Empty Shell Ltd", dpo_required=None))
    assert entity.id is not None
    create_activities(db, DPO, [make_activity(entity.id, **REVIEWED),
                                make_activity(entity.id, **REVIEWED, purpose="", **UNKNOWN_RETENTION)])
    result = scores(db, AS_OF)
    by_name = result.entities.set_index("entity")
    assert by_name.loc[entity.name, "activities"] == 2
    assert by_name.loc[entity.name, "completeness"] == pytest.approx((1 + 5 / 7) / 2)
    assert result.completeness == pytest.approx((1 + 5 / 7) / 2)
    assert by_name.loc[other.name, "activities"] == 0 and by_name.loc[other.name, "compliance"] == 99.0


def test_accepted_findings_do_not_cost_points(db: Database, entity: Entity) -> None:
    from ropa.gaps import accept_finding

    assert entity.id is not None
    stored = create_activities(db, DPO, [make_activity(entity.id, retention_trigger=None, **REVIEWED)])
    accept_finding(db, DPO, "retention_trigger_missing", stored[0].id, "", "Trigger in policy", date(2026, 1, 1),
                   today=AS_OF)
    findings = analyse(db, AS_OF, include_accepted=True)
    assert compliance_score(db, AS_OF, findings=findings).iloc[0]["compliance"] == 100.0


def test_scores_of_an_empty_register(db: Database) -> None:
    result = scores(db)
    assert result.activities.empty and result.entities.empty
    assert result.completeness is None and result.compliance is None


def test_formulas_name_their_articles_and_weights() -> None:
    assert "Art. 30(1)(a)-(g)" in COMPLETENESS_FORMULA and "Art. 30(2)(a)-(d)" in COMPLETENESS_FORMULA
    assert all(f"{w} × {s}" in COMPLIANCE_FORMULA for s, w in SEVERITY_WEIGHTS.items())


def test_completeness_of_an_empty_scope_has_the_columns_and_no_rows(db: Database, entity: Entity) -> None:
    from ropa.gaps.scoring import COMPLETENESS_COLUMNS

    assert entity.id is not None
    create_activities(db, DPO, [make_activity(entity.id, **REVIEWED)])
    frame = completeness(db, AS_OF, entity_ids=[])
    assert frame.empty and tuple(frame.columns) == COMPLETENESS_COLUMNS
    assert str(frame["activity_id"].dtype) == "Int64" and str(frame["items_present"].dtype) == "int64"
