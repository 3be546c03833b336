"""The dashboard's figure builders on small hand-made frames: traces, values, colours, ids, readability."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from ropa import charts
from ropa.charts.common import Cell, fold, id_list, short
from ropa.charts.palette import (
    CATEGORICAL,
    OTHER_COLOUR,
    RETENTION_KIND_COLOURS,
    REVIEW_STATE_COLOURS,
    SEVERITY_COLOURS,
    SPECIAL_SCALE,
    TRANSFER_STATE_COLOURS,
    colour_cycle,
)
from ropa.charts.topojson import point_count, simplify_arc, simplify_topology
from ropa.gaps import SEVERITY_COLOURS as GAP_SEVERITY_COLOURS

AS_OF = date(2026, 11, 1)


def by_entity_frame(n_entities: int = 2) -> pd.DataFrame:
    rows = []
    next_id = 1
    for e in range(n_entities):
        for function, count in (("Finance", e + 1), ("HR", 1)):
            ids = list(range(next_id, next_id + count))
            next_id += count
            rows.append({"entity_id": e + 1, "entity": f"Entity {e + 1:02d}", "business_function": function,
                         "activities": count, "activity_ids": ids})
    return pd.DataFrame(rows)


def lawful_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"entity_id": 1, "entity": "Acme Ltd", "basis": "Contract", "activities": 2, "activity_ids": [1, 2]},
        {"entity_id": 1, "entity": "Acme Ltd", "basis": "Consent", "activities": 1, "activity_ids": [3]},
        {"entity_id": 2, "entity": "Acme GmbH", "basis": "None recorded", "activities": 1, "activity_ids": [4]},
    ])


def categories_frame(n_entities: int = 2) -> pd.DataFrame:
    rows = []
    for e in range(n_entities):
        rows.append({"entity_id": e + 1, "entity": f"Entity {e + 1:02d}", "category": "identity",
                     "category_label": "Identity", "sensitive": False, "position": 0, "activities": 2,
                     "activity_ids": [10 * e + 1, 10 * e + 2]})
        rows.append({"entity_id": e + 1, "entity": f"Entity {e + 1:02d}", "category": "special.health",
                     "category_label": "Health", "sensitive": True, "position": 60, "activities": 1,
                     "activity_ids": [10 * e + 2]})
    return pd.DataFrame(rows)


def flows_frame(n_subjects: int = 2) -> pd.DataFrame:
    rows = [{"source_layer": "subject", "source": f"Subject {i:02d}", "target_layer": "function",
             "target": "Finance", "activities": i + 1} for i in range(n_subjects)]
    rows += [
        {"source_layer": "function", "source": "Finance", "target_layer": "recipient",
         "target": "Cloud hosting providers", "activities": 3},
        {"source_layer": "recipient", "source": "Cloud hosting providers", "target_layer": "country",
         "target": "United States", "activities": 2},
    ]
    return pd.DataFrame(rows)


def countries_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"country": "US", "iso3": "USA", "country_name": "United States", "state": "invalid", "transfers": 3,
         "activities": 2, "activity_ids": [1, 2], "detail": "2 × invalid mechanism, 1 × adequacy"},
        {"country": "IN", "iso3": "IND", "country_name": "India", "state": "safeguarded", "transfers": 1,
         "activities": 1, "activity_ids": [3], "detail": "1 × art. 46 safeguard"},
        {"country": "SG", "iso3": "SGP", "country_name": "Singapore", "state": "missing", "transfers": 1,
         "activities": 1, "activity_ids": [4], "detail": "1 × no mechanism recorded"},
    ])


def retention_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"position": 0, "kind": "period", "bucket": "Up to 6 months", "activities": 2, "activity_ids": [1, 2]},
        {"position": 4, "kind": "period", "bucket": "3-6 years", "activities": 1, "activity_ids": [3]},
        {"position": 8, "kind": "vague", "bucket": "Vague rule", "activities": 1, "activity_ids": [4]},
        {"position": 9, "kind": "unknown", "bucket": "Unknown", "activities": 2, "activity_ids": [5, 6]},
    ])


def review_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"entity_id": 1, "entity": "Acme Ltd", "review_state": "overdue", "activities": 2, "activity_ids": [1, 2]},
        {"entity_id": 1, "entity": "Acme Ltd", "review_state": "current", "activities": 1, "activity_ids": [3]},
        {"entity_id": 2, "entity": "Acme GmbH", "review_state": "draft", "activities": 1, "activity_ids": [4]},
    ])


def findings_rule_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"rule": "transfer_invalid", "title": "Transfer on an invalid mechanism", "severity": "critical",
         "findings": 3, "activity_ids": [1, 2]},
        {"rule": "retention_vague", "title": "Retention stated too vaguely", "severity": "medium",
         "findings": 1, "activity_ids": [3]},
    ])


def findings_entity_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"entity_id": 1, "entity": "Acme Ltd", "severity": "critical", "findings": 3, "activity_ids": [1, 2]},
        {"entity_id": 1, "entity": "Acme Ltd", "severity": "low", "findings": 1, "activity_ids": []},
    ])


def trend_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    activities = pd.DataFrame([
        {"month_end": date(2026, 9, 30), "status": "approved", "activities": 3},
        {"month_end": date(2026, 10, 31), "status": "approved", "activities": 4},
        {"month_end": date(2026, 10, 31), "status": "draft", "activities": 1},
    ])
    findings = pd.DataFrame([
        {"severity": "critical", "findings": 2, "activity_ids": [1, 2]},
        {"severity": "low", "findings": 5, "activity_ids": [3]},
    ])
    return activities, findings


BUILDERS: dict[str, Callable[[], go.Figure]] = {
    "activities_by_entity": lambda: charts.activities_by_entity(by_entity_frame()),
    "lawful_bases_by_entity": lambda: charts.lawful_bases_by_entity(lawful_frame()),
    "categories_heatmap": lambda: charts.categories_heatmap(categories_frame()),
    "data_flows_sankey": lambda: charts.data_flows_sankey(flows_frame()),
    "transfers_map": lambda: charts.transfers_map(countries_frame(), AS_OF),
    "retention_distribution": lambda: charts.retention_distribution(retention_frame()),
    "review_status_by_entity": lambda: charts.review_status_by_entity(review_frame()),
    "findings_by_rule": lambda: charts.findings_by_rule(findings_rule_frame()),
    "findings_by_entity": lambda: charts.findings_by_entity(findings_entity_frame()),
    "trend": lambda: charts.trend(*trend_frames()),
}

EMPTY_BUILDERS: dict[str, Callable[[], go.Figure]] = {
    "activities_by_entity": lambda: charts.activities_by_entity(by_entity_frame().iloc[0:0]),
    "lawful_bases_by_entity": lambda: charts.lawful_bases_by_entity(lawful_frame().iloc[0:0]),
    "categories_heatmap": lambda: charts.categories_heatmap(categories_frame().iloc[0:0]),
    "data_flows_sankey": lambda: charts.data_flows_sankey(flows_frame().iloc[0:0]),
    "transfers_map": lambda: charts.transfers_map(countries_frame().iloc[0:0], AS_OF),
    "retention_distribution": lambda: charts.retention_distribution(retention_frame().iloc[0:0]),
    "review_status_by_entity": lambda: charts.review_status_by_entity(review_frame().iloc[0:0]),
    "findings_by_rule": lambda: charts.findings_by_rule(findings_rule_frame().iloc[0:0]),
    "findings_by_entity": lambda: charts.findings_by_entity(findings_entity_frame().iloc[0:0]),
    "trend": lambda: charts.trend(trend_frames()[0].iloc[0:0], trend_frames()[1].iloc[0:0]),
}


def traces(fig: go.Figure, kind: str) -> list[Any]:
    return [t for t in fig.data if t.type == kind]


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_builder_returns_a_figure_plotly_accepts(name: str) -> None:
    fig = BUILDERS[name]()
    validated = go.Figure(fig.to_dict())  # raises on any property Plotly does not know
    assert validated.data
    assert validated.layout.title.text


@pytest.mark.parametrize("name", list(EMPTY_BUILDERS))
def test_every_builder_says_so_when_there_is_nothing_to_show(name: str) -> None:
    fig = EMPTY_BUILDERS[name]()
    go.Figure(fig.to_dict())
    assert not fig.data
    assert fig.layout.annotations and fig.layout.annotations[0].text.startswith("No ")


def test_severity_colours_are_the_gap_analysis_colours() -> None:
    assert SEVERITY_COLOURS is GAP_SEVERITY_COLOURS
    assert TRANSFER_STATE_COLOURS["invalid"] == GAP_SEVERITY_COLOURS["critical"]
    assert REVIEW_STATE_COLOURS["overdue"] == GAP_SEVERITY_COLOURS["critical"]


def test_activities_by_entity_stacks_functions_with_ids_on_every_segment() -> None:
    fig = charts.activities_by_entity(by_entity_frame())
    bars = traces(fig, "bar")
    assert [b.name for b in bars] == ["Finance", "HR"]
    assert all(b.orientation == "h" for b in bars)
    finance = bars[0]
    assert list(finance.y) == ["Entity 01", "Entity 02"]
    assert list(finance.x) == [1, 2]
    assert [id_list(c) for c in finance.customdata] == [[1], [3, 4]]
    assert finance.marker.color == CATEGORICAL[0]
    assert fig.layout.barmode == "stack"
    # Largest entity on top: the category array runs bottom to top.
    assert list(fig.layout.yaxis.categoryarray) == ["Entity 01", "Entity 02"]


def test_fifty_entities_each_get_a_row_of_their_own() -> None:
    fig = charts.activities_by_entity(by_entity_frame(50))
    axis = list(fig.layout.yaxis.categoryarray)
    assert len(axis) == 50
    assert not any(a.startswith("Other") for a in axis)
    assert fig.layout.height >= 50 * 20


def test_beyond_the_top_n_entities_the_rest_fold_into_other_with_all_their_ids() -> None:
    frame = by_entity_frame(60)
    fig = charts.activities_by_entity(frame, top=15)
    axis = list(fig.layout.yaxis.categoryarray)
    assert len(axis) == 16
    assert axis[0] == "Other entities (45)"
    assert axis[-1] == "Entity 60"
    folded = frame[~frame["entity"].isin(axis)]
    other_ids = sorted(i for t in traces(fig, "bar") for y, c in zip(t.y, t.customdata, strict=True)
                       if y == axis[0] for i in id_list(c))
    assert other_ids == sorted(i for ids in folded["activity_ids"] for i in ids)
    assert fig.layout.height <= 16 * 22 + 140
    assert len(charts.activities_by_entity(frame).layout.yaxis.categoryarray) == 51


def test_folding_sums_counts_and_merges_ids_per_series() -> None:
    items = [Cell("A", "x", 5, ([1, 2, 3, 4, 5],)), Cell("B", "x", 2, ([6, 7],)), Cell("C", "x", 1, ([8],)),
             Cell("C", "y", 1, ([8],))]
    folded = fold(items, 1, "Other")
    assert [c.axis for c in folded] == ["A", "Other (2)", "Other (2)"]
    other_x = folded[1]
    assert (other_x.series, other_x.value, other_x.ids_text()) == ("x", 3, "6,7,8")
    assert (folded[2].series, folded[2].value, folded[2].ids_text()) == ("y", 1, "8")


def test_folding_series_keeps_the_axis() -> None:
    items = [Cell("A", "big", 9, ([1],)), Cell("A", "small", 1, ([2],)), Cell("A", "tiny", 1, ([2],))]
    folded = fold(items, 1, "Other", on_axis=False)
    assert [(c.axis, c.series, c.value, c.ids_text()) for c in folded] == [
        ("A", "big", 9, "1"), ("A", "Other (2)", 2, "2")]


def test_lawful_bases_show_a_trace_per_basis_including_none_recorded() -> None:
    fig = charts.lawful_bases_by_entity(lawful_frame())
    assert {b.name for b in traces(fig, "bar")} == {"Contract", "Consent", "None recorded"}


def test_heatmap_puts_special_categories_on_their_own_vermillion_scale() -> None:
    fig = charts.categories_heatmap(categories_frame())
    ordinary, special = traces(fig, "heatmap")
    assert list(ordinary.x) == ["identity"]
    assert list(special.x) == ["special.health"]
    assert [list(c) for c in special.colorscale] == [list(c) for c in SPECIAL_SCALE]
    assert special.z == ([1], [1]) or [list(r) for r in special.z] == [[1], [1]]
    health_tick = list(fig.layout.xaxis.ticktext)[list(fig.layout.xaxis.tickvals).index("special.health")]
    assert "#D55E00" in health_tick and "Health" in health_tick


def test_heatmap_cells_carry_their_activity_ids_for_click_through() -> None:
    fig = charts.categories_heatmap(categories_frame())
    (cells,) = traces(fig, "scatter")
    pairs = {(x, y): id_list(c) for x, y, c in zip(cells.x, cells.y, cells.customdata, strict=True)}
    assert pairs[("special.health", "Entity 02")] == [12]
    assert pairs[("identity", "Entity 01")] == [1, 2]


def test_heatmap_with_sixty_entities_shows_fifty_rows_and_other() -> None:
    fig = charts.categories_heatmap(categories_frame(60))
    rows = list(fig.layout.yaxis.categoryarray)
    assert len(rows) == 51
    assert rows[0] == "Other entities (10)"
    assert fig.layout.height <= 1500


def test_sankey_links_the_four_layers_and_folds_small_nodes() -> None:
    fig = charts.data_flows_sankey(flows_frame(n_subjects=15), top=10)
    (sankey,) = traces(fig, "sankey")
    labels = list(sankey.node.label)
    assert "Other data subjects (5)" in labels
    assert {"Finance", "Cloud hosting providers", "United States"} <= set(labels)
    finance = labels.index("Finance")
    into_finance = sum(v for t, v in zip(sankey.link.target, sankey.link.value, strict=True) if t == finance)
    assert into_finance == sum(range(1, 16))


def test_map_colours_each_country_by_its_worst_state_and_carries_ids() -> None:
    fig = charts.transfers_map(countries_frame(), AS_OF)
    choropleths = traces(fig, "choropleth")
    by_state = {t.legendgroup: t for t in choropleths}
    assert list(by_state["invalid"].locations) == ["USA"]
    assert by_state["invalid"].colorscale[0][1] == TRANSFER_STATE_COLOURS["invalid"]
    assert by_state["missing"].colorscale[0][1] == TRANSFER_STATE_COLOURS["missing"]
    assert id_list(by_state["invalid"].customdata[0]) == [1, 2]
    markers = traces(fig, "scattergeo")
    assert {t.legendgroup for t in markers} == set(by_state)
    assert "Singapore" in markers[[t.legendgroup for t in markers].index("missing")].hovertext[0]
    assert fig.layout.geo.resolution == 50
    assert charts.WORLD_TOPOJSON == "world_50m"
    assert "1 November 2026" in fig.layout.title.text


def test_retention_keeps_unknown_and_vague_as_bars_of_their_own() -> None:
    fig = charts.retention_distribution(retention_frame())
    bars = {b.name: b for b in traces(fig, "bar")}
    assert list(bars["Unknown"].x) == ["Unknown"] and list(bars["Unknown"].y) == [2]
    assert list(bars["Vague rule"].x) == ["Vague rule"]
    assert bars["Unknown"].marker.color == RETENTION_KIND_COLOURS["unknown"]
    assert list(fig.layout.xaxis.categoryarray) == ["Up to 6 months", "3-6 years", "Vague rule", "Unknown"]


def test_review_status_shows_overdue_first_in_the_alarm_colour() -> None:
    fig = charts.review_status_by_entity(review_frame())
    bars = traces(fig, "bar")
    assert bars[0].name == "Review overdue"
    assert bars[0].marker.color == REVIEW_STATE_COLOURS["overdue"]
    assert id_list(bars[0].customdata[0]) == [1, 2]


def test_findings_are_stacked_by_severity_in_severity_colours() -> None:
    fig = charts.findings_by_rule(findings_rule_frame())
    bars = traces(fig, "bar")
    assert [b.name for b in bars] == ["Critical", "Medium"]
    assert [b.marker.color for b in bars] == [SEVERITY_COLOURS["critical"], SEVERITY_COLOURS["medium"]]
    assert list(bars[0].x) == [3]


def test_entity_level_findings_count_but_carry_no_activity() -> None:
    fig = charts.findings_by_entity(findings_entity_frame())
    low = [b for b in traces(fig, "bar") if b.name == "Low"][0]
    assert list(low.x) == [1]
    assert id_list(low.customdata[0]) == []


def test_trend_stacks_statuses_over_month_ends_beside_findings_now() -> None:
    fig = charts.trend(*trend_frames())
    lines = traces(fig, "scatter")
    assert [t.name for t in lines] == ["Approved", "Draft"]
    assert list(lines[0].x) == ["2026-09-30", "2026-10-31"]
    assert list(lines[0].y) == [3, 4]
    assert all(t.stackgroup == "activities" for t in lines)
    bars = traces(fig, "bar")
    assert [(b.name, list(b.y)) for b in bars] == [("Critical", [2]), ("High", [0]), ("Medium", [0]),
                                                     ("Low", [5])]
    assert id_list(bars[0].customdata[0]) == [1, 2]


def test_user_text_is_shown_literally_not_as_markup() -> None:
    frame = by_entity_frame(1).assign(entity="<b onmouseover=x>Evil & Co</b>")
    fig = charts.activities_by_entity(frame)
    assert list(fig.layout.yaxis.categoryarray) == ["&lt;b onmouseover=x&gt;Evil &amp; Co&lt;/b&gt;"]


def test_short_cuts_long_labels_without_breaking_an_escaped_character() -> None:
    assert short("Sales &amp; Marketing", 8) == "Sales &amp;…"
    assert short("Sales &amp; Marketing", 40) == "Sales &amp; Marketing"


def test_colour_cycle_gives_other_the_neutral_colour() -> None:
    assert colour_cycle(["A", "Other functions (3)", "B"]) == {"A": CATEGORICAL[0],
                                                              "Other functions (3)": OTHER_COLOUR,
                                                              "B": CATEGORICAL[1]}


# -- click-through ---------------------------------------------------------------------------------------------

def test_a_clicked_bar_maps_back_to_its_activity_ids_and_a_label() -> None:
    fig = charts.activities_by_entity(by_entity_frame())
    state = {"selection": {"points": [{"curve_number": 0, "point_index": 1, "x": 2, "y": "Entity 02"}]}}
    chosen = charts.selected(fig, state, "Activities by entity")
    assert chosen == charts.Selection([3, 4], "Dashboard, Activities by entity: Finance · Entity 02")


def test_a_box_selection_unions_the_ids_of_every_point() -> None:
    fig = charts.activities_by_entity(by_entity_frame())
    state = {"selection": {"points": [{"curveNumber": 0, "pointIndex": 0}, {"curveNumber": 1, "pointIndex": 1}]}}
    chosen = charts.selected(fig, state, "Activities")
    assert chosen is not None
    assert chosen.activity_ids == [1, 5]
    assert chosen.label == "Dashboard, Activities: 2 selections"


def test_a_point_the_figure_does_not_know_falls_back_to_its_customdata() -> None:
    fig = charts.transfers_map(countries_frame(), AS_OF)
    state = {"selection": {"points": [{"customdata": "7,9", "hovertext": "Chile: 1 × adequacy"}]}}
    assert charts.selected(fig, state, "Transfers") == charts.Selection([7, 9], "Dashboard, Transfers: Chile: 1 × "
                                                                                "adequacy")


def test_the_label_reads_as_the_user_typed_it() -> None:
    frame = by_entity_frame(1).assign(entity="Smith & Sons")
    fig = charts.activities_by_entity(frame)
    state = {"selection": {"points": [{"curve_number": 0, "point_index": 0}]}}
    chosen = charts.selected(fig, state, "Activities")
    assert chosen is not None and chosen.label.endswith("Finance · Smith & Sons")


@pytest.mark.parametrize("state", [None, {}, {"selection": {"points": []}},
                                   {"selection": {"points": [{"curve_number": 9, "point_index": 0}]}}],
                         ids=["no state", "empty state", "no points", "unknown curve"])
def test_nothing_selected_opens_nothing(state: dict[str, Any] | None) -> None:
    assert charts.selected(charts.activities_by_entity(by_entity_frame()), state, "x") is None


# -- offline HTML export --------------------------------------------------------------------------------------

def test_html_export_embeds_plotly_and_fetches_nothing() -> None:
    page = charts.figure_html(charts.activities_by_entity(by_entity_frame()), title="Activities <by> entity")
    assert "<script src=" not in page
    assert "<title>Activities &lt;by&gt; entity</title>" in page
    assert 'window.PlotlyGeoAssets={topojson:{"' not in page
    assert len(page) > 1_000_000  # plotly.js itself is inline


def test_html_export_of_the_map_embeds_the_world_topojson() -> None:
    topojson = '{"type":"Topology","objects":{"note":"</script>"}}'
    page = charts.figure_html(charts.transfers_map(countries_frame(), AS_OF), title="Transfers",
                              topojson={charts.WORLD_TOPOJSON: topojson})
    assert 'window.PlotlyGeoAssets={topojson:{"world_50m":{"type":"Topology"' in page
    assert '"note":"<\\/script>"' in page
    assert page.index('window.PlotlyGeoAssets={topojson:{"') < page.index("<body>")


# -- the shipped world map ------------------------------------------------------------------------------------

WORLD_MAP = Path(__file__).resolve().parent.parent / "static" / "topojson" / f"{charts.WORLD_TOPOJSON}.json"


def deltas(points: list[tuple[int, int]]) -> list[list[int]]:
    """Absolute grid points as a topojson arc (the first point absolute, then differences)."""
    return [list(points[0])] + [[x - px, y - py] for (px, py), (x, y) in zip(points, points[1:], strict=False)]


@pytest.mark.parametrize(("points", "kept"), [
    ([(0, 0), (1, 0), (2, 0), (3, 0)], [(0, 0), (3, 0)]),  # a straight line keeps its ends only
    ([(0, 0), (5, 1), (10, 0)], [(0, 0), (10, 0)]),  # within the tolerance of the chord
    ([(0, 0), (5, 4), (10, 0)], [(0, 0), (5, 4), (10, 0)]),  # beyond it: the corner stays
    ([(0, 0), (7, 0)], [(0, 0), (7, 0)]),  # two points are already as simple as it gets
    ([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)], [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]),  # a tiny island survives
    ([(0, 0), (10, 0), (20, 0), (20, 10), (20, 20), (0, 20), (0, 0)], [(0, 0), (20, 0), (20, 20), (0, 20), (0, 0)]),
], ids=["straight", "small bend", "corner", "two points", "tiny ring", "square ring"])
def test_simplifying_an_arc_drops_only_points_the_map_cannot_show(points: list[tuple[int, int]],
                                                                  kept: list[tuple[int, int]]) -> None:
    # A grid step of 0.1 degree: 1 step is the tolerance, so (5, 1) is dropped and (5, 4) is not.
    assert simplify_arc(deltas(points), (0.1, 0.1), 0.1) == deltas(kept)


def test_simplifying_keeps_every_object_and_the_shared_borders() -> None:
    topology = {"type": "Topology", "transform": {"scale": [0.1, 0.1], "translate": [0, 0]},
                "objects": {"countries": {"type": "GeometryCollection", "geometries": [
                    {"type": "Polygon", "id": "AAA", "arcs": [[0, 1]]},
                    {"type": "Polygon", "id": "BBB", "arcs": [[~0, 2]]}]}},
                "arcs": [deltas([(0, 0), (0, 5), (0, 10)]), deltas([(0, 10), (-9, 10), (-10, 0), (0, 0)]),
                         deltas([(0, 0), (10, 0), (10, 10), (0, 10)])]}
    thinned = simplify_topology(topology)
    assert thinned["objects"] == topology["objects"]
    assert thinned["arcs"][0] == deltas([(0, 0), (0, 10)])  # the border both countries draw, once
    assert thinned["arcs"][1:] == topology["arcs"][1:]


def test_the_shipped_world_map_is_thinned_and_keeps_the_small_states() -> None:
    world = json.loads(WORLD_MAP.read_text(encoding="utf-8"))
    countries = {g.get("id") for g in world["objects"]["countries"]["geometries"]}
    assert {"SGP", "MLT", "JEY", "GGY", "IMN", "LIE", "MCO", "BHR", "HKG"} <= countries
    assert len(countries) >= 230
    assert point_count(world) < 35_000  # the 1:50m original has 122,526
    assert all(len(arc) >= 2 for arc in world["arcs"])
