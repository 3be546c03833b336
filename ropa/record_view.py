"""Facts the activity's read view derives from a record: pure functions, dated.

A transfer is judged on a given day for the exporting entity's regime by the
one verdict module (``ropa.legal.transfers``), so the read view says the same
as the gap analysis, the export and the dashboard on that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ropa.labels import months_text
from ropa.legal.transfers import Verdict, judge
from ropa.models import Activity, Transfer
from ropa.reference import load_reference
from ropa.storage.audit import Event


@dataclass(frozen=True)
class TransferStatus:
    """A transfer's standing on ``day``: ``ok`` is None when no Chapter V safeguard is needed.

    ``ok`` says whether the transfer is lawful; ``warning`` names what is still expected of a
    lawful one (an assessment, a contract date, a derogation's limits); ``verdict`` is the
    verdict module's full answer.
    """

    ok: bool | None
    mechanism: str
    message: str
    warning: str
    verdict: Verdict


def transfer_verdict(transfer: Transfer, regime: str, day: date) -> Verdict:
    """The verdict module's answer for a stored transfer of an exporter under ``regime``."""
    return judge(regime, transfer.destination, transfer.mechanism, day, contract_date=transfer.contract_date,
                 assessment_recorded=bool(transfer.tia_ref.strip()))


def transfer_status(transfer: Transfer, regime: str, day: date) -> TransferStatus:
    """Whether ``transfer`` rests on a mechanism valid on ``day`` for an exporter under ``regime``."""
    verdict = transfer_verdict(transfer, regime, day)
    mechanism = load_reference().mechanisms().get(transfer.mechanism or "")
    label = f"{mechanism.label} ({mechanism.article})" if mechanism else (transfer.mechanism or "")
    message = f"{verdict.reason[0].upper()}{verdict.reason[1:]} (judged on {day.isoformat()})."
    warning = ""
    if verdict.lawful and verdict.problem in ("contract_date_unknown", "derogation", "superseded_by_adequacy"):
        warning = verdict.reason
    if verdict.assessment_missing:
        warning = f"a {verdict.assessment} is expected but none is recorded"
    if verdict.checks:
        message += f" Check: {verdict.checks}."
    return TransferStatus(verdict.lawful, label, message, warning, verdict)


def retention_text(activity: Activity) -> str:
    """The retention rule as a sentence, or an empty string when none is recorded."""
    if activity.retention_kind == "period" and activity.retention_months is not None:
        months = activity.retention_months
        span = months_text(months)  # "1 year", "18 months": one wording with ropa.labels
        trigger = activity.retention_trigger
        return f"{span} {load_reference().vocabulary('retention_triggers').label(trigger)}" if trigger else span
    if activity.retention_kind == "rule":
        return activity.retention_rule
    return ""


def term_with_article(vocabulary: str, key: str) -> str:
    """A vocabulary key as 'Label (Art. x)', the way the law is cited in the record."""
    vocab = load_reference().vocabulary(vocabulary)
    if key not in vocab:
        return key
    term = vocab[key]
    return f"{term.label} ({term.article})"


def category_flags(key: str) -> str:
    """A data category's label with its Art. 9 / Art. 10 marking."""
    vocab = load_reference().vocabulary("data_categories")
    if key not in vocab:
        return key
    term = vocab[key]
    if term.special:
        return f"{term.label} — special category data ({term.article})"
    if term.criminal:
        return f"{term.label} — criminal offence data (Art. 10)"
    return term.label


def review_text(activity: Activity, day: date) -> str:
    """When the activity was last reviewed and when it is next due, relative to ``day``."""
    last = f"last reviewed {activity.last_reviewed.isoformat()}" if activity.last_reviewed else "never reviewed"
    due = activity.next_review_due
    if due is None:
        return f"{last}; no review scheduled"
    days = (due - day).days
    if days < 0:
        return f"{last}; review overdue since {due.isoformat()} ({-days} days)"
    if days == 0:
        return f"{last}; review due today"
    return f"{last}; next review due {due.isoformat()} (in {days} days)"


WORKFLOW_VERBS: dict[str, str] = {"create": "created", "status": "set", "archive": "archived",
                                  "restore": "restored", "review": "reviewed"}
"""The audit actions that move an activity along its workflow, and how the status line words them."""


def workflow_text(activity: Activity, event: Event | None) -> str:
    """The status and who last moved the record along the workflow, and when (``event``, if any)."""
    status = load_reference().vocabulary("statuses").label(activity.status)
    if event is None:
        return status
    return f"{status} — {WORKFLOW_VERBS[event.action]} by {event.actor} at {event.at_utc:%Y-%m-%d %H:%M} UTC"
