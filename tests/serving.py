"""Serving ``app.py`` with ``streamlit run`` on a free local port: shared by the browser tests and the benchmarks.

The server gets its own register and export folder through the environment
(the app reads nothing else), listens on 127.0.0.1 only, and is stopped
whatever happens; when it does not come up, its log says why.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class AppServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def start_app(db_path: Path, workdir: Path, env: Mapping[str, str] | None = None, *, repo: Path = REPO,
              timeout: float = 90) -> AppServer:
    """Start the app over ``db_path`` (exports and the log under ``workdir``); returns once it answers healthy.

    ``env`` adds to (or overrides) the environment, e.g. ``{"ROPA_AUTH_MODE": "proxy"}``.
    """
    port = free_port()
    environment = {**os.environ, "ROPA_DB": str(db_path), "ROPA_EXPORT_DIR": str(workdir / "exports"),
                   "ROPA_AUTH_MODE": "local", "PYTHONPATH": str(repo), **(env or {})}
    log_path = workdir / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
             str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=repo, env=environment, stdout=log, stderr=subprocess.STDOUT,
        )
    server = AppServer(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + timeout
    while not _healthy(server.url):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"the app did not start:\n{log_path.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)
    return server


@contextmanager
def served_app(db_path: Path, workdir: Path, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """The app's base URL while the ``with`` block runs; the server is stopped after it, whatever happens."""
    server = start_app(db_path, workdir, env)
    try:
        yield server.url
    finally:
        server.stop()
