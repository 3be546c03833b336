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

from ropa.charts.common import empty_figure, figure, fold_other, height_for, ids_text, layout, safe_text
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


def _axis_order(frame: pd.DataFrame, spec: StackSpec) -> list[str]:
    """Bottom-to-top order: "Other" first (bottom), then ascending totals so the largest is on top."""
    totals = frame.groupby(spec.axis, sort=False)[spec.value].sum().reset_index()
    totals["is_other"] = totals[spec.axis].astype(str).str.startswith(spec.other_axis + " (")
    totals = totals.sort_values(["is_other", spec.value, spec.axis], ascending=[False, True, False])
    return [str(v) for v in totals[spec.axis]]


def _series_order(frame: pd.DataFrame, spec: StackSpec) -> list[str]:
    present = set(frame[spec.series].astype(str))
    if spec.series_order is not None:
        ordered = [s for s in spec.series_order if s in present]
        return ordered + sorted(present - set(ordered))
    totals = frame.groupby(spec.series, sort=False)[spec.value].sum().reset_index()
    totals["is_other"] = totals[spec.series].astype(str).str.startswith(spec.other_series + " (")
    totals = totals.sort_values(["is_other", spec.value, spec.series], ascending=[True, False, True])
    return [str(v) for v in totals[spec.series]]


def stacked_bars(frame: pd.DataFrame, spec: StackSpec) -> go.Figure:
    """Horizontal stacked bars of ``spec.value`` per ``spec.axis``, one trace per ``spec.series``."""
    if frame.empty or frame[spec.value].sum() == 0:
        return empty_figure(spec.title, spec.empty_message)
    data = frame.copy()
    data[spec.axis] = [safe_text(v) for v in data[spec.axis]]
    data[spec.series] = [str(v) for v in data[spec.series]]
    data = fold_other(data, spec.axis, spec.value, spec.top_axis, spec.other_axis, keys=[spec.series])
    if spec.top_series is not None:
        data = fold_other(data, spec.series, spec.value, spec.top_series, spec.other_series, keys=[spec.axis])
    axis_order = _axis_order(data, spec)
    series = _series_order(data, spec)
    fallback = colour_cycle([safe_text(spec.series_labels.get(s, s)) for s in series])
    traces: list[dict[str, Any]] = []
    for name in series:
        part = data[data[spec.series] == name]
        label = safe_text(spec.series_labels.get(name, name))
        traces.append({
            "type": "bar",
            "orientation": "h",
            "y": list(part[spec.axis]),
            "x": [int(v) for v in part[spec.value]],
            "name": label,
            "marker": {"color": spec.colours.get(name, fallback[label])},
            "customdata": [ids_text(ids) for ids in part["activity_ids"]],
            "hovertext": [f"{label} · {axis}" for axis in part[spec.axis]],
            "hovertemplate": f"%{{hovertext}}<br>%{{x}} {spec.unit}<extra></extra>",
        })
    return figure(traces, layout(
        title=spec.title, height=height_for(len(axis_order)), legend_title=spec.legend_title, barmode="stack",
        yaxis={"categoryorder": "array", "categoryarray": axis_order, "title": {"text": spec.axis_title},
               "automargin": True},
        xaxis={"title": {"text": f"Number of {spec.unit}"}, "rangemode": "tozero"},
    ))
