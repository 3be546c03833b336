"""The activity form's managed lists and vendor links in a real browser (headless Chromium, demo register).

A business function typed in another spelling of a listed one is saved as the listed one, and the user is
told; a recipient row given a vendor from the inventory takes the vendor and the record names it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ropa.models import Activity, Vendor
from ropa.storage.activities import get_activity
from ropa.storage.database import open_database
from ropa.storage.vendors import create_vendor
from tests.browsing import assert_offline_and_clean, chromium, click, needs_chromium, settle
from tests.factories import DPO

pytestmark = needs_chromium


def _edit(page: Any, url: str, activity: Activity) -> None:
    page.goto(f"{url}/activity?id={activity.id}")
    page.locator("h1").first.wait_for(timeout=30_000)
    settle(page)
    click(page, "tab", "Edit")
    settle(page)


def _save_and_see(page: Any, message: str) -> None:
    """Save the form and wait for the message the save must give."""
    from playwright.sync_api import expect

    click(page, "button", "Save changes")
    settle(page)
    expect(page.get_by_text(message).first).to_be_visible(timeout=30_000)


def _clean(page: Any, session: Any) -> None:
    """No traceback on the page, and no request left localhost."""
    assert page.get_by_test_id("stException").count() == 0
    assert_offline_and_clean(session)


def _first_live(tmp_path: Path) -> Activity:
    db = open_database(tmp_path / "register.duckdb")
    return get_activity(db, int(db.rows("SELECT min(id) FROM activities WHERE status <> 'archived'")[0][0]))


def test_a_typed_variant_of_a_listed_business_function_is_saved_as_the_listed_one(tmp_path: Path,
                                                                                  serve_app: Any) -> None:
    from playwright.sync_api import expect

    with serve_app() as url, chromium() as session:
        page = session.page
        activity = _first_live(tmp_path)
        _edit(page, url, activity)
        box = page.get_by_test_id("stSelectbox").filter(has_text="Business function")
        box.click()
        page.keyboard.type("  group COMPANY   operations", delay=20)
        page.wait_for_timeout(300)
        page.keyboard.press("Enter")
        settle(page)
        expect(page.get_by_text("is saved as 'Group company operations'").first).to_be_visible(timeout=30_000)
        _save_and_see(page, "the term the list already holds")
        _clean(page, session)
    saved = get_activity(open_database(tmp_path / "register.duckdb"), int(activity.id or 0))
    assert saved.business_function == "Group company operations"


def test_a_recipient_row_picks_a_vendor_and_the_record_names_it(tmp_path: Path, serve_app: Any) -> None:
    from playwright.sync_api import expect

    with serve_app() as url, chromium() as session:
        page = session.page
        activity = _first_live(tmp_path)
        vendor = create_vendor(open_database(tmp_path / "register.duckdb"), DPO,
                               Vendor(name="Acme Cloud Ltd", country="IE", contract_ref="DPA-9"))
        _edit(page, url, activity)
        grid = page.locator('[data-testid="stDataFrame"]').first  # the recipients table
        grid.evaluate("node => node.scrollIntoView({block: 'center'})")  # whole, not just its top edge
        settle(page)
        box = grid.bounding_box()
        # The grid is a canvas: the vendor is its last column, the first row sits below the 35 px header.
        page.mouse.dblclick(box["x"] + box["width"] - 40, box["y"] + 35 + 17)
        page.wait_for_timeout(800)
        page.get_by_text("Acme Cloud Ltd", exact=True).last.click()
        page.wait_for_timeout(500)
        page.keyboard.press("Escape")
        settle(page)
        _save_and_see(page, "Recipient row 1 shows vendor 'Acme Cloud Ltd'")
        click(page, "tab", "Record")
        settle(page)
        expect(page.get_by_text("Acme Cloud Ltd (contract DPA-9)").first).to_be_attached(timeout=30_000)
        _clean(page, session)
    saved = get_activity(open_database(tmp_path / "register.duckdb"), int(activity.id or 0)).recipients[0]
    assert (saved.vendor_id, saved.name, saved.country, saved.contract_ref) == (vendor.id, "Acme Cloud Ltd", "IE",
                                                                                "DPA-9")
