"""Turning measurements into a table, a JSON file and a comparison of two runs."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.runner import REPO, Case, Ratio

SCHEMA_VERSION = 1
PACKAGES = ("duckdb", "streamlit", "pandas", "vl-convert-python", "openpyxl", "pydantic", "pyarrow")


# -- machine ----------------------------------------------------------------------

def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """Enough about the machine to tell whether two result files are comparable."""
    return {
        "cpu": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gb": _ram_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": {p: _version(p) for p in PACKAGES},
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "commit": _git_commit(),
    }


# -- derived figures ------------------------------------------------------------------

def ratios(results: list[dict[str, Any]], defs: Iterable[Ratio]) -> list[dict[str, Any]]:
    by_key = {(r["case"], r["size"]): r for r in results if r["status"] == "ok"}
    out = []
    for ratio in defs:
        for size in sorted({r["size"] for r in results}):
            top, bottom = by_key.get((ratio.numerator, size)), by_key.get((ratio.denominator, size))
            if top is None or bottom is None or not bottom["median_s"]:
                out.append({"name": ratio.name, "size": size, "status": "not available"})
                continue
            cpu = (round(top["cpu_median_s"] / bottom["cpu_median_s"], 3)
                   if top.get("cpu_median_s") and bottom.get("cpu_median_s") else None)
            out.append({"name": ratio.name, "size": size, "status": "ok",
                        "ratio": round(top["median_s"] / bottom["median_s"], 3), "cpu_ratio": cpu})
    return out


def _slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of log(time) on log(size)."""
    xs = [math.log(s) for s, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def growth(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """How each case's median grows with size: least-squares slope of log(time) on log(size).

    ``cpu_exponent`` is the same slope over the CPU medians (when every size has one): on a shared
    machine the wall times of the large sizes wait longer for the processor, which bends the wall slope.
    """
    cases: dict[str, list[tuple[int, float, float | None]]] = {}
    for r in results:
        if r["status"] == "ok" and r["median_s"] > 0:
            cases.setdefault(r["case"], []).append((r["size"], r["median_s"], r.get("cpu_median_s")))
    out = []
    for case, points in cases.items():
        points.sort()
        if len(points) < 2 or points[0][0] == points[-1][0]:
            continue
        slope = _slope([(s, t) for s, t, _ in points])
        cpu = [(s, c) for s, _, c in points if c]
        out.append({"case": case, "smallest": points[0][0], "largest": points[-1][0],
                    "size_ratio": round(points[-1][0] / points[0][0], 2),
                    "time_ratio": round(points[-1][1] / points[0][1], 2),
                    "exponent": round(slope, 2), "shape": _shape(slope),
                    "cpu_exponent": round(_slope(cpu), 2) if len(cpu) == len(points) else None})
    return out


def _shape(exponent: float) -> str:
    if exponent > 1.25:
        return "super-linear"
    if exponent >= 0.75:
        return "about linear"
    if exponent >= 0.25:
        return "sub-linear (fixed cost dominates small sizes)"
    return "flat (independent of size)"


def targets(results: list[dict[str, Any]], derived: list[dict[str, Any]], cases: Iterable[Case],
            ratio_defs: Iterable[Ratio]) -> list[dict[str, Any]]:
    """Each target checked at its size; 'not measured' when that size was not run."""
    by_key = {(r["case"], r["size"]): r for r in results}
    derived_by_key = {(d["name"], d["size"]): d for d in derived}
    rows: list[dict[str, Any]] = []
    cases = list(cases)
    for name, label, target, measured in (
        *((c.name, c.label, c.target, by_key.get((c.name, c.target.at_size)) if c.target else None)
          for c in cases),
        *((f"{c.name}_memory", f"{c.label}: memory", c.memory_target,
           by_key.get((c.name, c.memory_target.at_size)) if c.memory_target else None) for c in cases),
        *((r.name, r.label, r.target, derived_by_key.get((r.name, r.target.at_size)) if r.target else None)
          for r in ratio_defs),
    ):
        if target is None:
            continue
        row: dict[str, Any] = {"case": name, "label": label, "target": target.describe(),
                               "limit": target.limit, "unit": target.unit, "at_size": target.at_size}
        value = None
        if measured is not None and measured["status"] == "ok":
            # Ratios are judged on CPU time: both sides are single-threaded Python, and CPU time is
            # far less disturbed than wall time when the machine is shared.
            value = ((measured.get("cpu_ratio") or measured["ratio"]) if target.unit == "x floor"
                     else measured.get("peak_mb") if target.unit == "MB" else measured["median_s"])
        if value is None:
            row.update(measured=None, result="not measured" if measured is None else measured["status"])
        else:
            passed = value <= target.limit if target.unit in ("x floor", "MB") else value < target.limit
            row.update(measured=value, result="pass" if passed else "MISS")
        rows.append(row)
    return rows


# -- output ------------------------------------------------------------------------

def document(settings: dict[str, Any], machine: dict[str, Any], results: list[dict[str, Any]],
             cases: list[Case], ratio_defs: list[Ratio], runtime_s: float) -> dict[str, Any]:
    derived = ratios(results, ratio_defs)
    return {
        "schema_version": SCHEMA_VERSION,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "runtime_s": round(runtime_s, 1),
        "settings": settings,
        "machine": machine,
        "cases": {c.name: {"label": c.label, "measures": c.measures, "memory": c.memory,
                           "target": c.target.describe() if c.target else None} for c in cases},
        "results": results,
        "ratios": derived,
        "growth": growth(results),
        "targets": targets(results, derived, cases, ratio_defs),
    }


def write_json(doc: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def render(doc: dict[str, Any]) -> str:
    """The plain-text report: every measurement, growth with size, and the targets."""
    targets_by_case = {t["case"]: t for t in doc["targets"]}
    rows = []
    for r in doc["results"]:
        target = targets_by_case.get(r["case"])
        at_target = target is not None and target["at_size"] == r["size"]
        if r["status"] != "ok":
            rows.append([r["case"], f"{r['size']:,}", r["status"], "", "", "", "", "", "", "", "",
                         r.get("reason", "")])
            continue
        memory = "-" if r.get("peak_mb") is None else f"{r['peak_mb']:.1f} ({r['memory']})"
        traced = "-" if r.get("traced_peak_mb") is None else f"{r['traced_peak_mb']:.1f}"
        rows.append([r["case"], f"{r['size']:,}", _seconds(r["median_s"]), _seconds(r["min_s"]),
                     _seconds(r["max_s"]), _seconds(r.get("cpu_median_s")), str(len(r["runs_s"])),
                     _seconds(r.get("first_s")), memory, traced,
                     target["target"] if at_target and target else "",
                     target["result"] if at_target and target else ""])
    for d in doc["ratios"]:
        target = targets_by_case.get(d["name"])
        at_target = target is not None and target["at_size"] == d["size"]
        value = f"{d['ratio']:.2f}x" if d["status"] == "ok" else d["status"]
        cpu = f"{d['cpu_ratio']:.2f}x" if d.get("cpu_ratio") is not None else ""
        rows.append([d["name"], f"{d['size']:,}", value, "", "", cpu, "", "", "", "",
                     target["target"] if at_target and target else "",
                     target["result"] if at_target and target else ""])
    parts = [_machine_line(doc), "",
             _table(["case", "size", "median", "min", "max", "CPU", "runs", "first run", "memory MB (how)",
                     "traced MB", "target", "result"], rows)]
    if doc["growth"]:
        parts += ["", "Growth with size (log-log slope of the median; 1.0 = linear):",
                  _table(["case", "sizes", "time ratio", "size ratio", "exponent", "shape"],
                         [[g["case"], f"{g['smallest']:,} -> {g['largest']:,}", f"{g['time_ratio']:.1f}x",
                           f"{g['size_ratio']:.0f}x", f"{g['exponent']:.2f}", g["shape"]] for g in doc["growth"]])]
    if doc["targets"]:
        parts += ["", "Targets:",
                  _table(["case", "at size", "target", "measured", "result"],
                         [[t["case"], f"{t['at_size']:,}", t["target"],
                           "-" if t["measured"] is None else (f"{t['measured']:.2f}x CPU" if t["unit"] == "x floor"
                                                              else f"{t['measured']:.0f} MB" if t["unit"] == "MB"
                                                              else _seconds(t["measured"])),
                           t["result"]] for t in doc["targets"]])]
    parts += ["", f"Total benchmark run time: {doc['runtime_s']:.0f} s"]
    return "\n".join(parts)


def _machine_line(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    load = ", ".join(f"{x:.2f}" for x in m.get("load_average") or [])
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    return (f"Machine: {m['cpu']}, {m['usable_cores']} usable of {m['logical_cores']} cores, "
            f"{m['ram_gb']} GB RAM, Python {m['python']}; {packages}; load average at start {load}; "
            f"commit {m.get('commit') or '?'}")


def compare(first: dict[str, Any], second: dict[str, Any]) -> str:
    """Per case and size: the second run's median over the first's (below 1.0 = faster)."""
    def medians(doc: dict[str, Any]) -> dict[tuple[str, int], float]:
        return {(r["case"], r["size"]): r["median_s"] for r in doc["results"] if r["status"] == "ok"}

    a, b = medians(first), medians(second)
    rows = []
    for key in sorted(a.keys() | b.keys(), key=lambda k: (k[1], k[0])):
        before, after = a.get(key), b.get(key)
        ratio = f"{after / before:.2f}x" if before and after else "-"
        rows.append([key[0], f"{key[1]:,}", _seconds(before), _seconds(after), ratio])
    header = [f"A: {first['created_utc']}  {_machine_line(first)}",
              f"B: {second['created_utc']}  {_machine_line(second)}", ""]
    return "\n".join(header) + _table(["case", "size", "A median", "B median", "B / A"], rows)


def markdown(doc: dict[str, Any]) -> str:
    """The summary for docs/benchmarks.md: medians by size, growth and targets, with the machine."""
    sizes = doc["settings"]["sizes"]
    by_key = {(r["case"], r["size"]): r for r in doc["results"]}
    growth_by_case = {g["case"]: g for g in doc["growth"]}
    targets_by_case = {t["case"]: t for t in doc["targets"]}
    header = ["Case", *(f"{s:,}" for s in sizes), "Growth exponent (CPU)", "Target (10,000)", "Result"]
    lines = [f"Measured {doc['created_utc']} in {doc['runtime_s']:.0f} s. {_machine_line(doc)}.", "",
             "Median wall time (CPU time in brackets) of the timed runs:", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for case in dict.fromkeys(r["case"] for r in doc["results"]):
        cells = []
        for size in sizes:
            r = by_key.get((case, size))
            if r is None:
                cells.append("")
            elif r["status"] == "ok":
                cells.append(f"{_seconds(r['median_s'])} ({_seconds(r['cpu_median_s'])})")
            else:
                cells.append(r["status"])
        g, t = growth_by_case.get(case), targets_by_case.get(case)
        cells += [_exponents(g), t["target"] if t else "", t["result"] if t else ""]
        lines.append(f"| `{case}` | " + " | ".join(cells) + " |")
    lines += _ratio_rows(doc, sizes, targets_by_case)
    lines += ["", "Memory in MB (rise of the resident set for in-process cases, peak RSS of the process for "
              "`cli_*`):", "", "| Case | " + " | ".join(f"{s:,}" for s in sizes) + " |",
              "|" + "---|" * (len(sizes) + 1)]
    for case in dict.fromkeys(r["case"] for r in doc["results"]):
        cells = []
        for size in sizes:
            r = by_key.get((case, size))
            cells.append(f"{r['peak_mb']:.0f}" if r and r["status"] == "ok" and r.get("peak_mb") is not None else "")
        lines.append(f"| `{case}` | " + " | ".join(cells) + " |")
    lines += ["", "Every target, at the size it is judged at (ratios on CPU time):", "",
              "| Target | At | Limit | Measured | Result |", "|---|---|---|---|---|"]
    for t in doc["targets"]:
        lines.append(f"| {t['label']} | {t['at_size']:,} | {t['target']} | {_measured(t)} | {t['result']} |")
    return "\n".join(lines)


def _exponents(g: dict[str, Any] | None) -> str:
    if g is None:
        return ""
    cpu = g.get("cpu_exponent")
    return f"{g['exponent']:.2f}" + (f" ({cpu:.2f})" if cpu is not None else "")


def _measured(t: dict[str, Any]) -> str:
    value = t.get("measured")
    if value is None:
        return ""
    if t["unit"] == "MB":
        return f"{value:.0f} MB"
    return f"{value:.2f}x" if t["unit"] == "x floor" else _seconds(value)


def _ratio_rows(doc: dict[str, Any], sizes: list[int], targets_by_case: dict[str, Any]) -> list[str]:
    lines = []
    for name in dict.fromkeys(d["name"] for d in doc["ratios"]):
        cells = []
        for size in sizes:
            d = next((d for d in doc["ratios"] if d["name"] == name and d["size"] == size), None)
            if d and d["status"] == "ok":
                cpu = f" ({d['cpu_ratio']:.2f}x)" if d.get("cpu_ratio") is not None else ""
                cells.append(f"{d['ratio']:.2f}x{cpu}")
            else:
                cells.append((d or {}).get("status", ""))
        t = targets_by_case.get(name)
        cells += ["", t["target"] if t else "", t["result"] if t else ""]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return lines
