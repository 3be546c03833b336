"""The register page: search, filters, the dashboard's preset list and opening an activity."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ropa.storage.activities import create_activity
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity
from tests.factories import DPO, Seeded, make_activity, make_entity
from ui.nav import PRESET_KEY

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent


def _build(db: Database) -> dict[str, int]:
    parent = create_entity(db, DPO, make_entity(name="Group plc"))
    child = create_entity(db, DPO, make_entity(name="Child Ltd", parent_id=parent.id))
    ids = {
        "billing": create_activity(db, DPO, make_activity(parent.id or 0)).id,
        "payroll": create_activity(db, DPO, make_activity(child.id or 0, name="Payroll", business_function="HR",
                                                          data_categories=["special.health"])).id,
        "cctv": create_activity(db, DPO, make_activity(child.id or 0, name="CCTV", status="draft")).id,
    }
    return {k: int(v or 0) for k, v in ids.items()} | {"parent": int(parent.id or 0), "child": int(child.id or 0)}


def _seed(app_env: Path, seeded: Seeded) -> tuple[Database, dict[str, int]]:
    """The register of these tests at ``app_env`` (built once, copied), and its ids."""
    ids: dict[str, int] = seeded(_build, app_env)
    return open_database(app_env), ids


def _register() -> AppTest:
    return AppTest.from_file(str(ROOT / "screens" / "register.py"), default_timeout=30)


def _names(at: AppTest) -> set[str]:
    return set(at.dataframe(key="register_table").value["name"])


def test_search_narrows_the_table(app_env: Path, seeded: Seeded) -> None:
    _seed(app_env, seeded)
    at = _register().run()
    assert _names(at) == {"Customer billing", "Payroll", "CCTV"}
    at.text_input(key="register_search").set_value("PAYROLL").run()
    assert _names(at) == {"Payroll"}
    assert at.metric[0].value == "1"


def test_filters_combine_and_an_entity_includes_its_subsidiaries(app_env: Path, seeded: Seeded) -> None:
    _, ids = _seed(app_env, seeded)
    at = _register().run()
    at.selectbox(key="register_entity").set_value(ids["child"]).run()
    assert _names(at) == {"Payroll", "CCTV"}
    at.selectbox(key="register_special").set_value(True).run()
    assert _names(at) == {"Payroll"}
    at.selectbox(key="register_entity").set_value(ids["parent"]).run()
    assert _names(at) == {"Payroll"}
    at.selectbox(key="register_special").set_value(None)
    at.selectbox(key="register_status").set_value("draft").run()
    assert _names(at) == {"CCTV"}


def test_no_match_says_so_instead_of_an_empty_table(app_env: Path, seeded: Seeded) -> None:
    _seed(app_env, seeded)
    at = _register().run()
    at.text_input(key="register_search").set_value("'); DROP TABLE activities;--").run()
    assert not at.exception
    assert "No activity matches" in at.info[0].value
    assert open_database(app_env).rows("SELECT count(*) FROM activities")[0][0] == 3


def test_an_empty_register_explains_how_to_start(app_env: Path) -> None:
    at = _register().run()
    assert "The register is empty" in at.info[0].value


def test_a_preset_from_the_dashboard_shows_only_those_activities_until_cleared(app_env: Path, seeded: Seeded) -> None:
    _, ids = _seed(app_env, seeded)
    at = _register()
    at.session_state[PRESET_KEY] = {"activity_ids": [ids["billing"], ids["cctv"]], "label": "the <b>bar</b> chart"}
    at.run()
    assert _names(at) == {"Customer billing", "CCTV"}
    assert "Showing 2 activities from the <b>bar</b> chart" in at.info[0].value.replace("\\", "")
    at.button(key="register_clear_preset").click().run()
    assert _names(at) == {"Customer billing", "Payroll", "CCTV"}
    assert PRESET_KEY not in at.session_state


def test_editors_get_a_new_activity_button(app_env: Path, seeded: Seeded) -> None:
    _seed(app_env, seeded)
    at = _register().run()
    assert "register_new" in {b.key for b in at.button}


def _app_with_selection(selection: dict[str, list[object]]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.session_state["register_table"] = {"selection": {"rows": [], "columns": [], "cells": [], **selection}}
    return at.run()


def test_clicking_an_activitys_name_opens_it(app_env: Path, seeded: Seeded) -> None:
    _, ids = _seed(app_env, seeded)
    at = _app_with_selection({"cells": [[1, "name"]]})
    assert not at.exception
    shown = at.title[0].value.replace("\\", "")
    assert shown in {"Customer billing", "Payroll", "CCTV"} and shown != "Register of processing activities"
    assert int(at.query_params["id"]) in ids.values()


def test_clicking_another_cell_does_not_open_the_activity(app_env: Path, seeded: Seeded) -> None:
    _seed(app_env, seeded)
    at = _app_with_selection({"cells": [[1, "owner"]]})
    assert not at.exception
    assert at.title[0].value == "Register of processing activities"


def test_one_ticked_row_offers_open_on_enter(app_env: Path, seeded: Seeded) -> None:
    _, ids = _seed(app_env, seeded)
    at = _app_with_selection({"rows": [0]})
    assert not at.exception and at.title[0].value == "Register of processing activities"
    opener = at.button(key="register_open")
    assert opener.label.startswith("Open ") and opener.proto.shortcut.lower() == "enter"
    opener.click().run()
    assert not at.exception
    assert int(at.query_params["id"]) in ids.values()


def test_several_ticked_rows_offer_no_single_open(app_env: Path, seeded: Seeded) -> None:
    _seed(app_env, seeded)
    at = _app_with_selection({"rows": [0, 1]})
    assert not at.exception
    assert "register_open" not in {b.key for b in at.button}
