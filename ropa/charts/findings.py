"""Charts about gap-analysis findings: which rules fail, how severe, where, and the trend."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ropa.charts.bars import StackSpec, stacked_bars
from ropa.charts.common import TOP_ENTITIES, Target, base, clickable, empty_chart, highlight, ids_text, pick
from ropa.charts.palette import ACTIVITY_STATUS_COLOURS, SEVERITIES, SEVERITY_COLOURS

SEVERITY_LABELS = {s: s.capitalize() for s in SEVERITIES}
STATUS_LABELS = {"approved": "Approved", "in_review": "In review", "draft": "Draft", "archived": "Archived"}


def findings_by_rule(frame: pd.DataFrame, *, top: int = 15) -> dict[str, Any]:
    """Open findings per rule, stacked by severity.

    ``frame``: title (the rule's title), severity, findings, activity_ids.
    """
    return stacked_bars(frame, StackSpec(
        axis="title", series="severity", value="findings", unit="findings", title="Open findings by rule",
        axis_title="Rule", series_order=SEVERITIES, series_labels=SEVERITY_LABELS, colours=SEVERITY_COLOURS,
        top_axis=top, other_axis="Other rules", empty_message="No open findings for the filtered activities.",
    ))


def findings_by_entity(frame: pd.DataFrame, *, top: int = TOP_ENTITIES) -> dict[str, Any]:
    """Open findings per entity, stacked by severity.

    ``frame``: entity, severity, findings, activity_ids.
    """
    return stacked_bars(frame, StackSpec(
        axis="entity", series="severity", value="findings", unit="findings",
        title="Open findings by entity and severity", axis_title="Entity", series_order=SEVERITIES,
        series_labels=SEVERITY_LABELS, colours=SEVERITY_COLOURS, top_axis=top, other_axis="Other entities",
        empty_message="No open findings for the filtered activities.",
    ))


def trend(activities: pd.DataFrame, findings_now: pd.DataFrame) -> dict[str, Any]:
    """Activities at each month end (from the audit trail), beside today's open findings.

    ``activities``: month_end, status, activities (one row per month end and
    status, as the records stood at the end of that month). ``findings_now``:
    severity, findings, activity_ids (the open findings on the as-of date).
    Past findings are not drawn: the analysis judges records as they are,
    and re-running it on old dates would judge today's records by old law.
    """
    title = "Trend: activities at each month end, and open findings now"
    if activities.empty and findings_now.empty:
        return empty_chart(title, "No history for the filtered activities.")
    statuses = [s for s in STATUS_LABELS if (activities["status"] == s).any()] if not activities.empty else []
    rank = {s: i for i, s in enumerate(STATUS_LABELS)}
    history = [{"month_end": pd.Timestamp(d).date().isoformat(), "status": STATUS_LABELS[str(s)],
                "rank": rank[str(s)], "value": int(v)}
               for d, s, v in zip(activities["month_end"], activities["status"], activities["activities"],
                                  strict=True) if str(s) in STATUS_LABELS]
    bars: list[dict[str, Any]] = []
    targets: dict[str, Target] = {}
    for severity in SEVERITIES:
        part = findings_now[findings_now["severity"] == severity]
        label = SEVERITY_LABELS[severity]
        bars.append({"key": severity, "severity": label, "value": int(part["findings"].sum()) if not part.empty else 0,
                     "label": f"{label} findings"})
        targets[severity] = (ids_text(part["activity_ids"].iloc[0]) if not part.empty else "", f"{label} findings")
    months = sorted({pd.Timestamp(d) for d in activities["month_end"]})
    # At least a quarter of axis, so a register with one month of history is not drawn in milliseconds.
    start = min(months[0], months[-1] - pd.DateOffset(months=3)) if months else pd.Timestamp.today()
    end = months[-1] + pd.Timedelta(days=10) if months else pd.Timestamp.today()
    severity_labels = [SEVERITY_LABELS[s] for s in SEVERITIES]
    over_time = {
        "title": {"text": "Live activities at month end (audit trail)", "fontSize": 13, "anchor": "start"},
        "width": 660, "height": 300,
        "data": {"values": history},
        "mark": {"type": "area", "line": True, "point": True, "opacity": 0.55},
        "encoding": {
            "x": {"field": "month_end", "type": "temporal", "title": None,
                  "scale": {"domain": [start.date().isoformat(), end.date().isoformat()]},
                  "axis": {"format": "%b %Y",
                           "tickCount": {"interval": "month", "step": 1 if (end - start).days <= 400 else 3}}},
            "y": {"field": "value", "type": "quantitative", "stack": "zero", "title": "Activities"},
            "color": {"field": "status", "type": "nominal", "title": None,
                      "scale": {"domain": [STATUS_LABELS[s] for s in statuses],
                                "range": [ACTIVITY_STATUS_COLOURS[s] for s in statuses]},
                      "legend": {"orient": "bottom", "direction": "horizontal"}},
            "order": {"field": "rank", "type": "quantitative"},
            "tooltip": [{"field": "status", "type": "nominal", "title": "Status"},
                        {"field": "month_end", "type": "temporal", "title": "Month end", "format": "%d %b %Y"},
                        {"field": "value", "type": "quantitative", "title": "Activities"}],
        },
    }
    most = max([b["value"] for b in bars] or [0])
    bar_encoding = {
        "x": {"field": "severity", "type": "nominal", "sort": severity_labels, "title": None,
              "axis": {"labelAngle": 0}},
        "y": {"field": "value", "type": "quantitative", "title": "Findings",
              "scale": {"domain": [0, max(1, most) * 1.18]}},
    }
    now = {
        "title": {"text": "Open findings now", "fontSize": 13, "anchor": "start"},
        "width": 240, "height": 300,
        "data": {"values": bars},
        "encoding": bar_encoding,
        "layer": [
            {"params": [pick()], "mark": {"type": "bar", "cursor": "pointer"},
             "encoding": {"color": {"field": "severity", "type": "nominal", "legend": None,
                                    "scale": {"domain": severity_labels,
                                              "range": [SEVERITY_COLOURS[s] for s in SEVERITIES]}},
                          "opacity": highlight(),
                          "tooltip": [{"field": "label", "type": "nominal", "title": "Severity"},
                                      {"field": "value", "type": "quantitative", "title": "Findings"}]}},
            {"mark": {"type": "text", "dy": -8}, "encoding": {"text": {"field": "value", "type": "quantitative"}}},
        ],
    }
    spec = base(title, 420)
    del spec["height"]
    return clickable({**spec, "hconcat": [over_time, now], "resolve": {"scale": {"color": "independent"}}}, targets)
