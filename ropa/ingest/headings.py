"""Which column a spreadsheet heading names, and how sure that is.

A heading matches a column by its own wording (the export's and the ICO
template's), by a listed variant (``headings.toml``: ICO variants, the CNIL
template, CISO Assistant, Fides, home-made headings in English, French and
German), or, failing both, by sharing most of its words with one of those.
The confidence is shown in the mapping step so the user can judge the guess.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ropa.columns import COLUMNS, Column
from ropa.ingest.vocab import normalise

_QUALIFIERS = re.compile(
    r"\((?:if applicable|if possible|optional|where applicable|le cas échéant|si applicable|falls zutreffend|"
    r"sofern zutreffend|ggf\.?)\)|[?*:]", re.IGNORECASE)
CLOSE_ENOUGH = 0.75
"""Share of words two headings must have in common for a guess."""


def heading_key(text: str) -> str:
    """A heading's comparable form: case, accents, punctuation, line breaks and '(if applicable)' ignored."""
    stripped = _QUALIFIERS.sub(" ", text)
    folded = "".join(c for c in unicodedata.normalize("NFKD", stripped) if not unicodedata.combining(c))
    return normalise(folded.replace("_", " ").replace(".", " "))


@dataclass(frozen=True)
class HeadingMatch:
    column: Column
    confidence: float  # 1.0 own heading, 0.9 listed variant, below: a guess by shared words
    how: str  # "heading", "variant" or "close"


@cache
def _variants() -> dict[str, tuple[str, ...]]:
    text = resources.files("ropa.ingest").joinpath("headings.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)["headings"]
    return {key: tuple(values) for key, values in table.items()}


@cache
def heading_table() -> dict[str, tuple[Column, str]]:
    """Heading key -> (column, how); a column's own heading wins over any variant."""
    by_key = {c.key: c for c in COLUMNS}
    unknown = set(_variants()) - set(by_key)
    if unknown:
        raise ValueError(f"headings.toml names columns that do not exist: {sorted(unknown)}")
    index: dict[str, tuple[Column, str]] = {}
    for column in COLUMNS:
        index.setdefault(heading_key(column.heading), (column, "heading"))
    for column in COLUMNS:
        for text in column.aliases:
            index.setdefault(heading_key(text), (column, "variant"))
    for key, texts in _variants().items():
        for text in texts:
            index.setdefault(heading_key(text), (by_key[key], "variant"))
    return index


@cache
def _words() -> dict[int, list[tuple[int, frozenset[str], Column]]]:
    """The known headings' word sets (with their place in the table), by how many words they have."""
    by_size: dict[int, list[tuple[int, frozenset[str], Column]]] = {}
    for place, (k, (column, _)) in enumerate(heading_table().items()):
        words = frozenset(k.split())
        if len(words) >= 2:
            by_size.setdefault(len(words), []).append((place, words, column))
    return by_size


@cache
def _close_candidates(size: int) -> list[tuple[int, frozenset[str], Column]]:
    """Known headings that could share CLOSE_ENOUGH of their words with a heading of ``size`` words, in table order.

    Two sets of a and b words share at most min(a, b) / max(a, b) of their
    union, so only sizes within that ratio can reach it (a data cell holding
    a long sentence is compared with nothing).
    """
    return sorted((entry for known, entries in _words().items()
                   if min(known, size) >= CLOSE_ENOUGH * max(known, size) for entry in entries),
                  key=lambda entry: entry[0])


@cache
def match_heading(text: str) -> HeadingMatch | None:
    """The column ``text`` names, if any, with how sure the match is."""
    key = heading_key(text)
    if not key:
        return None
    found = heading_table().get(key)
    if found is not None:
        return HeadingMatch(found[0], 1.0 if found[1] == "heading" else 0.9, found[1])
    words = frozenset(key.split())
    if len(words) < 2:
        return None
    best: tuple[float, Column] | None = None
    for _, known, column in _close_candidates(len(words)):
        shared = len(words & known) / len(words | known)
        if shared >= CLOSE_ENOUGH and (best is None or shared > best[0]):
            best = (shared, column)
    if best is None:
        return None
    return HeadingMatch(best[1], round(0.8 * best[0], 2), "close")
