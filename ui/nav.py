"""The app's pages, who may open them, and moving between them with context."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from ropa.auth import Role

ACTIVITY_PAGE = "screens/activity.py"
REGISTER_PAGE = "screens/register.py"
PRESET_KEY = "register_preset"


@dataclass(frozen=True)
class PageSpec:
    """One page of the app: its script, title, icon, sidebar section and the least role that sees it."""

    path: str
    title: str
    icon: str
    section: str
    role: Role = Role.VIEWER
    default: bool = False
    reason: str = ""
    """Why the page needs its role, told to a user who opens it without (", because ..." or empty)."""

    @property
    def url_path(self) -> str:
        """The page's address under the app (its script's name), e.g. ``dashboard`` for /dashboard."""
        return self.path.rsplit("/", 1)[-1].removesuffix(".py")


PAGES: tuple[PageSpec, ...] = (
    PageSpec(REGISTER_PAGE, "Register", ":material/table_view:", "Register", default=True),
    PageSpec(ACTIVITY_PAGE, "Activity", ":material/description:", "Register"),
    PageSpec("screens/my_work.py", "My work", ":material/assignment_ind:", "Register"),
    PageSpec("screens/entities.py", "Entities", ":material/apartment:", "Register"),
    PageSpec("screens/vendors.py", "Vendors and lists", ":material/storefront:", "Register"),
    PageSpec("screens/history.py", "History", ":material/history:", "Register"),
    PageSpec("screens/dashboard.py", "Dashboard", ":material/monitoring:", "Analysis"),
    PageSpec("screens/gaps.py", "Gaps", ":material/rule:", "Analysis"),
    PageSpec("screens/export.py", "Export", ":material/download:", "Reports"),
    PageSpec("screens/import.py", "Import", ":material/upload:", "Admin", role=Role.ADMIN,
             reason=", because an import writes many records at once"),
    PageSpec("screens/admin.py", "Settings and backup", ":material/settings:", "Admin", role=Role.ADMIN,
             reason=", because a restore replaces the whole register"),
)


def pages_for(role: Role) -> dict[str, list[PageSpec]]:
    """The pages ``role`` may open, grouped by sidebar section in display order."""
    grouped: dict[str, list[PageSpec]] = {}
    for spec in PAGES:
        if role.rank >= spec.role.rank:
            grouped.setdefault(spec.section, []).append(spec)
    return grouped


def page_for_script(name: str) -> PageSpec | None:
    """The page whose script file is called ``name`` (e.g. ``admin.py``), or None for a script not listed."""
    return next((spec for spec in PAGES if spec.path.rsplit("/", 1)[-1] == name), None)


def open_activity(activity_id: int) -> None:
    """Switch to the activity page showing ``activity_id`` (also addressable as ?id=N)."""
    st.switch_page(ACTIVITY_PAGE, query_params={"id": str(activity_id)})


def open_new_activity(entity_id: int | None = None) -> None:
    """Switch to the activity page's form for a new activity (for ``entity_id`` when given)."""
    params = {"new": "1"} if entity_id is None else {"new": "1", "entity": str(entity_id)}
    st.switch_page(ACTIVITY_PAGE, query_params=params)


def open_register(activity_ids: Sequence[int], label: str) -> None:
    """Switch to the register showing only ``activity_ids``, with ``label`` saying why."""
    st.session_state[PRESET_KEY] = {"activity_ids": [int(i) for i in activity_ids], "label": label}
    st.switch_page(REGISTER_PAGE)
