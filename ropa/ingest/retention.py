"""Retention text as written in registers -> the structured retention fields (Art. 30(1)(f)).

"6 years after the end of the contract" becomes a period (72 months, trigger
end_of_contract). Text with no single number-and-unit ("as long as
necessary", "7 years for invoices, 2 for emails") stays a stated rule, word
for word, so the gap analysis can call it vague. When a period is read but
the text says more than the period and a known trigger (or the unit had to
be converted, e.g. days), the original wording is kept in the rule too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ropa.ingest.vocab import Matcher, normalise

MAX_MONTHS = 1200

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "a": 1, "an": 1}
_UNITS = {"year": 12.0, "yr": 12.0, "month": 1.0, "mth": 1.0, "mo": 1.0, "week": 12 / 52, "wk": 12 / 52,
          "day": 12 / 365}
_PERIOD = re.compile(
    r"(?<![\w.])(?P<number>\d+(?:\.\d+)?|" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")"
    r"\s*(?:\(\d+\)\s*)?(?:-\s*)?(?P<unit>years?|yrs?|months?|mths?|mos?|weeks?|wks?|days?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RetentionReading:
    fields: dict[str, Any]
    summary: str  # what the text was read as, for the mapping report


def _number(text: str) -> float:
    lowered = text.casefold()
    return float(_WORDS[lowered]) if lowered in _WORDS else float(text)


def _unit(text: str) -> tuple[str, float]:
    lowered = text.casefold().rstrip("s") or text.casefold()
    return lowered, _UNITS[lowered]


def _trigger(rest: str, triggers: Matcher) -> tuple[str | None, bool]:
    """The trigger ``rest`` names, and whether it says nothing else."""
    norm = normalise(rest)
    if not norm:
        return None, True
    found = triggers.match(rest)
    if found:
        return found.key, True
    # The longest known trigger phrase inside the text ("6 years from the end of the tax year for HMRC").
    best: tuple[int, str] | None = None
    for phrase, key in triggers.phrases():
        if phrase and f" {phrase} " in f" {norm} " and (best is None or len(phrase) > best[0]):
            best = (len(phrase), key)
    return (best[1], False) if best else (None, False)


def read_retention(text: str, triggers: Matcher) -> RetentionReading:
    stripped = text.strip()
    if not stripped:
        return RetentionReading({"retention_kind": "unknown"}, "not stated")
    periods = list(_PERIOD.finditer(stripped))
    if len(periods) != 1:
        why = "several periods" if periods else "no period"
        return RetentionReading({"retention_kind": "rule", "retention_rule": text}, f"stated rule ({why})")
    found = periods[0]
    unit, factor = _unit(found.group("unit"))
    months_exact = _number(found.group("number")) * factor
    months = round(months_exact)
    if months > MAX_MONTHS or months < 0:
        return RetentionReading({"retention_kind": "rule", "retention_rule": text}, "stated rule (period too long)")
    rest = (stripped[: found.start()] + " " + stripped[found.end():]).strip(" ,.;:-–")
    trigger, clean = _trigger(rest, triggers)
    converted = abs(months_exact - months) > 1e-9 or unit in ("week", "wk", "day")
    fields: dict[str, Any] = {"retention_kind": "period", "retention_months": months, "retention_trigger": trigger}
    if converted or not clean:
        fields["retention_rule"] = text
    summary = f"{months} months" + (f", trigger {trigger}" if trigger else "")
    if converted:
        summary += " (converted; wording kept)"
    elif not clean:
        summary += " (wording kept)"
    return RetentionReading(fields, summary)
