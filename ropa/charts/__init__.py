"""Pure figure builders for the dashboard: a data frame in, a Plotly figure out.

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
from ropa.charts.data import categories_heatmap, data_flows_sankey
from ropa.charts.export import figure_html
from ropa.charts.findings import findings_by_entity, findings_by_rule, trend
from ropa.charts.selection import Selection, browser_copy, selected
from ropa.charts.transfers import WORLD_TOPOJSON, transfers_map

__all__ = [
    "WORLD_TOPOJSON",
    "Selection",
    "activities_by_entity",
    "browser_copy",
    "categories_heatmap",
    "data_flows_sankey",
    "figure_html",
    "findings_by_entity",
    "findings_by_rule",
    "lawful_bases_by_entity",
    "retention_distribution",
    "review_status_by_entity",
    "selected",
    "transfers_map",
    "trend",
]
