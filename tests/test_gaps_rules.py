"""Each gap rule fires on the case it exists for and stays silent on its near miss."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from ropa.gaps import FINDING_COLUMNS, RULES, SEVERITIES, analyse
from ropa.gaps.catalogue import load_catalogue
from ropa.gaps.tables import static_frames
from ropa.reference import load_reference
from ropa.storage.activities import archive_activity, create_activities, create_activity
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity, insert_entity
from tests.factories import DPO, make_activity, make_entity, make_recipient, make_transfer

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

AS_OF = date(2025, 6, 1)
REVIEWED = {"last_reviewed": date(2025, 3, 1), "next_review_due": date(2026, 3, 1)}
UNKNOWN_RETENTION = {"retention_kind": "unknown", "retention_months": None, "retention_trigger": None}
EU = {"country": "DE", "name": "Example GmbH"}


def stated_retention(text: str) -> dict[str, Any]:
    return {"retention_kind": "rule", "retention_months": None, "retention_trigger": None, "retention_rule": text}


@dataclass(frozen=True)
class Case:
    id: str
    rule: str
    fires: bool
    activity: dict[str, Any] = field(default_factory=dict)
    entity: dict[str, Any] = field(default_factory=dict)
    as_of: date = AS_OF


def fires(rule: str, case_id: str, activity: dict[str, Any] | None = None,
          entity: dict[str, Any] | None = None) -> Case:
    return Case(case_id, rule, True, activity or {}, entity or {})


def silent(rule: str, case_id: str, activity: dict[str, Any] | None = None,
           entity: dict[str, Any] | None = None) -> Case:
    return Case(case_id, rule, False, activity or {}, entity or {})


SPECIAL_OK = {"data_categories": ["special.health"], "art9_conditions": ["employment_social_security"],
              "dpa_schedule1_condition": "Sch. 1 para 1"}
CRIMINAL_OK = {"data_categories": ["criminal.convictions"], "art10_basis": "Rehabilitation of Offenders Act checks",
               "dpa_schedule1_condition": "Sch. 1 para 10"}
JOINT = {"role": "joint_controller", "joint_controllers": "Partner Ltd, 2 Side St", "joint_arrangement_ref": "JCA-1"}
PROCESSOR = {"role": "processor", "controller_served": "Customer plc"}
LI = {"lawful_bases": ["legitimate_interests"], "legitimate_interest": "Preventing fraud", "lia_ref": "LIA-7"}
DPIA_DONE = {"dpia_required": True, "dpia_status": "completed", "dpia_ref": "DPIA-3"}


def transfer(**overrides: Any) -> dict[str, Any]:
    return {"transfers": [make_transfer(**overrides)]}


def on(day: date, case: Case) -> Case:
    """``case`` analysed as of ``day``: the law and the decisions in force that day apply."""
    return replace(case, as_of=day)


AFTER_DUAA = date(2026, 6, 1)
CH = {"country": "CH", "name": "Example AG"}
US_ART3_2 = {"country": "US", "name": "Example Inc", "regime": "eu_gdpr_art3_2"}
US_NO_REGIME = {"country": "US", "name": "Example Inc"}
OLD_SCCS = {"mechanism": "eu_scc_2010", "tia_ref": "TIA-1"}


CASES: tuple[Case, ...] = (
    # Lawfulness
    fires("lawful_basis_missing", "no-basis", {"lawful_bases": []}),
    fires("lawful_basis_not_available", "recognised-li-from-eu-entity",
          {"lawful_bases": ["recognised_legitimate_interests"]}, EU),
    fires("lawful_basis_not_available", "recognised-li-before-commencement",
          {"lawful_bases": ["recognised_legitimate_interests"]}),
    on(AFTER_DUAA, silent("lawful_basis_not_available", "recognised-li-uk-after-commencement",
                          {"lawful_bases": ["recognised_legitimate_interests"]})),
    silent("lawful_basis_not_available", "legitimate-interests-from-eu-entity", LI, EU),
    on(AFTER_DUAA, silent("automated_decision_without_basis", "uk-adm-without-special-data-after-duaa",
                          {"adm": True, "adm_basis": None})),
    on(AFTER_DUAA, fires("automated_decision_without_basis", "uk-adm-with-special-data-after-duaa",
                         {**SPECIAL_OK, "adm": True, "adm_basis": None})),
    silent("lawful_basis_missing", "purpose-is-a-legal-obligation",
           {"lawful_bases": [], "purpose": "Keep payroll records as required by law for HMRC."}),
    fires("lawful_basis_missing_evident_obligation", "payroll-for-hmrc",
          {"lawful_bases": [], "purpose": "Keep payroll records as required by law for HMRC."}),
    fires("lawful_basis_missing_evident_obligation", "statutory-returns",
          {"lawful_bases": [], "purpose": "File statutory returns with the regulator."}),
    silent("lawful_basis_missing_evident_obligation", "ordinary-purpose", {"lawful_bases": []}),
    silent("lawful_basis_missing", "processor-needs-none", {"lawful_bases": [], **PROCESSOR}),
    fires("legitimate_interest_unstated", "li-interest-blank", {**LI, "legitimate_interest": " "}),
    silent("legitimate_interest_unstated", "li-interest-stated", LI),
    fires("lia_missing", "li-without-lia", {**LI, "lia_ref": ""}),
    silent("lia_missing", "li-with-lia", LI),
    silent("lia_missing", "contract-basis", {"lia_ref": ""}),
    fires("consent_record_missing", "consent-without-record", {"lawful_bases": ["consent"]}),
    fires("consent_record_missing", "explicit-consent-without-record",
          {**SPECIAL_OK, "art9_conditions": ["explicit_consent"]}),
    silent("consent_record_missing", "consent-with-record",
           {"lawful_bases": ["consent"], "consent_record_ref": "CMP consent log"}),
    fires("special_category_without_condition", "health-no-condition",
          {"data_categories": ["special.health"]}),
    fires("special_category_without_condition", "grandchild-key-no-condition",
          {"data_categories": ["special.health.disability"]}),
    fires("special_category_without_condition", "parent-key-no-condition", {"data_categories": ["special"]}),
    silent("special_category_without_condition", "health-with-condition", SPECIAL_OK),
    silent("special_category_without_condition", "no-special-data", {"data_categories": ["contact.email"]}),
    fires("uk_special_category_without_schedule1", "uk-employment-condition-no-schedule1",
          {**SPECIAL_OK, "dpa_schedule1_condition": ""}),
    silent("uk_special_category_without_schedule1", "uk-explicit-consent-needs-none",
           {**SPECIAL_OK, "dpa_schedule1_condition": "", "art9_conditions": ["explicit_consent"],
            "consent_record_ref": "forms"}),
    silent("uk_special_category_without_schedule1", "eu-entity-not-uk-law",
           {**SPECIAL_OK, "dpa_schedule1_condition": ""}, EU),
    fires("criminal_data_without_art10_basis", "eu-convictions-no-basis", {**CRIMINAL_OK, "art10_basis": ""}, EU),
    fires("criminal_data_without_art10_basis", "uk-neither-basis-nor-schedule1",
          {**CRIMINAL_OK, "art10_basis": "", "dpa_schedule1_condition": ""}),
    fires("criminal_data_without_art10_basis", "eu-parent-key-no-basis",
          {**CRIMINAL_OK, "data_categories": ["criminal"], "art10_basis": ""}, EU),
    silent("criminal_data_without_art10_basis", "convictions-with-basis", CRIMINAL_OK),
    silent("criminal_data_without_art10_basis", "uk-schedule1-is-the-art10-authorisation",
           {**CRIMINAL_OK, "art10_basis": ""}),
    fires("uk_criminal_data_without_schedule1", "uk-convictions-no-schedule1",
          {**CRIMINAL_OK, "dpa_schedule1_condition": ""}),
    silent("uk_criminal_data_without_schedule1", "eu-entity-not-uk-law",
           {**CRIMINAL_OK, "dpa_schedule1_condition": ""}, EU),
    silent("uk_criminal_data_without_schedule1", "uk-with-schedule1", CRIMINAL_OK),
    silent("uk_criminal_data_without_schedule1", "uk-neither-is-one-art10-finding",
           {**CRIMINAL_OK, "art10_basis": "", "dpa_schedule1_condition": ""}),
    fires("automated_decision_without_basis", "adm-no-basis", {"adm": True, **DPIA_DONE}),
    silent("automated_decision_without_basis", "adm-with-basis",
           {"adm": True, "adm_basis": "contract_necessity", **DPIA_DONE}),
    # Contents of the record
    fires("purpose_missing", "purpose-whitespace", {"purpose": " \n\t"}),
    fires("purpose_missing", "processor-categories-blank", {**PROCESSOR, "purpose": ""}),
    silent("purpose_missing", "purpose-stated"),
    fires("data_subjects_missing", "no-subjects", {"data_subjects": []}),
    silent("data_subjects_missing", "processor-needs-none", {"data_subjects": [], **PROCESSOR}),
    fires("data_categories_missing", "no-categories", {"data_categories": []}),
    silent("data_categories_missing", "processor-needs-none", {"data_categories": [], **PROCESSOR}),
    fires("recipients_missing", "no-recipients", {"recipients": []}),
    silent("recipients_missing", "one-recipient"),
    silent("recipients_missing", "processor-needs-none", {"recipients": [], **PROCESSOR}),
    fires("retention_missing", "retention-unknown", UNKNOWN_RETENTION),
    silent("retention_missing", "retention-period"),
    silent("retention_missing", "processor-needs-none", {**UNKNOWN_RETENTION, **PROCESSOR}),
    fires("retention_vague", "as-long-as-necessary", stated_retention("We keep it for as long as necessary.")),
    fires("retention_vague", "account-active", stated_retention("As long as your account is active")),
    fires("retention_vague", "per-policy", stated_retention("In accordance with our retention policy")),
    fires("retention_vague", "indefinitely", stated_retention("Kept indefinitely")),
    silent("retention_vague", "necessary-but-capped",
           stated_retention("As long as necessary and no longer than 6 years after the contract ends")),
    silent("retention_vague", "account-plus-period",
           stated_retention("While your account is open and for twenty-four months after closure")),
    silent("retention_vague", "concrete-criterion", stated_retention("Deleted when the warranty claim is settled")),
    fires("retention_trigger_missing", "period-without-trigger", {"retention_trigger": None}),
    silent("retention_trigger_missing", "period-with-trigger"),
    fires("security_missing", "nothing-described", {"security_measures": [], "security_description": " "}),
    fires("security_missing", "processor-nothing-described",
          {**PROCESSOR, "security_measures": [], "security_description": ""}),
    silent("security_missing", "description-only", {"security_measures": [], "security_description": "ISO 27001"}),
    silent("security_missing", "measures-only", {"security_description": ""}),
    fires("joint_controllers_unnamed", "joint-unnamed", {**JOINT, "joint_controllers": ""}),
    silent("joint_controllers_unnamed", "joint-named", JOINT),
    fires("joint_arrangement_missing", "joint-no-arrangement", {**JOINT, "joint_arrangement_ref": ""}),
    silent("joint_arrangement_missing", "joint-with-arrangement", JOINT),
    silent("joint_arrangement_missing", "sole-controller", {"joint_arrangement_ref": ""}),
    fires("processor_controller_missing", "processor-no-controller", {**PROCESSOR, "controller_served": ""}),
    silent("processor_controller_missing", "processor-with-controller", PROCESSOR),
    # Recipients and transfers
    fires("processor_contract_missing", "processor-no-contract", {"recipients": [make_recipient(contract_ref="")]}),
    fires("processor_contract_missing", "sub-processor-no-contract",
          {"recipients": [make_recipient(role="sub_processor", contract_ref="")]}),
    silent("processor_contract_missing", "independent-controller",
           {"recipients": [make_recipient(role="controller", contract_ref="")]}),
    silent("processor_contract_missing", "processor-with-contract"),
    fires("recipient_third_country_without_transfer", "uk-recipient-in-us",
          {"recipients": [make_recipient(country="US")]}),
    fires("recipient_third_country_without_transfer", "eu-recipient-in-india",
          {"recipients": [make_recipient(country="IN")]}, EU),
    silent("recipient_third_country_without_transfer", "us-recipient-with-transfer",
           {"recipients": [make_recipient(country="US")], **transfer(mechanism="uk_us_data_bridge")}),
    silent("recipient_third_country_without_transfer", "uk-recipient-at-home"),
    fires("recipient_adequate_country_transfer_unrecorded", "eu-recipient-in-uk",
          {"recipients": [make_recipient(country="GB")]}, EU),
    fires("recipient_adequate_country_transfer_unrecorded", "uk-recipient-in-eea",
          {"recipients": [make_recipient(country="IE")]}),
    silent("recipient_adequate_country_transfer_unrecorded", "eu-recipient-in-eea",
           {"recipients": [make_recipient(country="FR")]}, EU),
    silent("recipient_adequate_country_transfer_unrecorded", "eu-recipient-in-uk-with-transfer",
           {"recipients": [make_recipient(country="GB")], **transfer(country="GB", mechanism="adequacy")}, EU),
    fires("transfer_mechanism_missing", "us-no-mechanism", transfer(mechanism=None)),
    silent("transfer_mechanism_missing", "japan-adequate-no-mechanism", transfer(country="JP", mechanism=None)),
    silent("transfer_mechanism_missing", "inside-eea", transfer(country="FR", mechanism=None), EU),
    fires("transfer_mechanism_invalid", "privacy-shield", transfer(mechanism="privacy_shield")),
    fires("transfer_mechanism_invalid", "safe-harbor", transfer(mechanism="safe_harbor")),
    fires("transfer_mechanism_invalid", "eu-sccs-alone-from-uk", transfer(mechanism="eu_scc_2021")),
    fires("transfer_mechanism_invalid", "idta-from-eu", transfer(mechanism="uk_idta"), EU),
    fires("transfer_mechanism_invalid", "eu-dpf-from-uk", transfer(mechanism="dpf")),
    silent("transfer_mechanism_invalid", "uk-addendum-from-uk"),
    silent("transfer_mechanism_invalid", "eu-sccs-from-eu", transfer(mechanism="eu_scc_2021"), EU),
    silent("transfer_mechanism_invalid", "wrong-tool-but-adequate-country",
           transfer(country="JP", mechanism="uk_idta"), EU),
    fires("transfer_mechanism_superseded_by_adequacy", "idta-from-eu-to-japan",
          transfer(country="JP", mechanism="uk_idta"), EU),
    silent("transfer_mechanism_superseded_by_adequacy", "adequacy-recorded",
           transfer(country="JP", mechanism="adequacy"), EU),
    silent("transfer_mechanism_superseded_by_adequacy", "invalid-tool-to-non-adequate-country",
           transfer(country="IN", mechanism="uk_idta"), EU),
    fires("transfer_adequacy_not_available", "india-not-adequate", transfer(country="IN", mechanism="adequacy")),
    silent("transfer_adequacy_not_available", "japan-adequate", transfer(country="JP", mechanism="adequacy")),
    fires("transfer_adequacy_without_dpf", "us-adequacy-from-uk", transfer(mechanism="adequacy")),
    fires("transfer_adequacy_without_dpf", "us-adequacy-from-eu", transfer(mechanism="adequacy"), EU),
    silent("transfer_adequacy_without_dpf", "us-dpf-from-eu", transfer(mechanism="dpf"), EU),
    silent("transfer_adequacy_without_dpf", "us-data-bridge-from-uk", transfer(mechanism="uk_us_data_bridge")),
    fires("transfer_tia_missing", "addendum-without-tia", transfer(tia_ref="")),
    fires("transfer_tia_missing", "bcr-without-tia", transfer(mechanism="bcr", tia_ref="")),
    silent("transfer_tia_missing", "addendum-with-tia"),
    silent("transfer_tia_missing", "dpf-needs-none", transfer(mechanism="dpf", tia_ref=""), EU),
    silent("transfer_tia_missing", "sccs-to-adequate-uk-need-none",
           transfer(country="GB", mechanism="eu_scc_2021", tia_ref=""), EU),
    fires("transfer_derogation_used", "explicit-consent-derogation",
          transfer(mechanism="derogation_explicit_consent", tia_ref="")),
    silent("transfer_derogation_used", "safeguarded-transfer"),
    # Derogations (Art. 49): undocumented compelling interests are high; consent for routine transfers medium
    fires("transfer_compelling_interests_undocumented", "compelling-interests-undocumented",
          transfer(mechanism="derogation_compelling_interests", tia_ref="")),
    silent("transfer_compelling_interests_undocumented", "compelling-interests-documented-and-notified",
           transfer(mechanism="derogation_compelling_interests", tia_ref="",
                    safeguard_doc="Assessment CLI-1; safeguards", authority_informed_on=date(2025, 3, 2))),
    fires("transfer_compelling_interests_undocumented", "compelling-interests-authority-not-informed",
          transfer(mechanism="derogation_compelling_interests", tia_ref="",
                   safeguard_doc="Assessment CLI-1; safeguards")),
    fires("transfer_compelling_interests_undocumented", "compelling-interests-notified-but-undocumented",
          transfer(mechanism="derogation_compelling_interests", tia_ref="", authority_informed_on=date(2025, 3, 2))),
    silent("transfer_derogation_used", "compelling-interests-undocumented-is-one-finding",
           transfer(mechanism="derogation_compelling_interests", tia_ref="")),
    silent("transfer_derogation_used", "compelling-interests-not-notified-is-one-finding",
           transfer(mechanism="derogation_compelling_interests", tia_ref="", safeguard_doc="Assessment CLI-1")),
    fires("transfer_derogation_used", "compelling-interests-documented-and-notified-is-still-a-derogation",
          transfer(mechanism="derogation_compelling_interests", tia_ref="",
                   safeguard_doc="Assessment CLI-1; safeguards", authority_informed_on=date(2025, 3, 2))),
    fires("transfer_consent_derogation_systematic", "consent-for-a-processor",
          {"recipients": [make_recipient(name="Example Cloud Inc", country="US")],
           **transfer(mechanism="derogation_explicit_consent", tia_ref="")}),
    silent("transfer_consent_derogation_systematic", "consent-for-an-occasional-booking",
           {"recipients": [make_recipient(category="business_partners", name="Hotel abroad", role="controller",
                                          country="US")],
            **transfer(mechanism="derogation_explicit_consent", tia_ref="", recipient="Hotel abroad")}),
    silent("transfer_derogation_used", "consent-for-a-processor-is-one-finding",
           {"recipients": [make_recipient(name="Example Cloud Inc", country="US")],
            **transfer(mechanism="derogation_explicit_consent", tia_ref="")}),
    # Consistency: importers are recipients; a named importer is not "no recipients"; TIA shown for an invalid tool
    fires("transfer_importer_not_a_recipient", "importer-not-listed", transfer()),
    silent("transfer_importer_not_a_recipient", "importer-listed",
           {"recipients": [make_recipient(name="example cloud inc ", country="US")], **transfer()}),
    fires("transfer_importer_not_a_recipient", "only-a-transfer-recorded", {"recipients": [], **transfer()}),
    silent("transfer_importer_not_a_recipient", "group-company-importer-under-group-companies",
           {"recipients": [make_recipient(category="group_companies", name="Group companies", role="group_company")],
            **transfer(recipient="Case 0")}),  # "Case 0": the first case's entity in the shared register
    silent("recipients_missing", "transfer-to-a-named-importer", {"recipients": [], **transfer()}),
    fires("transfer_tia_missing", "expired-old-sccs-without-tia", transfer(mechanism="eu_scc_2010", tia_ref="")),
    silent("transfer_tia_missing", "expired-old-sccs-with-tia", transfer(**OLD_SCCS)),
    silent("transfer_tia_missing", "invalid-privacy-shield-needs-no-tia", transfer(mechanism="privacy_shield",
                                                                                   tia_ref=""), EU),
    on(date(2023, 6, 1), fires("transfer_contract_date_missing", "uk-old-sccs-no-contract-date", transfer(**OLD_SCCS))),
    on(date(2023, 6, 1), silent("transfer_contract_date_missing", "uk-old-sccs-contract-before-cutoff",
                                transfer(**OLD_SCCS, contract_date=date(2020, 1, 1)))),
    on(date(2023, 6, 1), fires("transfer_mechanism_invalid", "uk-old-sccs-contract-after-cutoff",
                               transfer(**OLD_SCCS, contract_date=date(2022, 10, 1)))),
    on(date(2019, 1, 1), fires("transfer_mechanism_invalid", "swiss-us-privacy-shield-from-eu",
                               transfer(mechanism="swiss_us_privacy_shield"), EU)),
    on(date(2019, 1, 1), silent("transfer_mechanism_invalid", "swiss-us-privacy-shield-from-switzerland",
                                transfer(mechanism="swiss_us_privacy_shield"), CH)),
    silent("transfer_mechanism_missing", "france-to-reunion-is-eu-territory", transfer(country="RE", mechanism=None),
           {**EU, "country": "FR"}),
    on(date(2019, 1, 1), silent("transfer_mechanism_missing", "uk-to-guernsey-2019-on-eu-adequacy",
                                transfer(country="GG", mechanism=None))),
    fires("transfer_mechanism_missing", "art3-2-entity-to-india", transfer(country="IN", mechanism=None), US_ART3_2),
    silent("transfer_mechanism_missing", "entity-outside-every-regime", transfer(country="IN", mechanism=None),
           US_NO_REGIME),
    on(AFTER_DUAA, silent("transfer_adequacy_not_available", "epo-adequate-since-july-2025",
                          transfer(country=None, organisation="epo", mechanism="adequacy"), EU)),
    on(date(2025, 1, 1), fires("transfer_adequacy_not_available", "epo-not-yet-adequate",
                               transfer(country=None, organisation="epo", mechanism="adequacy"), EU)),
    on(AFTER_DUAA, fires("transfer_tia_missing", "uk-addendum-without-data-protection-test", transfer(tia_ref=""))),
    # DPIA
    fires("dpia_indicated", "cctv", {"data_categories": ["audio_visual.cctv"]}),
    fires("dpia_indicated", "two-wp248-criteria", {"dpia_criteria": ["large_scale", "matching_combining"]}),
    fires("dpia_indicated", "special-data-on-large-scale", {**SPECIAL_OK, "dpia_criteria": ["large_scale"]}),
    silent("dpia_indicated", "biometric-counts-once", {**SPECIAL_OK, "data_categories": ["special.biometric"]}),
    fires("dpia_indicated", "biometric-and-employees-uk-ico-list",
          {**SPECIAL_OK, "data_categories": ["special.biometric"], "data_subjects": ["employees"]}),
    fires("dpia_indicated", "precise-location-and-children",
          {"data_categories": ["location.precise"], "data_subjects": ["children"], "parental_consent": "n/a"}),
    silent("dpia_indicated", "financial-and-special-data-are-one-criterion",
           {**SPECIAL_OK, "data_categories": ["special.health", "financial.payment_card", "communications.content"]}),
    fires("dpia_indicated", "uk-ico-list-data-matching", {"dpia_criteria": ["matching_combining"]}),
    silent("dpia_indicated", "eu-data-matching-alone-one-criterion", {"dpia_criteria": ["matching_combining"]}, EU),
    fires("dpia_indicated", "not-required-without-reasons", {"data_categories": ["audio_visual.cctv"]}),
    silent("dpia_indicated", "dpo-decided-not-required-with-reasons",
           {"data_categories": ["audio_visual.cctv"], "dpia_not_required_reason": "Two cameras on the loading bay, "
            "not a publicly accessible area; no other WP248 criterion", "dpia_decided_by": "Dana Protection (DPO)"}),
    fires("dpia_indicated", "reasons-without-who-decided",
          {"data_categories": ["audio_visual.cctv"], "dpia_not_required_reason": "Loading bay only"}),
    fires("dpia_indicated", "children-and-special-data",
          {**SPECIAL_OK, "data_subjects": ["children"], "dpia_required": None, "dpia_status": None}),
    fires("dpia_indicated", "employees-and-special-data",
          {**SPECIAL_OK, "data_subjects": ["employees"], "dpia_required": None, "dpia_status": None}),
    silent("dpia_indicated", "employees-alone-one-criterion", {"data_subjects": ["employees"]}),
    fires("dpia_indicated", "adm", {"adm": True, "adm_basis": "contract_necessity"}),
    silent("dpia_indicated", "one-criterion", {"dpia_criteria": ["large_scale"]}),
    silent("dpia_indicated", "special-data-alone", SPECIAL_OK),
    silent("dpia_indicated", "cctv-with-dpia-done", {"data_categories": ["audio_visual.cctv"], **DPIA_DONE}),
    silent("dpia_indicated", "processor-not-responsible", {"data_categories": ["audio_visual.cctv"], **PROCESSOR}),
    fires("dpia_incomplete", "required-not-started",
          {"dpia_required": True, "dpia_status": "not_started", "dpia_ref": ""}),
    fires("dpia_incomplete", "completed-without-reference", {**DPIA_DONE, "dpia_ref": ""}),
    fires("dpia_incomplete", "referenced-not-started", {**DPIA_DONE, "dpia_status": "not_started"}),
    silent("dpia_incomplete", "in-progress-with-reference", {**DPIA_DONE, "dpia_status": "in_progress"}),
    silent("dpia_incomplete", "not-required"),
    # Accountability
    fires("review_overdue", "never-reviewed", {"last_reviewed": None, "next_review_due": None}),
    fires("review_overdue", "due-date-passed",
          {"last_reviewed": date(2024, 5, 1), "next_review_due": date(2025, 5, 1)}),
    fires("review_overdue", "older-than-interval", {"last_reviewed": date(2024, 5, 1), "next_review_due": None}),
    silent("review_overdue", "recent-review"),
    silent("review_overdue", "within-interval-no-due-date",
           {"last_reviewed": date(2024, 7, 1), "next_review_due": None}),
    fires("entity_contact_missing", "no-email-no-address", entity={"email": "", "address": " "}),
    silent("entity_contact_missing", "email-only", entity={"address": ""}),
    fires("dpo_contact_missing", "dpo-required-no-contact", entity={"dpo_email": "", "dpo_phone": ""}),
    fires("dpo_contact_missing", "dpo-required-unnamed", entity={"dpo_email": "", "dpo_name": ""}),
    silent("dpo_contact_missing", "dpo-phone-only", entity={"dpo_email": "", "dpo_phone": "+44 20 7946 0001"}),
    silent("dpo_contact_missing", "dpo-not-required", entity={"dpo_required": False, "dpo_email": "", "dpo_name": ""}),
    fires("dpo_requirement_unknown", "dpo-decision-unrecorded", entity={"dpo_required": None}),
    silent("dpo_requirement_unknown", "dpo-decision-recorded"),
    # Further duties
    fires("legal_obligation_law_unnamed", "legal-obligation-no-law", {"lawful_bases": ["legal_obligation"]}),
    fires("legal_obligation_law_unnamed", "public-task-no-law", {"lawful_bases": ["public_task"]}),
    silent("legal_obligation_law_unnamed", "law-named",
           {"lawful_bases": ["legal_obligation"], "law_relied_on": "Taxes Management Act 1970 s.12B"}),
    silent("legal_obligation_law_unnamed", "contract-needs-no-law"),
    fires("member_state_law_unnamed", "eu-employment-condition-no-law", SPECIAL_OK, EU),
    fires("member_state_law_unnamed", "eu-criminal-data-no-law", CRIMINAL_OK, EU),
    silent("member_state_law_unnamed", "eu-law-named", {**SPECIAL_OK, "member_state_law": "SGB IX s.164"}, EU),
    silent("member_state_law_unnamed", "uk-uses-schedule1-instead", SPECIAL_OK),
    silent("member_state_law_unnamed", "eu-explicit-consent-needs-no-law",
           {**SPECIAL_OK, "art9_conditions": ["explicit_consent"], "consent_record_ref": "forms"}, EU),
    fires("consent_for_contract_or_employment", "consent-for-billing", {"lawful_bases": ["consent"]}),
    fires("consent_for_contract_or_employment", "consent-from-employees",
          {"lawful_bases": ["consent"], "data_subjects": ["employees"], "data_categories": ["identity.name"]}),
    silent("consent_for_contract_or_employment", "consent-for-newsletter",
           {"lawful_bases": ["consent"], "data_categories": ["contact.email"]}),
    silent("consent_for_contract_or_employment", "contract-and-consent",
           {"lawful_bases": ["contract", "consent"]}),
    fires("consent_withdrawal_missing", "consent-no-withdrawal", {"lawful_bases": ["consent"]}),
    silent("consent_withdrawal_missing", "withdrawal-recorded",
           {"lawful_bases": ["consent"], "consent_withdrawal": "Unsubscribe link in every email"}),
    fires("child_consent_unverified", "uk-children-on-consent",
          {"lawful_bases": ["consent"], "data_subjects": ["children"]}),
    fires("child_consent_unverified", "eu-children-on-consent",
          {"lawful_bases": ["consent"], "data_subjects": ["children"]}, EU),
    silent("child_consent_unverified", "parental-consent-recorded",
           {"lawful_bases": ["consent"], "data_subjects": ["children"], "parental_consent": "Verified by card check"}),
    silent("child_consent_unverified", "children-on-contract", {"data_subjects": ["children"]}),
    fires("automated_decision_safeguards_missing", "contract-adm-no-safeguards",
          {"adm": True, "adm_basis": "contract_necessity", **DPIA_DONE}),
    silent("automated_decision_safeguards_missing", "safeguards-recorded",
           {"adm": True, "adm_basis": "contract_necessity", "adm_safeguards": "Human review on request", **DPIA_DONE}),
    silent("automated_decision_safeguards_missing", "no-adm"),
    fires("automated_decision_on_special_category", "adm-on-health-data",
          {"adm": True, "adm_basis": "contract_necessity", **SPECIAL_OK, **DPIA_DONE}),
    silent("automated_decision_on_special_category", "adm-on-health-with-explicit-consent",
           {"adm": True, "adm_basis": "explicit_consent", **SPECIAL_OK, "art9_conditions": ["explicit_consent"],
            **DPIA_DONE}),
    silent("automated_decision_on_special_category", "adm-without-special-data",
           {"adm": True, "adm_basis": "contract_necessity", **DPIA_DONE}),
    fires("uk_appropriate_policy_missing", "uk-employment-condition-no-apd", SPECIAL_OK),
    silent("uk_appropriate_policy_missing", "apd-recorded", {**SPECIAL_OK, "appropriate_policy_ref": "APD-2025"}),
    silent("uk_appropriate_policy_missing", "health-care-condition-needs-none",
           {**SPECIAL_OK, "art9_conditions": ["health_social_care"], "dpa_schedule1_condition": "Sch. 1 para 2"}),
    silent("uk_appropriate_policy_missing", "eu-entity", SPECIAL_OK, EU),
    fires("uk_policy_adherence_unrecorded", "apd-adherence-unstated", {**SPECIAL_OK, "appropriate_policy_ref": "APD"}),
    fires("uk_policy_adherence_unrecorded", "apd-not-followed-no-reasons",
          {**SPECIAL_OK, "appropriate_policy_ref": "APD", "retention_per_policy": False}),
    silent("uk_policy_adherence_unrecorded", "apd-followed",
           {**SPECIAL_OK, "appropriate_policy_ref": "APD", "retention_per_policy": True}),
    silent("uk_policy_adherence_unrecorded", "apd-not-followed-with-reasons",
           {**SPECIAL_OK, "appropriate_policy_ref": "APD", "retention_per_policy": False,
            "policy_deviation_reasons": "Litigation hold"}),
    fires("dpo_voluntary_contact_missing", "voluntary-dpo-no-contact",
          entity={"dpo_required": False, "dpo_email": "", "dpo_phone": ""}),
    silent("dpo_voluntary_contact_missing", "voluntary-dpo-with-contact", entity={"dpo_required": False}),
    silent("dpo_voluntary_contact_missing", "no-dpo-named",
           entity={"dpo_required": False, "dpo_name": "", "dpo_email": ""}),
    fires("processor_controller_contact_missing", "our-customers",
          {**PROCESSOR, "controller_served": "Our customers", "controller_contract_ref": "DPA terms"}),
    fires("processor_controller_contact_missing", "named-without-contact",
          {**PROCESSOR, "controller_served": "Customer plc", "controller_contract_ref": "DPA terms"}),
    silent("processor_controller_contact_missing", "named-with-email",
           {**PROCESSOR, "controller_served": "Customer plc, privacy@customer.test"}),
    silent("processor_controller_contact_missing", "customer-register",
           {**PROCESSOR, "controller_served": "Each customer, as listed in the customer contract register"}),
    fires("processor_own_contract_missing", "processor-no-contract-with-controller", PROCESSOR),
    silent("processor_own_contract_missing", "processor-with-contract",
           {**PROCESSOR, "controller_contract_ref": "Customer DPA v3"}),
    fires("subprocessor_authorisation_missing", "sub-processor-unauthorised", PROCESSOR),
    silent("subprocessor_authorisation_missing", "general-authorisation",
           {**PROCESSOR, "subprocessor_authorisation": "General written authorisation, 30 days' notice"}),
    silent("subprocessor_authorisation_missing", "controller-engages-processors"),
    fires("processor_location_transfer_unrecorded", "stored-in-the-us-no-transfer",
          {**PROCESSOR, "data_location": "AWS us-east-1, United States"}),
    fires("processor_location_transfer_unrecorded", "us-abbreviation-from-eu-processor",
          {**PROCESSOR, "data_location": "Frankfurt and the US"}, EU),
    silent("processor_location_transfer_unrecorded", "stored-in-the-us-transfer-recorded",
           {**PROCESSOR, "data_location": "AWS us-east-1, United States", **transfer()}),
    silent("processor_location_transfer_unrecorded", "stored-in-the-eea-from-eu", {**PROCESSOR,
           "data_location": "Ireland and Germany"}, EU),
    silent("processor_location_transfer_unrecorded", "no-country-named",
           {**PROCESSOR, "data_location": "in any other country"}),
    fires("representative_missing", "eu-art3-2-no-representative", entity=US_ART3_2),
    fires("representative_missing", "uk-art3-2-representative-without-contact",
          entity={**US_NO_REGIME, "regime": "uk_gdpr_art3_2", "representative_name": "Rep UK Ltd"}),
    silent("representative_missing", "representative-named-with-contact",
           entity={**US_ART3_2, "representative_name": "Rep EU BV", "representative_contact": "rep@rep.test"}),
    silent("representative_missing", "no-regime-needs-none", entity=US_NO_REGIME),
    silent("representative_missing", "established-in-the-eu-needs-none", entity=EU),
    on(AFTER_DUAA, fires("automated_decision_safeguards_missing", "uk-adm-without-basis-after-duaa-art-22c",
                         {"adm": True, "adm_basis": None, **DPIA_DONE})),
    silent("automated_decision_safeguards_missing", "uk-adm-without-basis-before-duaa",
           {"adm": True, "adm_basis": None, **DPIA_DONE}),
    fires("group_company_contract_missing", "group-company-no-agreement",
          {"recipients": [make_recipient(category="group_companies", role="group_company", contract_ref="")]}),
    silent("group_company_contract_missing", "group-company-with-agreement",
           {"recipients": [make_recipient(category="group_companies", role="group_company", contract_ref="IGA")]}),
    fires("eprivacy_consent_missing", "advertising-cookies-on-legitimate-interests",
          {"lawful_bases": ["legitimate_interests"], **LI, "data_categories": ["online.cookies"],
           "purpose": "Interest-based advertising on our website"}),
    fires("eprivacy_consent_missing", "email-marketing-opt-out",
          {**LI, "data_categories": ["contact.email", "marketing.preferences"], "purpose": "Email marketing"}),
    silent("eprivacy_consent_missing", "cookies-on-consent",
           {"lawful_bases": ["consent"], "consent_record_ref": "CMP", "consent_withdrawal": "banner",
            "data_categories": ["online.cookies"], "purpose": "Analytics"}),
    silent("eprivacy_consent_missing", "soft-opt-in-recorded",
           {**LI, "data_categories": ["contact.email", "marketing.preferences"], "purpose": "Email marketing",
            "eprivacy_consent": "Soft opt-in for existing customers (PECR reg. 22(3))"}),
    fires("uk_data_protection_fee_unrecorded", "uk-controller-unregistered", entity={"ico_registration": ""}),
    silent("uk_data_protection_fee_unrecorded", "uk-controller-exempt",
           entity={"ico_registration": "", "fee_exemption": "Staff administration only"}),
    silent("uk_data_protection_fee_unrecorded", "eu-entity-pays-no-uk-fee", entity={**EU, "ico_registration": ""}),
    fires("art30_5_exemption_not_available", "small-firm-with-health-data", SPECIAL_OK,
          {"art30_5_reliance": "Fewer than 250 employees"}),
    silent("art30_5_exemption_not_available", "small-firm-ordinary-data",
           entity={"art30_5_reliance": "Fewer than 250 employees"}),
    silent("art30_5_exemption_not_available", "no-reliance", SPECIAL_OK),
    fires("joint_controllership_likely", "social-plugin-provider-as-controller",
          {"data_categories": ["online.cookies"], "recipients": [
              make_recipient(category="analytics_advertising", name="Social network", role="controller")]}),
    fires("joint_controllership_likely", "co-run-event", {"purpose": "Webinars co-hosted with partners"}),
    silent("joint_controllership_likely", "recorded-as-joint",
           {**JOINT, "purpose": "Webinars co-hosted with partners"}),
    silent("joint_controllership_likely", "analytics-as-processor",
           {"data_categories": ["online.cookies"], "recipients": [
               make_recipient(category="analytics_advertising", role="processor")]}),
)


ADM_UK = {"adm": True, "adm_basis": "contract_necessity", **DPIA_DONE}


CITED: tuple[tuple[Case, str], ...] = (
    # The compelling-interests finding says which part of Art. 49(1) second subparagraph / 49(6) is missing.
    (fires("transfer_compelling_interests_undocumented", "says-the-notification-is-missing",
           transfer(mechanism="derogation_compelling_interests", tia_ref="", safeguard_doc="Assessment CLI-1")),
     "records no day the supervisory authority was informed of the transfer"),
    (fires("transfer_compelling_interests_undocumented", "says-the-assessment-is-missing",
           transfer(mechanism="derogation_compelling_interests", tia_ref="", authority_informed_on=date(2025, 3, 2))),
     "documents no assessment or safeguards (Art. 49(1)"),
    (fires("transfer_compelling_interests_undocumented", "says-both-are-missing",
           transfer(mechanism="derogation_compelling_interests", tia_ref="")),
     "documents no assessment or safeguards, and no day the supervisory authority was informed"),
    (fires("automated_decision_safeguards_missing", "uk-adm-before-duaa", ADM_UK), "(Art. 22(3))"),
    (on(AFTER_DUAA, fires("automated_decision_safeguards_missing", "uk-adm-after-duaa", ADM_UK)), "UK GDPR Art. 22C"),
    (fires("automated_decision_on_special_category", "uk-adm-on-health-before-duaa", {**ADM_UK, **SPECIAL_OK}),
     "(Art. 22(4))"),
    (on(AFTER_DUAA, fires("automated_decision_on_special_category", "uk-adm-on-health-after-duaa",
                          {**ADM_UK, **SPECIAL_OK})), "UK GDPR Art. 22B"),
    (fires("child_consent_unverified", "us-entity-under-uk-gdpr-art3-2",
           {"lawful_bases": ["consent"], "data_subjects": ["children"]},
           {**US_NO_REGIME, "regime": "uk_gdpr_art3_2"}), "13 (DPA 2018 s.9)"),
    (fires("child_consent_unverified", "gb-entity-recorded-under-eu-gdpr-art3-2",
           {"lawful_bases": ["consent"], "data_subjects": ["children"]}, {"regime": "eu_gdpr_art3_2"}),
     "below 16"),
    (fires("representative_missing", "uk-representative-cites-uk-art-27",
           entity={**US_NO_REGIME, "regime": "uk_gdpr_art3_2"}), "UK GDPR Art. 27"),
    (fires("transfer_tia_missing", "invalid-tool-says-so", transfer(mechanism="eu_scc_2010", tia_ref="")),
     "the tool is not valid either"),
)
CASES = CASES + tuple(case for case, _ in CITED)
"""The message cases are cases too: each is analysed with the others."""


def transfer_case(mechanism: str, entity: dict[str, Any], as_of: date) -> Case:
    """One transfer under ``mechanism`` from an ``entity`` analysed on ``as_of`` (for the dated tests)."""
    return on(as_of, Case(f"{mechanism}-from-{entity.get('country', 'GB')}-on-{as_of.isoformat()}",
                          "transfer_mechanism_invalid", True, transfer(mechanism=mechanism), entity))


VAGUE_EXAMPLES: dict[str, Case] = {
    p.example: fires("retention_vague", p.example, stated_retention(p.example))
    for p in load_catalogue().vague_retention
}
UK_CRIMINAL_NEITHER = fires("criminal_data_without_art10_basis", "uk-both",
                            {**CRIMINAL_OK, "art10_basis": "", "dpa_schedule1_condition": ""})
COMPLIANT = Case("compliant", "", False)
NO_BASIS_NO_DPO_DECISION = fires("lawful_basis_missing", "x", {"lawful_bases": []}, {"dpo_required": None})
TRANSFERS: dict[tuple[str, str, date], Case] = {
    (mechanism, entity.get("country", "GB"), day): transfer_case(mechanism, entity, day)
    for mechanism, entity, day in (
        ("privacy_shield", {}, date.today()), ("privacy_shield", {}, date(2019, 1, 1)),
        ("eu_scc_2010", {}, date(2023, 6, 1)), ("eu_scc_2010", {}, date(2024, 6, 1)),
        ("eu_scc_2010", EU, date(2023, 6, 1)), ("eu_scc_2010", EU, date(2022, 12, 26)),
        ("dpf", EU, date(2023, 1, 1)),
    )
}
EXAMPLES: tuple[Case, ...] = (*VAGUE_EXAMPLES.values(), UK_CRIMINAL_NEITHER, COMPLIANT, NO_BASIS_NO_DPO_DECISION,
                              *TRANSFERS.values())
"""Cases the tests below look at more closely; built into the same register as ``CASES``."""


def analyse_case(db: Database, case: Case) -> pd.DataFrame:
    """The findings for ``case`` alone in the register ``db``."""
    stored_entity = create_entity(db, DPO, make_entity(**case.entity))
    assert stored_entity.id is not None
    create_activity(db, DPO, make_activity(stored_entity.id, **{**REVIEWED, **case.activity}))
    return analyse(db, as_of=case.as_of)


def build_cases(db: Database, cases: tuple[Case, ...]) -> dict[str, int]:
    """Every case as an entity of its own with its one activity, written in one transaction.

    Returns the stored entity id of each case (by ``case_id``): an entity-level
    finding has no activity, so the entity is what ties a finding to its case.
    """
    with db.transaction() as con:
        entities = [insert_entity(con, DPO, make_entity(**{**case.entity, "name": f"Case {number}"}))
                    for number, case in enumerate(cases)]
        create_activities(db, DPO, [make_activity(entity.id or 0, **{**REVIEWED, **case.activity})
                                    for entity, case in zip(entities, cases, strict=True)], con=con)
    return {case_id(case): entity.id or 0 for entity, case in zip(entities, cases, strict=True)}


@cache
def findings_of_every_case() -> dict[str, pd.DataFrame]:
    """All cases side by side in one register (one entity each), analysed once per analysis date.

    Building one register instead of one per case keeps the table fast, and
    shows that a rule's findings stay with the entity and activity they are about.
    """
    folder = Path(tempfile.mkdtemp(prefix="gap-cases-"))
    try:
        db = open_database(folder / "cases.duckdb")
        with db.kept_open():  # every analysis takes a cursor of one DuckDB instance, not an instance of its own
            entity_of = build_cases(db, CASES + EXAMPLES)
            by_day = {day: analyse(db, as_of=day) for day in sorted({c.as_of for c in CASES + EXAMPLES})}
    finally:
        shutil.rmtree(folder)
    # One split per analysis date, not one filter per case.
    split = {day: dict(tuple(frame.groupby("entity_id", sort=False))) for day, frame in by_day.items()}
    return {case_id(case): split[case.as_of].get(entity_of[case_id(case)], by_day[case.as_of].iloc[0:0])
            for case in CASES + EXAMPLES}


def case_id(case: Case) -> str:
    return f"{case.rule}-{'fires' if case.fires else 'silent'}-{case.id}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_rule_fires_only_on_its_case(case: Case) -> None:
    findings = findings_of(case)
    hits = findings[findings["rule"] == case.rule]
    assert (len(hits) > 0) == case.fires, findings[["rule", "message"]].to_string()
    if case.fires:
        row = hits.iloc[0]
        assert row["message"] and row["article"] and row["remediation"] and row["severity"] in SEVERITIES


def findings_of(case: Case) -> pd.DataFrame:
    """The findings of ``case``'s entity and activity in the register of every case."""
    return findings_of_every_case()[case_id(case)]


def test_case_ids_are_unique() -> None:
    ids = [case_id(c) for c in CASES + EXAMPLES]
    assert len(ids) == len(set(ids))


def test_every_rule_has_a_firing_and_a_silent_case() -> None:
    ids = {r.id for r in RULES}
    firing = {c.rule for c in CASES if c.fires}
    silent_ = {c.rule for c in CASES if not c.fires}
    assert not (firing | silent_) - ids, "cases for rules that do not exist"
    assert ids - firing == set(), "rules without a firing case"
    assert ids - silent_ == set(), "rules without a silent case"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_states_its_law_explanation_and_fix(rule: Any) -> None:
    ref = load_reference()
    assert rule.article.strip() and rule.explanation.strip() and rule.remediation.strip() and rule.title.strip()
    assert rule.source in ref.sources, f"{rule.id} cites unknown source {rule.source}"
    assert rule.severity in SEVERITIES


def test_dpia_signal_table_expands_reference_category_signals_to_every_key_below() -> None:
    signals = static_frames()["gap_dpia_signals"]
    assert list(signals.columns) == ["kind", "key", "criterion", "art35_3"]
    rows = {(r.kind, r.key, r.criterion) for r in signals.itertuples()}
    assert ("data_category", "special.health.disability", "sensitive_data") in rows
    assert ("data_category", "criminal.offences", "sensitive_data") in rows
    assert ("data_subject", "children", "vulnerable_subjects") in rows
    reference = load_reference().dpia_signals
    assert {(s.kind, s.key, s.criterion) for s in reference} <= rows
    for kind, key, criterion in rows:
        assert any(s.kind == kind and s.criterion == criterion and (key == s.key or key.startswith(s.key + "."))
                   for s in reference), f"{kind} {key} -> {criterion} is not in the reference"


def test_schedule1_table_holds_the_art9_conditions_the_reference_marks() -> None:
    frame = static_frames()["gap_schedule1_conditions"]
    assert set(frame["key"]) == set(load_reference().schedule1_requirements())
    assert "explicit_consent" not in set(frame["key"])
    assert {"key", "label", "article"} <= set(frame.columns)


@pytest.mark.parametrize("pattern", load_catalogue().vague_retention, ids=lambda p: p.example)
def test_each_vague_wording_example_is_flagged(pattern: Any) -> None:
    findings = findings_of(VAGUE_EXAMPLES[pattern.example])
    messages = findings.loc[findings["rule"] == "retention_vague", "message"].tolist()
    assert messages and pattern.reason in messages[0]


def test_vague_patterns_compile_in_duckdb() -> None:
    con = duckdb.connect()
    for p in load_catalogue().vague_retention:
        assert con.execute("SELECT regexp_matches(?, ?)", [p.example, p.pattern]).fetchone() == (True,)


def test_art10_and_schedule1_on_one_uk_activity_are_one_finding_citing_both() -> None:
    findings = findings_of(UK_CRIMINAL_NEITHER)
    criminal = findings[findings["rule"].str.contains("criminal")]
    assert len(criminal) == 1 and criminal.iloc[0]["severity"] == "critical"
    assert "Art. 10" in criminal.iloc[0]["message"] and "Schedule 1" in criminal.iloc[0]["message"]


def test_a_complete_compliant_activity_has_no_findings() -> None:
    findings = findings_of(COMPLIANT)
    assert findings.empty, findings[["rule", "message"]].to_string()


def test_findings_frame_has_the_stable_columns_and_types() -> None:
    findings = findings_of(NO_BASIS_NO_DPO_DECISION)
    assert tuple(findings.columns) == FINDING_COLUMNS
    assert str(findings["activity_id"].dtype) == "Int64"
    entity_row = findings[findings["rule"] == "dpo_requirement_unknown"].iloc[0]
    assert entity_row["activity_id"] is pd.NA and entity_row["activity"] == ""
    assert findings["accepted"].dtype == bool and findings["accepted_until"].isna().all()
    assert list(findings["severity"].map(SEVERITIES.index)) == sorted(findings["severity"].map(SEVERITIES.index))


def test_empty_register_gives_an_empty_frame_with_the_columns(db: Database) -> None:
    findings = analyse(db)
    assert findings.empty and tuple(findings.columns) == FINDING_COLUMNS


def test_archived_activities_are_never_analysed(db: Database) -> None:
    entity = create_entity(db, DPO, make_entity())
    assert entity.id is not None
    stored = create_activity(db, DPO, make_activity(entity.id, lawful_bases=[], purpose=""))
    assert stored.id is not None and not analyse(db, AS_OF).empty
    archive_activity(db, DPO, stored.id, stored.version)
    assert analyse(db, AS_OF).empty


def test_entity_filter_limits_the_analysis(db: Database) -> None:
    uk = create_entity(db, DPO, make_entity())
    de = create_entity(db, DPO, make_entity(**EU))
    assert uk.id is not None and de.id is not None
    create_activities(db, DPO, [make_activity(uk.id, purpose=""), make_activity(de.id, purpose="")])
    assert set(analyse(db, AS_OF, entity_ids=[de.id])["entity"]) == {"Example GmbH"}
    assert set(analyse(db, AS_OF)["entity"]) == {"Example GmbH", uk.name}
    assert analyse(db, AS_OF, entity_ids=[]).empty


# -- dates --------------------------------------------------------------------------

def transfer_findings(mechanism: str, entity: dict[str, Any], as_of: date) -> pd.DataFrame:
    """The invalid-tool findings of the one transfer under ``mechanism`` from ``entity`` on ``as_of``."""
    findings = findings_of(TRANSFERS[(mechanism, entity.get("country", "GB"), as_of)])
    return findings[findings["rule"] == "transfer_mechanism_invalid"]


def test_privacy_shield_transfer_is_critical_after_july_2020() -> None:
    hits = transfer_findings("privacy_shield", {}, date.today())
    assert list(hits["severity"]) == ["critical"]
    assert hits.iloc[0]["message"].startswith("Transfer #1 to United States relies on EU-US Privacy Shield, "
                                              "invalid since 16 July 2020 (CJEU C-311/18)")
    assert hits.iloc[0]["subject"] == "transfer #1 to United States"


def test_privacy_shield_transfer_was_fine_on_1_january_2019() -> None:
    assert transfer_findings("privacy_shield", {}, date(2019, 1, 1)).empty


@pytest.mark.parametrize(
    ("entity", "as_of", "invalid"),
    [
        ({}, date(2023, 6, 1), False),
        ({}, date(2024, 6, 1), True),
        (EU, date(2023, 6, 1), True),
        (EU, date(2022, 12, 26), False),
    ],
    ids=["uk-exporter-before-21-march-2024", "uk-exporter-after-21-march-2024",
         "eu-exporter-after-27-december-2022", "eu-exporter-last-valid-day"],
)
def test_old_sccs_expire_on_each_regimes_date(entity: dict[str, Any], as_of: date, invalid: bool) -> None:
    hits = transfer_findings("eu_scc_2010", entity, as_of)
    assert (len(hits) == 1) == invalid
    if invalid:
        assert "repealed by Decision (EU) 2021/914" in hits.iloc[0]["message"]


def test_a_mechanism_used_before_it_existed_says_from_when() -> None:
    hits = transfer_findings("dpf", EU, date(2023, 1, 1))
    assert "not available until 10 July 2023" in hits.iloc[0]["message"]


def test_review_interval_setting_moves_the_overdue_line(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    case = silent("review_overdue", "x", {"last_reviewed": AS_OF - timedelta(days=200), "next_review_due": None})
    assert "review_overdue" not in set(analyse_case(db, case)["rule"])
    monkeypatch.setenv("ROPA_REVIEW_INTERVAL_MONTHS", "6")
    findings = analyse(db, AS_OF)
    assert "more than 6 months" in findings.loc[findings["rule"] == "review_overdue", "message"].iloc[0]


def test_a_bad_review_interval_setting_is_a_clear_error(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from ropa.errors import RopaError

    monkeypatch.setenv("ROPA_REVIEW_INTERVAL_MONTHS", "twelve")
    with pytest.raises(RopaError, match="ROPA_REVIEW_INTERVAL_MONTHS"):
        analyse(db)


def test_hostile_text_is_data_not_sql(db: Database) -> None:
    entity = create_entity(db, DPO, make_entity(name="'); DROP TABLE activities;--"))
    assert entity.id is not None
    hostile = "=HYPERLINK(\"http://x\") <script>alert(1)</script> '); DROP TABLE x;--"
    create_activity(db, DPO, make_activity(entity.id, **REVIEWED, name=hostile,
                                           recipients=[make_recipient(name=hostile, contract_ref="")],
                                           **stated_retention("as long as necessary " + hostile)))
    findings = analyse(db, AS_OF)
    assert set(findings["activity"]) == {hostile}
    assert any(hostile in s for s in findings["subject"])
    assert db.rows("SELECT count(*) FROM activities") == [(1,)]


def message_of(case: Case) -> str:
    findings = findings_of(case)
    return str(findings.loc[findings["rule"] == case.rule, "message"].iloc[0])


@pytest.mark.parametrize(("case", "cited"), CITED, ids=[case_id(c) for c, _ in CITED])
def test_dated_and_regime_specific_rules_cite_the_law_of_the_day_and_regime(case: Case, cited: str) -> None:
    assert cited in message_of(case)


@pytest.mark.parametrize(("regime", "mechanism", "day", "findings"), [
    ("uk_gdpr", "eu_scc_2010", AS_OF, ("transfer_mechanism_invalid", "transfer_tia_missing")),
    ("eu_gdpr", "eu_scc_2021", date(2020, 7, 1), ("transfer_mechanism_invalid",)),  # before Schrems II
    ("eu_gdpr", "privacy_shield", AS_OF, ("transfer_mechanism_invalid",)),  # no Art. 46 tool, no TIA
])
def test_the_verdict_keeps_the_missing_assessment_of_an_invalid_tool(regime: str, mechanism: str, day: date,
                                                                       findings: tuple[str, ...]) -> None:
    from ropa.legal.transfers import judge

    assert judge(regime, "US", mechanism, day).findings == findings


def test_rules_over_empty_relations_are_left_out_of_the_query(db: Database) -> None:
    from ropa.gaps.catalogue import RULES_BY_ID
    from ropa.gaps.engine import analysed, rules_with_input

    entity = create_entity(db, DPO, make_entity())
    assert entity.id is not None
    create_activity(db, DPO, make_activity(entity.id, recipients=[], transfers=[]))
    wanted = tuple(RULES_BY_ID[r] for r in ("purpose_missing", "processor_contract_missing",
                                            "transfer_mechanism_missing", "entity_contact_missing"))
    with db.connect() as con, analysed(con, AS_OF, None) as built:
        assert built is not None
        kept = [r.id for r in rules_with_input(built, wanted)]
    # The contract rule also reads acts, which holds a row; the transfer rule reads only the empty xfers.
    assert kept == ["purpose_missing", "processor_contract_missing", "entity_contact_missing"]
