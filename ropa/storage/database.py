"""The one owner of the DuckDB file.

DuckDB lets a single process hold a database file open for writing. So that
the CLI (or a second app worker) can work while ``streamlit run`` is up, no
connection outlives one unit of work: ``connect()`` opens the file, the work
runs, the file is closed. A process that finds the file locked waits and
retries with back-off up to ``busy_timeout`` seconds, then gives a clear
error. Inside one process DuckDB shares a single instance among threads, so
concurrent Streamlit sessions do not lock each other out.

Every failure of the file itself, on open or inside any unit of work, leaves
here as one typed error with a one-line message (``ropa.errors``):
``RegisterBusy`` (held past the timeout), ``RegisterUnavailable`` (read-only,
damaged or truncated, disk full, I/O) or ``WriteRefused`` (a constraint). Only
a real write-write conflict stays DuckDB's ``TransactionException``, for the
version check of the caller to report as "someone changed this record".
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ropa.config import load_config
from ropa.errors import RegisterBusy, RegisterUnavailable, WriteRefused
from ropa.storage.migrations import MIGRATIONS

if TYPE_CHECKING:
    import pandas as pd

Connection = duckdb.DuckDBPyConnection


def default_db_path() -> Path:
    return load_config().db_path


def utcnow() -> datetime:
    """Naive UTC timestamp: DuckDB TIMESTAMP has no zone, and every stored time is UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def _is_lock_error(error: Exception) -> bool:
    text = str(error).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


_DISK_FULL = ("no space left", "file too large", "disk quota", "not enough space")
_READ_ONLY = ("permission denied", "operation not permitted", "read-only file system", "read only")
_DAMAGED = ("not a valid duckdb database", "could not read enough bytes", "corrupt", "checksum",
            "serializ", "invalid database", "incompatible", "database has been invalidated")


DIRECT_COMMIT = "1MB"
"""A commit larger than this goes straight into the register file (a checkpoint) instead of the write-ahead log.

No unit of work outlives its connection, and closing the file checkpoints the
log into it anyway. So a big write (an import, a restore) spent its commit
writing and syncing a log (31 MB at 10,000 imported activities) only for the
close to read it back into the file: 0.30 s of CPU against 0.19 s straight in.
The commit still returns only once the change is on disk; edits of one record
stay far below the size and keep the log.
"""

_MEMORY = re.compile(r"\d+(?:\.\d+)?\s*[KMGT]i?B")
"""A memory size as DuckDB's ``memory_limit`` takes it (``128MB``, ``1.5GiB``)."""


def is_write_conflict(error: BaseException) -> bool:
    """A real write-write conflict (another transaction changed the same rows), never a failed write."""
    text = str(error).lower()
    return (isinstance(error, duckdb.TransactionException) and "conflict" in text
            and not any(marker in text for marker in (*_DISK_FULL, "could not write", "i/o", "io error")))


def _one_line(error: BaseException) -> str:
    """DuckDB's message without its error-class prefixes, on one line, short enough to read."""
    text = " ".join(str(error).split())
    text = re.sub(r"^(?:[A-Za-z]+(?: [A-Za-z]+)? Error: |Failed to commit: )+", "", text).rstrip(".!")
    return text if len(text) <= 240 else text[:237] + "..."


def storage_error(path: Path, error: BaseException) -> BaseException:
    """The typed error for a failure of the register file; ``error`` itself when it is not one.

    Programming errors (a wrong column, bad SQL) and real write conflicts pass
    through unchanged, so a bug still shows as a bug and a conflict as a conflict.
    """
    if isinstance(error, OSError):
        reason = error.strerror or str(error)
        if isinstance(error, PermissionError) or error.errno in (1, 13, 30):
            return RegisterUnavailable(f"The register {path} cannot be written: the file or its folder is "
                                       f"read-only for this program ({reason}).")
        return RegisterUnavailable(f"The register {path} could not be read or written: {reason}.")
    if not isinstance(error, duckdb.Error) or is_write_conflict(error):
        return error
    if "transaction is aborted" in str(error).lower() and isinstance(error.__context__, duckdb.Error | OSError):
        # Clean-up code (``finally: con.unregister(...)``) ran into the aborted transaction: tell the first error.
        return storage_error(path, error.__context__)
    text, detail = str(error).lower(), _one_line(error)
    if isinstance(error, duckdb.ConstraintException):
        return WriteRefused(f"The register refused the change, so nothing was saved: {detail}")
    if any(marker in text for marker in _DISK_FULL):
        return RegisterUnavailable(f"The register {path} could not be written, so nothing was saved: "
                                   f"the disk is full ({detail}).")
    if any(marker in text for marker in _READ_ONLY):
        return RegisterUnavailable(f"The register {path} cannot be written: the file or its folder is "
                                   f"read-only for this program ({detail}).")
    if any(marker in text for marker in _DAMAGED):
        return RegisterUnavailable(f"The register {path} is damaged or is not a register file (truncated or "
                                   f"corrupt): {detail}. Restore it from a backup.")
    if isinstance(error, duckdb.IOException | duckdb.TransactionException | duckdb.FatalException
                  | duckdb.InternalException):
        return RegisterUnavailable(f"The register {path} could not be read or written: {detail}")
    return error


class _SharedFile:
    """The process's one open handle on a file, shared by the threads using it right now.

    Opening the same file from two threads at once races inside DuckDB, so
    the first user opens it, later ones take a cursor of the same instance,
    and the last one out closes it, releasing the file for other processes.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.base: Connection | None = None
        self.users = 0


_SHARED: dict[str, _SharedFile] = {}
_SHARED_LOCK = threading.Lock()


def _shared(path: Path) -> _SharedFile:
    key = str(path.resolve())
    with _SHARED_LOCK:
        return _SHARED.setdefault(key, _SharedFile())


class Database:
    """A register stored in one DuckDB file; every query and write goes through it."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 20.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"

    def _open(self) -> Connection:
        """Open the file, retrying while another process holds it."""
        deadline = time.monotonic() + self.busy_timeout
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(self.path))
                try:
                    con.execute(f"SET checkpoint_threshold = '{DIRECT_COMMIT}'")
                except duckdb.Error:
                    con.close()  # not left holding the file
                    raise
                return con
            except duckdb.Error as error:
                if not _is_lock_error(error):
                    failure = storage_error(self.path, error)
                    if failure is error:
                        failure = RegisterUnavailable(f"The register {self.path} cannot be opened: "
                                                      f"{_one_line(error)}")
                    raise failure from error
                if time.monotonic() >= deadline:
                    raise RegisterBusy(
                        f"The register {self.path} is in use by another program; "
                        f"waited {self.busy_timeout:.0f} s. Try again in a moment."
                    ) from None
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.5)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A short-lived connection of its own (a cursor), released when the work is done.

        A failure of the file inside the work leaves as ``storage_error`` says.
        """
        shared = _shared(self.path)
        with shared.lock:
            if shared.base is None:
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    raise storage_error(self.path, error) from error
                shared.base = self._open()
            shared.users += 1
            try:
                con = shared.base.cursor()
            except duckdb.Error as error:
                shared.users -= 1
                if shared.users == 0:
                    shared.base.close()
                    shared.base = None
                raise storage_error(self.path, error) from error
        try:
            yield con
        except duckdb.Error as error:  # not OSError: the work may write other files, whose failures are theirs
            failure = storage_error(self.path, error)
            if failure is error:
                raise
            raise failure from error
        finally:
            con.close()
            with shared.lock:
                shared.users -= 1
                if shared.users == 0 and shared.base is not None:
                    shared.base.close()
                    shared.base = None

    @contextmanager
    def kept_open(self) -> Iterator[None]:
        """Hold the file open across several units of work, such as the reads of one page run.

        Opening the file starts a DuckDB instance (about 25 ms), so a page making
        five reads spent more time opening than reading. Inside this block each
        ``connect()`` takes a cursor of the instance already open. Other processes
        wait for the block to end as they wait for any unit of work, so use it
        only around short reads, never around an export or an import.
        """
        with self.connect():
            yield

    @contextmanager
    def transaction(self, *, memory_limit: str | None = None) -> Iterator[Connection]:
        """One atomic unit of work: all of it is written, or none of it.

        ``memory_limit`` (such as ``"128MB"``) caps DuckDB's memory from the start
        of the work through its commit, for a bulk write: DuckDB then keeps the
        uncommitted rows in a temporary file beside the register instead of in
        memory (an insert of 50,000 activities grew the process by 370 MB
        without it, 155 MB with 128 MB). The cap is the instance's, so other
        work of this process shares it meanwhile; it is reset afterwards.
        """
        if memory_limit is not None and not _MEMORY.fullmatch(memory_limit):
            raise ValueError(f"not a memory size: {memory_limit!r}")
        with self.connect() as con:
            if memory_limit is not None:
                con.execute(f"SET memory_limit = '{memory_limit}'")
            try:
                con.execute("BEGIN TRANSACTION")
                try:
                    yield con
                except BaseException:
                    # A failed statement may have ended the transaction already; the first error is the one to tell.
                    with suppress(duckdb.Error):
                        con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            finally:
                if memory_limit is not None:
                    with suppress(duckdb.Error):
                        con.execute("RESET memory_limit")

    def frame(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        """Query results as a DataFrame (pandas is loaded only when a frame is asked for)."""
        with self.connect() as con:
            return con.execute(sql, params or []).df()

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with self.connect() as con:
            return con.execute(sql, params or []).fetchall()

    # -- schema ------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply pending migrations; returns the names applied."""
        applied: list[str] = []
        with self.transaction() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
            )
            done = {row[0] for row in con.execute("SELECT name FROM schema_migrations").fetchall()}
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                con.execute(sql)
                con.execute("INSERT INTO schema_migrations VALUES (?, ?)", [name, utcnow()])
                applied.append(name)
        return applied

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT name FROM schema_migrations ORDER BY name")]


def open_database(path: str | os.PathLike[str] | None = None, *, busy_timeout: float = 20.0) -> Database:
    """A migrated database at ``path`` (default: ``ROPA_DB`` or ``data/ropa.duckdb``)."""
    db = Database(path or default_db_path(), busy_timeout=busy_timeout)
    db.migrate()
    return db
