"""Webhook endpoints through the merchant API: registration with a secret shown once, every
input rule, rotation, deletion, test messages, the delivery log and redelivery."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from shoptrace.sdk.webhooks import construct_event, sign
from shoptrace.shop_plugin.services import webhooks as webhook_service
from shoptrace.shop_plugin.services.outbox import endpoint_secret, enqueue_event
from shoptrace.shop_plugin.services.retention import Retention, prune
from shoptrace.shop_plugin.store.tables import idempotency_keys, outbox, webhook_endpoints
from tests.shop_plugin.helpers import SIGNING_KEY, Api, add_merchant, count_rows, make_app

HOOK = "https://hooks.example.com/shoptrace?token=abc"


def _create(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"url": HOOK, "topics": ["recall.created", "recall.closed"], **fields}
    response = api.post("/webhooks", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _rows(app: Flask, table: sa.Table) -> list[Any]:
    with app.extensions["shoptrace"].store.read() as conn:
        return list(conn.execute(sa.select(table).order_by(table.c.id)).all())


def _set(app: Flask, delivery_id: int, **values: Any) -> None:
    with app.extensions["shoptrace"].store.begin() as conn:
        conn.execute(outbox.update().where(outbox.c.id == delivery_id).values(**values))


@pytest.fixture
def check(api: Api) -> Any:
    doc = api.get("/openapi.json").get_json()
    registry = Registry().with_resource("urn:shoptrace:openapi", Resource(doc, DRAFT202012))

    def check(name: str, instance: Any) -> None:
        schema = {"$ref": f"urn:shoptrace:openapi#/components/schemas/{name}"}
        Draft202012Validator(schema, registry=registry).validate(instance)

    return check


def test_create_shows_the_secret_once_and_never_stores_it(app: Flask, api: Api, check: Any) -> None:
    response = api.post(
        "/webhooks",
        {"url": HOOK, "topics": ["recall.created", "recall.created"], "description": "ERP 进货"},
    )
    assert response.status_code == 201
    created = response.get_json()
    check("WebhookWithSecret", created)
    assert response.headers["Location"].endswith(f"/webhooks/{created['id']}")
    assert response.headers["Cache-Control"] == "no-store"
    assert created["topics"] == ["recall.created"]
    assert created["enabled"] is True and created["description"] == "ERP 进货"
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) == 49
    [row] = _rows(app, webhook_endpoints)
    assert endpoint_secret(SIGNING_KEY, row.secret_salt) == secret
    assert secret not in str(tuple(row)) and secret[6:] not in str(tuple(row))

    shown = api.get(f"/webhooks/{created['id']}").get_json()
    check("Webhook", shown)
    assert "secret" not in shown
    assert shown == {k: v for k, v in created.items() if k != "secret"}
    listed = api.get("/webhooks").get_json()
    check("WebhookList", listed)
    assert listed == {"webhooks": [shown], "nextPageToken": None}
    assert secret not in json.dumps(listed)


def test_an_idempotent_retry_replays_the_secret_without_storing_it(app: Flask, api: Api) -> None:
    body = {"url": HOOK, "topics": ["order.traced"]}
    first = api.post("/webhooks", body, headers={"Idempotency-Key": "hook-1"})
    again = api.post("/webhooks", body, headers={"Idempotency-Key": "hook-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert count_rows(app, webhook_endpoints) == 1
    [stored] = _rows(app, idempotency_keys)
    assert "whsec_" not in stored.response_body and first.get_json()["secret"][6:] not in str(
        tuple(stored)
    )


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"topics": ["recall.created"]}, "url", "required"),
        ({"url": HOOK}, "topics", "required"),
        ({"url": None, "topics": ["recall.created"]}, "url", "type"),
        ({"url": "http://hooks.example.com/x", "topics": ["recall.created"]}, "url", "https"),
        ({"url": "ftp://hooks.example.com/x", "topics": ["recall.created"]}, "url", "url"),
        ({"url": "hooks.example.com/x", "topics": ["recall.created"]}, "url", "url"),
        ({"url": "https://hooks.example.com/x#frag", "topics": ["recall.created"]}, "url", "url"),
        ({"url": "https://hooks.example.com:99999/", "topics": ["recall.created"]}, "url", "url"),
        ({"url": "https://localhost/x", "topics": ["recall.created"]}, "url", "public-host"),
        ({"url": "http://127.0.0.1:8000/", "topics": ["recall.created"]}, "url", "public-host"),
        ({"url": "https://10.1.2.3/x", "topics": ["recall.created"]}, "url", "public-host"),
        ({"url": "https://[::1]/x", "topics": ["recall.created"]}, "url", "public-host"),
        ({"url": "https://169.254.169.254/", "topics": ["recall.created"]}, "url", "public-host"),
        ({"url": "https://127.1/", "topics": ["recall.created"]}, "url", "public-host"),
        ({"url": "https://0x7f000001/", "topics": ["recall.created"]}, "url", "public-host"),
        ({"url": "https://2130706433/", "topics": ["recall.created"]}, "url", "public-host"),
        ({"url": "https://app.localhost/", "topics": ["recall.created"]}, "url", "public-host"),
        ({"url": "https://[fd00::1]/", "topics": ["recall.created"]}, "url", "public-host"),
        ({"url": "https://[/", "topics": ["recall.created"]}, "url", "url"),
        ({"url": HOOK, "topics": []}, "topics", "min-items"),
        ({"url": HOOK, "topics": "recall.created"}, "topics", "type"),
        ({"url": HOOK, "topics": ["recall.opened"]}, "topics[0]", "enum"),
        ({"url": HOOK, "topics": ["webhook.test"]}, "topics[0]", "enum"),
        (
            {"url": HOOK, "topics": ["recall.created"], "description": "x" * 201},
            "description",
            "max-length",
        ),
        (
            {"url": HOOK, "topics": ["recall.created"], "description": "a\nb"},
            "description",
            "characters",
        ),
        ({"url": HOOK, "topics": ["recall.created"], "enabled": "yes"}, "enabled", "type"),
        ({"url": HOOK, "topics": ["recall.created"], "enabled": None}, "enabled", "type"),
        ({"url": HOOK, "topics": ["recall.created"], "secret": "mine"}, "secret", "unknown-field"),
        ([HOOK], "(body)", "type"),
    ],
)
def test_bad_input_is_422_naming_field_and_rule_and_writes_nothing(
    app: Flask, api: Api, body: Any, field: str, rule: str
) -> None:
    response = api.post("/webhooks", body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert {"field": field, "rule": rule} in [
        {"field": e["field"], "rule": e["rule"]} for e in problem["errors"]
    ]
    assert count_rows(app, webhook_endpoints) == 0


def test_a_body_that_is_not_json_is_refused(app: Flask, api: Api) -> None:
    response = api.client.post(
        api.url("/webhooks"), data="url=x", headers=api.headers({"Content-Type": "text/plain"})
    )
    assert response.status_code == 415
    assert response.get_json()["errors"][0]["field"] == "Content-Type"
    broken = api.client.post(
        api.url("/webhooks"), data="{", headers=api.headers({"Content-Type": "application/json"})
    )
    assert broken.status_code == 400 and broken.get_json()["errors"][0]["rule"] == "json"
    assert count_rows(app, webhook_endpoints) == 0


def test_local_urls_need_the_setting(db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url, tmp_path / "local", SHOPTRACE_WEBHOOK_LOCAL_URLS="true")
    try:
        _id, key = add_merchant(app, "Local")
        api = Api(app.test_client(), key, _id)
        for url in ("http://127.0.0.1:8123/hook", "http://localhost/h", "https://192.168.1.5/h"):
            assert _create(api, url=url)["url"] == url
        refused = api.post(
            "/webhooks", {"url": "http://shop.example.com/h", "topics": ["recall.created"]}
        )
        assert refused.status_code == 422
        assert refused.get_json()["errors"][0]["rule"] == "https"
    finally:
        app.extensions["shoptrace"].store.dispose()


def test_update_changes_only_the_members_given(app: Flask, api: Api, check: Any) -> None:
    created = _create(api, description="first")
    path = f"/webhooks/{created['id']}"
    changed = api.patch(path, {"topics": ["code.suspicious"], "enabled": False})
    assert changed.status_code == 200
    body = changed.get_json()
    check("Webhook", body)
    assert body["topics"] == ["code.suspicious"] and body["enabled"] is False
    assert body["url"] == HOOK and body["description"] == "first"
    assert "secret" not in body
    assert api.patch(path, {"description": None}).get_json()["description"] is None
    bad = api.patch(path, {"url": "http://hooks.example.com", "topics": []})
    assert bad.status_code == 422
    assert sorted(e["field"] for e in bad.get_json()["errors"]) == ["topics", "url"]
    assert api.get(path).get_json()["topics"] == ["code.suspicious"]
    assert api.patch("/webhooks/999", {"enabled": True}).status_code == 404


def test_a_merchant_has_at_most_twenty_endpoints(app: Flask, api: Api) -> None:
    for n in range(webhook_service.MAX_ENDPOINTS):
        _create(api, url=f"https://hooks.example.com/{n}")
    refused = api.post("/webhooks", {"url": HOOK, "topics": ["recall.created"]})
    assert refused.status_code == 409
    assert refused.get_json()["errors"][0]["rule"] == "max-endpoints"
    first = api.get("/webhooks?pageSize=5").get_json()
    assert len(first["webhooks"]) == 5 and first["nextPageToken"]


def test_rotation_gives_a_new_secret_and_the_old_one_stops_verifying(
    app: Flask, api: Api, check: Any
) -> None:
    created = _create(api)
    rotated = api.post(f"/webhooks/{created['id']}/rotate-secret")
    assert rotated.status_code == 200
    body = rotated.get_json()
    check("WebhookWithSecret", body)
    assert body["secret"] != created["secret"] and body["secret"].startswith("whsec_")
    with app.extensions["shoptrace"].store.read() as conn:
        current = webhook_service.endpoint_secret_of(
            conn, api.merchant_id, created["id"], SIGNING_KEY
        )
    assert current == body["secret"]
    payload = b'{"id":"evt_x"}'
    construct_event(payload, sign(payload, current), body["secret"])
    with pytest.raises(ValueError, match="no signature matches"):
        construct_event(payload, sign(payload, current), created["secret"])
    assert "secret" not in api.get(f"/webhooks/{created['id']}").get_json()
    assert api.post("/webhooks/999/rotate-secret").status_code == 404


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_rotation_keeps_the_previous_secret_for_a_window_without_showing_it(
    app: Flask, api: Api, check: Any
) -> None:
    created = _create(api)
    assert created["previousSecretExpiresAt"] is None
    [before] = _rows(app, webhook_endpoints)
    started = datetime.now(UTC)
    response = api.post(f"/webhooks/{created['id']}/rotate-secret")  # no body: 24 hours
    assert response.status_code == 200
    body = response.get_json()
    check("WebhookWithSecret", body)
    until = _when(body["previousSecretExpiresAt"])
    assert started + timedelta(hours=24) - timedelta(seconds=1) <= until
    assert until <= datetime.now(UTC) + timedelta(hours=24, seconds=1)
    text = response.get_data(as_text=True)
    assert created["secret"] not in text and body["secret"] != created["secret"]
    [row] = _rows(app, webhook_endpoints)
    assert row.previous_secret_salt == before.secret_salt != row.secret_salt
    assert row.previous_secret_expires_at == until
    assert endpoint_secret(SIGNING_KEY, row.secret_salt) == body["secret"]
    shown = api.get(f"/webhooks/{created['id']}").get_json()
    check("Webhook", shown)
    assert shown["previousSecretExpiresAt"] == body["previousSecretExpiresAt"]
    assert "secret" not in shown and created["secret"] not in json.dumps(shown)
    listed = api.get("/webhooks").get_json()["webhooks"]
    assert listed[0]["previousSecretExpiresAt"] == body["previousSecretExpiresAt"]

    hour = api.post(f"/webhooks/{created['id']}/rotate-secret", {"expiresInSeconds": 3600})
    assert hour.status_code == 200
    until = _when(hour.get_json()["previousSecretExpiresAt"])
    assert timedelta(minutes=59) < until - datetime.now(UTC) <= timedelta(hours=1, seconds=1)
    # A second rotation inside the window keeps the then-current secret, not the oldest one.
    [row] = _rows(app, webhook_endpoints)
    assert endpoint_secret(SIGNING_KEY, row.previous_secret_salt) == body["secret"]

    now = api.post(f"/webhooks/{created['id']}/rotate-secret", {"expiresInSeconds": 0})
    assert now.get_json()["previousSecretExpiresAt"] is None
    [row] = _rows(app, webhook_endpoints)
    assert (row.previous_secret_salt, row.previous_secret_expires_at) == (None, None)
    empty = api.post(f"/webhooks/{created['id']}/rotate-secret", {})
    assert empty.get_json()["previousSecretExpiresAt"] is not None  # {}: the default


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"expiresInSeconds": -1}, "expiresInSeconds", "minimum"),
        ({"expiresInSeconds": 7 * 86400 + 1}, "expiresInSeconds", "maximum"),
        ({"expiresInSeconds": "3600"}, "expiresInSeconds", "type"),
        ({"expiresInSeconds": 1.5}, "expiresInSeconds", "type"),
        ({"expiresInSeconds": True}, "expiresInSeconds", "type"),
        ({"expiresInSeconds": None}, "expiresInSeconds", "type"),
        ({"expiresIn": 60}, "expiresIn", "unknown-field"),
        ([3600], "(body)", "type"),
        ("3600", "(body)", "type"),
    ],
)
def test_a_bad_rotation_body_is_a_400_naming_the_member_and_rule(
    app: Flask, api: Api, body: Any, field: str, rule: str
) -> None:
    created = _create(api)
    [before] = _rows(app, webhook_endpoints)
    response = api.post(f"/webhooks/{created['id']}/rotate-secret", body)
    assert response.status_code == 400, response.get_json()
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(field, rule)]
    assert "secret" not in problem and "whsec_" not in response.get_data(as_text=True)
    assert _rows(app, webhook_endpoints) == [before]  # nothing rotated


def test_a_bad_rotation_request_is_refused_before_anything_changes(app: Flask, api: Api) -> None:
    created = _create(api)
    [before] = _rows(app, webhook_endpoints)
    path = api.url(f"/webhooks/{created['id']}/rotate-secret")
    broken = api.client.post(
        path, data="{", headers=api.headers({"Content-Type": "application/json"})
    )
    assert broken.status_code == 400 and broken.get_json()["errors"][0]["rule"] == "json"
    text = api.client.post(path, data="3600", headers=api.headers({"Content-Type": "text/plain"}))
    assert text.status_code == 415
    ranged = api.post(f"/webhooks/{created['id']}/rotate-secret", {"expiresInSeconds": 10**6})
    assert ranged.get_json()["errors"][0]["detail"] == f"must be at most {7 * 86400}"
    assert _rows(app, webhook_endpoints) == [before]
    assert api.post("/webhooks/999/rotate-secret", {"expiresInSeconds": 60}).status_code == 404


def test_a_rotation_replayed_by_its_idempotency_key_rotates_once(app: Flask, api: Api) -> None:
    created = _create(api)
    headers = {"Idempotency-Key": "rotate-1"}
    path = f"/webhooks/{created['id']}/rotate-secret"
    first = api.post(path, {"expiresInSeconds": 600}, headers=headers)
    again = api.post(path, {"expiresInSeconds": 600}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json()
    [row] = _rows(app, webhook_endpoints)
    assert endpoint_secret(SIGNING_KEY, row.secret_salt) == first.get_json()["secret"]
    assert endpoint_secret(SIGNING_KEY, row.previous_secret_salt) == created["secret"]
    stored = _rows(app, idempotency_keys)
    assert stored and all(first.get_json()["secret"] not in str(tuple(r)) for r in stored)


def test_a_pruned_delivery_is_a_404_that_says_why(app: Flask, api: Api) -> None:
    created = _create(api)
    test = api.post(f"/webhooks/{created['id']}/test").get_json()
    old = datetime.now(UTC) - timedelta(days=45)
    _set(app, test["id"], status="delivered", delivered_at=old, next_attempt_at=old)
    report = prune(app.extensions["shoptrace"].store, Retention())
    assert report.delivered == 1
    path = f"/webhooks/{created['id']}/deliveries/{test['id']}"
    for response in (api.post(path + "/redeliver"), api.get(path)):
        assert response.status_code == 404
        [error] = response.get_json()["errors"]
        assert (error["field"], error["rule"]) == ("delivery_id", "not-found")
        assert "SHOPTRACE_OUTBOX_RETENTION_DAYS" in error["detail"] and "pruned" in error["detail"]
    assert count_rows(app, outbox) == 0


def test_delete_removes_the_endpoint_and_its_deliveries(app: Flask, api: Api, check: Any) -> None:
    created = _create(api)
    api.post(f"/webhooks/{created['id']}/test")
    assert count_rows(app, outbox) == 1
    deleted = api.client.delete(api.url(f"/webhooks/{created['id']}"), headers=api.headers())
    assert deleted.status_code == 200
    check("WebhookDeleted", deleted.get_json())
    assert deleted.get_json() == {"id": created["id"], "deleted": True}
    assert api.get(f"/webhooks/{created['id']}").status_code == 404
    assert count_rows(app, outbox) == 0 and count_rows(app, webhook_endpoints) == 0
    again = api.client.delete(api.url(f"/webhooks/{created['id']}"), headers=api.headers())
    assert again.status_code == 404
    assert again.get_json()["errors"][0] == {
        "field": "webhook_id",
        "rule": "not-found",
        "detail": f"webhook endpoint {created['id']} does not exist",
    }


def test_a_test_message_is_queued_for_the_endpoint_whatever_its_topics(
    app: Flask, api: Api, check: Any
) -> None:
    created = _create(api, topics=["order.traced"])
    response = api.post(f"/webhooks/{created['id']}/test")
    assert response.status_code == 202
    delivery = response.get_json()
    check("WebhookDelivery", delivery)
    assert delivery["topic"] == "webhook.test" and delivery["status"] == "pending"
    assert delivery["attempts"] == 0 and delivery["nextAttemptAt"] is not None
    assert delivery["lastStatus"] is None and delivery["deliveredAt"] is None
    assert delivery["payload"]["type"] == "webhook.test"
    assert delivery["payload"]["id"] == delivery["eventId"]
    assert delivery["payload"]["data"]["webhookId"] == created["id"]
    assert delivery["payload"]["merchant"] == api.merchant_id
    shown = api.get(response.headers["Location"]).get_json()
    assert shown == delivery


def test_the_delivery_log_lists_and_filters(app: Flask, api: Api, check: Any) -> None:
    created = _create(api)
    other = _create(api, url="https://other.example.com/h")
    with app.extensions["shoptrace"].store.begin() as conn:
        assert (
            enqueue_event(
                conn,
                api.merchant_id,
                topic="recall.created",
                data={"recall": 7},
                key="recall:7:created",
            )
            == 2
        )
        assert (
            enqueue_event(
                conn,
                api.merchant_id,
                topic="recall.created",
                data={"recall": 7},
                key="recall:7:created",
            )
            == 0
        )
        assert (
            enqueue_event(
                conn, api.merchant_id, topic="order.traced", data={}, key="order:1:traced"
            )
            == 0
        )
    test = api.post(f"/webhooks/{created['id']}/test").get_json()
    path = f"/webhooks/{created['id']}/deliveries"
    listed = api.get(path).get_json()
    check("WebhookDeliveryList", listed)
    assert [d["topic"] for d in listed["deliveries"]] == ["recall.created", "webhook.test"]
    assert all("payload" not in d for d in listed["deliveries"])
    assert all(d["webhookId"] == created["id"] for d in listed["deliveries"])
    assert [d["id"] for d in api.get(path + "?topic=webhook.test").get_json()["deliveries"]] == [
        test["id"]
    ]
    _set(app, test["id"], status="dead", attempts=8, last_status=500, last_error="HTTP 500")
    dead = api.get(path + "?status=dead").get_json()["deliveries"]
    assert [(d["id"], d["nextAttemptAt"], d["lastStatus"]) for d in dead] == [
        (test["id"], None, 500)
    ]
    page = api.get(path + "?pageSize=1").get_json()
    assert len(page["deliveries"]) == 1 and page["nextPageToken"]
    for query, field in (
        ("?status=lost", "status"),
        ("?topic=x", "topic"),
        ("?pageSize=0", "pageSize"),
    ):
        bad = api.get(path + query)
        assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == field
    other_log = api.get(f"/webhooks/{other['id']}/deliveries").get_json()["deliveries"]
    assert [d["topic"] for d in other_log] == ["recall.created"]
    assert other_log[0]["eventId"] == listed["deliveries"][0]["eventId"]
    wrong = api.get(f"/webhooks/{other['id']}/deliveries/{test['id']}")
    assert wrong.status_code == 404 and wrong.get_json()["errors"][0]["field"] == "delivery_id"


def test_redeliver_puts_a_dead_or_delivered_message_back_to_pending(
    app: Flask, api: Api, check: Any
) -> None:
    created = _create(api)
    test = api.post(f"/webhooks/{created['id']}/test").get_json()
    path = f"/webhooks/{created['id']}/deliveries/{test['id']}/redeliver"
    _set(app, test["id"], status="dead", attempts=8, last_status=503, last_error="HTTP 503")
    response = api.post(path)
    assert response.status_code == 202
    again = response.get_json()
    check("WebhookDelivery", again)
    assert (again["status"], again["attempts"], again["lastStatus"]) == ("pending", 0, 503)
    assert again["nextAttemptAt"] is not None
    _set(app, test["id"], status="delivered", attempts=1, last_status=200, last_error=None)
    assert api.post(path).get_json()["status"] == "pending"
    # Disabled endpoints hold their messages: redelivery says so.
    api.patch(f"/webhooks/{created['id']}", {"enabled": False})
    refused = api.post(path)
    assert refused.status_code == 409
    assert refused.get_json()["errors"][0] == {
        "field": "webhook_id",
        "rule": "disabled",
        "detail": "the endpoint is disabled",
    }
    assert api.post(f"/webhooks/{created['id']}/test").status_code == 409
    assert api.post(f"/webhooks/{created['id']}/deliveries/999/redeliver").status_code == 404


def test_disabled_and_unsubscribed_endpoints_get_no_messages(app: Flask, api: Api) -> None:
    on = _create(api, topics=["recall.created"])
    off = _create(api, topics=["recall.created"], enabled=False)
    _create(api, topics=["recall.closed"])
    with app.extensions["shoptrace"].store.begin() as conn:
        queued = enqueue_event(
            conn, api.merchant_id, topic="recall.created", data={"n": 1}, key="recall:1:created"
        )
        with pytest.raises(ValueError, match="unknown webhook topic"):
            enqueue_event(conn, api.merchant_id, topic="webhook.test", data={}, key="x")
    assert queued == 1
    assert [r.endpoint_id for r in _rows(app, outbox)] == [on["id"]]
    assert off["enabled"] is False


def test_another_merchant_sees_none_of_it(app: Flask, api: Api, other_api: Api) -> None:
    created = _create(api, description="Acme ERP")
    test = api.post(f"/webhooks/{created['id']}/test").get_json()
    assert other_api.get("/webhooks").get_json() == {"webhooks": [], "nextPageToken": None}
    for method, path in (
        ("GET", f"/webhooks/{created['id']}"),
        ("PATCH", f"/webhooks/{created['id']}"),
        ("DELETE", f"/webhooks/{created['id']}"),
        ("POST", f"/webhooks/{created['id']}/rotate-secret"),
        ("POST", f"/webhooks/{created['id']}/test"),
        ("GET", f"/webhooks/{created['id']}/deliveries"),
        ("GET", f"/webhooks/{created['id']}/deliveries/{test['id']}"),
        ("POST", f"/webhooks/{created['id']}/deliveries/{test['id']}/redeliver"),
    ):
        body = {"enabled": False} if method == "PATCH" else None
        response = other_api.client.open(
            other_api.url(path), method=method, json=body, headers=other_api.headers()
        )
        assert response.status_code == 404, (method, path)
        assert "Acme ERP" not in response.get_data(as_text=True)
    assert api.get(f"/webhooks/{created['id']}").get_json()["enabled"] is True
    assert count_rows(app, outbox) == 1


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_urls = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda scheme, host, rest: f"{scheme}://{host}{rest}",
        st.sampled_from(["http", "https", "ftp", "HTTPS", ""]),
        st.one_of(
            st.sampled_from(["hooks.example.com", "127.0.0.1", "[::1]", "0", "[", "a:b@c", ""]),
            st.text(max_size=12),
        ),
        st.text(max_size=12),
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        _json_values,
        st.fixed_dictionaries(
            {},
            optional={
                "url": st.one_of(_urls, _json_values),
                "topics": st.one_of(
                    st.lists(st.sampled_from(["recall.created", "order.traced", "x"]), max_size=3),
                    _json_values,
                ),
                "description": _json_values,
                "enabled": _json_values,
            },
        ),
    )
)
def test_no_body_makes_a_500(app: Flask, api: Api, body: Any) -> None:
    created = api.post("/webhooks", body)
    assert created.status_code in (201, 409, 415, 422), created.get_data(as_text=True)
    if created.status_code == 201:
        path = f"/webhooks/{created.get_json()['id']}"
        patched = api.patch(path, body)
        assert patched.status_code in (200, 415, 422), patched.get_data(as_text=True)
        api.client.delete(api.url(path), headers=api.headers())
    else:
        assert created.mimetype == "application/problem+json"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        _json_values,
        st.fixed_dictionaries(
            {}, optional={"expiresInSeconds": st.one_of(st.integers(), _json_values)}
        ),
    )
)
def test_no_rotation_body_makes_a_500(app: Flask, api: Api, body: Any) -> None:
    listed = api.get("/webhooks").get_json()["webhooks"]
    hook = listed[0] if listed else _create(api)
    response = api.post(f"/webhooks/{hook['id']}/rotate-secret", body)
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    if response.status_code == 400:
        assert response.mimetype == "application/problem+json"
        assert "whsec_" not in response.get_data(as_text=True)
