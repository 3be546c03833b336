"""Stacked horizontal bars: the shape of most dashboard questions ("how many, where, of what kind").

Categories run down the y axis (room for long entity names), the largest on
top and "Other" at the bottom; each stack segment carries the ids of the
activities it counts so a click opens exactly those in the register.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ropa.charts.common import Cell, cells, empty_figure, figure, fold, height_for, layout, safe_text, totals
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
    """Bottom-to-top order: "Other" first (bottom), then ascending totals so the largest is on top."""
    sums = totals(items)
    top_down = sorted((k for k in sums if not _is_other(k, spec.other_axis)), key=lambda k: (-sums[k], k))
    return [k for k in sums if _is_other(k, spec.other_axis)] + top_down[::-1]


def _series_order(items: list[Cell], spec: StackSpec) -> list[str]:
    sums = totals(items, on_axis=False)
    if spec.series_order is not None:
        ordered = [s for s in spec.series_order if s in sums]
        return ordered + sorted(set(sums) - set(ordered))
    return sorted(sums, key=lambda k: (_is_other(k, spec.other_series), -sums[k], k))


def stacked_bars(frame: pd.DataFrame, spec: StackSpec) -> go.Figure:
    """Horizontal stacked bars of ``spec.value`` per ``spec.axis``, one trace per ``spec.series``."""
    if frame.empty or int(frame[spec.value].sum()) == 0:
        return empty_figure(spec.title, spec.empty_message)
    items = [Cell(safe_text(c.axis), c.series, c.value, c.parts)
             for c in cells(frame, spec.axis, spec.series, spec.value)]
    items = fold(items, spec.top_axis, spec.other_axis)
    if spec.top_series is not None:
        items = fold(items, spec.top_series, spec.other_series, on_axis=False)
    axis_order = _axis_order(items, spec)
    series = _series_order(items, spec)
    fallback = colour_cycle([safe_text(spec.series_labels.get(s, s)) for s in series])
    by_series: dict[str, list[Cell]] = {}
    for cell in items:
        by_series.setdefault(cell.series, []).append(cell)
    traces: list[dict[str, Any]] = []
    for name in series:
        part = by_series[name]
        label = safe_text(spec.series_labels.get(name, name))
        traces.append({
            "type": "bar",
            "orientation": "h",
            "y": [c.axis for c in part],
            "x": [c.value for c in part],
            "name": label,
            "marker": {"color": spec.colours.get(name, fallback[label])},
            "customdata": [c.ids_text() for c in part],
            "hovertext": [f"{label} · {c.axis}" for c in part],
            "hovertemplate": f"%{{hovertext}}<br>%{{x}} {spec.unit}<extra></extra>",
        })
    return figure(traces, layout(
        title=spec.title, height=height_for(len(axis_order)), legend_title=spec.legend_title, barmode="stack",
        yaxis={"categoryorder": "array", "categoryarray": axis_order, "title": {"text": spec.axis_title},
               "automargin": True},
        xaxis={"title": {"text": f"Number of {spec.unit}"}, "rangemode": "tozero"},
    ))
