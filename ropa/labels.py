"""What a person reads for each field and coded value: one registry for forms, pages, exports and messages.

A field's label is the one the form shows, so a validation message names the
field the user can see ("Name of the activity: is required"), and History
and conflict lists use the same words. Coded values (status, role, recipient
category ...) are labelled by the reference vocabulary; the few codes that are
not law (retention kind, record actions) are labelled here.
"""

from __future__ import annotations

from collections.abc import Mapping

from ropa.reference import load_reference

FIELD_LABELS: dict[str, str] = {
    "entity_id": "Entity",
    "role": "Role",
    "controller_served": "Controller served (as processor)",
    "joint_controllers": "Joint controllers",
    "joint_arrangement_ref": "Joint arrangement reference (Art. 26)",
    "name": "Name of the activity",
    "business_function": "Business function",
    "purpose": "Purpose of processing",
    "data_subjects": "Categories of individuals",
    "data_categories": "Categories of personal data",
    "data_source": "Source of the data",
    "recipients": "Recipients",
    "transfers": "Transfers",
    "retention_kind": "Retention",
    "retention_months": "Retention period (months)",
    "retention_trigger": "Retention starts",
    "retention_rule": "Retention rule",
    "retention_policy_ref": "Retention policy reference",
    "security_measures": "Security measures",
    "security_description": "Security description",
    "systems": "Systems",
    "data_location": "Data location",
    "lawful_bases": "Article 6 lawful basis",
    "legitimate_interest": "Legitimate interest pursued",
    "lia_ref": "Legitimate interests assessment reference",
    "consent_record_ref": "Consent record reference",
    "art9_conditions": "Article 9 condition",
    "art10_basis": "Article 10 basis (criminal offence data)",
    "dpa_schedule1_condition": "DPA 2018 Schedule 1 condition",
    "dpia_required": "DPIA required",
    "dpia_status": "DPIA status",
    "dpia_ref": "DPIA reference",
    "dpia_criteria": "DPIA screening criteria",
    "dpia_not_required_reason": "DPIA not required, because",
    "dpia_decided_by": "DPIA decision taken by (DPO)",
    "adm": "Solely automated decisions with legal or similar effect (Art. 22)",
    "adm_description": "Automated decision-making description",
    "adm_basis": "Article 22(2) basis",
    "rights_available": "Rights available to individuals",
    "breach_ref": "Breach reference",
    "owner": "Owner",
    "status": "Status",
    "last_reviewed": "Last reviewed",
    "next_review_due": "Next review due",
    "source_document": "Source document",
    "source_section": "Source section",
    "notes": "Notes",
    "unmapped": "Unmapped import text",
    "law_relied_on": "Law the legal obligation or public task rests on (Art. 6(3))",
    "member_state_law": "Union or member-state law relied on (Art. 9(2)(b), (g)-(j), Art. 10)",
    "consent_withdrawal": "How consent is withdrawn (Art. 7(3))",
    "parental_consent": "How a child's age and parental consent are checked (Art. 8)",
    "adm_safeguards": "Safeguards for automated decisions (Art. 22(3))",
    "eprivacy_consent": "Cookie and e-marketing consent or exemption (PECR regs 6, 22; ePrivacy Art. 5(3), 13)",
    "controller_contract_ref": "Contract with the controller served (Art. 28(3))",
    "subprocessor_authorisation": "Controller's authorisation of sub-processors (Art. 28(2))",
    "appropriate_policy_ref": "Appropriate policy document (DPA 2018 Sch. 1 Part 4)",
    "retention_per_policy": "Retained and erased as the policy document says? (DPA 2018 Sch. 1 para 41)",
    "policy_deviation_reasons": "Reasons for not following the policy document",
    "superseded_on": "No longer in force from",
}
"""Every activity field, labelled as the activity form shows it."""

ENTITY_LABELS: dict[str, str] = {
    "name": "Legal name",
    "kind": "Kind",
    "parent_id": "Parent entity",
    "company_number": "Company number",
    "ico_registration": "ICO registration number",
    "country": "Country",
    "address": "Address",
    "email": "Email",
    "phone": "Phone",
    "dpo_required": "DPO required (Art. 37)",
    "dpo_name": "DPO name",
    "dpo_email": "DPO email",
    "dpo_phone": "DPO phone",
    "representative_name": "Representative (Art. 27)",
    "representative_contact": "Representative contact",
    "regime": "Applicable regime",
    "notes": "Notes",
    "archived": "Archived",
    "fee_exemption": "Data protection fee: exemption relied on (DPA 2018 s.137)",
    "art30_5_reliance": "Art. 30(5) exemption: relied on, and why it applies",
}
"""Every entity field, labelled as the entity form shows it."""

ROW_LABELS: dict[str, dict[str, str]] = {
    "recipients": {"category": "Category", "name": "Name", "role": "Role", "country": "Country",
                   "contract_ref": "Contract (Art. 28)", "vendor_id": "Vendor (inventory)"},
    "transfers": {"country": "Country", "organisation": "International organisation", "recipient": "Recipient",
                  "contract_date": "Contract date", "mechanism": "Mechanism", "tia_ref": "TIA reference",
                  "safeguard_doc": "Safeguard document",
                  "authority_informed_on": "Authority informed on (Art. 49(1) 2nd subpara)",
                  "vendor_id": "Vendor (inventory)"},
}
"""The cells of a recipient or transfer row, labelled as the table's columns show them."""

VENDOR_LABELS: dict[str, str] = {
    "name": "Vendor name", "country": "Country", "contract_ref": "Art. 28 contract reference",
    "sub_processors": "Sub-processors", "notes": "Notes",
}
"""Every vendor inventory field, labelled as the Vendors page shows it."""

ROW_NOUNS: dict[str, str] = {"recipients": "Recipient", "transfers": "Transfer"}

RECORD_LABELS: dict[str, Mapping[str, str]] = {"activity": FIELD_LABELS, "entity": ENTITY_LABELS}

RETENTION_KIND_LABELS: dict[str, str] = {"period": "A period", "rule": "A stated rule", "unknown": "Not yet known"}
"""How long data is kept is either a period, a stated rule, or not yet known (Art. 30(1)(f))."""

ACTION_LABELS: dict[str, str] = {
    "create": "Created", "update": "Edited", "status": "Status changed", "review": "Reviewed",
    "archive": "Archived", "restore": "Restored", "import": "Imported", "delete": "Deleted",
}
"""Audit actions as History shows them."""


def field_label(field: str, record: str = "activity") -> str:
    """The label a form shows for ``field`` of a ``record`` ("activity" or "entity")."""
    own = RECORD_LABELS.get(record, FIELD_LABELS)
    return own.get(field) or FIELD_LABELS.get(field) or ENTITY_LABELS.get(field) or field.replace("_", " ").capitalize()


def cell_label(table: str, column: str) -> str:
    """The label of a cell of a recipient or transfer row."""
    return ROW_LABELS.get(table, {}).get(column) or column.replace("_", " ").capitalize()


def vocabulary_label(vocabulary: str, key: str | None) -> str:
    """A coded value's label from the reference data (status, roles, recipient categories and roles ...)."""
    if not key:
        return ""
    return load_reference().vocabulary(vocabulary).label(key)


def status_label(key: str) -> str:
    return vocabulary_label("statuses", key)


def retention_kind_label(key: str) -> str:
    return RETENTION_KIND_LABELS.get(key, key)


def count_text(count: int, noun: str, plural: str | None = None) -> str:
    """"1 problem", "2 problems": a count with its noun agreeing."""
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"


def months_text(months: int) -> str:
    """A retention or review span as people say it: "1 year", "18 months", "6 years"."""
    if months and months % 12 == 0:
        return count_text(months // 12, "year")
    return count_text(months, "month")


def transition_text(before: str, after: str) -> str:
    """A status change in words: "In review → Approved"."""
    return f"{status_label(before)} → {status_label(after)}"


def any_field_label(key: str) -> str:
    """A field's label wherever it occurs: activity first, then entity, recipient or transfer cell, vendor.

    For messages that name a field outside a form (the command line, import, restore), so they use the
    same words as the form.
    """
    for table in (FIELD_LABELS, ENTITY_LABELS, *ROW_LABELS.values(), VENDOR_LABELS):
        if key in table:
            return table[key]
    return key.replace("_", " ").capitalize()


# Help shown under a field where the law decides what belongs in it; each text cites its source.
FIELD_HELP: dict[str, str] = {
    "superseded_on": (
        "For a historical record only: the day this record stopped describing the processing (a new "
        "record or a change of law replaced it). It is kept to show what was recorded when (Art. 5(2), "
        "Art. 30(1)); the gap analysis judges it only on the days before this date."
    ),
    "fee_exemption": (
        "Only for a UK controller that pays no data protection fee: which exemption it relies on. DPA "
        "2018 s.137 and the Data Protection (Charges and Information) Regulations 2018, reg. 2: a "
        "controller pays the fee unless all its processing is exempt processing (Schedule, para 2: e.g. "
        "staff administration, its own advertising and marketing, accounts and records)."
    ),
    "art30_5_reliance": (
        "Only if the entity keeps no full record under the Art. 30(5) exemption: why it applies. It "
        "covers an organisation of fewer than 250 people whose processing is occasional, unlikely to "
        "result in a risk to people's rights and freedoms, and includes no special category (Art. 9(1)) "
        "or criminal offence data (Art. 10)."
    ),
}
