"""Stacked horizontal bars: the shape of most dashboard questions ("how many, where, of what kind").

Categories run down the y axis (room for long entity names), the largest on
top and "Other" at the bottom; each stack segment has a key whose activity
ids the server keeps, so a click opens exactly those in the register.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ropa.charts.common import Cell, base, cells, clickable, empty_chart, fold, height_for, highlight, pick, totals
from ropa.charts.palette import colour_cycle


@dataclass(frozen=True)
class StackSpec:
    """How to draw one stacked bar chart from a long frame (one row per axis value x series value)."""

    axis: str
    series: str
    title: str
    axis_title: str
    unit: str = "activities"
    value: str = "activities"
    legend_title: str = ""
    series_order: Sequence[str] | None = None
    series_labels: Mapping[str, str] = field(default_factory=dict)
    colours: Mapping[str, str] = field(default_factory=dict)
    top_axis: int = 15
    top_series: int | None = None
    other_axis: str = "Other"
    other_series: str = "Other"
    empty_message: str = "No activities match the filters."


def _is_other(name: str, other: str) -> bool:
    return name.startswith(other + " (")


def _axis_order(items: list[Cell], spec: StackSpec) -> list[str]:
    """Top-to-bottom order: descending totals so the largest is on top, then "Other" at the bottom."""
    sums = totals(items)
    top_down = sorted((k for k in sums if not _is_other(k, spec.other_axis)), key=lambda k: (-sums[k], k))
    return top_down + [k for k in sums if _is_other(k, spec.other_axis)]


def _series_order(items: list[Cell], spec: StackSpec) -> list[str]:
    sums = totals(items, on_axis=False)
    if spec.series_order is not None:
        ordered = [s for s in spec.series_order if s in sums]
        return ordered + sorted(set(sums) - set(ordered))
    return sorted(sums, key=lambda k: (_is_other(k, spec.other_series), -sums[k], k))


def stacked_bars(frame: pd.DataFrame, spec: StackSpec) -> dict[str, Any]:
    """Horizontal stacked bars of ``spec.value`` per ``spec.axis``, one colour per ``spec.series``."""
    if frame.empty or int(frame[spec.value].sum()) == 0:
        return empty_chart(spec.title, spec.empty_message)
    items = fold(cells(frame, spec.axis, spec.series, spec.value), spec.top_axis, spec.other_axis)
    if spec.top_series is not None:
        items = fold(items, spec.top_series, spec.other_series, on_axis=False)
    axis_order = _axis_order(items, spec)
    series = _series_order(items, spec)
    labels = [spec.series_labels.get(s, s) for s in series]
    fallback = colour_cycle(labels)
    rank = {name: i for i, name in enumerate(series)}
    rows: list[dict[str, Any]] = []
    targets: dict[str, tuple[str, str]] = {}  # key -> (activity ids, label)
    for i, cell in enumerate(sorted(items, key=lambda c: rank[c.series])):
        label = spec.series_labels.get(cell.series, cell.series)
        key = str(i)
        rows.append({"key": key, "axis": cell.axis, "series": label, "value": cell.value, "rank": rank[cell.series],
                     "label": f"{label} · {cell.axis}"})
        targets[key] = (cell.ids_text(), f"{label} · {cell.axis}")
    unit = spec.unit.capitalize()
    return clickable({
        **base(spec.title, height_for(len(axis_order))),
        "data": {"values": rows},
        "params": [pick()],
        "mark": {"type": "bar", "cursor": "pointer"},
        "encoding": {
            "y": {"field": "axis", "type": "nominal", "sort": axis_order, "title": spec.axis_title,
                  "axis": {"labelLimit": 280}},
            "x": {"field": "value", "type": "quantitative", "stack": "zero", "title": f"Number of {spec.unit}"},
            "color": {"field": "series", "type": "nominal", "title": spec.legend_title or None,
                      "scale": {"domain": labels,
                                "range": [spec.colours.get(s, fallback[label]) for s, label in zip(
                                    series, labels, strict=True)]},
                      "legend": {"orient": "right", "labelLimit": 260}},
            "order": {"field": "rank", "type": "quantitative"},
            "opacity": highlight(),
            "tooltip": [{"field": "label", "type": "nominal", "title": spec.axis_title},
                        {"field": "value", "type": "quantitative", "title": unit}],
        },
    }, targets)
