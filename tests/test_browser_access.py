"""Nobody reads the register who should not: tried on freshly started servers, by every URL and every link.

Each scenario starts its own server over a copy of the demo and, before anybody allowed has loaded a page,
opens the root, every page's URL and every link the page offers, as a person with no identity, with an
identity that is refused, or as a viewer. Wherever access is refused, no name of the register (entities,
activities) may appear, no table, chart or download may be drawn, and no request may leave this machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from ropa.storage.database import open_database
from tests.browsing import Browser, chromium, needs_chromium, settle, shot
from tests.proxying import signing_proxy
from ui.nav import PAGES

pytestmark = needs_chromium

ROLES = """
[roles]
"dpo@example.com" = "admin"
"*@example.com" = "viewer"
"""
SECRETS = """
[auth]
redirect_uri = "http://127.0.0.1:1/oauth2callback"
cookie_secret = "a-test-cookie-secret-that-is-long-enough"
client_id = "ropa-test"
client_secret = "not-a-secret"
server_metadata_url = "http://127.0.0.1:1/.well-known/openid-configuration"
"""
# An address the roles file does not name, written so that Markdown would make it an image on 127.0.0.2.
HOSTILE_EMAIL = "![pixel](//127.0.0.2/pixel.png)@stranger.example"
PAGE_PATHS = [spec.url_path for spec in PAGES]
ADMIN_PATHS = {"import", "admin"}
# Streamlit serves the default page at / only, so its own name is as unknown as a made-up one.
UNKNOWN_PATHS = ("/no-such-page", *(f"/{spec.url_path}" for spec in PAGES if spec.default))
DATA_ELEMENTS = ("stDataFrame", "stVegaLiteChart", "stDownloadButton", "stMetric", "stTable", "stDataEditor")


@dataclass(frozen=True)
class Visitor:
    """Who knocks, and what they should be told instead of the register."""

    email: str | None
    """Whom the proxy in front of the app signs the visitor in as (None: no proxy, no identity)."""
    refusal: str
    viewer: bool = False


NO_ONE = Visitor(None, "Not signed in")
SERVERS = {
    "proxy": ({"ROPA_AUTH_MODE": "proxy"}, {"no-header": NO_ONE}),
    "proxy-default-none": ({"ROPA_AUTH_MODE": "proxy", "ROPA_DEFAULT_ROLE": "none"}, {
        "no-header": NO_ONE,
        "refused-identity": Visitor(HOSTILE_EMAIL, "has no access to the register"),
        "viewer": Visitor("viewer@example.com", "is for admins", viewer=True),
    }),
    "oidc-unconfigured": ({"ROPA_AUTH_MODE": "oidc"}, {"no-session": Visitor(None, "Sign-in is not configured")}),
    "oidc-configured": ({"ROPA_AUTH_MODE": "oidc", "STREAMLIT_SECRETS_FILES": "SECRETS"}, {"no-session": NO_ONE}),
}


def _register_names(db_path: Path) -> list[str]:
    """Names only the register holds: every entity and every activity name of the demo."""
    db = open_database(db_path)
    rows = db.rows("SELECT name FROM entities UNION SELECT name FROM activities")
    return sorted({str(name) for (name,) in rows if len(str(name)) >= 6})


@contextmanager
def _entrance(base: str, email: str | None) -> Iterator[str]:
    """Where the visitor comes in: through the sign-in proxy if somebody is signed in, else straight to the app."""
    if email is None:
        yield base
    else:
        with signing_proxy(base, email) as entry:
            yield entry


def _visible_text(page: Any) -> str:
    return str(page.locator("body").inner_text())


def _links(page: Any, base: str) -> set[str]:
    hrefs = page.locator("a[href]").evaluate_all("nodes => nodes.map(n => n.getAttribute('href'))")
    found = {urldefrag(urljoin(base + "/", href)).url for href in hrefs if href}
    return {url for url in found if urlsplit(url).netloc == urlsplit(base).netloc}


def _data_drawn(page: Any) -> list[str]:
    return [name for name in DATA_ELEMENTS if page.get_by_test_id(name).count()]


def _visit_everything(session: Browser, base: str) -> Iterator[tuple[str, str, list[str]]]:
    """Open the root, every page URL (with an id) and every link offered on the way; yield what each showed."""
    queue = [base, *(f"{base}/{path}" for path in PAGE_PATHS), f"{base}/activity?id=1",
             f"{base}/activity?new=1", f"{base}/no-such-page"]
    seen: set[str] = set()
    while queue and len(seen) < 25:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        session.page.goto(url)
        settle(session.page)
        yield url, _visible_text(session.page), _data_drawn(session.page)
        queue.extend(sorted(_links(session.page, base) - seen))


@pytest.mark.parametrize("server", list(SERVERS))
def test_no_page_shows_register_data_to_someone_not_allowed(
    server: str, tmp_path: Path, serve_app: Callable[..., AbstractContextManager[str]],
) -> None:
    settings, visitors = SERVERS[server]
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES, encoding="utf-8")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(SECRETS, encoding="utf-8")
    env = {key: (str(secrets) if value == "SECRETS" else value) for key, value in settings.items()}
    with serve_app(ROPA_ROLES_FILE=str(roles), **env) as base:
        names = _register_names(tmp_path / "register.duckdb")
        for who, visitor in visitors.items():
            with _entrance(base, visitor.email) as entry, chromium() as session:
                visited = list(_visit_everything(session, entry))
                shot(session.page, f"access-{server}-{who}")
                assert not session.foreign_requests(), session.foreign_requests()
                assert not any("pixel.png" in url for url in session.requests)
            for url, text, drawn in visited:
                if visitor.viewer and urlsplit(url).path.strip("/") not in ADMIN_PATHS:
                    continue
                leaked = [n for n in names if n in text]
                assert not leaked, f"{who}: {url} showed {leaked[:5]}"
                assert not drawn, f"{who}: {url} drew {drawn}"
                assert visitor.refusal in text, f"{who}: {url} did not say why: {text[:300]}"
                assert "Page not found" not in text or url.endswith(UNKNOWN_PATHS), f"{who}: {url}"
                for script in ("app", "activity", "admin", "dashboard"):
                    assert f"\n{script}\n" not in f"\n{text}\n", f"{who}: {url} listed the script {script}"


def test_a_viewer_reads_the_register_and_is_told_why_admin_pages_are_closed(
    tmp_path: Path, serve_app: Callable[..., AbstractContextManager[str]],
) -> None:
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES, encoding="utf-8")
    with serve_app(ROPA_AUTH_MODE="proxy", ROPA_ROLES_FILE=str(roles)) as base:
        names = _register_names(tmp_path / "register.duckdb")
        with signing_proxy(base, "viewer@example.com") as entry, chromium() as session:
            page = session.page
            page.goto(f"{entry}/dashboard")
            page.get_by_test_id("stVegaLiteChart").first.wait_for(timeout=60_000)
            settle(page)
            sidebar = str(page.get_by_test_id("stSidebar").inner_text())
            assert "Register" in sidebar and "Import" not in sidebar and "Settings and backup" not in sidebar
            page.goto(f"{entry}/admin")
            settle(page)
            text = _visible_text(page)
            assert "Settings and backup is for admins" in text and "viewer role" in text
            assert not [n for n in names if n in text]
            assert not session.foreign_requests()
