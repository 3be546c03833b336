"""Charts about the personal data: which categories each entity holds, and where data flows."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from ropa.charts.common import (
    TOP_ENTITIES,
    Target,
    base,
    cells,
    clickable,
    empty_chart,
    fold,
    height_for,
    highlight,
    pick,
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
    scale_colour,
)


def categories_heatmap(frame: pd.DataFrame, *, top: int = TOP_ENTITIES) -> dict[str, Any]:
    """Entities x data categories, special (Art. 9) and criminal (Art. 10) data on a vermillion scale.

    ``frame``: entity, category (column key), category_label, sensitive (bool),
    position (column order), activities, activity_ids. Cells count the
    activities of the entity that hold that category; each non-empty cell is
    clickable. The two scales are applied here (one fill colour per cell),
    each from zero to the largest count of its own kind.
    """
    title = "Personal-data categories by entity (Art. 30(1)(c); Art. 9 and 10 data highlighted)"
    if frame.empty:
        return empty_chart(title, "No personal-data categories recorded for the filtered activities.")
    columns: dict[str, tuple[str, bool, int]] = {}
    for key, label, sensitive, position in zip(frame["category"].tolist(), frame["category_label"].tolist(),
                                               frame["sensitive"].tolist(), frame["position"].tolist(), strict=True):
        columns.setdefault(str(key), (str(label), bool(sensitive), int(position)))
    order = sorted(columns, key=lambda k: (columns[k][1], columns[k][2], k))
    items = fold(cells(frame, "entity", "category", "activities"), top, "Other entities")
    sums = totals(items)
    top_down = sorted((e for e in sums if not e.startswith("Other entities (")), key=lambda e: (-sums[e], e))
    rows = top_down + [e for e in sums if e.startswith("Other entities (")]
    most = {kind: max([c.value for c in items if columns[c.series][1] == kind] or [1]) or 1 for kind in (False, True)}
    ticks = {k: short(columns[k][0], 30) for k in order}
    values: list[dict[str, Any]] = []
    targets: dict[str, Target] = {}
    for number, cell in enumerate(c for c in items if c.value > 0):
        label, sensitive, _ = columns[cell.series]
        share = cell.value / most[sensitive]
        key = str(number)
        values.append({"key": key, "entity": cell.axis, "column": ticks[cell.series], "value": cell.value,
                       "fill": scale_colour(SPECIAL_SCALE if sensitive else ORDINARY_SCALE, share),
                       "ink": "white" if share > 0.55 else "black", "label": f"{label} · {cell.axis}"})
        targets[key] = (cell.ids_text(), f"{label} · {cell.axis}")
    special = json.dumps([ticks[k] for k in order if columns[k][1]])
    is_special = f"indexof({special}, datum.value) >= 0"
    encoding = {
        "x": {"field": "column", "type": "nominal", "sort": [ticks[k] for k in order], "title": None,
              "axis": {"labelAngle": -45, "orient": "top", "labelLimit": 220,
                       "labelColor": {"condition": {"test": is_special, "value": VERMILLION}, "value": "#31333F"},
                       "labelFontWeight": {"condition": {"test": is_special, "value": "bold"}, "value": "normal"}}},
        "y": {"field": "entity", "type": "nominal", "sort": rows, "title": "Entity", "axis": {"labelLimit": 280}},
    }
    return clickable({
        **base(title, height_for(len(rows), row_height=24, extra=260)),
        "data": {"values": values},
        "encoding": encoding,
        "layer": [
            {"params": [pick()], "mark": {"type": "rect", "cursor": "pointer", "stroke": "white", "strokeWidth": 1},
             "encoding": {"color": {"field": "fill", "type": "nominal", "scale": None}, "opacity": highlight(),
                          "tooltip": [{"field": "label", "type": "nominal", "title": "Category"},
                                      {"field": "value", "type": "quantitative", "title": "Activities"}]}},
            {"mark": {"type": "text", "fontSize": 11},
             "encoding": {"text": {"field": "value", "type": "quantitative"},
                          "color": {"field": "ink", "type": "nominal", "scale": None}}},
        ],
    }, targets)


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


def _nodes(links: dict[Link, int]) -> list[tuple[str, str, int]]:
    """Nodes column by column (one per layer), widest flow on top, "Other" at the bottom, with their widths.

    Fixed columns keep a recipient category without a country in the
    recipients column instead of pushing it to the last one.
    """
    inflow: dict[tuple[str, str], int] = {}
    outflow: dict[tuple[str, str], int] = {}
    for (source_layer, source, target_layer, target), value in links.items():
        outflow[(source_layer, source)] = outflow.get((source_layer, source), 0) + value
        inflow[(target_layer, target)] = inflow.get((target_layer, target), 0) + value
    weights = {k: max(inflow.get(k, 0), outflow.get(k, 0)) for k in {*inflow, *outflow}}
    nodes: list[tuple[str, str, int]] = []
    for layer in LAYERS:
        members = sorted((k for k in weights if k[0] == layer),
                         key=lambda k: (k[1].startswith("Other "), -weights[k], k[1]))
        nodes += [(layer, name, weights[(layer, name)]) for layer, name in members]
    return nodes


NODE_WIDTH = 0.05
NODE_GAP = 0.025
BAND_POINTS = 6
"""Steps along each band's S-curve. The browser joins the points with a monotone curve, which draws the
same band (within a pixel's shading) as 14 straight steps did, from half the rows to send and lay out."""
Place = tuple[float, float, float]


def _layout(nodes: list[tuple[str, str, int]]) -> tuple[dict[tuple[str, str], Place], float]:
    """Each node's column, top and bottom (0 at the top, 1 at the bottom), and the height of one activity.

    One scale for every column, so a band is as wide at both ends.
    """
    columns = {layer: [n for n in nodes if n[0] == layer] for layer in LAYERS}
    tallest = max(len(c) for c in columns.values())
    widest = max(sum(n[2] for n in c) for c in columns.values()) or 1
    unit = (1 - NODE_GAP * max(tallest - 1, 0)) / widest
    placed: dict[tuple[str, str], Place] = {}
    for column, (layer, members) in enumerate(columns.items()):
        top = 0.0
        for _, name, weight in members:
            placed[(layer, name)] = (float(column), top, top + weight * unit)
            top += weight * unit + NODE_GAP
    return placed, unit


def _bands(links: dict[Link, int], placed: dict[tuple[str, str], Place], unit: float) -> list[dict[str, Any]]:
    """Each link as a smooth band from its source node to its target, stacked in the order of the other end."""
    out_at = {k: v[1] for k, v in placed.items()}
    in_at = dict(out_at)
    rows: list[dict[str, Any]] = []
    for number, link in enumerate(sorted(links, key=lambda k: (placed[(k[0], k[1])][1], placed[(k[2], k[3])][1]))):
        source, target, value = (link[0], link[1]), (link[2], link[3]), links[link]
        thickness = value * unit
        start, end = out_at[source], in_at[target]
        out_at[source] += thickness
        in_at[target] += thickness
        x0, x1 = placed[source][0] + NODE_WIDTH, placed[target][0]
        label = f"{link[1]} ({LAYERS[link[0]][:-1]}) → {link[3]} ({LAYERS[link[2]][:-1]})"
        for step in range(BAND_POINTS + 1):
            t = step / BAND_POINTS
            top = start + (end - start) * t * t * (3 - 2 * t)
            rows.append({"link": number, "x": round(x0 + (x1 - x0) * t, 4), "top": round(top, 4),
                         "bottom": round(top + thickness, 4), "label": label, "value": value})
    return rows


def _sankey_labels(nodes: list[dict[str, Any]], x: dict[str, Any], y: dict[str, Any], last: bool) -> dict[str, Any]:
    """Node names beside their bars: right of the bar, or left of it in the last column."""
    return {"data": {"values": [n for n in nodes if n["last"] == last]},
            "mark": {"type": "text", "align": "right" if last else "left", "fontSize": 11, "dx": -4 if last else 4},
            "encoding": {"x": {"field": "x" if last else "x2", **x}, "y": {"field": "middle", **y},
                         "text": {"field": "name", "type": "nominal"}}}


def data_flows_sankey(frame: pd.DataFrame, *, top: int = 10) -> dict[str, Any]:
    """Data subjects -> business functions -> recipient categories -> destination countries.

    ``frame``: source_layer, source, target_layer, target, activities (one
    row per link; layers are the keys of ``LAYERS``). Band width is the
    number of activities with that flow. Each layer keeps its ``top`` nodes
    and folds the rest into "Other". Vega-Lite has no sankey, so the layout
    is computed here: nodes are bars in four columns, links bands between them.
    """
    title = "Data flows: data subjects → business functions → recipients → countries"
    if frame.empty:
        return empty_chart(title, "No data flows recorded for the filtered activities.")
    links: dict[Link, int] = {}
    for link in zip(frame["source_layer"].tolist(), frame["source"].tolist(), frame["target_layer"].tolist(),
                    frame["target"].tolist(), frame["activities"].tolist(), strict=True):
        key = (str(link[0]), str(link[1]), str(link[2]), str(link[3]))
        links[key] = links.get(key, 0) + int(link[4])
    for layer in LAYERS:
        links = _fold_layer(links, layer, top)
    nodes = _nodes(links)
    placed, unit = _layout(nodes)
    last = len(LAYERS) - 1
    node_rows = []
    for layer, name, weight in nodes:
        column, top_at, bottom_at = placed[(layer, name)]
        node_rows.append({"x": column, "x2": column + NODE_WIDTH, "top": top_at, "bottom": bottom_at,
                          "middle": (top_at + bottom_at) / 2, "colour": _LAYER_COLOURS[layer],
                          "name": short(name, 34), "label": f"{name} ({LAYERS[layer][:-1]})", "value": weight,
                          "last": column == last})
    x = {"type": "quantitative", "axis": None, "scale": {"domain": [0, last + NODE_WIDTH]}}
    y = {"type": "quantitative", "axis": None, "scale": {"domain": [-0.06, 1], "reverse": True}}
    tooltip = [{"field": "label", "type": "nominal", "title": "Flow"},
               {"field": "value", "type": "quantitative", "title": "Activities"}]
    per_layer = max(sum(1 for layer, _, _ in nodes if layer == name) for name in LAYERS)
    headings = [{"x": float(i) + (NODE_WIDTH if i == last else 0), "top": -0.04, "text": LAYERS[layer].capitalize(),
                 "align": "right" if i == last else "left"} for i, layer in enumerate(LAYERS)]
    return {
        **base(title, max(420, min(900, per_layer * 42 + 140))),
        "layer": [
            {"data": {"values": _bands(links, placed, unit)},
             "mark": {"type": "area", "color": GREY, "opacity": 0.35, "interpolate": "monotone"},
             "encoding": {"x": {"field": "x", **x}, "y": {"field": "top", **y}, "y2": {"field": "bottom"},
                          "detail": {"field": "link", "type": "nominal"}, "tooltip": tooltip}},
            {"data": {"values": node_rows}, "mark": {"type": "rect"},
             "encoding": {"x": {"field": "x", **x}, "x2": {"field": "x2"}, "y": {"field": "top", **y},
                          "y2": {"field": "bottom"}, "color": {"field": "colour", "type": "nominal", "scale": None},
                          "tooltip": [{**tooltip[0], "title": "Node"}, tooltip[1]]}},
            _sankey_labels(node_rows, x, y, False), _sankey_labels(node_rows, x, y, True),
            *({"data": {"values": [h for h in headings if h["align"] == align]},
               "mark": {"type": "text", "align": align, "fontWeight": "bold", "fontSize": 12},
               "encoding": {"x": {"field": "x", **x}, "y": {"field": "top", **y},
                            "text": {"field": "text", "type": "nominal"}}} for align in ("left", "right")),
        ],
    }
