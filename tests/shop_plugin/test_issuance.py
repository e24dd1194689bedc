"""Code issuance: unit serials with check tags, jobs with progress, lists and exports."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from shoptrace.sdk import digital_link, serials
from shoptrace.shop_plugin.services import issuance
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.signing import merchant_tag_key
from shoptrace.shop_plugin.store.tables import issuances, units
from tests.shop_plugin.helpers import API, GTIN, SIGNING_KEY, Api, count_rows

BASE = "https://shop.example.com/trace"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {
        "SHOPTRACE_SYNC_CODE_LIMIT": 10,
        "SHOPTRACE_MAX_CODE_COUNT": 5000,
        "SHOPTRACE_MAX_PDF_LABELS": 30,
    }


def _tag_key(app: Flask, merchant_id: int) -> bytes:
    with app.extensions["shoptrace"].store.read() as conn:
        return merchant_tag_key(conn, merchant_id, SIGNING_KEY)


def _batch(api: Api, lot: str = "LOT42") -> dict[str, Any]:
    return api.batch(api.product()["id"], lot, expiryDate="2026-06-30")


def test_small_issuance_answers_codes_with_valid_tags_and_uris(api: Api) -> None:
    batch = _batch(api)
    response = api.post(f"/batches/{batch['id']}/codes", {"count": 7})
    assert response.status_code == 201
    answer = response.get_json()
    job = answer["issuance"]
    assert job["status"] == "done" and job["done"] == 7 and job["progress"] == 1.0
    assert response.headers["Location"] == f"{API}/issuances/{job['id']}"
    codes = answer["codes"]
    assert len({c["serial"] for c in codes}) == 7
    key = _tag_key(api.client.application, api.merchant_id)
    for code in codes:
        assert serials.verify(code["serial"], gtin=GTIN, lot="LOT42", key=key)
        assert not serials.verify(code["serial"], gtin=GTIN, lot="LOT43", key=key)
        link = digital_link.parse(code["uri"])
        assert (link.gtin, link.lot, link.serial) == (GTIN, "LOT42", code["serial"])
        assert code["uri"] == digital_link.build(BASE, GTIN, lot="LOT42", serial=code["serial"])
    assert api.get(f"/batches/{batch['id']}").get_json()["codesIssued"] == 7


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ({"count": 0}, "minimum"),
        ({"count": -3}, "minimum"),
        ({"count": 5001}, "maximum"),
        ({"count": 10**30}, "maximum"),
        ({"count": 2.5}, "type"),
        ({"count": "5"}, "type"),
        ({"count": True}, "type"),
        ({}, "required"),
        ({"count": 1, "prefix": "X"}, "unknown-field"),
    ],
)
def test_bad_counts_are_422_and_write_nothing(api: Api, body: dict[str, Any], rule: str) -> None:
    batch = _batch(api)
    response = api.post(f"/batches/{batch['id']}/codes", body)
    assert response.status_code == 422
    assert rule in [e["rule"] for e in response.get_json()["errors"]]
    assert count_rows(api.client.application, units) == 0
    assert count_rows(api.client.application, issuances) == 0


def test_codes_of_an_unknown_batch_are_404(api: Api) -> None:
    response = api.post("/batches/77/codes", {"count": 1})
    assert response.status_code == 404
    assert response.get_json()["detail"] == "batch 77 does not exist"


def test_a_large_issuance_is_a_job_with_progress(api: Api) -> None:
    app = api.client.application
    batch = _batch(api)
    response = api.post(f"/batches/{batch['id']}/codes", {"count": 1234})
    assert response.status_code == 202
    job = response.get_json()["issuance"]
    assert job["status"] == "pending" and job["done"] == 0 and job["progress"] == 0.0
    assert "codes" not in response.get_json()
    assert api.get(response.headers["Location"]).get_json()["status"] == "pending"
    state = app.extensions["shoptrace"]
    assert issuance.run_pending(state.store, state.signing_key) == 1
    done = api.get(response.headers["Location"]).get_json()
    assert done["status"] == "done" and done["done"] == 1234 and done["finishedAt"]
    assert count_rows(app, units) == 1234
    listed = api.get(f"/batches/{batch['id']}/issuances").get_json()["issuances"]
    assert [(i["id"], i["count"]) for i in listed] == [(job["id"], 1234)]


def test_jobs_write_in_chunks_and_resume_after_a_lost_worker(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = api.client.application
    store = app.extensions["shoptrace"].store
    monkeypatch.setattr(issuance, "CHUNK", 100)
    batch = _batch(api)
    job = api.post(f"/batches/{batch['id']}/codes", {"count": 250}).get_json()["issuance"]
    assert issuance.claim_next(store, "dead-worker") == job["id"]
    assert issuance.claim_next(store, "other") is None  # leased
    with store.begin() as conn:
        conn.execute(issuances.update().values(done=0, lease_until=utcnow() - timedelta(seconds=1)))
    assert issuance.run_pending(store, SIGNING_KEY, worker="rescuer") == 1
    with store.read() as conn:
        row = conn.execute(sa.select(issuances)).one()
        assert (row.status, row.done, row.worker) == ("done", 250, "rescuer")
    assert count_rows(app, units) == 250


def test_a_worker_that_lost_its_lease_stops(api: Api) -> None:
    store = api.client.application.extensions["shoptrace"].store
    batch = _batch(api)
    job = api.post(f"/batches/{batch['id']}/codes", {"count": 20}).get_json()["issuance"]
    assert issuance.claim_next(store, "a") == job["id"]
    with store.begin() as conn:
        conn.execute(issuances.update().values(worker="b"))
    assert issuance.run_issuance(store, job["id"], "a", SIGNING_KEY) is False
    assert count_rows(api.client.application, units) == 0


def test_the_thread_runner_finishes_a_job(db_url: str, tmp_path: Any) -> None:
    from tests.shop_plugin.helpers import add_merchant, make_app

    app = make_app(
        db_url, tmp_path / "instance", SHOPTRACE_SYNC_CODE_LIMIT=5, SHOPTRACE_JOB_RUNNER="thread"
    )
    try:
        merchant_id, key = add_merchant(app, "Threads")
        api = Api(app.test_client(), key, merchant_id)
        batch = _batch(api)
        location = api.post(f"/batches/{batch['id']}/codes", {"count": 40}).headers["Location"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            job = api.get(location).get_json()
            if job["status"] == "done":
                break
            time.sleep(0.05)
        assert job["status"] == "done" and job["done"] == 40
    finally:
        app.extensions["shoptrace"].store.dispose()


def test_codes_list_pages_and_filters_by_issuance(api: Api) -> None:
    batch = _batch(api)
    first = api.post(f"/batches/{batch['id']}/codes", {"count": 3}).get_json()
    second = api.post(f"/batches/{batch['id']}/codes", {"count": 2}).get_json()
    issued = [c["serial"] for c in first["codes"] + second["codes"]]
    page = api.get(f"/batches/{batch['id']}/codes?pageSize=4")
    body = page.get_json()
    assert [c["serial"] for c in body["codes"]] == issued[:4]
    assert body["codes"][0]["status"] == "issued"
    assert body["codes"][0]["issuanceId"] == first["issuance"]["id"]
    assert body["codes"][0]["uri"].endswith("/21/" + issued[0])
    assert 'rel="next"' in page.headers["Link"]
    rest = api.get(f"/batches/{batch['id']}/codes?pageSize=4&pageToken={body['nextPageToken']}")
    assert [c["serial"] for c in rest.get_json()["codes"]] == issued[4:]
    only = api.get(f"/batches/{batch['id']}/codes?issuance={second['issuance']['id']}")
    assert [c["serial"] for c in only.get_json()["codes"]] == issued[3:]
    other_batch = api.batch(batch["productId"], "LOT43")
    foreign = api.get(f"/batches/{other_batch['id']}/codes?issuance={first['issuance']['id']}")
    assert foreign.status_code == 404


def test_csv_export_streams_every_code(api: Api) -> None:
    batch = _batch(api)
    codes = api.post(f"/batches/{batch['id']}/codes", {"count": 9}).get_json()["codes"]
    response = api.get(f"/batches/{batch['id']}/codes.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["serial"] for r in rows] == [c["serial"] for c in codes]
    assert rows[0]["uri"] == codes[0]["uri"]
    assert {r["gtin"] for r in rows} == {GTIN} and {r["lot"] for r in rows} == {"LOT42"}
    assert {r["product_name"] for r in rows} == {"有机苹果"}
    english = api.get(f"/batches/{batch['id']}/codes.csv?lang=en").get_data(as_text=True)
    assert {r["product_name"] for r in csv.DictReader(io.StringIO(english))} == {"Organic apples"}
    assert api.get(f"/batches/{batch['id']}/codes.csv?lang=fr").status_code == 400
    assert api.get("/batches/999/codes.csv").status_code == 404


def test_pdf_labels_are_paged(api: Api) -> None:
    app = api.client.application
    batch = _batch(api)
    job = api.post(f"/batches/{batch['id']}/codes", {"count": 40}).get_json()["issuance"]
    state = app.extensions["shoptrace"]
    issuance.run_pending(state.store, state.signing_key)
    first = api.get(f"/batches/{batch['id']}/codes.pdf?pageSize=30&layout=a4-3x8")
    assert first.status_code == 200
    assert first.mimetype == "application/pdf"
    assert first.headers["X-Label-Count"] == "30"
    assert len(PdfReader(io.BytesIO(first.data)).pages) == 2
    link = first.headers["Link"]
    next_url = link[link.index("<") + 1 : link.index(">")]
    second = api.client.get(next_url, headers=api.headers())
    assert second.headers["X-Label-Count"] == "10"
    assert "Link" not in second.headers
    text = PdfReader(io.BytesIO(second.data)).pages[0].extract_text()
    assert "(10) LOT42" in text and "(17) 260630" in text
    assert api.get(f"/batches/{batch['id']}/codes.pdf?pageSize=31").status_code == 400
    assert api.get(f"/batches/{batch['id']}/codes.pdf?layout=a5").status_code == 400
    empty = api.batch(batch["productId"], "EMPTY")
    assert api.get(f"/batches/{empty['id']}/codes.pdf").status_code == 404
    assert job["count"] == 40


def test_gtin_and_serial_are_unique_across_the_whole_store(api: Api, other_api: Api) -> None:
    from sqlalchemy.exc import IntegrityError

    app = api.client.application
    batch = _batch(api)
    serial = api.post(f"/batches/{batch['id']}/codes", {"count": 1}).get_json()["codes"][0]
    other_batch = other_api.batch(other_api.product()["id"], "X1")
    store = app.extensions["shoptrace"].store
    with pytest.raises(IntegrityError), store.begin() as conn:
        job = conn.execute(
            issuances.insert()
            .values(
                merchant_id=other_api.merchant_id,
                batch_id=other_batch["id"],
                count=1,
                done=0,
                status="running",
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            .returning(issuances.c.id)
        ).scalar_one()
        issuance.write_units(
            conn,
            merchant_id=other_api.merchant_id,
            batch_id=other_batch["id"],
            issuance_id=job,
            gtin=GTIN,
            serials=iter([serial["serial"]]),
        )
    assert count_rows(app, units) == 1


def test_a_serial_clash_draws_the_chunk_again(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    batch = _batch(api)
    taken = api.post(f"/batches/{batch['id']}/codes", {"count": 1}).get_json()["codes"][0]
    real = serials.generate
    calls = []

    def clashing(n: int, **kwargs: Any) -> Any:
        calls.append(n)
        if len(calls) == 1:
            return iter([taken["serial"], *list(real(n - 1, **kwargs))])
        return real(n, **kwargs)

    monkeypatch.setattr(serials, "generate", clashing)
    response = api.post(f"/batches/{batch['id']}/codes", {"count": 5})
    assert response.status_code == 201
    assert calls == [5, 5]
    fresh = [c["serial"] for c in response.get_json()["codes"]]
    assert taken["serial"] not in fresh and len(set(fresh)) == 5
    assert count_rows(api.client.application, units) == 6


def test_write_units_streams_from_an_iterator(api: Api) -> None:
    app = api.client.application
    batch = _batch(api)
    job = api.post(f"/batches/{batch['id']}/codes", {"count": 1}).get_json()["issuance"]
    pulled = []

    def stream():  # noqa: ANN202
        for i in range(12_000):
            pulled.append(i)
            yield f"S{i:012d}"

    with app.extensions["shoptrace"].store.begin() as conn:
        written = issuance.write_units(
            conn,
            merchant_id=api.merchant_id,
            batch_id=batch["id"],
            issuance_id=job["id"],
            gtin=GTIN,
            serials=stream(),
            batch_size=5000,
        )
    assert written == 12_000 and len(pulled) == 12_000
    assert count_rows(app, units) == 12_001
