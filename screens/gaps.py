"""Gaps: the register checked against GDPR / UK GDPR on a chosen day, and the risks the DPO accepted."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from ropa import charts
from ropa.auth import Role
from ropa.entities import descendant_ids, list_entities
from ropa.errors import RopaError, ValidationFailed
from ropa.finding_fields import field_of
from ropa.gaps import (
    APPLIES_TO_LABELS,
    COMPLETENESS_FORMULA,
    COMPLIANCE_FORMULA,
    RULES,
    RULES_BY_ID,
    SEVERITIES,
    SEVERITY_BADGE_COLOURS,
    SEVERITY_ICONS,
    Scores,
    accept_finding,
    accepted_findings,
    analyse,
    revoke_acceptance,
    scores,
)
from ropa.gaps.defects import DEFECT_COUNTING, defects, findings_of, open_defects
from ropa.gaps.summary import by_entity, by_rule, catalogue_frame, filter_findings, open_only, severity_counts
from ropa.history import change_stamp
from ropa.models import TEXT_MAX
from ropa.reference import load_reference
from ui import focus
from ui.choices import entity_label, entity_tree
from ui.nav import open_activity
from ui.render import errors, md, notices
from ui.session import Database, current_user, get_db, page_user

# Before anything is read: who is this, and may their role open this page?
user = page_user(__file__)

FLASH_KEY = "gaps_flash"
ACCEPTING_KEY = "gaps_accepting"
SEVERITY_LABELS = {s: s.capitalize() for s in SEVERITIES}
RULE_TITLES = {r.id: r.title for r in RULES}


def _severity_name(value: object) -> str:
    return SEVERITY_LABELS[str(value)]


@st.cache_data(ttl=300, max_entries=8, show_spinner="Checking the register…")
def _analysis(path: str, as_of: date, entity_ids: tuple[int, ...] | None,
              stamp: tuple[int, int]) -> tuple[pd.DataFrame, pd.DataFrame, Scores, pd.DataFrame, pd.DataFrame]:
    """Findings (accepted ones included), open defects, scores and the chart frames, recomputed only when the
    register changes."""
    db = get_db()
    ids = list(entity_ids) if entity_ids is not None else None
    findings = analyse(db, as_of=as_of, entity_ids=ids, include_accepted=True)
    live = open_only(findings)
    return findings, defects(live), scores(db, as_of, ids, findings=findings), by_rule(live), by_entity(live)


def _severity_label(severity: str) -> str:
    return f":{SEVERITY_BADGE_COLOURS[severity]}-badge[{SEVERITY_ICONS[severity]} {SEVERITY_LABELS[severity]}]"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _metrics(findings: pd.DataFrame, open_table: pd.DataFrame, result: Scores) -> None:
    live = open_only(findings)
    counts = severity_counts(open_table)
    findings_counts = severity_counts(live)
    for col, severity in zip(st.columns(len(SEVERITIES)), SEVERITIES, strict=True):
        col.metric(_severity_label(severity), f"{counts[severity]:,}", border=True,
                   help=f"Open {severity} defects, from {findings_counts[severity]:,} open findings "
                        f"(accepted risks not counted). {DEFECT_COUNTING}")
    scores_row = st.columns(3)
    scores_row[0].metric("Article 30 completeness", _percent(result.completeness), border=True,
                         help=COMPLETENESS_FORMULA)
    compliance = None if result.compliance is None else f"{result.compliance:.0f} / 100"
    scores_row[1].metric("Compliance score", compliance, border=True, help=COMPLIANCE_FORMULA)
    scores_row[2].metric("Accepted risks", f"{int(findings['accepted'].sum()):,}", border=True,
                         help="Findings a DPO accepted as a risk, still within their expiry date and unchanged.")


def _defect_details(defect: pd.Series, affected: pd.DataFrame, user_can_edit: bool) -> None:
    """The defect once, then the activities it affects (each with its own actions)."""
    rule = RULES_BY_ID[str(defect["rule"])]
    source = load_reference().sources.get(rule.source)
    with st.container(border=True):
        st.markdown(f"{_severity_label(rule.severity)} **{md(rule.title)}** · {md(rule.article)}")
        st.markdown(f"**{md(str(defect['entities']))}**")
        st.markdown(md(defect["message"]))
        st.markdown(f"**Why it matters:** {md(rule.explanation)}")
        st.markdown(f"**How to fix it:** {md(rule.remediation)}")
        if source is not None:
            st.caption(f"Source: {md(source.title)}")
            st.link_button("Open the source", source.url, icon=":material/open_in_new:")
        if len(affected) == 1:
            _finding_actions(affected.iloc[0], user_can_edit)
            return
        st.caption(f"One defect on {len(affected):,} records: findings grouped by {md(str(defect['grouped_by']))}.")
        with st.expander(f"Affected activities ({len(affected):,})", expanded=True, icon=":material/list:"):
            shown = affected.assign(link="activity?id=" + affected["activity_id"].astype("string"))
            event = st.dataframe(
                shown.loc[:, ["entity", "activity", "subject", "message", "link"]], key="gaps_affected",
                hide_index=True, on_select="rerun", selection_mode="single-row",
                column_config={
                    "entity": st.column_config.TextColumn("Entity", width="medium"),
                    "activity": st.column_config.TextColumn("Activity", width="medium"),
                    "subject": st.column_config.TextColumn("Item"),
                    "message": st.column_config.TextColumn("Finding", width="large"),
                    "link": st.column_config.LinkColumn("Activity page", display_text="Open"),
                },
            )
            rows = [r for r in (event.selection.rows if event is not None else []) if r < len(affected)]
            if rows:
                _finding_actions(affected.iloc[rows[0]], user_can_edit)
            else:
                st.caption("Select an activity to open it or to accept its finding as a risk.")


def _finding_actions(row: pd.Series, user_can_edit: bool) -> None:
    if str(row["activity"]):
        st.markdown(f"**{md(str(row['entity']) + ' › ' + str(row['activity']))}**")
    buttons = st.columns(3)
    activity_id = row["activity_id"]
    if pd.notna(activity_id) and buttons[0].button("Open the activity", icon=":material/description:",
                                                   key="gaps_open"):
        open_activity(int(activity_id))
    field = field_of(str(row["rule"]))
    if user_can_edit and pd.notna(activity_id) and field and buttons[1].button(
            "Fix", icon=":material/build:", key="gaps_fix", help="Open the edit form at the field this is about"):
        focus.request(int(activity_id), field, str(row.get("title") or row["rule"]))
        open_activity(int(activity_id))
    if user_can_edit and not bool(row["accepted"]) and buttons[2].button(
            "Accept as a risk…", icon=":material/verified_user:", key="gaps_accept"):
        # Kept in the session so the dialog stays open across reruns until it is saved or dismissed.
        st.session_state[ACCEPTING_KEY] = row.to_dict()


def _close_dialog() -> None:
    st.session_state.pop(ACCEPTING_KEY, None)


@st.dialog("Accept a finding as a risk", width="large", on_dismiss=_close_dialog)
def _accept_dialog(finding: dict[str, Any]) -> None:
    st.markdown(md(finding["message"]))
    st.caption("The finding stops counting until the date below, or until the record is edited, "
               "whichever comes first. The acceptance is kept in the audit trail.")
    today = date.today()
    with st.form("gaps_accept_form"):
        justification = st.text_area("Justification (required)", max_chars=TEXT_MAX, key="gaps_justification",
                                     help="Why the risk is acceptable, and who agreed it.")
        expires = st.date_input("Accepted until", value=today + timedelta(days=180), min_value=today + timedelta(1),
                                max_value=today + timedelta(days=3 * 366), key="gaps_expires", format="YYYY-MM-DD")
        submitted = st.form_submit_button("Accept the risk", type="primary", key="gaps_accept_submit")
    if not submitted:
        return
    activity_id = finding["activity_id"]
    try:
        accept_finding(get_db(), current_user(), str(finding["rule"]),
                       int(activity_id) if pd.notna(activity_id) else None, str(finding["subject"]),
                       justification or "", expires if isinstance(expires, date) else today,
                       entity_id=int(finding["entity_id"]))
    except ValidationFailed as error:
        errors(error.errors)
    except RopaError as error:
        errors([str(error)])
    else:
        _close_dialog()
        st.session_state[FLASH_KEY] = f"The finding is accepted as a risk until {expires}."
        st.rerun()


def _defects_table(findings: pd.DataFrame, open_table: pd.DataFrame, user_can_edit: bool) -> None:
    filters = st.columns(3)
    severities = filters[0].multiselect("Severity", list(SEVERITIES), format_func=_severity_name,
                                        key="gaps_severities", placeholder="All severities")
    rules = filters[1].multiselect("Rule", sorted(set(findings["rule"]), key=list(RULE_TITLES).index),
                                   format_func=lambda r: RULE_TITLES.get(r, r), key="gaps_rules",
                                   placeholder="All rules")
    entities = filters[2].multiselect("Entity", sorted(set(findings["entity"])), key="gaps_entities",
                                      placeholder="All entities")
    matching = filter_findings(open_only(findings), severities=severities, rules=rules, entities=entities)
    # The unfiltered table is cached with the analysis; only a filter makes the page regroup.
    shown = open_defects(defects(matching) if severities or rules or entities else open_table)
    st.caption(f"{len(shown):,} open defect(s) from {len(matching):,} finding(s): findings with the same cause are "
               "one defect. Select a row for the explanation, the fix, the affected activities and the actions.")
    columns = ["severity", "message", "activities", "entities", "title", "article"]
    # Only the shown columns go to the browser; the selected row is looked up in ``shown``.
    event = st.dataframe(
        shown.loc[:, columns], key="gaps_table", hide_index=True, on_select="rerun", selection_mode="single-row",
        column_config={
            "severity": st.column_config.SelectboxColumn("Severity", options=list(SEVERITIES),
                                                         format_func=_severity_name),
            "message": st.column_config.TextColumn("Defect", width="large"),
            "activities": st.column_config.NumberColumn("Activities", help="Activities this defect affects"),
            "entities": st.column_config.TextColumn("Entity", width="medium"),
            "title": st.column_config.TextColumn("Rule", width="medium"),
            "article": st.column_config.TextColumn("Law"),
        },
    )
    rows = [r for r in (event.selection.rows if event is not None else []) if r < len(shown)]
    if rows:
        defect = shown.iloc[rows[0]]
        _defect_details(defect, findings_of(matching, str(defect["defect"])), user_can_edit)


def _breakdown(rule_frame: pd.DataFrame, entity_frame: pd.DataFrame, result: Scores) -> None:
    st.vega_lite_chart(charts.browser_copy(charts.findings_by_rule(rule_frame)), key="gaps_by_rule", width="stretch")
    st.vega_lite_chart(charts.browser_copy(charts.findings_by_entity(entity_frame)), key="gaps_by_entity",
                       width="stretch")
    st.subheader("Scores by entity")
    st.dataframe(
        result.entities, key="gaps_entity_scores", hide_index=True,
        column_order=("entity", "activities", "completeness", "compliance", "findings"),
        column_config={
            "entity": st.column_config.TextColumn("Entity"),
            "activities": st.column_config.NumberColumn("Activities"),
            "completeness": st.column_config.ProgressColumn("Art. 30 completeness", min_value=0.0, max_value=1.0,
                                                            format="percent"),
            "compliance": st.column_config.ProgressColumn("Compliance score", min_value=0.0, max_value=100.0,
                                                          format="%.0f"),
            "findings": st.column_config.NumberColumn("Entity-level findings"),
        },
    )


def _accepted(db: Database, as_of: date, entity_ids: list[int] | None, user_can_edit: bool) -> None:
    listed = accepted_findings(db, as_of=as_of, entity_ids=entity_ids)
    if listed.empty:
        st.info("No finding has been accepted as a risk.", icon=":material/verified_user:")
        return
    st.caption("An acceptance stops suppressing its finding when it expires or when the record is edited.")
    event = st.dataframe(
        listed, key="gaps_accepted", hide_index=True, on_select="rerun", selection_mode="single-row",
        column_order=("status", "severity", "entity", "activity", "title", "subject", "justification", "expires_on",
                      "accepted_by", "accepted_at"),
        column_config={
            "status": st.column_config.TextColumn("Status"),
            "severity": st.column_config.SelectboxColumn("Severity", options=list(SEVERITIES),
                                                         format_func=_severity_name),
            "entity": st.column_config.TextColumn("Entity"),
            "activity": st.column_config.TextColumn("Activity"),
            "title": st.column_config.TextColumn("Rule"),
            "subject": st.column_config.TextColumn("Item"),
            "justification": st.column_config.TextColumn("Justification", width="large"),
            "expires_on": st.column_config.DateColumn("Accepted until"),
            "accepted_by": st.column_config.TextColumn("Accepted by"),
            "accepted_at": st.column_config.DatetimeColumn("Accepted at (UTC)", format="YYYY-MM-DD HH:mm"),
        },
    )
    rows = [r for r in (event.selection.rows if event is not None else []) if r < len(listed)]
    if rows and user_can_edit and st.button("Revoke the selected acceptance", icon=":material/undo:",
                                            key="gaps_revoke"):
        try:
            revoke_acceptance(db, current_user(), int(listed.iloc[rows[0]]["id"]))
        except RopaError as error:
            errors([str(error)])
        else:
            st.session_state[FLASH_KEY] = "The acceptance is revoked; the finding counts again."
            st.rerun()


def _catalogue() -> None:
    st.caption(f"{len(RULES)} rules. Each cites the article or official source it rests on.")
    st.dataframe(
        catalogue_frame(), key="gaps_catalogue", hide_index=True,
        column_config={
            "id": st.column_config.TextColumn("Id"),
            "title": st.column_config.TextColumn("Rule"),
            "severity": st.column_config.SelectboxColumn("Severity", options=list(SEVERITIES),
                                                         format_func=_severity_name),
            "article": st.column_config.TextColumn("Law"),
            "applies_to": st.column_config.SelectboxColumn("Applies to", options=list(APPLIES_TO_LABELS),
                                                           format_func=lambda value: APPLIES_TO_LABELS[str(value)]),
            "explanation": st.column_config.TextColumn("What it checks", width="large"),
            "remediation": st.column_config.TextColumn("How to fix", width="large"),
        },
    )


db = get_db()
user = current_user()
user_can_edit = user.can(Role.EDITOR)
entities = list_entities(db, include_archived=False)

with st.sidebar:
    st.header("Gap analysis")
    as_of_input = st.date_input("Analysis date", value=date.today(), min_value=date(2000, 1, 1),
                                max_value=date(2100, 12, 31), key="gaps_as_of", format="YYYY-MM-DD",
                                help="Transfer mechanisms, adequacy decisions and review deadlines are judged on "
                                     "this day.")
    entity_id = st.selectbox("Entity (with its subsidiaries)", [None, *(e.id for e, _ in entity_tree(entities))],
                             format_func=entity_label(entities), key="gaps_entity")

as_of = as_of_input if isinstance(as_of_input, date) else date.today()
scope = descendant_ids(db, int(entity_id)) if entity_id is not None else None

st.title("Gap analysis")
meta = load_reference().meta
st.caption(f"The live register checked against GDPR / UK GDPR on {as_of:%d %B %Y}. "
           f"Reference data version {meta.version}, checked on {meta.as_of:%d %B %Y}.")
notices(FLASH_KEY)

try:
    found, open_table, result, rule_frame, entity_frame = _analysis(
        str(db.path), as_of, tuple(scope) if scope is not None else None, change_stamp(db))
except RopaError as problem:
    errors([str(problem)])
    st.stop()

_metrics(found, open_table, result)
with st.expander("How the scores are calculated", icon=":material/functions:"):
    st.markdown(f"**Article 30 completeness.** {md(COMPLETENESS_FORMULA)}")
    st.markdown(f"**Compliance score.** {md(COMPLIANCE_FORMULA)}")
    st.markdown(f"**Defects.** {md(DEFECT_COUNTING)}")

if found.empty and result.activities.empty:
    st.info("The register has no live activities to check yet.", icon=":material/inbox:")

findings_tab, breakdown_tab, accepted_tab, catalogue_tab = st.tabs(
    ["Defects", "By rule and entity", "Accepted risks", "Rule catalogue"])
with findings_tab:
    _defects_table(found, open_table, user_can_edit)
with breakdown_tab:
    _breakdown(rule_frame, entity_frame, result)
with accepted_tab:
    _accepted(db, as_of, scope, user_can_edit)
with catalogue_tab:
    _catalogue()

if user_can_edit and isinstance(st.session_state.get(ACCEPTING_KEY), dict):
    _accept_dialog(st.session_state[ACCEPTING_KEY])
