"""Figures about gap-analysis findings: which rules fail, how severe, where, and the trend."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ropa.charts.bars import StackSpec, stacked_bars
from ropa.charts.common import TOP_ENTITIES, empty_figure, figure, ids_text, layout
from ropa.charts.palette import ACTIVITY_STATUS_COLOURS, SEVERITIES, SEVERITY_COLOURS

SEVERITY_LABELS = {s: s.capitalize() for s in SEVERITIES}
STATUS_LABELS = {"approved": "Approved", "in_review": "In review", "draft": "Draft", "archived": "Archived"}


def findings_by_rule(frame: pd.DataFrame, *, top: int = 15) -> go.Figure:
    """Open findings per rule, stacked by severity.

    ``frame``: title (the rule's title), severity, findings, activity_ids.
    """
    return stacked_bars(frame, StackSpec(
        axis="title", series="severity", value="findings", unit="findings", title="Open findings by rule",
        axis_title="Rule", series_order=SEVERITIES, series_labels=SEVERITY_LABELS, colours=SEVERITY_COLOURS,
        top_axis=top, other_axis="Other rules", empty_message="No open findings for the filtered activities.",
    ))


def findings_by_entity(frame: pd.DataFrame, *, top: int = TOP_ENTITIES) -> go.Figure:
    """Open findings per entity, stacked by severity.

    ``frame``: entity, severity, findings, activity_ids.
    """
    return stacked_bars(frame, StackSpec(
        axis="entity", series="severity", value="findings", unit="findings",
        title="Open findings by entity and severity", axis_title="Entity", series_order=SEVERITIES,
        series_labels=SEVERITY_LABELS, colours=SEVERITY_COLOURS, top_axis=top, other_axis="Other entities",
        empty_message="No open findings for the filtered activities.",
    ))


def trend(activities: pd.DataFrame, findings_now: pd.DataFrame) -> go.Figure:
    """Activities at each month end (from the audit trail), beside today's open findings.

    ``activities``: month_end, status, activities (one row per month end and
    status, as the records stood at the end of that month). ``findings_now``:
    severity, findings, activity_ids (the open findings on the as-of date).
    Past findings are not drawn: the analysis judges records as they are,
    and re-running it on old dates would judge today's records by old law.
    """
    title = "Trend: activities at each month end, and open findings now"
    if activities.empty and findings_now.empty:
        return empty_figure(title, "No history for the filtered activities.")
    traces: list[dict[str, Any]] = []
    for status, label in STATUS_LABELS.items():
        part = activities[activities["status"] == status].sort_values("month_end")
        if part.empty:
            continue
        traces.append({
            "type": "scatter", "mode": "lines+markers", "stackgroup": "activities", "name": label,
            "x": [pd.Timestamp(d).date().isoformat() for d in part["month_end"]],
            "y": [int(v) for v in part["activities"]],
            "line": {"color": ACTIVITY_STATUS_COLOURS[status], "width": 1.5},
            "hovertemplate": f"{label}: %{{y}} on %{{x|%d %b %Y}}<extra></extra>",
        })
    for severity in SEVERITIES:
        part = findings_now[findings_now["severity"] == severity]
        count = int(part["findings"].sum()) if not part.empty else 0
        label = SEVERITY_LABELS[severity]
        traces.append({
            "type": "bar", "xaxis": "x2", "yaxis": "y2", "x": [label], "y": [count], "name": label,
            "marker": {"color": SEVERITY_COLOURS[severity]}, "showlegend": False,
            "customdata": [ids_text(part["activity_ids"].iloc[0]) if not part.empty else ""],
            "hovertext": [f"{label} findings"], "text": [str(count)], "textposition": "outside",
            "cliponaxis": False, "hovertemplate": "%{hovertext}: %{y}<extra></extra>",
        })
    months = sorted({pd.Timestamp(d) for d in activities["month_end"]})
    # At least a quarter of axis, so a register with one month of history is not drawn in milliseconds.
    start = min(months[0], months[-1] - pd.DateOffset(months=3)) if months else pd.Timestamp.today()
    end = months[-1] + pd.Timedelta(days=10) if months else pd.Timestamp.today()
    most = max([int(v) for v in findings_now["findings"]] or [0])
    heading = {"xref": "paper", "yref": "paper", "y": 1.0, "yanchor": "bottom", "showarrow": False,
               "font": {"size": 13}}
    return figure(traces, layout(
        title=title, height=420, margin={"l": 10, "r": 10, "t": 90, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0,
                "traceorder": "normal"},
        xaxis={"domain": [0, 0.68], "type": "date", "tickformat": "%b %Y",
               "dtick": "M1" if (end - start).days <= 400 else "M3",
               "range": [start.date().isoformat(), end.date().isoformat()]},
        yaxis={"title": {"text": "Activities"}, "rangemode": "tozero"},
        xaxis2={"domain": [0.78, 1], "anchor": "y2", "categoryorder": "array",
                "categoryarray": [SEVERITY_LABELS[s] for s in SEVERITIES]},
        yaxis2={"anchor": "x2", "title": {"text": "Findings"}, "range": [0, max(1, most) * 1.18]},
        annotations=[{**heading, "text": "Live activities at month end (audit trail)", "x": 0, "xanchor": "left"},
                     {**heading, "text": "Open findings now", "x": 0.78, "xanchor": "left"}],
    ))
