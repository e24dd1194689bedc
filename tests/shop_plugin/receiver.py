"""A local HTTP server that stands in for a shop's webhook endpoint or an upstream EPCIS
capture interface: it records every POST and answers with the statuses a test queues."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """Records each request and answers with the next status of ``statuses`` (``default``
    once they run out; refusals with the body ``refusal``); a 503 carries
    ``Retry-After: 60``. ``on_request`` is called in the server's thread before each answer;
    ``delay`` seconds are slept before answering."""

    def __init__(
        self, *, path: str = "/hooks/shoptrace", default: int = 200, refusal: bytes = b"nope"
    ) -> None:
        self.path = path
        self.default = default
        self.refusal = refusal
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        self.on_request: Callable[[], None] | None = None
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if receiver.delay:
                    time.sleep(receiver.delay)
                if receiver.on_request is not None:
                    receiver.on_request()
                with receiver._lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.default
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                            "status": status,
                        }
                    )
                answer = b'{"success": true}' if status < 300 else receiver.refusal
                self.send_response(status)
                if status == 503:
                    self.send_header("Retry-After", "60")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    @property
    def accepted(self) -> list[dict[str, Any]]:
        """The events of the EPCIS documents answered with a 2xx, in arrival order."""
        return [
            event
            for r in list(self.requests)
            if r["status"] < 300
            for event in json.loads(r["body"])["epcisBody"]["eventList"]
        ]

    def documents(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests]

    def wait(self, count: int, timeout: float = 10.0) -> None:
        """Until ``count`` requests arrived."""
        self._wait(lambda: len(self.requests), count, timeout, "requests")

    def wait_events(self, count: int, timeout: float = 10.0) -> None:
        """Until ``count`` events were accepted."""
        self._wait(lambda: len(self.accepted), count, timeout, "events")

    @staticmethod
    def _wait(seen: Callable[[], int], count: int, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while seen() < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert seen() >= count, f"got {seen()} of {count} {what}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
