"""The dashboard in a real browser: every chart draws, the console stays clean, nothing leaves the machine.

Starts the app on a free local port with a temporary register holding the
demo, opens the dashboard in headless Chromium, and records every request
the page makes: the world map must come from the app itself, not a CDN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.browsing import CHROMIUM, chromium, settle

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "artifacts" / "screenshots" / "dashboard.png"
CHARTS = 10
CHART = '[data-testid="stVegaLiteChart"]'
DRAWN = f"{CHART} svg.marks:has(.role-mark > path, .role-mark > text)"
"""A chart Vega has drawn: its SVG holds marks (bars, shapes, bands, or an empty chart's sentence)."""
SHAPES = "svg.marks .mark-shape.role-mark > path"

if not CHROMIUM.exists():
    pytest.skip("needs Chromium at /usr/bin/chromium", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def test_dashboard_draws_every_chart_offline_without_console_errors(demo_app: str) -> None:
    errors: list[str] = []
    failed: list[str] = []
    with chromium() as session:
        page = session.page
        # Every console error and failed response, none excused (the session's own lists excuse base-path probes).
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("response", lambda response: failed.append(f"{response.status} {response.url}")
                if response.status >= 400 else None)
        page.set_viewport_size({"width": 1500, "height": 1000})
        # Arrive as a person does, from the app's home page through the sidebar (a deep link makes
        # Streamlit probe /dashboard/_stcore/... for a base path first, which logs two 404s).
        page.goto(demo_app, wait_until="domcontentloaded")
        page.get_by_role("link", name="Dashboard").click(timeout=60_000)
        page.wait_for_url("**/dashboard", timeout=30_000)
        page.wait_for_function(f"document.querySelectorAll({DRAWN!r}).length >= {CHARTS}", timeout=90_000)
        # The map is drawn once its topojson has arrived: country shapes in the map's geoshape marks.
        page.wait_for_function(f"document.querySelectorAll({SHAPES!r}).length >= 100", timeout=60_000)
        settle(page)
        plots = page.locator(CHART).count()
        drawn = page.locator(DRAWN).count()
        # Streamlit scrolls inside its own container, so a tall window shows the whole page at once;
        # the charts redraw at the new size before the picture is taken.
        page.set_viewport_size({"width": 1500, "height": 7600})
        settle(page)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
        # Click-through: a bar of the first chart opens the register on its activities (clicked where the
        # bar is, as a mouse would).
        box = page.locator(CHART).first.locator("svg.marks .mark-rect.role-mark > path").first.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        notice = page.get_by_text("activities from Dashboard, Activities by entity and business function")
        notice.wait_for(timeout=60_000)
        opened = page.url
        requests = list(session.requests)
        outside = session.foreign_requests()
    assert plots == CHARTS
    assert drawn == CHARTS
    assert not failed, failed
    assert not errors, errors
    assert not outside, f"requests left the machine: {outside}"
    assert any(u.endswith("/app/static/topojson/world_50m.json") for u in requests)
    assert urlparse(opened).path in ("/", "/register")  # the register is the app's default page


def test_downloaded_map_draws_from_a_file_with_the_network_cut_off(tmp_path: Path) -> None:
    """The HTML download carries Vega-Lite and the world map inline: it opens on a plane."""
    pytest.importorskip("vl_convert", reason="the HTML export needs vl-convert-python")
    from datetime import date

    import pandas as pd

    from ropa import charts

    frame = pd.DataFrame([{"country": "US", "iso3": "USA", "country_name": "United States", "state": "invalid",
                           "transfers": 2, "activities": 1, "activity_ids": [1], "detail": "2 × invalid"}])
    world = (ROOT / "static" / "topojson" / f"{charts.WORLD_TOPOJSON}.json").read_text(encoding="utf-8")
    page_file = tmp_path / "map.html"
    page_file.write_text(charts.chart_html(charts.transfers_map(frame, date(2026, 1, 1)), title="Transfers",
                                           topojson={charts.WORLD_TOPOJSON: world}), encoding="utf-8")
    requests: list[str] = []

    def file_only(route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            requests.append(route.request.url)
            route.abort()

    with chromium() as session:
        session.page.route("**/*", file_only)
        session.page.goto(page_file.as_uri())
        session.page.wait_for_function(f"document.querySelectorAll({SHAPES!r}).length >= 100", timeout=30_000)
        # The one country with a transfer is drawn in its state's colour.
        fills = session.page.locator(SHAPES).evaluate_all("paths => paths.map(p => p.getAttribute('fill'))")
        errors = list(session.console_errors)
    assert requests == []
    assert charts.palette.TRANSFER_STATE_COLOURS["invalid"] in fills
    assert not errors, errors
