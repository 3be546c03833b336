"""The activity form in a real browser: an incomplete table row is reported, never silently dropped.

The app is served by ``streamlit run`` over a copy of the demo, one server for
the module (no test here saves: each shows the register unchanged), and driven in
headless Chromium. Streamlit's table editor holds back a new row whose
*required* columns are empty, so such a row used to vanish on save; these
tests type an incomplete row the way a person does and check the form says
which row and cell, and saves nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ropa.models import Activity
from ropa.storage.activities import get_activity
from ropa.storage.database import open_database
from tests.browsing import assert_offline_and_clean, chromium, click, settle

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"),
]


def _add_row_typing(page: Any, grid: Any, row: int, x_offset: int, text: str) -> None:
    """Add a row to a table editor and type ``text`` into one of its cells, leaving the others empty.

    The grid is a canvas: the cell is reached by position (header and rows are 35 px high).
    """
    grid.scroll_into_view_if_needed()
    settle(page)
    grid.hover()
    page.wait_for_timeout(400)  # the toolbar slides in on hover; clicked before it settles it "is not stable"
    grid.get_by_role("button", name="Add row").click(force=True)
    page.wait_for_timeout(500)
    box = grid.bounding_box()
    page.mouse.dblclick(box["x"] + x_offset, box["y"] + 35 + 35 * row + 17)
    editor = page.locator(".gdg-growing-entry textarea").first  # the cell's editor, drawn over the canvas
    editor.wait_for(state="visible", timeout=30_000)
    page.keyboard.type(text, delay=30)
    page.keyboard.press("Enter")
    editor.wait_for(state="hidden", timeout=30_000)
    settle(page)


def _edit_first_activity(page: Any, url: str, register: Path) -> Activity:
    """Open the first live activity of the served register on its Edit tab; returns it as stored."""
    db = open_database(register)
    activity = get_activity(db, int(db.rows("SELECT min(id) FROM activities WHERE status <> 'archived'")[0][0]))
    page.goto(f"{url}/activity?id={activity.id}")
    page.locator("h1").first.wait_for(timeout=30_000)
    settle(page)
    click(page, "tab", "Edit")
    settle(page)
    return activity


def test_a_transfer_row_without_a_country_is_reported_and_nothing_is_saved(demo_server: tuple[str, Path]) -> None:
    from playwright.sync_api import expect

    url, register = demo_server
    with chromium() as session:
        page = session.page
        before = _edit_first_activity(page, url, register)
        activity_id = int(before.id or 0)
        transfers = page.locator('[data-testid="stDataFrame"]').nth(1)
        _add_row_typing(page, transfers, len(before.transfers), 200, "Payroll Inc")
        click(page, "button", "Save changes")
        settle(page)
        row = len(before.transfers) + 1
        expect(page.get_by_text(f"Transfer row {row}: A transfer needs a destination country")).to_be_visible(
            timeout=30_000)
        expect(page.get_by_text("Not saved: 1 problem to fix")).to_be_visible()
        assert page.get_by_text("No field changed").count() == 0
        assert page.get_by_test_id("stException").count() == 0
        assert_offline_and_clean(session)
    after = get_activity(open_database(register), activity_id)
    assert (after.version, after.transfers) == (before.version, before.transfers)


def test_unsaved_edits_survive_switching_tab_and_page(demo_server: tuple[str, Path]) -> None:
    from playwright.sync_api import expect

    url, register = demo_server
    with chromium() as session:
        page = session.page
        activity_id = int(_edit_first_activity(page, url, register).id or 0)
        purpose = page.get_by_role("textbox", name="Purpose of processing")
        purpose.fill("Typed in the browser, not saved")
        purpose.press("Tab")
        settle(page)
        click(page, "tab", "Record")
        settle(page)
        expect(page.get_by_text("You have unsaved edits to this activity")).to_be_visible(timeout=30_000)
        click(page, "tab", "Edit")
        settle(page)
        expect(page.get_by_role("textbox", name="Purpose of processing")).to_have_value(
            "Typed in the browser, not saved", timeout=30_000)
        page.get_by_test_id("stSidebar").get_by_role("link", name="History").click()
        page.locator("h1").filter(has_text="History").first.wait_for(timeout=30_000)
        settle(page)
        page.go_back()
        page.locator("h1").first.wait_for(timeout=30_000)
        settle(page)
        expect(page.get_by_text("You have unsaved edits to this activity")).to_be_visible(timeout=30_000)
        click(page, "tab", "Edit")
        settle(page)
        expect(page.get_by_role("textbox", name="Purpose of processing")).to_have_value(
            "Typed in the browser, not saved", timeout=30_000)
        expect(page.get_by_text("Unsaved edits: what you typed is kept")).to_be_visible()
        assert_offline_and_clean(session)
    assert get_activity(open_database(register), activity_id).version == 1
