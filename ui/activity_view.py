"""The activity's read view, laid out as an Article 30(1) record reads, (a) to (g), then the rest."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date
from typing import Any, cast

import pandas as pd
import streamlit as st

from ropa.auth import Role, User
from ropa.config import load_config
from ropa.export.activity_file import logged_activity_pdf
from ropa.export.pdf import MEDIA_TYPE, activity_pdf_name
from ropa.finding_fields import register_findings
from ropa.forms import GENERAL, SECTION_OF_FIELD
from ropa.gaps import SEVERITY_BADGE_COLOURS
from ropa.legal.regimes import entity_regime, regime_citation
from ropa.models import Activity, Entity, Vendor
from ropa.record_view import category_flags, retention_text, review_text, term_with_article, transfer_status
from ropa.reference import country_name, load_reference
from ropa.storage.audit import change_stamp
from ropa.storage.database import Database
from ropa.storage.vendors import list_vendors
from ui import focus
from ui.render import field_line, item_list, md


def _vocab(name: str, key: str | None) -> str:
    return load_reference().vocabulary(name).label(key) if key else ""


def _yes_no(value: bool | None) -> str:
    return {True: "Yes", False: "No", None: ""}[value]


_FINDINGS: ContextVar[dict[str, list[dict[str, Any]]] | None] = ContextVar("activity_findings", default=None)
"""This run's open findings of the activity shown, by form section (set by ``render_record``; a context
variable, so sessions running at once in their own threads never see each other's)."""


def _heading(letter: str, title: str, section: str = "") -> None:
    st.subheader(f"{letter} {title}" if letter else title, divider="gray")
    _findings_here(section)


def _findings_here(section: str) -> None:
    """The open findings about this part of the record, each with "Fix" for editors."""
    for finding in (_FINDINGS.get() or {}).get(section, []):
        box = st.container(border=True, horizontal=True, vertical_alignment="center")
        badge = SEVERITY_BADGE_COLOURS.get(str(finding["severity"]), "gray")
        box.markdown(f":{badge}-badge[{md(str(finding['severity']).capitalize())}] **{md(finding['title'])}** "
                     f"({md(finding['article'])}): {md(finding['message'])}", width="stretch")
        if finding["field"] and finding["can_fix"]:
            box.button("Fix", key=f"fix_{finding['rule']}_{finding['n']}", icon=":material/build:",
                       on_click=focus.request, args=(finding["activity_id"], finding["field"], finding["title"]),
                       help="Open the edit form at this field.")


def _controller(activity: Activity, entity: Entity, parent: Entity | None) -> None:
    _heading("(a)", "Controller, joint controller, representative and DPO", "controller")
    left, right = st.columns(2)
    with left:
        field_line("Entity", entity.name)
        field_line("Role in this activity", _vocab("roles", activity.role))
        if parent is not None:
            field_line("Part of group", parent.name)
        field_line("Address", entity.address)
        field_line("Email", entity.email)
        field_line("Phone", entity.phone)
        field_line("Country", country_name(entity.country))
        field_line("Company number", entity.company_number)
        field_line("ICO registration", entity.ico_registration)
    with right:
        if activity.role == "processor":
            field_line("Controller served (Art. 30(2)(a))", activity.controller_served)
        field_line("Joint controllers (Art. 26)", activity.joint_controllers,
                   empty="none" if activity.role != "joint_controller" else "not recorded")
        if activity.joint_arrangement_ref:
            field_line("Joint arrangement", activity.joint_arrangement_ref)
        dpo = ", ".join(x for x in (entity.dpo_name, entity.dpo_email, entity.dpo_phone) if x)
        field_line("Data protection officer", dpo,
                   empty="not designated" if entity.dpo_required is False else "not recorded")
        field_line("Representative (Art. 27)",
                   " — ".join(x for x in (entity.representative_name, entity.representative_contact) if x),
                   empty="none")


def _purpose(activity: Activity) -> None:
    _heading("(b)", "Purpose of the processing", "purpose")
    field_line("Activity", activity.name)
    field_line("Business function", activity.business_function)
    field_line("Purpose", activity.purpose)


def _data(activity: Activity) -> None:
    _heading("(c)", "Categories of individuals and of personal data", "data")
    item_list("Individuals", [_vocab("data_subjects", k) for k in activity.data_subjects])
    item_list("Personal data", [category_flags(k) for k in activity.data_categories])
    field_line("Source of the data", activity.data_source)


def _vendor_text(vendors: dict[int, Vendor], vendor_id: int | None) -> str:
    """The vendor inventory entry a row is linked to, with its Art. 28 contract reference."""
    if vendor_id is None:
        return ""
    vendor = vendors.get(vendor_id)
    if vendor is None:
        return f"vendor {vendor_id} (not in the inventory)"
    return f"{vendor.name} (contract {vendor.contract_ref})" if vendor.contract_ref else f"{vendor.name} (no contract)"


def _recipients(activity: Activity, vendors: dict[int, Vendor]) -> None:
    _heading("(d)", "Recipients", "recipients")
    if not activity.recipients:
        st.markdown(":gray[No recipients recorded.]")
        return
    rows = [{"Category": _vocab("recipient_categories", r.category), "Name": r.name,
             "Role": _vocab("recipient_roles", r.role), "Country": country_name(r.country),
             "Contract": r.contract_ref, "Vendor": _vendor_text(vendors, r.vendor_id)} for r in activity.recipients]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="view_recipients")


def _transfers(activity: Activity, entity: Entity, day: date, vendors: dict[int, Vendor]) -> None:
    _heading("(e)", "Transfers to third countries", "transfers")
    regime = entity_regime(entity)
    st.caption(f"Judged for an exporter under the {md(regime_citation(regime))} ({md(entity.name)} is in "
               f"{md(country_name(entity.country))}) on {day.isoformat()}.")
    if not activity.transfers:
        st.markdown(":gray[No transfers recorded.]")
        return
    for transfer in activity.transfers:
        status = transfer_status(transfer, regime, day)
        badge = {True: ":green[**Valid**]", False: ":red[**Not valid**]",
                 None: ":gray[**Not a restricted transfer**]"}[status.ok]
        if status.ok and status.warning:
            badge = f":orange[**Valid, but {md(status.warning)}**]"
        head = md(status.verdict.destination_name)
        if transfer.recipient:
            head += f" to {md(transfer.recipient)}"
        mechanism = status.mechanism or _vocab_mechanism(transfer.mechanism) or "no mechanism recorded"
        lines = [f"- **{head}** under {md(mechanism)}  \n  {badge}: {md(status.message)}"]
        references = [f"TIA {transfer.tia_ref}" if transfer.tia_ref else "",
                      f"safeguard document {transfer.safeguard_doc}" if transfer.safeguard_doc else "",
                      f"contract of {transfer.contract_date.isoformat()}" if transfer.contract_date else "",
                      f"supervisory authority informed on {transfer.authority_informed_on.isoformat()}"
                      if transfer.authority_informed_on else "",
                      f"vendor {_vendor_text(vendors, transfer.vendor_id)}" if transfer.vendor_id is not None else ""]
        if any(references):
            lines.append(f"  \n  :gray[{md('; '.join(r for r in references if r))}]")
        st.markdown("".join(lines))


def _vocab_mechanism(key: str | None) -> str:
    if not key:
        return ""
    found = load_reference().mechanisms().get(key)
    return found.label if found else key


def _retention(activity: Activity) -> None:
    _heading("(f)", "Retention", "retention")
    field_line("Time limit for erasure", retention_text(activity))
    if activity.retention_policy_ref:
        field_line("Retention policy", activity.retention_policy_ref)


def _security(activity: Activity) -> None:
    _heading("(g)", "Technical and organisational security measures", "security")
    item_list("Measures (Art. 32)", [term_with_article("security_measures", k) for k in activity.security_measures])
    field_line("Description", activity.security_description)
    item_list("Systems", activity.systems)
    field_line("Where the data is held", activity.data_location)


def _lawful(activity: Activity) -> None:
    _heading("", "Lawful basis and conditions", "lawful")
    item_list("Article 6 lawful basis", [term_with_article("lawful_bases", k) for k in activity.lawful_bases])
    if "legitimate_interests" in activity.lawful_bases or activity.legitimate_interest:
        field_line("Legitimate interest pursued", activity.legitimate_interest)
        field_line("Legitimate interests assessment", activity.lia_ref)
    if "consent" in activity.lawful_bases or activity.consent_record_ref:
        field_line("Consent record", activity.consent_record_ref)
    if activity.art9_conditions or activity.has_special_category_data():
        item_list("Article 9 condition", [term_with_article("art9_conditions", k) for k in activity.art9_conditions])
        field_line("DPA 2018 Schedule 1 condition", activity.dpa_schedule1_condition, empty="none recorded")
    if activity.art10_basis:
        field_line("Article 10 basis", activity.art10_basis)


def _assessment(activity: Activity) -> None:
    _heading("", "DPIA, automated decisions and rights", "assessment")
    left, right = st.columns(2)
    with left:
        field_line("DPIA required (Art. 35)", _yes_no(activity.dpia_required), empty="not assessed")
        field_line("DPIA status", _vocab("dpia_statuses", activity.dpia_status))
        field_line("DPIA reference", activity.dpia_ref)
        item_list("DPIA screening criteria (WP248)",
                  [term_with_article("dpia_criteria", k) for k in activity.dpia_criteria])
    with right:
        field_line("Solely automated decisions (Art. 22)", _yes_no(activity.adm))
        if activity.adm:
            field_line("Description", activity.adm_description)
            field_line("Article 22(2) basis", term_with_article("adm_bases", activity.adm_basis)
                       if activity.adm_basis else "")
        field_line("Rights available", activity.rights_available)
        field_line("Breach reference", activity.breach_ref)


def _governance(activity: Activity, day: date) -> None:
    _heading("", "Source, owner and review", "governance")
    left, right = st.columns(2)
    with left:
        field_line("Source document", activity.source_document)
        field_line("Section", activity.source_section)
        field_line("Owner", activity.owner)
    with right:
        field_line("Status", _vocab("statuses", activity.status))
        field_line("Review", review_text(activity, day))
        if activity.superseded_on:
            field_line("No longer in force from", activity.superseded_on.isoformat())
        field_line("Notes", activity.notes, empty="none")
    if activity.unmapped:
        st.markdown("**Import text that could not be mapped to a field:**")
        st.dataframe(pd.DataFrame([{"Column": k, "Text": v} for k, v in activity.unmapped.items()]),
                     hide_index=True, key="view_unmapped")


def pdf_button(db: Database, user: User, activity: Activity, day: date) -> None:
    """Download this activity as a one-page-or-more PDF: built only when clicked, not on every run."""
    activity_id = int(activity.id or 0)
    export_dir = load_config().export_dir

    def printout() -> bytes:
        return logged_activity_pdf(db, user, activity_id, day, export_dir)

    st.download_button("Download as PDF", data=printout,
                       file_name=activity_pdf_name(activity_id, day), mime=MEDIA_TYPE, on_click="ignore",
                       icon=":material/picture_as_pdf:", key="activity_pdf",
                       help="The record as a regulator reads it: A4, its controller's cover, then the activity "
                            "in Article 30 order. Like every export, a copy is kept and listed on the Export page.")


@st.cache_resource(ttl=600, max_entries=4, show_spinner="Checking the register…")
def _register_findings(path: str, day: date, stamp: tuple[int, int]) -> dict[int, pd.DataFrame]:
    """Open findings by activity, for the whole register: one analysis until the register changes (``stamp``).

    Kept as a resource (shared, not copied on each use: callers only read it); a copy of thousands of
    small frames on every page view would cost more than the page.
    """
    from ui.session import get_db

    findings = register_findings(get_db(), day)
    return {int(cast(int, k)): group.reset_index(drop=True) for k, group in findings.dropna(subset=["activity_id"])
            .groupby("activity_id")}


def findings_by_section(findings: pd.DataFrame, can_fix: bool) -> dict[str, list[dict[str, Any]]]:
    """Findings grouped by the form section of their field; those without one under ``GENERAL``."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for n, row in enumerate(cast(list[dict[str, Any]], findings.to_dict("records"))):
        field = row.get("field") if isinstance(row.get("field"), str) else None
        row.update(field=field, can_fix=can_fix, n=n)
        grouped.setdefault(SECTION_OF_FIELD.get(field or "", GENERAL), []).append(row)
    return grouped


def render_record(activity: Activity, entity: Entity, parent: Entity | None, day: date) -> None:
    """The whole record, read-only; every user-entered value shown literally, its open findings beside it."""
    from ui.session import current_user, get_db

    db, user = get_db(), current_user()
    pdf_button(db, user, activity, day)
    findings = pd.DataFrame()
    if activity.status != "archived":
        findings = _register_findings(str(db.path), day, change_stamp(db)).get(int(activity.id or 0), findings)
    _FINDINGS.set(findings_by_section(findings, user.can(Role.EDITOR)))
    if not findings.empty:
        st.caption(f"{len(findings)} open {'finding' if len(findings) == 1 else 'findings'} of the gap analysis, "
                   "each shown beside the part of the record it is about.")
    _findings_here(GENERAL)
    _controller(activity, entity, parent)
    _purpose(activity)
    _data(activity)
    linked = any(r.vendor_id is not None for r in activity.recipients) or \
        any(t.vendor_id is not None for t in activity.transfers)
    vendors = {int(v.id or 0): v for v in list_vendors(db)} if linked else {}
    _recipients(activity, vendors)
    _transfers(activity, entity, day, vendors)
    _retention(activity)
    _security(activity)
    _lawful(activity)
    _assessment(activity)
    _governance(activity, day)

