"""Upstream EPCIS endpoints: the API (CRUD, validation, status, resume, rewind), the push
worker against a real local server (batches in order, an outage, dead letters, racing
workers, credentials), what leaves the shop (visibility), and pushing into a live shoptrace."""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.serving import make_server

from shoptrace.sdk import __version__
from shoptrace.sdk.epcis import events as ev
from shoptrace.sdk.epcis import validate_document
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.upstream import SyncRunner, push_due
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import events, upstream_endpoints
from tests.shop_plugin.epcis_helpers import at, capture, document, unit_uri
from tests.shop_plugin.helpers import GTIN, SIGNING_KEY, Api, add_merchant, make_app
from tests.shop_plugin.receiver import Receiver

TOKEN = "upstream-token-ABC123"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(path="/epcis", default=202, refusal=b"platform down")
    yield server
    server.close()


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPTRACE_SYNC_LOCAL_URLS": "true", "SHOPTRACE_PUBLIC_RATE_LIMIT": ""}


@pytest.fixture
def store(app: Flask) -> Store:
    shop_store: Store = app.extensions["shoptrace"].store
    return shop_store


@pytest.fixture
def check(api: Api) -> Any:
    doc = api.get("/openapi.json").get_json()
    registry = Registry().with_resource("urn:shoptrace:openapi", Resource(doc, DRAFT202012))

    def check(name: str, instance: Any) -> None:
        schema = {"$ref": f"urn:shoptrace:openapi#/components/schemas/{name}"}
        Draft202012Validator(schema, registry=registry).validate(instance)

    return check


def _upstream(api: Api, url: str, **fields: Any) -> dict[str, Any]:
    body = {"name": fields.pop("name", "National platform"), "url": url, **fields}
    response = api.post("/upstreams", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _events(api: Api, count: int, start: int = 0) -> list[str]:
    """Capture ``count`` commissioning events; their eventIDs in order."""
    batch = [
        ev.commission([unit_uri(f"S{start + i}")], event_time=at(start + i)) for i in range(count)
    ]
    response = capture(api, document(batch))
    assert response.status_code == 202, response.get_json()
    return _stored_ids(api)[-count:]


def _stored_ids(api: Api) -> list[str]:
    store = api.client.application.extensions["shoptrace"].store
    with store.read() as conn:
        return list(
            conn.execute(
                sa.select(events.c.event_id)
                .where(events.c.merchant_id == api.merchant_id)
                .order_by(events.c.seq)
            ).scalars()
        )


def _push(store: Store, **options: Any) -> Any:
    options.setdefault("rng", random.Random(7))
    options.setdefault("timeout", 5)
    return push_due(store, SIGNING_KEY, **options)


def _row(store: Store, endpoint_id: int) -> Any:
    with store.read() as conn:
        return conn.execute(
            sa.select(upstream_endpoints).where(upstream_endpoints.c.id == endpoint_id)
        ).one()


# --- the API ------------------------------------------------------------------------------------


def test_register_show_change_and_delete_an_endpoint(api: Api, check: Any) -> None:
    _events(api, 3)
    created = api.post(
        "/upstreams",
        {
            "name": "浙江省追溯平台",
            "url": "http://127.0.0.1:9/epcis",
            "kind": "provincial",
            "auth": {"type": "bearer", "token": TOKEN},
            "batchSize": 50,
        },
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    check("Upstream", body)
    assert created.headers["Location"].endswith(f"/upstreams/{body['id']}")
    assert TOKEN not in created.get_data(as_text=True)
    assert body["auth"] == {"type": "bearer", "header": None, "readable": True}
    assert (body["kind"], body["partner"], body["mode"], body["batchSize"]) == (
        "provincial",
        False,
        "capture",
        50,
    )
    status = body["status"]
    assert (status["state"], status["pushedSeq"], status["headSeq"], status["backlog"]) == (
        "pending",
        0,
        3,
        3,
    )
    assert status["attempts"] == 0 and status["deadAt"] is None and status["lastError"] is None
    shown = api.get(f"/upstreams/{body['id']}").get_json()
    assert shown == body
    listed = api.get("/upstreams").get_json()
    check("UpstreamList", listed)
    assert [u["id"] for u in listed["upstreams"]] == [body["id"]]
    assert TOKEN not in json.dumps(listed)

    partner = _upstream(
        api,
        "https://partner.example.com/epcis",
        name="Partner",
        kind="partner",
        backfill=False,
        auth={"type": "header", "name": "X-API-Key", "value": "k-123"},
    )
    assert partner["partner"] is True
    assert partner["auth"] == {"type": "header", "header": "X-API-Key", "readable": True}
    assert (partner["status"]["pushedSeq"], partner["status"]["backlog"]) == (3, 0)
    assert partner["status"]["state"] == "synced"

    changed = api.patch(
        f"/upstreams/{body['id']}", {"enabled": False, "name": "Zhejiang platform"}
    ).get_json()
    check("Upstream", changed)
    assert (changed["name"], changed["enabled"], changed["status"]["state"]) == (
        "Zhejiang platform",
        False,
        "disabled",
    )
    assert changed["auth"]["type"] == "bearer"  # untouched
    clash = api.patch(f"/upstreams/{partner['id']}", {"name": "Zhejiang platform"})
    assert clash.status_code == 409
    assert clash.get_json()["errors"][0]["field"] == "name"
    again = api.post("/upstreams", {"name": "Partner", "url": "https://x.example.com/e"})
    assert again.status_code == 409 and again.get_json()["errors"][0]["rule"] == "unique"
    assert api.post(f"/upstreams/{body['id']}/resume").status_code == 409  # disabled

    deleted = api.client.delete(api.url(f"/upstreams/{body['id']}"), headers=api.headers())
    assert deleted.get_json() == {"id": body["id"], "deleted": True}
    check("UpstreamDeleted", deleted.get_json())
    missing = api.get(f"/upstreams/{body['id']}")
    assert missing.status_code == 404
    assert missing.get_json()["errors"][0]["field"] == "upstream_id"


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"url": "https://p.example.com/epcis"}, "name", "required"),
        ({"name": "P"}, "url", "required"),
        ({"name": "P", "url": "ftp://p.example.com"}, "url", "url"),
        ({"name": "P", "url": "http://p.example.com/epcis"}, "url", "https"),
        ({"name": "P", "url": "https://u:pw@p.example.com/e"}, "url", "credentials"),
        ({"name": "P", "url": "https://p.example.com/e?x=1"}, "url", "epcis-base-url"),
        ({"name": "P", "url": "https://p.example.com/e#f"}, "url", "url"),
        ({"name": "P", "url": "https://p.example.com", "kind": "city"}, "kind", "enum"),
        ({"name": "P", "url": "https://p.example.com", "mode": "soap"}, "mode", "enum"),
        ({"name": "P", "url": "https://p.example.com", "partner": "yes"}, "partner", "type"),
        ({"name": "P", "url": "https://p.example.com", "batchSize": 0}, "batchSize", "minimum"),
        ({"name": "P", "url": "https://p.example.com", "batchSize": 5000}, "batchSize", "maximum"),
        ({"name": "P", "url": "https://p.example.com", "colour": 1}, "colour", "unknown-field"),
        ({"name": "P", "url": "https://p.example.com", "auth": "token"}, "auth", "type"),
        ({"name": "P", "url": "https://p.example.com", "auth": {}}, "auth.type", "type"),
        (
            {"name": "P", "url": "https://p.example.com", "auth": {"type": "oauth"}},
            "auth.type",
            "enum",
        ),
        (
            {"name": "P", "url": "https://p.example.com", "auth": {"type": "bearer"}},
            "auth.token",
            "required",
        ),
        (
            {
                "name": "P",
                "url": "https://p.example.com",
                "auth": {"type": "bearer", "token": "has space"},
            },
            "auth.token",
            "characters",
        ),
        (
            {
                "name": "P",
                "url": "https://p.example.com",
                "auth": {"type": "basic", "username": "a:b", "password": "x"},
            },
            "auth.username",
            "characters",
        ),
        (
            {
                "name": "P",
                "url": "https://p.example.com",
                "auth": {"type": "header", "name": "Host", "value": "x"},
            },
            "auth.name",
            "reserved-header",
        ),
        (
            {
                "name": "P",
                "url": "https://p.example.com",
                "auth": {"type": "header", "name": "X Key", "value": "x"},
            },
            "auth.name",
            "header-name",
        ),
        (
            {
                "name": "P",
                "url": "https://p.example.com",
                "auth": {"type": "none", "token": "x"},
            },
            "auth.token",
            "unknown-field",
        ),
        ({"name": "", "url": "https://p.example.com"}, "name", "min-length"),
        ({"name": "P\n", "url": "https://p.example.com"}, "name", "characters"),
    ],
)
def test_bad_endpoints_are_refused_naming_the_field_and_rule(
    api: Api, body: dict[str, Any], field: str, rule: str
) -> None:
    response = api.post("/upstreams", body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert {"field": field, "rule": rule} in [{k: e[k] for k in ("field", "rule")} for e in errors]
    assert api.get("/upstreams").get_json()["upstreams"] == []


def test_local_hosts_need_the_setting(db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url, tmp_path / "strict")
    try:
        merchant_id, key = add_merchant(app, "Strict")
        api = Api(app.test_client(), key, merchant_id)
        for address in ("http://127.0.0.1:8000/epcis", "https://localhost/epcis"):
            refused = api.post("/upstreams", {"name": "L", "url": address})
            assert refused.status_code == 422
            error = refused.get_json()["errors"][0]
            assert (error["field"], error["rule"]) == ("url", "public-host")
            assert "SHOPTRACE_SYNC_LOCAL_URLS" in error["detail"]
    finally:
        app.extensions["shoptrace"].store.dispose()


def test_bad_requests_write_nothing(api: Api) -> None:
    endpoint = _upstream(api, "https://p.example.com/epcis")
    for body in ([], "x", None, {"enabled": None}, {"url": "https://p.example.com/e?q=1"}):
        response = api.patch(f"/upstreams/{endpoint['id']}", body)
        assert response.status_code in (400, 415, 422), (body, response.status_code)
        assert response.mimetype == "application/problem+json"
    assert api.get(f"/upstreams/{endpoint['id']}").get_json() == endpoint
    not_json = api.client.post(
        api.url("/upstreams"), data="{", headers=api.headers(), content_type="application/json"
    )
    assert not_json.status_code == 400
    for query, rule in (("", "required"), ("?seq=-1", "integer"), ("?seq=x", "integer")):
        response = api.post(f"/upstreams/{endpoint['id']}/rewind{query}")
        assert response.status_code == 400, query
        assert response.get_json()["errors"][0] == {
            "field": "seq",
            "rule": rule,
            "detail": response.get_json()["errors"][0]["detail"],
        }
    beyond = api.post(f"/upstreams/{endpoint['id']}/rewind?seq=1")
    assert beyond.status_code == 400
    assert beyond.get_json()["errors"][0]["rule"] == "range"
    assert api.post("/upstreams/999/resume").status_code == 404


def test_a_merchant_has_at_most_twenty_endpoints(api: Api) -> None:
    for n in range(20):
        _upstream(api, f"https://p{n}.example.com/epcis", name=f"P{n}")
    refused = api.post("/upstreams", {"name": "P20", "url": "https://p.example.com"})
    assert refused.status_code == 409
    assert refused.get_json()["errors"][0]["rule"] == "max-endpoints"


# --- pushing ------------------------------------------------------------------------------------


def test_events_are_pushed_in_order_in_batches_with_the_endpoint_credential(
    store: Store, api: Api, receiver: Receiver
) -> None:
    ids = _events(api, 7)
    endpoint = _upstream(api, receiver.url, batchSize=3, auth={"type": "bearer", "token": TOKEN})
    report = _push(store)
    assert (report.endpoints, report.batches, report.events) == (1, 3, 7)
    assert str(report) == "7 events pushed in 3 documents to 1 endpoints, 0 to retry, 0 dead"
    assert [len(d["epcisBody"]["eventList"]) for d in receiver.documents()] == [3, 3, 1]
    assert [e["eventID"] for e in receiver.accepted] == ids
    first = receiver.requests[0]
    assert first["path"] == "/epcis/capture"
    headers = first["headers"]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Type"] == "application/ld+json"
    assert headers["GS1-EPCIS-Version"] == "2.0.0"
    assert headers["GS1-Capture-Error-Behaviour"] == "rollback"
    assert headers["User-Agent"] == f"shoptrace/{__version__}"
    for doc in receiver.documents():
        validate_document(doc)
        assert doc["type"] == "EPCISDocument"
    status = api.get(f"/upstreams/{endpoint['id']}").get_json()["status"]
    assert (status["state"], status["pushedSeq"], status["backlog"]) == ("synced", 7, 0)
    assert status["lastStatus"] == 202 and status["lastSuccessAt"] is not None
    # Nothing more to do; new events go next, after the ones before them.
    assert _push(store).endpoints == 0
    later = _events(api, 2, start=100)
    assert api.get(f"/upstreams/{endpoint['id']}").get_json()["status"]["backlog"] == 2
    assert _push(store).events == 2
    assert [e["eventID"] for e in receiver.accepted] == ids + later
    assert len(receiver.requests) == 4


def test_document_mode_basic_and_header_auth(store: Store, api: Api, receiver: Receiver) -> None:
    _events(api, 1)
    _upstream(
        api,
        receiver.url + "/intake?src=shop",
        name="Marketplace",
        kind="marketplace",
        mode="document",
        auth={"type": "basic", "username": "shop1", "password": "p@ss word"},
    )
    _upstream(
        api,
        receiver.url,
        name="Keyed",
        auth={"type": "header", "name": "X-API-Key", "value": "key 42"},
    )
    assert _push(store).batches == 2
    by_path = {r["path"]: r["headers"] for r in receiver.requests}
    basic = base64.b64encode(b"shop1:p@ss word").decode()
    assert by_path["/epcis/intake?src=shop"]["Authorization"] == f"Basic {basic}"
    assert "GS1-Capture-Error-Behaviour" not in by_path["/epcis/intake?src=shop"]
    assert by_path["/epcis/capture"]["X-API-Key"] == "key 42"
    assert "Authorization" not in by_path["/epcis/capture"]


def test_an_outage_delays_events_but_each_arrives_once_in_order(
    store: Store, api: Api, receiver: Receiver
) -> None:
    ids = _events(api, 5)
    endpoint = _upstream(api, receiver.url, batchSize=2)
    receiver.statuses = [503, 503, 503, 503]
    now = utcnow()
    waits = []
    for attempt in range(1, 5):
        report = _push(store, now=now)
        assert (report.retrying, report.batches) == (1, 0), attempt
        row = _row(store, endpoint["id"])
        assert (row.attempts, row.pushed_seq, row.last_status) == (attempt, 0, 503)
        assert row.last_error == "HTTP 503: platform down"
        wait = row.next_attempt_at - now
        waits.append(wait.total_seconds())
        assert _push(store, now=now + wait - timedelta(seconds=1)).endpoints == 0
        # Events keep coming during the outage.
        ids += _events(api, 1, start=10 + attempt)
        now = row.next_attempt_at
    assert waits[0] >= 60  # Retry-After: 60 beats the first 30 s step
    assert waits[1] < waits[2] < waits[3]
    shown = api.get(f"/upstreams/{endpoint['id']}").get_json()["status"]
    assert (shown["state"], shown["attempts"], shown["backlog"]) == ("retrying", 4, 9)
    report = _push(store, now=now)
    assert report.events == 9 and report.retrying == 0
    assert [e["eventID"] for e in receiver.accepted] == ids
    assert len({e["eventID"] for e in receiver.accepted}) == 9
    row = _row(store, endpoint["id"])
    assert (row.attempts, row.pushed_seq, row.last_error, row.dead_at) == (0, 9, None, None)
    # Every failed request carried the same first batch: nothing skipped ahead.
    firsts = [json.loads(r["body"])["epcisBody"]["eventList"][0] for r in receiver.requests[:5]]
    assert {e["eventID"] for e in firsts} == {ids[0]}


def test_the_last_failed_try_kills_the_endpoint_until_it_is_resumed(
    store: Store, api: Api, receiver: Receiver
) -> None:
    ids = _events(api, 2)
    endpoint = _upstream(api, receiver.url)
    receiver.statuses = [500, 500, 500]
    now = utcnow()
    for _ in range(2):
        assert _push(store, now=now, max_attempts=3).retrying == 1
        now = _row(store, endpoint["id"]).next_attempt_at
    report = _push(store, now=now, max_attempts=3)
    assert (report.dead, report.retrying) == (1, 0)
    shown = api.get(f"/upstreams/{endpoint['id']}").get_json()
    status = shown["status"]
    assert (status["state"], status["attempts"], status["lastStatus"]) == ("dead", 3, 500)
    assert status["deadAt"] is not None and status["nextAttemptAt"] is None
    assert status["lastError"] == "HTTP 500: platform down"
    # Dead stays dead, however long we wait.
    assert _push(store, now=now + timedelta(days=60)).endpoints == 0
    assert len(receiver.requests) == 3
    resumed = api.post(f"/upstreams/{endpoint['id']}/resume")
    assert resumed.status_code == 200
    assert resumed.get_json()["status"]["state"] == "pending"
    assert resumed.get_json()["status"]["deadAt"] is None
    assert _push(store).events == 2
    assert [e["eventID"] for e in receiver.accepted] == ids
    assert api.get(f"/upstreams/{endpoint['id']}").get_json()["status"]["state"] == "synced"


def test_rewind_pushes_again_and_can_skip(store: Store, api: Api, receiver: Receiver) -> None:
    ids = _events(api, 4)
    endpoint = _upstream(api, receiver.url)
    assert _push(store).events == 4
    rewound = api.post(f"/upstreams/{endpoint['id']}/rewind?seq=2")
    assert rewound.status_code == 200
    assert (rewound.get_json()["status"]["pushedSeq"], rewound.get_json()["status"]["backlog"]) == (
        2,
        2,
    )
    assert _push(store).events == 2
    assert [e["eventID"] for e in receiver.accepted] == ids + ids[2:]
    skipped = api.post(f"/upstreams/{endpoint['id']}/rewind?seq=4").get_json()
    assert skipped["status"]["state"] == "synced"


def test_a_batch_in_flight_during_a_rewind_does_not_move_the_cursor(
    store: Store, api: Api, receiver: Receiver
) -> None:
    ids = _events(api, 4)
    endpoint = _upstream(api, receiver.url, batchSize=2)

    def rewind() -> None:
        receiver.on_request = None
        answer = api.post(f"/upstreams/{endpoint['id']}/rewind?seq=1")
        assert answer.status_code == 200

    receiver.on_request = rewind
    report = _push(store)
    assert (report.lost, report.batches) == (1, 0)
    row = _row(store, endpoint["id"])
    assert (row.pushed_seq, row.lease_until) == (1, None)
    assert _push(store).events == 3
    assert [e["eventID"] for e in receiver.accepted] == ids[:2] + ids[1:]


def test_two_workers_never_push_to_one_endpoint_at_once(
    store: Store, api: Api, receiver: Receiver
) -> None:
    ids = _events(api, 12)
    _upstream(api, receiver.url, batchSize=2)
    receiver.delay = 0.1
    reports: list[Any] = []
    deadline = time.monotonic() + 30

    def work() -> None:
        while len(receiver.accepted) < 12 and time.monotonic() < deadline:
            reports.append(push_due(store, SIGNING_KEY, timeout=5))

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [e["eventID"] for e in receiver.accepted] == ids
    assert len(receiver.requests) == 6
    assert sum(r.events for r in reports) == 12 and sum(r.lost for r in reports) == 0
    assert sum(1 for r in reports if r.endpoints == 0) > 0  # the other worker found it leased


def test_a_disabled_endpoint_waits_and_a_changed_one_starts_afresh(
    store: Store, api: Api, receiver: Receiver
) -> None:
    _events(api, 2)
    endpoint = _upstream(api, receiver.url, enabled=False)
    assert _push(store).endpoints == 0
    api.patch(f"/upstreams/{endpoint['id']}", {"enabled": True})
    receiver.statuses = [401]
    assert _push(store).retrying == 1
    assert _row(store, endpoint["id"]).attempts == 1
    changed = api.patch(
        f"/upstreams/{endpoint['id']}", {"auth": {"type": "bearer", "token": "new"}}
    ).get_json()
    assert changed["status"]["attempts"] == 0 and changed["status"]["state"] == "pending"
    assert _push(store).events == 2
    assert receiver.requests[-1]["headers"]["Authorization"] == "Bearer new"


def test_a_credential_sealed_under_another_key_is_unreadable_and_sends_nothing(
    store: Store, api: Api, receiver: Receiver
) -> None:
    _events(api, 1)
    endpoint = _upstream(api, receiver.url, auth={"type": "bearer", "token": TOKEN})
    with store.begin() as conn:
        stored = conn.execute(sa.select(upstream_endpoints.c.sealed_credential)).scalar_one()
        assert TOKEN not in stored
    report = push_due(store, "another-signing-key-0123456789-abcdefghijk", timeout=5)
    assert report.retrying == 1 and receiver.requests == []
    row = _row(store, endpoint["id"])
    assert "SHOPTRACE_SIGNING_KEY" in row.last_error
    assert api.get(f"/upstreams/{endpoint['id']}").get_json()["auth"]["readable"] is True
    with store.begin() as conn:
        conn.execute(upstream_endpoints.update().values(sealed_credential="v1.broken"))
    assert api.get(f"/upstreams/{endpoint['id']}").get_json()["auth"]["readable"] is False


def test_a_refused_connection_is_a_failed_try(store: Store, api: Api) -> None:
    _events(api, 1)
    endpoint = _upstream(api, "http://127.0.0.1:9/epcis")
    assert _push(store).retrying == 1
    assert _row(store, endpoint["id"]).last_error == "connection refused"


def test_the_thread_runner_pushes_new_endpoints_at_once(
    db_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    app = make_app(
        db_url,
        tmp_path / "runner",
        SHOPTRACE_SYNC_RUNNER="thread",
        SHOPTRACE_SYNC_INTERVAL=3600,
        SHOPTRACE_SYNC_LOCAL_URLS="true",
    )
    shop = app.extensions["shoptrace"]
    runner: SyncRunner = shop.sync_runner
    try:
        merchant_id, key = add_merchant(app, "Runner")
        api = Api(app.test_client(), key, merchant_id)
        ids = _events(api, 3)
        assert runner.running  # the first request started it
        _upstream(api, receiver.url)  # the commit wakes it
        receiver.wait_events(3)
        assert [e["eventID"] for e in receiver.accepted] == ids
    finally:
        runner.stop()
        shop.store.dispose()
    assert not runner.running


# --- what leaves the shop -----------------------------------------------------------------------


def _visibility_events(api: Api) -> None:
    product = api.product(visibility={"certifications": "partner"})
    api.batch(
        product["id"],
        "LOT42",
        visibility={"origin": "private", "producer": "partner", "expiryDate": "public"},
    )
    api.batch(product["id"], "LOT7")
    commissioned = ev.commission(
        [unit_uri("V1"), unit_uri("V2")],
        ilmd={
            "cbvmda:lotNumber": "LOT42",
            "cbvmda:itemExpirationDate": "2026-01-31",
            "cbvmda:countryOfOrigin": "CN",
            "acme:producer": "Secret Farm Co.",
            "acme:grade": "A",
        },
        certification_info="https://certs.example.com/organic/1",
        extensions={"acme:inspector": "Zhang San", "acme:origin": "Yantai orchard 3"},
        event_time=at(0),
    )
    plain = ev.commission(
        [unit_uri("P1", lot="LOT7")],
        ilmd={"cbvmda:countryOfOrigin": "CN", "acme:grade": "B"},
        event_time=at(1),
    )
    shipped = ev.ship_to_customer(
        [unit_uri("V1")],
        order=f"urn:shoptrace:order:{api.merchant_id}:A-1001",
        ship_to="urn:shoptrace:destination:CN:Zhejiang",
        event_time=at(2),
    )
    namespaces = {"acme": "https://ns.acme.example/epcis/"}
    response = capture(api, document([commissioned, plain, shipped], namespaces=namespaces))
    assert response.status_code == 202, response.get_json()


def test_private_fields_never_leave_and_partner_fields_only_for_partners(
    store: Store, api: Api, receiver: Receiver
) -> None:
    _visibility_events(api)
    stored = {}
    with store.read() as conn:
        for text in conn.execute(sa.select(events.c.document).order_by(events.c.seq)).scalars():
            event = json.loads(text)
            stored[event["eventID"]] = event
    national_id = _upstream(api, receiver.url + "/national", kind="national")["id"]
    _upstream(api, receiver.url + "/partner", name="Partner", kind="partner")
    assert _push(store).batches == 2
    by_path = {r["path"]: json.loads(r["body"]) for r in receiver.requests}
    national = by_path["/epcis/national/capture"]["epcisBody"]["eventList"]
    partner = by_path["/epcis/partner/capture"]["epcisBody"]["eventList"]
    for doc in by_path.values():
        validate_document(doc)
        assert "https://ns.acme.example/epcis/" in json.dumps(doc["@context"])
    assert [e["eventID"] for e in national] == list(stored)
    assert [e["eventID"] for e in partner] == list(stored)

    # LOT42: origin private, producer partner, expiry public; certifications partner.
    assert national[0]["ilmd"] == {
        "cbvmda:lotNumber": "LOT42",
        "cbvmda:itemExpirationDate": "2026-01-31",
    }
    assert partner[0]["ilmd"] == {
        "cbvmda:lotNumber": "LOT42",
        "cbvmda:itemExpirationDate": "2026-01-31",
        "acme:producer": "Secret Farm Co.",
        "acme:grade": "A",
    }
    assert "certificationInfo" not in national[0]
    assert partner[0]["certificationInfo"] == "https://certs.example.com/organic/1"
    assert "acme:inspector" not in national[0] and "acme:origin" not in national[0]
    assert partner[0]["acme:inspector"] == "Zhang San"  # unknown extension: partner data
    assert "acme:origin" not in partner[0]  # names the private origin
    for event in (national[0], partner[0]):
        assert event["epcList"] == stored[event["eventID"]]["epcList"]
    # LOT7 keeps the default: everything public; an unknown extension is partner data.
    assert national[1]["ilmd"] == {"cbvmda:countryOfOrigin": "CN"}
    assert partner[1] == stored[partner[1]["eventID"]]
    # The shop's order and the customer's region stay with partners.
    order = f"urn:shoptrace:order:{api.merchant_id}:A-1001"
    assert partner[2] == stored[partner[2]["eventID"]]
    assert partner[2]["bizTransactionList"][0]["bizTransaction"] == order
    masked = national[2]["bizTransactionList"][0]["bizTransaction"]
    assert masked.startswith("urn:shoptrace:order-ref:") and "A-1001" not in masked
    assert national[2]["destinationList"] == [
        {"type": "location", "destination": "urn:shoptrace:destination:CN"}
    ]
    text = json.dumps(national, ensure_ascii=False)
    for secret in ("Secret Farm", "Yantai", "Zhejiang", "A-1001", "Zhang San", '"B"'):
        assert secret not in text
    # The same order gets the same reference in every push (retries send the same events).
    api.post(f"/upstreams/{national_id}/rewind?seq=0")
    _push(store)
    again = json.loads(receiver.requests[-1]["body"])["epcisBody"]["eventList"]
    assert again == national


# --- into a live shoptrace ----------------------------------------------------------------------


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/trace/epcis"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


def test_pushing_into_shoptraces_own_capture_interface_stores_each_event_once(
    app: Flask, store: Store, api: Api, server: str
) -> None:
    _visibility_events(api)
    _events(api, 5, start=20)
    platform_id, platform_key = add_merchant(app, "Provincial platform")
    platform = Api(api.client, platform_key, platform_id)
    endpoint = _upstream(api, server, batchSize=3, auth={"type": "bearer", "token": platform_key})
    report = _push(store)
    assert (report.events, report.batches, report.retrying) == (8, 3, 0), report
    mine, theirs = _stored_ids(api), _stored_ids(platform)
    assert theirs == mine
    # A batch sent again (its answer lost, say) is recognised by eventID: nothing new.
    api.post(f"/upstreams/{endpoint['id']}/rewind?seq=0")
    assert _push(store).events == 8
    assert _stored_ids(platform) == mine
    status = api.get(f"/upstreams/{endpoint['id']}").get_json()["status"]
    assert (status["state"], status["pushedSeq"], status["lastStatus"]) == ("synced", 8, 202)
    with store.read() as conn:
        pushed = conn.execute(
            sa.select(events.c.document)
            .where(events.c.merchant_id == platform_id)
            .order_by(events.c.seq)
        ).scalars()
        text = "".join(pushed)
    assert "Secret Farm" not in text and "A-1001" not in text and "Zhejiang" not in text
    assert GTIN in text


def test_answers_fit_their_schemas(api: Api, check: Any) -> None:
    _events(api, 2)
    endpoint = _upstream(api, "https://p.example.com/epcis", batchSize=1)
    check("Upstream", api.post(f"/upstreams/{endpoint['id']}/resume").get_json())
    check("Upstream", api.post(f"/upstreams/{endpoint['id']}/rewind?seq=1").get_json())
    check("Problem", api.post(f"/upstreams/{endpoint['id']}/rewind").get_json())


# --- no input produces a 500 --------------------------------------------------------------------

_text = st.text(st.characters(exclude_categories=()), max_size=30)
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | _text
    | st.sampled_from(["https://p.example.com/epcis", "http://127.0.0.1:1/e", "bearer", "header"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=10,
)
_auth = st.fixed_dictionaries(
    {"type": st.sampled_from(["none", "bearer", "basic", "header", "x"])},
    optional={
        "token": _json,
        "username": _json,
        "password": _json,
        "name": _json,
        "value": _json,
    },
)
_bodies = _json | st.fixed_dictionaries(
    {},
    optional={
        "name": _json,
        "url": _json,
        "kind": _json,
        "partner": _json,
        "mode": _json,
        "auth": _auth | _json,
        "batchSize": _json,
        "enabled": _json,
        "backfill": _json,
    },
)
_FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _handled(response: Any) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == response.status_code


@_FUZZ
@given(body=_bodies, seq=st.text(max_size=12))
def test_any_body_or_seq_is_answered_without_500(api: Api, body: Any, seq: str) -> None:
    listed = api.get("/upstreams").get_json()["upstreams"]
    endpoint_id = listed[0]["id"] if listed else _upstream(api, "https://p.example.com/e")["id"]
    for method, path in (("POST", "/upstreams"), ("PATCH", f"/upstreams/{endpoint_id}")):
        _handled(api.client.open(api.url(path), method=method, json=body, headers=api.headers()))
    query = urlencode({"seq": seq})
    _handled(api.post(f"/upstreams/{endpoint_id}/rewind?{query}"))
    for item in api.get("/upstreams").get_json()["upstreams"]:
        if item["id"] != endpoint_id:
            api.client.delete(api.url(f"/upstreams/{item['id']}"), headers=api.headers())
