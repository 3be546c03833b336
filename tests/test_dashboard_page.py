"""The dashboard page (AppTest): runs on an empty and a demo register, filters change every number,
and a chart selection opens the register on those activities."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from ropa.charts import Selection
from ropa.storage.database import open_database
from ropa.storage.entities import list_entities
from ropa.storage.entity_rows import descendant_ids

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent
CHARTS = 10


def page() -> AppTest:
    return AppTest.from_file(str(ROOT / "screens" / "dashboard.py"), default_timeout=60)


def metric(at: AppTest, label: str) -> str:
    return str(next(m.value for m in at.metric if m.label == label))


def charts_shown(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def titles(at: AppTest) -> list[str]:
    return [str(spec["title"]["text"]) for spec in charts_shown(at)]


@pytest.fixture
def demo(app_env: Path, demo_template: Path) -> Path:
    shutil.copy(demo_template, app_env)
    return app_env


def test_dashboard_runs_on_an_empty_register(app_env: Path) -> None:
    at = page().run()
    assert not at.exception
    assert at.title[0].value == "Dashboard"
    assert metric(at, "Activities") == "0"
    assert metric(at, "Art. 30 completeness") == "—"
    assert any("No activities match" in i.value for i in at.info)
    assert len(charts_shown(at)) == CHARTS


def test_dashboard_shows_every_chart_with_its_caption_and_download(demo: Path) -> None:
    at = page().run()
    assert not at.exception
    live = open_database(demo).rows("SELECT count(*) FROM activities WHERE status <> 'archived'")[0][0]
    assert metric(at, "Activities") == f"{live:,}"
    shown = charts_shown(at)
    assert len(shown) == CHARTS
    assert any(t.startswith("International transfers on") for t in titles(at))
    # The browser gets the keys of the clickable marks, never the activity ids behind them.
    assert not any("ropa_targets" in json.dumps(spec) for spec in shown)
    assert len([b for b in at.get("download_button")]) == CHARTS
    captions = [c.value for c in at.caption]
    assert sum(1 for c in captions if c.endswith(".") and len(c) > 40) >= CHARTS


def test_the_page_shows_no_text_from_its_own_source(demo: Path) -> None:
    """Everything the dashboard writes is a title, metric, caption, notice or chart: no bare Markdown, which
    is what Streamlit makes of a string left standing in a page script."""
    at = page().run()
    assert not at.exception
    assert [m.value for m in at.markdown] == []


def test_map_is_told_to_load_its_world_from_the_app_itself(demo: Path) -> None:
    at = page().run()
    (world,) = [spec for spec in charts_shown(at) if spec["title"]["text"].startswith("International transfers")]
    assert {layer["data"]["url"] for layer in world["layer"]} == {"/app/static/topojson/world_50m.json"}
    assert (ROOT / "static" / "topojson" / "world_50m.json").is_file()


def test_choosing_an_entity_narrows_every_number_to_it_and_its_subsidiaries(demo: Path) -> None:
    db = open_database(demo)
    parents = [e for e in list_entities(db) if e.parent_id is None]
    parent = max(parents, key=lambda e: len(descendant_ids(db, e.id or 0)))
    scope = descendant_ids(db, parent.id or 0)
    expected = db.rows("SELECT count(*) FROM activities WHERE status <> 'archived' AND list_contains(?, entity_id)",
                       [scope])[0][0]
    at = page().run()
    everything = metric(at, "Activities")
    at.selectbox(key="dashboard_entity").set_value(parent.id).run()
    assert not at.exception
    assert metric(at, "Activities") == f"{expected:,}"
    assert metric(at, "Entities") == str(len(scope))
    assert expected < int(everything.replace(",", ""))


def test_function_status_and_date_filters_apply(demo: Path) -> None:
    db = open_database(demo)
    function = db.rows("SELECT business_function FROM activities WHERE status <> 'archived' "
                       "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0][0]
    in_function = db.rows("SELECT count(*) FROM activities WHERE status <> 'archived' AND business_function = ?",
                          [function])[0][0]
    at = page().run()
    at.multiselect(key="dashboard_functions").set_value([function]).run()
    assert not at.exception
    assert metric(at, "Activities") == f"{in_function:,}"

    at.multiselect(key="dashboard_functions").set_value([]).run()
    at.multiselect(key="dashboard_statuses").set_value(["draft"]).run()
    drafts = db.rows("SELECT count(*) FROM activities WHERE status = 'draft'")[0][0]
    assert metric(at, "Activities") == f"{drafts:,}"

    at.multiselect(key="dashboard_statuses").set_value([]).run()
    assert any("at least one status" in i.value for i in at.info)
    assert not charts_shown(at)

    at.multiselect(key="dashboard_statuses").set_value(["draft", "in_review", "approved"]).run()
    at.date_input(key="dashboard_as_of").set_value(date(2000, 1, 1)).run()
    assert not at.exception
    assert metric(at, "Reviews overdue") == "0"
    assert "International transfers on 1 January 2000 (Chapter V)" in titles(at)


def test_a_chart_selection_opens_the_register_on_those_activities(demo: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("screens/dashboard.py").run()
    assert not at.exception
    assert at.title[0].value == "Dashboard"
    at.session_state["dashboard_open_register"] = Selection([1, 2], "Dashboard, Transfers: United States")
    at.run()
    assert not at.exception
    assert at.session_state["register_preset"] == {"activity_ids": [1, 2],
                                                   "label": "Dashboard, Transfers: United States"}
    assert at.title[0].value == "Register of processing activities"


def test_a_later_session_reuses_the_analysis_until_the_register_changes(demo: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The caches are shared by sessions and never expire on their own: the register's stamp decides."""
    import streamlit as st
    from streamlit.runtime.caching import cache_utils

    import ropa.dashboard
    from ropa.storage.activities import archive_activity
    from tests.factories import DPO

    clock = [1_000.0]
    monkeypatch.setattr(cache_utils, "TTLCACHE_TIMER", lambda: clock[0])
    st.cache_data.clear()
    st.cache_resource.clear()
    runs: list[date] = []
    analyse = ropa.dashboard.gap_results
    monkeypatch.setattr(ropa.dashboard, "gap_results", lambda db, as_of, *rest: runs.append(as_of) or analyse(
        db, as_of, *rest))
    assert not page().run().exception
    clock[0] += 8 * 3600  # a working day later, another manager opens the page
    assert not page().run().exception
    assert len(runs) == 1
    db = open_database(demo)
    live, version = db.rows("SELECT id, version FROM activities WHERE status = 'approved' ORDER BY id LIMIT 1")[0]
    archive_activity(db, DPO, int(live), int(version))
    assert not page().run().exception
    assert len(runs) == 2


def test_the_app_serves_the_world_map_itself() -> None:
    """The map's topojson URL only works while Streamlit serves static/ (no CDN fallback)."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableStaticServing"] is True
    world = (ROOT / "static" / "topojson" / "world_50m.json").read_text(encoding="utf-8")
    assert json.loads(world)["type"] == "Topology"


ROWS = [{"key": "0", "axis": "Entity 01", "value": 3, "share": 0.5, "special": True},
        {"key": "1", "axis": "Entity 02", "value": 1, "share": 0.25, "special": False}]


@pytest.mark.parametrize(("spec", "split"), [
    ({"title": "t", "data": {"values": ROWS}, "mark": "bar"}, True),
    ({"title": "t", "data": {"values": []}, "mark": "bar"}, False),
    ({"title": "t", "data": {"url": "/app/static/x.json"}, "mark": "geoshape"}, False),
    ({"title": "t", "data": {"values": ROWS, "format": {"type": "json"}}, "mark": "bar"}, False),
    ({"title": "t", "layer": [{"data": {"values": ROWS}, "mark": "bar"}]}, False),
], ids=["top-level rows", "no rows", "a url", "rows with a format", "rows in a layer"])
def test_the_page_sends_a_charts_rows_as_streamlit_would(spec: dict[str, Any], split: bool) -> None:
    """The rows the page converts once are the table Streamlit itself builds from ``data.values``."""
    import pyarrow as pa
    from streamlit.dataframe_util import convert_anything_to_arrow_bytes

    from ui.render import chart_rows

    rest, rows = chart_rows(spec)
    if not split:
        assert (rest, rows) == (spec, None)
        return
    assert rest == {k: v for k, v in spec.items() if k != "data"}
    assert rows is not None
    expected = pa.ipc.open_stream(convert_anything_to_arrow_bytes(spec["data"]["values"])).read_all()
    assert rows.equals(expected, check_metadata=True)
