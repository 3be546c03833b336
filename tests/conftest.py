"""The one fixture file: databases, users and the demo register for every test."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ropa.auth import User
from ropa.models import Entity
from ropa.storage.database import Connection, Database, open_database
from ropa.storage.entities import create_entity
from tests import properties  # noqa: F401  (loads the Hypothesis profile before any test module is read)
from tests.factories import DPO, EDITOR, VIEWER, Seeded, make_entity
from tests.registers import HELD, copy_register
from tests.serving import served_app


@pytest.fixture(scope="session", autouse=True)
def _installed_components_scanned_once() -> Iterator[None]:
    """Every new ``AppTest`` scans all installed packages for Streamlit components (about 0.1 s of CPU, 0.3 s
    on a loaded machine, per test); the installed packages do not change during a run, so scan once."""
    from streamlit.components.v2 import manifest_scanner

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_scanner, "scan_component_manifests", cache(manifest_scanner.scan_component_manifests))
        yield


@pytest.fixture(scope="session", autouse=True)
def _page_scripts_compiled_once() -> Iterator[None]:
    """``AppTest`` gives every run a new script cache, so each run parsed, rewrote (Streamlit's "magic") and
    compiled its page again, about a tenth of a page test's CPU; a served app keeps one cache for the process.
    Share one the same way, keyed on the file's size and modification time so an edited script is compiled anew."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    compiled: dict[tuple[str, int, int], Any] = {}
    compile_script = ScriptCache.get_bytecode

    def get_bytecode(self: ScriptCache, script_path: str) -> Any:
        stat = os.stat(script_path)
        key = (os.path.abspath(script_path), stat.st_mtime_ns, stat.st_size)
        if key not in compiled:
            compiled[key] = compile_script(self, script_path)
        return compiled[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ScriptCache, "get_bytecode", get_bytecode)
        yield


def copy_of(template: Path, path: Path) -> Database:
    """A private register at ``path``, copied from a session's template (a third of the cost of migrating anew).

    The template is migrated, so the copy is opened without the migration check: that check would start a DuckDB
    instance of its own (about 12 ms of CPU) before the test's first unit of work starts another."""
    copy_register(template, path)
    return Database(path)


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty register with every migration applied, made once per test session."""
    path = tmp_path_factory.mktemp("empty") / "ropa.duckdb"
    open_database(path)
    return path


@pytest.fixture
def db(empty_template: Path, tmp_path: Path) -> Database:
    """An empty, migrated register in a temporary file."""
    return copy_of(empty_template, tmp_path / "ropa.duckdb")


@pytest.fixture(scope="session")
def seeded(empty_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """``seeded(build, path)``: a copy at ``path`` of the register ``build`` writes into an empty one, and what
    ``build`` returned (the ids). Each build runs once per session: a page test's few records cost a
    transaction each, a copy costs one file. ``build`` must not depend on anything but the empty register.

    The template is held open while ``build`` writes it (each unit of work would otherwise start and close a DuckDB
    instance of its own, more than its writes cost) and closed before the first copy, so every copy is whole."""
    built: dict[Callable[[Database], Any], tuple[Path, Any]] = {}

    def copy(build: Callable[[Database], Any], path: Path) -> Any:
        if build not in built:
            template = tmp_path_factory.mktemp("seeded") / "register.duckdb"
            register = copy_of(empty_template, template)
            with register.kept_open():
                built[build] = (template, build(register))
        template, made = built[build]
        copy_register(template, path)
        return made

    return copy


@pytest.fixture
def dpo() -> User:
    return DPO


@pytest.fixture
def editor() -> User:
    return EDITOR


@pytest.fixture
def viewer() -> User:
    return VIEWER


@pytest.fixture
def entity(db: Database) -> Entity:
    return create_entity(db, DPO, make_entity())


@pytest.fixture(scope="session")
def demo_template(empty_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo register, built once per test session into a copy of the empty one (not migrated anew)."""
    from ropa.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(copy_of(empty_template, path))
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Database:
    """A private copy of the demo register that a test may change."""
    return copy_of(demo_template, tmp_path / "demo.duckdb")


def _point_the_app_at(monkeypatch: pytest.MonkeyPatch, folder: Path, template: Path) -> Path:
    """A copy of ``template`` in ``folder`` as the app's register, with the export folder beside it."""
    db_path = folder / "app.duckdb"
    copy_register(template, db_path)
    monkeypatch.setenv("ROPA_DB", str(db_path))
    monkeypatch.setenv("ROPA_EXPORT_DIR", str(folder / "exports"))
    monkeypatch.setenv("ROPA_AUTH_MODE", "local")
    return db_path


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, empty_template: Path) -> Iterator[Path]:
    """Point the app at a temporary register (empty, migrated; copy the demo over it to start from the demo)
    and a temporary export folder (for AppTest)."""
    yield _point_the_app_at(monkeypatch, tmp_path, empty_template)


@pytest.fixture(scope="module")
def demo_app_env(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``app_env`` over a copy of the demo, once per module: for a module whose tests only read what one run of a
    page drew (each AppTest run costs a second or two), so the first run can be shared."""
    with pytest.MonkeyPatch.context() as patch:
        yield _point_the_app_at(patch, tmp_path_factory.mktemp("app"), demo_template)


@pytest.fixture
def serve_app(tmp_path: Path, demo_template: Path) -> Callable[..., AbstractContextManager[str]]:
    """Start ``streamlit run app.py`` on a free port over a copy of the demo; stopped whatever happens.

    Call it with extra environment (e.g. ``ROPA_AUTH_MODE="proxy"``); it yields the base URL. The
    server's register is ``tmp_path / db_name``, so a test can change it behind the app's back.
    """

    def serve(db_name: str = "register.duckdb", **env: str) -> AbstractContextManager[str]:
        db = tmp_path / db_name
        shutil.copy(demo_template, db)
        return served_app(db, tmp_path, env)

    return serve


@pytest.fixture(scope="module")
def demo_server(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One server over a copy of the demo for the tests of a module that only read it: its base URL and its
    register (so a test can show it left the register as it was).

    Starting ``streamlit run`` costs seconds; a test that writes, or needs other settings, uses ``serve_app``.
    """
    workdir = tmp_path_factory.mktemp("app")
    shutil.copy(demo_template, workdir / "register.duckdb")
    with served_app(workdir / "register.duckdb", workdir) as url:
        yield url, workdir / "register.duckdb"


@pytest.fixture(scope="module")
def demo_app(demo_server: tuple[str, Path]) -> str:
    """The base URL of the module's read-only demo server (``demo_server``)."""
    return demo_server[0]


@pytest.fixture(scope="session")
def soffice_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """LibreOffice's user folder for this test process: made on the first conversion (seconds), then reused.

    Each pytest-xdist worker has its own, so parallel runs never share one.
    """
    return tmp_path_factory.mktemp("lo-profile")


@pytest.fixture
def soffice_convert(tmp_path: Path, soffice_profile: Path) -> Callable[..., list[Path]]:
    """Convert files with LibreOffice (``soffice --headless --convert-to``); skips when it is not installed.

    Returns the converted files, in the order given; pass several files to convert them in one start.
    """
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; this test needs it")

    def convert(sources: list[Path], target_format: str) -> list[Path]:
        out_dir = tmp_path / f"converted-{target_format.split(':')[0]}"
        profile = soffice_profile
        done = subprocess.run(
            [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", target_format,
             "--outdir", str(out_dir), *map(str, sources)],
            capture_output=True, text=True, timeout=300, check=False,
        )
        assert done.returncode == 0, done.stderr
        converted = [out_dir / f"{s.stem}.{target_format.split(':')[0]}" for s in sources]
        assert all(p.is_file() for p in converted), f"{done.stdout}\n{done.stderr}"
        return converted

    return convert



@pytest.fixture(autouse=True)
def _registers_kept_open(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Under ``@pytest.mark.keep_registers_open``, each register in the test's own folder stays open from its first
    unit of work to the end of the test (``keep_registers_open(False)`` on a test turns it off again).

    Opening a register starts a DuckDB instance (about 25 ms of CPU, closing it as much again), more than most
    reads and writes of a small test register; held open, every later unit of work takes a cursor of it, as the
    threads of one app process do. For modules whose tests do not depend on the file being released (no other
    process, no copy of the file but ``copy_register``'s, no damage to it). Session templates are never held,
    so copies of them stay whole.
    """
    marker = request.node.get_closest_marker("keep_registers_open")
    if marker is None or not (marker.args[0] if marker.args else True):
        yield
        return
    original = Database.connect
    folder = request.getfixturevalue("tmp_path").resolve()

    def connect(self: Database) -> AbstractContextManager[Connection]:
        path = self.path.resolve()
        if path not in HELD and path.is_relative_to(folder):
            HELD[path] = ExitStack()
            HELD[path].enter_context(original(self))
        return original(self)

    monkeypatch.setattr(Database, "connect", connect)
    try:
        yield
    finally:
        monkeypatch.undo()
        while HELD:
            HELD.popitem()[1].close()
