"""The store: one SQLAlchemy engine and the transactions the services run in.

SQLite (the embedded default) runs in WAL mode with foreign keys on; SQLAlchemy emits the
``BEGIN`` itself so reads see one snapshot and write transactions take the write lock up
front (``BEGIN IMMEDIATE``) instead of failing when two writers meet. PostgreSQL goes through
``postgresql+psycopg://`` with the same statements.

WAL checkpoints on SQLite happen beside the requests, not in them. By default SQLite copies
the WAL back into the database file inside the COMMIT that takes the WAL past 1000 pages, so
the request that commits a large capture waits for that copy (most of the time of a
10,000-event insert). Here a connection checkpoints by itself only as a backstop, once the WAL
holds 64 MiB of pages (``wal_autocheckpoint``), so the WAL stays bounded even when the
background checkpoint cannot run. Instead, after a write transaction of :meth:`Store.begin`
commits, the store looks at the size of the ``-wal`` file (one ``os.stat``) and, past 4 MiB,
hands a ``PRAGMA wal_checkpoint(PASSIVE)`` to a daemon thread named ``shoptrace-checkpoint``:
at most one per store, started on demand, gone once no checkpoint is wanted, on a connection
of its own opened and closed for each checkpoint (Python's sqlite3 lets go of the GIL while
SQLite copies). PASSIVE never waits for readers or writers, so workers sharing the file in
other processes are not held up; frames a reader still needs are copied by a later one. The
WAL file keeps its size after a checkpoint and is reused from the start;
``journal_size_limit`` (4 MiB) cuts it back at the first commit after that restart, which
keeps its size a measure of what was written since. A failed checkpoint is logged and never
reaches the request. :meth:`Store.dispose` interrupts a checkpoint under way and joins the
thread; a worker forked from a process whose thread was running starts its own.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

__all__ = ["Store", "open_store", "sqlite_url"]

log = logging.getLogger(__name__)

_WRITE = "shoptrace_write"

# A background checkpoint is wanted once the WAL file is past this many bytes: SQLite's own
# default threshold (1000 pages of 4 KiB). journal_size_limit is the same, so that the file
# is cut back to it after a checkpoint and its size only grows past it with new frames.
CHECKPOINT_AFTER_BYTES = 4 * 1024 * 1024
# The backstop: a connection still checkpoints inside COMMIT once the WAL holds this much, so
# the WAL stays bounded if the background checkpoint never runs. 64 MiB is 16 times SQLite's
# default, over four 10,000-event captures (about 14 MiB each) between two checkpoints, and
# still a WAL whose index readers search quickly and a disk cost nobody notices.
BACKSTOP_BYTES = 64 * 1024 * 1024
CHECKPOINT_THREAD = "shoptrace-checkpoint"
PAGE_SIZE = 16384
"""Page size of new SQLite databases."""


class _Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` on one SQLite file in a thread of its own."""

    def __init__(self, database: str, threshold: int = CHECKPOINT_AFTER_BYTES) -> None:
        self.database = database
        self.wal = database + "-wal"
        self.threshold = threshold
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None  # the last one started
        self._running = False  # whether that thread still takes requests
        self._wanted = False
        self._stopping = False
        self._conn: sqlite3.Connection | None = None  # the one checkpointing now

    def after_commit(self) -> None:
        """Ask for a checkpoint when the WAL has grown past the threshold."""
        try:
            size = os.stat(self.wal).st_size
        except OSError:
            return
        if size <= self.threshold:
            return
        if self._pid != os.getpid():  # a forked worker: the parent's thread is not here
            self._reset()
        with self._lock:
            if self._stopping:
                return
            self._wanted = True
            if self._running:
                return
            self._running = True
            thread = threading.Thread(target=self._run, name=CHECKPOINT_THREAD, daemon=True)
            self._thread = thread
        try:
            thread.start()
        except RuntimeError:  # no thread to be had (interpreter exiting); the backstop stays
            with self._lock:
                self._running = False
            log.debug("WAL checkpoint thread could not start", exc_info=True)

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._stopping or not self._wanted:
                    self._running = False
                    return
                self._wanted = False
            self._checkpoint()

    def _connect(self) -> sqlite3.Connection:
        # mode=rw: a database removed meanwhile is not created again, empty. The busy timeout
        # only covers opening the WAL; the PASSIVE checkpoint itself never waits.
        return sqlite3.connect(
            f"file:{quote(self.database)}?mode=rw",
            uri=True,
            timeout=1,
            isolation_level=None,
            check_same_thread=False,  # interrupt() comes from the thread of dispose()
        )

    def _checkpoint(self) -> None:
        try:
            conn = self._connect()
        except Exception as exc:
            log.warning("WAL checkpoint: cannot open the database: %s", exc)
            return
        try:
            with self._lock:
                if self._stopping:
                    return
                self._conn = conn
            try:
                conn.execute("PRAGMA synchronous=NORMAL")
                busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            finally:
                with self._lock:
                    self._conn = None
            log.debug(
                "WAL checkpoint: %s of %s frames copied%s",
                copied,
                frames,
                " (another checkpoint was running)" if busy else "",
            )
        except Exception as exc:
            if self._stopping:
                log.debug("WAL checkpoint stopped: %s", exc)
            else:
                log.warning("WAL checkpoint failed: %s", exc)
        finally:
            conn.close()

    def stop(self) -> None:
        """Interrupt a checkpoint under way and join the thread; later commits may start one."""
        with self._lock:
            self._stopping = True
            self._wanted = False
            thread = self._thread
            if self._conn is not None:
                self._conn.interrupt()
        try:
            if thread is not None and thread is not threading.current_thread():
                thread.join()
        finally:
            with self._lock:
                self._stopping = False
                self._thread = None


class Store:
    """The trace store: an engine plus read and write transactions over it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        database = engine.url.database or ""
        self._checkpointer = (
            _Checkpointer(database)
            if engine.dialect.name == "sqlite"
            and database not in ("", ":memory:")
            and not database.startswith("file:")
            else None
        )

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back on an exception.

        On SQLite a commit that leaves the WAL past 4 MiB starts a background checkpoint.
        """
        with self.engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn
        if self._checkpointer is not None:
            try:
                self._checkpointer.after_commit()
            except Exception:  # maintenance only: the transaction is committed
                log.warning("WAL checkpoint not started", exc_info=True)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction, ended when the block ends; write with :meth:`begin`."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        """Stop the background WAL checkpoint (SQLite) and close every pooled connection."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"


def sqlite_url(path: str | Path) -> str:
    """The SQLAlchemy URL of an SQLite file."""
    return f"sqlite:///{Path(path).resolve()}"


def open_store(url: str | URL, **engine_options: Any) -> Store:
    """Build the store for ``url`` (``sqlite:///FILE`` or ``postgresql+psycopg://...``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Store(_sqlite_engine(parsed, engine_options))
    engine = sa.create_engine(parsed, pool_pre_ping=True, **engine_options)
    return Store(engine)


def _sqlite_engine(url: URL, options: dict[str, Any]) -> Engine:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise ValueError(
            "SQLite store: give a file path (sqlite:///path/to/shoptrace.db); an in-memory "
            "database is private to one connection and cannot be shared by workers"
        )
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30}, **options)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN, see below
        cursor = dbapi_connection.cursor()
        # New databases get 16 KiB pages (SQLite's default is 4 KiB): inserting a capture's
        # rows takes a fifth less time (bench_capture.py's raw insert: 0.19 -> 0.15 s) and
        # trace lookups stay as fast (bench_trace.py). A database with tables keeps its size.
        cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Checkpoints run in the store's background thread (see the module docstring); the
        # connection checkpoints by itself only past the backstop, counted in pages.
        page_size = cursor.execute("PRAGMA page_size").fetchone()[0]
        cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_BYTES // page_size}")
        cursor.execute(f"PRAGMA journal_size_limit={CHECKPOINT_AFTER_BYTES}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
