"""The dashboard's chart builders on small hand-made frames: marks, values, colours, ids, readability."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest
from altair.vegalite.v6.schema import core as vega_lite

from ropa import charts
from ropa.charts.common import TARGETS, Cell, fold, id_list, short
from ropa.charts.data import BAND_POINTS
from ropa.charts.palette import (
    CATEGORICAL,
    OTHER_COLOUR,
    RETENTION_KIND_COLOURS,
    REVIEW_STATE_COLOURS,
    SEVERITY_COLOURS,
    SPECIAL_SCALE,
    TRANSFER_STATE_COLOURS,
    TRANSFER_STATE_LABELS,
    colour_cycle,
    scale_colour,
)
from ropa.charts.topojson import keep_objects, point_count, rewind_topology, simplify_arc, simplify_topology
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


Spec = dict[str, Any]

BUILDERS: dict[str, Callable[[], Spec]] = {
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

EMPTY_BUILDERS: dict[str, Callable[[], Spec]] = {
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

VEGA_LITE = jsonschema.Draft7Validator(vega_lite.load_schema())
"""Vega-Lite's own JSON schema (shipped with Altair): it rejects any property Vega-Lite does not know."""


def rows(spec: Spec) -> list[dict[str, Any]]:
    """The marks' data of a single-view chart (what the browser draws)."""
    return list(spec["data"]["values"])


def ids_of(spec: Spec, key: str) -> list[int]:
    """The activity ids the server keeps behind a clickable key."""
    return id_list(spec["usermeta"][TARGETS][key]["ids"])


def colours(encoding: dict[str, Any]) -> dict[str, str]:
    scale = encoding["color"]["scale"]
    return dict(zip(scale["domain"], scale["range"], strict=True))


def bars(spec: Spec) -> dict[str, list[dict[str, Any]]]:
    """A bar chart's rows by series, in stack order."""
    by_series: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows(spec), key=lambda r: r["rank"]):
        by_series.setdefault(row["series"], []).append(row)
    return by_series


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_builder_returns_a_spec_vega_lite_accepts(name: str) -> None:
    spec = BUILDERS[name]()
    assert not [error.message for error in VEGA_LITE.iter_errors(charts.browser_copy(spec))]
    assert charts.title_of(spec)
    assert charts.message(spec) is None
    json.dumps(spec)  # plain JSON: nothing but dicts, lists, strings and numbers


def test_the_schema_check_catches_a_misspelt_property() -> None:
    assert list(VEGA_LITE.iter_errors({"mark": "bar", "encoding": {"x": {"feld": "a", "type": "nominal"}}}))


@pytest.mark.parametrize("name", list(EMPTY_BUILDERS))
def test_every_builder_says_so_when_there_is_nothing_to_show(name: str) -> None:
    spec = EMPTY_BUILDERS[name]()
    assert not list(VEGA_LITE.iter_errors(spec))
    assert (charts.message(spec) or "").startswith("No ")
    assert not charts.is_clickable(spec)


def test_severity_colours_are_the_gap_analysis_colours() -> None:
    assert SEVERITY_COLOURS is GAP_SEVERITY_COLOURS
    assert TRANSFER_STATE_COLOURS["invalid"] == GAP_SEVERITY_COLOURS["critical"]
    assert REVIEW_STATE_COLOURS["overdue"] == GAP_SEVERITY_COLOURS["critical"]


def test_activities_by_entity_stacks_functions_with_ids_on_every_segment() -> None:
    spec = charts.activities_by_entity(by_entity_frame())
    series = bars(spec)
    assert list(series) == ["Finance", "HR"]
    finance = series["Finance"]
    assert [r["axis"] for r in finance] == ["Entity 01", "Entity 02"]
    assert [r["value"] for r in finance] == [1, 2]
    assert [ids_of(spec, r["key"]) for r in finance] == [[1], [3, 4]]
    assert colours(spec["encoding"])["Finance"] == CATEGORICAL[0]
    assert spec["encoding"]["x"]["stack"] == "zero"
    assert spec["encoding"]["y"]["type"] == "nominal"  # horizontal bars: entities down the side
    # Largest entity on top: the sort runs top to bottom.
    assert spec["encoding"]["y"]["sort"] == ["Entity 02", "Entity 01"]


def test_fifty_entities_each_get_a_row_of_their_own() -> None:
    spec = charts.activities_by_entity(by_entity_frame(50))
    axis = spec["encoding"]["y"]["sort"]
    assert len(axis) == 50
    assert not any(a.startswith("Other") for a in axis)
    assert spec["height"] >= 50 * 20


def test_beyond_the_top_n_entities_the_rest_fold_into_other_with_all_their_ids() -> None:
    frame = by_entity_frame(60)
    spec = charts.activities_by_entity(frame, top=15)
    axis = spec["encoding"]["y"]["sort"]
    assert len(axis) == 16
    assert axis[-1] == "Other entities (45)"
    assert axis[0] == "Entity 60"
    folded = frame[~frame["entity"].isin(axis)]
    other_ids = sorted(i for r in rows(spec) if r["axis"] == axis[-1] for i in ids_of(spec, r["key"]))
    assert other_ids == sorted(i for ids in folded["activity_ids"] for i in ids)
    assert spec["height"] <= 16 * 22 + 140
    assert len(charts.activities_by_entity(frame)["encoding"]["y"]["sort"]) == 51


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


def test_lawful_bases_show_a_series_per_basis_including_none_recorded() -> None:
    spec = charts.lawful_bases_by_entity(lawful_frame())
    assert set(bars(spec)) == {"Contract", "Consent", "None recorded"}
    assert colours(spec["encoding"])["None recorded"] == SEVERITY_COLOURS["critical"]


def heat_layers(spec: Spec) -> tuple[dict[str, Any], dict[str, Any]]:
    cells, numbers = spec["layer"]
    return cells, numbers


def test_heatmap_puts_special_categories_on_their_own_vermillion_scale() -> None:
    spec = charts.categories_heatmap(categories_frame())
    fills = {(r["column"], r["entity"]): r["fill"] for r in rows(spec)}
    assert fills[("Health", "Entity 01")] == str(SPECIAL_SCALE[-1][1])  # the largest special count: full vermillion
    assert fills[("Identity", "Entity 01")] == "#0072B2"  # the largest ordinary count: full blue
    assert spec["encoding"]["x"]["sort"] == ["Identity", "Health"]  # ordinary columns first, then special ones
    label_colour = spec["encoding"]["x"]["axis"]["labelColor"]
    assert label_colour["condition"]["value"] == "#D55E00"
    assert '["Health"]' in label_colour["condition"]["test"]
    assert heat_layers(spec)[1]["mark"]["type"] == "text"  # each cell shows its count


@pytest.mark.parametrize(("share", "colour"), [(0.0, "#FBF1EA"), (1.0, "#D55E00"), (0.5, "#E8A875"), (2.0, "#D55E00")],
                         ids=["empty", "full", "half", "beyond"])
def test_heat_colours_mix_between_the_two_ends_of_the_scale(share: float, colour: str) -> None:
    assert scale_colour(SPECIAL_SCALE, share) == colour


def test_heatmap_cells_carry_their_activity_ids_for_click_through() -> None:
    spec = charts.categories_heatmap(categories_frame())
    pairs = {(r["column"], r["entity"]): ids_of(spec, r["key"]) for r in rows(spec)}
    assert pairs[("Health", "Entity 02")] == [12]
    assert pairs[("Identity", "Entity 01")] == [1, 2]
    assert "pick" in {p["name"] for p in heat_layers(spec)[0]["params"]}


def test_heatmap_with_sixty_entities_shows_fifty_rows_and_other() -> None:
    spec = charts.categories_heatmap(categories_frame(60))
    entities = spec["encoding"]["y"]["sort"]
    assert len(entities) == 51
    assert entities[-1] == "Other entities (10)"
    assert spec["height"] <= 1500


def sankey_nodes(spec: Spec) -> list[dict[str, Any]]:
    return list(spec["layer"][1]["data"]["values"])


def test_sankey_links_the_four_layers_and_folds_small_nodes() -> None:
    spec = charts.data_flows_sankey(flows_frame(n_subjects=15), top=10)
    nodes = sankey_nodes(spec)
    names = [n["name"] for n in nodes]
    assert "Other data subjects (5)" in names
    assert {"Finance", "Cloud hosting providers", "United States"} <= set(names)
    assert sorted({n["x"] for n in nodes}) == [0.0, 1.0, 2.0, 3.0]  # one column per layer
    finance = nodes[names.index("Finance")]
    assert finance["value"] == sum(range(1, 16))
    bands = spec["layer"][0]["data"]["values"]
    into_finance = {b["link"]: b["value"] for b in bands if b["label"].endswith("→ Finance (business function)")}
    assert sum(into_finance.values()) == sum(range(1, 16))


def test_sankey_bands_fill_their_nodes_exactly() -> None:
    spec = charts.data_flows_sankey(flows_frame(n_subjects=3))
    finance = next(n for n in sankey_nodes(spec) if n["name"] == "Finance")
    ends = [b for b in spec["layer"][0]["data"]["values"] if b["x"] == finance["x"]]
    assert min(b["top"] for b in ends) == pytest.approx(finance["top"], abs=1e-3)
    assert max(b["bottom"] for b in ends) == pytest.approx(finance["bottom"], abs=1e-3)


def test_sankey_bands_are_a_few_points_joined_by_a_smooth_curve() -> None:
    spec = charts.data_flows_sankey(flows_frame(n_subjects=3))
    bands = spec["layer"][0]
    points: dict[int, list[float]] = {}
    for row in bands["data"]["values"]:
        points.setdefault(row["link"], []).append(row["x"])
    assert bands["mark"]["interpolate"] == "monotone"
    assert {len(xs) for xs in points.values()} == {BAND_POINTS + 1}
    assert all(xs == sorted(xs) for xs in points.values())  # each band runs left to right


def map_layers(spec: Spec) -> tuple[dict[str, Any], dict[str, Any]]:
    countries, markers = spec["layer"]
    return countries, markers


def test_map_colours_each_country_by_its_worst_state_and_carries_ids() -> None:
    spec = charts.transfers_map(countries_frame(), AS_OF)
    countries, markers = map_layers(spec)
    lookup = countries["transform"][1]
    assert lookup["lookup"] == "id"
    keyed = {r["iso3"]: r for r in lookup["from"]["data"]["values"]}
    assert keyed["USA"]["state"] == TRANSFER_STATE_LABELS["invalid"]
    fill = countries["encoding"]["color"]
    assert colours({"color": fill["condition"]})[TRANSFER_STATE_LABELS["invalid"]] == TRANSFER_STATE_COLOURS["invalid"]
    assert colours({"color": fill["condition"]})[TRANSFER_STATE_LABELS["missing"]] == TRANSFER_STATE_COLOURS["missing"]
    assert fill["value"] == "#F2F2F2"  # a country without transfers stays grey
    assert ids_of(spec, keyed["USA"]["key"]) == [1, 2]
    assert "Singapore" in keyed["SGP"]["label"]
    assert keyed["USA"]["size"] > keyed["SGP"]["size"]  # more transfers, a bigger marker
    assert markers["mark"]["type"] == "circle" and markers["transform"][0] == lookup
    assert countries["data"]["url"] == charts.WORLD_URL == "/app/static/topojson/world_50m.json"
    assert charts.WORLD_TOPOJSON == "world_50m"
    assert "1 November 2026" in charts.title_of(spec)


def test_map_reads_the_world_from_the_url_it_is_given() -> None:
    spec = charts.transfers_map(countries_frame(), AS_OF, world_url="/ropa/app/static/topojson/world_50m.json")
    assert {layer["data"]["url"] for layer in spec["layer"]} == {"/ropa/app/static/topojson/world_50m.json"}


def test_retention_keeps_unknown_and_vague_as_bars_of_their_own() -> None:
    spec = charts.retention_distribution(retention_frame())
    by_bucket = {r["bucket"]: r for r in rows(spec)}
    assert by_bucket["Unknown"]["value"] == 2 and by_bucket["Unknown"]["kind"] == "Unknown"
    assert by_bucket["Vague rule"]["kind"] == "Vague rule"
    assert colours(spec["encoding"])["Unknown"] == RETENTION_KIND_COLOURS["unknown"]
    assert spec["encoding"]["x"]["sort"] == ["Up to 6 months", "3-6 years", "Vague rule", "Unknown"]
    assert ids_of(spec, by_bucket["Unknown"]["key"]) == [5, 6]


def test_review_status_shows_overdue_first_in_the_alarm_colour() -> None:
    spec = charts.review_status_by_entity(review_frame())
    series = bars(spec)
    assert next(iter(series)) == "Review overdue"
    assert colours(spec["encoding"])["Review overdue"] == REVIEW_STATE_COLOURS["overdue"]
    assert ids_of(spec, series["Review overdue"][0]["key"]) == [1, 2]


def test_findings_are_stacked_by_severity_in_severity_colours() -> None:
    spec = charts.findings_by_rule(findings_rule_frame())
    series = bars(spec)
    assert list(series) == ["Critical", "Medium"]
    assert [colours(spec["encoding"])[s] for s in series] == [SEVERITY_COLOURS["critical"],
                                                              SEVERITY_COLOURS["medium"]]
    assert series["Critical"][0]["value"] == 3


def test_entity_level_findings_count_but_carry_no_activity() -> None:
    spec = charts.findings_by_entity(findings_entity_frame())
    (low,) = bars(spec)["Low"]
    assert low["value"] == 1
    assert ids_of(spec, low["key"]) == []


def test_trend_stacks_statuses_over_month_ends_beside_findings_now() -> None:
    spec = charts.trend(*trend_frames())
    over_time, now = spec["hconcat"]
    history = over_time["data"]["values"]
    approved = [r for r in history if r["status"] == "Approved"]
    assert [r["month_end"] for r in approved] == ["2026-09-30", "2026-10-31"]
    assert [r["value"] for r in approved] == [3, 4]
    assert over_time["encoding"]["y"]["stack"] == "zero"
    assert colours(over_time["encoding"]) == {"Approved": "#009E73", "Draft": "#999999"}
    counts = [(r["severity"], r["value"]) for r in now["data"]["values"]]
    assert counts == [("Critical", 2), ("High", 0), ("Medium", 0), ("Low", 5)]
    assert ids_of(spec, "critical") == [1, 2]


def test_user_text_is_kept_as_typed_and_drawn_as_plain_text() -> None:
    frame = by_entity_frame(1).assign(entity="<b onmouseover=x>Evil & Co</b>")
    spec = charts.activities_by_entity(frame)
    assert spec["encoding"]["y"]["sort"] == ["<b onmouseover=x>Evil & Co</b>"]
    assert [r["label"] for r in rows(spec)] == ["Finance · <b onmouseover=x>Evil & Co</b>",
                                                 "HR · <b onmouseover=x>Evil & Co</b>"]


def test_short_cuts_long_labels_with_an_ellipsis() -> None:
    assert short("Sales & Marketing", 8) == "Sales &…"
    assert short("Sales & Marketing", 40) == "Sales & Marketing"


def test_colour_cycle_gives_other_the_neutral_colour() -> None:
    assert colour_cycle(["A", "Other functions (3)", "B"]) == {"A": CATEGORICAL[0],
                                                              "Other functions (3)": OTHER_COLOUR,
                                                              "B": CATEGORICAL[1]}


# -- click-through ---------------------------------------------------------------------------------------------

def picked(*keys: str, param: str = "pick") -> dict[str, Any]:
    """A selection event as Streamlit reports it: the picked marks' fields per selection parameter."""
    return {"selection": {param: [{"key": k} for k in keys]}}


def key_of(spec: Spec, axis: str, series: str) -> str:
    return next(str(r["key"]) for r in rows(spec) if r["axis"] == axis and r["series"] == series)


def test_a_clicked_bar_maps_back_to_its_activity_ids_and_a_label() -> None:
    spec = charts.activities_by_entity(by_entity_frame())
    chosen = charts.selected(spec, picked(key_of(spec, "Entity 02", "Finance")), "Activities by entity")
    assert chosen == charts.Selection([3, 4], "Dashboard, Activities by entity: Finance · Entity 02")


def test_shift_clicked_bars_union_the_ids_of_every_mark() -> None:
    spec = charts.activities_by_entity(by_entity_frame())
    chosen = charts.selected(spec, picked(key_of(spec, "Entity 01", "Finance"), key_of(spec, "Entity 02", "HR")),
                             "Activities")
    assert chosen is not None
    assert chosen.activity_ids == [1, 5]
    assert chosen.label == "Dashboard, Activities: 2 selections"


@pytest.mark.parametrize("param", ["pick", "pick_marker"], ids=["country", "marker"])
def test_a_clicked_country_or_its_marker_opens_its_activities(param: str) -> None:
    spec = charts.transfers_map(countries_frame(), AS_OF)
    usa = next(r for r in map_layers(spec)[1]["transform"][0]["from"]["data"]["values"] if r["iso3"] == "USA")
    chosen = charts.selected(spec, picked(usa["key"], param=param), "Transfers")
    assert chosen == charts.Selection([1, 2], "Dashboard, Transfers: United States: 2 × invalid mechanism, "
                                              "1 × adequacy")


def test_the_label_reads_as_the_user_typed_it() -> None:
    frame = by_entity_frame(1).assign(entity="Smith & Sons")
    spec = charts.activities_by_entity(frame)
    chosen = charts.selected(spec, picked(key_of(spec, "Smith & Sons", "Finance")), "Activities")
    assert chosen is not None and chosen.label.endswith("Finance · Smith & Sons")


@pytest.mark.parametrize("state", [None, {}, {"selection": {}}, {"selection": {"pick": []}}, picked("999"),
                                   {"selection": {"other": [{"key": "0"}]}}],
                         ids=["no state", "empty state", "no params", "nothing picked", "unknown key",
                              "another parameter"])
def test_nothing_selected_opens_nothing(state: dict[str, Any] | None) -> None:
    assert charts.selected(charts.activities_by_entity(by_entity_frame()), state, "x") is None


@pytest.mark.parametrize("name", list(BUILDERS))
def test_the_browser_copy_leaves_the_activity_ids_on_the_server(name: str) -> None:
    spec = BUILDERS[name]()
    shown = charts.browser_copy(spec)
    assert TARGETS not in json.dumps(shown)
    assert charts.is_clickable(spec) == (name != "data_flows_sankey")
    assert {k: v for k, v in spec.items() if k != "usermeta"} == {k: v for k, v in shown.items() if k != "usermeta"}


# -- offline HTML export --------------------------------------------------------------------------------------

def needs_vl_convert() -> None:
    pytest.importorskip("vl_convert", reason="the HTML export needs vl-convert-python (requirements.txt)")


def test_html_export_embeds_vega_and_fetches_nothing() -> None:
    needs_vl_convert()
    page = charts.chart_html(charts.activities_by_entity(by_entity_frame()), title="Activities <by> entity")
    assert "<script src=" not in page
    assert "<title>Activities &lt;by&gt; entity</title>" in page
    assert TARGETS not in page
    assert len(page) > 500_000  # Vega, Vega-Lite and vega-embed are inline


def test_html_export_of_the_map_embeds_the_world_topojson() -> None:
    needs_vl_convert()
    topojson = '{"type":"Topology","objects":{"note":"</script>"},"arcs":[]}'
    page = charts.chart_html(charts.transfers_map(countries_frame(), AS_OF), title="Transfers",
                             topojson={charts.WORLD_TOPOJSON: topojson})
    assert "world_50m.json" not in page
    assert '"type":"Topology"' in page.replace(" ", "")
    assert "</script>\"" not in page and page.count("</script>") == page.count("<script")


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


def test_keeping_only_the_countries_drops_the_other_objects_and_their_arcs() -> None:
    line = deltas([(0, 0), (0, 10)])
    topology = {"type": "Topology", "transform": {"scale": [0.1, 0.1], "translate": [0, 0]},
                "objects": {"rivers": {"type": "LineString", "arcs": [0]},
                            "countries": {"type": "GeometryCollection", "geometries": [
                                {"type": "Polygon", "id": "AAA", "arcs": [[1, ~2]]},
                                {"type": "MultiPolygon", "id": "BBB", "arcs": [[[2, 3]]]},
                                {"type": None, "id": "CCC"}]}},
                "arcs": [line, deltas([(0, 0), (5, 5)]), deltas([(0, 0), (5, 0)]), deltas([(5, 0), (5, 5)])]}
    kept = keep_objects(topology)
    assert list(kept["objects"]) == ["countries"]
    shapes = kept["objects"]["countries"]["geometries"]
    assert [s.get("arcs") for s in shapes] == [[[0, ~1]], [[[1, 2]]], None]  # renumbered, direction kept
    assert kept["arcs"] == topology["arcs"][1:]
    assert kept["transform"] == topology["transform"]


def test_the_shipped_world_map_is_thinned_and_keeps_the_small_states() -> None:
    world = json.loads(WORLD_MAP.read_text(encoding="utf-8"))
    countries = {g.get("id") for g in world["objects"]["countries"]["geometries"]}
    assert {"SGP", "MLT", "JEY", "GGY", "IMN", "LIE", "MCO", "BHR", "HKG"} <= countries
    assert len(countries) >= 230
    assert point_count(world) < 35_000  # the 1:50m original has 122,526
    assert all(len(arc) >= 2 for arc in world["arcs"])
    assert list(world["objects"]) == ["countries"]  # what the map draws, and nothing the browser would discard
    assert keep_objects(world) == world  # every arc left is a country's


def test_rewinding_turns_a_backwards_ring_and_keeps_the_arcs() -> None:
    square = deltas([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)])  # anticlockwise: the globe less a square
    topology = {"type": "Topology", "transform": {"scale": [1, 1], "translate": [0, 0]}, "arcs": [square],
                "objects": {"countries": {"type": "GeometryCollection", "geometries": [
                    {"type": "Polygon", "id": "AAA", "arcs": [[0]]},
                    {"type": "MultiPolygon", "id": "BBB", "arcs": [[[~0]]]}]}}}
    rewound = rewind_topology(topology)
    shapes = rewound["objects"]["countries"]["geometries"]
    assert [shapes[0]["arcs"], shapes[1]["arcs"]] == [[[~0]], [[[~0]]]]  # both now clockwise
    assert rewound["arcs"] == topology["arcs"]
    assert rewind_topology(rewound) == rewound


def test_the_shipped_world_map_is_wound_the_way_the_browser_reads_it() -> None:
    world = json.loads(WORLD_MAP.read_text(encoding="utf-8"))
    assert rewind_topology(world) == world
