"""The one fixture file: databases, users and the demo register for every test."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from ropa.auth import User
from ropa.models import Entity
from ropa.storage.database import Database, open_database
from ropa.storage.entities import create_entity
from tests.factories import DPO, EDITOR, VIEWER, make_entity


@pytest.fixture
def db(tmp_path: Path) -> Database:
    """An empty, migrated register in a temporary file."""
    return open_database(tmp_path / "ropa.duckdb")


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
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo register, built once per test session."""
    from ropa.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(open_database(path))
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Database:
    """A private copy of the demo register that a test may change."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_template, path)
    return open_database(path)


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Point the app at a temporary register and export folder (for AppTest)."""
    db_path = tmp_path / "app.duckdb"
    monkeypatch.setenv("ROPA_DB", str(db_path))
    monkeypatch.setenv("ROPA_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("ROPA_AUTH_MODE", "local")
    yield db_path


ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def serve_app(tmp_path: Path, demo_template: Path) -> Callable[..., AbstractContextManager[str]]:
    """Start ``streamlit run app.py`` on a free port over a copy of the demo; stopped whatever happens.

    Call it with extra environment (e.g. ``ROPA_AUTH_MODE="proxy"``); it yields the base URL. The
    server's register is ``tmp_path / db_name``, so a test can change it behind the app's back.
    """

    @contextmanager
    def serve(db_name: str = "register.duckdb", **env: str) -> Iterator[str]:
        port = _free_port()
        db = tmp_path / db_name
        shutil.copy(demo_template, db)
        environment = {**os.environ, "ROPA_DB": str(db), "ROPA_EXPORT_DIR": str(tmp_path / "exports"),
                       "ROPA_AUTH_MODE": "local", "PYTHONPATH": str(ROOT), **env}
        log_path = tmp_path / f"server-{port}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                 "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats",
                 "false", "--server.fileWatcherType", "none"],
                cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
            )
            url = f"http://127.0.0.1:{port}"
            try:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                            if response.status == 200:
                                break
                    except OSError:
                        if process.poll() is not None or time.monotonic() > deadline:
                            raise RuntimeError(log_path.read_text()) from None
                        time.sleep(0.3)
                yield url
            finally:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=15)

    return serve


@pytest.fixture
def soffice_convert(tmp_path: Path) -> Callable[..., list[Path]]:
    """Convert files with LibreOffice (``soffice --headless --convert-to``); skips when it is not installed.

    Returns the converted files, in the order given. Each call uses a private profile, so
    parallel runs never share LibreOffice's user folder.
    """
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; this test needs it")

    def convert(sources: list[Path], target_format: str) -> list[Path]:
        out_dir = tmp_path / f"converted-{target_format.split(':')[0]}"
        profile = tmp_path / "lo-profile"
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
