"""The rule catalogue documentation is generated from the rules and kept up to date."""

from __future__ import annotations

from pathlib import Path

from ropa.gaps import RULES
from ropa.gaps.docs import catalogue_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "gap-rules.md"


def test_gap_rules_doc_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == catalogue_markdown(), (
        "docs/gap-rules.md is out of date: run python -m ropa.gaps.docs > docs/gap-rules.md")


def test_every_rule_is_documented_with_its_law_and_fix() -> None:
    text = DOC.read_text(encoding="utf-8")
    for rule in RULES:
        section = text.split(f"### `{rule.id}`:", 1)[1].split("\n### ", 1)[0]
        assert rule.article in section and rule.remediation in section and rule.explanation in section
