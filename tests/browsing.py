"""Driving the served app in headless Chromium (Debian's, at /usr/bin/chromium): shared by the browser tests.

Every request the page makes is recorded, so a test can prove that nothing
but the app's own host was contacted, and console errors are collected.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
"""Headless Chromium that starts no background traffic of its own (so every request seen is the page's)."""
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"

needs_chromium = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"),
]


@dataclass
class Browser:
    page: Any
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        """Every request to a host other than this machine's loopback names."""
        return sorted({url for url in self.requests
                       if urlsplit(url).scheme in ("http", "https", "ws", "wss")
                       and urlsplit(url).hostname not in LOCAL_HOSTS})


def base_path_probe(url: str) -> bool:
    """Streamlit's page, opened at /<page>, first looks for its server under that path: an expected 404."""
    path = urlsplit(url).path
    return path.endswith(("/_stcore/health", "/_stcore/host-config")) and not path.startswith("/_stcore/")


@contextmanager
def chromium() -> Iterator[Browser]:
    """A fresh browser profile (no cookies). To arrive signed in behind a proxy, go through ``tests.proxying``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1600})
            page = context.new_page()
            session = Browser(page)
            page.on("request", lambda request: session.requests.append(request.url))
            page.on("console", lambda message: session.console_errors.append(
                f"{message.text} ({message.location.get('url', '')})")
                if message.type == "error" and not base_path_probe(message.location.get("url", "")) else None)
            page.on("pageerror", lambda error: session.console_errors.append(str(error)))
            page.on("response", lambda response: session.console_errors.append(
                f"HTTP {response.status} for {response.url}")
                if response.status >= 400 and not base_path_probe(response.url) else None)
            yield session
        finally:
            browser.close()


QUIET_MS = 400
"""How long the page must go without a change to count as settled: longer than a rerun takes to start."""

_WATCH_CHANGES = """() => {
  if (window.__ropaChanged === undefined) {
    window.__ropaChanged = performance.now();
    new MutationObserver(() => { window.__ropaChanged = performance.now(); })
      .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  }
  window.__ropaIdleSince = undefined;
}"""
_SETTLED = """(quiet) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const now = performance.now();
  if (app === null || app.getAttribute('data-test-script-state') !== 'notRunning') {
    window.__ropaIdleSince = undefined;
    return false;
  }
  if (window.__ropaIdleSince === undefined) window.__ropaIdleSince = now;
  return now - window.__ropaChanged >= quiet || now - window.__ropaIdleSince >= 8 * quiet;
}"""


def settle(page: Any) -> None:
    """Wait until the script run has finished and the page has stopped changing.

    Polls instead of sleeping: settled is the script idle and no change to the page for ``QUIET_MS``
    (a page that keeps animating counts as settled after eight times that, idle).
    """
    page.evaluate(_WATCH_CHANGES)
    page.wait_for_function(_SETTLED, arg=QUIET_MS, polling=50, timeout=60_000)


def shot(page: Any, name: str) -> None:
    """A full-page screenshot for a person to look at (artifacts/ is not committed)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def click(page: Any, role: str, name: str) -> None:
    """Click the one element with this role and name, once a rerun has stopped drawing old and new copies."""
    from playwright.sync_api import expect

    target = page.get_by_role(role, name=name)
    expect(target).to_have_count(1, timeout=30_000)
    target.click()


def heading(page: Any, text: str) -> None:
    """Wait for the page's title to read ``text`` and the run to settle."""
    from playwright.sync_api import expect

    expect(page.locator("h1").filter(has_text=text).first).to_be_visible(timeout=30_000)
    settle(page)


def grid_text(page: Any, index: int = 0) -> str:
    """The visible text of a data grid (Streamlit mirrors the canvas in an accessible table)."""
    grid = page.locator('[data-testid="stDataFrame"]').nth(index)
    grid.locator('[role="row"]').first.wait_for(state="attached", timeout=30_000)
    return str(grid.locator('[role="rowgroup"], [role="row"]').evaluate_all(
        "nodes => nodes.map(n => n.textContent).join('\\n')"))


def assert_offline_and_clean(session: Browser) -> None:
    """Nothing but this machine was contacted, and the page logged no error."""
    assert not session.foreign_requests(), f"the page contacted other hosts: {session.foreign_requests()}"
    assert not session.console_errors, session.console_errors
