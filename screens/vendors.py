"""Vendors and managed lists: each processor kept once with its Art. 28 contract; business functions and systems."""

from __future__ import annotations

from typing import NoReturn

import pandas as pd
import streamlit as st

from ropa.auth import Role
from ropa.errors import RopaError
from ropa.models import Vendor, parse_vendor
from ropa.reference import country_name
from ropa.vendors import (
    TERM_LISTS,
    add_term,
    create_vendor,
    link_by_name,
    list_terms,
    list_vendors,
    merge_terms,
    term_variants,
    update_vendor,
    vendor_usage,
)
from ui.choices import country_label, country_options
from ui.render import md, notices
from ui.session import current_user, get_db

db = get_db()
user = current_user()

FLASH, PROBLEM = "vendors_flash", "vendors_problem"
NEW = "new"


def _done(message: str) -> NoReturn:
    st.session_state[FLASH] = message
    st.rerun()


def _failed(error: RopaError) -> NoReturn:
    st.session_state[PROBLEM] = f"Not saved: {error}"
    st.rerun()


def _sub_processors(frame: pd.DataFrame) -> list[dict[str, object]]:
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{"name": str(r.get("name") or ""), "country": r.get("country") or None}
            for r in rows if r.get("name") or r.get("country")]


def _vendor_form(vendor: Vendor | None) -> None:
    """Add a vendor (``None``) or edit one; saving an edit updates every activity that uses it."""
    key = f"vendor_{vendor.id if vendor else NEW}"
    with st.form(key):
        left, middle, right = st.columns([2, 1, 2])
        name = left.text_input("Name", value=vendor.name if vendor else "", key=f"{key}_name")
        countries = country_options([vendor.country] if vendor and vendor.country else [])
        country = middle.selectbox("Country", countries, index=countries.index(vendor.country)
                                   if vendor and vendor.country in countries else None,
                                   format_func=country_label, key=f"{key}_country")
        contract = right.text_input("Art. 28 contract reference", value=vendor.contract_ref if vendor else "",
                                    key=f"{key}_contract", help="The data processing agreement (Art. 28(3)).")
        st.markdown("Sub-processors (Art. 28(2), 28(4)) and where they process the data")
        subs = st.data_editor(
            pd.DataFrame([s.model_dump() for s in vendor.sub_processors] if vendor else [],
                         columns=["name", "country"]),
            num_rows="dynamic", hide_index=True, key=f"{key}_subs",
            column_config={"name": st.column_config.TextColumn("Sub-processor", width="medium"),
                           "country": st.column_config.SelectboxColumn("Country", options=country_options(),
                                                                       format_func=country_label)})
        notes = st.text_area("Notes", value=vendor.notes if vendor else "", key=f"{key}_notes")
        label = "Save vendor" if vendor else "Add vendor"
        if not st.form_submit_button(label, type="primary", disabled=not user.can(Role.EDITOR)):
            return
    try:
        edited = parse_vendor({"id": vendor.id if vendor else None, "name": name, "country": country,
                               "contract_ref": contract, "sub_processors": _sub_processors(subs), "notes": notes})
        if vendor is None:
            created = create_vendor(db, user, edited)
            _done(f"Added {created.name} to the inventory.")
        stored, changed = update_vendor(db, user, edited, vendor.version if vendor else 0)
    except RopaError as error:
        _failed(error)
    _done(f"Saved {stored.name}; {changed:,} activities using it now show the change.")


st.title("Vendors and managed lists")
st.caption("Each processor or other recipient is kept once, with its Art. 28 contract and sub-processors; "
           "recipients and transfers linked to it follow every change. Business functions and systems are "
           "managed lists, so one term is not recorded two ways.")
notices(FLASH, PROBLEM)

vendors = list_vendors(db)
usage = vendor_usage(db)
st.subheader("Vendor inventory", divider="gray")
if vendors:
    st.dataframe(pd.DataFrame([{
        "Vendor": v.name, "Country": country_name(v.country), "Art. 28 contract": v.contract_ref,
        "Sub-processors": "; ".join(f"{s.name} ({country_name(s.country)})" if s.country else s.name
                                    for s in v.sub_processors),
        "Activities using it": usage.get(int(v.id or 0), 0)} for v in vendors]),
        hide_index=True, key="vendors_table")
else:
    st.info("No vendor is in the inventory yet.", icon=":material/storefront:")

if user.can(Role.EDITOR):
    choice = st.selectbox("Add or edit", [NEW, *(int(v.id or 0) for v in vendors)], key="vendors_choice",
                          format_func=lambda v: "Add a vendor" if v == NEW else next(
                              x.name for x in vendors if x.id == v))
    chosen = next((v for v in vendors if v.id == choice), None)
    _vendor_form(chosen)
    if chosen is not None and st.button(f"Link recipients and transfers named {md(chosen.name)}",
                                        key="vendors_link", icon=":material/link:",
                                        help="Recipients and transfers recorded with this name (ignoring case) "
                                             "then follow the vendor."):
        try:
            linked = link_by_name(db, user, int(chosen.id or 0))
        except RopaError as error:
            _failed(error)
        _done(f"Linked {linked:,} activities to {chosen.name}.")

st.subheader("Managed lists", divider="gray")
for list_name, title in TERM_LISTS.items():
    terms = list_terms(db, list_name)
    st.markdown(f"**{title}** ({len(terms):,}): " + (md(", ".join(terms)) if terms else "none yet"))
    for variants in term_variants(db, list_name):
        row = st.columns([3, 2, 1], vertical_alignment="bottom")
        row[0].warning(f"One term written {len(variants)} ways: " + ", ".join(f"“{md(v)}”" for v in variants),
                       icon=":material/content_copy:")
        if not user.can(Role.EDITOR):
            continue
        keep = row[1].selectbox("Keep", variants, key=f"terms_keep_{list_name}_{variants[0]}")
        if row[2].button("Merge", key=f"terms_merge_{list_name}_{variants[0]}"):
            try:
                changed = merge_terms(db, user, list_name, variants, str(keep))
            except RopaError as error:
                _failed(error)
            _done(f"Merged into “{keep}”: {changed:,} activities changed.")
    if user.can(Role.EDITOR):
        with st.form(f"terms_add_{list_name}", clear_on_submit=False, border=False):
            left, right = st.columns([3, 1], vertical_alignment="bottom")
            term = left.text_input(f"New term for {title.lower()}", key=f"terms_new_{list_name}")
            if right.form_submit_button("Add"):
                try:
                    added = add_term(db, user, list_name, term)
                except RopaError as error:
                    _failed(error)
                _done(f"Added “{added}” to {title.lower()}.")
