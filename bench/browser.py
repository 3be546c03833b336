"""The dashboard in real Chromium: time from navigation to the first paint of the last chart.

The app is served by ``streamlit run`` on a free local port over the
benchmark's register (``tests.serving.start_app``, as the browser tests
serve it); each run opens the dashboard in a new page (a new Streamlit
session) and a script installed before the page loads watches every
animation frame until all the charts have drawn their SVG (the map
also its country shapes). The figure is that frame's ``performance.now()``:
milliseconds since the navigation started.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.browsing import CHROMIUM, CHROMIUM_ARGS

CHARTS = 10
"""Plotly charts on the dashboard (the browser test pins the same number)."""

_WATCH = """
(() => {
  const want = CHARTS;
  const tick = () => {
    const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
    const drawn = plots.filter(p => p.querySelector('.main-svg')).length;
    const map = document.querySelectorAll('.geo .choroplethlocation').length > 0;
    if (drawn >= want && map) { window.__allChartsDrawn = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
""".replace("CHARTS", str(CHARTS))


def dashboard_timer(url: str) -> tuple[Callable[[], float], Callable[[], None]]:
    """A function timing one dashboard open (seconds to the last chart's first paint), and a closer."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

    def open_once() -> float:
        page: Any = browser.new_page(viewport={"width": 1500, "height": 1000})
        try:
            page.add_init_script(_WATCH)
            page.goto(f"{url}/dashboard", wait_until="commit")
            page.wait_for_function("window.__allChartsDrawn !== undefined", timeout=120_000, polling=100)
            return float(page.evaluate("window.__allChartsDrawn")) / 1000
        finally:
            page.close()

    def close() -> None:
        browser.close()
        playwright.stop()

    return open_once, close
