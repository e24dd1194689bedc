"""A worker thread inside the app process: polls, can be woken, survives forks.

The outbox (``SHOPTRACE_OUTBOX_RUNNER=thread``) and the upstream exchange
(``SHOPTRACE_SYNC_RUNNER=thread``) each run one: a daemon thread that calls
:meth:`PollingRunner.run_once` every ``interval`` seconds and whenever :meth:`nudge` is
called. The thread starts with the first :meth:`nudge` or :meth:`ensure_started` (again in a
forked child, whose copy of the thread did not survive the fork). :meth:`attach` wakes it
after every commit of a transaction that :func:`mark` marked.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

import requests
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.store.engine import Store

__all__ = ["PollingRunner", "mark"]


def mark(conn: Connection, key: str) -> None:
    """Note on ``conn`` that its transaction made work due for the runner watching ``key``;
    the runner is woken once the connection is handed back (after the commit)."""
    conn.info[key] = True


def _one_line(exc: BaseException | None) -> str:
    text = f"{type(exc).__name__}: {exc}" if exc is not None else "unknown error"
    return text.splitlines()[0][:200] if text else "error"


class PollingRunner:
    """Calls :meth:`run_once` from a daemon thread of this process: every ``interval``
    seconds, and at once after :meth:`nudge`. Subclasses say what one round does."""

    thread_name = "shoptrace-runner"
    mark_key = ""
    """The :func:`mark` of transactions that wake this runner (none when empty)."""

    def __init__(self, store: Store, *, interval: float) -> None:
        self.store = store
        self.interval = interval
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stop = False
        self._failing = False

    def report_failure(self, logger: logging.Logger, message: str) -> None:
        """Log the exception being handled: with its traceback the first time, then one line
        per poll until a round succeeds (a database that is gone stays quiet)."""
        if self._failing:
            logger.warning("%s (%s)", message, _one_line(sys.exc_info()[1]))
        else:
            logger.exception(message)
        self._failing = True

    def report_success(self) -> None:
        self._failing = False

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive() and self._pid == os.getpid()

    @property
    def stopping(self) -> bool:
        return self._stop

    def attach(self) -> None:
        """Wake the runner whenever a connection marked with :attr:`mark_key` returns to the
        pool, i.e. right after its transaction ended."""
        sa.event.listen(self.store.engine, "checkin", self._checked_in)

    def detach(self) -> None:
        if sa.event.contains(self.store.engine, "checkin", self._checked_in):
            sa.event.remove(self.store.engine, "checkin", self._checked_in)

    def _checked_in(self, _dbapi_connection: Any, record: Any) -> None:
        info = getattr(record, "info", None)
        if info is None or not self.mark_key:
            return
        if info.pop(self.mark_key, False) and not self._stop:
            self.nudge()

    def ensure_started(self) -> None:
        """Start the thread unless it runs in this process."""
        if self.running or self._stop:
            return
        with self._lock:
            if self.running or self._stop:
                return
            if self._pid != os.getpid():
                self._wake = threading.Event()  # a forked child starts afresh
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()

    def nudge(self) -> None:
        """Run a round now rather than at the next poll."""
        self.ensure_started()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (after the round in hand) and stop waking it."""
        self._stop = True
        self.detach()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        session = requests.Session()
        try:
            while not self._stop:
                self._wake.wait(self.interval)
                self._wake.clear()
                if self._stop:
                    break
                self.run_once(session)
        finally:
            session.close()

    def run_once(self, session: requests.Session | None = None) -> Any:
        """One round of work; must log its failures rather than raise."""
        raise NotImplementedError
