"""The dashboard in real Chromium: time from navigation to the first paint of the last chart.

The app is served by ``streamlit run`` on a free local port over the
benchmark's register (``tests.serving.start_app``, as the browser tests
serve it); each run opens the dashboard in a new page (a new Streamlit
session) and a script installed before the page loads watches every
animation frame until all the charts have drawn their marks (the map
also its country shapes). The figure is that frame's ``performance.now()``:
milliseconds since the navigation started.

A first visit opens each page in a new browser context: an empty cache, so
the browser downloads and compiles Streamlit's scripts and its Vega-Lite
chunk (vega-embed, 0.8 MB) every time, the worst case and the headline figure. A returning visitor
keeps one context, whose cache holds those scripts (Streamlit serves them
as immutable): what a manager who opened the dashboard before waits for.
Both start a new Streamlit session on a server whose caches are warm.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.browsing import CHROMIUM, CHROMIUM_ARGS

CHARTS = 10
"""Vega-Lite charts on the dashboard (the browser test pins the same number)."""
MAP_SHAPES = 100
"""Country shapes the map must have drawn to count: the world's topojson has arrived and been projected."""

_WATCH = """
(() => {
  const want = CHARTS;
  const marks = window.__ropaMarks = {};
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      this.addEventListener('open', () => { marks.websocket_open ??= performance.now(); }, {once: true});
    }
  };
  const painted = new WeakSet();
  // A chart counts once Vega has drawn marks with content: SVG mark elements, or (for charts Streamlit
  // switches to canvas) a canvas with at least one painted pixel.
  const drawn = (chart) => {
    if (painted.has(chart)) return true;
    let done = chart.querySelector('svg.marks .role-mark > path, svg.marks .role-mark > text') !== null;
    const canvas = chart.querySelector('canvas');
    if (!done && canvas && canvas.width > 0 && canvas.height > 0) {
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) { done = true; break; }
    }
    if (done) painted.add(chart);
    return done;
  };
  const tick = () => {
    const charts = Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'));
    const count = charts.filter(drawn).length;
    if (count > 0) marks.first_chart ??= performance.now();
    if (count >= want) marks.all_drawn ??= performance.now();
    // Looked for only once every chart has drawn, so the watch itself costs the page little.
    const shapes = 'svg.marks .mark-shape.role-mark > path';
    const map = count >= want && document.querySelectorAll(shapes).length >= MAP_SHAPES;
    if (map) { window.__allChartsDrawn = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
""".replace("CHARTS", str(CHARTS)).replace("MAP_SHAPES", str(MAP_SHAPES))

_PHASES = """() => {
  const marks = {...window.__ropaMarks};
  const chunk = performance.getEntriesByType('resource').find(e => /\\/embed\\.[^/]*\\.js$/.test(e.name));
  if (chunk) { marks.vega_requested = chunk.startTime; marks.vega_received = chunk.responseEnd; }
  const map = performance.getEntriesByType('resource').find(e => e.name.includes('/topojson/'));
  if (map) marks.map_received = map.responseEnd;
  return marks;
}"""
"""Milestones of one open, in milliseconds since navigation (``vega_*`` absent when the script is cached)."""

PHASES = ("websocket_open", "vega_requested", "vega_received", "first_chart", "all_drawn", "map_received")


@dataclass(frozen=True)
class Open:
    """One dashboard open: seconds to the last chart, CPU seconds on its critical path, milestones in seconds.

    ``cpu_seconds`` is the page's main thread (scripts, layout, painting: Chromium's ``ThreadTime``) plus
    the app server's process, both while the page loaded: far steadier on a busy machine than the wall
    time, and the work a faster dashboard has to remove.
    """

    seconds: float
    cpu_seconds: float
    page_cpu_seconds: float
    server_cpu_seconds: float
    phases: dict[str, float] = field(default_factory=dict)


def _process_cpu_seconds(pid: int) -> float:
    """CPU time of one process (all its threads) so far, from /proc; 0 where there is no /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def dashboard_timer(url: str, server_pid: int) -> tuple[Callable[[bool], Open], Callable[[], None]]:
    """A function timing one dashboard open (first visit, or returning with a warm cache), and a closer."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    viewport = {"width": 1500, "height": 1000}
    returning: Any = browser.new_context(viewport=viewport)

    def open_once(returning_visitor: bool = False) -> Open:
        context: Any = returning if returning_visitor else browser.new_context(viewport=viewport)
        page: Any = context.new_page()
        try:
            page.add_init_script(_WATCH)
            devtools = context.new_cdp_session(page)
            devtools.send("Performance.enable")
            server = _process_cpu_seconds(server_pid)
            page.goto(f"{url}/dashboard", wait_until="commit")
            page.wait_for_function("window.__allChartsDrawn !== undefined", timeout=120_000, polling=100)
            server = _process_cpu_seconds(server_pid) - server
            metrics = {m["name"]: m["value"] for m in devtools.send("Performance.getMetrics")["metrics"]}
            seconds = float(page.evaluate("window.__allChartsDrawn")) / 1000
            marks = page.evaluate(_PHASES)
            main_thread = float(metrics.get("ThreadTime", 0.0))
            return Open(seconds, round(main_thread + server, 3), round(main_thread, 3), round(server, 3),
                        {name: round(float(marks[name]) / 1000, 3) for name in PHASES if name in marks})
        finally:
            page.close()
            if not returning_visitor:
                context.close()

    def close() -> None:
        browser.close()
        playwright.stop()

    return open_once, close
