"""Countries named in an activity's free-text data location, judged like a transfer destination.

A processor writes where it stores data in words ("AWS eu-west-2 (London) and
United States"). The rules need the countries those words name and whether
storing data there is a Chapter V transfer for the entity's regime. Both are
worked out once per distinct wording and regime, never per activity: a
register of 10,000 activities has a few dozen distinct location texts.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

import pandas as pd
import pycountry

from ropa.legal.regimes import ENTITY_REGIME_SQL
from ropa.legal.transfers import judge
from ropa.reference import lookup_country
from ropa.storage.database import Connection

_ABBREVIATIONS = r"\b(?:UK|USA|US|U\.S\.A\.|U\.S\.|U\.K\.)(?![\w.])"
"""Country abbreviations, matched in capitals only (so 'us' in a sentence is not the United States)."""

_ALIASES = ("United States", "United States of America", "United Kingdom", "Great Britain", "England",
            "South Korea", "Korea")


@cache
def _names_pattern() -> re.Pattern[str]:
    names = set(_ALIASES)
    for country in pycountry.countries:
        names.add(str(country.name))
        common = getattr(country, "common_name", None)
        if common:
            names.add(str(common))
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def countries_named(text: str) -> list[str]:
    """ISO codes of the countries ``text`` names, in order of first mention, each once."""
    found = [m.group(0) for m in _names_pattern().finditer(text)]
    found += re.findall(_ABBREVIATIONS, text)
    codes = [lookup_country(name) for name in found]
    return list(dict.fromkeys(c for c in codes if c))


LOCATION_KEYS_SQL = """
SELECT DISTINCT r.regime, a.data_location AS location
FROM activities a JOIN ({entity_regimes}) r ON r.entity_id = a.entity_id
WHERE coalesce(trim(a.data_location), '') <> ''
"""


def location_countries_frame(keys: pd.DataFrame, day: date) -> pd.DataFrame:
    """Per (regime, location text) key row, one row per country named, with the verdict's ``restricted``."""
    texts = {text: countries_named(text) for text in keys["location"].drop_duplicates()}
    rows = []
    for regime, text in keys.loc[:, ["regime", "location"]].itertuples(index=False, name=None):
        for code in texts[text]:
            verdict = judge(str(regime), code, None, day)
            rows.append({"regime": regime, "location": text, "country": code,
                         "country_name": verdict.destination_name, "restricted": verdict.restricted,
                         "adequate": verdict.adequate})
    columns = ["regime", "location", "country", "country_name", "restricted", "adequate"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"restricted": bool, "adequate": bool})


def register_location_countries(con: Connection, day: date) -> None:
    """Register ``legal_location_countries`` on ``con`` (after ``register_verdicts``, which registers the
    regime frames the key query reads)."""
    keys = con.execute(LOCATION_KEYS_SQL.format(entity_regimes=ENTITY_REGIME_SQL)).df()
    con.register("legal_location_countries", location_countries_frame(keys, day))
