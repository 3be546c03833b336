"""Free text onto vocabulary keys: the vocabularies' own labels plus the synonyms in ``synonyms.toml``.

Matching is deliberately literal after normalisation (case, punctuation, the
words "article"/"art.", a plural "s"): a DPO must be able to predict what a
phrase maps to, and every decision is shown before anything is saved. Text
that names no key is returned as unmatched so the importer keeps it verbatim.
"""

from __future__ import annotations

import gettext
import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import pycountry

from ropa.reference import VOCABULARY_NAMES, load_reference, lookup_country

MECHANISMS = "transfer_mechanisms"

_ARTICLE = re.compile(r"\b(?:article|art)\b\.?")
_NON_WORD = re.compile(r"[\W_]+")
_PARENTHESES = re.compile(r"\([^)]*\)")
_SEPARATORS = re.compile(r"[;\n\r•|]+")
_LIST_WORDS = re.compile(r",|\band\b|\bor\b|&|/|\+")
_CITATION = re.compile(r"^((?:art )?\d+(?: \d+)*(?: [a-z])?) (.+)$")
_FILLER_START = ("the", "our", "all", "any", "their", "your", "some", "other")
_FILLER_END = ("data", "information", "info", "detail", "record", "only")


@lru_cache(maxsize=16384)
def _singular(token: str) -> str:
    if len(token) <= 3 or token.endswith(("ss", "us", "is")):
        return token
    if token.endswith("sses"):
        return token[:-2]
    if token.endswith("s"):
        return token[:-1]
    return token


@lru_cache(maxsize=65536)
@lru_cache(maxsize=65_536)
def normalise(text: str) -> str:
    """A phrase's comparable form: 'Art. 6(1)(f)' -> 'art 6 1 f', 'Legitimate Interests' -> 'legitimate interest'.

    Remembered: a register repeats the same few hundred labels inside its multi-valued cells, in every row.
    """
    folded = unicodedata.normalize("NFKC", text).casefold().replace("&", " and ")
    folded = _ARTICLE.sub(" art ", folded)
    return " ".join(_singular(t) for t in _NON_WORD.sub(" ", folded).split())


@dataclass(frozen=True)
class Match:
    text: str
    key: str
    how: str  # "label", "synonym" or "close" (after dropping brackets or filler words)


class Matcher:
    """One vocabulary's phrase index."""

    def __init__(self, name: str, index: dict[str, tuple[str, str]]) -> None:
        self.name = name
        self._index = index

    def phrases(self) -> list[tuple[str, str]]:
        """(normalised phrase, key) of every entry."""
        return [(phrase, found[0]) for phrase, found in self._index.items()]

    def match(self, text: str) -> Match | None:
        """The key one phrase names, trying the exact phrase first, then without brackets or filler words."""
        return self.exact(text) or self.near(text)

    def exact(self, text: str) -> Match | None:
        found = self._index.get(normalise(text))
        return Match(text, found[0], found[1]) if found else None

    def near(self, text: str) -> Match | None:
        """The key a phrase names once brackets, filler words or a trailing explanation are dropped."""
        key = normalise(text)
        for candidate in self._near(text, key):
            found = self._index.get(candidate)
            if found:
                return Match(text, found[0], "close")
        return None

    def mentioned(self, text: str) -> list[Match]:
        """Every key whose label or synonym appears as a phrase inside free text, in order of appearance.

        For descriptions kept whole (security measures): the keys only tick
        what the text already says, so spotting is safe there.
        """
        padded = f" {normalise(_URL.sub(' ', text))} "  # a link's 'https' says nothing about encryption
        found: dict[str, tuple[int, Match]] = {}
        for phrase, (key, how) in self._index.items():
            if len(phrase) < 3:
                continue
            at = padded.find(f" {phrase} ")
            if at >= 0 and (key not in found or at < found[key][0]):
                found[key] = (at, Match(phrase, key, how if how != "label" else "label"))
        return [m for _, m in sorted(found.values(), key=lambda item: item[0])]

    def _near(self, text: str, key: str) -> list[str]:
        candidates = [normalise(_PARENTHESES.sub(" ", text))]
        words = key.split()
        while words and words[0] in _FILLER_START:
            words = words[1:]
        while len(words) > 1 and words[-1] in _FILLER_END:
            words = words[:-1]
        candidates.append(" ".join(words))
        for separator in (" - ", " – ", ": ", " (", ", e.g."):
            if separator in text:
                candidates.append(normalise(text.split(separator, 1)[0]))
        cited = _CITATION.match(key)
        if cited:  # "Article 6(1)(a) consent": the article, then the words after it
            candidates += [cited.group(1), cited.group(1).removeprefix("art "), cited.group(2)]
        return [c for c in candidates if c and c != key]


def split_match(text: str, exact: Callable[[str], Match | None],
                near: Callable[[str], Match | None] | None = None,
                parts: dict[str, tuple[list[Match], list[str]]] | None = None) -> tuple[list[Match], list[str]]:
    """Every key a multi-valued cell names, and the parts that name none.

    The cell is split into lines and semicolon-separated parts; a part is
    tried whole (labels may contain commas: "Invoices, billing and payment
    history"), then as a list ("name, email and phone"), and only then
    loosely (without brackets or explanations), so a loose reading never
    swallows a second value. ``parts`` remembers each part's reading: cells
    combine the same few labels in thousands of orders.
    """
    found: list[Match] = []
    rest: list[str] = []
    for part in (p.strip() for p in _SEPARATORS.split(text)):
        if not part:
            continue
        reading = parts.get(part) if parts is not None else None
        if reading is None:
            reading = _split_part(part, exact, near)
            if parts is not None:
                parts[part] = reading
        found.extend(reading[0])
        rest.extend(reading[1])
    return found, rest


def _split_part(part: str, exact: Callable[[str], Match | None],
                near: Callable[[str], Match | None] | None) -> tuple[list[Match], list[str]]:
    """The keys one part of a cell names, and what of it names none."""
    whole = exact(part)
    if whole:
        return [whole], []
    pieces = [p.strip(" .-–") for p in _LIST_WORDS.split(part)]
    pieces = [p for p in pieces if p]
    if len(pieces) > 1:
        matched = [(p, exact(p) or (near(p) if near else None)) for p in pieces]
        if any(m for _, m in matched):
            return [m for _, m in matched if m], [p for p, m in matched if not m]
    loose = near(part) if near else None
    return ([loose], []) if loose else ([], [part])


def _synonym_tables() -> dict[str, dict[str, object]]:
    text = resources.files(__package__).joinpath("synonyms.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _own_terms(name: str) -> list[tuple[str, str, str]]:
    """(key, label, article) of a vocabulary or of the transfer mechanisms."""
    ref = load_reference()
    if name == MECHANISMS:
        return [(m.key, m.label, m.article) for m in ref.transfer_mechanisms]
    return [(t.key, t.label, t.article) for t in ref.vocabulary(name)]


def build_matcher(name: str, synonyms: dict[str, object]) -> Matcher:
    """Labels, keys and (unambiguous) articles first, then the curated synonyms.

    A phrase two keys share among the automatic entries (e.g. an article many
    data categories cite) is dropped; among curated synonyms it is an error.
    """
    index: dict[str, tuple[str, str]] = {}
    ambiguous: set[str] = set()
    terms = _own_terms(name)
    articles = [normalise(article) for _, _, article in terms]
    for key, label, article in terms:
        phrases = [label, key.replace(".", " ").replace("_", " "), f"{label} ({article})"]
        if articles.count(normalise(article)) == 1:
            phrases += [article, normalise(article).removeprefix("art ")]
        for phrase in phrases:
            norm = normalise(phrase)
            if norm in index and index[norm][0] != key:
                ambiguous.add(norm)
            index.setdefault(norm, (key, "label"))
    for norm in ambiguous:
        del index[norm]
    keys = {key for key, _, _ in terms}
    for key, entries in synonyms.items():
        if key == "article":
            continue
        if key not in keys:
            raise ValueError(f"synonyms.toml [{name}]: '{key}' is not a key of the vocabulary")
        if not isinstance(entries, list):
            raise ValueError(f"synonyms.toml [{name}]: '{key}' must be a list of phrases")
        for phrase in entries:
            norm = normalise(str(phrase))
            if norm in index and index[norm][0] != key:
                raise ValueError(f"synonyms.toml [{name}]: '{phrase}' names both '{index[norm][0]}' and '{key}'")
            index.setdefault(norm, (key, "synonym"))
    return Matcher(name, index)


@cache
def matchers() -> dict[str, Matcher]:
    """A matcher for every vocabulary and for the transfer mechanisms (built once per process)."""
    tables = _synonym_tables()
    result: dict[str, Matcher] = {}
    for name in (*VOCABULARY_NAMES, MECHANISMS):
        table = tables.get(name, {})
        if not isinstance(table, dict):
            raise ValueError(f"synonyms.toml: [{name}] must be a table")
        result[name] = build_matcher(name, table)
    return result


_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+", re.IGNORECASE)


@cache
def _translated_countries() -> dict[str, str]:
    """Country names in French and German (pycountry's ISO 3166 translations) -> alpha-2 code."""
    names: dict[str, str] = {}
    for language in ("fr", "de"):
        try:
            translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        except OSError:
            continue
        for country in pycountry.countries:
            for name in {getattr(country, "name", ""), getattr(country, "common_name", "")} - {""}:
                names.setdefault(normalise(translation.gettext(name)), str(country.alpha_2))
    return names


def match_country(text: str) -> Match | None:
    """A country by ISO code or name (pycountry), in English, French or German, as a match."""
    code = lookup_country(text) or _translated_countries().get(normalise(text))
    return Match(text, code, "label") if code else None
