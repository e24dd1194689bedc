"""A real trace service on 127.0.0.1 for the client's live tests, the quickstart test and the
benchmark: the standalone app on a fresh database, served by werkzeug in a thread."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from shoptrace.shop_plugin.store import open_store, sqlite_url, upgrade
from tests.shop_plugin.helpers import add_merchant, make_app

PG_ENV = "SHOPTRACE_TEST_DATABASE_URL"
BACKENDS = ["sqlite", *(["postgresql"] if os.environ.get(PG_ENV) else [])]


class Flaky:
    """WSGI middleware that, for each status queued in ``fail_next``, lets a request reach
    the app (so its work is done and committed) and then answers that status instead: the
    answer is lost on the way back, as when a proxy or the network fails."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.fail_next: list[int] = []
        self.seen: list[tuple[str, str, str | None]] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self._lock:
            self.seen.append(
                (
                    environ["REQUEST_METHOD"],
                    environ.get("PATH_INFO", ""),
                    environ.get("HTTP_IDEMPOTENCY_KEY"),
                )
            )
            status = self.fail_next.pop(0) if self.fail_next else None
        if status is None:
            return self.app(environ, start_response)
        answer = self.app(environ, lambda *args, **kwargs: None)
        try:
            for _chunk in answer:
                pass
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        problem = {"type": "about:blank", "title": "Lost", "status": status, "detail": "lost"}
        body = json.dumps(problem).encode()
        start_response(
            f"{status} Lost",
            [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body)))],
        )
        return [body]


@dataclass
class LiveServer:
    """A running service: ``base_url`` is what a TraceClient takes."""

    base_url: str
    app: Flask
    flaky: Flaky
    keys: dict[str, str] = field(default_factory=dict)

    def merchant(self, name: str) -> str:
        """A new merchant's API key."""
        _, key = add_merchant(self.app, name)
        self.keys[name] = key
        return key


@contextmanager
def serve(app: Flask) -> Iterator[tuple[str, Flaky]]:
    """Serve ``app`` on a free port of 127.0.0.1; yield its base URL and the middleware."""
    flaky = Flaky(app.wsgi_app)
    httpd = make_server("127.0.0.1", 0, flaky, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/trace", flaky
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


def sqlite_database(folder: Path) -> str:
    """A migrated SQLite database in ``folder``."""
    url = sqlite_url(folder / "shoptrace.db")
    store = open_store(url)
    upgrade(store)
    store.dispose()
    return url


@contextmanager
def live_server(db_url: str, instance: Path, **config: Any) -> Iterator[LiveServer]:
    """The standalone app on ``db_url`` (migrated), served until the block ends."""
    settings: dict[str, Any] = {"SHOPTRACE_JOB_RUNNER": "thread", "SHOPTRACE_SYNC_CODE_LIMIT": 50}
    settings.update(config)
    app = make_app(db_url, instance, **settings)
    try:
        with serve(app) as (base_url, flaky):
            yield LiveServer(base_url, app, flaky)
    finally:
        app.extensions["shoptrace"].store.dispose()
