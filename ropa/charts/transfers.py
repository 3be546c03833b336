"""The international transfers map: where data goes, and whether the Chapter V tool holds on the day.

Countries are filled with the colour of their worst transfer state and also
get a marker, because many destinations (Singapore, Jersey, Malta) are too
small to click on a world map. The map needs the world topojson, which the
app serves itself (see ``WORLD_URL``): nothing is fetched from a CDN.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd

from ropa.charts.common import PICK, Target, base, clickable, empty_chart, highlight, ids_text, pick
from ropa.charts.palette import TRANSFER_STATE_COLOURS, TRANSFER_STATE_LABELS, TRANSFER_STATES

# The 1:50m world includes small states (Singapore, Malta, Jersey) the 1:110m one lacks; each country
# carries its centre (``properties.ct``, longitude and latitude), where its marker goes.
GEO_RESOLUTION = 50
WORLD_TOPOJSON = f"world_{GEO_RESOLUTION}m"
WORLD_URL = f"/app/static/topojson/{WORLD_TOPOJSON}.json"
"""Where the browser finds the map when the app is served at the root (the page passes its own base path)."""


def world_data(url: str) -> dict[str, Any]:
    """The countries of the world topojson, as a Vega-Lite data source."""
    return {"url": url, "format": {"type": "topojson", "feature": "countries"}}


def _marker_size(transfers: int, most: int) -> float:
    """8 to 22 pixels across, by area proportional to the number of transfers (Vega-Lite sizes are areas)."""
    across = 8 + 14 * math.sqrt(max(transfers, 0) / max(most, 1))
    return round(math.pi / 4 * across * across, 1)


def transfers_map(frame: pd.DataFrame, as_of: date, *, world_url: str = WORLD_URL) -> dict[str, Any]:
    """Destination countries coloured by the state of their transfer mechanism on ``as_of``.

    ``frame``: country (ISO alpha-2), iso3, country_name, state (worst state
    for that country, a key of ``TRANSFER_STATES``), transfers, activities,
    activity_ids, detail (e.g. "2 × Art. 46 safeguard, 1 × invalid mechanism").
    """
    title = f"International transfers on {as_of.day} {as_of:%B %Y} (Chapter V)"
    if frame.empty:
        return empty_chart(title, "No transfers recorded for the filtered activities.")
    most = int(frame["transfers"].max())
    rank = {state: i for i, state in enumerate(TRANSFER_STATES)}
    rows: list[dict[str, Any]] = []
    targets: dict[str, Target] = {}
    for number, (iso3, name, state, transfers, ids, detail) in enumerate(sorted(zip(
            frame["iso3"].tolist(), frame["country_name"].tolist(), frame["state"].tolist(),
            frame["transfers"].tolist(), frame["activity_ids"].tolist(), frame["detail"].tolist(), strict=True),
            key=lambda row: rank[str(row[2])])):
        key = str(number)
        rows.append({"key": key, "iso3": str(iso3), "state": TRANSFER_STATE_LABELS[str(state)],
                     "label": f"{name}: {detail}", "size": _marker_size(int(transfers), most)})
        targets[key] = (ids_text(ids), f"{name}: {detail}")
    shown = [s for s in TRANSFER_STATES if (frame["state"] == s).any()]
    colour = {"field": "state", "type": "nominal", "title": "Transfer mechanism",
              "scale": {"domain": [TRANSFER_STATE_LABELS[s] for s in shown],
                        "range": [TRANSFER_STATE_COLOURS[s] for s in shown]},
              "legend": {"orient": "bottom-left", "fillColor": "rgba(255,255,255,0.85)", "padding": 6,
                         "labelLimit": 260}}
    tooltip = [{"field": "label", "type": "nominal", "title": "Transfers"}]
    world = world_data(world_url)
    lookup = {"lookup": "id", "from": {"data": {"values": rows}, "key": "iso3",
                                      "fields": ["key", "state", "label", "size"]}}
    recorded = "datum.key != null"
    return clickable({
        **base(title, 520),
        "projection": {"type": "naturalEarth1"},
        "layer": [
            # Every country in one layer (one set of shapes to draw): grey, or its state's colour.
            {"data": world, "transform": [{"filter": "datum.id != 'ATA'"}, lookup], "params": [pick()],
             "mark": {"type": "geoshape", "stroke": "#BBBBBB", "strokeWidth": 0.5, "cursor": "pointer"},
             "encoding": {"color": {"condition": {"test": recorded, **colour}, "value": "#F2F2F2"},
                          "opacity": highlight(),
                          "tooltip": {"condition": {"test": recorded, **tooltip[0]}, "value": None}}},
            {"data": world, "params": [pick(name=f"{PICK}_marker")],
             "transform": [lookup, {"filter": recorded},
                           {"calculate": "datum.properties.ct[0]", "as": "longitude"},
                           {"calculate": "datum.properties.ct[1]", "as": "latitude"}],
             "mark": {"type": "circle", "stroke": "white", "strokeWidth": 1, "opacity": 1, "cursor": "pointer"},
             "encoding": {"longitude": {"field": "longitude", "type": "quantitative"},
                          "latitude": {"field": "latitude", "type": "quantitative"},
                          "size": {"field": "size", "type": "quantitative", "scale": None},
                          "color": {**colour, "legend": None}, "opacity": highlight(), "tooltip": tooltip}},
        ],
    }, targets)
