"""Figures about the personal data: which categories each entity holds, and where data flows."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ropa.charts.common import (
    TOP_ENTITIES,
    Cell,
    cells,
    empty_figure,
    figure,
    fold,
    height_for,
    layout,
    safe_text,
    short,
    totals,
)
from ropa.charts.palette import (
    BLUE,
    BLUISH_GREEN,
    GREY,
    ORANGE,
    ORDINARY_SCALE,
    REDDISH_PURPLE,
    SPECIAL_SCALE,
    VERMILLION,
)


def categories_heatmap(frame: pd.DataFrame, *, top: int = TOP_ENTITIES) -> go.Figure:
    """Entities x data categories, special (Art. 9) and criminal (Art. 10) data on a vermillion scale.

    ``frame``: entity, category (column key), category_label, sensitive (bool),
    position (column order), activities, activity_ids. Cells count the
    activities of the entity that hold that category. An invisible marker on
    every non-empty cell carries its activity ids, because Plotly cannot
    select heat-map cells.
    """
    title = "Personal-data categories by entity (Art. 30(1)(c); Art. 9 and 10 data highlighted)"
    if frame.empty:
        return empty_figure(title, "No personal-data categories recorded for the filtered activities.")
    columns: dict[str, tuple[str, bool, int]] = {}
    for key, label, sensitive, position in zip(frame["category"].tolist(), frame["category_label"].tolist(),
                                               frame["sensitive"].tolist(), frame["position"].tolist(), strict=True):
        columns.setdefault(str(key), (safe_text(label), bool(sensitive), int(position)))
    order = sorted(columns, key=lambda k: (columns[k][1], columns[k][2], k))
    items = fold([Cell(safe_text(c.axis), c.series, c.value, c.parts)
                  for c in cells(frame, "entity", "category", "activities")], top, "Other entities")
    sums = totals(items)
    top_down = sorted((e for e in sums if not e.startswith("Other entities (")), key=lambda e: (-sums[e], e))
    rows = [e for e in sums if e.startswith("Other entities (")] + top_down[::-1]
    counts = {(c.axis, c.series): c.value for c in items}
    traces: list[dict[str, Any]] = []
    for sensitive, scale in ((False, ORDINARY_SCALE), (True, SPECIAL_SCALE)):
        keys = [k for k in order if columns[k][1] == sensitive]
        if not keys:
            continue
        traces.append({
            "type": "heatmap", "x": keys, "y": rows,
            "z": [[counts.get((row, key)) for key in keys] for row in rows],
            "colorscale": scale, "showscale": False, "zmin": 0, "texttemplate": "%{z}", "hoverinfo": "skip",
            "xgap": 1, "ygap": 1, "name": "Special and criminal data" if sensitive else "Other personal data",
        })
    marks = [c for c in items if c.value > 0]
    traces.append({
        "type": "scatter", "mode": "markers", "name": "cells", "showlegend": False,
        "x": [c.series for c in marks], "y": [c.axis for c in marks],
        "marker": {"size": 18, "opacity": 0, "color": GREY, "symbol": "square"},
        "selected": {"marker": {"opacity": 0.45, "color": GREY}},
        "unselected": {"marker": {"opacity": 0}},
        "customdata": [c.ids_text() for c in marks],
        "hovertext": [f"{columns[c.series][0]} · {c.axis}" for c in marks],
        "text": [str(c.value) for c in marks],
        "hovertemplate": "%{hovertext}<br>%{text} activities<extra></extra>",
    })
    ticktext = [
        f'<span style="color:{VERMILLION}"><b>{short(columns[k][0], 30)}</b></span>' if columns[k][1]
        else short(columns[k][0], 30)
        for k in order
    ]
    return figure(traces, layout(
        title=title, height=height_for(len(rows), row_height=24, extra=260), showlegend=False,
        plot_bgcolor="white",
        xaxis={"categoryorder": "array", "categoryarray": order, "tickvals": order, "ticktext": ticktext,
               "tickangle": -45, "showgrid": False, "automargin": True},
        yaxis={"categoryorder": "array", "categoryarray": rows, "showgrid": False, "automargin": True,
               "title": {"text": "Entity"}},
    ))


LAYERS: dict[str, str] = {"subject": "data subjects", "function": "business functions",
                          "recipient": "recipient categories", "country": "destination countries"}
_LAYER_COLOURS = {"subject": BLUE, "function": BLUISH_GREEN, "recipient": ORANGE, "country": REDDISH_PURPLE}


Link = tuple[str, str, str, str]


def _fold_layer(links: dict[Link, int], layer: str, top: int) -> dict[Link, int]:
    """Keep the ``top`` nodes of ``layer`` with the widest flow; the rest become one "Other" node."""
    weights: dict[str, int] = {}
    for (source_layer, source, target_layer, target), value in links.items():
        for node_layer, node in ((source_layer, source), (target_layer, target)):
            if node_layer == layer:
                weights[node] = max(weights.get(node, 0), value)
    if len(weights) <= top:
        return links
    keep = set(sorted(weights, key=lambda n: (-weights[n], n))[:top])
    other = f"Other {LAYERS[layer]} ({len(weights) - top})"
    folded: dict[Link, int] = {}
    for (source_layer, source, target_layer, target), value in links.items():
        if source_layer == layer and source not in keep:
            source = other
        if target_layer == layer and target not in keep:
            target = other
        key = (source_layer, source, target_layer, target)
        folded[key] = folded.get(key, 0) + value
    return folded


_LAYER_X = {"subject": 0.001, "function": 0.33, "recipient": 0.66, "country": 0.999}


def _node_positions(links: dict[Link, int]) -> tuple[list[tuple[str, str]], list[float], list[float]]:
    """Nodes with fixed positions: one column per layer, widest flow on top, "Other" at the bottom.

    Fixed columns keep a recipient category without a country in the recipients
    column instead of letting Plotly push it to the last one.
    """
    inflow: dict[tuple[str, str], int] = {}
    outflow: dict[tuple[str, str], int] = {}
    for (source_layer, source, target_layer, target), value in links.items():
        outflow[(source_layer, source)] = outflow.get((source_layer, source), 0) + value
        inflow[(target_layer, target)] = inflow.get((target_layer, target), 0) + value
    weights = {k: max(inflow.get(k, 0), outflow.get(k, 0)) for k in {*inflow, *outflow}}
    keys: list[tuple[str, str]] = []
    xs: list[float] = []
    ys: list[float] = []
    for layer in LAYERS:
        members = sorted((k for k in weights if k[0] == layer),
                         key=lambda k: (k[1].startswith("Other "), -weights[k], k[1]))
        total = sum(weights[k] for k in members) or 1
        done = 0
        for key in members:
            keys.append(key)
            xs.append(_LAYER_X[layer])
            ys.append(round(0.02 + 0.94 * (done + weights[key] / 2) / total, 4))
            done += weights[key]
    return keys, xs, ys


def data_flows_sankey(frame: pd.DataFrame, *, top: int = 10) -> go.Figure:
    """Data subjects -> business functions -> recipient categories -> destination countries.

    ``frame``: source_layer, source, target_layer, target, activities (one
    row per link; layers are the keys of ``LAYERS``). Link width is the
    number of activities with that flow. Each layer keeps its ``top`` nodes
    and folds the rest into "Other".
    """
    title = "Data flows: data subjects → business functions → recipients → countries"
    if frame.empty:
        return empty_figure(title, "No data flows recorded for the filtered activities.")
    links: dict[Link, int] = {}
    for link in zip(frame["source_layer"].tolist(), frame["source"].tolist(), frame["target_layer"].tolist(),
                    frame["target"].tolist(), frame["activities"].tolist(), strict=True):
        key = (str(link[0]), safe_text(link[1]), str(link[2]), safe_text(link[3]))
        links[key] = links.get(key, 0) + int(link[4])
    for layer in LAYERS:
        links = _fold_layer(links, layer, top)
    keys, xs, ys = _node_positions(links)
    nodes = {key: i for i, key in enumerate(keys)}
    sankey = {
        "type": "sankey", "arrangement": "snap",
        "node": {"label": [short(name, 34) for _, name in keys],
                 "color": [_LAYER_COLOURS[layer] for layer, _ in keys],
                 "x": xs, "y": ys, "pad": 6, "thickness": 14,
                 "customdata": [f"{name} ({LAYERS[layer][:-1]})" for layer, name in keys],
                 "hovertemplate": "%{customdata}<br>%{value} activities<extra></extra>"},
        "link": {"source": [nodes[(link[0], link[1])] for link in links],
                 "target": [nodes[(link[2], link[3])] for link in links],
                 "value": list(links.values()),
                 "color": "rgba(153,153,153,0.35)",
                 "hovertemplate": "%{source.customdata} → %{target.customdata}<br>%{value} activities"
                                  "<extra></extra>"},
    }
    per_layer = max(sum(1 for layer, _ in keys if layer == name) for name in LAYERS)
    headings = [{"text": f"<b>{LAYERS[layer].capitalize()}</b>", "x": position, "y": 1.0, "xref": "paper",
                 "yref": "paper", "showarrow": False, "yanchor": "bottom",
                 "xanchor": "left" if position == 0 else "right" if position == 1 else "center",
                 "font": {"size": 12}}
                for layer, position in zip(LAYERS, (0.0, 0.33, 0.66, 1.0), strict=True)]
    return figure([sankey], layout(title=title, height=max(420, min(900, per_layer * 42 + 140)),
                                   annotations=headings, margin={"l": 10, "r": 10, "t": 80, "b": 30}))
