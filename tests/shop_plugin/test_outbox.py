"""Delivery of the outbox: signed POSTs to a real local server, retries with growing delays,
dead letters, redelivery, leases (no message sent twice by racing workers), disabled
endpoints, the in-process runner and the ``code.suspicious`` webhook of flagged codes."""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from shoptrace.sdk import __version__
from shoptrace.sdk.webhooks import WebhookSignatureError, compute_signature, construct_event
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.merchants import create_key
from shoptrace.shop_plugin.services.outbox import (
    OutboxRunner,
    backoff,
    deliver_due,
    enqueue_event,
    enqueue_message,
)
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import outbox, webhook_endpoints
from tests.shop_plugin.helpers import SIGNING_KEY, Api, add_merchant, make_app
from tests.shop_plugin.receiver import Receiver
from tests.shop_plugin.resolver_helpers import flush_scans, forged, make_shop


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPTRACE_WEBHOOK_LOCAL_URLS": "true", "SHOPTRACE_PUBLIC_RATE_LIMIT": ""}


@pytest.fixture
def store(app: Flask) -> Store:
    shop_store: Store = app.extensions["shoptrace"].store
    return shop_store


def _endpoint(api: Api, url: str, topics: list[str] | None = None) -> dict[str, Any]:
    response = api.post("/webhooks", {"url": url, "topics": topics or ["recall.created"]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _recall(store: Store, merchant_id: int, n: int = 1) -> None:
    with store.begin() as conn:
        enqueue_event(
            conn,
            merchant_id,
            topic="recall.created",
            data={"recall": {"id": n, "gtin": "09506000134352", "lots": ["LOT42"]}},
            key=f"recall:{n}:created",
        )


def _messages(store: Store) -> list[Any]:
    with store.read() as conn:
        return list(conn.execute(sa.select(outbox).order_by(outbox.c.id)).all())


def _deliver(store: Store, **options: Any) -> Any:
    options.setdefault("rng", random.Random(7))
    return deliver_due(store, SIGNING_KEY, **options)


def test_a_message_is_posted_signed_and_marked_delivered(
    store: Store, api: Api, receiver: Receiver
) -> None:
    hook = _endpoint(api, receiver.url)
    _recall(store, api.merchant_id)
    report = _deliver(store)
    assert (report.delivered, report.retrying, report.dead) == (1, 0, 0)
    assert str(report) == "1 delivered, 0 to retry, 0 dead"
    [request] = receiver.requests
    headers = request["headers"]
    event = construct_event(request["body"], headers["ShopTrace-Signature"], hook["secret"])
    assert event["type"] == "recall.created" and event["merchant"] == api.merchant_id
    assert event["data"] == {"recall": {"id": 1, "gtin": "09506000134352", "lots": ["LOT42"]}}
    assert headers["ShopTrace-Event-Id"] == event["id"] and event["id"].startswith("evt_")
    assert headers["ShopTrace-Topic"] == "recall.created"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == f"shoptrace/{__version__}"
    assert request["path"] == "/hooks/shoptrace"
    [row] = _messages(store)
    assert (row.status, row.attempts, row.last_status, row.last_error) == (
        "delivered",
        1,
        200,
        None,
    )
    assert row.delivered_at is not None and row.lease_until is None
    # Nothing is due any more.
    assert _deliver(store).leased == 0
    assert len(receiver.requests) == 1
    shown = api.get(f"/webhooks/{hook['id']}/deliveries").get_json()["deliveries"]
    assert shown[0]["status"] == "delivered" and shown[0]["eventId"] == event["id"]


def test_failures_retry_with_growing_delays_then_die(
    store: Store, api: Api, receiver: Receiver
) -> None:
    _endpoint(api, receiver.url)
    _recall(store, api.merchant_id)
    receiver.statuses = [500, 502, 503, 500]
    now = utcnow()
    delays = []
    for attempt in range(1, 4):
        report = _deliver(store, now=now, max_attempts=4)
        assert report.retrying == 1, attempt
        [row] = _messages(store)
        assert (row.status, row.attempts) == ("pending", attempt)
        assert row.last_status == [500, 502, 503][attempt - 1]
        delay = row.next_attempt_at - now
        delays.append(delay.total_seconds())
        # Not due before its time ...
        assert _deliver(store, now=now + delay - timedelta(seconds=1)).leased == 0
        now = row.next_attempt_at
    assert 25 <= delays[0] <= 35 and 100 <= delays[1] <= 140 and 400 <= delays[2] <= 560
    assert delays[0] < delays[1] < delays[2]
    report = _deliver(store, now=now, max_attempts=4)
    assert (report.dead, report.retrying) == (1, 0)
    [row] = _messages(store)
    assert (row.status, row.attempts, row.last_status) == ("dead", 4, 500)
    assert row.last_error == "HTTP 500: nope"
    assert _deliver(store, now=now + timedelta(days=30)).leased == 0
    assert len(receiver.requests) == 4
    assert len({r["headers"]["ShopTrace-Event-Id"] for r in receiver.requests}) == 1


def test_backoff_grows_fourfold_to_a_cap_with_jitter() -> None:
    rng = random.Random(1)
    nominal = [30, 120, 480, 1920, 7680, 30720, 43200, 43200]
    for attempts, seconds in enumerate(nominal, start=1):
        got = backoff(attempts, rng=rng).total_seconds()
        assert seconds * 0.85 <= got <= seconds * 1.15, attempts
    assert backoff(50, rng=rng) <= timedelta(hours=12) * 1.15


def test_redelivery_sends_a_dead_message_again(store: Store, api: Api, receiver: Receiver) -> None:
    hook = _endpoint(api, receiver.url)
    _recall(store, api.merchant_id)
    receiver.statuses = [500]
    assert _deliver(store, max_attempts=1).dead == 1
    [row] = _messages(store)
    assert row.status == "dead"
    again = api.post(f"/webhooks/{hook['id']}/deliveries/{row.id}/redeliver")
    assert again.status_code == 202
    assert _deliver(store).delivered == 1
    [row] = _messages(store)
    assert (row.status, row.attempts) == ("delivered", 1)
    assert len(receiver.requests) == 2
    ids = {r["headers"]["ShopTrace-Event-Id"] for r in receiver.requests}
    assert len(ids) == 1
    # A delivered message can be sent again too.
    api.post(f"/webhooks/{hook['id']}/deliveries/{row.id}/redeliver")
    assert _deliver(store).delivered == 1 and len(receiver.requests) == 3


HTTPS_HOOK = "https://hooks.example.com/in?token=s3cr3t-token"


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


def test_timeouts_connection_errors_and_redirects_are_retried_without_leaking_the_url(
    store: Store, api: Api, mocked: responses.RequestsMock
) -> None:
    _endpoint(api, HTTPS_HOOK)
    _recall(store, api.merchant_id)
    mocked.add(responses.POST, HTTPS_HOOK, body=requests.exceptions.ReadTimeout("read timed out"))
    mocked.add(
        responses.POST,
        HTTPS_HOOK,
        body=requests.exceptions.ConnectionError(f"cannot reach {HTTPS_HOOK}"),
    )
    mocked.add(responses.POST, HTTPS_HOOK, status=302, headers={"Location": "https://x.example"})
    mocked.add(responses.POST, HTTPS_HOOK, status=429, headers={"Retry-After": "7200"})
    mocked.add(responses.POST, HTTPS_HOOK, status=204)
    now = utcnow()
    errors = []
    for _ in range(4):
        assert _deliver(store, now=now, timeout=3).retrying == 1
        [row] = _messages(store)
        errors.append((row.last_status, row.last_error))
        last_delay = row.next_attempt_at - now
        now = row.next_attempt_at
    assert errors[:3] == [
        (None, "timeout: no answer within 3 s"),
        (None, "connection failed"),
        (302, "HTTP 302 (redirects are not followed: register the final URL)"),
    ]
    assert errors[3][0] == 429
    assert last_delay >= timedelta(seconds=7200)  # Retry-After beats the 32 min backoff
    assert all(
        "s3cr3t" not in (e or "") and "hooks.example.com" not in (e or "") for _, e in errors
    )
    assert _deliver(store, now=now).delivered == 1
    [row] = _messages(store)
    assert (row.status, row.attempts, row.last_status) == ("delivered", 5, 204)
    sent = mocked.calls[-1].request
    assert sent.headers["ShopTrace-Topic"] == "recall.created"
    assert not any(c.request.url != HTTPS_HOOK for c in mocked.calls)


def test_a_refused_connection_is_recorded_as_such(store: Store, api: Api) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _endpoint(api, f"http://127.0.0.1:{port}/nobody")
    _recall(store, api.merchant_id)
    assert _deliver(store, timeout=2).retrying == 1
    [row] = _messages(store)
    assert (row.status, row.attempts, row.last_status) == ("pending", 1, None)
    assert row.last_error == "connection refused"


def test_two_workers_racing_send_each_message_exactly_once(
    store: Store, api: Api, receiver: Receiver
) -> None:
    _endpoint(api, receiver.url)
    for n in range(30):
        _recall(store, api.merchant_id, n)
    receiver.delay = 0.01
    barrier = threading.Barrier(3)
    reports: list[Any] = []

    def work() -> None:
        barrier.wait()
        reports.append(deliver_due(store, SIGNING_KEY))

    workers = [threading.Thread(target=work) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    ids = [r["headers"]["ShopTrace-Event-Id"] for r in receiver.requests]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert sum(r.delivered for r in reports) == 30
    assert {row.status for row in _messages(store)} == {"delivered"}


def test_requests_are_made_outside_any_transaction(
    store: Store, api: Api, mocked: responses.RequestsMock
) -> None:
    _endpoint(api, HTTPS_HOOK)
    for n in range(3):
        _recall(store, api.merchant_id, n)
    open_transactions = 0
    seen: list[int] = []

    def began(_conn: Any) -> None:
        nonlocal open_transactions
        open_transactions += 1

    def ended(_conn: Any) -> None:
        nonlocal open_transactions
        open_transactions -= 1

    def answer(_request: Any) -> tuple[int, dict[str, str], str]:
        seen.append(open_transactions)
        return 200, {}, "ok"

    mocked.add_callback(responses.POST, HTTPS_HOOK, callback=answer)
    for name, fn in (("begin", began), ("commit", ended), ("rollback", ended)):
        sa.event.listen(store.engine, name, fn)
    try:
        assert _deliver(store).delivered == 3
    finally:
        for name, fn in (("begin", began), ("commit", ended), ("rollback", ended)):
            sa.event.remove(store.engine, name, fn)
    assert seen == [0, 0, 0]


def test_a_leased_message_waits_for_its_lease_to_run_out(
    store: Store, api: Api, receiver: Receiver
) -> None:
    _endpoint(api, receiver.url)
    _recall(store, api.merchant_id)
    now = utcnow()
    with store.begin() as conn:
        conn.execute(outbox.update().values(lease_until=now + timedelta(minutes=5)))
    assert _deliver(store, now=now).leased == 0
    assert receiver.requests == []
    report = _deliver(store, now=now + timedelta(minutes=6))
    assert report.delivered == 1 and len(receiver.requests) == 1


def test_an_outcome_is_not_recorded_over_another_workers_lease(
    store: Store, api: Api, mocked: responses.RequestsMock
) -> None:
    _endpoint(api, HTTPS_HOOK)
    _recall(store, api.merchant_id)
    taken_over = utcnow() + timedelta(hours=1)

    def slow_answer(_request: Any) -> tuple[int, dict[str, str], str]:
        # Meanwhile the lease ran out and another worker took the message.
        with store.begin() as conn:
            conn.execute(outbox.update().values(lease_until=taken_over))
        return 200, {}, "ok"

    mocked.add_callback(responses.POST, HTTPS_HOOK, callback=slow_answer)
    report = _deliver(store)
    assert (report.lost, report.delivered) == (1, 0)
    [row] = _messages(store)
    assert row.status == "pending" and row.lease_until == taken_over and row.attempts == 0


def test_a_disabled_endpoint_holds_its_messages(store: Store, api: Api, receiver: Receiver) -> None:
    hook = _endpoint(api, receiver.url)
    _recall(store, api.merchant_id, 1)
    api.patch(f"/webhooks/{hook['id']}", {"enabled": False})
    _recall(store, api.merchant_id, 2)  # not queued at all: the endpoint is disabled
    assert _deliver(store).leased == 0
    assert receiver.requests == []
    [row] = _messages(store)
    assert (row.status, row.attempts) == ("pending", 0)
    api.patch(f"/webhooks/{hook['id']}", {"enabled": True})
    assert _deliver(store).delivered == 1 and len(receiver.requests) == 1


def test_disabling_an_endpoint_stops_its_deliveries_from_the_next_lease_on(
    store: Store, api: Api, mocked: responses.RequestsMock
) -> None:
    hook = _endpoint(api, HTTPS_HOOK)
    _recall(store, api.merchant_id, 1)
    _recall(store, api.merchant_id, 2)
    calls = 0

    def disable_then_answer(_request: Any) -> tuple[int, dict[str, str], str]:
        nonlocal calls
        calls += 1
        api.patch(f"/webhooks/{hook['id']}", {"enabled": False})
        return 200, {}, "ok"

    mocked.add_callback(responses.POST, HTTPS_HOOK, callback=disable_then_answer)
    report = _deliver(store)
    # Both were leased (and their targets read) before the first was sent: the second still
    # goes, since the lease had it; what matters is that later polls send nothing.
    assert report.delivered + report.skipped == 2 and calls == report.delivered
    _recall(store, api.merchant_id, 3)
    assert _deliver(store).leased == 0


def _signatures(request: dict[str, Any]) -> list[str]:
    header = request["headers"]["ShopTrace-Signature"]
    return [item[3:] for item in header.split(",") if item.startswith("v1=")]


def test_during_the_grace_window_a_receiver_with_either_secret_verifies(
    store: Store, api: Api, receiver: Receiver
) -> None:
    hook = _endpoint(api, receiver.url)
    _recall(store, api.merchant_id, 1)
    receiver.statuses = [500]
    now = utcnow()
    _deliver(store, now=now)  # the first try fails, before the rotation
    rotated = api.post(f"/webhooks/{hook['id']}/rotate-secret", {"expiresInSeconds": 3600})
    assert rotated.status_code == 200, rotated.get_json()
    new, old = rotated.get_json()["secret"], hook["secret"]
    _recall(store, api.merchant_id, 2)
    assert _deliver(store, now=now + timedelta(minutes=1)).delivered == 2
    first, *during = receiver.requests
    assert len(_signatures(first)) == 1
    for request in during:  # the retry and the new message alike
        header = request["headers"]["ShopTrace-Signature"]
        assert header.startswith("t=") and len(_signatures(request)) == 2
        # The new secret's signature comes first, then the previous one's.
        t = int(header.split(",")[0][2:])
        assert _signatures(request) == [
            compute_signature(request["body"], new, t),
            compute_signature(request["body"], old, t),
        ]
        for secret in (new, old):
            event = construct_event(request["body"], header, secret)
            assert event["type"] == "recall.created"
    # The window ends: from then on only the new secret signs.
    with store.begin() as conn:
        conn.execute(
            webhook_endpoints.update().values(
                previous_secret_expires_at=utcnow() - timedelta(seconds=1)
            )
        )
    assert api.get(f"/webhooks/{hook['id']}").get_json()["previousSecretExpiresAt"] is None
    _recall(store, api.merchant_id, 3)
    assert _deliver(store).delivered == 1
    after = receiver.requests[-1]
    header = after["headers"]["ShopTrace-Signature"]
    assert len(_signatures(after)) == 1
    assert construct_event(after["body"], header, new)["type"] == "recall.created"
    with pytest.raises(WebhookSignatureError) as refused:
        construct_event(after["body"], header, old)
    assert refused.value.reason == "mismatch"


def test_the_grace_window_ends_by_the_clock(store: Store, api: Api, receiver: Receiver) -> None:
    hook = _endpoint(api, receiver.url)
    rotated = api.post(f"/webhooks/{hook['id']}/rotate-secret", {"expiresInSeconds": 1})
    new = rotated.get_json()["secret"]
    until = datetime.fromisoformat(rotated.get_json()["previousSecretExpiresAt"])
    _recall(store, api.merchant_id, 1)
    assert _deliver(store).delivered == 1
    time.sleep(max(0.0, (until - utcnow()).total_seconds()) + 0.05)  # at most 2 s
    _recall(store, api.merchant_id, 2)
    assert _deliver(store).delivered == 1
    during, after = receiver.requests
    assert len(_signatures(during)) == 2 and len(_signatures(after)) == 1
    construct_event(after["body"], after["headers"]["ShopTrace-Signature"], new)
    with pytest.raises(WebhookSignatureError):
        construct_event(after["body"], after["headers"]["ShopTrace-Signature"], hook["secret"])


def test_rotation_without_grace_signs_later_tries_with_the_new_secret_only(
    store: Store, api: Api, receiver: Receiver
) -> None:
    hook = _endpoint(api, receiver.url)
    _recall(store, api.merchant_id)
    receiver.statuses = [500]
    now = utcnow()
    _deliver(store, now=now)
    rotated = api.post(f"/webhooks/{hook['id']}/rotate-secret", {"expiresInSeconds": 0})
    assert rotated.get_json()["previousSecretExpiresAt"] is None
    _deliver(store, now=now + timedelta(minutes=1))
    first, second = receiver.requests
    construct_event(first["body"], first["headers"]["ShopTrace-Signature"], hook["secret"])
    secret = rotated.get_json()["secret"]
    construct_event(second["body"], second["headers"]["ShopTrace-Signature"], secret)
    assert len(_signatures(second)) == 1
    with pytest.raises(ValueError):
        construct_event(second["body"], second["headers"]["ShopTrace-Signature"], hook["secret"])


def test_a_second_rotation_in_the_window_drops_the_oldest_secret(
    store: Store, api: Api, receiver: Receiver
) -> None:
    hook = _endpoint(api, receiver.url)
    first = api.post(f"/webhooks/{hook['id']}/rotate-secret").get_json()
    second = api.post(f"/webhooks/{hook['id']}/rotate-secret").get_json()
    assert len({hook["secret"], first["secret"], second["secret"]}) == 3
    _recall(store, api.merchant_id)
    assert _deliver(store).delivered == 1
    [request] = receiver.requests
    header = request["headers"]["ShopTrace-Signature"]
    assert len(_signatures(request)) == 2
    for secret in (second["secret"], first["secret"]):
        construct_event(request["body"], header, secret)
    with pytest.raises(WebhookSignatureError):
        construct_event(request["body"], header, hook["secret"])


def test_a_dead_message_is_dated_by_its_last_try(
    store: Store, api: Api, receiver: Receiver
) -> None:
    _endpoint(api, receiver.url)
    _recall(store, api.merchant_id)
    receiver.statuses = [500]
    died = utcnow() + timedelta(days=3)
    assert _deliver(store, now=died, max_attempts=1).dead == 1
    [row] = _messages(store)
    # Retention counts a dead message's age from when it died (see services/retention.py).
    assert (row.status, row.next_attempt_at) == ("dead", died)


def test_other_channels_wait_for_their_own_worker(store: Store, api: Api) -> None:
    with store.begin() as conn:
        message_id = enqueue_message(
            conn,
            api.merchant_id,
            channel="upstream",
            endpoint_id=1,
            topic="epcis.document",
            key="doc:1",
            payload="{}",
        )
        again = enqueue_message(
            conn,
            api.merchant_id,
            channel="upstream",
            endpoint_id=1,
            topic="epcis.document",
            key="doc:1",
            payload="{}",
        )
    assert message_id is not None and again is None
    assert _deliver(store).leased == 0
    assert _messages(store)[0].status == "pending"


def test_the_thread_runner_delivers_right_after_the_commit(
    db_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    app = make_app(
        db_url,
        tmp_path / "runner",
        SHOPTRACE_OUTBOX_RUNNER="thread",
        SHOPTRACE_OUTBOX_INTERVAL=3600,
        SHOPTRACE_WEBHOOK_LOCAL_URLS="true",
    )
    shop = app.extensions["shoptrace"]
    runner: OutboxRunner = shop.outbox_runner
    try:
        merchant_id, key = add_merchant(app, "Runner")
        api = Api(app.test_client(), key, merchant_id)
        assert not runner.running
        hook = _endpoint(api, receiver.url)
        assert runner.running  # the first request started it
        started = time.monotonic()
        api.post(f"/webhooks/{hook['id']}/test")
        receiver.wait(1)
        # A transaction outside the API that queues a message wakes it too.
        _recall(shop.store, merchant_id)
        receiver.wait(2)
        assert time.monotonic() - started < 10
        assert [r["headers"]["ShopTrace-Topic"] for r in receiver.requests] == [
            "webhook.test",
            "recall.created",
        ]
    finally:
        runner.stop()
        shop.store.dispose()
    assert not runner.running


def test_the_runner_survives_a_database_failure(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    runner = OutboxRunner(store, SIGNING_KEY, interval=60)
    store.engine.dispose()
    broken = Store(sa.create_engine("sqlite:////nonexistent-dir/none.db"))
    runner.store = broken
    report = runner.run_once()
    assert report.leased == 0
    assert "outbox runner: delivery failed" in caplog.text


def test_a_flagged_code_queues_a_code_suspicious_webhook(
    app: Flask, client: FlaskClient, receiver: Receiver
) -> None:
    shop = make_shop(app)
    with app.extensions["shoptrace"].store.begin() as conn:
        _info, key = create_key(conn, shop.merchant_id)
    api = Api(client, key, shop.merchant_id)
    hook = _endpoint(api, receiver.url, ["code.suspicious"])
    fake = forged(shop.serials[0])
    path = shop.unit()[: -len(fake)] + fake
    for _ in range(2):
        assert client.get(path, headers={"Accept": "application/json"}).status_code == 404
        flush_scans(app)
    store = app.extensions["shoptrace"].store
    [row] = _messages(store)
    assert (row.topic, row.endpoint_id, row.message_key) == (
        "code.suspicious",
        hook["id"],
        f"code:{shop.gtin}:{fake}:forged-serial",
    )
    assert _deliver(store).delivered == 1
    event = construct_event(
        receiver.requests[0]["body"],
        receiver.requests[0]["headers"]["ShopTrace-Signature"],
        hook["secret"],
    )
    assert event["type"] == "code.suspicious"
    assert event["data"] == {
        "gtin": shop.gtin,
        "lot": "LOT42",
        "serial": fake,
        "uri": f"https://shop.example.com/trace/01/{shop.gtin}/10/LOT42/21/{fake}",
        "unitId": None,
        "reason": "forged-serial",
        "clients": 1,
    }


def test_a_body_is_json_with_the_event_envelope(store: Store, api: Api) -> None:
    _endpoint(api, "https://hooks.example.com/x")
    when = datetime(2025, 3, 1, 8, 0, 0).astimezone()
    with store.begin() as conn:
        enqueue_event(
            conn,
            api.merchant_id,
            topic="recall.created",
            data={"at": when, "name": "有机苹果"},
            key="recall:9:created",
        )
    [row] = _messages(store)
    body = json.loads(row.payload)
    assert set(body) == {"id", "type", "created", "merchant", "data"}
    assert body["data"]["name"] == "有机苹果" and body["data"]["at"].endswith("Z")
    with store.begin() as conn, pytest.raises(TypeError):
        enqueue_event(
            conn, api.merchant_id, topic="recall.created", data={"x": object()}, key="bad"
        )


def test_a_runner_that_keeps_failing_logs_one_traceback_then_one_line_per_poll(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from shoptrace.shop_plugin.services.runner import PollingRunner

    class Broken(PollingRunner):
        def __init__(self) -> None:
            super().__init__(None, interval=1)  # type: ignore[arg-type]
            self.calls = 0

        def run_once(self, session: Any = None) -> None:
            self.calls += 1
            try:
                if self.calls in (1, 2, 4):
                    raise RuntimeError(f"database gone {self.calls}\nsecond line")
                self.report_success()
            except RuntimeError:
                self.report_failure(logging.getLogger("test.runner"), "round failed")

    runner = Broken()
    with caplog.at_level(logging.WARNING, logger="test.runner"):
        for _ in range(4):
            runner.run_once()
    records = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert records == [
        ("ERROR", "round failed", True),
        ("WARNING", "round failed (RuntimeError: database gone 2)", False),
        ("ERROR", "round failed", True),  # after a good round, a new failure is explained again
    ]
