"""Figures about the activities themselves: where they are, on what basis, how long kept, how reviewed."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ropa.charts.bars import StackSpec, stacked_bars
from ropa.charts.common import TOP_ENTITIES, empty_figure, figure, ids_text, layout
from ropa.charts.palette import (
    LAWFUL_BASIS_COLOURS,
    NO_BASIS_COLOUR,
    PROCESSOR_BASIS_COLOUR,
    RETENTION_KIND_COLOURS,
    RETENTION_KIND_LABELS,
    RETENTION_KINDS,
    REVIEW_STATE_COLOURS,
    REVIEW_STATE_LABELS,
    REVIEW_STATES,
)
from ropa.reference import load_reference


def activities_by_entity(frame: pd.DataFrame, *, top: int = TOP_ENTITIES, top_functions: int = 7) -> go.Figure:
    """Activities per entity, stacked by business function.

    ``frame``: entity, business_function, activities, activity_ids (one row per pair).
    """
    return stacked_bars(frame, StackSpec(
        axis="entity", series="business_function", title="Activities by entity and business function",
        axis_title="Entity", legend_title="Business function", top_axis=top, top_series=top_functions,
        other_axis="Other entities", other_series="Other functions",
    ))


NO_BASIS_LABEL = "None recorded"
PROCESSOR_BASIS_LABEL = "Processor (the controller's basis)"


def lawful_basis_colours() -> dict[str, str]:
    """Each Art. 6(1) basis label in the article's order, then the two ways of having none."""
    labels = [term.label for term in load_reference().vocabulary("lawful_bases")]
    colours = dict(zip(labels, LAWFUL_BASIS_COLOURS, strict=False))
    return colours | {NO_BASIS_LABEL: NO_BASIS_COLOUR, PROCESSOR_BASIS_LABEL: PROCESSOR_BASIS_COLOUR}


def lawful_bases_by_entity(frame: pd.DataFrame, *, top: int = TOP_ENTITIES) -> go.Figure:
    """Activities per entity, stacked by Article 6 lawful basis (an activity with two bases counts in both).

    ``frame``: entity, basis (label), activities, activity_ids. Bases keep
    fixed colours; "None recorded" is in the alarm colour.
    """
    colours = lawful_basis_colours()
    return stacked_bars(frame, StackSpec(
        axis="entity", series="basis", title="Lawful bases per entity (Art. 6(1))", axis_title="Entity",
        legend_title="Lawful basis", series_order=list(colours), colours=colours, top_axis=top,
        other_axis="Other entities",
    ))


def review_status_by_entity(frame: pd.DataFrame, *, top: int = TOP_ENTITIES) -> go.Figure:
    """Activities per entity by review state, overdue first.

    ``frame``: entity, review_state (a key of ``REVIEW_STATES``), activities, activity_ids.
    """
    return stacked_bars(frame, StackSpec(
        axis="entity", series="review_state", title="Review status and overdue reviews", axis_title="Entity",
        legend_title="", series_order=REVIEW_STATES, series_labels=REVIEW_STATE_LABELS,
        colours=REVIEW_STATE_COLOURS, top_axis=top, other_axis="Other entities",
    ))


def retention_distribution(frame: pd.DataFrame) -> go.Figure:
    """How long data is kept: structured periods in buckets, plus stated, vague and unknown rules.

    ``frame``: bucket (label), position (sort order), kind (a key of
    ``RETENTION_KINDS``), activities, activity_ids. Unknown and vague are
    bars of their own, never dropped.
    """
    title = "Retention periods (Art. 5(1)(e), Art. 30(1)(f))"
    if frame.empty or frame["activities"].sum() == 0:
        return empty_figure(title, "No activities match the filters.")
    data = frame.sort_values("position")
    order = list(dict.fromkeys(str(b) for b in data["bucket"]))
    traces: list[dict[str, Any]] = []
    for kind in RETENTION_KINDS:
        part = data[data["kind"] == kind]
        if part.empty:
            continue
        traces.append({
            "type": "bar",
            "x": [str(b) for b in part["bucket"]],
            "y": [int(v) for v in part["activities"]],
            "name": RETENTION_KIND_LABELS[kind],
            "marker": {"color": RETENTION_KIND_COLOURS[kind]},
            "customdata": [ids_text(ids) for ids in part["activity_ids"]],
            "hovertext": [f"Retention: {b}" for b in part["bucket"]],
            "hovertemplate": "%{hovertext}<br>%{y} activities<extra></extra>",
        })
    return figure(traces, layout(
        title=title, height=400, barmode="stack",
        xaxis={"categoryorder": "array", "categoryarray": order, "title": {"text": "Retention"}},
        yaxis={"title": {"text": "Number of activities"}, "rangemode": "tozero"},
    ))
