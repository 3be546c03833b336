"""Builders of valid records for tests, demos and benchmarks.

Shipped in the package (not in tests/) so the demo, the synthetic generator
and the tests share one idea of a well-formed record.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ropa.auth import Role, User
from ropa.models import Activity, Entity, Recipient, Transfer
from ropa.storage.database import Database

DPO = User("dpo@example.test", Role.ADMIN, "Test DPO")
EDITOR = User("editor@example.test", Role.EDITOR, "Test Editor")
VIEWER = User("viewer@example.test", Role.VIEWER, "Test Viewer")

Seeded = Callable[[Callable[[Database], Any], Path], Any]
"""The ``seeded`` fixture: ``seeded(build, path)`` copies the register ``build`` made (once) to ``path``."""


def make_entity(**overrides: Any) -> Entity:
    data: dict[str, Any] = {
        "name": "Example Holdings Limited",
        "kind": "controller",
        "country": "GB",
        "company_number": "01234567",
        "ico_registration": "Z1234567",
        "address": "1 High Street, London, EC1A 1AA",
        "email": "privacy@example.test",
        "phone": "+44 20 7946 0000",
        "dpo_required": True,
        "dpo_name": "Dana Protection",
        "dpo_email": "dpo@example.test",
    }
    data.update(overrides)
    return Entity.model_validate(data)


def make_recipient(**overrides: Any) -> Recipient:
    data: dict[str, Any] = {"category": "cloud_hosting", "name": "Example Cloud Ltd", "role": "processor",
                            "country": "GB", "contract_ref": "DPA-2024-001"}
    data.update(overrides)
    return Recipient.model_validate(data)


def make_transfer(**overrides: Any) -> Transfer:
    data: dict[str, Any] = {"country": "US", "recipient": "Example Cloud Inc", "mechanism": "uk_addendum",
                            "tia_ref": "TIA-2024-001"}
    data.update(overrides)
    return Transfer.model_validate(data)


def make_activity(entity_id: int, **overrides: Any) -> Activity:
    """A complete, compliant activity; override fields to make the case under test."""
    data: dict[str, Any] = {
        "entity_id": entity_id,
        "name": "Customer billing",
        "business_function": "Finance",
        "purpose": "Invoice customers and collect payment for the services they ordered.",
        "role": "controller",
        "lawful_bases": ["contract"],
        "data_subjects": ["customers"],
        "data_categories": ["identity.name", "contact.email", "financial.billing"],
        "recipients": [make_recipient()],
        "transfers": [],
        "retention_kind": "period",
        "retention_months": 72,
        "retention_trigger": "end_of_financial_year",
        "security_measures": ["access_control", "encryption", "backup"],
        "security_description": "Role-based access, encryption at rest and in transit, nightly backups.",
        "systems": ["Sage"],
        "data_location": "United Kingdom",
        "data_source": "The individual",
        "dpia_required": False,
        "dpia_status": "not_required",
        "owner": "Head of Finance",
        "status": "approved",
        "source_document": "test",
        "source_section": "1",
    }
    data.update(overrides)
    return Activity.model_validate(data)
