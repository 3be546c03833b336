"""The layouts registers arrive in, each built from its public description, import without help.

ICO template variants, the CNIL's registre (list sheet and fiche sheets, .ods), CISO Assistant's flat and
multi-sheet processing workbooks, an Ethyca Fides datamap (xlsx, csv, json) and home-made sheets in English,
French and German: each imports with the expected number of activities and fields.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

import pytest
from openpyxl import Workbook
from test_import import CONTACT_BLOCK, EXAMPLE_ROWS, ICO_HEADINGS, ico_row, ico_workbook
from test_import_formats import ods_workbook

from ropa.ingest import ImportPlan, plan_import
from ropa.models import Activity, Entity
from ropa.storage.database import Database

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when


def xlsx(sheets: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> bytes:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for name, lines in sheets:
        sheet = workbook.create_sheet(name)
        for number, line in enumerate(lines, start=1):
            for column, value in enumerate(line, start=1):
                if value not in (None, ""):
                    sheet.cell(row=number, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(lines: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(lines)
    return buffer.getvalue().encode()


def _by_name(plan: ImportPlan) -> dict[str, Activity]:
    assert plan.ok, (plan.issues[:3], plan.notes)
    return {a.name: a for a in plan.activities}


# -- 1. ICO template variants -------------------------------------------------------------------

def test_ico_heading_variants_in_circulation_are_recognised(db: Database) -> None:
    headings = list(ICO_HEADINGS)
    headings[2] = "Name and contact details of joint controller"
    headings[12] = "Article 9 basis for processing special category data"
    rows = [list(r) for r in EXAMPLE_ROWS]
    rows[0][2] = "Acme Group plc, group@acme.test"
    plan = plan_import(db, ico_workbook(rows, headings=headings), "register.xlsx")
    assert plan.ok and len(plan.activities) == 3
    payroll = plan.activities[0]
    assert payroll.art9_conditions == ["employment_social_security"]  # health data has its Art. 9 condition
    assert payroll.joint_controllers == "Acme Group plc, group@acme.test"
    assert "Article 9 basis for processing special category data" not in payroll.unmapped


def test_a_cut_down_template_of_25_headings_imports(db: Database) -> None:
    rows = [row[:25] for row in EXAMPLE_ROWS]
    plan = plan_import(db, ico_workbook(rows, headings=ICO_HEADINGS[:25]), "register.xlsx")
    assert plan.ok and len(plan.activities) == 3
    assert plan.activities[1].lawful_bases == ["legitimate_interests"]


def test_controller_details_repeated_on_every_row_make_the_entity(db: Database) -> None:
    contacts = ["Controller name", "Controller address", "Controller email", "DPO name", "DPO email"]
    values = ["Acme Widgets Ltd", "1 Dock Road, Bristol", "privacy@acme.test", "Priya Shah", "dpo@acme.test"]
    rows = [[*row[:12], *values] for row in EXAMPLE_ROWS]
    plan = plan_import(db, ico_workbook(rows, contact=False, headings=[*ICO_HEADINGS[:12], *contacts]),
                       "register.xlsx")
    assert plan.ok and len(plan.activities) == 3
    [entity] = plan.new_entities
    assert (entity.name, entity.entity.email, entity.entity.dpo_name, entity.entity.dpo_email) == (
        "Acme Widgets Ltd", "privacy@acme.test", "Priya Shah", "dpo@acme.test")
    assert entity.entity.address == "1 Dock Road, Bristol"
    assert not any("DPO name" in a.unmapped or "Controller email" in a.unmapped for a in plan.activities)


# -- 2. CNIL registre (modèle simplifié), .ods ---------------------------------------------------

CNIL_LIST = [
    ["Registre des activités de traitement"],
    ["Responsable du traitement"],
    ["Nom :", "Boulangerie Martin SARL"],
    ["Adresse :", "12 rue de la Paix, 75002 Paris"],
    ["Adresse mél :", "contact@martin.test"],
    ["Téléphone :", "01 23 45 67 89"],
    ["Délégué à la protection des données (DPO)"],
    ["Nom :", "Claire Dubois"],
    ["Adresse mél :", "dpo@martin.test"],
    [],
    ["Identification du traitement", None, None, None, "Finalité", None],
    ["N° / RÉF", "Nom du traitement", "Date de création", "Mise à jour", "Finalité du traitement",
     "Données sensibles ?"],
    ["T-001", "Gestion de la paie", "2023-01-05", "2024-02-01", "Payer les salariés", "Non"],
    ["T-002", "Vidéosurveillance", "2023-03-01", None, "Sécurité des locaux", "Non"],
    ["T-003", "Gestion des candidatures", "2023-04-01", None, "Recruter", "Non"],
]
CNIL_FICHE = [
    ["Fiche de registre"],
    [],
    ["Nom du traitement", "Gestion de la paie"],
    ["N° / RÉF", "T-001"],
    ["Finalité principale", "Payer les salariés"],
    ["Sous-finalité 1", "Gérer les congés"],
    ["Catégories de données personnelles", "Description", "Durée de conservation"],
    ["État civil, identité", "Nom, prénom", "5 ans après le départ"],
    ["Coordonnées bancaires", "RIB", "5 ans"],
    ["Catégories de personnes concernées", "Salariés"],
    ["Destinataires", "Expert-comptable"],
    ["Mesures de sécurité", "Contrôle d'accès; Sauvegardes; Chiffrement"],
    ["Transferts hors UE", "Destinataire", "Pays", "Type de garanties"],
    [None, "PayCloud Inc", "États-Unis", "Clauses contractuelles types"],
]


def test_the_cnil_registre_imports_its_list_and_fiches_as_one_activity_each(db: Database) -> None:
    data = ods_workbook([("Registre", CNIL_LIST), ("Fiche T-001", CNIL_FICHE)],
                        {("Registre", 11, 1): (1, 4)})
    plan = plan_import(db, data, "registre.ods")
    activities = _by_name(plan)
    assert sorted(activities) == ["Gestion de la paie", "Gestion des candidatures", "Vidéosurveillance"]
    [entity] = plan.new_entities
    assert (entity.name, entity.entity.email, entity.entity.dpo_name, entity.entity.dpo_email) == (
        "Boulangerie Martin SARL", "contact@martin.test", "Claire Dubois", "dpo@martin.test")
    payroll = activities["Gestion de la paie"]
    assert payroll.purpose == "Payer les salariés\nGérer les congés"
    assert payroll.data_subjects == ["employees"]
    assert {"identity.name", "financial.bank"} <= set(payroll.data_categories)
    assert {"access_control", "backup", "encryption"} <= set(payroll.security_measures)
    assert [(t.country, t.mechanism) for t in payroll.transfers] == [("US", "eu_scc_2021")]
    assert "5 ans" in payroll.retention_rule or "5 ans" in str(payroll.unmapped)
    assert activities["Vidéosurveillance"].purpose == "Sécurité des locaux"


# -- 3. CISO Assistant ---------------------------------------------------------------------------

CISO_FLAT = [
    ["ref_id", "name", "description", "status", "processing_nature", "dpia_required", "dpia_reference"],
    ["P-01", "Payroll", "Pay employees and report to the tax office", "Draft", "collection, storage", "No", ""],
    ["P-02", "CCTV", "Protect the premises", "Draft", "recording", "Yes", "DPIA-2024-03"],
]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_ciso_assistant_flat_template_imports(db: Database, entity: Entity, kind: str) -> None:
    data = xlsx([("Processings", CISO_FLAT)]) if kind == "xlsx" else csv_bytes(CISO_FLAT)
    plan = plan_import(db, data, f"processings.{kind}", entity=entity.name)
    activities = _by_name(plan)
    assert sorted(activities) == ["CCTV", "Payroll"]
    assert activities["CCTV"].dpia_required is True and activities["CCTV"].dpia_ref == "DPIA-2024-03"
    assert activities["Payroll"].purpose == "Pay employees and report to the tax office"
    assert activities["Payroll"].unmapped["processing_nature"] == "collection, storage"


CISO_SHEETS = [
    ("Processing", [["ref_id", "name", "description", "dpia_required"],
                    ["P-01", "Payroll", "Pay employees", "No"],
                    ["P-02", "Newsletter", "Send the newsletter", "No"]]),
    ("Purposes", [["processing", "name", "legal_basis"],
                  ["P-01", "Pay salaries", "Legal obligation"],
                  ["P-02", "Marketing by email", "Consent"]]),
    ("Personal data", [["processing", "category", "retention"],
                       ["P-01", "Bank details", "6 years"], ["P-01", "Names", "6 years"],
                       ["P-02", "Email address", "until consent is withdrawn"]]),
    ("Data subjects", [["processing", "category"], ["P-01", "Employees"], ["P-02", "Customers"]]),
    ("Recipients", [["processing", "name"], ["P-01", "Tax authority"]]),
    ("Contractors", [["processing", "name", "contract"], ["P-02", "Mailchimp", "DPA-7"]]),
    ("Transfers", [["processing", "country", "legal_basis", "entity"],
                   ["P-02", "United States", "Standard contractual clauses", "Mailchimp"]]),
]


def test_ciso_assistant_multi_sheet_workbook_is_joined_by_the_processing_reference(db: Database,
                                                                                  entity: Entity) -> None:
    plan = plan_import(db, xlsx(CISO_SHEETS), "processing.xlsx", entity=entity.name)
    activities = _by_name(plan)
    assert sorted(activities) == ["Newsletter", "Payroll"]
    payroll, newsletter = activities["Payroll"], activities["Newsletter"]
    assert payroll.purpose == "Pay employees\nPay salaries" and payroll.lawful_bases == ["legal_obligation"]
    assert {"financial.bank", "identity.name"} <= set(payroll.data_categories)
    assert payroll.data_subjects == ["employees"] and newsletter.data_subjects == ["customers"]
    assert newsletter.lawful_bases == ["consent"]
    assert [(t.country, t.mechanism) for t in newsletter.transfers] == [("US", "eu_scc_2021")]
    assert [(r.name, r.role, r.contract_ref) for r in newsletter.recipients if r.name == "Mailchimp"] == [
        ("Mailchimp", "processor", "DPA-7")]


# -- 4. Ethyca Fides datamap ---------------------------------------------------------------------

FIDES_HEADINGS = ["System Name", "Purpose of Processing", "Categories of Individuals",
                  "Categories of Personal Data", "Article 6 lawful basis", "Retention Schedule",
                  "Names of Third Countries or International Organisations", "Safeguards"]
FIDES_ROWS = [
    ["Checkout", "Provide the service", "Customers", "user.contact.email", "Contract", "6 years", "", ""],
    ["Checkout", "Provide the service", "Customers", "user.financial.credit_card", "Contract", "6 years", "", ""],
    ["Checkout", "Marketing", "Customers", "user.contact.email", "Consent", "2 years", "", ""],
    ["CRM", "Provide the service", "Customers", "user.contact.email", "Contract", "6 years", "United States",
     "Standard contractual clauses"],
    ["CRM", "Provide the service", "Customers", "user.name", "Contract", "6 years", "United States",
     "Standard contractual clauses"],
]
FIDES_KEYS = ["system.name", "system.privacy_declaration.data_use.name",
              "system.privacy_declaration.data_subjects.name", "system.privacy_declaration.data_categories",
              "system.privacy_declaration.data_use.legal_basis", "retention", "third_country_combined", "Safeguards"]


def _fides(kind: str) -> bytes:
    if kind == "xlsx":
        top = [["Fides data map"], *CONTACT_BLOCK[2:6]]
        return xlsx([("Data map", [*top, *([[]] * (8 - len(top))), FIDES_HEADINGS, *FIDES_ROWS])])
    if kind == "csv":
        return csv_bytes([FIDES_HEADINGS, *FIDES_ROWS])
    return json.dumps([dict(zip(FIDES_KEYS, row, strict=True)) for row in FIDES_ROWS]).encode()


@pytest.mark.parametrize("kind", ["xlsx", "csv", "json"])
def test_a_fides_datamap_becomes_one_activity_per_system_and_purpose(db: Database, entity: Entity,
                                                                     kind: str) -> None:
    plan = plan_import(db, _fides(kind), f"datamap.{kind}", entity=None if kind == "xlsx" else entity.name)
    activities = _by_name(plan)
    assert sorted(activities) == ["CRM: Provide the service", "Checkout: Marketing", "Checkout: Provide the service"]
    checkout = activities["Checkout: Provide the service"]
    assert checkout.data_categories == ["contact.email", "financial.payment_card"]
    assert checkout.systems == ["Checkout"] and checkout.lawful_bases == ["contract"]
    assert activities["Checkout: Marketing"].lawful_bases == ["consent"]
    crm = activities["CRM: Provide the service"]
    assert crm.data_categories == ["contact.email", "identity.name"]
    assert [(t.country, t.mechanism) for t in crm.transfers] == [("US", "eu_scc_2021")]
    if kind == "xlsx":
        assert plan.new_entities[0].name == "Acme Widgets Ltd"


# -- 5. home-made sheets in English, French and German ------------------------------------------

HOME_MADE = {
    "en": [["Activity", "Purpose", "Data subjects", "Personal data", "Legal basis", "Retention", "Security"],
           ["Payroll", "Pay staff", "Employees", "Names; Bank details", "Legal obligation", "6 years",
            "Encryption; access control"]],
    "fr": [["Traitement", "Finalité", "Personnes concernées", "Données personnelles", "Base légale",
            "Durée de conservation", "Mesures de sécurité"],
           ["Paie", "Payer les salariés", "Salariés", "Nom; Coordonnées bancaires", "Obligation légale", "6 ans",
            "Chiffrement; contrôle d'accès"]],
    "de": [["Verarbeitungstätigkeit", "Zweck", "Betroffene Personen", "Personenbezogene Daten", "Rechtsgrundlage",
            "Löschfrist", "TOM"],
           ["Lohnabrechnung", "Gehälter zahlen", "Mitarbeiter", "Name; Bankverbindung", "Rechtliche Verpflichtung",
            "6 Jahre", "Verschlüsselung; Zugriffskontrolle"]],
}


@pytest.mark.parametrize("language", sorted(HOME_MADE))
def test_a_home_made_sheet_imports_in_english_french_and_german(db: Database, entity: Entity,
                                                                language: str) -> None:
    plan = plan_import(db, xlsx([("Register", HOME_MADE[language])]), "register.xlsx", entity=entity.name)
    [activity] = plan.activities
    assert plan.ok
    assert activity.name == HOME_MADE[language][1][0] and activity.purpose == HOME_MADE[language][1][1]
    assert activity.data_subjects == ["employees"] and activity.lawful_bases == ["legal_obligation"]
    assert set(activity.data_categories) == {"identity.name", "financial.bank"}
    assert {"encryption", "access_control"} <= set(activity.security_measures)


def test_every_layout_row_names_its_row_in_problems(db: Database, entity: Entity) -> None:
    """A problem in a joined layout still names a sheet and row the user can find."""
    rows = [*CISO_FLAT, ["P-03", "x" * 600, "Too long a name", "Draft", "", "No", ""]]
    plan = plan_import(db, csv_bytes(rows), "processings.csv", entity=entity.name)
    assert [(i.sheet, i.row, i.column) for i in plan.issues] == [("processings.csv", 4, "name")]


def test_ico_row_helper_is_the_template_width() -> None:
    assert len(ico_row(c1="x")) == len(ICO_HEADINGS) == 30
