"""The push worker thread (``SHOPTRACE_SYNC_RUNNER=thread``)."""

from __future__ import annotations

import logging

import requests

from shoptrace.shop_plugin.services.runner import PollingRunner
from shoptrace.shop_plugin.services.upstream.endpoints import _DUE
from shoptrace.shop_plugin.services.upstream.pushing import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_TIMEOUT,
    SyncReport,
    push_due,
)
from shoptrace.shop_plugin.store.engine import Store

log = logging.getLogger(__package__)  # one logger for the whole package


class SyncRunner(PollingRunner):
    """Pushes to upstream endpoints from a daemon thread of this process
    (``SHOPTRACE_SYNC_RUNNER=thread``): every ``interval`` seconds, and right after a commit
    that made an endpoint due (created, resumed, rewound, enabled)."""

    thread_name = "shoptrace-sync"
    mark_key = _DUE

    def __init__(
        self,
        store: Store,
        signing_key: str,
        *,
        interval: float,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(store, interval=interval)
        self._signing_key = signing_key
        self.max_attempts = max_attempts
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"SyncRunner(interval={self.interval}, running={self.running})"

    def run_once(self, session: requests.Session | None = None) -> SyncReport:
        """Push everything due now; failures are logged, not raised."""
        total = SyncReport()
        try:
            while not self.stopping:
                report = push_due(
                    self.store,
                    self._signing_key,
                    session=session,
                    timeout=self.timeout,
                    max_attempts=self.max_attempts,
                )
                total.add(report)
                if not report.batches:
                    break
            self.report_success()
        except Exception:
            self.report_failure(log, "sync runner: pushing failed; retrying at the next poll")
        return total
