"""The client against a real service on 127.0.0.1: no mocks, every service driven."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from shoptrace.sdk.client import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    RateLimitError,
    TraceClient,
    ValidationError,
)
from shoptrace.sdk.epcis import dl_to_urn, urn_to_dl
from shoptrace.sdk.epcis import events as ev
from tests.sdk.client.live import LiveServer, live_server, sqlite_database

GTIN = "09506000134352"
FACTORY = "urn:epc:id:sgln:9506000.00001.0"
STORE = "urn:epc:id:sgln:9506000.00002.0"
START = datetime(2024, 5, 1, 8, tzinfo=UTC)


def _client(live: LiveServer, name: str, **options: object) -> TraceClient:
    client = TraceClient(live.merchant(name), base_url=live.base_url, **options)  # type: ignore[arg-type]
    client.transport.sleep = lambda seconds: None  # type: ignore[method-assign]
    return client


def _paths(live: LiveServer) -> set[str]:
    document = requests.get(live.base_url + "/api/v1/openapi.json", timeout=10).json()
    return set(document["paths"])


def test_catalogue_products_batches_codes(live: LiveServer, tmp_path: Path) -> None:
    with _client(live, "Catalogue") as client:
        categories = {c.code: c for c in client.categories.list()}
        assert categories["food"].name == {"en": "Food", "zh-CN": "食品"}
        product = client.products.create(
            gtin=GTIN,
            name={"zh-CN": "有机苹果", "en": "Organic apples"},
            category="food",
            listing_url="https://shop.example.com/p/apples",
        )
        assert product.gtin == GTIN and product.id >= 1
        assert client.products.get(product.id) == product
        changed = client.products.update(product.id, description={"en": "Crisp"})
        assert changed.description == {"en": "Crisp", "zh-CN": None} or changed.description
        assert [p.id for p in client.products.list(gtin=GTIN)] == [product.id]
        assert client.products.completeness(product.id).product_id == product.id

        batches = [
            client.batches.create(
                product_id=product.id,
                lot=f"LOT{n}",
                production_date=START.date(),
                origin={"place": {"zh-CN": "烟台", "en": "Yantai"}, "countryCode": "CN"},
            )
            for n in range(3)
        ]
        listed = list(client.batches.list(product_id=product.id, page_size=2))
        assert [b.id for b in listed] == [b.id for b in batches]
        batch = batches[0]
        assert batch.origin is not None and batch.origin.country_code == "CN"
        later = client.batches.update(batch.id, expiry_date=START.date() + timedelta(days=30))
        assert later.expiry_date == START.date() + timedelta(days=30)
        assert client.batches.get(batch.id).expiry_date == later.expiry_date
        assert client.batches.completeness(batch.id).batch_id == batch.id

        issued = client.codes.issue(batch.id, 5)
        assert issued.codes is not None and len(issued.codes) == 5
        codes = list(client.codes.list(batch.id, page_size=2))
        assert sorted(c.serial for c in codes) == sorted(c.serial for c in issued.codes)
        job = client.codes.issue(batch.id, 120, wait=True, poll_interval=0.05)
        assert job.codes is None and job.issuance.status == "done"
        assert job.issuance.done == 120
        assert {i.id for i in client.codes.issuances(batch.id)} == {
            issued.issuance.id,
            job.issuance.id,
        }
        assert client.codes.get_issuance(job.issuance.id).finished
        assert len(list(client.codes.list(batch.id, issuance=job.issuance.id))) == 120
        csv = client.codes.csv(batch.id, issuance=issued.issuance.id, lang="zh-CN")
        assert "有机苹果" in csv and len(csv.strip().splitlines()) == 6
        pdf = client.codes.labels(batch.id, issuance=issued.issuance.id, page_size=2)
        assert pdf.content.startswith(b"%PDF") and pdf.count == 2 and pdf.next_page_token
        pages = list(client.codes.label_pages(batch.id, issuance=issued.issuance.id, page_size=2))
        assert [p.count for p in pages] == [2, 2, 1]
        pages[0].save(str(tmp_path / "labels.pdf"))


def test_deleting_a_product_and_a_lot_registered_by_mistake(live: LiveServer) -> None:
    with _client(live, "Typos") as client:
        product = client.products.create(gtin=GTIN, name={"en": "Apples"}, category="food")
        typo = client.batches.create(product_id=product.id, lot="LOT4Z")
        coded = client.batches.create(product_id=product.id, lot="LOT42")
        client.codes.issue(coded.id, 2)
        with pytest.raises(ConflictError) as kept:
            client.batches.delete(coded.id)
        assert [(e.field, e.rule) for e in kept.value.errors] == [("codes", "in-use")]
        assert "2 unit codes were issued" in kept.value.errors[0].detail
        with pytest.raises(ConflictError) as has_lots:
            client.products.delete(product.id)
        assert [(e.field, e.rule) for e in has_lots.value.errors] == [("lots", "in-use")]
        assert "it has 2 lots" in has_lots.value.errors[0].detail
        gone = client.batches.delete(typo.id)
        assert (gone.id, gone.deleted) == (typo.id, True)
        with pytest.raises(NotFoundError):
            client.batches.get(typo.id)
        assert [b.id for b in client.batches.list(product_id=product.id)] == [coded.id]
        with pytest.raises(NotFoundError):
            client.batches.delete(typo.id)
        # A product with no lot at all goes.
        spare = client.products.create(gtin="09506000134369", name={"en": "x"}, category="food")
        assert client.products.delete(spare.id).deleted
        with pytest.raises(NotFoundError):
            client.products.get(spare.id)
        assert [p.id for p in client.products.list()] == [product.id]


def test_capture_query_trace_integrity(live: LiveServer) -> None:
    with _client(live, "Chain") as client:
        product = client.products.create(gtin=GTIN, name={"en": "Apples"}, category="food")
        batch = client.batches.create(product_id=product.id, lot="LOT42")
        issued = client.codes.issue(batch.id, 4)
        assert issued.codes is not None
        units = [c.uri for c in issued.codes]
        case = "urn:epc:id:sscc:9506000.0000000042"
        chain = [
            ev.commission(units, read_point=FACTORY, event_time=START),
            ev.pack(case, units, read_point=FACTORY, event_time=START + timedelta(hours=1)),
            ev.object_event(
                "OBSERVE",
                epcs=[case],
                biz_step="shipping",
                disposition="in_transit",
                read_point=FACTORY,
                event_time=START + timedelta(hours=2),
            ),
            ev.receive([case], biz_location=STORE, event_time=START + timedelta(hours=8)),
        ]
        job = client.events.capture(chain, wait=True)
        assert (job.running, job.success, job.stored, job.duplicates) == (False, True, 4, 0)
        again = client.events.capture(chain)  # capture is idempotent: all duplicates
        assert (again.stored, again.duplicates) == (0, 4)
        assert client.events.get_capture(job.capture_id).stored == 4
        assert [j.capture_id for j in client.events.captures(per_page=1)] == [
            job.capture_id,
            again.capture_id,
        ]
        sold = client.events.capture_event(
            ev.sell(units[:1], biz_location=STORE, event_time=START + timedelta(days=1))
        )
        assert sold.created and sold.event_id and sold.location
        repeat = client.events.capture_event(
            ev.sell(units[:1], biz_location=STORE, event_time=START + timedelta(days=1))
        )
        assert not repeat.created and repeat.event_id == sold.event_id
        assert client.events.get(sold.event_id)["bizStep"] == "retail_selling"

        found = client.events.query(
            MATCH_epc=units[0], per_page=1, order_by="eventTime", order_direction="ASC"
        ).all()
        assert [e["bizStep"] for e in found] == [
            "commissioning",
            "packing",
            "retail_selling",
        ]
        shipped = list(client.events.query(EQ_bizStep=["shipping", "receiving"], per_page=1))
        assert len(shipped) == 2
        recent = client.events.query(GE_eventTime=START + timedelta(hours=5)).all()
        assert {e["bizStep"] for e in recent} == {"receiving", "retail_selling"}
        with pytest.raises(ValidationError) as caught:
            list(client.events.query(GE_eventTime="soon"))
        assert caught.value.errors[0].field == "GE_eventTime"

        trace = client.traces.get(units[0])
        assert trace.kind == "unit" and trace.batch is not None and trace.batch.lot == "LOT42"
        assert [e.biz_step for e in trace.events] == [
            "commissioning",
            "packing",
            "shipping",
            "receiving",
            "retail_selling",
        ]
        assert trace.containers[0].container == urn_to_dl(case)
        by_urn = client.traces.get(dl_to_urn(units[1], gcp_length=7))
        assert by_urn.serial == units[1].rsplit("/", 1)[1]
        down = client.traces.downstream(batch.id)
        assert down.units.total == 4 and urn_to_dl(case) in down.containers
        report = client.integrity.verify()
        assert report.valid and report.events == 5 and report.first_break is None
        pages = list(client.integrity.pages(page_size=2))
        assert [(p.checked_from, p.checked_through) for p in pages] == [(1, 2), (3, 4), (5, 5)]
        assert [p.valid for p in pages] == [None, None, True]
        assert client.integrity.verify(page_size=2).events == 5
        with pytest.raises(ValidationError) as bad:
            client.events.capture([{"type": "ObjectEvent"}])
        assert bad.value.type == "epcisException:ValidationException"
        assert bad.value.errors and bad.value.errors[0].field.startswith("/epcisBody/eventList/0")


def test_errors_from_a_real_service(live: LiveServer) -> None:
    with _client(live, "Errors") as client:
        with pytest.raises(NotFoundError) as missing:
            client.products.get(999_999)
        assert missing.value.status == 404 and missing.value.errors[0].rule == "not-found"
        with pytest.raises(ValidationError) as invalid:
            client.products.create(gtin="123", name={"en": "x"}, category="nope")
        assert {e.field for e in invalid.value.errors} == {"gtin", "category"}
        client.products.create(gtin=GTIN, name={"en": "x"}, category="food")
        with pytest.raises(ConflictError) as clash:
            client.products.create(gtin=GTIN, name={"en": "x"}, category="food")
        assert clash.value.errors[0].field == "gtin"
        assert str(clash.value).startswith(f"[{clash.value.request_id}] 409 Conflict")
        with pytest.raises(NotFoundError):
            client.traces.get(f"https://shop.example.com/01/{GTIN}/21/NOPE")
        with pytest.raises(NotFoundError):
            client.events.get_capture(999_999)
    stranger = TraceClient("st_unknown0_" + "x" * 43, base_url=live.base_url)
    with pytest.raises(AuthenticationError) as denied:
        stranger.products.list().first_page()
    assert denied.value.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_lost_answer_is_retried_and_replayed_by_the_server(live: LiveServer) -> None:
    with _client(live, "Flaky") as client:
        live.flaky.seen.clear()
        live.flaky.fail_next[:] = [502, 503]  # the product is created, both answers are lost
        product = client.products.create(gtin=GTIN, name={"en": "Apples"}, category="food")
        posts = [s for s in live.flaky.seen if s[0] == "POST"]
        assert len(posts) == 3 and len({key for _, _, key in posts}) == 1
        assert [p.id for p in client.products.list()] == [product.id]  # made once
        live.flaky.fail_next[:] = [500]
        batch = client.batches.create(product_id=product.id, lot="LOT1")
        assert [b.id for b in client.batches.list()] == [batch.id]


def test_rate_limits_come_back_as_rate_limit_errors(tmp_path: Path) -> None:
    url = sqlite_database(tmp_path)
    with live_server(url, tmp_path / "instance", SHOPTRACE_RATE_LIMIT="2 per minute") as live:
        client = TraceClient(live.merchant("Busy"), base_url=live.base_url, max_retries=0)
        client.products.list().first_page()
        client.products.list().first_page()
        with pytest.raises(RateLimitError) as caught:
            client.products.list().first_page()
        assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 60
        client.close()


def test_webhook_endpoints(live: LiveServer) -> None:
    if "/webhooks" not in _paths(live):
        pytest.skip("the service has no webhook endpoints yet")
    with _client(live, "Hooks") as client:
        hooks = client.webhook_endpoints
        made = hooks.create(url="https://hooks.example.com/shoptrace", topics=["recall.created"])
        assert made.secret and made.secret.startswith("whsec_")
        assert hooks.get(made.id).secret is None
        changed = hooks.update(made.id, topics=["recall.created", "code.suspicious"])
        assert changed.topics == ("recall.created", "code.suspicious")
        assert [e.id for e in hooks.list()] == [made.id]
        rotated = hooks.rotate_secret(made.id)
        assert rotated.secret and rotated.secret != made.secret
        # The previous secret keeps signing for a day by default, then for what was asked.
        assert rotated.previous_secret_expires_at is not None
        soon = datetime.now(UTC) + timedelta(hours=23)
        assert rotated.previous_secret_expires_at > soon
        short = hooks.rotate_secret(made.id, expires_in_seconds=60)
        assert short.previous_secret_expires_at is not None
        assert short.previous_secret_expires_at < soon
        assert hooks.rotate_secret(made.id, expires_in_seconds=0).previous_secret_expires_at is None
        with pytest.raises(ValidationError) as refused:
            hooks.rotate_secret(made.id, expires_in_seconds=8 * 86400)
        assert refused.value.status == 400
        [error] = refused.value.errors
        assert (error.field, error.rule) == ("expiresInSeconds", "maximum")
        delivery = hooks.test(made.id)
        assert [d.id for d in hooks.deliveries(made.id)] == [delivery.id]
        assert hooks.get_delivery(made.id, delivery.id).payload is not None
        assert hooks.redeliver(made.id, delivery.id).status == "pending"
        assert hooks.delete(made.id).deleted
        with pytest.raises(NotFoundError):
            hooks.get(made.id)


def test_upstreams(live: LiveServer) -> None:
    if "/upstreams" not in _paths(live):
        pytest.skip("the service has no upstream endpoints yet")
    token = "tok_" + "L" * 40
    url = "https://epcis.example.com/epcis"
    with _client(live, "Upstreams") as client:
        ups = client.upstreams
        made = ups.create(
            name="Province", url=url, kind="provincial", auth={"type": "bearer", "token": token}
        )
        assert made.id >= 1 and (made.name, made.url, made.kind) == ("Province", url, "provincial")
        assert (made.mode, made.partner, made.batch_size, made.enabled) == (
            "capture",
            False,
            100,
            True,
        )
        assert (made.auth.type, made.auth.readable) == ("bearer", True)
        assert (made.status.state, made.status.backlog, made.status.head_seq) == ("synced", 0, 0)
        assert token not in repr(made) and token not in json.dumps(made.raw)
        assert ups.get(made.id) == made
        changed = ups.update(
            made.id,
            name="Province 2",
            batch_size=50,
            auth={"type": "header", "name": "X-API-Key", "value": token},
        )
        assert (changed.name, changed.batch_size) == ("Province 2", 50)
        assert (changed.auth.type, changed.auth.header) == ("header", "X-API-Key")
        assert token not in json.dumps(changed.raw)
        assert [u.id for u in ups.list(page_size=1)] == [made.id]
        assert ups.resume(made.id).status.attempts == 0
        assert ups.rewind(made.id, 0).status.pushed_seq == 0
        with pytest.raises(ValidationError) as beyond:
            ups.rewind(made.id, 5)  # the merchant has no events yet
        assert beyond.value.status == 400 and beyond.value.errors[0].field == "seq"
        with pytest.raises(ValidationError) as invalid:
            ups.create(name="Bad", url=url, auth={"type": "bearer", "token": "a b " + token})
        assert invalid.value.errors[0].field == "auth.token"
        for shown in (str(invalid.value), repr(invalid.value), json.dumps(invalid.value.problem)):
            assert token not in shown
        with pytest.raises(ConflictError):
            ups.create(name="Province 2", url=url)  # the name is taken
        assert ups.update(made.id, enabled=False).status.state == "disabled"
        with pytest.raises(ConflictError):
            ups.resume(made.id)
        deleted = ups.delete(made.id)
        assert (deleted.id, deleted.deleted) == (made.id, True)
        with pytest.raises(NotFoundError):
            ups.get(made.id)
        assert ups.list().all() == []


def test_connections(live: LiveServer) -> None:
    if "/connections" not in _paths(live):
        pytest.skip("the service has no shop connections yet")
    secret = "shpss_" + "c" * 32
    rotated = "shpss_" + "d" * 32
    with _client(live, "Connections") as client:
        conns = client.connections
        made = conns.create(platform="shopify", shop="https://Acme.myshopify.com/", secret=secret)
        assert made.id >= 1 and (made.platform, made.shop) == ("shopify", "acme.myshopify.com")
        assert (made.status, made.verification) == ("active", ("hmac-sha256",))
        assert made.webhook_url.endswith("/trace/hooks/shopify")  # on the public base URL
        assert made.previous_secret_until is None
        assert secret not in repr(made) and secret not in json.dumps(made.raw)
        assert conns.get(made.id) == made
        changed = conns.update(made.id, secret=rotated, grace_seconds=3600)
        assert changed.previous_secret_until is not None
        assert changed.previous_secret_until > datetime.now(UTC)
        assert rotated not in json.dumps(changed.raw) and secret not in json.dumps(changed.raw)
        assert [c.id for c in conns.list(platform="shopify")] == [made.id]
        assert conns.list(platform="saleor").all() == []
        with pytest.raises(ConflictError) as taken:
            conns.create(platform="shopify", shop="acme.myshopify.com", secret=secret)
        assert taken.value.errors[0].field == "shop"
        with pytest.raises(ValidationError) as invalid:
            conns.create(platform="woocommerce", shop="shop.example.com", secret=secret[:7])
        assert invalid.value.errors[0].field == "secret"
        for error in (taken.value, invalid.value):
            for shown in (str(error), repr(error), json.dumps(error.problem)):
                assert secret not in shown and secret[:7] not in shown
        deleted = conns.delete(made.id)
        assert (deleted.id, deleted.deleted, deleted["shop"]) == (
            made.id,
            True,
            "acme.myshopify.com",
        )
        with pytest.raises(NotFoundError):
            conns.get(made.id)


def test_orders(live: LiveServer) -> None:
    if "/orders" not in _paths(live):
        pytest.skip("the service has no orders API yet")
    with _client(live, "Orders") as client:
        product = client.products.create(gtin=GTIN, name={"en": "Apples"}, category="food")
        batch = client.batches.create(product_id=product.id, lot="LOT7")
        issued = client.codes.issue(batch.id, 2)
        assert issued.codes is not None
        units = [c.uri for c in issued.codes]
        client.events.capture([ev.commission(units, event_time=START)])
        order = {
            "id": "1001/A",
            "number": "#1001",
            "customer": "cust-7",
            "destination": {"country": "CN", "region": "Shandong"},
            "lines": [{"id": "L1", "gtin": GTIN, "quantity": 2}],
        }
        placed = client.orders.place(**order)
        assert (placed.id, placed.status) == ("1001/A", "placed")
        assert client.orders.get("1001/A").number == "#1001"
        assert [o.id for o in client.orders.list(customer="cust-7")] == ["1001/A"]
        fulfilled = client.orders.fulfil("1001/A", units=units)
        assert fulfilled.status == "fulfilled"
        assert sorted(u.uri for u in fulfilled.lines[0].units) == sorted(units)
        assert client.orders.deliver("1001/A").status == "delivered"
        returned = client.orders.return_("1001/A", units=units[:1])
        assert returned.id == "1001/A"
        other = client.orders.place(id="1002", lines=[{"gtin": GTIN, "quantity": 1}])
        assert client.orders.cancel(other.id).status == "cancelled"


def test_recalls(live: LiveServer) -> None:
    if "/recalls" not in _paths(live):
        pytest.skip("the service has no recalls API yet")
    with _client(live, "Recalls") as client:
        product = client.products.create(gtin=GTIN, name={"en": "Apples"}, category="food")
        batch = client.batches.create(product_id=product.id, lot="LOT9")
        issued = client.codes.issue(batch.id, 3)
        assert issued.codes is not None
        units = [c.uri for c in issued.codes]
        client.events.capture([ev.commission(units, event_time=START)])
        for n, unit in enumerate(units):
            client.orders.place(id=f"R{n}", lines=[{"gtin": GTIN, "quantity": 1}])
            client.orders.fulfil(f"R{n}", units=[unit])
        recall = client.recalls.create(
            gtin=GTIN,
            lots=["LOT9"],
            reason={"zh-CN": "检出农药残留超标", "en": "Pesticide residue above the limit"},
            severity=1,
        )
        assert (recall.scope, recall.lots, recall.status, recall.severity) == (
            "lots",
            ("LOT9",),
            "open",
            "1",
        )
        assert recall.impact.units.total == 3 and recall.impact.order_count == 3
        assert len(recall.events) == 1
        assert client.recalls.get(recall.id).reason == recall.reason
        assert [r.id for r in client.recalls.list(status="open", gtin=GTIN)] == [recall.id]
        impact = client.recalls.impact(recall.id, page_size=2)
        assert impact.recall_id == recall.id and len(impact.orders) == 2
        assert impact.next_page_token is not None
        orders = list(client.recalls.impact_orders(recall.id, page_size=2))
        assert sorted(o.id for o in orders) == ["R0", "R1", "R2"]
        assert all(o.lines[0].affected >= 1 for o in orders)
        csv = client.recalls.impact_csv(recall.id)
        assert not csv.startswith("\ufeff") and len(csv.strip().splitlines()) == 4
        trace = client.traces.get(units[0])
        assert trace.events[-1].disposition == "recalled"
        closed = client.recalls.close(recall.id, note="stock destroyed")
        assert (closed.status, closed.close_note) == ("closed", "stock destroyed")
        with pytest.raises(ConflictError):
            client.recalls.close(recall.id)
