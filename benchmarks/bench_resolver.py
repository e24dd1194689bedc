"""Resolver figures: requests per second and p99 latency of the public trace, as ratios to a
bare Flask app measured in the same run.

Both apps run under gunicorn (gthread, 2 workers x 4 threads, at most 40 connections a worker
so that wrk's 64 spread over both) on 127.0.0.1 and are driven by ``wrk -t2 -c64 -d10s``:
the bare app returns a fixed JSON body (the resolver's own answer, read from a file), the
resolver answers the JSON trace and the HTML page of one unit with 20 events, with everything
a real scan does on: the public rate limit (set high enough not to refuse), scan recording,
ETags, default cache settings. Goals: JSON at least 0.5x the bare app's requests per second
with p99 at most 2x; HTML at least 0.35x.

Needs gunicorn and wrk (``pip install gunicorn``, ``apt-get install wrk``). Run:
``.venv/bin/python benchmarks/bench_resolver.py [--duration 10] [--db URL] [--profile N]``.
``--db`` takes a PostgreSQL URL: the run works in a schema of its own there and drops it at
the end (default: a temporary SQLite file). ``--profile N`` first profiles N requests of each
form through Flask's test client (cProfile, the hot path without HTTP) and prints the top.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import Flask, Response

GOALS = {"json_rps": 0.5, "json_p99": 2.0, "html_rps": 0.35}
SIGNING_KEY = "bench-signing-key-0123456789-abcdefghijklmnop"
GTIN = "09506000134352"
BASE = "https://shop.example.com/trace"
PLACES = [f"urn:epc:id:sgln:9506000.{n:05d}.0" for n in range(1, 6)]
STEPS = [
    ("commissioning", "active"),
    ("inspecting", "conformant"),
    ("packing", "in_progress"),
    ("storing", "sellable_not_accessible"),
    ("shipping", "in_transit"),
    ("receiving", "in_progress"),
    ("storing", "sellable_accessible"),
    ("picking", "in_progress"),
    ("shipping", "in_transit"),
    ("receiving", "sellable_accessible"),
]

# The baseline: a bare Flask app (gunicorn imports this module as bench_resolver:bare_app).
bare_app = Flask("bare", root_path=os.path.dirname(os.path.abspath(__file__)))
_BODY = (
    Path(os.environ["BENCH_BARE_BODY"]).read_bytes() if "BENCH_BARE_BODY" in os.environ else b"{}"
)


@bare_app.get("/fixed")
def fixed() -> Response:
    return Response(_BODY, mimetype="application/json")


def _unit_events(uri: str) -> list[dict[str, Any]]:
    """Twenty events naming the unit: commissioned, inspected, moved about, sold."""
    from shoptrace.sdk.epcis import events as ev

    start = datetime(2026, 4, 1, 8, tzinfo=UTC)
    found = []
    for n in range(19):
        step, disposition = STEPS[n % len(STEPS)]
        found.append(
            ev.object_event(
                "ADD" if n == 0 else "OBSERVE",
                epcs=[uri],
                biz_step=step,
                disposition=disposition,
                read_point=PLACES[n % len(PLACES)],
                event_time=start + timedelta(hours=6 * n),
            )
        )
    found.append(ev.sell([uri], biz_location=PLACES[-1], event_time=start + timedelta(days=6)))
    return found


def prepare(db_url: str) -> str:
    """A merchant, product, batch, issued codes and 20 events of one unit; its path."""
    from shoptrace.sdk.epcis import make_document
    from shoptrace.shop_plugin.services.batches import create_batch
    from shoptrace.shop_plugin.services.capture import capture_document
    from shoptrace.shop_plugin.services.issuance import issue_codes
    from shoptrace.shop_plugin.services.merchants import create_merchant
    from shoptrace.shop_plugin.services.products import create_product
    from shoptrace.shop_plugin.store import open_store, upgrade

    store = open_store(db_url)
    upgrade(store)
    with store.begin() as conn:
        merchant, _key = create_merchant(conn, "Bench Tea Co.")
        mid = merchant["id"]
        product = create_product(
            conn,
            mid,
            {
                "gtin": GTIN,
                "name": {"zh-CN": "西湖龙井茶 250 克", "en": "West Lake Longjing tea 250 g"},
                "description": {"en": "Spring harvest, pan-fired by hand."},
                "category": "edible-agricultural-products",
                "listingUrl": "https://shop.example.com/p/longjing",
                "certifications": [
                    {
                        "scheme": "organic",
                        "issuer": "CQC",
                        "number": "CN-ORG-2026-0042",
                        "verification": "third-party-verified",
                        "validUntil": "2027-06-30",
                    }
                ],
            },
        )
        batch = create_batch(
            conn,
            mid,
            {
                "productId": product["id"],
                "lot": "LJ2026-04",
                "productionDate": "2026-04-02",
                "origin": {"place": {"zh-CN": "浙江省杭州市龙井村", "en": "Longjing village"}},
                "producer": {"name": {"en": "Shifeng Tea Cooperative"}},
            },
        )
        issued = issue_codes(
            conn,
            mid,
            batch["id"],
            {"count": 10},
            signing_key=SIGNING_KEY,
            sync_limit=1000,
            max_count=1000,
        )
        assert issued.serials is not None
        serial = issued.serials[0]
        path = f"/trace/01/{GTIN}/10/LJ2026-04/21/{serial}"
        document = make_document(_unit_events(BASE + path[len("/trace") :]))
        capture_document(conn, mid, BytesIO(json.dumps(document).encode()), max_events=1000)
    store.dispose()
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(target: str, env: dict[str, str], chdir: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"
    command = [gunicorn, "-k", "gthread", "-w", "2", "--threads", "4", "--worker-connections", "40"]
    command += ["-b", f"127.0.0.1:{port}", "--chdir", chdir, "--log-level", "warning", target]
    proc = subprocess.Popen(command, env=env, start_new_session=True)
    origin = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(origin + "/__ready__", timeout=1)  # noqa: S310
        except urllib.error.HTTPError:
            return proc, origin
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"gunicorn did not start for {target}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(url: str, duration: int, accept: str) -> dict[str, float]:
    """Requests per second, p99 latency (ms) and non-2xx count of one wrk run."""
    out = subprocess.run(
        ["wrk", "-t2", "-c64", f"-d{duration}s", "--latency", "-H", f"Accept: {accept}", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "p99": p99, "errors": float(bad.group(1)) if bad else 0.0}


def profile(db_url: str, path: str, instance: str, count: int) -> None:
    """cProfile of ``count`` resolutions of each form through the test client."""
    import cProfile
    import pstats

    from shoptrace.shop_plugin import create_app

    app = create_app(
        instance_path=instance,
        SHOPTRACE_DATABASE_URL=db_url,
        SHOPTRACE_SIGNING_KEY=SIGNING_KEY,
        SHOPTRACE_PUBLIC_BASE_URL=BASE,
        SHOPTRACE_PUBLIC_RATE_LIMIT="100000000 per minute",
    )
    client = app.test_client()
    for accept in ("application/json", "text/html"):
        headers = {"Accept": accept}
        for _ in range(100):
            client.get(path, headers=headers)
        started = time.perf_counter()
        for _ in range(count):
            client.get(path, headers=headers)
        took = (time.perf_counter() - started) / count * 1e6
        print(f"profile: {accept}: {took:.0f} us per request through the test client")
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            client.get(path, headers=headers)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    public = app.extensions["shoptrace"].public
    if public.recorder is not None:
        public.recorder.flush()
    app.extensions["shoptrace"].store.dispose()


@contextmanager
def database(url: str | None, tmp: str) -> Iterator[str]:
    """A temporary SQLite file, or a schema of our own in the PostgreSQL database ``url``."""
    if url is None:
        yield f"sqlite:///{tmp}/shoptrace.db"
        return
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    admin = sa.create_engine(url, poolclass=NullPool)
    schema = f"bench_resolver_{os.getpid()}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            sa.make_url(url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--db", help="a PostgreSQL URL (default: a temporary SQLite file)")
    parser.add_argument("--profile", type=int, default=0, help="profile N test-client requests")
    args = parser.parse_args()
    for tool in ("wrk",):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed")
    with (
        tempfile.TemporaryDirectory(prefix="bench-resolver-") as tmp,
        database(args.db, tmp) as db_url,
    ):
        path = prepare(db_url)
        if args.profile:
            profile(db_url, path, tmp, args.profile)
        env = {
            **os.environ,
            "SHOPTRACE_DATABASE_URL": db_url,
            "SHOPTRACE_SIGNING_KEY": SIGNING_KEY,
            "SHOPTRACE_PUBLIC_BASE_URL": BASE,
            "SHOPTRACE_PUBLIC_RATE_LIMIT": "100000000 per minute",
            "SHOPTRACE_INSTANCE_PATH": tmp,
        }
        resolver, origin = _serve("shoptrace.shop_plugin.app:create_app()", env, tmp)
        try:
            body = urllib.request.urlopen(  # noqa: S310
                urllib.request.Request(origin + path, headers={"Accept": "application/json"})
            ).read()
            assert len(json.loads(body)["timeline"]) == 20
            wrk(origin + path, 2, "application/json")  # warm-up
            runs = {
                "json": wrk(origin + path, args.duration, "application/json"),
                "html": wrk(origin + path, args.duration, "text/html"),
            }
        finally:
            _stop(resolver)
        Path(tmp, "bare.json").write_bytes(body)
        bare_env = {**os.environ, "BENCH_BARE_BODY": str(Path(tmp, "bare.json"))}
        here = os.path.dirname(os.path.abspath(__file__))
        bare, bare_origin = _serve("bench_resolver:bare_app", bare_env, here)
        try:
            wrk(bare_origin + "/fixed", 2, "application/json")
            runs["bare"] = wrk(bare_origin + "/fixed", args.duration, "application/json")
        finally:
            _stop(bare)
    bare_run = runs["bare"]
    figures = {
        "json_rps": runs["json"]["rps"] / bare_run["rps"],
        "json_p99": runs["json"]["p99"] / bare_run["p99"],
        "html_rps": runs["html"]["rps"] / bare_run["rps"],
        "html_p99": runs["html"]["p99"] / bare_run["p99"],
    }
    engine = "PostgreSQL" if args.db else "SQLite"
    print(
        f"resolver vs bare Flask, gunicorn gthread 2x4, wrk -t2 -c64 -d{args.duration}s, {engine}"
    )
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, body {len(body)} bytes")
    for name, run in runs.items():
        rps, p99, errors = run["rps"], run["p99"], run["errors"]
        print(f"  {name:5} {rps:9.0f} req/s  p99 {p99:7.2f} ms  non-2xx {errors:.0f}")
    failed = False
    for name, value in figures.items():
        goal = GOALS.get(name)
        if goal is None:
            verdict = ""
        elif name.endswith("p99"):
            verdict = "ok" if value <= goal else "MISSED"
            verdict += f" (goal <= {goal}x)"
        else:
            verdict = "ok" if value >= goal else "MISSED"
            verdict += f" (goal >= {goal}x)"
        failed |= verdict.startswith("MISSED")
        print(f"  {name:9} {value:5.2f}x  {verdict}")
    if any(run["errors"] for run in runs.values()):
        print("  some answers were not 2xx/3xx")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
