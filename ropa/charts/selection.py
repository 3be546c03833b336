"""From a chart selection back to the activities it stands for (the dashboard's click-through).

Every clickable point of a dashboard figure carries its activity ids in
``customdata`` and a readable description in ``hovertext``. The browser
reports which points were selected; this module turns that into ids and a
label for the register, looking the points up in the figure itself so a
selection event that arrives without its customdata still works.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from ropa.charts.common import id_list


@dataclass(frozen=True)
class Selection:
    activity_ids: list[int]
    label: str


def _number(point: Mapping[str, Any], *names: str) -> int | None:
    for name in names:
        value = point.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _from_figure(fig: go.Figure, point: Mapping[str, Any]) -> tuple[list[int], str]:
    curve = _number(point, "curve_number", "curveNumber")
    index = _number(point, "point_index", "pointIndex", "point_number", "pointNumber")
    if curve is None or index is None or not 0 <= curve < len(fig.data):
        return [], ""
    trace = fig.data[curve]
    customdata: Sequence[Any] | None = getattr(trace, "customdata", None)
    hovertext: Sequence[Any] | str | None = getattr(trace, "hovertext", None)
    if customdata is None or index >= len(customdata):
        return [], ""
    text = hovertext[index] if isinstance(hovertext, (list, tuple)) and index < len(hovertext) else ""
    return id_list(customdata[index]), str(text)


def selected(fig: go.Figure, state: Mapping[str, Any] | None, chart: str) -> Selection | None:
    """The activities behind the selected points of ``fig``, or None when nothing is selected."""
    if not state:
        return None
    selection = state.get("selection") or {}
    points: Sequence[Mapping[str, Any]] = selection.get("points") or []
    ids: set[int] = set()
    labels: list[str] = []
    for point in points:
        point_ids, text = _from_figure(fig, point)
        if not point_ids:
            point_ids = id_list(point.get("customdata"))
            text = str(point.get("hovertext") or "")
        ids.update(point_ids)
        if text and text not in labels:
            labels.append(text)
    if not ids:
        return None
    what = labels[0] if len(labels) == 1 else f"{len(labels)} selections"
    return Selection(sorted(ids), html.unescape(f"Dashboard, {chart}: {what}"))


def browser_copy(fig: go.Figure) -> go.Figure:
    """The figure to send to the browser: without the activity ids the server keeps for the click-through.

    ``selected`` looks points up in the server's figure by curve and index,
    so the ids need not travel: at 10,000 activities they were most of the
    megabyte of chart JSON the dashboard sent, all of it parsed before the
    charts drew. Customdata a hover template shows stays.
    """
    lean = go.Figure(fig)
    for trace in lean.data:
        template = str(getattr(trace, "hovertemplate", "") or "")
        if getattr(trace, "customdata", None) is not None and "customdata" not in template:
            trace.customdata = None
    return lean
