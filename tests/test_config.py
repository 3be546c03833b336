"""Settings: typed, defaulted, and a bad value refused at start with one line that names it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ropa.cli import main
from ropa.config import SETTINGS, Config, SettingsError, load_config, setting, settings_problem


def _only(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    """The environment holds exactly ``env`` among the settings."""
    for name, _, _ in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_defaults_apply_when_nothing_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    _only(monkeypatch)
    config = load_config()
    assert (config.db_path, config.review_interval_months, config.busy_timeout, config.debug) == (
        Path("data/ropa.duckdb"), 12, 20.0, False)
    assert settings_problem() is None


@pytest.mark.parametrize(("env", "field", "expected"), [
    ({"ROPA_DB": "/srv/ropa/register.duckdb"}, "db_path", Path("/srv/ropa/register.duckdb")),
    ({"ROPA_DB": ""}, "db_path", Path("data/ropa.duckdb")),  # empty counts as unset
    ({"ROPA_REVIEW_INTERVAL_MONTHS": "6"}, "review_interval_months", 6),
    ({"ROPA_REVIEW_INTERVAL_MONTHS": "120"}, "review_interval_months", 120),
    ({"ROPA_BUSY_TIMEOUT": "0.5"}, "busy_timeout", 0.5),
    ({"ROPA_MAX_UPLOAD_MB": "200"}, "max_upload_mb", 200),
    ({"ROPA_DEBUG": "1"}, "debug", True),
    ({"ROPA_USER": "ops@example.org"}, "cli_user", "ops@example.org"),
    # pydantic's lax reading of text, which operators have relied on: kept as it was
    ({"ROPA_REVIEW_INTERVAL_MONTHS": " 6 "}, "review_interval_months", 6),
    ({"ROPA_REVIEW_INTERVAL_MONTHS": "+6"}, "review_interval_months", 6),
    ({"ROPA_REVIEW_INTERVAL_MONTHS": "06.00"}, "review_interval_months", 6),
    ({"ROPA_MAX_UPLOAD_MB": "1_000"}, "max_upload_mb", 1000),
    ({"ROPA_BUSY_TIMEOUT": " 2 "}, "busy_timeout", 2.0),
    ({"ROPA_BUSY_TIMEOUT": "1e1"}, "busy_timeout", 10.0),
    ({"ROPA_BUSY_TIMEOUT": "inf"}, "busy_timeout", float("inf")),
    ({"ROPA_DEBUG": "TRUE"}, "debug", True),
    ({"ROPA_DEBUG": "yes"}, "debug", True),
    ({"ROPA_DEBUG": "off"}, "debug", False),
    ({"ROPA_DEBUG": "f"}, "debug", False),
    ({"ROPA_FOUR_EYES": "OFF"}, "four_eyes", "OFF"),
    ({"ROPA_USER": " spaced "}, "cli_user", " spaced "),
    ({"ropa_debug": "1"}, "debug", True),  # a variable is matched in any case
    ({"Ropa_Review_Interval_Months": "7"}, "review_interval_months", 7),
])
def test_a_set_value_is_read_with_its_type(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], field: str,
                                           expected: object) -> None:
    _only(monkeypatch, **env)
    assert getattr(load_config(), field) == expected


@pytest.mark.parametrize(("setting", "value", "says"), [
    ("ROPA_REVIEW_INTERVAL_MONTHS", "abc", "input should be a valid integer"),
    ("ROPA_REVIEW_INTERVAL_MONTHS", "0", "input should be greater than or equal to 1"),
    ("ROPA_BUSY_TIMEOUT", "soon", "input should be a valid number"),
    ("ROPA_MAX_UPLOAD_MB", "25MB", ""),
    ("ROPA_DEBUG", "maybe", "input should be a valid boolean"),
    ("ROPA_DEBUG", " 1 ", "input should be a valid boolean, unable to interpret"),
    ("ROPA_DEBUG", "2", "input should be a valid boolean"),
    ("ROPA_REVIEW_INTERVAL_MONTHS", "6.5", "input should be a valid integer, unable to parse string as an integer"),
    ("ROPA_REVIEW_INTERVAL_MONTHS", "1e1", "input should be a valid integer"),
    ("ROPA_REVIEW_INTERVAL_MONTHS", "\u0663", "input should be a valid integer"),  # a digit, but not an ASCII one
    ("ROPA_REVIEW_INTERVAL_MONTHS", "1__0", "input should be a valid integer"),
    ("ROPA_REVIEW_INTERVAL_MONTHS", "-0", "input should be greater than or equal to 1"),
    ("ROPA_REVIEW_INTERVAL_MONTHS", "121", "input should be less than or equal to 120"),
    ("ROPA_BUSY_TIMEOUT", "-1", "input should be greater than or equal to 0"),
    ("ROPA_BUSY_TIMEOUT", "nan", "input should be greater than or equal"),
    ("ROPA_BUSY_TIMEOUT", "\u0661", "input should be a valid number, unable to parse string as a number"),
    ("ROPA_FOUR_EYES", "on ", "string should match pattern '^(?i:on|off|true|false|yes|no|1|0)$'"),
])
def test_a_bad_value_is_refused_in_one_line_naming_the_setting(monkeypatch: pytest.MonkeyPatch,
                                                               setting: str, value: str, says: str) -> None:
    message = f"{setting}={value!r} is not valid" + (f": {says}" if says else "")
    _only(monkeypatch, **{setting: value})
    with pytest.raises(SettingsError) as refused:
        load_config()
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)
    assert settings_problem() == str(refused.value)


def test_every_bad_setting_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    _only(monkeypatch, ROPA_REVIEW_INTERVAL_MONTHS="abc", ROPA_BUSY_TIMEOUT="soon")
    problem = settings_problem() or ""
    assert "ROPA_REVIEW_INTERVAL_MONTHS" in problem and "ROPA_BUSY_TIMEOUT" in problem and "\n" not in problem


def test_the_cli_refuses_a_bad_setting_before_any_work(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    _only(monkeypatch, ROPA_REVIEW_INTERVAL_MONTHS="abc")
    db_path = tmp_path / "register.duckdb"
    assert main(["--db", str(db_path), "gaps"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: ROPA_REVIEW_INTERVAL_MONTHS='abc' is not valid")
    assert err.count("\n") == 1
    assert not db_path.exists()  # refused before the register was opened or created


def test_the_in_effect_text_is_the_environments_or_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    _only(monkeypatch, ROPA_EXPORT_DIR="/srv/exports")
    assert (setting("ROPA_EXPORT_DIR"), setting("ROPA_BUSY_TIMEOUT"), setting("ROPA_DEBUG")) == (
        "/srv/exports", "20", "0")


def test_every_setting_has_help_and_a_distinct_variable() -> None:
    names = [name for name, _, _ in SETTINGS]
    assert len(names) == len(set(names)) == len(dataclasses.fields(Config))
    assert all(name.startswith("ROPA_") and text.endswith(".") for name, _, text in SETTINGS)
