"""Settings: each is (name, default, help), read from the environment.

A test fails when a setting is missing from the README, so every knob an
operator can turn is documented.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("ROPA_DB", "data/ropa.duckdb", "Path of the DuckDB register file."),
    ("ROPA_AUTH_MODE", "local", "Sign-in mode: local (one admin user), proxy (trusted header) or oidc (st.login)."),
    ("ROPA_LOCAL_USER", "dpo@localhost", "The user recorded in the audit trail in local mode."),
    ("ROPA_PROXY_HEADER", "X-Forwarded-Email", "Header carrying the signed-in user's email in proxy mode."),
    ("ROPA_ROLES_FILE", "config/roles.toml", "TOML file mapping user emails (or *@domain) to roles."),
    ("ROPA_DEFAULT_ROLE", "viewer", "Role of a signed-in user the roles file does not name."),
    ("ROPA_REVIEW_INTERVAL_MONTHS", "12", "Months between reviews of an activity; drives 'review due'."),
    ("ROPA_EXPORT_DIR", "exports", "Folder where every export is also saved, for accountability."),
    ("ROPA_MAX_UPLOAD_MB", "25", "Largest file the import accepts, in megabytes."),
    ("ROPA_BUSY_TIMEOUT", "20", "Seconds to wait for the register file while another program holds it."),
    ("ROPA_FOUR_EYES", "on", "on: with proxy or OIDC sign-in, whoever made or submitted a change cannot approve it."),
)


def setting(name: str) -> str:
    default = next(d for n, d, _ in SETTINGS if n == name)
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Config:
    db_path: Path
    auth_mode: str
    local_user: str
    proxy_header: str
    roles_file: Path
    default_role: str
    review_interval_months: int
    export_dir: Path
    max_upload_mb: int
    busy_timeout: float


def load_config() -> Config:
    return Config(
        db_path=Path(setting("ROPA_DB")),
        auth_mode=setting("ROPA_AUTH_MODE"),
        local_user=setting("ROPA_LOCAL_USER"),
        proxy_header=setting("ROPA_PROXY_HEADER"),
        roles_file=Path(setting("ROPA_ROLES_FILE")),
        default_role=setting("ROPA_DEFAULT_ROLE"),
        review_interval_months=int(setting("ROPA_REVIEW_INTERVAL_MONTHS")),
        export_dir=Path(setting("ROPA_EXPORT_DIR")),
        max_upload_mb=int(setting("ROPA_MAX_UPLOAD_MB")),
        busy_timeout=float(setting("ROPA_BUSY_TIMEOUT")),
    )
