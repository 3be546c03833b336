"""Smaller things a DPO noticed: dates as YYYY-MM-DD everywhere, chart captions naming the legend's hues."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ropa.charts.palette import (
    BLUISH_GREEN,
    ORANGE,
    REVIEW_STATE_COLOURS,
    REVIEW_STATE_LABELS,
    TRANSFER_STATE_COLOURS,
    TRANSFER_STATE_LABELS,
    VERMILLION,
)

ROOT = Path(__file__).resolve().parent.parent
HUES = {VERMILLION: "vermillion", ORANGE: "orange", BLUISH_GREEN: "bluish green"}
"""The names the captions may give the palette's hues (Okabe-Ito's own names)."""
COLOUR_WORDS = re.compile(r"\b(red|orange|vermillion|green|bluish green|blue|yellow|purple|grey|gray)\b")


@pytest.fixture(scope="module")
def dashboard(demo_app_env: Path) -> AppTest:
    """The dashboard drawn once over the demo: every test here only reads what it shows."""
    return AppTest.from_file(str(ROOT / "screens" / "dashboard.py"), default_timeout=120).run()


def test_the_dashboards_as_of_date_reads_yyyy_mm_dd(dashboard: AppTest) -> None:
    assert not dashboard.exception
    picker = dashboard.date_input(key="dashboard_as_of")
    assert picker.proto.format == "YYYY-MM-DD"
    assert not any(re.search(r"\b\d{1,2} [A-Z][a-z]+ \d{4}\b", c.value) for c in dashboard.caption)


@pytest.mark.parametrize(("labels", "colours"), [
    pytest.param(TRANSFER_STATE_LABELS, TRANSFER_STATE_COLOURS, id="transfer-map"),
    pytest.param(REVIEW_STATE_LABELS, REVIEW_STATE_COLOURS, id="review-status"),
])
def test_a_colour_a_caption_names_is_the_hue_of_the_legend_entry_it_names(
        dashboard: AppTest, labels: dict[str, str], colours: dict[str, str]) -> None:
    named = 0
    for caption in (c.value for c in dashboard.caption):
        for hue, label in re.findall(COLOUR_WORDS.pattern + r"(?: \w+)? \(([^)]+)\)", caption):
            state = next((k for k, v in labels.items() if v == label), None)
            if state is None:
                continue
            named += 1
            assert HUES.get(colours[state]) == hue, (caption, label)
    assert named >= 1


def test_no_caption_names_a_hue_the_palette_does_not_use(dashboard: AppTest) -> None:
    used = set(HUES.values())
    for caption in (c.value for c in dashboard.caption):
        for word in COLOUR_WORDS.findall(caption):
            assert word in used, (word, caption)


def test_today_reads_the_same_in_the_caption_as_on_every_page(dashboard: AppTest) -> None:
    assert any(date.today().isoformat() in c.value for c in dashboard.caption)
