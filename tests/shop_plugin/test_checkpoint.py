"""The background WAL checkpoint of SQLite stores: started past the threshold, one at a time,
stopped by dispose, and never in the way of a commit."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from shoptrace.shop_plugin.store import Store, open_store, sqlite_url
from shoptrace.shop_plugin.store import engine as engine_module
from shoptrace.shop_plugin.store.engine import (
    BACKSTOP_BYTES,
    CHECKPOINT_AFTER_BYTES,
    CHECKPOINT_THREAD,
    _Checkpointer,
)

meta = sa.MetaData()
rows = sa.Table(
    "rows",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(40), nullable=False, unique=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Index("ix_rows_head", sa.text("substr(body, 1, 20)")),
)

BODY = "x" * 1100
BIG = 5_000  # rows of 1.1 KB: with the indexes about 7 MB of WAL, past the 4 MiB threshold


def checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == CHECKPOINT_THREAD and t.is_alive()]


def insert(store: Store, count: int, start: int = 0) -> None:
    with store.begin() as conn:
        conn.execute(
            rows.insert(), [{"key": f"k{n}", "body": BODY} for n in range(start, start + count)]
        )


def wal_size(path: Path) -> int:
    return path.with_name(path.name + "-wal").stat().st_size


def frames_left(path: Path) -> int:
    """WAL frames not in the database file: PASSIVE reports (busy, frames, checkpointed)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0
        return int(frames - copied)
    finally:
        conn.close()


def checkpointer(store: Store) -> _Checkpointer:
    assert store._checkpointer is not None
    return store._checkpointer


def wait_idle(store: Store, seconds: float = 10) -> None:
    """Bounded poll until the store's checkpoint thread has finished."""
    deadline = time.monotonic() + seconds
    while checkpointer(store)._running or checkpoint_threads():
        assert time.monotonic() < deadline, "the checkpoint thread did not finish"
        time.sleep(0.005)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "wal.db"


@pytest.fixture
def sqlite_store(path: Path) -> Iterator[Store]:
    store = open_store(sqlite_url(path))
    meta.create_all(store.engine)
    yield store
    store.dispose()
    assert not checkpoint_threads()


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads each checkpoint ran in."""
    ran: list[str] = []
    original = _Checkpointer._checkpoint

    def recorded(self: _Checkpointer) -> None:
        ran.append(threading.current_thread().name)
        original(self)

    monkeypatch.setattr(_Checkpointer, "_checkpoint", recorded)
    return ran


def test_connections_checkpoint_by_themselves_only_past_the_backstop(sqlite_store: Store) -> None:
    with sqlite_store.read() as conn:
        page_size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
        pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
        limit = conn.exec_driver_sql("PRAGMA journal_size_limit").scalar_one()
    assert pages * page_size == BACKSTOP_BYTES == 64 * 1024 * 1024
    assert limit == CHECKPOINT_AFTER_BYTES


def test_a_large_commit_is_checkpointed_in_the_background(
    sqlite_store: Store, path: Path, runs: list[str]
) -> None:
    insert(sqlite_store, BIG)
    assert wal_size(path) > CHECKPOINT_AFTER_BYTES
    wait_idle(sqlite_store)
    assert runs == [CHECKPOINT_THREAD]
    assert frames_left(path) == 0
    # The next commit starts the WAL over and journal_size_limit cuts the file back.
    insert(sqlite_store, 1, start=BIG)
    assert wal_size(path) <= CHECKPOINT_AFTER_BYTES
    assert not checkpoint_threads() and runs == [CHECKPOINT_THREAD]
    with sqlite_store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(rows)).scalar_one() == BIG + 1


def test_a_small_commit_starts_no_thread(sqlite_store: Store, path: Path, runs: list[str]) -> None:
    insert(sqlite_store, 100)
    assert 0 < wal_size(path) <= CHECKPOINT_AFTER_BYTES
    assert checkpointer(sqlite_store)._thread is None
    assert not checkpoint_threads() and runs == []


def test_a_rolled_back_transaction_starts_no_thread(
    sqlite_store: Store, path: Path, runs: list[str]
) -> None:
    with pytest.raises(RuntimeError), sqlite_store.begin() as conn:
        conn.execute(rows.insert(), [{"key": f"k{n}", "body": BODY} for n in range(BIG)])
        raise RuntimeError("abandoned")
    assert checkpointer(sqlite_store)._thread is None and runs == []


class Held:
    """A checkpoint connection whose checkpoint waits until interrupted (as a long copy)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.started = threading.Event()
        self.interrupted = threading.Event()
        self.closed = False

    def execute(self, sql: str) -> sqlite3.Cursor:
        if "wal_checkpoint" in sql:
            self.started.set()
            assert self.interrupted.wait(10)
            raise sqlite3.OperationalError("interrupted")
        return self.conn.execute(sql)

    def interrupt(self) -> None:
        self.interrupted.set()
        self.conn.interrupt()

    def close(self) -> None:
        self.closed = True
        self.conn.close()


def started(held: list[Held], index: int) -> bool:
    deadline = time.monotonic() + 10
    while len(held) <= index:
        assert time.monotonic() < deadline, "no checkpoint started"
        time.sleep(0.005)
    return held[index].started.wait(10)


def hold_checkpoints(monkeypatch: pytest.MonkeyPatch) -> list[Held]:
    held: list[Held] = []
    original = _Checkpointer._connect

    def connect(self: _Checkpointer) -> Any:
        held.append(Held(original(self)))
        return held[-1]

    monkeypatch.setattr(_Checkpointer, "_connect", connect)
    return held


def test_dispose_interrupts_the_checkpoint_joins_the_thread_and_closes_its_connection(
    path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    held = hold_checkpoints(monkeypatch)
    store = open_store(sqlite_url(path))
    meta.create_all(store.engine)
    insert(store, BIG)
    assert started(held, 0)
    [thread] = checkpoint_threads()
    with caplog.at_level(logging.DEBUG, logger=engine_module.__name__):
        store.dispose()
    assert held[0].interrupted.is_set() and held[0].closed
    assert not thread.is_alive() and not checkpoint_threads()
    with pytest.raises(sqlite3.ProgrammingError):
        held[0].conn.execute("SELECT 1")
    assert "WAL checkpoint stopped" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    # The store still works after dispose, as its engine does; the next dispose stops again.
    insert(store, BIG, start=BIG)
    assert started(held, 1)
    store.dispose()
    assert held[1].closed and not checkpoint_threads()


def test_dispose_without_a_thread_and_twice(sqlite_store: Store) -> None:
    sqlite_store.dispose()
    sqlite_store.dispose()
    assert not checkpoint_threads()


def test_concurrent_commits_run_one_checkpoint_thread_at_a_time(
    sqlite_store: Store, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = threading.Lock()
    active: list[int] = []
    most = [0]
    threads: set[int] = set()
    original = _Checkpointer._run

    def counted(self: _Checkpointer) -> None:
        with lock:
            active.append(threading.get_ident())
            threads.add(threading.get_ident())
            most[0] = max(most[0], len(active))
        time.sleep(0.05)  # a slow checkpoint, so that the commits meet it running
        try:
            original(self)
        finally:
            with lock:
                active.remove(threading.get_ident())

    monkeypatch.setattr(_Checkpointer, "_run", counted)
    insert(sqlite_store, BIG)  # the WAL file is past the threshold from here on
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for k in range(5):
                insert(sqlite_store, 20, start=BIG + n * 1000 + k * 20)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wait_idle(sqlite_store)
    assert not errors
    assert most[0] == 1 and len(threads) >= 1
    assert frames_left(path) == 0


def test_a_failing_checkpoint_does_not_break_the_commit(
    sqlite_store: Store,
    path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def cannot_open(self: _Checkpointer) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(_Checkpointer, "_connect", cannot_open)
    with caplog.at_level(logging.WARNING, logger=engine_module.__name__):
        insert(sqlite_store, BIG)
        wait_idle(sqlite_store)
    assert "WAL checkpoint: cannot open the database" in caplog.text
    assert frames_left(path) == 0  # the frames are committed; this look copies them


def test_a_checkpoint_raising_midway_closes_its_connection(
    sqlite_store: Store,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    opened: list[Failing] = []
    original = _Checkpointer._connect

    class Failing(Held):
        def execute(self, sql: str) -> sqlite3.Cursor:
            if "wal_checkpoint" in sql:
                raise sqlite3.OperationalError("disk I/O error")
            return self.conn.execute(sql)

    def connect(self: _Checkpointer) -> Any:
        opened.append(Failing(original(self)))
        return opened[-1]

    monkeypatch.setattr(_Checkpointer, "_connect", connect)
    with caplog.at_level(logging.WARNING, logger=engine_module.__name__):
        insert(sqlite_store, BIG)
        wait_idle(sqlite_store)
    assert "WAL checkpoint failed: disk I/O error" in caplog.text
    assert [c.closed for c in opened] == [True]


def test_an_error_starting_the_checkpoint_does_not_reach_the_request(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: _Checkpointer) -> None:
        raise OSError("no stat today")

    monkeypatch.setattr(_Checkpointer, "after_commit", broken)
    with caplog.at_level(logging.WARNING, logger=engine_module.__name__):
        insert(sqlite_store, 10)
    assert "WAL checkpoint not started" in caplog.text
    with sqlite_store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(rows)).scalar_one() == 10


def test_a_store_left_undisposed_lets_its_thread_end(path: Path, runs: list[str]) -> None:
    store = open_store(sqlite_url(path))
    meta.create_all(store.engine)
    insert(store, BIG)
    wait_idle(store)  # the thread ends once its checkpoint is done, dispose or not
    assert runs == [CHECKPOINT_THREAD] and not checkpoint_threads()
    store.dispose()


def test_a_forked_worker_starts_its_own_thread(
    sqlite_store: Store, path: Path, runs: list[str]
) -> None:
    """A fork keeps the parent's state but not its threads (gunicorn --preload)."""
    state = checkpointer(sqlite_store)
    state._running = True  # as if the parent's thread were checkpointing at the fork
    state._pid = -1  # created in another process
    insert(sqlite_store, BIG)
    wait_idle(sqlite_store)
    assert runs == [CHECKPOINT_THREAD] and frames_left(path) == 0


def test_postgresql_stores_have_no_checkpoint() -> None:
    engine = sa.create_engine("postgresql+psycopg://user@localhost/db")
    assert Store(engine)._checkpointer is None
    engine.dispose()
