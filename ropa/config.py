"""Settings: every ``ROPA_*`` environment variable, declared once with its type, default and help.

``Config`` is the one declaration. Adding a setting is one annotated field in
it; the admin page, the README table (``python -m ropa.config README.md``
rewrites it, and a test keeps it current) and the start-up check all follow
from it. A bad value is refused when the settings are read, with one line
that names the variable, instead of failing later deep inside a command.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

from ropa.errors import RopaError

# The import must take back what the export gives out at the size the product promises. The workbook of the
# synthetic 50,000-activity register measures 30.7 MB for its 47,473 live activities (646 bytes each, so about
# 32 MB for 50,000; its CSV zip is 9.1 MB), over the old fixed 25 MB. 64 MB admits it with room for longer
# free text than the generator writes; the import's own row and unpacked-size caps still bound its work.
DEFAULT_MAX_UPLOAD_MB = 64


def _setting(env: str, default: Any, help_text: str, **checks: Any) -> Any:
    """One setting: the environment variable that sets it, its default, what it does, and its checks."""
    return Field(default, validation_alias=env, description=help_text, **checks)


class Config(BaseSettings):
    """The settings in effect, read from the environment (empty counts as unset)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_ignore_empty=True)

    db_path: Path = _setting("ROPA_DB", Path("data/ropa.duckdb"), "Path of the DuckDB register file.")
    auth_mode: str = _setting(
        "ROPA_AUTH_MODE", "local", "Sign-in mode: local (one admin user), proxy (trusted header) or oidc (st.login).")
    local_user: str = _setting(
        "ROPA_LOCAL_USER", "dpo@localhost", "The user recorded in the audit trail in local mode.")
    proxy_header: str = _setting(
        "ROPA_PROXY_HEADER", "X-Forwarded-Email", "Header carrying the signed-in user's email in proxy mode.")
    roles_file: Path = _setting(
        "ROPA_ROLES_FILE", Path("config/roles.toml"), "TOML file mapping user emails (or *@domain) to roles.")
    default_role: str = _setting(
        "ROPA_DEFAULT_ROLE", "viewer", "Role of a signed-in user the roles file does not name.")
    review_interval_months: int = _setting(
        "ROPA_REVIEW_INTERVAL_MONTHS", 12, "Months between reviews of an activity; drives 'review due'.", ge=1, le=120)
    export_dir: Path = _setting(
        "ROPA_EXPORT_DIR", Path("exports"), "Folder where every export is also saved, for accountability.")
    max_upload_mb: int = _setting(
        "ROPA_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB,
        "Largest file the import accepts, in megabytes; the default admits an export of 50,000 activities.", ge=1)
    busy_timeout: float = _setting(
        "ROPA_BUSY_TIMEOUT", 20.0, "Seconds to wait for the register file while another program holds it.", ge=0)
    cli_user: str = _setting(
        "ROPA_USER", "", "Name the command line records in the audit trail when --user is not given; "
        "unset, it is cli: and the login name.")
    debug: bool = _setting(
        "ROPA_DEBUG", False, "Set to 1 to make the command line show a traceback for an unexpected error.")
    four_eyes: str = _setting(
        "ROPA_FOUR_EYES", "on", "on: with proxy or OIDC sign-in, whoever made or submitted a change cannot "
        "approve it; off for a one-person team.", pattern=r"^(?i:on|off|true|false|yes|no|1|0)$")


class SettingsError(RopaError):
    """An environment variable holds a value its setting cannot take."""


def _fields() -> dict[str, FieldInfo]:
    return dict(Config.model_fields)


def _env(info: FieldInfo) -> str:
    return str(info.validation_alias)


def _text(value: Any) -> str:
    """A default as an operator would type it."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Path):
        return value.as_posix()
    return str(value)


SETTINGS: tuple[tuple[str, str, str], ...] = tuple(
    (_env(info), _text(info.default), info.description or "") for info in _fields().values())
"""(variable, default as text, help) for each setting, in declaration order."""


def setting(name: str) -> str:
    """The text in effect for the variable ``name``: the environment's, or the default's."""
    default = next(d for n, d, _ in SETTINGS if n == name)
    return os.environ.get(name) or default


def _problem(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "a setting"
        reason = str(item["msg"])
        problems.append(f"{name}={os.environ.get(name, '')!r} is not valid: {reason[:1].lower()}{reason[1:]}")
    return "; ".join(problems) + " (see Configuration in the README)"


def load_config() -> Config:
    """The settings in effect; a value that does not fit its setting raises ``SettingsError`` (one line)."""
    try:
        return Config()
    except ValidationError as error:
        raise SettingsError(_problem(error)) from None


def settings_problem() -> str | None:
    """What is wrong with the settings, in one line, or None: for the app to show before anything else."""
    try:
        load_config()
    except SettingsError as error:
        return str(error)
    return None


def settings_markdown() -> str:
    """The README's settings table, generated from the declaration."""
    rows = [f"| `{name}` | {f'`{default}`' if default else '(unset)'} | {text} |" for name, default, text in SETTINGS]
    return "\n".join(["| Setting | Default | Meaning |", "| --- | --- | --- |", *rows]) + "\n"


TABLE_START = "<!-- settings table: generated by `python -m ropa.config README.md` from ropa/config.py -->\n"
TABLE_END = "<!-- end of settings table -->\n"


def with_settings_table(readme: str) -> str:
    """``readme`` with the generated table between its markers."""
    head, rest = readme.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    return head + TABLE_START + "\n" + settings_markdown() + "\n" + TABLE_END + tail


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    if target is None:
        print(settings_markdown(), end="")
    else:
        target.write_text(with_settings_table(target.read_text(encoding="utf-8")), encoding="utf-8")
