"""Idempotency-Key: the first successful answer to a POST or a DELETE is stored and replayed;
other methods ignore the header."""

from __future__ import annotations

import threading
from typing import Any

from shoptrace.shop_plugin.store.tables import idempotency_keys, locations, products, units
from tests.shop_plugin.helpers import GTIN, Api, count_rows

BODY = {"gtin": GTIN, "name": {"en": "Apples"}, "category": "food"}


def test_a_retry_replays_the_first_answer_and_writes_once(api: Api) -> None:
    key = {"Idempotency-Key": "create-apples-1"}
    first = api.post("/products", BODY, headers=key)
    again = api.post("/products", BODY, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count_rows(api.client.application, products) == 1


def test_a_replayed_issuance_gives_the_same_serials(api: Api) -> None:
    batch = api.batch(api.product()["id"])
    key = {"Idempotency-Key": "codes-7"}
    first = api.post(f"/batches/{batch['id']}/codes", {"count": 4}, headers=key).get_json()
    again = api.post(f"/batches/{batch['id']}/codes", {"count": 4}, headers=key).get_json()
    assert [c["serial"] for c in again["codes"]] == [c["serial"] for c in first["codes"]]
    assert count_rows(api.client.application, units) == 4


def test_the_same_key_for_another_request_is_refused(api: Api) -> None:
    key = {"Idempotency-Key": "k1"}
    api.post("/products", BODY, headers=key)
    response = api.post("/products", {**BODY, "category": "drugs"}, headers=key)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "Idempotency-Key"
    assert response.get_json()["errors"][0]["rule"] == "reused"


def test_failed_requests_are_not_stored_so_a_fixed_retry_works(api: Api) -> None:
    key = {"Idempotency-Key": "k2"}
    bad = api.post("/products", {**BODY, "gtin": "123"}, headers=key)
    assert bad.status_code == 422
    assert count_rows(api.client.application, idempotency_keys) == 0
    good = api.post("/products", {**BODY, "gtin": "123"}, headers=key)
    assert good.status_code == 422
    fixed = api.post("/products", BODY, headers={"Idempotency-Key": "k3"})
    assert fixed.status_code == 201


def test_keys_are_per_merchant(api: Api, other_api: Api) -> None:
    key = {"Idempotency-Key": "shared"}
    mine = api.post("/products", BODY, headers=key)
    theirs = other_api.post("/products", BODY, headers=key)
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.get_json()["id"] != mine.get_json()["id"]


def test_every_delete_replays_its_first_answer_and_a_patch_ignores_the_key(api: Api) -> None:
    app = api.client.application
    place = api.post("/locations", {"id": "9506000000022", "name": {"en": "Depot"}}).get_json()
    path = api.url(f"/locations/{place['id']}")
    key = api.headers({"Idempotency-Key": "drop-depot"})
    first = api.client.delete(path, headers=key)
    again = api.client.delete(path, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json() == {"id": place["id"], "deleted": True}
    assert again.headers["Idempotent-Replayed"] == "true"
    assert api.client.delete(path, headers=api.headers()).status_code == 404
    assert count_rows(app, idempotency_keys) == 1
    product = api.product()
    patch = {"Idempotency-Key": "rename"}
    api.patch(f"/products/{product['id']}", {"name": {"en": "Pears"}}, headers=patch)
    renamed = api.patch(f"/products/{product['id']}", {"name": {"en": "Figs"}}, headers=patch)
    assert renamed.status_code == 200 and renamed.get_json()["name"] == {"en": "Figs"}
    assert "Idempotent-Replayed" not in renamed.headers
    assert count_rows(app, idempotency_keys) == 1 and count_rows(app, locations) == 1


def test_a_malformed_key_is_a_400(api: Api) -> None:
    response = api.post("/products", BODY, headers={"Idempotency-Key": "x" * 256})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "Idempotency-Key"
    assert count_rows(api.client.application, products) == 0


def test_concurrent_requests_with_one_key_create_one_product(api: Api) -> None:
    app = api.client.application
    answers: list[Any] = []

    def send() -> None:
        client = app.test_client()
        response = client.post(
            "/trace/api/v1/products",
            json=BODY,
            headers={**api.headers(), "Idempotency-Key": "race"},
        )
        answers.append((response.status_code, response.get_json()["id"]))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in answers] == [201] * 4
    assert len({product_id for _, product_id in answers}) == 1
    assert count_rows(app, products) == 1
