"""Settings: every ``ROPA_*`` environment variable, declared once with its type, default and help.

``Config`` is the one declaration. Adding a setting is one annotated field in
it; the admin page, the README table (``python -m ropa.config README.md``
rewrites it, and a test keeps it current) and the start-up check all follow
from it. A bad value is refused when the settings are read, with one line
that names the variable, instead of failing later deep inside a command.

The values are read with the standard library: pydantic-settings cost every
command a third of a second of start-up to read thirteen variables. The
parsing and the messages are pydantic's lax rules for these five types
(tests hold them to the messages operators have seen).
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ropa.errors import RopaError

# The import must take back what the export gives out at the size the product promises. The workbook of the
# synthetic 50,000-activity register measures 30.7 MB for its 47,473 live activities (646 bytes each, so about
# 32 MB for 50,000; its CSV zip is 9.1 MB), over the old fixed 25 MB. 64 MB admits it with room for longer
# free text than the generator writes; the import's own row and unpacked-size caps still bound its work.
DEFAULT_MAX_UPLOAD_MB = 64


def _setting(env: str, default: Any, help_text: str, **checks: Any) -> Any:
    """One setting: the environment variable that sets it, its default, what it does, and its checks
    (``ge``, ``le``: bounds of a number; ``pattern``: a regular expression the text must match)."""
    return dataclasses.field(default=default, metadata={"env": env, "help": help_text, **checks})


@dataclasses.dataclass(frozen=True)
class Config:
    """The settings in effect, read from the environment (empty counts as unset)."""

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

    def model_copy(self, *, update: Mapping[str, Any]) -> Config:
        """These settings with some replaced, unchecked (the name and use of pydantic's copy)."""
        return dataclasses.replace(self, **update)


class SettingsError(RopaError):
    """An environment variable holds a value its setting cannot take."""


class _Invalid(ValueError):
    """A value its setting cannot take; the message is pydantic's, as operators have seen it."""


_INTEGER = re.compile(r"\s*[+-]?[0-9](?:_?[0-9])*(?:\.0+)?\s*", re.ASCII)
_TRUE, _FALSE = {"1", "on", "t", "true", "y", "yes"}, {"0", "off", "f", "false", "n", "no"}


def _integer(text: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise _Invalid("Input should be a valid integer, unable to parse string as an integer")
    return int(text.strip().split(".")[0])


def _number(text: str) -> float:
    try:
        if not text.isascii():
            raise ValueError(text)
        return float(text)
    except ValueError:
        raise _Invalid("Input should be a valid number, unable to parse string as a number") from None


def _boolean(text: str) -> bool:
    if text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    raise _Invalid("Input should be a valid boolean, unable to interpret input")


_PARSERS: dict[str, Callable[[str], Any]] = {"Path": Path, "str": str, "int": _integer, "float": _number,
                                             "bool": _boolean}
"""A parser per annotation of ``Config`` (``from __future__ import annotations`` keeps them as text)."""


def _parse(field: dataclasses.Field[Any], text: str) -> Any:
    """``text`` as the field's type, within its checks."""
    value = _PARSERS[str(field.type)](text)
    checks = field.metadata
    if "ge" in checks and not value >= checks["ge"]:
        raise _Invalid(f"Input should be greater than or equal to {checks['ge']}")
    if "le" in checks and not value <= checks["le"]:
        raise _Invalid(f"Input should be less than or equal to {checks['le']}")
    if "pattern" in checks and not re.search(checks["pattern"], value):
        raise _Invalid(f"String should match pattern '{checks['pattern']}'")
    return value


def _env(field: dataclasses.Field[Any]) -> str:
    return str(field.metadata["env"])


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
    (_env(f), _text(f.default), str(f.metadata["help"])) for f in dataclasses.fields(Config))
"""(variable, default as text, help) for each setting, in declaration order."""


def setting(name: str) -> str:
    """The text in effect for the variable ``name``: the environment's, or the default's."""
    default = next(d for n, d, _ in SETTINGS if n == name)
    return os.environ.get(name) or default


def load_config() -> Config:
    """The settings in effect; a value that does not fit its setting raises ``SettingsError`` (one line).

    Variables are matched in any case (``ropa_db`` sets ``ROPA_DB``), as they were by pydantic-settings.
    """
    environ = {name.upper(): value for name, value in os.environ.items()}
    values: dict[str, Any] = {}
    problems: list[str] = []
    for field in dataclasses.fields(Config):
        text = environ.get(_env(field), "")
        if not text:
            continue
        try:
            values[field.name] = _parse(field, text)
        except _Invalid as error:
            reason = str(error)
            problems.append(f"{_env(field)}={text!r} is not valid: {reason[:1].lower()}{reason[1:]}")
    if problems:
        raise SettingsError("; ".join(problems) + " (see Configuration in the README)")
    return Config(**values)


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
