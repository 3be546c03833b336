"""The one-activity PDF is an export: each download keeps a copy and writes the export log and its audit row."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ropa.errors import RopaError
from ropa.export import activity_file
from ropa.export.activity_file import logged_activity_pdf
from ropa.storage.activities import create_activity
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity
from ropa.storage.export_log import list_exports
from tests.factories import DPO, VIEWER, make_activity, make_entity

pytestmark = pytest.mark.keep_registers_open  # tests/conftest.py says why and when

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2025, 6, 1)


def _seed(path: Path) -> tuple[Database, int]:
    db = open_database(path)
    entity = create_entity(db, DPO, make_entity())
    return db, int(create_activity(db, DPO, make_activity(entity.id or 0, name="Payroll")).id or 0)


def test_downloading_the_pdf_from_the_record_tab_writes_the_export_log(app_env: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    db, activity_id = _seed(app_env)
    offered: list[Callable[[], Any]] = []
    real = st.download_button

    def watching(label: str, data: Any, **kwargs: Any) -> bool:
        offered.append(data)  # what the browser's click runs (a deferred download)
        return real(label, data, **kwargs)

    monkeypatch.setattr(st, "download_button", watching)
    at = AppTest.from_file(str(ROOT / "screens" / "activity.py"), default_timeout=60)
    at.query_params["id"] = str(activity_id)
    at.session_state["activity_tabs"] = "Record"
    at.run()
    assert not at.exception
    assert list_exports(db).empty, "drawing the button exports nothing"
    (build,) = offered
    pdf = build()
    assert pdf.startswith(b"%PDF")
    log = list_exports(db)
    assert len(log) == 1
    row = log.iloc[0]
    assert (row["format"], row["activities"], row["by"]) == ("pdf", 1, "dpo@localhost")
    assert row["scope"] == f"activity {activity_id}: Payroll"
    assert row["file SHA-256"] == hashlib.sha256(pdf).hexdigest()
    (kept,) = (app_env.parent / "exports").iterdir()
    assert kept.name == row["file"] and kept.read_bytes() == pdf
    audit = db.rows("SELECT actor, detail FROM audit_log WHERE action = 'export'")
    assert len(audit) == 1 and kept.name in str(audit[0][1])


def test_each_download_is_its_own_log_row(tmp_path: Path) -> None:
    db, activity_id = _seed(tmp_path / "r.duckdb")
    first = logged_activity_pdf(db, VIEWER, activity_id, AS_OF, tmp_path / "exports")
    second = logged_activity_pdf(db, VIEWER, activity_id, AS_OF, tmp_path / "exports")
    log = list_exports(db)
    assert len(log) == 2 and len(set(log["file"])) == 2
    assert set(log["content SHA-256"]) == {log["content SHA-256"].iloc[0]}, "same record, same content hash"
    assert first.startswith(b"%PDF") and second.startswith(b"%PDF")


def test_a_pdf_whose_log_row_cannot_be_written_leaves_no_copy(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    db, activity_id = _seed(tmp_path / "r.duckdb")

    def refuse(*_: Any) -> int:
        raise RopaError("The register is busy.")

    monkeypatch.setattr(activity_file, "log_export", refuse)
    with pytest.raises(RopaError, match="busy"):
        logged_activity_pdf(db, VIEWER, activity_id, AS_OF, tmp_path / "exports")
    assert list((tmp_path / "exports").iterdir()) == []
    assert list_exports(db).empty
