"""The timing harness: run each case at each size and collect comparable figures.

A case is prepared once per size (imports, a first page run, fixtures), then
run once as a warm-up and ``repeat`` times timed. Memory is the rise of the
resident set during the timed runs (it sees DuckDB's native memory and
costs nothing); ``--tracemalloc`` adds one run under tracemalloc for the
peak of Python allocations, which slows allocation-heavy code several
times and so never overlaps a timed run. A case whose module or page is
missing is reported "not available"; any other failure is reported as an
error and the run goes on.
"""

from __future__ import annotations

import ctypes
import gc
import os
import shutil
import statistics
import tempfile
import time
import traceback
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ropa.storage.database import Database, open_database

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


class NotAvailable(Exception):
    """The module or page a case exercises does not exist (yet)."""


class Skipped(Exception):
    """The case does not apply at this size (e.g. beyond a limit the product enforces)."""


@dataclass(frozen=True)
class Target:
    """What the product promises for a case at ``at_size`` activities."""

    limit: float
    unit: Literal["s", "x floor", "MB"] = "s"
    at_size: int = 10_000

    def describe(self) -> str:
        if self.unit == "MB":
            return f"<= {self.limit:g} MB at {self.at_size:,}"
        return f"< {self.limit:g} s" if self.unit == "s" else f"<= {self.limit:g}x floor"


@dataclass
class Context:
    """What one size's cases share: the benchmark register and scratch space."""

    size: int
    n_entities: int
    seed: int
    workdir: Path
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        return self.workdir / "bench.duckdb"

    def db(self) -> Database:
        """The benchmark register, built here if the insert case did not run (``--cases`` filter)."""
        if not self.db_path.exists():
            from bench.synthetic import build_synthetic

            build_synthetic(open_database(self.db_path), self.n_entities, self.size, self.seed)
        return open_database(self.db_path)

    def scratch(self, name: str) -> Path:
        """A fresh path under the work directory, removed first if a previous run left it."""
        path = self.workdir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        return path


@dataclass(frozen=True)
class ChildRun:
    """A run in another process, timed and measured by that process's own parent."""

    seconds: float
    cpu_seconds: float
    peak_rss_bytes: int | None


@dataclass
class Prepared:
    """A ready-to-time run; a run in a child process returns its own ``ChildRun`` figures."""

    run: Callable[[], ChildRun | None]
    first_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    close: Callable[[], None] | None = None
    """Called once the case is measured (a server or a browser to stop)."""


@dataclass(frozen=True)
class Case:
    name: str
    label: str
    measures: str
    prepare: Callable[[Context], Prepared]
    target: Target | None = None
    memory: Literal["process", "child"] = "process"
    warm: bool = True
    page: bool = False
    """The case runs a Streamlit page in AppTest (profiled in the script thread)."""
    max_size: int | None = None
    """Above this size the case is skipped unless ``--full``: diagnostics too slow to repeat at every size."""
    memory_target: Target | None = None
    """The most its memory (rss growth, or the child's peak) may reach, in MB."""
    browser: bool = False
    """The case drives Chromium."""


@dataclass(frozen=True)
class Ratio:
    """A figure derived from two cases at the same size, e.g. export time over its floor."""

    name: str
    label: str
    numerator: str
    denominator: str
    target: Target | None = None


@dataclass
class Settings:
    sizes: list[int]
    repeat: int = 5
    n_entities: int = 50
    seed: int = 7
    budget_s: float = 30.0
    cases: list[str] | None = None
    profile: list[str] = field(default_factory=list)
    profile_dir: Path | None = None
    tracemalloc: bool = False
    full: bool = False
    browser: bool = True
    """Run the Chromium cases (a smoke run leaves them out: a server and a browser per size)."""


def _peak_traced(run: Callable[[], ChildRun | None]) -> int:
    """Run once under tracemalloc and return the peak of Python allocations in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _rss_kib() -> dict[str, int]:
    text = _STATUS.read_text(encoding="ascii")
    return {key: int(line.split()[1]) for line in text.splitlines()
            for key in ("VmRSS", "VmHWM") if line.startswith(key + ":")}


def _release_free_memory() -> None:
    """Hand freed heap back to the system (glibc), so the next run's RSS rise is not hidden by reuse."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _reset_peak_rss() -> int | None:
    """Reset the kernel's high-water mark of this process (Linux) and return the current RSS in KiB."""
    _release_free_memory()
    try:
        _CLEAR_REFS.write_text("5", encoding="ascii")
        return _rss_kib()["VmRSS"]
    except (OSError, KeyError):
        return None


def _rss_growth(base_kib: int | None) -> int | None:
    """How far the resident set rose above ``base_kib`` during the run, in bytes."""
    if base_kib is None:
        return None
    try:
        return max(0, _rss_kib()["VmHWM"] - base_kib) * 1024
    except (OSError, KeyError):
        return None


@dataclass(frozen=True)
class _Sample:
    seconds: float
    cpu_seconds: float
    child_rss: int | None
    rss_growth: int | None


def _timed(run: Callable[[], ChildRun | None]) -> _Sample:
    """One run: wall and CPU time, and a child's peak RSS or this process's RSS growth.

    CPU time (this process, all threads) tells a slow run on a busy machine
    from slow code: on an idle machine a single-threaded run's wall time is
    about its CPU time.
    """
    gc.collect()
    base = _reset_peak_rss()
    start, cpu_start = time.perf_counter(), time.process_time()
    child = run()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    growth = _rss_growth(base)
    if child is not None:
        return _Sample(child.seconds, child.cpu_seconds, child.peak_rss_bytes, None)
    return _Sample(seconds, cpu, None, growth)


@contextmanager
def _profiling_script_threads(profiler: Any) -> Iterator[None]:
    """Run pyinstrument inside Streamlit's script thread, where a page's work happens.

    AppTest runs the page in its own thread while the caller's thread waits,
    so a profile of the caller shows only the wait.
    """
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    original = ScriptRunner._run_script

    def profiled(self: ScriptRunner, rerun_data: Any) -> None:
        profiler.start()
        try:
            original(self, rerun_data)
        finally:
            profiler.stop()

    ScriptRunner._run_script = profiled  # type: ignore[method-assign]
    try:
        yield
    finally:
        ScriptRunner._run_script = original  # type: ignore[method-assign]


def _profile(case: Case, prepared: Prepared, ctx: Context, out_dir: Path) -> Path:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    if case.page:
        with _profiling_script_threads(profiler):
            prepared.run()
    else:
        profiler.start()
        try:
            prepared.run()
        finally:
            profiler.stop()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"profile-{case.name}-{ctx.size}.txt"
    path.write_text(profiler.output_text(show_all=False), encoding="utf-8")
    return path


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def measure(case: Case, ctx: Context, settings: Settings) -> dict[str, Any]:
    """Prepare, warm up, then time up to ``repeat`` runs while within the time budget.

    Memory of an in-process case is the largest rise of this process's
    resident set over its size before a timed run; of a child process, its
    peak RSS. With ``settings.tracemalloc`` one more run measures the peak of
    Python allocations.
    """
    result: dict[str, Any] = {"case": case.name, "size": ctx.size,
                              "memory": "rss growth" if case.memory == "process" else "child max rss"}
    try:
        if case.max_size is not None and ctx.size > case.max_size and not settings.full:
            raise Skipped(f"measured up to {case.max_size:,} activities to keep the run short; --full runs it")
        if case.browser and not settings.browser:
            raise Skipped("browser cases are left out of a --tiny run")
        prepared = case.prepare(ctx)
        try:
            started = time.perf_counter()
            if case.warm:
                _timed(prepared.run)
            runs: list[float] = []
            cpu: list[float] = []
            peak: int | None = None
            while len(runs) < settings.repeat:
                sample = _timed(prepared.run)
                runs.append(sample.seconds)
                cpu.append(sample.cpu_seconds)
                peak = _max(peak, sample.child_rss if case.memory == "child" else sample.rss_growth)
                if time.perf_counter() - started + statistics.median(runs) > settings.budget_s:
                    break
            if settings.tracemalloc and case.memory == "process":
                result["traced_peak_mb"] = round(_peak_traced(prepared.run) / MB, 1)
            if case.name in settings.profile and settings.profile_dir is not None:
                try:
                    result["profile"] = str(_profile(case, prepared, ctx, settings.profile_dir))
                except OSError as error:
                    result["profile"] = f"not written: {_one_line(error)}"
        finally:
            if prepared.close is not None:
                prepared.close()
    except (ImportError, NotAvailable, FileNotFoundError) as missing:
        result.update(status="not available", reason=_one_line(missing))
        return result
    except Skipped as skipped:
        result.update(status="skipped", reason=str(skipped)[:300])
        return result
    except Exception as error:  # a broken case must not stop the other measurements
        result.update(status="error", reason=_one_line(error), traceback=traceback.format_exc(limit=8))
        return result
    result.update(
        status="ok",
        runs_s=[round(r, 6) for r in runs],
        median_s=round(statistics.median(runs), 6),
        min_s=round(min(runs), 6),
        max_s=round(max(runs), 6),
        cpu_median_s=round(statistics.median(cpu), 6),
        first_s=None if prepared.first_s is None else round(prepared.first_s, 6),
        peak_mb=None if peak is None else round(peak / MB, 1),
        extra=prepared.extra,
    )
    return result


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the app's pages and restore them afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_all(cases: list[Case], settings: Settings,
            progress: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Every selected case at every size, smallest size first."""
    selected = [c for c in cases if settings.cases is None or c.name in settings.cases]
    results: list[dict[str, Any]] = []
    for size in settings.sizes:
        with tempfile.TemporaryDirectory(prefix=f"ropa-bench-{size}-") as tmp:
            workdir = Path(tmp)
            ctx = Context(size=size, n_entities=settings.n_entities, seed=settings.seed, workdir=workdir)
            env = {"ROPA_DB": str(ctx.db_path), "ROPA_EXPORT_DIR": str(workdir / "exports"),
                   "ROPA_AUTH_MODE": "local"}
            with environment(env):
                for case in selected:
                    started = time.perf_counter()
                    result = measure(case, ctx, settings)
                    results.append(result)
                    progress(f"  {size:>7,} {case.name:<18} {result['status']:<14}"
                             f"{_brief(result)} ({time.perf_counter() - started:.1f} s)")
                ctx.state.clear()
                gc.collect()
    return results


def _brief(result: dict[str, Any]) -> str:
    if result["status"] == "ok":
        return f"median {result['median_s']:.3f} s over {len(result['runs_s'])} runs"
    return str(result.get("reason", ""))
