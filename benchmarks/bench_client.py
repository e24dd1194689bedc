"""SDK client figures: its overhead per call beside a bare ``requests.Session``, and EPCIS
events pushed per second through it, against a local trace service.

The service is the standalone app under gunicorn (gthread, 1 worker x 4 threads) on
127.0.0.1 with a temporary SQLite database, rate limits off. Both sides use one keep-alive
session, send the same headers and decode the JSON answer; they take turns call by call, so
drift in the machine's load hits both alike, and the median call of each side is compared.

- Overhead: ``client.products.get(id)`` (request id, retry loop, error mapping, a typed
  ``Product``) against ``session.get(url, headers=..., timeout=...).json()``, on the real
  service. The ratio is the median call's time, client / bare. Goal: at most 1.2.
  The same pair is also timed against a bare Flask app (same gunicorn setup) that answers
  the product's JSON from memory: with almost no server time, that ratio shows the client's
  own cost at its starkest.
- Push: ``client.events.capture(events)`` of documents of 100 events each (cases of 10
  units commissioned, packed, shipped, received and sold; new EPCs every document), against
  posting the same document's JSON with the bare session. Events per second both ways.

Run: ``.venv/bin/python benchmarks/bench_client.py [--calls N] [--documents N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from flask import Flask, Response

from shoptrace.sdk import TraceClient
from shoptrace.sdk.epcis import events as ev
from shoptrace.sdk.epcis import make_document
from shoptrace.shop_plugin.services.merchants import create_merchant
from shoptrace.shop_plugin.store import open_store, sqlite_url, upgrade

GOAL_RATIO = 1.2
SIGNING_KEY = "bench-signing-key-0123456789-abcdefghijklmnop"
SHOP = "https://shop.example.com/trace"
GTIN = "09506000134352"
FACTORY = "urn:epc:id:sgln:9506000.00001.0"
STORE = "urn:epc:id:sgln:9506000.00002.0"
EVENTS_PER_DOCUMENT = 100
SIDES = {"client": 1, "bare": 2, "warm": 3}
"""A digit per side, so no two sides' cases share an SSCC."""

# The baseline app (gunicorn imports this module as bench_client:bare_app): the product's
# JSON from a file, under the API path the client asks.
bare_app = Flask(__name__)
_FIXED = (
    Path(os.environ["BENCH_PRODUCT_BODY"]).read_bytes()
    if "BENCH_PRODUCT_BODY" in os.environ
    else b"{}"
)


@bare_app.get("/trace/api/v1/products/<int:product_id>")
def fixed_product(product_id: int) -> Response:
    return Response(_FIXED, mimetype="application/json")


def prepare(folder: Path) -> tuple[str, str]:
    """A migrated database with one merchant; its URL and the merchant's API key."""
    url = sqlite_url(folder / "shoptrace.db")
    store = open_store(url)
    upgrade(store)
    with store.begin() as conn:
        _, key = create_merchant(conn, "Bench")
    store.dispose()
    return url, key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def gunicorn(target: str, env: dict[str, str], chdir: str, ready: str) -> Iterator[str]:
    """``target`` under gunicorn (gthread, 1 worker x 4 threads); yields its origin once
    ``ready`` (a path) answers."""
    port = _free_port()
    program = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"
    command = [program, "-k", "gthread", "-w", "1", "--threads", "4"]
    command += ["-b", f"127.0.0.1:{port}", "--chdir", chdir, "--log-level", "warning", target]
    proc = subprocess.Popen(command, env={**os.environ, **env}, start_new_session=True)
    origin = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            try:
                urllib.request.urlopen(origin + ready, timeout=1)  # noqa: S310
                break
            except urllib.error.HTTPError:
                break  # it answers
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        else:
            raise RuntimeError(f"gunicorn did not start {target}")
        yield origin
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def service_env(db_url: str, folder: Path) -> dict[str, str]:
    """The trace service's settings: the database, no rate limits, no background runners."""
    return {
        "SHOPTRACE_DATABASE_URL": db_url,
        "SHOPTRACE_SIGNING_KEY": SIGNING_KEY,
        "SHOPTRACE_PUBLIC_BASE_URL": SHOP,
        "SHOPTRACE_RATE_LIMIT": "",
        "SHOPTRACE_JOB_RUNNER": "external",
        "SHOPTRACE_OUTBOX_RUNNER": "off",
        "SHOPTRACE_INSTANCE_PATH": str(folder),
    }


def overhead(client: TraceClient, key: str, product_id: int, calls: int) -> tuple[float, float]:
    """Median seconds per call: through the client, and with the bare session."""
    url = f"{client.base_url}/api/v1/products/{product_id}"
    headers = {
        "Authorization": f"Bearer {key}",
        "Accept": "application/json",
        "User-Agent": client.transport.user_agent,
        "X-Request-Id": "req_0123456789abcdef0123456789abcdef",
    }
    bare = requests.Session()

    def plain() -> Any:
        response = bare.get(url, headers=headers, timeout=client.transport.timeout)
        response.raise_for_status()
        return response.json()

    def sdk() -> Any:
        return client.products.get(product_id)

    assert plain()["id"] == sdk().id == product_id
    for _ in range(50):  # warm both connections and the server's caches
        plain()
        sdk()
    through: list[float] = []
    direct: list[float] = []
    clock = time.perf_counter
    for n in range(calls):  # call by call in turns, so load drift hits both alike
        order = ((sdk, through), (plain, direct)) if n % 2 else ((plain, direct), (sdk, through))
        for call, into in order:
            started = clock()
            call()
            into.append(clock() - started)
    bare.close()
    return statistics.median(through), statistics.median(direct)


def report_overhead(label: str, sdk_s: float, bare_s: float, calls: int) -> float:
    ratio = sdk_s / bare_s
    print(
        f"{label}: client {sdk_s * 1e3:.3f} ms/call, bare session {bare_s * 1e3:.3f} ms/call "
        f"(median of {calls} calls each, taking turns); client overhead "
        f"{(sdk_s - bare_s) * 1e6:+.0f} us/call; ratio client/bare {ratio:.3f}"
    )
    return ratio


def documents(side: str, count: int) -> list[list[dict[str, Any]]]:
    """``count`` lists of 100 events (20 cases of 10 units, five events a case), new EPCs."""
    start = datetime(2024, 5, 1, tzinfo=UTC)
    made: list[list[dict[str, Any]]] = []
    for doc_no in range(count):
        events: list[dict[str, Any]] = []
        for case_no in range(EVENTS_PER_DOCUMENT // 5):
            n = doc_no * 1000 + case_no
            units = [f"{SHOP}/01/{GTIN}/10/L{doc_no}/21/{side}{n:06d}U{k}" for k in range(10)]
            case = f"urn:epc:id:sscc:9506000.{SIDES[side]}{n:09d}"
            when = start + timedelta(minutes=n)
            events += [
                ev.commission(units, read_point=FACTORY, event_time=when),
                ev.pack(case, units, read_point=FACTORY, event_time=when + timedelta(seconds=1)),
                ev.object_event(
                    "OBSERVE",
                    epcs=[case],
                    biz_step="shipping",
                    disposition="in_transit",
                    read_point=FACTORY,
                    event_time=when + timedelta(hours=1),
                ),
                ev.receive([case], biz_location=STORE, event_time=when + timedelta(hours=5)),
                ev.sell(units, biz_location=STORE, event_time=when + timedelta(days=1)),
            ]
        made.append(events)
    return made


def push(client: TraceClient, key: str, count: int) -> tuple[float, float]:
    """Events per second captured: through the client, and posted with the bare session."""
    url = client.base_url + "/epcis/capture"
    headers = {
        "Authorization": f"Bearer {key}",
        "Accept": "application/json",
        "Content-Type": "application/ld+json",
    }
    bare = requests.Session()
    via_client = documents("client", count)
    via_bare = documents("bare", count)
    warm = documents("warm", 1)[0]
    client.events.capture(warm[:50])
    bare.post(url, data=json.dumps(make_document(warm[50:], validate=False)), headers=headers)
    through = direct = 0.0
    for doc_no in range(count):
        started = time.perf_counter()
        job = client.events.capture(via_client[doc_no])
        through += time.perf_counter() - started
        assert job.success and job.stored == EVENTS_PER_DOCUMENT, job
        started = time.perf_counter()
        body = json.dumps(make_document(via_bare[doc_no], validate=False)).encode("utf-8")
        answer = bare.post(url, data=body, headers=headers, timeout=60)
        answer.raise_for_status()
        direct += time.perf_counter() - started
        assert answer.json()["stored"] == EVENTS_PER_DOCUMENT
    bare.close()
    events = count * EVENTS_PER_DOCUMENT
    return events / through, events / direct


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="GET calls per side")
    parser.add_argument("--documents", type=int, default=30, help="capture documents per side")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="shoptrace-client-"))
    db_url, key = prepare(folder)
    here = str(Path(__file__).resolve().parent)
    print(
        f"python {platform.python_version()} on {platform.machine()}; requests "
        f"{requests.__version__}; gunicorn gthread 1x4 on 127.0.0.1; SQLite"
    )
    with (
        gunicorn(
            "shoptrace.shop_plugin.app:create_app()",
            service_env(db_url, folder),
            str(folder),
            "/trace/api/v1/openapi.json",
        ) as origin,
        TraceClient(key, base_url=origin + "/trace") as client,
    ):
        product = client.products.create(
            gtin=GTIN, name={"zh-CN": "有机苹果", "en": "Organic apples"}, category="food"
        )
        sdk_s, bare_s = overhead(client, key, product.id, args.calls)
        ratio = report_overhead("GET product, trace service", sdk_s, bare_s, args.calls)
        print(f"  goal: ratio at most {GOAL_RATIO}")
        via_client, via_bare = push(client, key, args.documents)
        print(
            f"capture push: client {via_client:,.0f} events/s, bare session "
            f"{via_bare:,.0f} events/s ({args.documents} documents of "
            f"{EVENTS_PER_DOCUMENT} events each way); ratio bare/client "
            f"{via_bare / via_client:.3f}"
        )
    body = folder / "product.json"
    body.write_text(json.dumps(product.raw, ensure_ascii=False), encoding="utf-8")
    with (
        gunicorn("bench_client:bare_app", {"BENCH_PRODUCT_BODY": str(body)}, here, "/") as origin,
        TraceClient(key, base_url=origin + "/trace") as client,
    ):
        sdk_s, bare_s = overhead(client, key, product.id, args.calls)
        report_overhead("GET product, fixed-answer app", sdk_s, bare_s, args.calls)
    shutil.rmtree(folder, ignore_errors=True)
    return 0 if ratio <= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
