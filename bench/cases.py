"""What is measured: one case per piece of work a user waits for.

Each ``prepare`` does the untimed set-up (imports, fixtures, the first page
run) and returns the run to time. Imports of the modules under test happen
inside ``prepare`` so a module that is not written yet makes its case "not
available" instead of stopping the benchmark.
"""

from __future__ import annotations

import io
import itertools
import logging
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.runner import REPO, Case, ChildRun, Context, NotAvailable, Prepared, Ratio, Skipped, Target

PAGE_TIMEOUT_S = 600.0


# -- building the register ------------------------------------------------------

def _prepare_generate(ctx: Context) -> Prepared:
    from bench.synthetic import generate_register

    def run() -> None:
        ctx.state["register"] = generate_register(ctx.n_entities, ctx.size, ctx.seed)

    return Prepared(run)


def _prepare_insert(ctx: Context) -> Prepared:
    from bench.synthetic import generate_register, write_register
    from ropa.storage.database import open_database

    if "register" not in ctx.state:
        ctx.state["register"] = generate_register(ctx.n_entities, ctx.size, ctx.seed)
    entities, activities = ctx.state["register"]
    # The process's first write maps DuckDB's and Arrow's code and sets up Arrow's allocator: about 80 MB that
    # stay for the process's life, whatever the size. Done before the clock starts, like importing the modules.
    write_register(open_database(ctx.scratch("warm-up.duckdb")), *generate_register(2, 20, ctx.seed))
    counter = itertools.count()

    def run() -> None:
        # The first run writes the register every later case reads.
        n = next(counter)
        path = ctx.db_path if n == 0 else ctx.scratch(f"insert-{n % 2}.duckdb")
        write_register(open_database(path), entities, activities)

    return Prepared(run, extra={"entities": len(entities), "activities": len(activities)})


# -- analysis -------------------------------------------------------------------

def _prepare_gap_analysis(ctx: Context) -> Prepared:
    from bench.synthetic import DEFAULT_AS_OF
    from ropa.gaps import analyse

    db = ctx.db()
    extra: dict[str, Any] = {}

    def run() -> None:
        extra["findings"] = _count(analyse(db, as_of=DEFAULT_AS_OF))

    return Prepared(run, extra=extra)


def _count(found: Any) -> int | None:
    try:
        return len(found)
    except TypeError:
        return None


def _prepare_dashboard_data(ctx: Context) -> Prepared:
    from bench.synthetic import DEFAULT_AS_OF
    from ropa.dashboard import Filters, load_dashboard

    db = ctx.db()
    filters = Filters(as_of=DEFAULT_AS_OF)
    return Prepared(lambda: _discard(load_dashboard(db, filters)))


def _discard(_: object) -> None:
    return None


def _prepare_figures(ctx: Context) -> Prepared:
    from bench.synthetic import DEFAULT_AS_OF
    from ropa import charts
    from ropa.dashboard import Filters, load_dashboard

    data = load_dashboard(ctx.db(), Filters(as_of=DEFAULT_AS_OF))
    builders: dict[str, Callable[[], object]] = {
        "activities_by_entity": lambda: charts.activities_by_entity(data.by_entity),
        "lawful_bases_by_entity": lambda: charts.lawful_bases_by_entity(data.lawful_bases),
        "review_status_by_entity": lambda: charts.review_status_by_entity(data.review),
        "retention_distribution": lambda: charts.retention_distribution(data.retention),
        "categories_heatmap": lambda: charts.categories_heatmap(data.categories),
        "data_flows_sankey": lambda: charts.data_flows_sankey(data.flows),
        "transfers_map": lambda: charts.transfers_map(data.transfer_countries, DEFAULT_AS_OF),
        "findings_by_rule": lambda: charts.findings_by_rule(data.findings_by_rule),
        "findings_by_entity": lambda: charts.findings_by_entity(data.findings_by_entity),
        "trend": lambda: charts.trend(data.trend, data.findings_now),
    }
    times: dict[str, list[float]] = {name: [] for name in builders}
    extra: dict[str, Any] = {"figures": len(builders), "per_figure_median_s": {}}

    def run() -> None:
        for name, build in builders.items():
            start = time.perf_counter()
            build()
            times[name].append(time.perf_counter() - start)
        # The first call is the warm-up (under tracemalloc): leave it out of the per-figure medians.
        extra["per_figure_median_s"] = {name: round(statistics.median(t[1:] or t), 6) for name, t in times.items()}

    return Prepared(run, extra=extra)


# -- pages (Streamlit's AppTest runs a page script in-process) -------------------

def _quiet_streamlit() -> None:
    """AppTest's bare-mode notice is logged on every page run; it is not a finding."""
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)


def _page(script: str) -> Path:
    _quiet_streamlit()
    path = REPO / "screens" / script
    if not path.exists():
        raise NotAvailable(f"screens/{script} does not exist")
    return path


def _page_error(at: Any) -> str | None:
    if at.exception:
        return "; ".join(str(getattr(e, "message", e)) for e in at.exception)[:300]
    return None


def _prepare_rerun(script: str) -> Any:
    def prepare(ctx: Context) -> Prepared:
        from streamlit.testing.v1 import AppTest

        ctx.db()
        path = _page(script)
        at = AppTest.from_file(str(path), default_timeout=PAGE_TIMEOUT_S)
        start = time.perf_counter()
        at.run()
        first = time.perf_counter() - start
        if (error := _page_error(at)) is not None:
            raise RuntimeError(f"screens/{script} raised: {error}")

        def run() -> None:
            at.run()
            if (rerun_error := _page_error(at)) is not None:
                raise RuntimeError(f"screens/{script} raised on rerun: {rerun_error}")

        return Prepared(run, first_s=first)

    return prepare


_BASELINE_PAGE = 'import streamlit as st\n\nst.title("Baseline")\nst.write("One line of text.")\n'


def _prepare_baseline_page(ctx: Context) -> Prepared:
    """A one-line page opened in a new AppTest session: the harness's own cost in every page figure."""
    from streamlit.testing.v1 import AppTest

    _quiet_streamlit()
    script = ctx.workdir / "baseline_page.py"
    script.write_text(_BASELINE_PAGE, encoding="utf-8")

    def open_one() -> None:
        at = AppTest.from_file(str(script), default_timeout=PAGE_TIMEOUT_S)
        at.run()
        if (error := _page_error(at)) is not None:
            raise RuntimeError(f"the baseline page raised: {error}")

    return Prepared(open_one)


def _prepare_activity_page(ctx: Context) -> Prepared:
    from streamlit.testing.v1 import AppTest

    db = ctx.db()
    path = _page("activity.py")
    # Open different activities, the busiest ones first (most recipients and transfers).
    ids = [int(r[0]) for r in db.rows(
        "SELECT a.id FROM activities a LEFT JOIN transfers t ON t.activity_id = a.id "
        "WHERE a.status <> 'archived' GROUP BY a.id ORDER BY count(t.activity_id) DESC, a.id LIMIT 50")]
    if not ids:
        raise NotAvailable("the register has no activity to open")
    chosen = itertools.cycle(ids)

    def open_one() -> None:
        at = AppTest.from_file(str(path), default_timeout=PAGE_TIMEOUT_S)
        at.query_params["id"] = str(next(chosen))
        at.run()
        if (error := _page_error(at)) is not None:
            raise RuntimeError(f"screens/activity.py raised: {error}")

    start = time.perf_counter()
    open_one()  # imports and caches: the first open in a fresh server
    return Prepared(open_one, first_s=time.perf_counter() - start)


# -- Excel export and import ---------------------------------------------------------

def _export_inputs(ctx: Context) -> tuple[Any, Any]:
    """The collected export data and its sheets, computed once per size for the writer cases."""
    if "export_inputs" not in ctx.state:
        from bench.synthetic import DEFAULT_AS_OF
        from ropa.auth import SYSTEM
        from ropa.export import ExportOptions, collect
        from ropa.export.sheets import build_sheets

        data = collect(ctx.db(), SYSTEM, ExportOptions(as_of=DEFAULT_AS_OF))
        ctx.state["export_inputs"] = (data, build_sheets(data))
    inputs: tuple[Any, Any] = ctx.state["export_inputs"]
    return inputs


def _prepare_export_floor(ctx: Context) -> Prepared:
    from ropa.export.xlsx import sheet_cells, write_floor

    _, sheets = _export_inputs(ctx)
    cells = sheet_cells(sheets)
    path = ctx.scratch("floor.xlsx")
    count = sum(len(row) for rows in cells.values() for row in rows)
    return Prepared(lambda: write_floor(cells, path), extra={"cells": count, "sheets": len(cells)})


def _prepare_export_write(ctx: Context) -> Prepared:
    from ropa.export.xlsx import write_xlsx

    data, sheets = _export_inputs(ctx)
    path = ctx.scratch("written.xlsx")
    return Prepared(lambda: write_xlsx(data, path, sheets))


def _export_file(ctx: Context) -> Path:
    """Write the group export once; the import case reads it back."""
    from bench.synthetic import DEFAULT_AS_OF
    from ropa.export import export_xlsx

    path = ctx.workdir / "export.xlsx"
    export_xlsx(ctx.db(), path, as_of=DEFAULT_AS_OF)
    ctx.state["export_path"] = path
    return path


def _prepare_export(ctx: Context) -> Prepared:
    import ropa.export  # noqa: F401  (imported before the clock starts)

    ctx.db()  # built before the clock starts too, when the insert case did not run (--cases export)
    extra: dict[str, Any] = {}

    def run() -> None:
        extra["bytes"] = _export_file(ctx).stat().st_size

    return Prepared(run, extra=extra)


def _check_round_trip(ctx: Context, plan: Any) -> None:
    """The export read back is the register (untimed): every exported activity's content, its entity by name."""
    import json
    from collections import Counter

    from ropa.storage.activities import load_activities

    def key(activity: Any, entity: str) -> str:
        return json.dumps({**activity.content(), "entity_id": entity}, sort_keys=True, default=str)

    with ctx.db().connect() as con:
        names = dict(con.execute("SELECT id, name FROM entities").fetchall())
        source = Counter(key(a, names[a.entity_id]) for a in load_activities(con) if a.status != "archived")
    planned = {e.placeholder: e.name for e in plan.entities}
    read = Counter(key(a, planned[a.entity_id]) for a in plan.activities)
    if read != source:
        raise RuntimeError(f"the export does not read back as the register: {sum((source - read).values()):,} of "
                           f"{sum(source.values()):,} activities differ")


def _prepare_import(ctx: Context) -> Prepared:
    from ropa.auth import SYSTEM
    from ropa.ingest import ImportRejected, configured_limits, plan_import
    from ropa.ingest import import_file as import_workbook
    from ropa.storage.database import open_database

    source: Path = ctx.state.get("export_path") or _export_file(ctx)
    empty = ctx.scratch("empty.duckdb")
    open_database(empty)
    limits = configured_limits()
    try:
        plan = plan_import(open_database(empty), source.read_bytes(), source.name, limits=limits)
    except ImportRejected as rejected:
        raise Skipped(f"the import refuses the {ctx.size:,}-activity workbook: {rejected}") from None
    if not plan.ok:
        raise RuntimeError(f"the exported workbook does not import cleanly: {plan.summary()}")
    _check_round_trip(ctx, plan)
    counter = itertools.count()
    extra: dict[str, Any] = {"activities": len(plan.activities), "bytes": source.stat().st_size}

    def run() -> None:
        # Each run imports into its own copy of an empty register (copying it takes about a millisecond).
        target = ctx.scratch(f"import-{next(counter) % 2}.duckdb")
        shutil.copy(empty, target)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        _, result = import_workbook(open_database(target), SYSTEM, source, limits=limits)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # The case's CPU time is this process's; the file is read by a child process, whose CPU time is this.
        extra["reader_cpu_s"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 3)
        if result is None or len(result.activity_ids) != len(plan.activities):
            raise RuntimeError("the import did not write every planned activity")

    return Prepared(run, extra=extra)


# -- the dashboard in a real browser ---------------------------------------------------

RETURNING_OPENS = 2
"""Opens by a returning visitor (scripts in the browser cache) measured beside the first-visit runs."""


def _open_summary(name: str, opens: list[Any]) -> dict[str, Any]:
    """Medians of a list of ``bench.browser.Open``: seconds, CPU seconds and each milestone."""
    if not opens:
        return {}
    phases = {phase: statistics.median(o.phases[phase] for o in opens)
              for phase in opens[0].phases if all(phase in o.phases for o in opens)}
    return {f"{name}_s": round(statistics.median(o.seconds for o in opens), 3),
            f"{name}_cpu_s": round(statistics.median(o.cpu_seconds for o in opens), 3),
            f"{name}_page_cpu_s": round(statistics.median(o.page_cpu_seconds for o in opens), 3),
            f"{name}_server_cpu_s": round(statistics.median(o.server_cpu_seconds for o in opens), 3),
            f"{name}_phases_s": {phase: round(value, 3) for phase, value in phases.items()}}


def _prepare_dashboard_browser(demo: bool) -> Any:
    def prepare(ctx: Context) -> Prepared:
        from bench import browser
        from tests.serving import start_app

        if not browser.CHROMIUM.exists():
            raise NotAvailable(f"needs Chromium at {browser.CHROMIUM}")
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError as missing:
            raise NotAvailable("needs the playwright package") from missing
        if demo:
            path = ctx.workdir / "demo.duckdb"
            if not path.exists():
                from ropa.demo import build_demo
                from ropa.storage.database import open_database

                build_demo(open_database(path))
        else:
            ctx.db()
            path = ctx.db_path
        server = start_app(path, ctx.workdir, repo=REPO)
        try:
            open_once, close_browser = browser.dashboard_timer(server.url, server.process.pid)
            first = open_once(False)  # the server's first run of the page: imports and caches
            returning = [open_once(True) for _ in range(RETURNING_OPENS + 1)][1:]  # the first fills the cache
        except BaseException:
            server.stop()
            raise
        cold: list[browser.Open] = []
        extra: dict[str, Any] = {"charts": browser.CHARTS, "demo": demo, "first_open_phases_s": first.phases,
                                 **_open_summary("returning", returning)}

        def close() -> None:
            close_browser()
            server.stop()
            extra.update(_open_summary("first_visit", cold))

        def run() -> ChildRun:
            opened = open_once(False)
            cold.append(opened)
            return ChildRun(opened.seconds, opened.cpu_seconds, None)

        return Prepared(run, first_s=first.seconds, close=close, extra=extra)

    return prepare


def _prepare_import_floor(ctx: Context) -> Prepared:
    from python_calamine import CalamineWorkbook

    source: Path = ctx.state.get("export_path") or _export_file(ctx)
    data = source.read_bytes()

    def run() -> None:
        # The yardstick of the import: python-calamine reading every cell of every sheet of the same file.
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for index in range(len(workbook.sheet_names)):
            workbook.get_sheet_by_index(index).to_python(skip_empty_area=False)

    return Prepared(run, extra={"bytes": len(data)})


# -- command line (a fresh interpreter each run: what a user at a shell waits for) --

# The child is started by a small intermediate Python, not by the benchmark itself: Linux
# counts the forking parent's memory in a child's peak RSS, which would report the
# benchmark's own size instead of the command's.
_LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
      os.waitstatus_to_exitcode(status))
"""


def _child(args: list[str]) -> ChildRun:
    """Run ``python -m ropa``: wall and CPU time from fork to exit, peak RSS (Linux reports KiB)."""
    done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, sys.executable, "-m", "ropa", *args],
                          cwd=REPO, capture_output=True, text=True, check=False)
    try:
        seconds, cpu, rss_kib, code = done.stdout.split()
    except ValueError:
        raise RuntimeError(f"the launcher failed: {done.stderr.strip()[:300]}") from None
    if int(code) != 0:
        raise RuntimeError(f"python -m ropa {' '.join(args)} exited {code}: {done.stderr.strip()[:300]}")
    return ChildRun(float(seconds), float(cpu), int(rss_kib) * 1024)


def _prepare_cli(*args: str, needs_db: bool) -> Any:
    def prepare(ctx: Context) -> Prepared:
        argv = [a.replace("{out}", str(ctx.workdir / "cli-export.json")) for a in args]
        if needs_db:
            ctx.db()
            argv = ["--db", str(ctx.db_path), *argv]
        return Prepared(lambda: _child(argv))

    return prepare


MEMORY = Target(300, "MB", 50_000)
"""Generating, inserting, exporting or importing 50,000 activities grows memory by 300 MB at most (for a
command, its whole peak: the interpreter's own 11 MB included)."""

CASES: list[Case] = [
    Case("generate", "Synthetic generation", "generate_register: build and validate every record "
         "with ropa.models (pure Python, no database)", _prepare_generate, warm=False, memory_target=MEMORY),
    Case("insert", "Database insert", "write_register: insert the generated entities and activities "
         "with their audit rows into a new register, one transaction", _prepare_insert,
         warm=False, memory_target=MEMORY),
    Case("gap_analysis", "Gap analysis", "ropa.gaps.analyse over the whole register",
         _prepare_gap_analysis, Target(0.5)),
    Case("dashboard_data", "Dashboard data", "ropa.dashboard.load_dashboard: every KPI and chart frame, "
         "including its own gap analysis", _prepare_dashboard_data),
    Case("figures", "Figure builders", "every builder in ropa.charts on the dashboard's frames (total)",
         _prepare_figures, Target(0.5)),
    Case("register_page", "Register page rerun", "screens/register.py rerun (AppTest) after a first run",
         _prepare_rerun("register.py"), Target(1.0), page=True),
    Case("dashboard_page", "Dashboard rerun", "screens/dashboard.py rerun (AppTest) after a first run",
         _prepare_rerun("dashboard.py"), Target(2.0), page=True),
    Case("dashboard_browser", "Dashboard in Chromium", "the dashboard opened in headless Chromium (a new "
         "session and an empty browser cache each run): seconds from navigation to the first paint of the last "
         "chart; the returning visitor's time (scripts cached) and the milestones are in the JSON",
         _prepare_dashboard_browser(demo=False), Target(2.5), memory="child", warm=False, browser=True),
    Case("dashboard_browser_demo", "Dashboard in Chromium (demo)", "the same over the demo register "
         "(measured at every size; the size does not change it)", _prepare_dashboard_browser(demo=True),
         Target(1.5), memory="child", warm=False, browser=True),
    Case("gaps_page", "Gaps page rerun", "screens/gaps.py rerun (AppTest) after a first run",
         _prepare_rerun("gaps.py"), Target(1.5), page=True),
    Case("page_baseline", "AppTest baseline", "a one-line page opened in a new AppTest session: "
         "the test harness's share of every page figure", _prepare_baseline_page, page=True),
    Case("activity_page", "Activity page open", "screens/activity.py opened with ?id= in a new AppTest "
         "session (after one warm open)", _prepare_activity_page, Target(0.3), page=True),
    Case("export_floor", "Export floor", "bare openpyxl write-only mode writing the export's cells "
         "(ropa.export.xlsx.write_floor): the yardstick", _prepare_export_floor, warm=False, max_size=10_000),
    Case("export_write", "Export writer", "ropa.export.xlsx.write_xlsx on already collected data and "
         "laid-out sheets: the writer, with the activity and transfer rows it renders as it writes them",
         _prepare_export_write, warm=False, max_size=10_000),
    Case("export", "Excel export", "ropa.export.export_xlsx for the whole group, end to end: queries, "
         "sheets, styled workbook and its hash (the record only, as a regulator gets it)", _prepare_export,
         warm=False, memory_target=MEMORY),
    Case("import", "Excel import", "ropa.ingest.import_file of that export into an empty register: "
         "read, map, validate, plan and write", _prepare_import, Target(2.0), warm=False, memory_target=MEMORY),
    Case("import_floor", "Import floor", "python-calamine reading every sheet of that export (the import's "
         "yardstick)", _prepare_import_floor, warm=False),
    Case("cli_list", "CLI list (cold)", "python -m ropa list --format json, a new process",
         _prepare_cli("list", "--format", "json", needs_db=True), Target(0.5), memory="child", warm=False),
    Case("cli_show", "CLI show (cold)", "python -m ropa show 1, a new process",
         _prepare_cli("show", "1", needs_db=True), Target(0.5), memory="child", warm=False),
    Case("cli_export_json", "CLI JSON export (cold)", "python -m ropa export --format json, a new process "
         "(the record only; logged)", _prepare_cli("export", "--format", "json", "--out", "{out}", needs_db=True),
         Target(0.5), memory="child", warm=False, memory_target=MEMORY),
    Case("cli_help", "CLI help (cold)", "python -m ropa --help, a new process",
         _prepare_cli("--help", needs_db=False), memory="child", warm=False),
]

RATIOS: list[Ratio] = [
    Ratio("export_vs_floor", "Export (end to end) over its floor", "export", "export_floor",
          Target(1.1, "x floor")),
    Ratio("write_vs_floor", "Export writer over its floor", "export_write", "export_floor",
          Target(1.1, "x floor")),
    Ratio("import_vs_floor", "Excel import over calamine's bare read", "import", "import_floor"),
]
