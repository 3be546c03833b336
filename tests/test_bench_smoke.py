"""The benchmark harness keeps working: a tiny run in-process, and its arithmetic.

No timing is asserted here; the figures belong to ``make bench`` on a quiet machine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.__main__ import run
from bench.cases import CASES, RATIOS
from bench.report import compare, growth, markdown, render, targets
from bench.runner import Case, Context, Prepared, Settings, Target, measure

pytestmark = pytest.mark.bench_smoke

STATUSES = {"ok", "not available", "skipped"}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("bench") / "tiny.json"
    doc = run(["--tiny", "--out", str(out)], quiet=True)
    assert doc is not None
    return doc, out


def test_tiny_run_writes_the_document_it_returns(tiny_run: tuple[dict[str, Any], Path]) -> None:
    doc, out = tiny_run
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(json.dumps(doc, default=str))


def test_tiny_run_records_the_machine_and_settings(tiny_run: tuple[dict[str, Any], Path]) -> None:
    doc, _ = tiny_run
    assert doc["schema_version"] == 1
    assert {"cpu", "logical_cores", "usable_cores", "ram_gb", "python", "packages"} <= doc["machine"].keys()
    assert doc["machine"]["packages"]["duckdb"]
    assert doc["settings"]["sizes"] == [40] and doc["settings"]["repeat"] == 1
    assert doc["settings"]["entities"] == 3


def test_every_case_is_measured_or_reported_not_available(tiny_run: tuple[dict[str, Any], Path]) -> None:
    doc, _ = tiny_run
    assert [r["case"] for r in doc["results"]] == [c.name for c in CASES]
    problems = {r["case"]: r.get("reason") for r in doc["results"] if r["status"] not in STATUSES}
    assert problems == {}
    for result in doc["results"]:
        if result["status"] == "ok":
            assert len(result["runs_s"]) == 1
            assert result["min_s"] <= result["median_s"] <= result["max_s"]
            assert result["memory"] in ("rss growth", "child max rss")
            assert result["cpu_median_s"] >= 0
        else:
            assert result["reason"]


def test_the_register_is_always_built_and_the_cli_always_measured(tiny_run: tuple[dict[str, Any], Path]) -> None:
    doc, _ = tiny_run
    status = {r["case"]: r["status"] for r in doc["results"]}
    assert status["generate"] == status["insert"] == status["cli_list"] == status["cli_help"] == "ok"


def test_tiny_run_lists_every_target_unmeasured_at_its_size(tiny_run: tuple[dict[str, Any], Path]) -> None:
    doc, _ = tiny_run
    expected = ([c.name for c in CASES if c.target] + [f"{c.name}_memory" for c in CASES if c.memory_target]
                + [r.name for r in RATIOS if r.target])
    assert [t["case"] for t in doc["targets"]] == expected
    assert {t["result"] for t in doc["targets"]} == {"not measured"}


def test_render_shows_every_case_and_the_machine(tiny_run: tuple[dict[str, Any], Path]) -> None:
    doc, _ = tiny_run
    text = render(doc)
    assert text.startswith("Machine: ")
    for case in CASES:
        assert case.name in text


def test_markdown_summary_has_a_row_per_case_and_ratio(tiny_run: tuple[dict[str, Any], Path]) -> None:
    doc, _ = tiny_run
    times, memory = markdown(doc).split("Memory in MB")

    def names(text: str) -> list[str]:
        return [line.split("`")[1] for line in text.splitlines() if line.startswith("| `")]

    assert names(times) == [c.name for c in CASES] + [r.name for r in RATIOS]
    assert names(memory) == [c.name for c in CASES]


def test_every_case_is_described_in_the_docs() -> None:
    text = (Path(__file__).parent.parent / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    for name in [c.name for c in CASES] + [r.name for r in RATIOS]:
        assert f"| `{name}` |" in text, name


def test_compare_of_a_run_with_itself_is_one(tiny_run: tuple[dict[str, Any], Path],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    _, out = tiny_run
    run(["--compare", str(out), str(out)])
    printed = capsys.readouterr().out
    assert "insert" in printed and "1.00x" in printed


def _result(case: str, size: int, median: float) -> dict[str, Any]:
    return {"case": case, "size": size, "status": "ok", "median_s": median, "runs_s": [median],
            "min_s": median, "max_s": median}


@pytest.mark.parametrize(("times", "exponent", "shape"), [
    ((0.1, 1.0, 5.0), 1.0, "about linear"),
    ((0.01, 1.0, 25.0), 2.0, "super-linear"),
    ((0.5, 0.5, 0.5), 0.0, "flat (independent of size)"),
], ids=["linear", "quadratic", "constant"])
def test_growth_exponent_is_the_log_log_slope(times: tuple[float, float, float], exponent: float,
                                               shape: str) -> None:
    results = [_result("x", size, t) for size, t in zip((1_000, 10_000, 50_000), times, strict=True)]
    [row] = growth(results)
    assert row["exponent"] == pytest.approx(exponent, abs=0.01)
    assert row["shape"] == shape
    assert row["size_ratio"] == 50


@pytest.mark.parametrize(("cpu", "exponent"), [
    ((0.1, 1.0, 5.0), 1.0),
    ((0.1, None, 5.0), None),
], ids=["every-size-has-cpu", "a-size-without-cpu"])
def test_growth_also_gives_the_cpu_slope_when_every_size_has_a_cpu_time(cpu: tuple[float | None, ...],
                                                                        exponent: float | None) -> None:
    """Wall times of a loaded machine bend the slope; the CPU slope is shown beside it."""
    results = [{**_result("x", size, t), "cpu_median_s": c}
               for size, t, c in zip((1_000, 10_000, 50_000), (0.1, 2.0, 25.0), cpu, strict=True)]
    [row] = growth(results)
    assert row["cpu_exponent"] == (None if exponent is None else pytest.approx(exponent, abs=0.01))
    assert row["exponent"] > 1.25


def test_markdown_summary_lists_every_target_with_its_result(tiny_run: tuple[dict[str, Any], Path]) -> None:
    doc, _ = tiny_run
    table = markdown(doc).split("Every target")[1]
    for target in doc["targets"]:
        assert f"| {target['label']} | {target['at_size']:,} | {target['target']} |" in table
        assert f"| {target['result']} |" in table


@pytest.mark.parametrize(("median", "verdict"), [(0.4, "pass"), (0.5, "MISS"), (0.9, "MISS")],
                         ids=["under", "equal-is-a-miss", "over"])
def test_time_target_is_checked_at_its_size(median: float, verdict: str) -> None:
    case = Case("x", "X", "x", lambda ctx: Prepared(lambda: None), Target(0.5))
    rows = targets([_result("x", 1_000, 0.01), _result("x", 10_000, median)], [], [case], [])
    assert [r["result"] for r in rows] == [verdict]
    assert rows[0]["measured"] == median


def test_ratio_target_accepts_the_limit_itself() -> None:
    ratio = RATIOS[0]
    assert ratio.target is not None
    derived = [{"name": ratio.name, "size": 10_000, "status": "ok", "ratio": 2.0, "cpu_ratio": ratio.target.limit}]
    assert targets([], derived, [], [ratio])[0]["result"] == "pass"


def test_ratio_target_is_judged_on_cpu_time_when_known() -> None:
    ratio = RATIOS[0]
    derived = [{"name": ratio.name, "size": 10_000, "status": "ok", "ratio": 1.2, "cpu_ratio": 1.7}]
    [row] = targets([], derived, [], [ratio])
    assert (row["measured"], row["result"]) == (1.7, "MISS")


def test_a_failing_case_is_reported_not_raised(tmp_path: Path) -> None:
    def broken(ctx: Context) -> Prepared:
        raise ZeroDivisionError("boom")

    def missing(ctx: Context) -> Prepared:
        raise ImportError("No module named 'ropa.nothing'")

    ctx = Context(size=1, n_entities=1, seed=1, workdir=tmp_path)
    settings = Settings(sizes=[1], repeat=1)
    assert measure(Case("b", "B", "b", broken), ctx, settings)["status"] == "error"
    assert measure(Case("m", "M", "m", missing), ctx, settings)["status"] == "not available"


def test_repeats_stop_at_the_time_budget(tmp_path: Path) -> None:
    calls: list[int] = []
    case = Case("s", "S", "s", lambda ctx: Prepared(lambda: calls.append(1)))
    ctx = Context(size=1, n_entities=1, seed=1, workdir=tmp_path)
    result = measure(case, ctx, Settings(sizes=[1], repeat=5, budget_s=0.0))
    assert result["status"] == "ok" and len(result["runs_s"]) == 1
    assert len(calls) == 2  # the warm-up and one timed run


def test_tracemalloc_adds_one_traced_run(tmp_path: Path) -> None:
    calls: list[int] = []
    case = Case("t", "T", "t", lambda ctx: Prepared(lambda: calls.append(1)))
    ctx = Context(size=1, n_entities=1, seed=1, workdir=tmp_path)
    result = measure(case, ctx, Settings(sizes=[1], repeat=2, tracemalloc=True))
    assert len(calls) == 4  # warm-up, two timed runs, one traced
    assert result["traced_peak_mb"] >= 0


def test_compare_lists_cases_missing_from_one_run() -> None:
    base = {"created_utc": "t", "machine": {"cpu": "c", "usable_cores": 1, "logical_cores": 1, "ram_gb": 1,
                                            "python": "3.11", "packages": {}}}
    first = {**base, "results": [_result("a", 10, 1.0)]}
    second = {**base, "results": [_result("a", 10, 0.5), _result("b", 10, 2.0)]}
    text = compare(first, second)
    assert "0.50x" in text and "b " in text
