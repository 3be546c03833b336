"""End to end in a real browser: the app served by ``streamlit run`` and driven in headless Chromium.

A test that changes the register starts its own server on a free port with a
private copy of the demo; the tests that only read share one per module
(``demo_app``). Servers are always stopped. Every request the page makes is recorded
to prove the app works offline (nothing but the app's own host is contacted),
and console errors are collected. Screenshots of each page are saved to
``artifacts/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ropa.storage.activities import get_activity, update_activity
from ropa.storage.database import open_database
from tests.browsing import (
    assert_offline_and_clean,
    chromium,
    click,
    grid_text,
    heading,
    needs_chromium,
    settle,
    shot,
)
from tests.factories import EDITOR
from tests.proxying import signing_proxy

ROOT = Path(__file__).resolve().parent.parent

pytestmark = needs_chromium


def _click_name(page: Any, row: int) -> None:
    """Click the name cell of a row of the register table (the column after the row boxes)."""
    box = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    page.mouse.click(box["x"] + 120, box["y"] + 36 + 35 * row + 17)


def _search(page: Any, text: str) -> int:
    """Search the register and return how many activities it shows."""
    search = page.get_by_role("textbox", name="Search")
    search.fill(text)
    search.press("Enter")
    settle(page)
    return int(page.get_by_test_id("stMetricValue").inner_text())


def _tick_row(page: Any, row: int) -> None:
    """Tick a row's box in the register table (the first, narrow column)."""
    box = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 36 + 35 * row + 17)


NAME = "Browser check <b>visitor</b> Wi-Fi"
SEARCH = "browser check"


def test_create_find_edit_and_see_history_in_a_realchromium(tmp_path: Path, serve_app: Any) -> None:
    from playwright.sync_api import expect

    with serve_app() as url, chromium() as session:
        page = session.page
        page.goto(url)
        heading(page, "Register of processing activities")
        grid_text(page)
        shot(page, "register")

        click(page, "button", "New activity")
        heading(page, "New processing activity")
        page.get_by_role("textbox", name="Name of the activity").fill(NAME)
        page.get_by_role("textbox", name="Purpose of processing").fill("Give visitors internet access.")
        shot(page, "activity-new")
        click(page, "button", "Create activity")
        expect(page.get_by_text("Created activity")).to_be_visible(timeout=30_000)
        settle(page)
        expect(page.locator("h1").first).to_have_text(NAME)
        assert page.locator("h1 b").count() == 0
        created_id = int(page.url.split("id=")[1].split("&")[0])

        click(page, "link", "Register")
        heading(page, "Register of processing activities")
        search = page.get_by_role("textbox", name="Search")
        search.fill(SEARCH)
        search.press("Enter")
        expect(page.get_by_test_id("stMetricValue")).to_have_text("1", timeout=30_000)
        settle(page)
        assert NAME in grid_text(page)
        shot(page, "register-search")
        _click_name(page, 0)
        heading(page, "Browser check")
        assert f"id={created_id}" in page.url

        click(page, "tab", "Edit")
        purpose = page.get_by_role("textbox", name="Purpose of processing")
        purpose.fill("Give visitors internet access and keep the logs the law requires.")
        click(page, "button", "Save changes")
        expect(page.get_by_text("Saved version 2")).to_be_visible(timeout=30_000)
        settle(page)
        click(page, "tab", "History")
        settle(page)  # the chosen tab alone is built: wait for that run, not a fixed time
        history = grid_text(page, -1)
        assert "Purpose of processing" in history
        assert "keep the logs the law requires" in history
        shot(page, "activity-history")

        # Someone else saves the record while the form is open: the save is refused, nothing is lost.
        click(page, "tab", "Edit")
        purpose = page.get_by_role("textbox", name="Purpose of processing")
        purpose.wait_for(timeout=30_000)
        db = open_database(tmp_path / "register.duckdb")
        theirs = get_activity(db, created_id)
        update_activity(db, EDITOR, theirs.model_copy(update={"owner": "Facilities manager"}), theirs.version)
        purpose.fill("Guest network access, logged as the law requires.")
        click(page, "button", "Save changes")
        expect(page.get_by_text("Not saved: editor@example.test changed this activity")).to_be_visible(timeout=30_000)
        settle(page)
        expect(purpose).to_have_value("Guest network access, logged as the law requires.")
        page.get_by_text("Their changes:", exact=False).first.scroll_into_view_if_needed()
        shot(page, "activity-conflict")
        click(page, "button", "Apply my edits to their version")
        expect(page.get_by_text("Your edits now sit on top of")).to_be_visible(timeout=30_000)
        settle(page)
        expect(page.get_by_role("textbox", name="Owner")).to_have_value("Facilities manager")
        click(page, "button", "Save changes")
        expect(page.get_by_text("Saved version 4")).to_be_visible(timeout=30_000)
        settle(page)
        click(page, "tab", "Record")
        shot(page, "activity-record")

        for path, title in (("entities", "Entities"), ("history", "History"), ("admin", "Settings and backup"),
                            ("dashboard", ""), ("gaps", ""), ("export", ""), ("import", "")):
            page.goto(f"{url}/{path}")
            page.locator("h1").first.wait_for(timeout=30_000)
            settle(page)
            if title:
                expect(page.locator("h1").first).to_have_text(title)
            assert page.get_by_test_id("stException").count() == 0, path
            shot(page, path)

        assert_offline_and_clean(session)

    stored = get_activity(open_database(tmp_path / "register.duckdb"), created_id)
    assert (stored.name, stored.version, stored.owner) == (NAME, 4, "Facilities manager")
    assert stored.purpose == "Guest network access, logged as the law requires."


ROLES = """
[roles]
"dpo@example.com" = "admin"
"*@example.com" = "viewer"
"""


def test_a_viewer_behind_the_proxy_sees_no_edit_controls(tmp_path: Path, serve_app: Any) -> None:
    from playwright.sync_api import expect

    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES, encoding="utf-8")
    with serve_app(ROPA_AUTH_MODE="proxy", ROPA_ROLES_FILE=str(roles)) as url:
        with signing_proxy(url, "viewer@example.com") as entry, chromium() as session:
            page = session.page
            page.goto(entry)
            heading(page, "Register of processing activities")
            expect(page.get_by_text("role: viewer")).to_be_visible()
            assert page.get_by_role("button", name="New activity").count() == 0
            nav = page.get_by_test_id("stSidebar")
            assert nav.get_by_text("Import").count() == 0 and nav.get_by_text("Settings and backup").count() == 0
            shot(page, "proxy-viewer-register")

            page.goto(f"{entry}/activity?id=1")
            page.locator("h1").first.wait_for(timeout=30_000)
            settle(page)
            tabs = page.get_by_role("tab")
            assert [tabs.nth(i).inner_text() for i in range(tabs.count())] == ["Record", "History"]
            for label in ("Archive", "Duplicate", "Mark reviewed", "Save changes", "Approve", "Reopen for review"):
                assert page.get_by_role("button", name=label).count() == 0, label
            assert page.locator("textarea").count() == 0
            shot(page, "proxy-viewer-activity")
            assert_offline_and_clean(session)

        with chromium() as stranger:
            stranger.page.goto(url)
            heading(stranger.page, "Not signed in")
            assert stranger.page.get_by_test_id("stDataFrame").count() == 0
            shot(stranger.page, "proxy-not-signed-in")


def _pdf_text(path: Path) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


@pytest.mark.skipif(not Path("/usr/bin/pdftotext").exists(), reason="poppler-utils is not installed")
def test_download_the_record_and_one_activity_as_pdf(tmp_path: Path, demo_app: str) -> None:
    from playwright.sync_api import expect

    url = demo_app
    with chromium() as session:
        page = session.page
        page.goto(f"{url}/activity?id=1")
        page.locator("h1").first.wait_for(timeout=30_000)
        settle(page)
        name = page.locator("h1").first.inner_text()
        with page.expect_download(timeout=60_000) as download:
            click(page, "button", "Download as PDF")
        one = tmp_path / "one.pdf"
        download.value.save_as(one)
        assert one.read_bytes().startswith(b"%PDF")
        text = _pdf_text(one)
        assert name in text and "Page 1 of" in text and "Categories of individuals" in text

        page.goto(f"{url}/export")
        heading(page, "Export the Article 30 record")
        page.get_by_text("PDF (A4, to read and print", exact=False).click()
        settle(page)
        # The demo holds two unrelated controllers; a regulator gets one, but this file takes both.
        page.get_by_test_id("stSelectbox").filter(has_text="Organisation or entity").click()
        page.get_by_role("option", name="All organisations together (one file)").click()
        settle(page)
        click(page, "button", "Create export")
        expect(page.get_by_text(re.compile(r"^Export ready: \d+ activities"))).to_be_visible(timeout=180_000)
        settle(page)
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name=re.compile(r"^Download ropa-")).click()
        whole = tmp_path / "whole.pdf"
        download.value.save_as(whole)
        text = _pdf_text(whole)
        assert "SmartComms SC Limited" in text and "SMELECOM" in text  # activity 1 is a superseded 2019 record
        shot(page, "export-pdf")
        assert_offline_and_clean(session)


def test_open_an_activity_by_its_name_or_by_enter_on_a_ticked_row(demo_app: str) -> None:
    from playwright.sync_api import expect

    url = demo_app
    with chromium() as session:
        page = session.page
        page.goto(url)
        heading(page, "Register of processing activities")
        assert 0 < _search(page, "United States") < 70
        _click_name(page, 0)
        page.wait_for_url("**/activity?id=*", timeout=30_000)
        settle(page)
        first = page.locator("h1").first.inner_text()
        assert first != "Register of processing activities"

        page.goto(url)
        heading(page, "Register of processing activities")
        _tick_row(page, 1)
        opener = page.locator(".st-key-register_open button")
        expect(opener).to_be_visible(timeout=30_000)
        settle(page)
        label = next(line for line in opener.inner_text().splitlines() if line.startswith("Open "))
        target = label.removeprefix("Open ").strip()
        page.keyboard.press("Enter")
        page.wait_for_url("**/activity?id=*", timeout=30_000)
        settle(page)
        assert target in page.locator("h1").first.inner_text()
        assert_offline_and_clean(session)


def test_bulk_edit_ticked_activities_in_a_realchromium(tmp_path: Path, serve_app: Any) -> None:
    from playwright.sync_api import expect

    with serve_app() as url, chromium() as session:
        page = session.page
        page.goto(url)
        heading(page, "Register of processing activities")
        assert _search(page, "head of marketing") >= 2
        _tick_row(page, 0)
        settle(page)
        _tick_row(page, 1)
        settle(page)
        page.get_by_role("textbox", name="Owner").fill("Bulk Owner")
        click(page, "button", "Apply to 2 activities")
        expect(page.get_by_text("Changed 2 activities", exact=False)).to_be_visible(timeout=30_000)
        settle(page)
        shot(page, "register-bulk-edit")
        assert_offline_and_clean(session)
    db = open_database(tmp_path / "register.duckdb")
    owners = db.rows("SELECT count(*) FROM activities WHERE owner = 'Bulk Owner'")[0][0]
    audited = db.rows("SELECT count(*) FROM audit_log WHERE detail LIKE 'bulk edit of 2 activities%'")[0][0]
    assert (owners, audited) == (2, 2)


def test_a_finding_shows_beside_its_field_and_fix_opens_the_form_there(demo_app: str) -> None:
    from playwright.sync_api import expect

    url = demo_app
    with chromium() as session:
        page = session.page
        page.set_viewport_size({"width": 1400, "height": 900})
        page.goto(f"{url}/activity?id=51")
        page.locator("h1").first.wait_for(timeout=30_000)
        settle(page)
        finding = page.get_by_text("No Article 6 lawful basis", exact=False).first
        expect(finding).to_be_visible(timeout=30_000)
        heading = page.locator("h3").filter(has_text="Lawful basis and conditions").first
        next_heading = page.locator("h3").filter(has_text="DPIA, automated decisions and rights").first
        assert heading.bounding_box()["y"] < finding.bounding_box()["y"] < next_heading.bounding_box()["y"]
        shot(page, "activity-findings")
        page.locator(".st-key-fix_lawful_basis_missing_0 button").first.click()
        marker = page.get_by_text("Fix: No Article 6 lawful basis", exact=False)
        expect(marker).to_be_visible(timeout=30_000)
        settle(page)
        expect(page.get_by_role("tab", name="Edit")).to_have_attribute("aria-selected", "true")
        expect(marker).to_be_in_viewport(timeout=15_000)  # the form is scrolled to the field
        shot(page, "activity-fix")
        assert_offline_and_clean(session)
