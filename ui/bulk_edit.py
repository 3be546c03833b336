"""The register's bulk edit form: one change for the ticked activities, written all or nothing."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from ropa.auth import User
from ropa.errors import FieldError, RopaError, ValidationFailed
from ropa.models import Recipient, validation_failed
from ropa.storage.bulk import BULK_STATUSES, BulkChange, BulkRefused, bulk_update, selection_facts
from ropa.storage.database import Database
from ropa.storage.vendors import list_terms
from ui.choices import country_label, country_options, vocab_label, vocab_options
from ui.render import md

NOTICE = "register_bulk_notice"
PROBLEM = "register_bulk_problem"
SEEN = "register_bulk_seen"


def _recipient(category: str | None, name: str, role: str | None, country: str | None,
               contract: str) -> Recipient | None:
    """The recipient to add, or None; what was typed without a category is not dropped silently."""
    if category is None:
        if name or contract or role or country:
            raise ValidationFailed([FieldError("Recipient category", "choose one for the recipient to add")])
        return None
    try:
        return Recipient.model_validate({"category": category, "name": name, "role": role, "country": country,
                                         "contract_ref": contract})
    except ValidationError as error:
        raise validation_failed(error) from None


def render(db: Database, user: User, chosen: pd.DataFrame) -> None:
    """The form for the activities in ``chosen`` (rows of the register frame, with the versions shown)."""
    shown = {int(i): int(v) for i, v in zip(chosen["id"], chosen["version"], strict=True)}
    # The versions are those of the run that first drew this selection: what the user looked at. A save by
    # someone else before the form is sent then refuses the batch instead of passing unnoticed.
    kept = st.session_state.get(SEEN)
    if not isinstance(kept, dict) or set(kept) != set(shown):
        st.session_state[SEEN] = kept = shown
    seen = {int(k): int(v) for k, v in kept.items()}
    facts = selection_facts(db, list(seen))
    measure = vocab_label("security_measures")
    with st.form("register_bulk", border=True):
        st.markdown(f"**Change the {len(seen):,} ticked activities** — fields left blank stay as they are.")
        left, middle, right = st.columns(3)
        owner = left.text_input("Owner", key="bulk_owner", placeholder="leave as it is")
        function = middle.selectbox("Business function", list_terms(db, "business_functions"), index=None,
                                    accept_new_options=True, key="bulk_function", placeholder="leave as it is")
        due = right.date_input("Next review due", value=None, key="bulk_due", format="YYYY-MM-DD")
        status = left.selectbox("Status", BULK_STATUSES, index=None, format_func=vocab_label("statuses"),
                                key="bulk_status", placeholder="leave as it is",
                                help="Each activity must be allowed to move there (draft -> in review -> approved).")
        add_measures = middle.multiselect("Add security measures", vocab_options("security_measures"),
                                          format_func=measure, key="bulk_add_measures")
        remove_measures = right.multiselect("Remove security measures", vocab_options("security_measures"),
                                            format_func=measure, key="bulk_remove_measures")
        add_systems = left.multiselect("Add systems", list_terms(db, "systems"), accept_new_options=True,
                                     key="bulk_add_systems")
        remove_systems = middle.multiselect("Remove systems", facts.systems, key="bulk_remove_systems")
        remove_recipient = right.selectbox("Remove recipient", facts.recipients, index=None,
                                           key="bulk_remove_recipient", placeholder="none")
        st.markdown("Add a recipient")
        r1, r2, r3, r4, r5 = st.columns(5)
        category = r1.selectbox("Recipient category", vocab_options("recipient_categories"), index=None,
                                format_func=vocab_label("recipient_categories"), key="bulk_recipient_category",
                                placeholder="none")
        name = r2.text_input("Recipient name", key="bulk_recipient_name")
        role = r3.selectbox("Recipient role", vocab_options("recipient_roles"), index=None,
                            format_func=vocab_label("recipient_roles"), key="bulk_recipient_role")
        country = r4.selectbox("Recipient country", country_options(), index=None, format_func=country_label,
                               key="bulk_recipient_country")
        contract = r5.text_input("Art. 28 contract reference", key="bulk_recipient_contract")
        submitted = st.form_submit_button(f"Apply to {len(seen):,} activities", type="primary",
                                          icon=":material/done_all:")
    if submitted:
        try:
            recipient = _recipient(category, name, role, country, contract)
        except ValidationFailed as error:
            st.session_state[PROBLEM] = ("Nothing was changed", [str(e) for e in error.errors])
            st.rerun()
        change = BulkChange(owner=owner or None, business_function=function, next_review_due=due,
                            status=status, add_recipient=recipient, remove_recipient=remove_recipient,
                            add_security_measures=tuple(add_measures), remove_security_measures=tuple(remove_measures),
                            add_systems=tuple(add_systems), remove_systems=tuple(remove_systems))
        try:
            result = bulk_update(db, user, seen, change)
        except BulkRefused as refused:
            st.session_state[PROBLEM] = (refused.headline, refused.problems)
        except RopaError as error:
            st.session_state[PROBLEM] = ("Nothing was changed", [str(error)])
        else:
            unchanged = f"; {len(result.unchanged):,} already had it" if result.unchanged else ""
            st.session_state[NOTICE] = f"Changed {len(result.changed):,} activities: {change.describe()}{unchanged}."
        st.session_state.pop(SEEN, None)  # the next form starts from the versions now stored
        st.rerun()


def outcome() -> None:
    """The result a previous run of the form left: what changed, or why nothing did (with the list)."""
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.success(md(notice), icon=":material/check_circle:")
    problem = st.session_state.pop(PROBLEM, None)
    if problem:
        headline, items = problem
        st.error(md(f"{headline}.") + "\n" + "\n".join(f"- {md(item)}" for item in items), icon=":material/error:")
