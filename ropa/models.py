"""The register's records as validated models: the single path for forms, import and CLI.

Free text is stored byte for byte (no trimming, no escaping: rendering and
export escape at the edge); controlled fields must hold a key of the
reference vocabulary; limits keep one record from swamping the register.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ropa.errors import FieldError, ValidationFailed
from ropa.labels import any_field_label
from ropa.reference import is_country_code, load_reference

SHORT_MAX = 500
TEXT_MAX = 20_000
LIST_MAX = 200



def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Short = Annotated[str, Field(max_length=SHORT_MAX), AfterValidator(_no_nul)]
Text = Annotated[str, Field(max_length=TEXT_MAX), AfterValidator(_no_nul)]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _vocab_check(vocabulary: str, what: str) -> AfterValidator:
    # The keys are looked up once per loaded reference: an import checks a few hundred thousand values.
    known: list[tuple[object, frozenset[str]]] = []

    def check(value: str) -> str:
        reference = load_reference()
        if not known or known[0][0] is not reference:
            known[:] = [(reference, frozenset(t.key for t in reference.vocabulary(vocabulary)))]
        if value not in known[0][1]:
            vocab = reference.vocabulary(vocabulary)
            raise ValueError(f"unknown {what} '{value}'; choose one of: {', '.join(vocab.keys())}")
        return value

    return AfterValidator(check)


@lru_cache(maxsize=4096)
def _known_country(code: str) -> bool:
    """ISO 3166 codes do not change while the app runs; an import asks about the same few codes again and again."""
    return is_country_code(code)


def _country_check(value: str) -> str:
    if not _known_country(value):
        raise ValueError(f"'{value}' is not an ISO 3166 country code (e.g. GB, US, DE)")
    return value


def _email_check(value: str) -> str:
    if value and not _EMAIL.match(value):
        raise ValueError(f"'{value}' is not an email address")
    return value


def _mechanism_check(value: str) -> str:
    if value not in load_reference().mechanisms():
        keys = ", ".join(load_reference().mechanisms())
        raise ValueError(f"unknown transfer mechanism '{value}'; choose one of: {keys}")
    return value


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _no_vendor(value: object) -> object:
    """An empty table cell (blank text, NaN) means no vendor."""
    if value == "" or (isinstance(value, float) and value != value):
        return None
    return value


VendorRef = Annotated[int | None, BeforeValidator(_no_vendor)]
Country = Annotated[str, AfterValidator(_country_check)]
Email = Annotated[str, Field(max_length=SHORT_MAX), AfterValidator(_email_check)]
LawfulBasis = Annotated[str, _vocab_check("lawful_bases", "lawful basis")]
Art9Condition = Annotated[str, _vocab_check("art9_conditions", "Article 9 condition")]
DataSubject = Annotated[str, _vocab_check("data_subjects", "data subject category")]
DataCategory = Annotated[str, _vocab_check("data_categories", "data category")]
SecurityMeasure = Annotated[str, _vocab_check("security_measures", "security measure")]
DpiaCriterion = Annotated[str, _vocab_check("dpia_criteria", "DPIA criterion")]
RecipientCategory = Annotated[str, _vocab_check("recipient_categories", "recipient category")]
RecipientRole = Annotated[str, _vocab_check("recipient_roles", "recipient role")]
RetentionTrigger = Annotated[str, _vocab_check("retention_triggers", "retention trigger")]
AdmBasis = Annotated[str, _vocab_check("adm_bases", "Article 22(2) basis")]
DpiaStatus = Annotated[str, _vocab_check("dpia_statuses", "DPIA status")]
MechanismKey = Annotated[str, AfterValidator(_mechanism_check)]
Organisation = Annotated[str, _vocab_check("international_organisations", "international organisation")]
EntityRegimeKey = Annotated[str, _vocab_check("entity_regimes", "applicable regime")]

Role = Literal["controller", "joint_controller", "processor"]
Status = Literal["draft", "in_review", "approved", "archived"]
EntityKind = Literal["controller", "processor", "both"]
RetentionKind = Literal["period", "rule", "unknown"]


BOOKKEEPING = frozenset({"id", "version", "created_at", "created_by", "updated_at", "updated_by"})
"""The fields of an activity the write sets, left out of its content (``Activity.content``)."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False, str_strip_whitespace=False)


class Recipient(_Record):
    """Who receives the data (Art. 30(1)(d)); a processor needs an Art. 28 contract."""

    category: RecipientCategory
    name: Short = ""
    role: RecipientRole | None = None
    country: Country | None = None
    contract_ref: Short = ""
    vendor_id: VendorRef = None
    """The vendor inventory entry this recipient is (name, country and contract then follow the vendor)."""


class Transfer(_Record):
    """A transfer to a third country or an international organisation (Art. 30(1)(e)) and its Chapter V tool.

    ``contract_date``: when the contract carrying the tool was concluded (the old
    Model Clauses were valid only in contracts concluded before their cut-off).
    ``authority_informed_on``: when the supervisory authority was informed of a
    transfer on the compelling-legitimate-interests derogation, as Art. 49(1)
    second subparagraph requires (EDPB Guidelines 2/2018, section 2.8).
    """

    country: Country | None = None
    recipient: Short = ""
    mechanism: MechanismKey | None = None
    tia_ref: Short = ""
    safeguard_doc: Short = ""
    contract_date: date | None = None
    organisation: Organisation | None = None

    @model_validator(mode="after")
    def names_a_destination(self) -> Transfer:
        if not self.country and not self.organisation:
            raise ValueError("a transfer needs a destination country or an international organisation")
        return self

    @property
    def destination(self) -> str:
        """The key the verdict module judges: the ISO code, or 'org:' + the organisation's key."""
        return f"org:{self.organisation}" if self.organisation else str(self.country)
    vendor_id: VendorRef = None
    """The vendor inventory entry receiving the data (its name and country then follow the vendor)."""
    authority_informed_on: date | None = None


class Activity(_Record):
    """One processing activity: a row of the Article 30 record."""

    id: int | None = None
    entity_id: int
    name: Annotated[Short, Field(min_length=1)]
    business_function: Short = ""
    purpose: Text = ""
    role: Role = "controller"
    controller_served: Text = ""
    joint_controllers: Text = ""
    joint_arrangement_ref: Short = ""
    lawful_bases: Annotated[list[LawfulBasis], Field(max_length=LIST_MAX)] = []
    legitimate_interest: Text = ""
    lia_ref: Short = ""
    consent_record_ref: Short = ""
    art9_conditions: Annotated[list[Art9Condition], Field(max_length=LIST_MAX)] = []
    art10_basis: Text = ""
    dpa_schedule1_condition: Text = ""
    data_subjects: Annotated[list[DataSubject], Field(max_length=LIST_MAX)] = []
    data_categories: Annotated[list[DataCategory], Field(max_length=LIST_MAX)] = []
    recipients: Annotated[list[Recipient], Field(max_length=LIST_MAX)] = []
    transfers: Annotated[list[Transfer], Field(max_length=LIST_MAX)] = []
    retention_kind: RetentionKind = "unknown"
    retention_months: Annotated[int, Field(ge=0, le=1200)] | None = None
    retention_trigger: RetentionTrigger | None = None
    retention_rule: Text = ""
    retention_policy_ref: Short = ""
    security_measures: Annotated[list[SecurityMeasure], Field(max_length=LIST_MAX)] = []
    security_description: Text = ""
    systems: Annotated[list[Short], Field(max_length=LIST_MAX)] = []
    data_location: Text = ""
    data_source: Text = ""
    rights_available: Text = ""
    adm: bool = False
    adm_description: Text = ""
    adm_basis: AdmBasis | None = None
    dpia_required: bool | None = None
    dpia_status: DpiaStatus | None = None
    dpia_ref: Short = ""
    dpia_criteria: Annotated[list[DpiaCriterion], Field(max_length=LIST_MAX)] = []
    breach_ref: Short = ""
    # What further duties the gap rules check need recorded (migration 0011_findings_fields).
    dpia_not_required_reason: Text = ""
    dpia_decided_by: Short = ""
    law_relied_on: Text = ""
    member_state_law: Text = ""
    consent_withdrawal: Text = ""
    parental_consent: Text = ""
    adm_safeguards: Text = ""
    eprivacy_consent: Text = ""
    controller_contract_ref: Short = ""
    subprocessor_authorisation: Text = ""
    appropriate_policy_ref: Short = ""
    retention_per_policy: bool | None = None
    policy_deviation_reasons: Text = ""
    superseded_on: date | None = None
    owner: Short = ""
    status: Status = "draft"
    last_reviewed: date | None = None
    next_review_due: date | None = None
    source_document: Short = ""
    source_section: Short = ""
    notes: Text = ""
    unmapped: dict[str, Text] = {}
    version: int = 0
    created_at: datetime | None = None
    created_by: str = ""
    updated_at: datetime | None = None
    updated_by: str = ""

    @field_validator(
        "lawful_bases", "art9_conditions", "data_subjects", "data_categories",
        "security_measures", "systems", "dpia_criteria",
    )
    @classmethod
    def _dedupe(cls, values: list[str]) -> list[str]:
        return _unique(values)

    @model_validator(mode="after")
    def retention_is_consistent(self) -> Activity:
        if self.retention_kind == "period" and self.retention_months is None:
            raise ValueError("a retention period needs a number of months")
        if self.retention_kind == "rule" and not self.retention_rule.strip():
            raise ValueError("a stated retention rule needs its text")
        if self.retention_kind != "period" and self.retention_months is not None:
            raise ValueError("retention months are only used with a structured period")
        return self

    @model_validator(mode="after")
    def review_due_follows_review(self) -> Activity:
        if self.last_reviewed and self.next_review_due and self.next_review_due < self.last_reviewed:
            raise ValueError("next review is due before the last review")
        return self

    def content(self) -> dict[str, Any]:
        """The record's content without bookkeeping: what an audit diff compares."""
        return self.model_dump(mode="json", exclude=set(BOOKKEEPING))

    def has_special_category_data(self) -> bool:
        special = set(load_reference().special_category_keys())
        return any(key in special for key in self.data_categories)


class Entity(_Record):
    """A group company: controller, processor or both (Art. 30(1)(a), 30(2)(a))."""

    id: int | None = None
    name: Annotated[Short, Field(min_length=1)]
    kind: EntityKind = "controller"
    parent_id: int | None = None
    company_number: Short = ""
    ico_registration: Short = ""
    country: Country = "GB"
    address: Text = ""
    email: Email = ""
    phone: Short = ""
    dpo_required: bool | None = None
    dpo_name: Short = ""
    dpo_email: Email = ""
    dpo_phone: Short = ""
    representative_name: Short = ""
    representative_contact: Text = ""
    regime: EntityRegimeKey | None = None
    fee_exemption: Text = ""
    art30_5_reliance: Text = ""
    notes: Text = ""
    archived: bool = False
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @model_validator(mode="after")
    def not_its_own_parent(self) -> Entity:
        if self.id is not None and self.parent_id == self.id:
            raise ValueError("an entity cannot be its own parent")
        return self

    def content(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"id", "version", "created_at", "updated_at"})


class SubProcessor(_Record):
    """A vendor's own processor (Art. 28(2), 28(4)) and where it processes the data."""

    name: Annotated[Short, Field(min_length=1)]
    country: Country | None = None


class Vendor(_Record):
    """A processor or other recipient kept once, with its Art. 28(3) contract, for every activity using it."""

    id: int | None = None
    name: Annotated[Short, Field(min_length=1)]
    country: Country | None = None
    contract_ref: Short = ""
    sub_processors: Annotated[list[SubProcessor], Field(max_length=LIST_MAX)] = []
    notes: Text = ""
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str = ""

    def content(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"id", "version", "updated_at", "updated_by"})


def _field_name(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"#{part + 1}")
        else:
            parts.append(any_field_label(part))
    return " ".join(parts)


def _message(error: Any) -> str:
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if error["type"] == "string_too_long":
        return f"is too long ({len(error['input']):,} characters; at most {error['ctx']['max_length']:,})"
    if error["type"] in ("string_too_short", "too_short") and error["ctx"].get("min_length") == 1:
        return "is required"
    if error["type"] == "extra_forbidden":
        return "is not a field of this record"
    return message


def validation_failed(error: ValidationError) -> ValidationFailed:
    """Turn pydantic's errors into messages that name the field as the form does."""
    return ValidationFailed([FieldError(_field_name(e["loc"]), _message(e)) for e in error.errors()])


def parse_activity(data: dict[str, Any]) -> Activity:
    try:
        return Activity.model_validate(data)
    except ValidationError as error:
        raise validation_failed(error) from None


def parse_vendor(data: dict[str, Any]) -> Vendor:
    try:
        return Vendor.model_validate(data)
    except ValidationError as error:
        raise validation_failed(error) from None


def parse_entity(data: dict[str, Any]) -> Entity:
    try:
        return Entity.model_validate(data)
    except ValidationError as error:
        raise validation_failed(error) from None
