"""Pure chart builders for the dashboard: a data frame in, a Vega-Lite spec (plain JSON) out.

The page and the tests call the same functions, so what is tested is what
managers see. Frames come from ``ropa.dashboard``; colours from
``ropa.charts.palette``.
"""

from __future__ import annotations

from ropa.charts.activities import (
    activities_by_entity,
    lawful_bases_by_entity,
    retention_distribution,
    review_status_by_entity,
)
from ropa.charts.common import message
from ropa.charts.data import categories_heatmap, data_flows_sankey
from ropa.charts.export import chart_html
from ropa.charts.findings import findings_by_entity, findings_by_rule, trend
from ropa.charts.selection import Selection, browser_copy, is_clickable, selected, title_of
from ropa.charts.transfers import WORLD_TOPOJSON, WORLD_URL, transfers_map

__all__ = [
    "WORLD_TOPOJSON",
    "WORLD_URL",
    "Selection",
    "activities_by_entity",
    "browser_copy",
    "categories_heatmap",
    "chart_html",
    "data_flows_sankey",
    "findings_by_entity",
    "findings_by_rule",
    "is_clickable",
    "lawful_bases_by_entity",
    "message",
    "retention_distribution",
    "review_status_by_entity",
    "selected",
    "title_of",
    "transfers_map",
    "trend",
]
