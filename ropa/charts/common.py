"""What every chart builder shares: top-N with "Other", heights, ids, the common spec and the click keys.

A chart has to stay readable with 50 entities and dozens of categories, so
long axes keep their largest members and fold the rest into one "Other" row
whose click-through still carries every activity id it stands for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

ROW_HEIGHT = 22
MIN_HEIGHT = 320
MAX_HEIGHT = 1500
# Entity axes show every entity up to the group size the product is built
# for, each on a row of its own; only beyond that is the tail folded into
# "Other" (an "Other" bar summing dozens of entities would dwarf the rest).
TOP_ENTITIES = 50
FONT = "Source Sans Pro, Arial, sans-serif"


def id_list(values: Any) -> list[int]:
    """Activity ids from whatever a frame cell or a point's customdata holds (list, array, "1,2", None)."""
    if values is None or (pd.api.types.is_scalar(values) and not isinstance(values, str) and pd.isna(values)):
        return []
    if isinstance(values, str):
        return [int(v) for v in values.split(",") if v.strip()]
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return [int(v) for v in values.tolist()]
    try:
        return [int(v) for v in values]
    except (TypeError, ValueError):
        return [int(v) for v in values if not pd.isna(v)]


def ids_text(values: Any) -> str:
    """Activity ids as compact customdata ("3,17,42"): cheap to copy and to send to the browser."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return ",".join(map(str, values.tolist()))
    return ",".join(map(str, id_list(values)))


@dataclass(frozen=True)
class Cell:
    """One segment of a chart: where it sits on the two axes, its count, and the id cells behind it.

    ``parts`` keeps the id cells of everything folded into the segment; they
    are merged only when the chart is built.
    """

    axis: str
    series: str
    value: int
    parts: tuple[Any, ...]

    def ids_text(self) -> str:
        if len(self.parts) == 1:
            return ids_text(self.parts[0])
        return ",".join(map(str, merge_ids(self.parts)))


def merge_ids(parts: Iterable[Any]) -> list[int]:
    """The sorted union of several id cells (what an "Other" bar stands for)."""
    arrays = [np.asarray(id_list(p), dtype=np.int64) for p in parts]
    arrays = [a for a in arrays if a.size]
    if not arrays:
        return []
    return [int(v) for v in np.unique(np.concatenate(arrays)).tolist()]


def cells(frame: pd.DataFrame, axis: str, series: str, value: str) -> list[Cell]:
    """A long frame (one row per axis x series value, with ``activity_ids``) as cells."""
    return [Cell(str(a), str(s), int(v), (ids,)) for a, s, v, ids in zip(
        frame[axis].tolist(), frame[series].tolist(), frame[value].tolist(), frame["activity_ids"].tolist(),
        strict=True)]


def totals(items: Iterable[Cell], on_axis: bool = True) -> dict[str, int]:
    """Total count per axis value (or per series value)."""
    result: dict[str, int] = {}
    for cell in items:
        key = cell.axis if on_axis else cell.series
        result[key] = result.get(key, 0) + cell.value
    return result


def fold(items: list[Cell], n: int, other: str, *, on_axis: bool = True) -> list[Cell]:
    """Keep the ``n`` axis (or series) values with the largest totals; merge the rest into "other (k)".

    Merged segments add their counts and keep every id cell, so the "Other"
    bar's click-through opens all the activities it stands for.
    """
    sums = totals(items, on_axis)
    if len(sums) <= n:
        return items
    keep = set(sorted(sums, key=lambda k: (-sums[k], k))[:n])
    label = f"{other} ({len(sums) - n})"
    kept: list[Cell] = []
    merged: dict[tuple[str, str], tuple[int, list[Any]]] = {}
    for cell in items:
        if (cell.axis if on_axis else cell.series) in keep:
            kept.append(cell)
            continue
        key = (label, cell.series) if on_axis else (cell.axis, label)
        count, parts = merged.get(key, (0, []))
        merged[key] = (count + cell.value, [*parts, *cell.parts])
    return kept + [Cell(a, s, count, tuple(parts)) for (a, s), (count, parts) in merged.items()]


def height_for(rows: int, *, row_height: int = ROW_HEIGHT, extra: int = 140) -> int:
    """Chart height that gives every category row room for its label."""
    return max(MIN_HEIGHT, min(MAX_HEIGHT, rows * row_height + extra))


def short(text: str, limit: int = 38) -> str:
    """An axis label that fits: long names are cut with an ellipsis (the full name is in the tooltip)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


PICK = "pick"
"""The name of a chart's click selection (a chart with two clickable layers has one per layer)."""
TARGETS = "ropa_targets"
"""Where a spec keeps, for the server only, the activity ids and label behind each clickable key."""
Target = tuple[str, str]


def base(title: str, height: int) -> dict[str, Any]:
    """What every dashboard chart shares: title at the left, the height its rows need, the house font.

    Vega-Lite draws every string as plain text (no markup), so names users
    typed need no escaping.
    """
    return {"title": {"text": title, "anchor": "start", "fontSize": 15}, "height": height,
            "config": {"font": FONT, "view": {"stroke": None}}}


def pick(*, name: str = PICK) -> dict[str, Any]:
    """The click selection on the ``key`` field: a click picks one mark, shift-click adds more."""
    return {"name": name, "select": {"type": "point", "fields": ["key"], "on": "click",
                                     "clear": "dblclick", "toggle": "event.shiftKey"}}


def highlight() -> dict[str, Any]:
    """Opacity that dims the other marks while some are picked, so the user sees what the click chose."""
    return {"condition": {"param": PICK, "value": 1, "empty": True}, "value": 0.45}


def clickable(spec: dict[str, Any], targets: dict[str, Target]) -> dict[str, Any]:
    """The spec with the ids and label behind each clickable key (kept out of the browser's copy)."""
    return {**spec, "usermeta": {TARGETS: {key: {"ids": ids, "label": label} for key, (ids, label) in targets.items()}}}


def empty_chart(title: str, message: str) -> dict[str, Any]:
    """A chart that says there is nothing to show, instead of an empty axis."""
    return {**base(title, MIN_HEIGHT), "data": {"values": [{"message": message}]},
            "mark": {"type": "text", "fontSize": 14, "color": "#555555"},
            "encoding": {"text": {"field": "message", "type": "nominal"}}}


def message(spec: dict[str, Any]) -> str | None:
    """The sentence an empty chart shows (None for a chart with data)."""
    values = spec.get("data", {}).get("values") or [{}]
    return str(values[0]["message"]) if "message" in values[0] else None
