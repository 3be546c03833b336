"""Documentation that must not drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ropa.cli import build_parser
from ropa.config import SETTINGS, with_settings_table

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SOURCES = ("app.py", "ropa/**/*", "ui/**/*", "screens/**/*", "bench/**/*")


def test_the_readme_settings_table_is_generated_from_the_declaration() -> None:
    assert README == with_settings_table(README), (
        "README.md's settings table is out of date: run python -m ropa.config README.md")


@pytest.mark.parametrize(("name", "default", "help_text"), SETTINGS, ids=[s[0] for s in SETTINGS])
def test_every_setting_is_in_the_readme_with_its_default_and_help(name: str, default: str, help_text: str) -> None:
    row = next((line for line in README.splitlines() if line.startswith(f"| `{name}` |")), None)
    assert row is not None, f"{name} missing from README"
    assert (f"`{default}`" if default else "(unset)") in row and help_text in row


def test_every_setting_the_code_names_is_declared() -> None:
    named = {name for folder in SOURCES for path in ROOT.glob(folder) if path.suffix == ".py"
             for name in re.findall(r"\bROPA_[A-Z_]+\b", path.read_text(encoding="utf-8"))}
    assert named, "the scan found no setting at all"
    assert named <= {name for name, _, _ in SETTINGS}


def test_readme_shows_the_two_commands_first() -> None:
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_every_cli_command_is_in_the_readme() -> None:
    _, modules = build_parser()
    for name in modules:
        assert f"  {name}" in README, name
