"""Bulk inserts for capture: ``COPY`` on PostgreSQL; on SQLite, in a thread beside the caller.

SQLite inserts rows without Python's global interpreter lock (GIL), so while a capture's
rows go into the database the caller can already read and hash the next chunk of its
document. :class:`BulkWriter` hands large writes to a thread of its own, in order, on the
caller's connection and in its transaction; the caller calls :meth:`BulkWriter.wait` before
it uses the connection again, and :meth:`BulkWriter.close` when done (also when failing).

Each statement carries many rows in one ``VALUES`` list, bound at once: the thread takes
the GIL back once per statement (``executemany`` would take it back for every row, and
behind a busy caller wait its turn each time). While the thread works, the interpreter's
switch interval is lowered (:data:`SWITCH_INTERVAL`) so that turn comes within half a
millisecond instead of five; it is restored when the last writer closes. After a failed
statement the thread writes nothing more: SQLite may have rolled the transaction back, and a
later statement would then commit on its own.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = [
    "MAX_ROWS_PER_INSERT",
    "SWITCH_INTERVAL",
    "THREAD_FROM_ROWS",
    "BulkWriter",
    "copy_rows",
    "multi_insert",
]

MAX_ROWS_PER_INSERT = 10_000
"""Rows in one SQLite ``INSERT`` at most (fewer when the bound-variable limit says so)."""
THREAD_FROM_ROWS = 100
"""Smaller writes, with nothing waiting in the thread, are done at once by the caller: a
thread would cost more than it saves (a single event, say)."""
SWITCH_INTERVAL = 0.0005
"""Seconds: the interpreter's thread switch interval while a writer thread runs."""


def _same(moment: datetime) -> datetime:
    return moment


def _sqlite_text(moment: datetime) -> str:
    """An aware UTC datetime as SQLAlchemy writes a naive UTC one into SQLite
    (``2024-05-01 08:09:10.123456``)."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # (a third faster than isoformat, which formats the offset only to have it cut off)
    return moment.date().isoformat() + " " + moment.time().isoformat("microseconds")


_PROBES = (
    datetime(2024, 5, 1, 8, 9, 10, 123456, tzinfo=UTC),
    datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
)
"""Times on which the direct SQLite text must match the type's own bind processing."""


class BulkWriter:
    """Writes rows in bulk on ``conn`` (see the module docstring).

    ``time`` turns an aware datetime into the value the driver takes for a DateTime column
    of the store (``record_time``: the capture's recordTime so turned). ``background=False``
    writes everything at once in the caller's thread (same rows, same order).
    """

    def __init__(
        self,
        conn: Connection,
        record_time: datetime,
        *,
        time_type: sa.types.TypeEngine[Any],
        background: bool = True,
    ) -> None:
        self.conn = conn
        dialect = conn.dialect
        self.copy = dialect.name == "postgresql"
        self.time: Callable[[datetime], Any] = _same
        if not self.copy:
            # The type's full bind processing (UTCDateTime, then SQLite's DATETIME text).
            bind = time_type.dialect_impl(dialect).bind_processor(dialect)
            if bind is not None:
                probes_match = all(bind(t) == _sqlite_text(t) for t in _PROBES)
                self.time = _sqlite_text if probes_match else bind
        self.record_time = self.time(record_time)
        self._driver: Any = None
        self._variables = 0
        if dialect.name == "sqlite":
            self._driver = conn.connection.driver_connection
            self._variables = self._driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self.background = background and self._driver is not None
        self._thread: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []
        self._failed = False  # set by the thread: it writes nothing after a failure

    def write(self, table: sa.Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` (values in ``columns`` order) into ``table``, after every row
        written before. Errors surface here or at the next :meth:`wait`."""
        if not rows:
            return
        if self.copy:
            copy_rows(self.conn, table.name, columns, rows)
            return
        if self._driver is None:  # another engine: plain executemany through SQLAlchemy
            statement = str(
                table.insert()
                .values({c: sa.bindparam(c) for c in columns})
                .compile(dialect=self.conn.dialect)
            )
            self.conn.exec_driver_sql(statement, [dict(zip(columns, r, strict=True)) for r in rows])
            return
        per = max(1, min(MAX_ROWS_PER_INSERT, self._variables // len(columns)))
        at_once = not self.background or (not self._pending and len(rows) < THREAD_FROM_ROWS)
        for start in range(0, len(rows), per):
            part = rows[start : start + per]
            statement = multi_insert(table.name, columns, len(part))
            if at_once:
                self._insert(statement, part)
            else:
                self._pending.append(self._start().submit(self._insert, statement, part))

    def _start(self) -> ThreadPoolExecutor:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="shoptrace-capture-writer")
            _quick_switches(True)
        return self._thread

    def _insert(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        """One multi-row INSERT (in the writer thread, or the caller's)."""
        if self._failed:
            return  # the failure is raised by wait(); the transaction may be gone
        try:
            self._driver.execute(statement, list(itertools.chain.from_iterable(rows)))
        except sqlite3.Error as exc:
            self._failed = True
            # the statement as errors and logs show it: one row of its VALUES, not thousands
            shown = statement[: statement.index(" VALUES ")] + f" VALUES (...) -- {len(rows)} rows"
            raise sa.exc.DBAPIError.instance(shown, None, exc, sqlite3.Error) from exc
        except BaseException:
            self._failed = True
            raise

    def wait(self) -> None:
        """Every write handed over done; the first failure raised. The connection is the
        caller's again."""
        pending, self._pending = self._pending, []
        failure: BaseException | None = None
        for future in pending:
            error = future.exception()
            if error is not None and failure is None:
                failure = error
        if failure is not None:
            raise failure

    def close(self) -> None:
        """Every write handed over finished and the thread gone; failures are not raised
        (:meth:`wait` raises them)."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.exception()
        if self._thread is not None:
            self._thread.shutdown()
            self._thread = None
            _quick_switches(False)


@functools.lru_cache(maxsize=256)
def multi_insert(table: str, columns: tuple[str, ...], rows: int) -> str:
    """``INSERT INTO table (columns) VALUES (?, ...), ...`` for ``rows`` rows (qmark style;
    remembered)."""
    one = "(" + ", ".join("?" * len(columns)) + ")"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([one] * rows)


_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.0


def _quick_switches(on: bool) -> None:
    """Lower the switch interval while any writer thread runs; restore it after the last,
    unless someone else changed it meanwhile."""
    global _switch_users, _switch_saved
    with _switch_lock:
        if on:
            _switch_users += 1
            if _switch_users == 1:
                _switch_saved = sys.getswitchinterval()
                if _switch_saved > SWITCH_INTERVAL:
                    sys.setswitchinterval(SWITCH_INTERVAL)
            return
        _switch_users -= 1
        if _switch_users == 0 and sys.getswitchinterval() == SWITCH_INTERVAL:
            sys.setswitchinterval(_switch_saved)


def copy_rows(
    conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Rows into ``table`` with PostgreSQL ``COPY ... FROM STDIN`` (psycopg 3)."""
    driver = conn.connection.driver_connection
    assert driver is not None
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    dbapi = conn.dialect.loaded_dbapi
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            write = copy.write_row
            for row in rows:
                write(row)
    except dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(statement, None, exc, dbapi.Error) from exc
