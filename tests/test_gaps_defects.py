"""One finding per defect: findings with the same cause are grouped, the rest stand alone."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from ropa.gaps import accept_finding, analyse, scores
from ropa.gaps.defects import DEFECT_COLUMNS, defects, findings_of, numbered
from ropa.storage.activities import create_activities
from ropa.storage.database import Database
from ropa.storage.entities import create_entity
from tests.factories import DPO, make_activity, make_entity, make_recipient, make_transfer

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

AS_OF = date(2025, 6, 1)
REVIEWED = {"last_reviewed": date(2025, 3, 1), "next_review_due": date(2026, 3, 1)}
SHIELD = make_transfer(mechanism="privacy_shield", recipient="Group Inc")


def register(db: Database, *activities: dict[str, Any]) -> None:
    entity = create_entity(db, DPO, make_entity())
    assert entity.id is not None
    create_activities(db, DPO, [make_activity(entity.id, **{**REVIEWED, "name": f"Activity {i}", **a})
                                for i, a in enumerate(activities)])


def rule_defects(db: Database, rule: str) -> Any:
    table = defects(analyse(db, AS_OF))
    return table[table["rule"] == rule]


@pytest.mark.parametrize(
    ("rule", "activities", "expected"),
    [
        ("transfer_mechanism_invalid", [{"transfers": [SHIELD]}] * 3, [3]),
        ("transfer_mechanism_invalid",
         [{"transfers": [SHIELD]}, {"transfers": [SHIELD.model_copy(update={"recipient": "Other Inc"})]}], [1, 1]),
        ("processor_contract_missing", [{"recipients": [make_recipient(contract_ref="")]}] * 2, [2]),
        ("retention_vague", [{"retention_kind": "rule", "retention_months": None, "retention_trigger": None,
                              "retention_rule": "As long as necessary", "source_document": "notice.txt"}] * 2, [2]),
        ("lawful_basis_missing", [{"lawful_bases": [], "source_document": "notice.txt"}] * 3, [3]),
        ("lawful_basis_missing", [{"lawful_bases": [], "source_document": ""}] * 2, [1, 1]),
        ("retention_trigger_missing", [{"retention_trigger": None, "source_document": "notice.txt"}] * 2, [1, 1]),
    ],
    ids=["one-transfer-copied-onto-three-records", "two-importers-two-defects", "one-processor-on-two-records",
         "one-retention-sentence-of-one-notice", "one-notice-without-bases", "records-made-in-the-app-stand-alone",
         "a-rule-without-a-shared-cause-stands-alone"],
)
def test_findings_with_one_cause_are_one_defect(db: Database, rule: str, activities: list[dict[str, Any]],
                                                expected: list[int]) -> None:
    register(db, *activities)
    found = rule_defects(db, rule)
    assert sorted(found["activities"].tolist(), reverse=True) == expected
    assert found["findings"].sum() == len(activities)


def test_a_defect_lists_its_affected_activities_and_they_are_its_findings(db: Database) -> None:
    register(db, *[{"transfers": [SHIELD]}] * 3)
    findings = analyse(db, AS_OF)
    defect = rule_defects(db, "transfer_mechanism_invalid").iloc[0]
    assert defect["activity_names"] == ["Activity 0", "Activity 1", "Activity 2"]
    assert defect["message"].startswith("Transfer to United States relies on EU-US Privacy Shield")
    assert "importer" in defect["grouped_by"]
    assert len(findings_of(findings, defect["defect"])) == 3
    assert tuple(defects(findings).columns) == DEFECT_COLUMNS


def test_defects_are_ordered_most_serious_then_widest(db: Database) -> None:
    register(db, *[{"transfers": [SHIELD]}] * 2, {"transfers": [SHIELD.model_copy(update={"recipient": "Solo"})]},
             {"security_measures": [], "security_description": ""})
    table = defects(analyse(db, AS_OF))
    ranks = table["severity"].map(["critical", "high", "medium", "low"].index).tolist()
    assert ranks == sorted(ranks)
    critical = table[table["severity"] == "critical"]
    assert critical["activities"].tolist() == sorted(critical["activities"].tolist(), reverse=True)


def test_a_defect_is_accepted_only_when_every_finding_is(db: Database) -> None:
    register(db, *[{"transfers": [SHIELD]}] * 2)
    first = analyse(db, AS_OF).query("rule == 'transfer_mechanism_invalid'").iloc[0]
    accept_finding(db, DPO, "transfer_mechanism_invalid", int(first["activity_id"]), str(first["subject"]),
                   "Contract being replaced", date.today() + timedelta(days=30))
    table = defects(analyse(db, AS_OF, include_accepted=True))
    defect = table[table["rule"] == "transfer_mechanism_invalid"].iloc[0]
    assert (defect["findings"], defect["open_findings"], bool(defect["accepted"])) == (2, 1, False)


def test_an_activity_counts_each_defect_once_in_its_score(db: Database) -> None:
    register(db, {"transfers": [SHIELD, SHIELD]})
    result = scores(db, AS_OF)
    assert len(analyse(db, AS_OF).query("rule == 'transfer_mechanism_invalid'")) == 2
    assert int(result.activities.iloc[0]["critical"]) == 1


def test_the_export_list_keeps_a_defects_findings_together_most_serious_first(db: Database) -> None:
    register(db, {"transfers": [SHIELD]}, {"security_measures": [], "security_description": ""},
             {"transfers": [SHIELD]})
    frame = numbered(analyse(db, AS_OF))
    assert frame["defect_no"].is_monotonic_increasing and frame["defect_no"].iloc[0] == 1
    first = frame[frame["defect_no"] == 1]
    assert set(first["rule"]) == {"transfer_mechanism_invalid"} and set(first["defect_records"]) == {2}


def test_no_findings_give_no_defects(db: Database) -> None:
    assert defects(analyse(db, AS_OF)).empty and numbered(analyse(db, AS_OF)).empty
