"""The international transfers map: where data goes, and whether the Chapter V tool holds on the day.

Countries are filled with the colour of their worst transfer state and also
get a marker, because many destinations (Singapore, Jersey, Malta) are too
small to click on a world map. The map needs the world topojson, which the
app serves itself (see ``WORLD_TOPOJSON``): nothing is fetched from a CDN.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ropa.charts.common import empty_figure, figure, ids_text, layout
from ropa.charts.palette import TRANSFER_STATE_COLOURS, TRANSFER_STATE_LABELS, TRANSFER_STATES

# plotly.js names the topojson it needs "<scope>_<resolution>m"; the 1:50m
# world includes small states (Singapore, Malta, Jersey) the 1:110m one lacks.
GEO_RESOLUTION = 50
WORLD_TOPOJSON = f"world_{GEO_RESOLUTION}m"


def _marker_size(transfers: int, most: int) -> float:
    """8 to 22 pixels, by area proportional to the number of transfers."""
    return round(8 + 14 * math.sqrt(max(transfers, 0) / max(most, 1)), 1)


def transfers_map(frame: pd.DataFrame, as_of: date) -> go.Figure:
    """Destination countries coloured by the state of their transfer mechanism on ``as_of``.

    ``frame``: country (ISO alpha-2), iso3, country_name, state (worst state
    for that country, a key of ``TRANSFER_STATES``), transfers, activities,
    activity_ids, detail (e.g. "2 × Art. 46 safeguard, 1 × invalid mechanism").
    """
    title = f"International transfers on {as_of.day} {as_of:%B %Y} (Chapter V)"
    if frame.empty:
        return empty_figure(title, "No transfers recorded for the filtered activities.")
    most = int(frame["transfers"].max())
    traces: list[dict[str, Any]] = []
    for state in TRANSFER_STATES:
        part = frame[frame["state"] == state]
        if part.empty:
            continue
        colour = TRANSFER_STATE_COLOURS[state]
        common: dict[str, Any] = {
            "locations": list(part["iso3"]), "locationmode": "ISO-3", "name": TRANSFER_STATE_LABELS[state],
            "legendgroup": state, "customdata": [ids_text(v) for v in part["activity_ids"]],
            "hovertext": [f"{name}: {detail}"
                          for name, detail in zip(part["country_name"], part["detail"], strict=True)],
            "hovertemplate": "%{hovertext}<extra></extra>",
        }
        traces.append({"type": "choropleth", **common, "z": [1] * len(part), "showscale": False,
                       "colorscale": [[0, colour], [1, colour]], "showlegend": True,
                       "marker": {"line": {"color": "white", "width": 0.5}}})
        traces.append({"type": "scattergeo", **common, "mode": "markers", "showlegend": False,
                       "marker": {"color": colour, "size": [_marker_size(int(n), most) for n in part["transfers"]],
                                  "line": {"color": "white", "width": 1}}})
    return figure(traces, layout(
        title=title, height=520, margin={"l": 0, "r": 0, "t": 60, "b": 0},
        # Over the South Pacific, so the map keeps the full width of the page.
        legend={"x": 0.01, "y": 0.02, "xanchor": "left", "yanchor": "bottom", "traceorder": "normal",
                "bgcolor": "rgba(255,255,255,0.85)", "title": {"text": "Transfer mechanism"}},
        geo={"projection": {"type": "natural earth"}, "resolution": GEO_RESOLUTION, "showframe": False,
             "showcountries": True, "countrycolor": "#BBBBBB", "showland": True, "landcolor": "#F2F2F2",
             "showocean": False, "showlakes": False, "showcoastlines": False, "lataxis": {"range": [-58, 85]}},
    ))
