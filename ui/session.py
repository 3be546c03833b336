"""Per-run access to the register and the signed-in user."""

from __future__ import annotations

import streamlit as st

from ropa.auth import Role, User
from ropa.config import load_config
from ropa.storage.database import Database, open_database


@st.cache_resource(max_entries=4)
def _open(path: str, busy_timeout: float) -> Database:
    return open_database(path, busy_timeout=busy_timeout)


def get_db() -> Database:
    """The migrated register named by ROPA_DB (cached per path)."""
    config = load_config()
    return _open(str(config.db_path), config.busy_timeout)


def current_user() -> User:
    """The signed-in user (local mode: the one configured admin)."""
    config = load_config()
    return User(config.local_user, Role.ADMIN, "Local DPO")
