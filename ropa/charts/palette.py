"""The dashboard's colours: one colour-blind-safe palette, one meaning per colour.

Built on the Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008),
which stays distinguishable for the common forms of colour blindness. A
colour means the same thing on every chart: vermillion is "act now"
(critical finding, invalid transfer, overdue review, unknown retention),
orange is "fix soon", bluish green is "in order". Severity colours come from
the gap analysis so the Gaps page and the dashboard never disagree.
"""

from __future__ import annotations

from ropa.gaps import SEVERITIES, SEVERITY_COLOURS

BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#999999"
LIGHT_GREY = "#D9D9D9"

# For series with no meaning of their own (business functions, lawful bases):
# the Okabe-Ito hues, less vermillion (kept for "act now"), then black and grey.
CATEGORICAL: tuple[str, ...] = (BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE, SKY_BLUE, YELLOW, BLACK, GREY)
OTHER_COLOUR = LIGHT_GREY

# Transfer states, worst first (the order the map legend and the "worst state
# of a country" use).
TRANSFER_STATES: tuple[str, ...] = ("invalid", "missing", "derogation", "safeguarded", "adequate", "unrestricted")
TRANSFER_STATE_LABELS: dict[str, str] = {
    "invalid": "Invalid mechanism",
    "missing": "No mechanism recorded",
    "derogation": "Art. 49 derogation",
    "safeguarded": "Art. 46 safeguard",
    "adequate": "Adequacy",
    "unrestricted": "Not restricted (within EEA / UK)",
}
TRANSFER_STATE_COLOURS: dict[str, str] = {
    "invalid": SEVERITY_COLOURS["critical"],
    "missing": SEVERITY_COLOURS["high"],
    "derogation": REDDISH_PURPLE,
    "safeguarded": BLUE,
    "adequate": BLUISH_GREEN,
    "unrestricted": GREY,
}

REVIEW_STATES: tuple[str, ...] = ("overdue", "no_date", "draft", "in_review", "current", "archived")
REVIEW_STATE_LABELS: dict[str, str] = {
    "overdue": "Review overdue",
    "no_date": "Approved, no review date",
    "draft": "Draft",
    "in_review": "In review",
    "current": "Approved, review current",
    "archived": "Archived",
}
REVIEW_STATE_COLOURS: dict[str, str] = {
    "overdue": SEVERITY_COLOURS["critical"],
    "no_date": ORANGE,
    "draft": GREY,
    "in_review": SKY_BLUE,
    "current": BLUISH_GREEN,
    "archived": LIGHT_GREY,
}

RETENTION_KINDS: tuple[str, ...] = ("period", "rule", "vague", "unknown")
RETENTION_KIND_LABELS: dict[str, str] = {
    "period": "Structured period",
    "rule": "Stated rule",
    "vague": "Vague rule",
    "unknown": "Unknown",
}
RETENTION_KIND_COLOURS: dict[str, str] = {
    "period": BLUE,
    "rule": SKY_BLUE,
    "vague": ORANGE,
    "unknown": VERMILLION,
}

ACTIVITY_STATUS_COLOURS: dict[str, str] = {
    "draft": GREY,
    "in_review": SKY_BLUE,
    "approved": BLUISH_GREEN,
    "archived": LIGHT_GREY,
}

# Lawful bases (Art. 6(1)(a)-(f)) in the order of the article; a missing basis is a critical gap.
LAWFUL_BASIS_COLOURS: tuple[str, ...] = (BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE, SKY_BLUE, YELLOW)
NO_BASIS_COLOUR = SEVERITY_COLOURS["critical"]
PROCESSOR_BASIS_COLOUR = GREY

# Heat map scales: ordinary data in blue, Art. 9 / Art. 10 data in vermillion,
# so special categories stand out even where counts are equal.
ORDINARY_SCALE: list[list[float | str]] = [[0.0, "#F4F8FB"], [1.0, BLUE]]
SPECIAL_SCALE: list[list[float | str]] = [[0.0, "#FBF1EA"], [1.0, VERMILLION]]

__all__ = [
    "ACTIVITY_STATUS_COLOURS", "CATEGORICAL", "LAWFUL_BASIS_COLOURS", "NO_BASIS_COLOUR", "ORDINARY_SCALE",
    "OTHER_COLOUR", "PROCESSOR_BASIS_COLOUR", "RETENTION_KINDS", "RETENTION_KIND_COLOURS", "RETENTION_KIND_LABELS",
    "REVIEW_STATES", "REVIEW_STATE_COLOURS", "REVIEW_STATE_LABELS", "SEVERITIES", "SEVERITY_COLOURS",
    "SPECIAL_SCALE", "TRANSFER_STATES", "TRANSFER_STATE_COLOURS", "TRANSFER_STATE_LABELS", "colour_cycle",
]


def colour_cycle(names: list[str]) -> dict[str, str]:
    """A stable colour per series name; "Other" is always the neutral grey."""
    colours: dict[str, str] = {}
    index = 0
    for name in names:
        if name.startswith("Other"):
            colours[name] = OTHER_COLOUR
            continue
        colours[name] = CATEGORICAL[index % len(CATEGORICAL)]
        index += 1
    return colours


def scale_colour(scale: list[list[float | str]], fraction: float) -> str:
    """The colour at ``fraction`` (0 to 1) of a two-stop scale, mixed in RGB as a heat map does."""
    low, high = str(scale[0][1]), str(scale[-1][1])
    share = min(max(fraction, 0.0), 1.0)
    mixed = [round(int(low[i:i + 2], 16) + (int(high[i:i + 2], 16) - int(low[i:i + 2], 16)) * share)
             for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02X}" for c in mixed)
