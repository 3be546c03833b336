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
    "lawful_basis_missing_evident_obligation": "lawful_bases",
    "lawful_basis_not_available": "lawful_bases",
    "transfer_contract_date_missing": "transfers",
    "legal_obligation_law_unnamed": "law_relied_on",
    "member_state_law_unnamed": "member_state_law",
    "consent_for_contract_or_employment": "lawful_bases",
    "consent_withdrawal_missing": "consent_withdrawal",
    "child_consent_unverified": "parental_consent",
    "automated_decision_safeguards_missing": "adm_safeguards",
    "automated_decision_on_special_category": "adm_basis",
    "uk_appropriate_policy_missing": "appropriate_policy_ref",
    "uk_policy_adherence_unrecorded": "retention_per_policy",
    "processor_controller_contact_missing": "controller_served",
    "processor_own_contract_missing": "controller_contract_ref",
    "subprocessor_authorisation_missing": "subprocessor_authorisation",
    "group_company_contract_missing": "recipients",
    "eprivacy_consent_missing": "eprivacy_consent",
    "joint_controllership_likely": "joint_controllers",
    "transfer_importer_not_a_recipient": "recipients",
    "transfer_compelling_interests_undocumented": "transfers",
    "transfer_consent_derogation_systematic": "transfers",
    "processor_location_transfer_unrecorded": "data_location",
}


def field_of(rule: str) -> str | None:
    return RULE_FIELDS.get(rule)


def with_fields(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings with the field each concerns (``field``, None when no field is known)."""
    return findings.assign(field=findings["rule"].map(field_of))


def register_findings(db: Database, as_of: date) -> pd.DataFrame:
    """Every open finding of the live register, with its field: one analysis, for every activity's page.

    The analysis has a fixed cost that does not shrink much with its scope (one entity costs about as much
    as the register), so a page keeps this whole result until the register changes.
    """
    from ropa.gaps import analyse

    return with_fields(analyse(db, as_of))


def activity_findings(db: Database, activity_id: int, entity_id: int, as_of: date) -> pd.DataFrame:
    """The open findings on one activity, with the field each concerns, from its entity's analysis."""
    from ropa.gaps import analyse

    findings = analyse(db, as_of, [entity_id])
    return with_fields(findings[findings["activity_id"] == activity_id].reset_index(drop=True))
