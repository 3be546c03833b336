"""The UK appropriate policy document fields fill the ICO template's last columns for records made in the app."""

from __future__ import annotations

from typing import Any

import pytest

from ropa.columns import BY_KEY
from tests.factories import make_activity


@pytest.mark.parametrize(
    ("fields", "followed", "reasons"),
    [
        ({"retention_per_policy": True}, "Yes", ""),
        ({"retention_per_policy": False, "policy_deviation_reasons": "Litigation hold on 2024 files"}, "No",
         "Litigation hold on 2024 files"),
        ({}, "", ""),
        ({"unmapped": {"c29_policy_followed": "Mostly", "c30_policy_reasons": "See audit"}}, "Mostly", "See audit"),
    ],
    ids=["followed", "not-followed-with-reasons", "not-stated", "imported-text-kept"],
)
def test_ico_columns_29_and_30_show_the_recorded_policy_adherence(fields: dict[str, Any], followed: str,
                                                                   reasons: str) -> None:
    activity = make_activity(1, appropriate_policy_ref="APD-2025", **fields)
    assert BY_KEY["c29_policy_followed"].render(activity, None) == followed  # type: ignore[arg-type]
    assert BY_KEY["c30_policy_reasons"].render(activity, None) == reasons  # type: ignore[arg-type]
    assert BY_KEY["appropriate_policy"].render(activity, None) == "APD-2025"  # type: ignore[arg-type]
