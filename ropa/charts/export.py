"""A figure as a self-contained HTML file that opens offline.

``include_plotlyjs=True`` embeds plotly.js itself; a map also needs the
world topojson, which plotly.js would otherwise fetch from its CDN, so it is
embedded too through ``window.PlotlyGeoAssets`` (the cache plotly.js reads
before fetching anything).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import plotly.graph_objects as go

_HEAD = "<head>"


def _geo_script(topojson: Mapping[str, str]) -> str:
    # JSON text is a valid JS expression; "</" is escaped so it cannot close the script element.
    entries = ",".join(f"{json.dumps(name)}:{_script_safe(text)}" for name, text in topojson.items())
    return f'<script type="text/javascript">window.PlotlyGeoAssets={{topojson:{{{entries}}}}};</script>'


def figure_html(fig: go.Figure, *, title: str, topojson: Mapping[str, str] | None = None) -> str:
    """The figure as one HTML page with everything it needs inline.

    ``topojson`` maps plotly's topojson names (e.g. ``world_50m``) to the
    file's JSON text; pass it for figures with a geo subplot.
    """
    fig = go.Figure(fig)
    fig.update_layout(dragmode="zoom", clickmode="event")
    html = str(fig.to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False}))
    head = f"{_HEAD}<title>{_escape(title)}</title>"
    if topojson and any(trace.type in ("choropleth", "scattergeo") for trace in fig.data):
        head += _geo_script(topojson)
    return html.replace(_HEAD, head, 1)


def _script_safe(text: str) -> str:
    return text.replace("</", "<\\/")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
