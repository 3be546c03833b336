"""The Gaps page (AppTest): runs on an empty and on the demo register, filters, explains, accepts risks."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ropa.gaps import SEVERITIES, analyse
from ropa.gaps.defects import defects
from ropa.storage.database import open_database
from tests.registers import copy_register

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent


def page() -> AppTest:
    return AppTest.from_file(str(ROOT / "screens" / "gaps.py"), default_timeout=30)


def demo(app_env: Path, demo_template: Path) -> Path:
    copy_register(demo_template, app_env)
    return app_env


def metric_values(at: AppTest) -> dict[str, str]:
    return {str(m.label): str(m.value) for m in at.metric}


def test_gaps_page_runs_on_an_empty_register(app_env: Path) -> None:
    at = page().run()
    assert not at.exception
    assert at.title[0].value == "Gap analysis"
    assert any("no live activities" in i.value for i in at.info)
    assert len(at.metric) == len(SEVERITIES) + 3


def test_gaps_page_counts_the_demo_defects_by_severity(app_env: Path, demo_template: Path) -> None:
    path = demo(app_env, demo_template)
    at = page().run()
    assert not at.exception
    found = analyse(open_database(path))
    expected = defects(found)["severity"].value_counts()
    values = [m.value for m in at.metric][: len(SEVERITIES)]
    assert values == [f"{int(expected.get(s, 0)):,}" for s in SEVERITIES]
    table = at.dataframe(key="gaps_table").value
    assert len(found) > len(table) == int(expected.sum()) > 0
    assert any("Art. 30(1)(a)-(g)" in str(m.help) for m in at.metric)
    assert any("same cause" in str(m.help) for m in at.metric)


def test_a_defect_on_many_records_lists_its_activities(app_env: Path, demo_template: Path) -> None:
    demo(app_env, demo_template)
    at = page().run()
    table = at.dataframe(key="gaps_table").value
    widest = int(table["activities"].astype(int).idxmax())
    assert int(table["activities"].iloc[widest]) > 1
    at.session_state["gaps_table"] = {"selection": {"rows": [widest], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    affected = at.dataframe(key="gaps_affected").value
    assert len(affected) == int(table["activities"].iloc[widest])
    assert affected["activity"].is_unique


def test_severity_filter_narrows_the_table(app_env: Path, demo_template: Path) -> None:
    demo(app_env, demo_template)
    at = page().run()
    at.multiselect(key="gaps_severities").set_value(["critical"]).run()
    assert not at.exception
    shown = at.dataframe(key="gaps_table").value
    assert len(shown) > 0 and set(shown["severity"]) == {"critical"}


def test_the_analysis_date_decides_which_privacy_shield_findings_show(app_env: Path, demo_template: Path) -> None:
    demo(app_env, demo_template)
    at = page().run()
    today = at.dataframe(key="gaps_table").value
    assert not today["message"].str.contains("Privacy Shield").any()  # the 2019 policy is historical today
    at.date_input(key="gaps_as_of").set_value(date(2021, 1, 1)).run()
    assert not at.exception
    in_force = at.dataframe(key="gaps_table").value
    assert in_force["message"].str.contains("Privacy Shield, invalid").any()
    at.date_input(key="gaps_as_of").set_value(date(2019, 1, 1)).run()
    earlier = at.dataframe(key="gaps_table").value
    assert not earlier["message"].str.contains("Privacy Shield, invalid").any()


def test_accepting_a_finding_from_the_page(app_env: Path) -> None:
    from ropa.storage.activities import create_activity
    from ropa.storage.entities import create_entity
    from tests.factories import DPO, make_activity, make_entity

    db = open_database(app_env)
    entity = create_entity(db, DPO, make_entity())
    assert entity.id is not None
    create_activity(db, DPO, make_activity(entity.id))  # its one finding: never reviewed
    at = page().run()
    assert len(at.dataframe(key="gaps_table").value) == 1
    at.session_state["gaps_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    at.button(key="gaps_accept").click().run()
    assert not at.exception
    at.text_area(key="gaps_justification").input("Reviewed at the annual audit")
    at.date_input(key="gaps_expires").set_value(date.today() + timedelta(days=30))
    at.button(key="gaps_accept_submit").click().run()
    assert not at.exception
    assert db.rows("SELECT rule, justification FROM accepted_findings") == [
        ("review_overdue", "Reviewed at the annual audit")]
    assert len(at.dataframe(key="gaps_table").value) == 0
    assert len(at.dataframe(key="gaps_accepted").value) == 1


def test_revoking_an_accepted_risk_from_the_page(app_env: Path) -> None:
    from ropa.gaps import accept_finding
    from ropa.storage.activities import create_activity
    from ropa.storage.entities import create_entity
    from tests.factories import DPO, make_activity, make_entity

    db = open_database(app_env)
    entity = create_entity(db, DPO, make_entity())
    assert entity.id is not None
    stored = create_activity(db, DPO, make_activity(entity.id))
    accept_finding(db, DPO, "review_overdue", stored.id, "", "<script>alert(1)</script>",
                   date.today() + timedelta(days=10))
    at = page().run()
    assert len(at.dataframe(key="gaps_table").value) == 0
    accepted = at.dataframe(key="gaps_accepted").value
    assert list(accepted["justification"]) == ["<script>alert(1)</script>"]
    at.session_state["gaps_accepted"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="gaps_revoke").click().run()
    assert not at.exception
    assert db.rows("SELECT count(*) FROM accepted_findings") == [(0,)]
    assert len(at.dataframe(key="gaps_table").value) == 1


def test_fix_on_a_finding_opens_the_activity_form_at_its_field(app_env: Path) -> None:
    from ropa.storage.activities import create_activity
    from ropa.storage.entities import create_entity
    from tests.factories import DPO, make_activity, make_entity

    db = open_database(app_env)
    entity = create_entity(db, DPO, make_entity())
    assert entity.id is not None
    activity = create_activity(db, DPO, make_activity(entity.id))  # its one finding: never reviewed
    # Through the app's navigation, so the switch to the activity page finds its page.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.switch_page("screens/gaps.py").run()
    at.session_state["gaps_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="gaps_fix").click().run()
    assert not at.exception
    assert str(activity.id) in str(at.query_params["id"])
    assert at.session_state["activity_tabs"] == "Edit"
    assert any("Fix:" in i.value for i in at.info), "the form opens at the field, naming the finding"
