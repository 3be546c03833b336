"""The world map's outlines thinned to what the dashboard can show: fewer points, same countries, same borders.

The 1:50m Natural Earth map keeps every small state the transfers map needs
(Singapore, Malta, Jersey), but its 120,000 points are far finer than a
1,400-pixel map can draw: one pixel spans about a quarter of a degree, and
the browser spent most of the map's drawing time on points it could not
show. Only the countries are kept (the source also holds coastlines, land,
lakes, rivers and subunits, which the map never draws but every visitor
downloaded and parsed), with the arcs they use. Each arc of the topology is
simplified on its own (Douglas-Peucker, endpoints kept), so neighbouring
countries still share their border exactly and no country or island is
dropped; then every ring is wound the way d3-geo (Vega's map code) reads it.
The shipped ``static/topojson/world_50m.json`` is the output of::

    python -m ropa.charts.topojson ORIGINAL.json static/topojson/world_50m.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

TOLERANCE_DEGREES = 0.1
"""Largest distance a dropped point may lie from the simplified line: well under a pixel on the dashboard."""

MIN_RING_POINTS = 4
"""A closed arc (an island's coast) keeps at least a triangle: three corners and the closing point."""

Points = npt.NDArray[np.float64]

DRAWN_OBJECTS = ("countries",)
"""The topology's objects a chart draws (``ropa.charts.transfers.world_data``); the others are left out."""


def _kept(points: Points, tolerance: float) -> npt.NDArray[np.bool_]:
    """Which points of an open line Douglas-Peucker keeps (always both ends)."""
    keep = np.zeros(len(points), dtype=bool)
    keep[0] = keep[-1] = True
    spans = [(0, len(points) - 1)]
    while spans:
        first, last = spans.pop()
        if last <= first + 1:
            continue
        start, direction = points[first], points[last] - points[first]
        inner = points[first + 1:last]
        length = float(np.hypot(*direction))
        if length == 0:
            distance = np.hypot(*(inner - start).T)
        else:
            distance = np.abs(direction[0] * (inner[:, 1] - start[1])
                              - direction[1] * (inner[:, 0] - start[0])) / length
        farthest = int(np.argmax(distance))
        if distance[farthest] > tolerance:
            middle = first + 1 + farthest
            keep[middle] = True
            spans += [(first, middle), (middle, last)]
    return keep


def _kept_ring(points: Points, tolerance: float) -> npt.NDArray[np.bool_]:
    """A closed arc is split at its point farthest from the start, each half simplified as a line."""
    far = int(np.argmax(np.hypot(*(points - points[0]).T)))
    keep = np.zeros(len(points), dtype=bool)
    keep[:far + 1] |= _kept(points[:far + 1], tolerance)
    keep[far:] |= _kept(points[far:], tolerance)
    if keep.sum() < MIN_RING_POINTS:
        keep[np.linspace(0, len(points) - 1, MIN_RING_POINTS).round().astype(int)] = True
    return keep


def simplify_arc(arc: list[list[int]], scale: tuple[float, float], tolerance: float) -> list[list[int]]:
    """One delta-encoded, quantised arc with the points within ``tolerance`` degrees of the line dropped."""
    grid = np.cumsum(np.asarray(arc, dtype=np.int64), axis=0)
    if len(grid) > 2:
        degrees: Points = grid.astype(np.float64) * np.asarray(scale, dtype=np.float64)
        closed = bool((grid[0] == grid[-1]).all())
        grid = grid[(_kept_ring if closed else _kept)(degrees, tolerance)]
    deltas = np.vstack([grid[:1], np.diff(grid, axis=0)])
    return [[int(x), int(y)] for x, y in deltas.tolist()]


def simplify_topology(topology: dict[str, Any], tolerance: float = TOLERANCE_DEGREES) -> dict[str, Any]:
    """The topology with every arc simplified; objects, ids and properties are untouched."""
    scale = topology["transform"]["scale"]
    arcs = [simplify_arc(arc, (float(scale[0]), float(scale[1])), tolerance) for arc in topology["arcs"]]
    return {**topology, "arcs": arcs}


def _ring_points(ring: list[int], arcs: list[Points]) -> Points:
    """The points of one ring of arc indices (a negative index ``~i`` is arc ``i`` backwards), in grid units."""
    parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in ring]
    return np.vstack([parts[0], *(part[1:] for part in parts[1:])])


def _winding(points: Points) -> float:
    """Twice the ring's signed area: negative clockwise; longitudes unwrapped so rings across 180° count right."""
    x = np.rad2deg(np.unwrap(np.deg2rad(points[:, 0])))
    y = points[:, 1]
    return float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def rewind_topology(topology: dict[str, Any]) -> dict[str, Any]:
    """The topology with every outer ring clockwise and every hole anticlockwise, as d3-geo (Vega) reads them.

    A ring the other way round is the whole globe less that shape: thinning
    leaves a few tiny islands wound backwards, and one such island painted
    the map in its country's colour. Rings are reversed in their arc lists;
    the arcs, shared by neighbours, stay as they are.
    """
    scale = np.asarray(topology["transform"]["scale"], dtype=np.float64)
    shift = np.asarray(topology["transform"]["translate"], dtype=np.float64)
    arcs = [np.cumsum(np.asarray(arc, dtype=np.float64), axis=0) * scale + shift for arc in topology["arcs"]]

    def backwards(ring: list[int], outer: bool) -> bool:
        winding = _winding(_ring_points(ring, arcs))
        return winding > 0 if outer else winding < 0

    def wound(polygon: list[list[int]]) -> list[list[int]]:
        return [[~i for i in reversed(ring)] if backwards(ring, number == 0) else ring
                for number, ring in enumerate(polygon)]

    def geometry(item: dict[str, Any]) -> dict[str, Any]:
        if item.get("type") == "Polygon":
            return {**item, "arcs": wound(item["arcs"])}
        if item.get("type") == "MultiPolygon":
            return {**item, "arcs": [wound(polygon) for polygon in item["arcs"]]}
        if item.get("type") == "GeometryCollection":
            return {**item, "geometries": [geometry(g) for g in item["geometries"]]}
        return item

    return {**topology, "objects": {name: geometry(item) for name, item in topology["objects"].items()}}


def _arc_indices(arcs: Any) -> Iterator[int]:
    """Every arc index in a geometry's (nested) arc lists, as written (``~i`` for arc ``i`` backwards)."""
    if isinstance(arcs, int):
        yield arcs
    else:
        for part in arcs:
            yield from _arc_indices(part)


def _renumbered(arcs: Any, new: dict[int, int]) -> Any:
    """A geometry's (nested) arc lists with each arc's index replaced by its new one, direction kept."""
    if isinstance(arcs, int):
        return new[arcs] if arcs >= 0 else ~new[~arcs]
    return [_renumbered(part, new) for part in arcs]


def _geometries(item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if item.get("type") == "GeometryCollection":
        for geometry in item["geometries"]:
            yield from _geometries(geometry)
    else:
        yield item


def keep_objects(topology: dict[str, Any], names: Iterable[str] = DRAWN_OBJECTS) -> dict[str, Any]:
    """The topology with only the named objects and the arcs they use, in their original order."""
    objects = {name: topology["objects"][name] for name in names}
    used = sorted({i if i >= 0 else ~i for item in objects.values() for geometry in _geometries(item)
                   for i in _arc_indices(geometry.get("arcs", []))})
    new = {old: number for number, old in enumerate(used)}

    def geometry(item: dict[str, Any]) -> dict[str, Any]:
        if item.get("type") == "GeometryCollection":
            return {**item, "geometries": [geometry(g) for g in item["geometries"]]}
        return {**item, "arcs": _renumbered(item["arcs"], new)} if "arcs" in item else item

    return {**topology, "objects": {name: geometry(item) for name, item in objects.items()},
            "arcs": [topology["arcs"][old] for old in used]}


def point_count(topology: dict[str, Any]) -> int:
    return sum(len(arc) for arc in topology["arcs"])


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m ropa.charts.topojson SOURCE.json TARGET.json", file=sys.stderr)
        return 2
    source = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    thinned = rewind_topology(simplify_topology(keep_objects(source)))
    Path(argv[1]).write_text(json.dumps(thinned, separators=(",", ":")), encoding="utf-8")
    print(f"{point_count(source):,} points -> {point_count(thinned):,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
