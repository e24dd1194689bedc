"""Every service method: the request it sends and the typed result it builds."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import responses
from responses import matchers

from shoptrace.sdk.client import (
    NOT_GIVEN,
    ConflictError,
    TraceClient,
    WaitTimeoutError,
)
from shoptrace.sdk.client.models import Product
from shoptrace.sdk.epcis import events as ev
from tests.sdk.client import payloads
from tests.sdk.client.conftest import API, EPCIS

JSON = matchers.json_params_matcher


def _sent(mocked: responses.RequestsMock, n: int = 0) -> object:
    body = mocked.calls[n].request.body
    return json.loads(body) if body else None


# --- products ------------------------------------------------------------------------------


def test_products_create(client: TraceClient, mocked: responses.RequestsMock) -> None:
    mocked.post(
        API + "/products",
        json=payloads.product(),
        status=201,
        headers={"Location": "/trace/api/v1/products/1"},
        match=[
            JSON(
                {
                    "gtin": payloads.GTIN,
                    "name": {"zh-CN": "有机苹果", "en": "Organic apples"},
                    "category": "food",
                    "listingUrl": "https://shop.example.com/p/1",
                    "certifications": [{"scheme": "organic"}],
                    "extraField": 1,
                }
            )
        ],
    )
    product = client.products.create(
        gtin=payloads.GTIN,
        name={"zh-CN": "有机苹果", "en": "Organic apples"},
        category="food",
        listing_url="https://shop.example.com/p/1",
        certifications=[{"scheme": "organic"}],
        extra={"extraField": 1},
    )
    assert isinstance(product, Product)
    assert (product.id, product.gtin, product.category) == (1, payloads.GTIN, "food")
    assert product.name == {"zh-CN": "有机苹果", "en": "Organic apples"}
    assert product.certifications[0].valid_until == date(2026, 12, 31)
    assert product.certifications[0].verification == "third-party"
    assert product.created_at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert product.raw == payloads.product()
    assert product["shopProductId"] == "sp-1" and product.get("missing", 0) == 0


def test_products_get_update_completeness(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(API + "/products/1", json=payloads.product())
    mocked.patch(
        API + "/products/1",
        json=payloads.product(description={"en": "Crisp"}),
        match=[JSON({"description": {"en": "Crisp"}, "listingUrl": None})],
    )
    mocked.get(
        API + "/products/1/completeness",
        json={
            "productId": 1,
            "category": "food",
            "score": 0.5,
            "complete": False,
            "required": [
                {"field": "gtin", "level": "product", "label": {"en": "GTIN"}, "present": True}
            ],
            "missing": ["origin"],
            "batchRequired": [],
            "batches": {
                "total": 2,
                "complete": 1,
                "incomplete": [{"batchId": 7, "lot": "LOT42", "missing": ["origin"]}],
            },
        },
    )
    assert client.products.get(1).shop_product_id == "sp-1"
    updated = client.products.update(1, description={"en": "Crisp"}, listing_url=None)
    assert updated.description == {"en": "Crisp"}
    report = client.products.completeness(1)
    assert (report.score, report.complete, report.missing) == (0.5, False, ("origin",))
    assert report.required[0].present is True
    assert (report.batches_total, report.batches_complete) == (2, 1)
    assert report.incomplete_batches[0]["lot"] == "LOT42"


def test_update_sends_only_the_members_given(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.patch(API + "/products/1", json=payloads.product(), match=[JSON({})])
    client.products.update(1)
    assert repr(NOT_GIVEN) == "NOT_GIVEN" and not NOT_GIVEN


@pytest.mark.parametrize("bad", [0, -1, True, "1", 1.0])
def test_bad_ids_fail_before_any_request(client: TraceClient, bad: object) -> None:
    with pytest.raises(ValueError, match="product_id"):
        client.products.get(bad)  # type: ignore[arg-type]


def _in_use(what: str, detail: str) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": f"was not deleted: {detail}",
        "errors": [{"field": what, "rule": "in-use", "detail": detail}],
    }


@pytest.mark.parametrize(
    ("service", "path", "what"),
    [("products", "/products/1", "lots"), ("batches", "/batches/7", "codes")],
)
def test_delete_answers_deleted_or_raises_in_use_at_once(
    client: TraceClient,
    mocked: responses.RequestsMock,
    sleeps: list[float],
    service: str,
    path: str,
    what: str,
) -> None:
    row_id = int(path.rsplit("/", 1)[1])
    mocked.delete(API + path, json={"id": row_id, "deleted": True})
    mocked.delete(
        API + path,
        json=_in_use(what, "kept"),
        status=409,
        content_type="application/problem+json",
    )
    gone = getattr(client, service).delete(row_id)
    assert (gone.id, gone.deleted, gone.raw) == (row_id, True, {"id": row_id, "deleted": True})
    assert mocked.calls[0].request.body is None
    assert len(mocked.calls[0].request.headers["Idempotency-Key"]) == 36  # a fresh UUID
    with pytest.raises(ConflictError) as kept:
        getattr(client, service).delete(row_id)
    assert [(e.field, e.rule) for e in kept.value.errors] == [(what, "in-use")]
    assert len(mocked.calls) == 2 and sleeps == []  # a plain 409 is not retried
    with pytest.raises(ValueError, match="_id"):
        getattr(client, service).delete(0)


@pytest.mark.parametrize(
    "service", ["products", "batches", "locations", "connections", "upstreams", "webhook_endpoints"]
)
def test_a_delete_retried_after_a_lost_answer_keeps_its_idempotency_key(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float], service: str
) -> None:
    path = {"webhook_endpoints": "/webhooks/3"}.get(service, f"/{service}/3")
    mocked.delete(API + path, status=503, json={"title": "Service Unavailable", "status": 503})
    mocked.delete(API + path, json={"id": 3, "deleted": True})
    gone = getattr(client, service).delete(3)
    assert (gone.id, gone.deleted) == (3, True)
    keys = [call.request.headers.get("Idempotency-Key") for call in mocked.calls]
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0] is not None
    assert len(sleeps) == 1  # retried once


# --- batches -------------------------------------------------------------------------------


def test_batches(client: TraceClient, mocked: responses.RequestsMock) -> None:
    mocked.post(
        API + "/batches",
        json=payloads.batch(),
        status=201,
        match=[
            JSON(
                {
                    "productId": 1,
                    "lot": "LOT42",
                    "productionDate": "2024-04-30",
                    "origin": {"place": {"en": "Yantai"}},
                }
            )
        ],
    )
    mocked.get(API + "/batches/7", json=payloads.batch())
    mocked.patch(
        API + "/batches/7",
        json=payloads.batch(expiryDate="2024-12-01"),
        match=[JSON({"expiryDate": "2024-12-01", "producer": None})],
    )
    mocked.get(
        API + "/batches",
        json={"batches": [payloads.batch()], "nextPageToken": None},
        match=[matchers.query_param_matcher({"productId": "1", "lot": "LOT42"})],
    )
    mocked.get(
        API + "/batches/7/completeness",
        json={
            "batchId": 7,
            "productId": 1,
            "category": "food",
            "score": 1,
            "complete": True,
            "required": [],
            "missing": [],
        },
    )
    created = client.batches.create(
        product_id=1,
        lot="LOT42",
        production_date=date(2024, 4, 30),
        origin={"place": {"en": "Yantai"}},
    )
    assert (created.id, created.lot, created.codes_issued) == (7, "LOT42", 3)
    assert created.production_date == date(2024, 4, 30) and created.expiry_date is None
    assert created.origin is not None and created.origin.country_code == "CN"
    assert created.producer is not None and created.producer.gln == "9506000000003"
    assert created.inspection_reports[0].date == date(2024, 5, 2)
    assert client.batches.get(7).gtin == payloads.GTIN
    changed = client.batches.update(7, expiry_date=date(2024, 12, 1), producer=None)
    assert changed.expiry_date == date(2024, 12, 1)
    assert [b.id for b in client.batches.list(product_id=1, lot="LOT42")] == [7]
    assert client.batches.completeness(7).complete is True


# --- codes ---------------------------------------------------------------------------------


def test_codes_issue_at_once(client: TraceClient, mocked: responses.RequestsMock) -> None:
    mocked.post(
        API + "/batches/7/codes",
        status=201,
        json={
            "issuance": payloads.issuance(),
            "codes": [
                {"serial": "A1", "uri": "https://s/01/x/21/A1"},
                {"serial": "A2", "uri": "https://s/01/x/21/A2"},
            ],
        },
        headers={"Location": "/trace/api/v1/issuances/3"},
        match=[JSON({"count": 2})],
    )
    result = client.codes.issue(7, 2)
    assert result.codes is not None and [c.serial for c in result.codes] == ["A1", "A2"]
    assert not result.pending and result.issuance.finished
    assert result.location == API + "/issuances/3"
    assert "Idempotency-Key" in mocked.calls[0].request.headers


def test_codes_issue_as_a_job_and_wait(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.post(
        API + "/batches/7/codes",
        status=202,
        json={"issuance": payloads.issuance(status="pending", count=5000, done=0)},
        headers={"Location": "/trace/api/v1/issuances/3"},
    )
    mocked.get(API + "/issuances/3", json=payloads.issuance(status="running", count=5000, done=9))
    mocked.get(API + "/issuances/3", json=payloads.issuance(status="done", count=5000, done=5000))
    result = client.codes.issue(7, 5000, wait=True, poll_interval=0.2)
    assert result.codes is None and result.issuance.status == "done"
    assert result.issuance.progress == 1.0
    assert sleeps == [0.2, pytest.approx(0.3)]


def test_wait_times_out_with_the_last_job(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    clock = [0.0]
    client.transport.monotonic = lambda: clock[0]  # type: ignore[method-assign]
    client.transport.sleep = lambda s: clock.__setitem__(0, clock[0] + s)  # type: ignore[method-assign]
    running = payloads.issuance(status="running", count=10, done=1)
    for _ in range(4):
        mocked.get(API + "/issuances/3", json=running)
    mocked.assert_all_requests_are_fired = False
    with pytest.raises(WaitTimeoutError) as caught:
        client.codes.wait(3, timeout=2.0, interval=0.5)
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.job.status == "running"
    assert "issuance 3 not finished after 2.0 s" in str(caught.value)
    with pytest.raises(ValueError, match="positive"):
        client.codes.wait(3, timeout=0)


def test_codes_lists_csv_labels(client: TraceClient, mocked: responses.RequestsMock) -> None:
    mocked.get(API + "/batches/7/issuances", json={"issuances": [payloads.issuance()]})
    mocked.get(API + "/issuances/3", json=payloads.issuance())
    mocked.get(
        API + "/batches/7/codes",
        json={"codes": [payloads.code("A1")], "nextPageToken": "n2"},
        match=[matchers.query_param_matcher({"issuance": "3", "pageSize": "1"})],
    )
    mocked.get(
        API + "/batches/7/codes",
        json={"codes": [payloads.code("A2")], "nextPageToken": None},
        match=[matchers.query_param_matcher({"issuance": "3", "pageSize": "1", "pageToken": "n2"})],
    )
    mocked.get(
        API + "/batches/7/codes.csv",
        body="serial,uri,product_name\nA1,https://s/A1,有机苹果\n".encode(),
        content_type="text/csv",
        match=[matchers.query_param_matcher({"lang": "zh-CN"})],
    )
    mocked.get(
        API + "/batches/7/codes.pdf",
        body=b"%PDF-1.4 one",
        content_type="application/pdf",
        headers={
            "X-Label-Count": "24",
            "Link": f'<{API}/batches/7/codes.pdf?layout=a4-3x8&pageToken=p2>; rel="next"',
        },
        match=[matchers.query_param_matcher({"layout": "a4-3x8"})],
    )
    mocked.get(
        API + "/batches/7/codes.pdf",
        body=b"%PDF-1.4 two",
        content_type="application/pdf",
        headers={"X-Label-Count": "3"},
        match=[matchers.query_param_matcher({"layout": "a4-3x8", "pageToken": "p2"})],
    )
    assert [j.id for j in client.codes.issuances(7)] == [3]
    assert client.codes.get_issuance(3).count == 2
    codes = list(client.codes.list(7, issuance=3, page_size=1))
    assert [(c.serial, c.status, c.issuance_id) for c in codes] == [
        ("A1", "issued", 3),
        ("A2", "issued", 3),
    ]
    assert "有机苹果" in client.codes.csv(7, lang="zh-CN")
    assert mocked.calls[4].request.headers["Accept"] == "text/csv"
    pdfs = list(client.codes.label_pages(7, layout="a4-3x8"))
    assert [(p.content, p.count, p.next_page_token) for p in pdfs] == [
        (b"%PDF-1.4 one", 24, "p2"),
        (b"%PDF-1.4 two", 3, None),
    ]
    assert mocked.calls[5].request.headers["Accept"] == "application/pdf"


def test_label_pdf_saves(
    tmp_path: Path, client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(API + "/batches/7/codes.pdf", body=b"%PDF", content_type="application/pdf")
    pdf = client.codes.labels(7)
    target = tmp_path / "labels.pdf"
    pdf.save(str(target))
    assert target.read_bytes() == b"%PDF" and pdf.count == 0


# --- events (EPCIS) ------------------------------------------------------------------------


def test_capture_a_list_of_events_and_wait(
    client: TraceClient, mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    mocked.post(
        EPCIS + "/capture",
        status=202,
        json=payloads.capture_job("12", running=True),
        headers={"Location": "/trace/epcis/capture/12"},
        match=[matchers.header_matcher({"GS1-Capture-Error-Behaviour": "proceed"})],
    )
    mocked.get(EPCIS + "/capture/12", json=payloads.capture_job("12", running=True))
    mocked.get(EPCIS + "/capture/12", json=payloads.capture_job("12"))
    events = [ev.commission([payloads.UNIT]), ev.sell([payloads.UNIT])]
    job = client.events.capture(events, error_behaviour="proceed", wait=True, poll_interval=0.5)
    assert (job.capture_id, job.running, job.success, job.stored) == ("12", False, True, 2)
    assert job.location == EPCIS + "/capture/12"
    sent = mocked.calls[0].request
    assert sent.headers["Content-Type"] == "application/ld+json"
    assert "Idempotency-Key" in sent.headers
    document = json.loads(sent.body)
    assert document["type"] == "EPCISDocument"
    assert [e["bizStep"] for e in document["epcisBody"]["eventList"]] == [
        "commissioning",
        "retail_selling",
    ]
    assert sleeps == [0.5, 0.75]


def test_capture_documents_as_dict_text_or_bytes(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    doc = {"type": "EPCISDocument", "epcisBody": {"eventList": []}}
    for _ in range(3):
        mocked.post(EPCIS + "/capture", status=202, json=payloads.capture_job())
    client.events.capture(doc)
    client.events.capture(json.dumps(doc))
    client.events.capture(json.dumps(doc).encode())
    assert [json.loads(c.request.body) for c in mocked.calls] == [doc, doc, doc]
    with pytest.raises(ValueError, match="error_behaviour"):
        client.events.capture(doc, error_behaviour="ignore")
    with pytest.raises(TypeError, match="EPCISDocument"):
        client.events.capture(42)  # type: ignore[arg-type]


def test_capture_jobs(client: TraceClient, mocked: responses.RequestsMock) -> None:
    mocked.get(EPCIS + "/capture/5", json=payloads.capture_job("5"))
    job = client.events.get_capture(5)
    assert job.capture_id == "5" and client.events.wait(job) is job
    with pytest.raises(ValueError, match="capture_id"):
        client.events.get_capture("../x")


def test_capture_one_event(client: TraceClient, mocked: responses.RequestsMock) -> None:
    stored = {**payloads.event(1), "recordTime": payloads.STAMP}
    location = "/trace/epcis/events/ni%3A%2F%2F%2Fsha-256%3B1"
    mocked.post(EPCIS + "/events", status=201, json=stored, headers={"Location": location})
    mocked.post(EPCIS + "/events", status=200, json=stored, headers={"Location": location})
    event = ev.object_event("OBSERVE", epcs=[payloads.UNIT], biz_step="shipping")
    first = client.events.capture_event(event)
    again = client.events.capture_event(event)
    assert (first.created, again.created) == (True, False)
    assert first.event_id == stored["eventID"] and first.event["recordTime"] == payloads.STAMP
    assert first.location == "http://trace.test" + location
    sent = json.loads(mocked.calls[0].request.body)
    assert "@context" in sent and sent["bizStep"] == "shipping"


def test_get_one_event_quotes_its_id(client: TraceClient, mocked: responses.RequestsMock) -> None:
    event = payloads.event(1)
    mocked.get(
        EPCIS + "/events/ni%3A%2F%2F%2Fsha-256%3B" + f"{1:064x}" + "%3Fver%3DCBV2.0",
        json=payloads.query_document([event]),
    )
    assert client.events.get(event["eventID"]) == event
    with pytest.raises(ValueError, match="event_id"):
        client.events.get("")


def test_query_parameter_values(client: TraceClient, mocked: responses.RequestsMock) -> None:
    since = datetime(2024, 5, 1, 18, tzinfo=timezone(timedelta(hours=8)))
    mocked.get(
        EPCIS + "/events",
        json=payloads.query_document([]),
        match=[
            matchers.query_param_matcher(
                {
                    "EQ_bizStep": "shipping|receiving",
                    "GE_eventTime": "2024-05-01T10:00:00Z",
                    "MATCH_epc": payloads.UNIT,
                    "orderDirection": "DESC",
                }
            )
        ],
    )
    found = client.events.query(
        {"EQ_bizStep": ["shipping", "receiving"], "GE_eventTime": since},
        MATCH_epc=payloads.UNIT,
        order_direction="DESC",
    )
    assert list(found) == []
    with pytest.raises(ValueError, match="aware"):
        list(client.events.query(GE_eventTime=datetime(2024, 5, 1)))
    with pytest.raises(ValueError, match="GE_x"):
        list(client.events.query(GE_x=True))


# --- traces, integrity, categories ---------------------------------------------------------


def test_traces(client: TraceClient, mocked: responses.RequestsMock) -> None:
    mocked.get(
        API + "/trace",
        json=payloads.trace(),
        match=[matchers.query_param_matcher({"code": payloads.UNIT})],
    )
    trace = client.traces.get(payloads.UNIT)
    assert (trace.kind, trace.gtin, trace.serial, trace.sscc) == (
        "unit",
        payloads.GTIN,
        "7KQ2M9XH4C8RT",
        None,
    )
    assert trace.product is not None and trace.product.id == 1
    assert trace.batch is not None and trace.batch.lot == "LOT42"
    assert trace.unit is not None and trace.unit.status == "sold" and trace.unit.scan_count == 0
    assert trace.state.last_step == "retail_selling" and trace.state.place_since is not None
    assert trace.containers[0].level == 1 and trace.containers[0].until is None
    material = trace.inputs[0]
    assert (material.level, material.quantity, material.uom) == ("class", 2.5, "KGM")
    assert material.events[0].event_id == "ni:///sha-256;ef?ver=CBV2.0"
    event = trace.events[0]
    assert (event.biz_step, event.via, event.role, event.action) == (
        "commissioning",
        "self",
        "epc",
        "ADD",
    )
    assert event.event_time_zone_offset == "+08:00"
    assert event.biz_transactions[0].id == "urn:shop:order:1001"
    assert event.event == {"type": "ObjectEvent"}
    with pytest.raises(ValueError, match="code"):
        client.traces.get("  ")


def test_downstream(client: TraceClient, mocked: responses.RequestsMock) -> None:
    mocked.get(
        API + "/batches/7/downstream",
        json={
            "gtin": payloads.GTIN,
            "lot": "LOT42",
            "epc": "https://id.gs1.org/01/09506000134352/10/LOT42",
            "batch": payloads.batch(),
            "units": {
                "total": 2,
                "byStatus": {"sold": 2},
                "items": ["u1", "u2"],
                "truncated": False,
            },
            "containers": ["urn:epc:id:sscc:9506000.0000000001"],
            "orders": [{"type": "po", "id": "urn:shop:order:1001"}],
            "destinations": [],
            "outputs": [],
            "eventCount": 5,
        },
        match=[matchers.query_param_matcher({"unitLimit": "10"})],
    )
    down = client.traces.downstream(7, unit_limit=10)
    assert down.units.total == 2 and down.units.by_status == {"sold": 2}
    assert down.orders[0].type == "po" and down.event_count == 5
    assert down.batch is not None and down.batch.id == 7


def test_integrity(client: TraceClient, mocked: responses.RequestsMock) -> None:
    mocked.get(
        API + "/integrity",
        json={
            "valid": False,
            "complete": True,
            "events": 10,
            "checked": {"from": 1, "through": 3},
            "head": {"seq": 10, "hash": "ab" * 32},
            "firstBreak": {"seq": 4, "eventID": "ni:///x", "reason": "hash mismatch"},
            "nextPageToken": None,
            "checkedAt": payloads.STAMP,
        },
    )
    report = client.integrity.verify()
    assert report.valid is False and report.events == 10 and report.head.seq == 10
    assert report.first_break is not None and report.first_break.seq == 4
    assert report.first_break.reason == "hash mismatch"
    assert (report.checked_from, report.checked_through) == (1, 3)


def _integrity_page(
    valid: bool | None, through: int, start: int, token: str | None
) -> dict[str, Any]:
    return {
        "valid": valid,
        "complete": token is None,
        "events": through - start + 1,
        "checked": {"from": start, "through": through},
        "head": {"seq": 5, "hash": "cd" * 32},
        "firstBreak": None,
        "nextPageToken": token,
        "checkedAt": payloads.STAMP,
    }


def test_integrity_follows_the_pages_of_a_long_chain(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    query = matchers.query_param_matcher
    mocked.get(
        API + "/integrity",
        json=_integrity_page(None, 2, 1, "T1"),
        match=[query({"pageSize": "2"})],
    )
    mocked.get(
        API + "/integrity",
        json=_integrity_page(None, 4, 3, "T2"),
        match=[query({"pageSize": "2", "pageToken": "T1"})],
    )
    mocked.get(
        API + "/integrity",
        json=_integrity_page(True, 5, 5, None),
        match=[query({"pageSize": "2", "pageToken": "T2"})],
    )
    report = client.integrity.verify(page_size=2)
    assert report.valid is True and report.complete and report.next_page_token is None
    assert report.events == 5 and (report.checked_from, report.checked_through) == (1, 5)
    assert report["events"] == 5 and report["checked"] == {"from": 1, "through": 5}
    assert len(mocked.calls) == 3
    first = client.integrity.verify_page(page_size=2)
    assert first.valid is None and not first.complete and first.next_page_token == "T1"
    pages = list(client.integrity.pages(page_size=2))
    assert [p.checked_through for p in pages] == [2, 4, 5]
    assert [p.valid for p in pages] == [None, None, True]


def test_integrity_from_a_server_without_pages(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        API + "/integrity",
        json={
            "valid": True,
            "events": 3,
            "head": {"seq": 3, "hash": "ef" * 32},
            "firstBreak": None,
            "checkedAt": payloads.STAMP,
        },
    )
    report = client.integrity.verify()
    assert report.valid is True and report.complete and report.events == 3
    assert len(mocked.calls) == 1


@pytest.mark.parametrize("size", [0, -1, True, 2.5])
def test_integrity_page_size_is_checked_before_any_request(
    client: TraceClient, mocked: responses.RequestsMock, size: Any
) -> None:
    with pytest.raises(ValueError, match="page_size"):
        client.integrity.verify(page_size=size)
    assert len(mocked.calls) == 0


def test_categories(client: TraceClient, mocked: responses.RequestsMock) -> None:
    mocked.get(
        API + "/categories",
        json={
            "categories": [
                {
                    "code": "food",
                    "name": {"en": "Food", "zh-CN": "食品"},
                    "mandatory": True,
                    "requirements": [
                        {"field": "origin", "level": "batch", "label": {"en": "Origin"}}
                    ],
                }
            ]
        },
    )
    (food,) = client.categories.list()
    assert (food.code, food.mandatory, food.name) == ("food", True, {"en": "Food", "zh-CN": "食品"})
    assert food.requirements[0].present is None


# --- webhook endpoints ---------------------------------------------------------------------


def _endpoint(secret: bool = False) -> dict[str, object]:
    found: dict[str, object] = {
        "id": 2,
        "url": "https://shop.example.com/hooks/shoptrace",
        "description": None,
        "topics": ["recall.created", "code.suspicious"],
        "enabled": True,
        "createdAt": payloads.STAMP,
        "updatedAt": payloads.STAMP,
    }
    if secret:
        found["secret"] = "whsec_" + "s" * 43
    return found


def _delivery(**extra: object) -> dict[str, object]:
    return {
        "id": 5,
        "webhookId": 2,
        "eventId": "evt_" + "0" * 32,
        "topic": "webhook.test",
        "status": "pending",
        "attempts": 0,
        "nextAttemptAt": payloads.STAMP,
        "lastStatus": None,
        "lastError": None,
        "createdAt": payloads.STAMP,
        "deliveredAt": None,
        **extra,
    }


def test_webhook_endpoints(client: TraceClient, mocked: responses.RequestsMock) -> None:
    url = "https://shop.example.com/hooks/shoptrace"
    mocked.post(
        API + "/webhooks",
        status=201,
        json=_endpoint(secret=True),
        match=[JSON({"url": url, "topics": ["recall.created", "code.suspicious"]})],
    )
    mocked.get(API + "/webhooks/2", json=_endpoint())
    mocked.patch(
        API + "/webhooks/2",
        json={**_endpoint(), "enabled": False},
        match=[JSON({"enabled": False})],
    )
    mocked.get(API + "/webhooks", json={"webhooks": [_endpoint()], "nextPageToken": None})
    mocked.post(API + "/webhooks/2/rotate-secret", json=_endpoint(secret=True))
    mocked.post(API + "/webhooks/2/test", status=202, json=_delivery())
    mocked.get(
        API + "/webhooks/2/deliveries",
        json={"deliveries": [_delivery()], "nextPageToken": None},
        match=[matchers.query_param_matcher({"status": "pending", "topic": "webhook.test"})],
    )
    mocked.get(
        API + "/webhooks/2/deliveries/5", json=_delivery(payload={"id": "evt_x", "data": {}})
    )
    mocked.post(API + "/webhooks/2/deliveries/5/redeliver", status=202, json=_delivery())
    mocked.delete(API + "/webhooks/2", json={"id": 2, "deleted": True})
    hooks = client.webhook_endpoints
    created = hooks.create(url=url, topics=("recall.created", "code.suspicious"))
    assert created.secret == "whsec_" + "s" * 43 and "whsec_" not in repr(created)
    assert created.topics == ("recall.created", "code.suspicious")
    assert hooks.get(2).secret is None
    assert hooks.update(2, enabled=False).enabled is False
    assert [e.id for e in hooks.list()] == [2]
    assert hooks.rotate_secret(2).secret is not None
    assert hooks.test(2).topic == "webhook.test"
    assert [d.id for d in hooks.deliveries(2, status="pending", topic="webhook.test")] == [5]
    assert hooks.get_delivery(2, 5).payload == {"id": "evt_x", "data": {}}
    assert hooks.redeliver(2, 5).status == "pending"
    deleted = hooks.delete(2)
    assert (deleted.id, deleted.deleted) == (2, True)
    posts = [c.request for c in mocked.calls if c.request.method == "POST"]
    assert all("Idempotency-Key" in r.headers for r in posts)
    assert mocked.calls[4].request.body is None  # rotate-secret sends no body


# --- orders --------------------------------------------------------------------------------


def _order(status: str = "placed", **extra: object) -> dict[str, object]:
    return {
        "id": "1001/A",
        "number": "#1001",
        "customer": "cust-7",
        "source": "api",
        "status": status,
        "destination": {"country": "CN", "region": "Shandong"},
        "placedAt": payloads.STAMP,
        "fulfilledAt": payloads.STAMP if status == "fulfilled" else None,
        "deliveredAt": None,
        "cancelledAt": None,
        "createdAt": payloads.STAMP,
        "updatedAt": payloads.STAMP,
        "token": "t" * 32,
        "traceUrl": "https://shop.example.com/trace/orders/" + "t" * 32,
        "untracedLines": 0,
        "lines": [
            {
                "lineNo": 1,
                "id": "L1",
                "sku": "APL-1",
                "gtin": payloads.GTIN,
                "name": "Apples",
                "quantity": 1,
                "productId": 1,
                "status": "traced" if status == "fulfilled" else "open",
                "problem": None,
                "tracedBy": "unit" if status == "fulfilled" else None,
                "lot": "LOT42" if status == "fulfilled" else None,
                "unitCount": 1 if status == "fulfilled" else 0,
                "units": [
                    {
                        "serial": "7KQ2M9XH4C8RT",
                        "lot": "LOT42",
                        "status": "sold",
                        "uri": payloads.UNIT,
                    }
                ]
                if status == "fulfilled"
                else [],
            }
        ],
        **extra,
    }


def test_orders(client: TraceClient, mocked: responses.RequestsMock) -> None:
    order = {
        "id": "1001/A",
        "number": "#1001",
        "customer": "cust-7",
        "placed_at": "2024-05-01T18:00:00+08:00",
        "destination": {"country": "CN", "region": "Shandong"},
        "lines": [{"id": "L1", "sku": "APL-1", "gtin": payloads.GTIN, "quantity": 1}],
    }
    one = API + "/orders/1001%2FA"
    mocked.post(API + "/orders", status=201, json=_order(), match=[JSON(order)])
    mocked.get(one, json=_order())
    mocked.get(
        API + "/orders",
        json={"orders": [_order()], "nextPageToken": None},
        match=[matchers.query_param_matcher({"status": "placed", "customer": "cust-7"})],
    )
    mocked.post(one + "/fulfil", json=_order("fulfilled"), match=[JSON({"units": [payloads.UNIT]})])
    mocked.post(one + "/deliver", json=_order("delivered"))
    mocked.post(one + "/return", json=_order("returned"), match=[JSON({"units": [payloads.UNIT]})])
    mocked.post(one + "/cancel", json=_order("cancelled"), match=[JSON({"order": order})])
    placed = client.orders.place(**order)
    assert (placed.id, placed.number, placed.status, placed.source) == (
        "1001/A",
        "#1001",
        "placed",
        "api",
    )
    assert placed.destination == {"country": "CN", "region": "Shandong"}
    assert placed.lines[0].gtin == payloads.GTIN and placed.lines[0].units == ()
    assert "token" not in repr(placed)
    assert client.orders.get("1001/A").trace_url is not None
    assert [o.id for o in client.orders.list(status="placed", customer="cust-7")] == ["1001/A"]
    fulfilled = client.orders.fulfil("1001/A", units=[payloads.UNIT])
    line = fulfilled.lines[0]
    assert (line.traced_by, line.lot, line.unit_count) == ("unit", "LOT42", 1)
    assert line.units[0].serial == "7KQ2M9XH4C8RT"
    assert fulfilled.fulfilled_at is not None
    assert client.orders.deliver("1001/A").status == "delivered"
    assert mocked.calls[4].request.body is None  # no units, no order: no body
    assert client.orders.return_("1001/A", units=[payloads.UNIT]).status == "returned"
    assert client.orders.cancel("1001/A", order=order).status == "cancelled"
    keys = [c.request.headers.get("Idempotency-Key") for c in mocked.calls]
    assert all(keys[i] for i in (0, 3, 4, 5, 6)) and len(set(keys) - {None}) == 5
    with pytest.raises(ValueError, match="order_id"):
        client.orders.get("")


# --- recalls -------------------------------------------------------------------------------


def _impact(orders: list[str], token: str | None, **extra: object) -> dict[str, object]:
    return {
        "computedAt": payloads.STAMP,
        "units": {
            "total": 3,
            "inStock": 0,
            "sold": 0,
            "shipped": 3,
            "delivered": 0,
            "returned": 0,
            "byStatus": {"shipped": 3},
        },
        "lines": {"unitBound": 3, "lotBound": 0, "lotBoundQuantity": 0},
        "orderCount": 3,
        "customerCount": 2,
        "orders": [
            {
                "id": order,
                "number": None,
                "customer": "cust-1",
                "status": "fulfilled",
                "source": "api",
                "placedAt": payloads.STAMP,
                "lines": [
                    {
                        "id": None,
                        "lineNo": 1,
                        "sku": None,
                        "gtin": payloads.GTIN,
                        "name": None,
                        "quantity": 1,
                        "status": "traced",
                        "binding": "units",
                        "lots": ["LOT42"],
                        "affected": 1,
                        "units": [{"serial": "A1", "lot": "LOT42", "status": "shipped"}],
                    }
                ],
            }
            for order in orders
        ],
        "nextPageToken": token,
        **extra,
    }


def _recall(status: str = "open", impact: dict[str, object] | None = None) -> dict[str, object]:
    summary = _impact([], None)
    del summary["orders"], summary["nextPageToken"]
    return {
        "id": 4,
        "gtin": payloads.GTIN,
        "productId": 1,
        "scope": "lots",
        "lots": ["LOT42"],
        "reason": {"zh-CN": "检出农药残留超标", "en": "Pesticide residue above the limit"},
        "severity": "1",
        "status": status,
        "createdAt": payloads.STAMP,
        "closedAt": payloads.STAMP if status == "closed" else None,
        "closeNote": "destroyed" if status == "closed" else None,
        "events": ["ni:///sha-256;ab?ver=CBV2.0"],
        "impact": impact or summary,
    }


def test_recalls(client: TraceClient, mocked: responses.RequestsMock) -> None:
    reason = {"zh-CN": "检出农药残留超标", "en": "Pesticide residue above the limit"}
    mocked.post(
        API + "/recalls",
        status=201,
        json=_recall(impact=_impact(["R0"], "p2")),
        headers={"Location": "/trace/api/v1/recalls/4"},
        match=[JSON({"gtin": payloads.GTIN, "lots": ["LOT42"], "reason": reason, "severity": "1"})],
    )
    mocked.get(API + "/recalls/4", json=_recall())
    mocked.get(
        API + "/recalls",
        json={"recalls": [_recall()], "nextPageToken": None},
        match=[matchers.query_param_matcher({"status": "open", "gtin": payloads.GTIN})],
    )
    mocked.get(
        API + "/recalls/4/impact",
        json=_impact(["R0"], "p2", recallId=4, status="open"),
        match=[matchers.query_param_matcher({"pageSize": "1"})],
    )
    mocked.get(
        API + "/recalls/4/impact",
        json=_impact(["R0", "R1"], "p3", recallId=4, status="open"),
        match=[matchers.query_param_matcher({})],
    )
    mocked.get(
        API + "/recalls/4/impact",
        json=_impact(["R2"], None, recallId=4, status="open"),
        match=[matchers.query_param_matcher({"pageToken": "p3"})],
    )
    mocked.get(
        API + "/recalls/4/impact",
        body="\ufefforder_id,serial\nR0,A1\n".encode(),
        content_type="text/csv; charset=utf-8",
        match=[matchers.query_param_matcher({"format": "csv"})],
    )
    mocked.post(API + "/recalls/4/close", json=_recall("closed"), match=[JSON({"note": "gone"})])
    recall = client.recalls.create(gtin=payloads.GTIN, lots=["LOT42"], reason=reason, severity=1)
    assert (recall.id, recall.scope, recall.severity, recall.status) == (4, "lots", "1", "open")
    assert recall.reason == reason and recall.lots == ("LOT42",)
    assert recall.impact.orders[0].id == "R0" and recall.impact.next_page_token == "p2"
    line = recall.impact.orders[0].lines[0]
    assert (line.binding, line.affected, line.lots) == ("units", 1, ("LOT42",))
    assert recall.impact.units.shipped == 3 and recall.impact.customer_count == 2
    assert client.recalls.get(4).impact.orders == ()
    assert [r.id for r in client.recalls.list(status="open", gtin=payloads.GTIN)] == [4]
    impact = client.recalls.impact(4, page_size=1)
    assert (impact.recall_id, impact.status, impact.order_count) == (4, "open", 3)
    assert [o.id for o in client.recalls.impact_orders(4)] == ["R0", "R1", "R2"]
    assert client.recalls.impact_csv(4) == "order_id,serial\nR0,A1\n"
    closed = client.recalls.close(4, note="gone")
    assert (closed.status, closed.close_note) == ("closed", "destroyed")
    with pytest.raises(ValueError, match="lots or units"):
        client.recalls.create(gtin=payloads.GTIN, reason="x", severity=1)


def test_a_location_elsewhere_is_kept_as_sent(
    client: TraceClient, mocked: responses.RequestsMock
) -> None:
    elsewhere = "https://public.example.com/trace/epcis/capture/12"
    mocked.post(
        EPCIS + "/capture", status=202, json=payloads.capture_job(), headers={"Location": elsewhere}
    )
    assert client.events.capture([]).location == elsewhere
