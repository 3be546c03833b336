"""The Hypothesis profiles: ``make test`` tries every example a property test asks for, ``make test-fast`` a fifth."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.properties import SHARE, examples

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("full", "profile", "tried"), [
    pytest.param(25, "ci", 25, id="ci-tries-them-all"),
    pytest.param(8, "ci", 8, id="ci-tries-a-small-count-whole"),
    pytest.param(25, "dev", 5, id="dev-tries-a-fifth"),
    pytest.param(8, "dev", 2, id="dev-never-tries-fewer-than-two"),
    pytest.param(1, "dev", 2, id="dev-rounds-up-to-two"),
])
def test_each_profile_tries_its_share_of_the_examples(full: int, profile: str, tried: int) -> None:
    assert examples(full, profile) == tried


@pytest.mark.parametrize(("target", "profile"), [
    pytest.param("pytest", "ci", id="make-test"),
    pytest.param("test-fast", "dev", id="make-test-fast"),
])
def test_the_makefile_chooses_the_profile_of_each_target(target: str, profile: str) -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(rf"^{re.escape(target)}:.*\n\t(.*)$", makefile, re.MULTILINE)
    assert recipe is not None, f"no {target} target in the Makefile"
    assert f"HYPOTHESIS_PROFILE={profile} " in recipe.group(1)
    assert profile in SHARE
