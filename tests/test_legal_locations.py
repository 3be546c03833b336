"""Countries named in a free-text data location are found once per wording and judged like destinations."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ropa.legal.locations import countries_named, location_countries_frame


@pytest.mark.parametrize(("text", "codes"), [
    ("AWS us-east-1, United States", ["US"]),
    ("Hosted by us in Ireland; backups in Germany", ["IE", "DE"]),
    ("Frankfurt and the US", ["US"]),
    ("UK data centre", ["GB"]),
    ("Viet Nam and Türkiye", ["VN", "TR"]),
    ("in any other country", []),
    ("United States and the USA", ["US"]),
])
def test_countries_named_in_a_location(text: str, codes: list[str]) -> None:
    assert countries_named(text) == codes


def test_location_frame_judges_each_country_for_each_regime() -> None:
    keys = pd.DataFrame({"regime": ["eu_gdpr", "uk_gdpr"], "location": ["Ireland and India", "Ireland and India"]})
    frame = location_countries_frame(keys, date(2026, 12, 1))
    restricted = {(r.regime, r.country): r.restricted for r in frame.itertuples()}
    assert restricted == {("eu_gdpr", "IE"): False, ("eu_gdpr", "IN"): True,
                          ("uk_gdpr", "IE"): True, ("uk_gdpr", "IN"): True}
