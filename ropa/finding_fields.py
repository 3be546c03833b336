"""Which field of the record each gap rule is about: findings show beside it, and "Fix" opens the form there.

A rule not listed here (a new one, or one about the entity rather than the
activity) still shows, at the top of the record, with no field to jump to.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ropa.storage.database import Database

RULE_FIELDS: dict[str, str] = {
    "lawful_basis_missing": "lawful_bases",
    "legitimate_interest_unstated": "legitimate_interest",
    "lia_missing": "lia_ref",
    "consent_record_missing": "consent_record_ref",
    "special_category_without_condition": "art9_conditions",
    "uk_special_category_without_schedule1": "dpa_schedule1_condition",
    "criminal_data_without_art10_basis": "art10_basis",
    "uk_criminal_data_without_schedule1": "dpa_schedule1_condition",
    "automated_decision_without_basis": "adm_basis",
    "purpose_missing": "purpose",
    "data_subjects_missing": "data_subjects",
    "data_categories_missing": "data_categories",
    "recipients_missing": "recipients",
    "retention_missing": "retention_kind",
    "retention_vague": "retention_rule",
    "retention_trigger_missing": "retention_trigger",
    "security_missing": "security_measures",
    "joint_controllers_unnamed": "joint_controllers",
    "joint_arrangement_missing": "joint_arrangement_ref",
    "processor_controller_missing": "controller_served",
    "processor_contract_missing": "recipients",
    "recipient_third_country_without_transfer": "transfers",
    "recipient_adequate_country_transfer_unrecorded": "transfers",
    "transfer_mechanism_missing": "transfers",
    "transfer_mechanism_invalid": "transfers",
    "transfer_mechanism_superseded_by_adequacy": "transfers",
    "transfer_adequacy_not_available": "transfers",
    "transfer_adequacy_without_dpf": "transfers",
    "transfer_tia_missing": "transfers",
    "transfer_derogation_used": "transfers",
    "dpia_indicated": "dpia_status",
    "dpia_incomplete": "dpia_ref",
    "review_overdue": "next_review_due",
}


def field_of(rule: str) -> str | None:
    return RULE_FIELDS.get(rule)


def activity_findings(db: Database, activity_id: int, entity_id: int, as_of: date) -> pd.DataFrame:
    """The open findings on one activity, with the field each concerns (``field``, None when unknown).

    The analysis runs for the activity's entity only: the cost of one entity's records, not the register's.
    """
    from ropa.gaps import analyse

    findings = analyse(db, as_of, [entity_id])
    mine = findings[findings["activity_id"] == activity_id].reset_index(drop=True)
    return mine.assign(field=mine["rule"].map(field_of))
