"""From a chart selection back to the activities it stands for (the dashboard's click-through).

Every clickable mark of a dashboard chart carries a short ``key``; the chart
spec keeps, for the server only, the activity ids and a readable label of
each key (``usermeta``, see ``ropa.charts.common.clickable``). The browser
reports the keys of the picked marks; this module turns them into ids and a
label for the register. The browser's copy leaves the ids out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ropa.charts.common import PICK, TARGETS, id_list


@dataclass(frozen=True)
class Selection:
    activity_ids: list[int]
    label: str


def _picked_keys(state: Mapping[str, Any] | None) -> list[str]:
    """The keys of the picked marks in a selection event (Streamlit reports a list of field values per param)."""
    if not state:
        return []
    params: Mapping[str, Any] = state.get("selection") or {}
    picked: list[Any] = [point for name, points in params.items() if str(name).startswith(PICK)
                         and isinstance(points, Sequence) for point in points]
    return [str(point["key"]) for point in picked if isinstance(point, Mapping) and point.get("key") is not None]


def selected(spec: Mapping[str, Any], state: Mapping[str, Any] | None, chart: str) -> Selection | None:
    """The activities behind the picked marks of ``spec``, or None when nothing (known) is picked."""
    targets: Mapping[str, Mapping[str, str]] = (spec.get("usermeta") or {}).get(TARGETS) or {}
    ids: set[int] = set()
    labels: list[str] = []
    for key in _picked_keys(state):
        target = targets.get(key)
        if target is None:
            continue
        ids.update(id_list(target["ids"]))
        if target["label"] not in labels:
            labels.append(target["label"])
    if not ids:
        return None
    what = labels[0] if len(labels) == 1 else f"{len(labels)} selections"
    return Selection(sorted(ids), f"Dashboard, {chart}: {what}")


def browser_copy(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec to send to the browser: without the activity ids the server keeps for the click-through.

    At 10,000 activities the ids were most of the chart data the dashboard
    sent, all of it parsed before the charts drew; a click needs only the key.
    """
    lean = dict(spec)
    meta = {k: v for k, v in (lean.pop("usermeta", None) or {}).items() if k != TARGETS}
    return {**lean, "usermeta": meta} if meta else lean


def title_of(spec: Mapping[str, Any]) -> str:
    """The chart's title text."""
    title = spec.get("title")
    return str(title.get("text", "") if isinstance(title, Mapping) else title or "")


def is_clickable(spec: Mapping[str, Any]) -> bool:
    """Whether the chart has marks to click (an empty chart, or the data flows, has none)."""
    return bool((spec.get("usermeta") or {}).get(TARGETS))
