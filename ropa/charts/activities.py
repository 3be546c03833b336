"""Charts about the activities themselves: where they are, on what basis, how long kept, how reviewed."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ropa.charts.bars import StackSpec, stacked_bars
from ropa.charts.common import TOP_ENTITIES, Target, base, clickable, empty_chart, highlight, ids_text, pick
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


def activities_by_entity(frame: pd.DataFrame, *, top: int = TOP_ENTITIES, top_functions: int = 7) -> dict[str, Any]:
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


def lawful_bases_by_entity(frame: pd.DataFrame, *, top: int = TOP_ENTITIES) -> dict[str, Any]:
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


def review_status_by_entity(frame: pd.DataFrame, *, top: int = TOP_ENTITIES) -> dict[str, Any]:
    """Activities per entity by review state, overdue first.

    ``frame``: entity, review_state (a key of ``REVIEW_STATES``), activities, activity_ids.
    """
    return stacked_bars(frame, StackSpec(
        axis="entity", series="review_state", title="Review status and overdue reviews", axis_title="Entity",
        legend_title="", series_order=REVIEW_STATES, series_labels=REVIEW_STATE_LABELS,
        colours=REVIEW_STATE_COLOURS, top_axis=top, other_axis="Other entities",
    ))


def retention_distribution(frame: pd.DataFrame) -> dict[str, Any]:
    """How long data is kept: structured periods in buckets, plus stated, vague and unknown rules.

    ``frame``: bucket (label), position (sort order), kind (a key of
    ``RETENTION_KINDS``), activities, activity_ids. Unknown and vague are
    bars of their own, never dropped.
    """
    title = "Retention periods (Art. 5(1)(e), Art. 30(1)(f))"
    if frame.empty or frame["activities"].sum() == 0:
        return empty_chart(title, "No activities match the filters.")
    data = frame.sort_values("position")
    order = list(dict.fromkeys(str(b) for b in data["bucket"]))
    kinds = [k for k in RETENTION_KINDS if (data["kind"] == k).any()]
    rows: list[dict[str, Any]] = []
    targets: dict[str, Target] = {}
    for i, (bucket, kind, count, ids) in enumerate(zip(data["bucket"].tolist(), data["kind"].tolist(),
                                                       data["activities"].tolist(), data["activity_ids"].tolist(),
                                                       strict=True)):
        key = str(i)
        rows.append({"key": key, "bucket": str(bucket), "kind": RETENTION_KIND_LABELS[str(kind)],
                     "value": int(count), "label": f"Retention: {bucket}"})
        targets[key] = (ids_text(ids), f"Retention: {bucket}")
    return clickable({
        **base(title, 400),
        "data": {"values": rows},
        "params": [pick()],
        "mark": {"type": "bar", "cursor": "pointer"},
        "encoding": {
            "x": {"field": "bucket", "type": "nominal", "sort": order, "title": "Retention",
                  "axis": {"labelAngle": 0, "labelLimit": 140}},
            "y": {"field": "value", "type": "quantitative", "stack": "zero", "title": "Number of activities"},
            "color": {"field": "kind", "type": "nominal", "title": None,
                      "scale": {"domain": [RETENTION_KIND_LABELS[k] for k in kinds],
                                "range": [RETENTION_KIND_COLOURS[k] for k in kinds]},
                      "legend": {"orient": "right"}},
            "opacity": highlight(),
            "tooltip": [{"field": "label", "type": "nominal", "title": "Bucket"},
                        {"field": "value", "type": "quantitative", "title": "Activities"}],
        },
    }, targets)
