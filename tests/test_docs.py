"""Documentation that must not drift from the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from ropa.cli import build_parser
from ropa.config import SETTINGS

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "default", "help_text"), SETTINGS, ids=[s[0] for s in SETTINGS])
def test_every_setting_is_documented_with_its_default(name: str, default: str, help_text: str) -> None:
    row = next((line for line in README.splitlines() if line.startswith(f"| `{name}` |")), None)
    assert row is not None, f"{name} missing from README"
    assert f"`{default}`" in row and help_text in row


def test_readme_shows_the_two_commands_first() -> None:
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_every_cli_command_is_in_the_readme() -> None:
    _, modules = build_parser()
    for name in modules:
        assert f"  {name}" in README, name
