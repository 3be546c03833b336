"""The dashboard in real Chromium: time from navigation to the first paint of the last chart.

The app is served by ``streamlit run`` on a free local port over the
benchmark's register; each run opens the dashboard in a new page (a new
Streamlit session) and a script installed before the page loads watches
every animation frame until all the charts have drawn their SVG (the map
also its country shapes). The figure is that frame's ``performance.now()``:
milliseconds since the navigation started.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(repo: Path, db_path: Path, workdir: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """Start the app over ``db_path``; returns its URL once healthy, and the server process."""
    port = _free_port()
    env = {**os.environ, "ROPA_DB": str(db_path), "ROPA_EXPORT_DIR": str(workdir / "exports"),
           "ROPA_AUTH_MODE": "local", "PYTHONPATH": str(repo)}
    log = (workdir / f"server-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"], cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return url, process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"the app did not start: {(workdir / f'server-{port}.log').read_text()[-300:]}"
                                   ) from None
            time.sleep(0.3)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def dashboard_timer(url: str) -> tuple[Callable[[], float], Callable[[], None]]:
    """A function timing one dashboard open (seconds to the last chart's first paint), and a closer."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run"])

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
