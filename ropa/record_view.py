"""Facts the activity's read view derives from a record: pure functions, dated.

A transfer's safeguard is judged on a given day for the exporting entity's
regime (EU GDPR or UK GDPR), from the reference data alone, so the read view
says the same as the gap analysis and the export would on that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ropa.labels import months_text
from ropa.models import Activity, Transfer
from ropa.reference import Regime, country_name, load_reference
from ropa.storage.audit import Event

_NO_TIA = "a transfer impact assessment is expected (EDPB Recommendations 01/2020) but none is recorded"


@dataclass(frozen=True)
class TransferStatus:
    """A transfer's standing on ``day``: ``ok`` is None when no Chapter V safeguard is needed."""

    ok: bool | None
    mechanism: str
    message: str


def transfer_status(transfer: Transfer, regime: Regime, day: date) -> TransferStatus:
    """Whether ``transfer`` rests on a mechanism valid on ``day`` for exports under ``regime``."""
    ref = load_reference()
    country = country_name(transfer.country)
    if not ref.is_third_country(regime, transfer.country):
        return TransferStatus(None, "", f"{country} is not a third country for {regime} GDPR exports; "
                                        "Chapter V does not apply.")
    if not transfer.mechanism:
        return TransferStatus(False, "", "No transfer mechanism is recorded (Art. 44-49).")
    mechanisms = ref.mechanisms()
    if transfer.mechanism not in mechanisms:
        return TransferStatus(False, transfer.mechanism, f"'{transfer.mechanism}' is not a known mechanism.")
    mechanism = mechanisms[transfer.mechanism]
    label = f"{mechanism.label} ({mechanism.article})"
    if not mechanism.valid_on(regime, day):
        reason = mechanism.invalid_reason or f"not available for {regime} GDPR exports"
        return TransferStatus(False, label, f"{reason[0].upper()}{reason[1:]} (judged on {day.isoformat()}).")
    if mechanism.key == "adequacy":
        finding = ref.adequacy(regime, transfer.country, day)
        if finding is None:
            return TransferStatus(False, label, f"No {regime} adequacy finding covers {country} on {day.isoformat()}.")
        note = f"Covered by {finding.decision}"
        if finding.partial:
            note += f" (only {finding.partial})"
        if finding.requires_mechanism:
            note += f"; the recipient must also rely on {finding.requires_mechanism}"
        return TransferStatus(True, label, note + ".")
    if mechanism.requires_tia and not transfer.tia_ref.strip():
        return TransferStatus(False, label, f"The mechanism is valid on {day.isoformat()}, but {_NO_TIA}.")
    return TransferStatus(True, label, f"Valid on {day.isoformat()} for {regime} GDPR exports.")


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
