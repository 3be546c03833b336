"""Figures about the personal data: which categories each entity holds, and where data flows."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ropa.charts.common import (
    TOP_ENTITIES,
    empty_figure,
    figure,
    fold_other,
    height_for,
    ids_text,
    layout,
    safe_text,
    short,
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

_COLUMN_KEYS = ["category", "category_label", "sensitive", "position"]


def _rows(data: pd.DataFrame) -> list[str]:
    """Entity rows bottom to top: "Other" at the bottom, then the fewest activities up to the most."""
    totals = data.groupby("entity", sort=False)["activities"].sum().reset_index()
    totals["is_other"] = totals["entity"].str.startswith("Other entities (")
    totals = totals.sort_values(["is_other", "activities", "entity"], ascending=[False, True, False])
    return [str(v) for v in totals["entity"]]


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
    data = frame.assign(entity=[safe_text(e) for e in frame["entity"]],
                        category_label=[safe_text(c) for c in frame["category_label"]])
    data = fold_other(data, "entity", "activities", top, "Other entities", keys=_COLUMN_KEYS)
    columns = data[_COLUMN_KEYS].drop_duplicates("category").sort_values(["sensitive", "position"])
    rows = _rows(data)
    counts = {(e, c): int(n) for e, c, n in zip(data["entity"], data["category"], data["activities"], strict=True)}
    traces: list[dict[str, Any]] = []
    for sensitive, scale in ((False, ORDINARY_SCALE), (True, SPECIAL_SCALE)):
        keys = list(columns.loc[columns["sensitive"] == sensitive, "category"])
        if not keys:
            continue
        traces.append({
            "type": "heatmap", "x": keys, "y": rows,
            "z": [[counts.get((row, key)) for key in keys] for row in rows],
            "colorscale": scale, "showscale": False, "zmin": 0, "texttemplate": "%{z}", "hoverinfo": "skip",
            "xgap": 1, "ygap": 1, "name": "Special and criminal data" if sensitive else "Other personal data",
        })
    marks = data[data["activities"] > 0]
    labels = dict(zip(columns["category"], columns["category_label"], strict=True))
    traces.append({
        "type": "scatter", "mode": "markers", "name": "cells", "showlegend": False,
        "x": list(marks["category"]), "y": list(marks["entity"]),
        "marker": {"size": 18, "opacity": 0, "color": GREY, "symbol": "square"},
        "selected": {"marker": {"opacity": 0.45, "color": GREY}},
        "unselected": {"marker": {"opacity": 0}},
        "customdata": [ids_text(ids) for ids in marks["activity_ids"]],
        "hovertext": [f"{labels[c]} · {e}" for c, e in zip(marks["category"], marks["entity"], strict=True)],
        "text": [str(int(n)) for n in marks["activities"]],
        "hovertemplate": "%{hovertext}<br>%{text} activities<extra></extra>",
    })
    ticktext = [
        f'<span style="color:{VERMILLION}"><b>{short(str(label), 30)}</b></span>' if sensitive
        else short(str(label), 30)
        for label, sensitive in zip(columns["category_label"], columns["sensitive"], strict=True)
    ]
    return figure(traces, layout(
        title=title, height=height_for(len(rows), row_height=24, extra=260), showlegend=False,
        plot_bgcolor="white",
        xaxis={"categoryorder": "array", "categoryarray": list(columns["category"]),
               "tickvals": list(columns["category"]), "ticktext": ticktext, "tickangle": -45,
               "showgrid": False, "automargin": True},
        yaxis={"categoryorder": "array", "categoryarray": rows, "showgrid": False, "automargin": True,
               "title": {"text": "Entity"}},
    ))


LAYERS: dict[str, str] = {"subject": "data subjects", "function": "business functions",
                          "recipient": "recipient categories", "country": "destination countries"}
_LAYER_COLOURS = {"subject": BLUE, "function": BLUISH_GREEN, "recipient": ORANGE, "country": REDDISH_PURPLE}


def _fold_layer(data: pd.DataFrame, layer: str, top: int) -> pd.DataFrame:
    """Keep the ``top`` nodes of ``layer`` with the widest flow; the rest become one "Other" node."""
    weights = pd.concat([
        data.loc[data["source_layer"] == layer, ["source", "activities"]].rename(columns={"source": "node"}),
        data.loc[data["target_layer"] == layer, ["target", "activities"]].rename(columns={"target": "node"}),
    ])
    totals = weights.groupby("node")["activities"].max()
    if len(totals) <= top:
        return data
    keep = set(sorted(totals.index, key=lambda n: (-int(totals[n]), str(n)))[:top])
    other = f"Other {LAYERS[layer]} ({len(totals) - top})"
    data = data.copy()
    data.loc[(data["source_layer"] == layer) & ~data["source"].isin(keep), "source"] = other
    data.loc[(data["target_layer"] == layer) & ~data["target"].isin(keep), "target"] = other
    return data


_LAYER_X = {"subject": 0.001, "function": 0.33, "recipient": 0.66, "country": 0.999}


def _node_positions(data: pd.DataFrame) -> tuple[list[tuple[str, str]], list[float], list[float]]:
    """Nodes with fixed positions: one column per layer, widest flow on top, "Other" at the bottom.

    Fixed columns keep a recipient category without a country in the recipients
    column instead of letting Plotly push it to the last one.
    """
    weights: dict[tuple[str, str], int] = {}
    for layer_col, name_col in (("source_layer", "source"), ("target_layer", "target")):
        sums = data.groupby([layer_col, name_col], as_index=False).agg(activities=("activities", "sum"))
        for layer, name, value in zip(sums[layer_col], sums[name_col], sums["activities"], strict=True):
            key = (str(layer), str(name))
            weights[key] = max(weights.get(key, 0), int(value))
    keys: list[tuple[str, str]] = []
    xs: list[float] = []
    ys: list[float] = []
    for layer in LAYERS:
        members = sorted((k for k in weights if k[0] == layer),
                         key=lambda k: (k[1].startswith("Other "), -weights[k], k[1]))
        total = sum(weights[k] for k in members) or 1
        done = 0
        for key in members:
            share = weights[key] / total
            keys.append(key)
            xs.append(_LAYER_X[layer])
            ys.append(round(0.02 + 0.94 * (done / total + share / 2), 4))
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
    data = frame.assign(source=[safe_text(v) for v in frame["source"]],
                        target=[safe_text(v) for v in frame["target"]])
    for layer in LAYERS:
        data = _fold_layer(data, layer, top)
    data = data.groupby(["source_layer", "source", "target_layer", "target"], as_index=False).agg(
        activities=("activities", "sum"))
    keys, xs, ys = _node_positions(data)
    nodes = {key: i for i, key in enumerate(keys)}
    sankey = {
        "type": "sankey", "arrangement": "snap",
        "node": {"label": [short(name, 34) for _, name in keys],
                 "color": [_LAYER_COLOURS[layer] for layer, _ in keys],
                 "x": xs, "y": ys, "pad": 6, "thickness": 14,
                 "customdata": [f"{name} ({LAYERS[layer][:-1]})" for layer, name in keys],
                 "hovertemplate": "%{customdata}<br>%{value} activities<extra></extra>"},
        "link": {"source": [nodes[(a, b)] for a, b in zip(data["source_layer"], data["source"], strict=True)],
                 "target": [nodes[(a, b)] for a, b in zip(data["target_layer"], data["target"], strict=True)],
                 "value": [int(v) for v in data["activities"]],
                 "color": "rgba(153,153,153,0.35)",
                 "hovertemplate": "%{source.customdata} → %{target.customdata}<br>%{value} activities"
                                  "<extra></extra>"},
    }
    per_layer = max(sum(1 for layer, _ in keys if layer == name) for name in LAYERS)
    headings = [{"text": f"<b>{LAYERS[layer].capitalize()}</b>", "x": position, "y": 1.0, "xref": "paper",
                 "yref": "paper", "showarrow": False, "yanchor": "bottom",
                 "xanchor": "left" if position < 0.5 else "right", "font": {"size": 12}}
                for layer, position in zip(LAYERS, (0.0, 0.33, 0.66, 1.0), strict=True)]
    return figure([sankey], layout(title=title, height=max(420, min(900, per_layer * 42 + 140)),
                                   annotations=headings, margin={"l": 10, "r": 10, "t": 80, "b": 30}))
