"""A large, realistic, deterministic register for benchmarks and scale tests.

The demo register is small and hand-written; performance needs the size the
product promises (50 entities, 10,000 activities) with the mix a real group
has: mostly sound records, and the gaps a DPO meets in practice (legitimate
interests without an assessment, transfers still resting on Privacy Shield or
the old Model Clauses, "as long as necessary" retention, overdue reviews).
The same seed always gives the same register, so two benchmark runs measure
the same data. Every record goes through ``ropa.models`` like any other input.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from ropa.auth import SYSTEM
from ropa.models import Activity, Entity
from ropa.storage.activities import BULK_MEMORY_LIMIT, add_activities, add_months
from ropa.storage.database import Database
from ropa.storage.entities import insert_entities, reserve_entity_ids

T = TypeVar("T")

GROUP_NAME = "Northwind"
SOURCE_DOCUMENT = "synthetic register"

# A default anchor keeps the generator deterministic; review dates are spread
# around it so a fixed share of records is overdue whenever it is built.
DEFAULT_AS_OF = date(2026, 11, 1)


@dataclass(frozen=True)
class _Jurisdiction:
    country: str
    place: str
    suffix: str
    address: str
    phone: str


# Where subsidiaries sit: the country, how a company there is named and a plausible address.
JURISDICTIONS: tuple[_Jurisdiction, ...] = (
    _Jurisdiction("GB", "UK", "Limited", "1 Finsbury Avenue, London, EC2M 2PF", "+44 20 7946 0"),
    _Jurisdiction("IE", "Ireland", "Limited", "2 Grand Canal Square, Dublin 2, D02 A342", "+353 1 555 0"),
    _Jurisdiction("DE", "Deutschland", "GmbH", "Friedrichstrasse 68, 10117 Berlin", "+49 30 5555 0"),
    _Jurisdiction("FR", "France", "SAS", "12 rue de la Paix, 75002 Paris", "+33 1 55 55 0"),
    _Jurisdiction("US", "USA", "Inc.", "500 Market Street, San Francisco, CA 94105", "+1 415 555 0"),
    _Jurisdiction("AU", "Australia", "Pty Ltd", "1 Martin Place, Sydney NSW 2000", "+61 2 5550 0"),
    _Jurisdiction("SG", "Singapore", "Pte. Ltd.", "8 Marina View, Singapore 018960", "+65 6555 0"),
    _Jurisdiction("IN", "India", "Private Limited", "Bandra Kurla Complex, Mumbai 400051", "+91 22 5555 0"),
    _Jurisdiction("CH", "Schweiz", "AG", "Bahnhofstrasse 10, 8001 Zurich", "+41 44 555 0"),
    _Jurisdiction("NL", "Nederland", "B.V.", "Zuidas 20, 1082 MS Amsterdam", "+31 20 555 0"),
    _Jurisdiction("ES", "Espana", "S.L.", "Paseo de la Castellana 50, 28046 Madrid", "+34 91 555 0"),
    _Jurisdiction("IT", "Italia", "S.r.l.", "Via Monte Napoleone 8, 20121 Milano", "+39 02 5555 0"),
    _Jurisdiction("SE", "Sverige", "AB", "Kungsgatan 30, 111 35 Stockholm", "+46 8 555 0"),
    _Jurisdiction("PL", "Polska", "sp. z o.o.", "ul. Prosta 36, 00-838 Warszawa", "+48 22 555 0"),
    _Jurisdiction("JP", "Japan", "K.K.", "1-1 Marunouchi, Chiyoda-ku, Tokyo", "+81 3 5555 0"),
    _Jurisdiction("CA", "Canada", "Inc.", "100 King Street West, Toronto ON M5X 1A9", "+1 416 555 0"),
    _Jurisdiction("BR", "Brasil", "Ltda.", "Avenida Paulista 1000, Sao Paulo SP", "+55 11 5555 0"),
)
_EEA_OR_UK = {"GB", "IE", "DE", "FR", "NL", "ES", "IT", "SE", "PL"}

BUSINESS_LINES = ("Payments", "Retail", "Logistics", "Cloud", "Insurance", "Health", "Media", "Telecom",
                  "Energy", "Analytics", "Services", "Digital", "Labs", "Software", "Finance", "Markets")


@dataclass(frozen=True)
class _Template:
    """One kind of activity a business function runs, with its usual content."""

    name: str
    purpose: str
    bases: tuple[str, ...]
    subjects: tuple[str, ...]
    categories: tuple[str, ...]
    special: tuple[str, ...] = ()
    art9: str = ""
    criteria: tuple[str, ...] = ()


_HR_SUBJECTS = ("employees", "contractors")
_CUSTOMERS = ("customers", "former_customers")

TEMPLATES: dict[str, tuple[_Template, ...]] = {
    "HR": (
        _Template("Recruitment", "Assess applicants and make hiring decisions.", ("contract", "legitimate_interests"),
                  ("job_applicants",), ("identity.name", "contact.email", "professional.history",
                                        "employment.recruitment"), ("special.racial_ethnic",),
                  "employment_social_security", ("evaluation_scoring",)),
        _Template("Payroll", "Pay salaries, deduct tax and national insurance.", ("contract", "legal_obligation"),
                  _HR_SUBJECTS, ("identity.name", "identity.government_id", "financial.bank",
                                 "employment.payroll"), (), "", ()),
        _Template("Sickness absence management", "Record absence and support return to work.",
                  ("legal_obligation", "contract"), ("employees",),
                  ("identity.name", "employment.performance"), ("special.health", "special.health.disability"),
                  "employment_social_security", ("sensitive_data",)),
        _Template("Performance reviews", "Run annual objectives and appraisals.", ("contract",),
                  ("employees",), ("identity.name", "professional.job", "employment.performance"), (), "",
                  ("evaluation_scoring",)),
        _Template("Pension and benefits", "Enrol employees in the pension scheme and benefits.",
                  ("legal_obligation", "contract"), _HR_SUBJECTS,
                  ("identity.name", "identity.date_of_birth", "employment.payroll"), (), "", ()),
        _Template("Diversity monitoring", "Monitor equality of opportunity across the workforce.",
                  ("legitimate_interests",), ("employees", "job_applicants"),
                  ("identity.name",), ("special.racial_ethnic", "special.religious", "special.sex_life"),
                  "substantial_public_interest", ("sensitive_data", "large_scale")),
    ),
    "Finance": (
        _Template("Customer billing", "Invoice customers and collect payment.", ("contract",), _CUSTOMERS,
                  ("identity.name", "contact.address", "financial.billing", "financial.payment_card")),
        _Template("Supplier payments", "Pay suppliers and keep the purchase ledger.", ("contract", "legal_obligation"),
                  ("suppliers",), ("identity.name", "contact.email", "financial.bank")),
        _Template("Statutory accounts and audit", "Keep the accounting records the law requires.",
                  ("legal_obligation",), ("customers", "suppliers", "employees"),
                  ("identity.name", "financial.billing")),
        _Template("Credit control", "Chase overdue invoices and assess credit risk.",
                  ("legitimate_interests", "contract"), _CUSTOMERS,
                  ("identity.name", "financial.credit", "financial.billing"), (), "",
                  ("evaluation_scoring",)),
        _Template("Fraud prevention", "Detect and prevent payment fraud.", ("legitimate_interests",),
                  ("customers",), ("identity.name", "financial.payment_card", "online.ip_address", "online.device"),
                  (), "", ("evaluation_scoring", "large_scale", "automated_decision")),
    ),
    "Sales": (
        _Template("Lead management", "Qualify and follow up sales leads.", ("legitimate_interests",),
                  ("prospective_customers", "business_contacts"),
                  ("identity.name", "contact.email", "contact.phone", "professional.job")),
        _Template("Contract management", "Prepare, sign and renew customer contracts.", ("contract",),
                  ("customers", "business_contacts"), ("identity.name", "professional.job",
                                                       "commercial.transactions")),
        _Template("Partner and reseller programme", "Manage resellers and their deal registrations.",
                  ("contract", "legitimate_interests"), ("business_contacts",),
                  ("identity.name", "contact.email", "professional.job")),
    ),
    "Marketing": (
        _Template("Email newsletters", "Send newsletters and offers to subscribers.", ("consent",),
                  ("customers", "prospective_customers"),
                  ("identity.name", "contact.email", "marketing.preferences", "marketing.interactions")),
        _Template("Website analytics", "Measure how visitors use the website.", ("consent",),
                  ("website_visitors",), ("online.cookies", "online.usage", "location.approximate"),
                  (), "", ("large_scale",)),
        _Template("Targeted advertising", "Show relevant adverts on social media.", ("consent",),
                  ("website_visitors", "customers"),
                  ("online.cookies", "commercial.preferences", "marketing.interactions"),
                  (), "", ("evaluation_scoring", "large_scale", "matching_combining")),
        _Template("Events and webinars", "Register attendees and follow up after events.",
                  ("legitimate_interests", "consent"), ("event_attendees",),
                  ("identity.name", "contact.email", "professional.job")),
        _Template("Customer satisfaction surveys", "Ask customers about their experience.",
                  ("legitimate_interests",), ("customers",), ("identity.name", "contact.email")),
    ),
    "IT": (
        _Template("User account management", "Create and remove staff accounts and access rights.",
                  ("contract", "legitimate_interests"), _HR_SUBJECTS,
                  ("identity.name", "account.credentials", "account.profile")),
        _Template("Security monitoring", "Detect attacks and misuse of systems.", ("legitimate_interests",),
                  ("employees", "contractors", "website_visitors"), ("online.ip_address", "online.usage",
                                                                     "account.credentials"),
                  (), "", ("systematic_monitoring", "large_scale")),
        _Template("Backup and disaster recovery", "Restore systems and data after an incident.",
                  ("legitimate_interests",), ("customers", "employees"), ("identity.name", "contact.email")),
        _Template("IT service desk", "Resolve staff IT support tickets.", ("contract",),
                  ("employees",), ("identity.name", "contact.email", "communications.content")),
    ),
    "Customer support": (
        _Template("Support tickets", "Answer customer questions and complaints.", ("contract",), _CUSTOMERS,
                  ("identity.name", "contact.email", "communications.content", "commercial.transactions")),
        _Template("Call recording", "Record calls for training and dispute resolution.",
                  ("legitimate_interests",), ("customers",),
                  ("identity.name", "contact.phone", "audio_visual.recordings"), (), "",
                  ("systematic_monitoring",)),
        _Template("Live chat", "Provide chat support on the website and app.", ("contract",),
                  ("customers", "website_visitors"), ("identity.name", "communications.content",
                                                      "online.device")),
    ),
    "Legal": (
        _Template("Litigation and claims", "Bring and defend legal claims.", ("legitimate_interests",),
                  ("customers", "employees", "suppliers"), ("identity.name", "communications.content"),
                  ("special.health",), "legal_claims", ()),
        _Template("Data subject requests", "Answer access, erasure and other rights requests.",
                  ("legal_obligation",), ("customers", "employees", "former_customers"),
                  ("identity.name", "contact.email", "identity.government_id")),
        _Template("Whistleblowing", "Receive and investigate reports of wrongdoing.", ("legal_obligation",),
                  ("employees", "contractors"), ("identity.name", "communications.content"),
                  (), "", ("sensitive_data",)),
        _Template("Anti-money-laundering checks", "Verify identity and screen against sanctions lists.",
                  ("legal_obligation",), ("customers", "shareholders"),
                  ("identity.name", "identity.government_id", "identity.date_of_birth"), (), "",
                  ("evaluation_scoring", "matching_combining")),
    ),
    "Facilities": (
        _Template("CCTV", "Protect staff, visitors and premises.", ("legitimate_interests",),
                  ("employees", "premises_visitors"), ("audio_visual.cctv",), (), "",
                  ("systematic_monitoring",)),
        _Template("Visitor management", "Sign visitors in and out of the office.", ("legitimate_interests",),
                  ("premises_visitors",), ("identity.name", "professional.job")),
        _Template("Building access cards", "Control access to offices.", ("legitimate_interests", "contract"),
                  ("employees", "contractors"), ("identity.name", "identity.photo")),
    ),
    "Product": (
        _Template("Service provision", "Provide the service the customer signed up for.", ("contract",),
                  ("customers",), ("identity.name", "contact.email", "account.profile", "online.usage")),
        _Template("Product analytics", "Understand feature use to improve the product.", ("legitimate_interests",),
                  ("customers", "customer_end_users"), ("online.usage", "online.device"),
                  (), "", ("large_scale", "matching_combining")),
        _Template("Beta testing programme", "Run trials of new features with volunteers.", ("consent",),
                  ("customers",), ("identity.name", "contact.email", "online.usage"), (), "",
                  ("innovative_technology",)),
        _Template("Location-based features", "Offer services based on where the user is.", ("consent",),
                  ("customers",), ("location.precise", "online.device"), (), "",
                  ("innovative_technology", "large_scale")),
    ),
    "Operations": (
        _Template("Order fulfilment", "Ship orders to customers.", ("contract",), ("customers",),
                  ("identity.name", "contact.address", "contact.phone", "commercial.transactions")),
        _Template("Hosting customer data", "Host and process data on behalf of business customers.",
                  ("contract",), ("customer_end_users",), ("identity.name", "contact.email", "online.usage")),
        _Template("Health and safety incidents", "Record accidents at work as the law requires.",
                  ("legal_obligation",), ("employees", "premises_visitors"), ("identity.name",),
                  ("special.health",), "employment_social_security", ()),
    ),
}
FUNCTION_WEIGHTS: dict[str, float] = {"HR": 14, "Finance": 11, "Sales": 12, "Marketing": 14, "IT": 12,
                                      "Customer support": 10, "Legal": 7, "Facilities": 5, "Product": 10,
                                      "Operations": 5}
FUNCTION_MIX = tuple(FUNCTION_WEIGHTS.items())
OWNERS: dict[str, str] = {"HR": "HR Director", "Finance": "Chief Financial Officer", "Sales": "Head of Sales",
                          "Marketing": "Marketing Director", "IT": "Chief Information Officer",
                          "Customer support": "Head of Customer Support", "Legal": "General Counsel",
                          "Facilities": "Facilities Manager", "Product": "Chief Product Officer",
                          "Operations": "Chief Operating Officer"}
SYSTEMS: dict[str, tuple[str, ...]] = {
    "HR": ("PeopleHub", "PayrollPro", "TalentTrack"), "Finance": ("LedgerOne", "BillRun", "PayGate"),
    "Sales": ("DealFlow CRM", "QuoteDesk"), "Marketing": ("MailSpring", "AdBridge", "SiteMetrics"),
    "IT": ("Directory", "SIEM", "BackupVault", "ServiceDesk"), "Customer support": ("HelpPoint", "CallVault"),
    "Legal": ("CaseFile", "RightsDesk"), "Facilities": ("DoorKey", "VisitorBook", "CCTV NVR"),
    "Product": ("Core Platform", "EventPipe", "FeatureFlags"), "Operations": ("WarehouseOS", "CarrierLink"),
}
VARIANTS = ("EMEA", "APAC", "Americas", "Retail", "Enterprise", "SMB", "Pilot", "Legacy", "Phase 2",
            "Mobile app", "Web", "Call centre", "Head office", "Field teams")

# (category, role, fictitious supplier, weight); processors are the common case.
RECIPIENTS: tuple[tuple[str, str, str, float], ...] = (
    ("cloud_hosting", "processor", "Cirrus Hosting", 18),
    ("it_service_providers", "processor", "Bytecraft Services", 15),
    ("payment_providers", "processor", "PayNimbus", 8),
    ("marketing_providers", "processor", "MailSpring", 8),
    ("analytics_advertising", "controller", "AdBridge Networks", 5),
    ("hr_payroll_providers", "processor", "PayrollPro", 7),
    ("professional_advisers", "controller", "Baker & Finch LLP", 6),
    ("public_authorities", "public_authority", "Tax authority", 6),
    ("group_companies", "group_company", f"{GROUP_NAME} group companies", 10),
    ("credit_reference", "controller", "CreditCheck Bureau", 3),
    ("telecom_carriers", "processor", "TelcoLink", 3),
    ("it_service_providers", "sub_processor", "Offshore Support Centre", 4),
    ("business_partners", "controller", "Resellers", 3),
)
RECIPIENT_MIX = tuple(((category, role, name), weight) for category, role, name, weight in RECIPIENTS)
RECIPIENT_COUNTRIES = (("GB", 40), ("IE", 10), ("DE", 8), ("US", 22), ("IN", 8), ("AU", 3), ("SG", 3),
                       ("PH", 3), ("CH", 3))

THIRD_COUNTRIES = (("US", 45), ("IN", 15), ("AU", 6), ("SG", 6), ("PH", 5), ("CH", 5), ("JP", 4), ("CA", 4),
                   ("BR", 3), ("ZA", 3), ("KR", 2), ("AE", 2))
INCONSISTENT_IMPORTER_SHARE = 0.02
"""Share of transfers whose importer is missing from the activity's recipients, on purpose."""
UNLISTED_IMPORTERS = ("Cirrus Hosting Inc", "AdBridge Networks Inc", "Bytecraft Services Pvt",
                      f"{GROUP_NAME} group company")
"""Legal names of recipients the records list by trading name: never equal to a recipient's name."""
# Chapter V mechanisms as found in real registers, including the ones no longer valid.
MECHANISMS: tuple[tuple[str | None, float], ...] = (
    ("eu_scc_2021", 20), ("uk_addendum", 16), ("uk_idta", 10), ("dpf", 8), ("uk_us_data_bridge", 5),
    ("adequacy", 10), ("bcr", 5), ("derogation_contract", 2), ("derogation_explicit_consent", 1),
    (None, 8), ("privacy_shield", 6), ("eu_scc_2010", 6), ("safe_harbor", 2),
)

VAGUE_RETENTION = ("As long as necessary", "as long as necessary for the purposes", "Indefinitely",
                   "Until no longer needed", "In line with the retention policy")
STATED_RETENTION = ("Until the end of the limitation period for claims", "For the life of the account",
                    "Until the individual withdraws consent", "Until the candidate pool is refreshed")
RETENTION_MONTHS = (1, 3, 6, 12, 24, 36, 60, 72, 84, 120)
TRIGGERS = ("collection", "end_of_contract", "account_closure", "last_contact", "end_of_employment",
            "end_of_financial_year", "event")
MEASURES = ("access_control", "authentication", "encryption", "pseudonymisation", "logging",
            "software_protection", "backup", "business_continuity", "physical_security", "staff_training",
            "processor_control", "testing", "incident_response", "certification")
SPECIAL_EXTRA = ("special.health", "special.biometric", "special.trade_union", "special.racial_ethnic",
                 "special.genetic", "special.religious")
ART9 = ("explicit_consent", "employment_social_security", "substantial_public_interest", "legal_claims",
        "health_social_care")
HOSTILE_NOTES = ('=HYPERLINK("http://example.test","click")', "<script>alert(1)</script>",
                 "'); DROP TABLE activities;--", "+SUM(1,1)", "Ünïcödé — 数据 — ملاحظات")


_CUMULATIVE: dict[tuple[tuple[Any, float], ...], tuple[list[Any], list[float]]] = {}


def _weighted(rng: random.Random, options: tuple[tuple[T, float], ...]) -> T:
    """One option drawn by weight; the cumulative weights of each table are computed once."""
    if options not in _CUMULATIVE:
        _CUMULATIVE[options] = ([o for o, _ in options], list(itertools.accumulate(w for _, w in options)))
    values, cumulative = _CUMULATIVE[options]
    chosen: T = values[bisect.bisect(cumulative, rng.random() * cumulative[-1])]
    return chosen


def _chance(rng: random.Random, probability: float) -> bool:
    return rng.random() < probability


# -- entities -----------------------------------------------------------------

def _entity_layout(n_entities: int, rng: random.Random) -> list[int | None]:
    """Parent index per entity: one root, ~40 % direct subsidiaries, the rest one or two levels below."""
    parents: list[int | None] = [None]
    direct = max(1, round((n_entities - 1) * 0.4)) if n_entities > 1 else 0
    second_level: list[int] = []
    for index in range(1, n_entities):
        if index <= direct:
            parents.append(0)
        elif len(second_level) >= 2 and _chance(rng, 0.15):
            parents.append(rng.choice(second_level))  # a third level under a nested company
        else:
            parents.append(rng.randrange(1, direct + 1))
            second_level.append(index)
    return parents


def _entity(index: int, parent: int | None, rng: random.Random, used: set[str]) -> Entity:
    place = JURISDICTIONS[0] if index == 0 else JURISDICTIONS[(index - 1) % len(JURISDICTIONS)]
    if index == 0:
        name = f"{GROUP_NAME} Group plc"
    else:
        line = BUSINESS_LINES[rng.randrange(len(BUSINESS_LINES))]
        name = f"{GROUP_NAME} {line} {place.place} {place.suffix}"
        serial = 2
        while name.lower() in used:
            name = f"{GROUP_NAME} {line} {place.place} {serial} {place.suffix}"
            serial += 1
    used.add(name.lower())
    kind = "controller" if index == 0 else _weighted(rng, (("controller", 70), ("both", 20), ("processor", 10)))
    outside = place.country not in _EEA_OR_UK
    slug = f"{place.country.lower()}{index}"
    data: dict[str, Any] = {
        "id": index + 1,
        "parent_id": None if parent is None else parent + 1,
        "name": name,
        "kind": kind,
        "country": place.country,
        "company_number": f"{rng.randrange(10**7, 10**8)}",
        "ico_registration": f"ZA{rng.randrange(10**5, 10**6)}" if place.country == "GB" else "",
        "address": place.address,
        "email": f"privacy.{slug}@northwind.example",
        "phone": f"{place.phone}{rng.randrange(100, 999)}",
        "dpo_required": _chance(rng, 0.7),
        "notes": "Synthetic entity for benchmarks.",
    }
    if data["dpo_required"] and _chance(rng, 0.9):
        data.update(dpo_name="Group Data Protection Officer", dpo_email="dpo@northwind.example")
    # Art. 27: a controller outside the EU/UK offering services there needs a representative; some lack one.
    if outside and _chance(rng, 0.6):
        data.update(representative_name=f"{GROUP_NAME} Ireland Limited",
                    representative_contact="representative@northwind.example")
    return Entity.model_validate(data)


def generate_entities(n_entities: int, rng: random.Random) -> list[Entity]:
    """The group: one UK parent first, then subsidiaries, every parent before its children."""
    used: set[str] = set()
    layout = _entity_layout(n_entities, rng)
    return [_entity(i, parent, rng, used) for i, parent in enumerate(layout)]


# -- activities ---------------------------------------------------------------

def _recipient(rng: random.Random, country: str | None = None) -> dict[str, Any]:
    category, role, name = _weighted(rng, RECIPIENT_MIX)
    recipient: dict[str, Any] = {"category": category, "name": name, "role": role,
                                 "country": country or _weighted(rng, RECIPIENT_COUNTRIES)}
    if role in ("processor", "sub_processor") and _chance(rng, 0.8):
        recipient["contract_ref"] = f"DPA-{rng.randrange(2019, 2026)}-{rng.randrange(1, 999):03d}"
    if country is None and _chance(rng, 0.05):
        recipient.pop("country")  # location not yet established
    return recipient


def _recipients(rng: random.Random) -> list[dict[str, Any]]:
    count = _weighted(rng, ((0, 15), (1, 30), (2, 30), (3, 15), (4, 10)))
    return [_recipient(rng) for _ in range(count)]


def _importer(rng: random.Random, recipients: list[dict[str, Any]], country: str) -> str:
    """Who receives a transfer: one of the activity's recipients (Art. 30(1)(d)-(e) tell one story).

    A recipient in the destination country is preferred; an activity with no
    recipient gains the importer as one. ``INCONSISTENT_IMPORTER_SHARE`` of the
    transfers name an importer the recipients do not (a legal name where the
    recipients give the trading name), so the rule that checks it fires at scale.
    """
    if _chance(rng, INCONSISTENT_IMPORTER_SHARE):
        return rng.choice(UNLISTED_IMPORTERS)
    if not recipients:
        recipients.append(_recipient(rng, country))
    there = [r for r in recipients if r.get("country") == country]
    name: str = rng.choice(there or recipients)["name"]
    return name


def _transfers(rng: random.Random, recipients: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """0-3 transfers, each to one of ``recipients`` (added to when the activity lists none)."""
    count = _weighted(rng, ((0, 55), (1, 28), (2, 12), (3, 5)))
    transfers: list[dict[str, Any]] = []
    for _ in range(count):
        mechanism = _weighted(rng, MECHANISMS)
        country = _weighted(rng, THIRD_COUNTRIES)
        transfer: dict[str, Any] = {"country": country, "recipient": _importer(rng, recipients, country),
                                    "mechanism": mechanism}
        if mechanism in ("eu_scc_2021", "uk_addendum", "uk_idta", "bcr", "eu_scc_2010") and _chance(rng, 0.65):
            transfer["tia_ref"] = f"TIA-{rng.randrange(2021, 2026)}-{rng.randrange(1, 500):03d}"
        if mechanism is not None and _chance(rng, 0.7):
            transfer["safeguard_doc"] = f"Contracts register #{rng.randrange(100, 9999)}"
        transfers.append(transfer)
    return transfers


def _retention(rng: random.Random) -> dict[str, Any]:
    kind = _weighted(rng, (("period", 68), ("rule", 18), ("unknown", 14)))
    if kind == "period":
        return {"retention_kind": "period", "retention_months": rng.choice(RETENTION_MONTHS),
                "retention_trigger": rng.choice(TRIGGERS) if _chance(rng, 0.9) else None,
                "retention_policy_ref": "Group retention schedule v3" if _chance(rng, 0.6) else ""}
    if kind == "rule":
        texts = VAGUE_RETENTION if _chance(rng, 0.7) else STATED_RETENTION
        return {"retention_kind": "rule", "retention_rule": rng.choice(texts)}
    return {"retention_kind": "unknown"}


def _lawful_basis_fields(template: _Template, rng: random.Random) -> dict[str, Any]:
    bases = [b for b in template.bases if _chance(rng, 0.85)] or [template.bases[0]]
    if _chance(rng, 0.03):
        bases = []  # never established
    fields: dict[str, Any] = {"lawful_bases": bases}
    if "legitimate_interests" in bases:
        fields["legitimate_interest"] = "Running and protecting the business efficiently." \
            if _chance(rng, 0.85) else ""
        fields["lia_ref"] = f"LIA-{rng.randrange(2019, 2026)}-{rng.randrange(1, 400):03d}" \
            if _chance(rng, 0.6) else ""
    if "consent" in bases and _chance(rng, 0.7):
        fields["consent_record_ref"] = f"Consent log {rng.choice(('CMP', 'MailSpring', 'App settings'))}"
    return fields


def _categories(template: _Template, rng: random.Random) -> dict[str, Any]:
    categories = list(template.categories)
    fields: dict[str, Any] = {}
    special = list(template.special) if template.special and _chance(rng, 0.55) else []
    if not special and _chance(rng, 0.04):
        special = [rng.choice(SPECIAL_EXTRA)]
    if special:
        categories += special
        if _chance(rng, 0.8):
            fields["art9_conditions"] = [template.art9 or rng.choice(ART9)]
        if _chance(rng, 0.5):
            fields["dpa_schedule1_condition"] = "DPA 2018 Sch. 1 Part 1 para 1 (employment)"
    if _chance(rng, 0.02):
        categories.append(rng.choice(("criminal.convictions", "criminal.offences")))
        if _chance(rng, 0.7):
            fields["art10_basis"] = "DPA 2018 Sch. 1 Part 2 para 10 (preventing or detecting unlawful acts)"
    fields["data_categories"] = categories
    return fields


def _dpia(template: _Template, rng: random.Random, sensitive: bool) -> dict[str, Any]:
    criteria = [c for c in template.criteria if _chance(rng, 0.85)]
    if sensitive and "sensitive_data" not in criteria:
        criteria.append("sensitive_data")
    if _chance(rng, 0.08):
        criteria.append(rng.choice(("large_scale", "vulnerable_subjects", "matching_combining")))
    criteria = list(dict.fromkeys(criteria))
    if len(criteria) >= 2:
        status = _weighted(rng, (("completed", 55), ("in_progress", 15), ("not_started", 10), (None, 20)))
        required: bool | None = None if status is None else True
        ref = f"DPIA-{rng.randrange(2019, 2026)}-{rng.randrange(1, 200):03d}" \
            if status == "completed" and _chance(rng, 0.85) else ""
        return {"dpia_criteria": criteria, "dpia_required": required, "dpia_status": status, "dpia_ref": ref}
    if _chance(rng, 0.2):
        return {"dpia_criteria": criteria}  # never screened
    return {"dpia_criteria": criteria, "dpia_required": False, "dpia_status": "not_required"}


def _review(status: str, rng: random.Random, as_of: date) -> dict[str, Any]:
    if status == "draft" or _chance(rng, 0.08):
        return {}
    # Reviewed up to 16 months ago with a 12-month cycle: about a quarter are overdue.
    last = add_months(as_of, -rng.randrange(0, 17)).replace(day=rng.randrange(1, 29))
    return {"last_reviewed": last, "next_review_due": add_months(last, 12)}


def _activity(entity: Entity, serial: int, rng: random.Random, as_of: date) -> Activity:
    function = _weighted(rng, FUNCTION_MIX)
    template = rng.choice(TEMPLATES[function])
    name = template.name if _chance(rng, 0.3) else f"{template.name} - {rng.choice(VARIANTS)}"
    status = _weighted(rng, (("approved", 74), ("in_review", 10), ("draft", 11), ("archived", 5)))
    role = "controller" if entity.kind == "controller" else _weighted(
        rng, (("controller", 60), ("processor", 35), ("joint_controller", 5)))
    if entity.kind == "processor":
        role = "processor"
    if role == "controller" and _chance(rng, 0.03):
        role = "joint_controller"
    recipients = _recipients(rng)
    data: dict[str, Any] = {
        "entity_id": entity.id,
        "name": name,
        "business_function": function if _chance(rng, 0.97) else "",
        "purpose": template.purpose if _chance(rng, 0.97) else "",
        "role": role,
        "data_subjects": list(template.subjects),
        "recipients": recipients,
        "transfers": _transfers(rng, recipients),
        "security_measures": [] if _chance(rng, 0.05) else rng.sample(MEASURES, rng.randrange(2, 7)),
        "systems": rng.sample(SYSTEMS[function], rng.randrange(1, len(SYSTEMS[function]) + 1)),
        "data_location": _weighted(rng, (("United Kingdom", 45), ("European Union", 30),
                                         ("United States", 15), ("", 10))),
        "data_source": _weighted(rng, (("The individual", 70), ("Their employer", 15), ("Public sources", 5),
                                       ("", 10))),
        "owner": OWNERS[function] if _chance(rng, 0.92) else "",
        "status": status,
        "source_document": SOURCE_DOCUMENT,
        "source_section": f"{serial}",
        **_lawful_basis_fields(template, rng),
        **_retention(rng),
    }
    data.update(_categories(template, rng))
    sensitive = any(c.startswith(("special", "criminal")) for c in data["data_categories"])
    data.update(_dpia(template, rng, sensitive))
    data.update(_review(status, rng, as_of))
    if role == "processor":
        data["controller_served"] = "Business customers under their service agreement" if _chance(rng, 0.85) else ""
        if data.get("retention_trigger"):
            data["retention_trigger"] = "end_of_service"
    if role == "joint_controller":
        data["joint_controllers"] = "Partner organisation named in the joint arrangement"
        data["joint_arrangement_ref"] = "JCA-2024-001" if _chance(rng, 0.6) else ""
    if data["security_measures"] and _chance(rng, 0.6):
        data["security_description"] = "Access on a need-to-know basis; encrypted storage; audit logging."
    if "automated_decision" in data["dpia_criteria"] or _chance(rng, 0.02):
        data["adm"] = True
        data["adm_description"] = "Applications are scored and declined automatically below a threshold."
        data["adm_basis"] = rng.choice(("contract_necessity", "explicit_consent", None))
    if _chance(rng, 0.02):
        data["unmapped"] = {"Legacy category": "Misc. customer info"}
    if _chance(rng, 0.005):
        data["notes"] = rng.choice(HOSTILE_NOTES)
    return _compact(Activity.model_validate(data))


def _compact(activity: Activity) -> Activity:
    """The activity with each of its models' set of given field names copied at its smallest size.

    Validation fills that set name by name, so it keeps the table it grew into: an
    activity's 28 names hold 2.3 KB where a copy holds 1.2 KB. The generator keeps
    every model it made, so at 50,000 activities that is about 60 MB.
    """
    for model in (activity, *activity.recipients, *activity.transfers):
        object.__setattr__(model, "__pydantic_fields_set__", set(model.model_fields_set))
    return activity


def generate_register(n_entities: int = 50, n_activities: int = 10_000, seed: int = 7,
                      as_of: date = DEFAULT_AS_OF) -> tuple[list[Entity], list[Activity]]:
    """A group of ``n_entities`` companies and ``n_activities`` activities, the same for the same seed.

    Entities carry provisional ids 1..n (parents before children) and
    activities refer to them; ``build_synthetic`` maps them to the ids the
    database assigns. Review dates are spread around ``as_of``.
    """
    if n_entities < 1:
        raise ValueError("a register needs at least one entity")
    if n_activities < 0:
        raise ValueError("the number of activities cannot be negative")
    rng = random.Random(seed)
    entities = generate_entities(n_entities, rng)
    # The parent company and the bigger subsidiaries hold more of the register.
    weights = [3.0 if e.parent_id is None else rng.uniform(0.5, 2.0) for e in entities]
    owners = rng.choices(entities, weights=weights, k=n_activities)
    activities = [_activity(owner, serial + 1, rng, as_of) for serial, owner in enumerate(owners)]
    return entities, activities


def write_register(db: Database, entities: Sequence[Entity], activities: Sequence[Activity]) -> None:
    """Insert a generated register in one transaction, mapping provisional entity ids to stored ones."""
    with db.transaction(memory_limit=BULK_MEMORY_LIMIT) as con:
        id_map = dict(zip([e.id or 0 for e in entities], reserve_entity_ids(con, len(entities)), strict=True))
        insert_entities(con, SYSTEM, [e.model_copy(update={
            "id": id_map[e.id or 0], "parent_id": None if e.parent_id is None else id_map[e.parent_id]})
            for e in entities], detail="synthetic")
        add_activities(con, SYSTEM, activities, detail="synthetic", entity_ids=id_map)


def build_synthetic(db: Database, n_entities: int = 50, n_activities: int = 10_000, seed: int = 7,
                    as_of: date = DEFAULT_AS_OF) -> None:
    """Generate a register and write it in one transaction (audited as the system user)."""
    write_register(db, *generate_register(n_entities, n_activities, seed, as_of))
