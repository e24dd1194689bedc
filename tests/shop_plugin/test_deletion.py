"""Deleting a product or a lot registered by mistake: gone when nothing refers to it, kept
(409, rule ``in-use``, naming what refers to it, nothing deleted) when anything does; another
merchant's ids are not found; an Idempotency-Key replays the first answer; the resolver and
the listing answer 404 once the state it read has expired."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from shoptrace.sdk.epcis import events as ev
from shoptrace.shop_plugin.services import references
from shoptrace.shop_plugin.store.tables import (
    batches,
    event_epcs,
    events,
    idempotency_keys,
    issuances,
    order_lines,
    orders,
    products,
    recalls,
    units,
)
from tests.shop_plugin.epcis_helpers import at, capture, document, unit_uri
from tests.shop_plugin.helpers import GTIN, GTIN2, Api, count_rows
from tests.shop_plugin.test_orders import LOT_GTIN, act, order, place, recall

TABLES = (products, batches, issuances, units, order_lines, orders, recalls, events, event_epcs)
JSON = {"Accept": "application/json"}


def delete(api: Api, path: str, **headers: str) -> Any:
    return api.client.delete(api.url(path), headers=api.headers(headers))


def rows(app: Flask) -> dict[str, list[Any]]:
    """Every row of the tables a deletion reads or writes, by table."""
    with app.extensions["shoptrace"].store.read() as conn:
        return {
            table.name: [tuple(r) for r in conn.execute(sa.select(table)).all()] for table in TABLES
        }


def in_use(response: Any, status: int = 409) -> list[tuple[str, str]]:
    """``(field, rule)`` of a refusal's errors, after checking it is a problem."""
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["title"] == "Conflict" and body["status"] == 409
    assert body["instance"] == response.request.path
    return [(e["field"], e["rule"]) for e in body["errors"]]


def lot_event(lot: str, gtin: str = GTIN) -> dict[str, Any]:
    """An event that names the lot as a class (URN spelling: the index keeps it canonical)."""
    prefix = f"{gtin[1:8]}.{gtin[0]}{gtin[8:13]}"
    epc_class = f"urn:epc:class:lgtin:{prefix}.{lot}"
    return ev.object_event(
        "OBSERVE", quantities=[ev.quantity(epc_class, 5, "KGM")], event_time=at(5)
    )


# --- deletable: gone -----------------------------------------------------------------------


def test_a_product_nothing_refers_to_is_deleted(app: Flask, api: Api) -> None:
    typo = api.product(GTIN2, name={"en": "Typo"})
    kept = api.product()
    answer = delete(api, f"/products/{typo['id']}")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.get_json() == {"id": typo["id"], "deleted": True}
    gone = api.get(f"/products/{typo['id']}")
    assert gone.status_code == 404
    assert gone.get_json()["errors"] == [
        {
            "field": "product_id",
            "rule": "not-found",
            "detail": f"product {typo['id']} does not exist",
        }
    ]
    assert [p["id"] for p in api.get("/products").get_json()["products"]] == [kept["id"]]
    assert api.get("/products", query_string={"gtin": GTIN2}).get_json()["products"] == []
    assert count_rows(app, products) == 1
    again = delete(api, f"/products/{typo['id']}")
    assert again.status_code == 404 and again.get_json()["errors"][0]["rule"] == "not-found"
    # The GTIN is free again: the right product can be registered under it.
    right = {"gtin": GTIN2, "name": {"en": "Pears"}, "category": "food"}
    assert api.post("/products", right).status_code == 201


def test_a_lot_nothing_refers_to_is_deleted_then_its_product(app: Flask, api: Api) -> None:
    product = api.product()
    typo = api.batch(product["id"], "LOT4Z")
    right = api.batch(product["id"], "LOT42")
    answer = delete(api, f"/batches/{typo['id']}")
    assert answer.status_code == 200
    assert answer.get_json() == {"id": typo["id"], "deleted": True}
    assert api.get(f"/batches/{typo['id']}").get_json()["errors"][0]["rule"] == "not-found"
    listed = api.get("/batches", query_string={"productId": product["id"]}).get_json()
    assert [b["id"] for b in listed["batches"]] == [right["id"]]
    assert api.get("/batches", query_string={"lot": "LOT4Z"}).get_json()["batches"] == []
    assert count_rows(app, batches) == 1
    # The product still has a lot: kept, and the refusal says how many and why.
    refused = delete(api, f"/products/{product['id']}")
    assert in_use(refused) == [("lots", "in-use")]
    detail = refused.get_json()["detail"]
    assert detail.startswith(f"product {product['id']} (GTIN {GTIN}) was not deleted: ")
    assert "it has 1 lot (batch)" in detail and "trace records are kept" in detail
    assert "delete the lots first if they are unused" in detail
    # Delete the unused lot first, then the product goes too.
    assert delete(api, f"/batches/{right['id']}").status_code == 200
    assert delete(api, f"/products/{product['id']}").status_code == 200
    assert (count_rows(app, products), count_rows(app, batches)) == (0, 0)


# --- refused: what refers to a product ------------------------------------------------------


def test_a_product_with_lots_is_kept_and_the_refusal_counts_them(app: Flask, api: Api) -> None:
    product = api.product()
    for lot in ("A1", "A2", "A3"):
        api.batch(product["id"], lot)
    before = rows(app)
    refused = delete(api, f"/products/{product['id']}")
    assert in_use(refused) == [("lots", "in-use")]
    [error] = refused.get_json()["errors"]
    assert error["detail"].startswith("it has 3 lots (batches); trace records are kept")
    assert rows(app) == before
    assert api.get(f"/products/{product['id']}").status_code == 200


def test_a_product_an_order_line_is_matched_to_is_kept(app: Flask, api: Api) -> None:
    product = api.product()
    place(api, order(lines=[{"gtin": GTIN, "quantity": 1}]))
    before = rows(app)
    refused = delete(api, f"/products/{product['id']}")
    assert in_use(refused) == [("orderLines", "in-use")]
    assert refused.get_json()["errors"][0]["detail"] == (
        "1 order line is matched to it; orders are kept"
    )
    assert rows(app) == before


def test_an_untraced_line_naming_the_gtin_does_not_keep_a_product(app: Flask, api: Api) -> None:
    # Placed before the product existed: the line names the GTIN but matched no product.
    place(api, order(lines=[{"gtin": GTIN2, "quantity": 1}]))
    product = api.product(GTIN2)
    assert delete(api, f"/products/{product['id']}").status_code == 200
    [line] = api.get("/orders/1001").get_json()["lines"]
    assert (line["status"], line["gtin"]) == ("untraced", GTIN2)


def test_a_product_whose_gtin_events_name_is_kept(app: Flask, api: Api) -> None:
    product = api.product()
    other = api.product(GTIN2)
    # A unit of the GTIN captured here without any lot registered: the trace shows it.
    captured = capture(api, document([ev.commission([unit_uri("X1")], event_time=at(1))]))
    assert captured.status_code == 202
    before = rows(app)
    refused = delete(api, f"/products/{product['id']}")
    assert in_use(refused) == [("events", "in-use")]
    assert refused.get_json()["errors"][0]["detail"] == (
        "1 EPCIS event names its GTIN; events are trace records and are kept"
    )
    assert rows(app) == before
    # Another GTIN's events are not its: GTIN2 has none.
    assert delete(api, f"/products/{other['id']}").status_code == 200


def test_a_recalled_product_is_kept_naming_lots_recalls_and_events(app: Flask, api: Api) -> None:
    product = api.product()
    api.batch(product["id"], "LOT42")
    recall = api.post(
        "/recalls", {"gtin": GTIN, "lots": ["LOT42"], "reason": {"en": "Bad"}, "severity": "2"}
    )
    assert recall.status_code == 201, recall.get_json()
    before = rows(app)
    # Opening the recall captured its event, which names the lot (and so the GTIN).
    assert in_use(delete(api, f"/products/{product['id']}")) == [
        ("lots", "in-use"),
        ("recalls", "in-use"),
        ("events", "in-use"),
    ]
    assert rows(app) == before


def test_counting_stops_at_the_limit(app: Flask, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(references, "LIMIT", 2)
    product = api.product()
    for lot in ("A1", "A2", "A3"):
        api.batch(product["id"], lot)
    [error] = delete(api, f"/products/{product['id']}").get_json()["errors"]
    assert error["detail"].startswith("it has 2+ lots (batches);")


def test_the_foreign_keys_keep_what_came_into_use_meanwhile(
    app: Flask, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the check to miss a reference (a writer adding a lot between the check and the
    delete), the foreign key still refuses: 409, nothing deleted."""
    from shoptrace.shop_plugin.services import batches as batch_service
    from shoptrace.shop_plugin.services import products as product_service

    product = api.product()
    batch = api.batch(product["id"])
    api.post(f"/batches/{batch['id']}/codes", {"count": 1})
    monkeypatch.setattr(product_service, "product_uses", lambda *args: [])
    monkeypatch.setattr(batch_service, "batch_uses", lambda *args: [])
    before = rows(app)
    for path, field, what in (
        (f"/products/{product['id']}", "product_id", f"product {product['id']}"),
        (f"/batches/{batch['id']}", "batch_id", f"batch {batch['id']}"),
    ):
        refused = delete(api, path)
        assert in_use(refused) == [(field, "in-use")]
        assert refused.get_json()["detail"] == (
            f"{what} came into use while it was being deleted; it is kept"
        )
    assert rows(app) == before


# --- refused: what refers to a lot ----------------------------------------------------------


def test_a_lot_with_codes_is_kept(app: Flask, api: Api) -> None:
    batch = api.batch(api.product()["id"])
    assert api.post(f"/batches/{batch['id']}/codes", {"count": 2}).status_code == 201
    before = rows(app)
    refused = delete(api, f"/batches/{batch['id']}")
    assert in_use(refused) == [("codes", "in-use")]
    body = refused.get_json()
    assert body["detail"] == (
        f"lot 'LOT42' (batch {batch['id']}) was not deleted: 2 unit codes were issued for it; "
        "issued codes are trace records and are kept"
    )
    assert rows(app) == before


@pytest.mark.parametrize("app_config", [{"SHOPTRACE_SYNC_CODE_LIMIT": 5}])
def test_a_lot_with_an_issuance_started_is_kept(app: Flask, api: Api) -> None:
    batch = api.batch(api.product()["id"])
    job = api.post(f"/batches/{batch['id']}/codes", {"count": 50})
    assert job.status_code == 202  # a job; no runner takes it here
    assert job.get_json()["issuance"]["status"] == "pending"
    assert count_rows(app, units) == 0
    before = rows(app)
    refused = delete(api, f"/batches/{batch['id']}")
    assert in_use(refused) == [("issuances", "in-use")]
    assert refused.get_json()["errors"][0]["detail"] == "1 code issuance was started for it"
    assert rows(app) == before


def test_a_recalled_lot_is_kept_while_open_and_once_closed(app: Flask, api: Api) -> None:
    product = api.product()
    batch = api.batch(product["id"], "LOT42")
    other = api.batch(product["id"], "LOT43")
    made = api.post(
        "/recalls", {"gtin": GTIN, "lots": ["LOT42"], "reason": {"en": "Bad"}, "severity": "1"}
    ).get_json()
    for status in ("open", "closed"):
        assert api.get(f"/recalls/{made['id']}").get_json()["status"] == status
        before = rows(app)
        refused = delete(api, f"/batches/{batch['id']}")
        assert in_use(refused) == [("recalls", "in-use"), ("events", "in-use")]
        assert refused.get_json()["errors"][0]["detail"] == "1 recall names it; recalls are kept"
        assert rows(app) == before
        if status == "open":
            assert api.post(f"/recalls/{made['id']}/close", {"note": "done"}).status_code == 200
    # The recall names LOT42 only: LOT43 of the same GTIN is not kept by it.
    assert delete(api, f"/batches/{other['id']}").status_code == 200


def test_the_recall_checks_stand_on_their_own(app: Flask, api: Api) -> None:
    """A recall names a lot by its ``lots`` (open or closed) or by the lot's ``recall_id``
    (the open one); either keeps the lot. A recall row made without any event here."""
    batch = api.batch(api.product()["id"], "LOT42")
    recall_id = recall(app, api.merchant_id, batch_id=batch["id"])
    expected = [("recalls", "in-use")]
    assert in_use(delete(api, f"/batches/{batch['id']}")) == expected
    for values in (
        {"batches": {"recall_id": None}, "recalls": {"status": "closed"}},
        {"batches": {"recall_id": recall_id}, "recalls": {"lots": ["LOT43"]}},
    ):
        with app.extensions["shoptrace"].store.begin() as conn:
            conn.execute(batches.update().values(**values["batches"]))
            conn.execute(recalls.update().values(**values["recalls"]))
        assert in_use(delete(api, f"/batches/{batch['id']}")) == expected
    with app.extensions["shoptrace"].store.begin() as conn:
        conn.execute(batches.update().values(recall_id=None))
    assert delete(api, f"/batches/{batch['id']}").status_code == 200
    assert count_rows(app, recalls) == 1  # the recall (of the product) is kept


def test_a_lot_bound_to_an_order_line_is_kept(app: Flask, api: Api) -> None:
    product = api.product(LOT_GTIN)
    batch = api.batch(product["id"], "L1", expiryDate="2030-01-01")
    place(api, order(lines=[{"gtin": LOT_GTIN, "quantity": 2}]))
    line = act(api, "1001", "fulfil")["lines"][0]
    assert (line["tracedBy"], line["lot"]) == ("lot", "L1")
    before = rows(app)
    refused = delete(api, f"/batches/{batch['id']}")
    # Fulfilment bound the line and captured its sale and shipment, both naming the lot.
    assert in_use(refused) == [("orderLines", "in-use"), ("events", "in-use")]
    details = [e["detail"] for e in refused.get_json()["errors"]]
    assert details[0] == "1 order line is bound to it; orders are kept"
    assert details[1].startswith("2 EPCIS events name the lot;")
    assert rows(app) == before


def test_the_order_line_check_stands_on_its_own(app: Flask, api: Api) -> None:
    product = api.product()
    batch = api.batch(product["id"])
    place(api, order(lines=[{"gtin": GTIN, "quantity": 1}]))
    with app.extensions["shoptrace"].store.begin() as conn:
        conn.execute(order_lines.update().values(batch_id=batch["id"]))
    assert in_use(delete(api, f"/batches/{batch['id']}")) == [("orderLines", "in-use")]


def test_a_lot_events_name_is_kept(app: Flask, api: Api) -> None:
    product = api.product()
    named = api.batch(product["id"], "LOT42")
    unnamed = api.batch(product["id"], "LOT420")  # a longer lot: not a prefix match
    assert capture(api, document([lot_event("LOT42")])).status_code == 202
    before = rows(app)
    refused = delete(api, f"/batches/{named['id']}")
    assert in_use(refused) == [("events", "in-use")]
    assert rows(app) == before
    assert delete(api, f"/batches/{unnamed['id']}").status_code == 200


# --- tenants ----------------------------------------------------------------------------------


def test_another_merchants_ids_are_not_found_and_nothing_changes(
    app: Flask, api: Api, other_api: Api
) -> None:
    product = api.product(GTIN2)
    batch = api.batch(api.product()["id"])
    before = rows(app)
    for path, field, what in (
        (f"/products/{product['id']}", "product_id", "product"),
        (f"/batches/{batch['id']}", "batch_id", "batch"),
    ):
        theirs = delete(other_api, path)
        read = other_api.get(path)
        assert theirs.status_code == read.status_code == 404
        assert theirs.get_json()["errors"] == read.get_json()["errors"]
        assert theirs.get_json()["errors"][0]["field"] == field
        assert theirs.get_json()["detail"] == f"{what} {path.rsplit('/', 1)[1]} does not exist"
    assert rows(app) == before
    assert api.get(f"/products/{product['id']}").status_code == 200


def test_another_merchants_rows_never_keep_a_product_or_lot(
    app: Flask, api: Api, other_api: Api
) -> None:
    # The rival registered the same GTIN and lot, issued codes, sold and captured events.
    theirs = other_api.product()
    their_lot = other_api.batch(theirs["id"], "LOT42")
    issued = other_api.post(f"/batches/{their_lot['id']}/codes", {"count": 1}).get_json()
    capture(other_api, document([ev.commission([issued["codes"][0]["uri"]]), lot_event("LOT42")]))
    place(other_api, order(lines=[{"gtin": GTIN, "quantity": 1}]))
    mine = api.product()
    my_lot = api.batch(mine["id"], "LOT42")
    their_rows = rows(app)
    assert delete(api, f"/batches/{my_lot['id']}").status_code == 200
    assert delete(api, f"/products/{mine['id']}").status_code == 200
    after = rows(app)
    assert after["products"] == [r for r in their_rows["products"] if r[0] != mine["id"]]
    assert after["batches"] == [r for r in their_rows["batches"] if r[0] != my_lot["id"]]
    for name in ("units", "order_lines", "events", "event_epcs"):
        assert after[name] == their_rows[name], name
    assert other_api.get(f"/products/{theirs['id']}").status_code == 200


# --- Idempotency-Key --------------------------------------------------------------------------


def test_a_delete_with_an_idempotency_key_replays_its_answer(app: Flask, api: Api) -> None:
    product = api.product()
    path = f"/products/{product['id']}"
    first = delete(api, path, **{"Idempotency-Key": "del-1"})
    again = delete(api, path, **{"Idempotency-Key": "del-1"})
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json() == {"id": product["id"], "deleted": True}
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    # Without the key a repeat is a plain 404; the key on another request is refused.
    assert delete(api, path).status_code == 404
    other = api.batch(api.product(GTIN2)["id"])
    reused = delete(api, f"/batches/{other['id']}", **{"Idempotency-Key": "del-1"})
    assert reused.status_code == 422
    assert reused.get_json()["errors"][0] == {
        "field": "Idempotency-Key",
        "rule": "reused",
        "detail": "this key was used for a different request; send a new key",
    }
    assert api.get(f"/batches/{other['id']}").status_code == 200


def test_a_refused_delete_keeps_no_answer_under_its_key(app: Flask, api: Api) -> None:
    product = api.product()
    batch = api.batch(product["id"])
    key = {"Idempotency-Key": "del-product"}
    assert in_use(delete(api, f"/products/{product['id']}", **key)) == [("lots", "in-use")]
    assert count_rows(app, idempotency_keys) == 0
    assert delete(api, f"/batches/{batch['id']}").status_code == 200
    # Once the lot is gone the same key deletes the product (the refusal was not stored).
    done = delete(api, f"/products/{product['id']}", **key)
    assert done.status_code == 200 and "Idempotent-Replayed" not in done.headers
    assert count_rows(app, idempotency_keys) == 1


# --- the resolver -----------------------------------------------------------------------------


def test_the_resolver_answers_404_once_its_state_ttl_passed(
    app: Flask, client: FlaskClient, api: Api
) -> None:
    resolver = app.extensions["shoptrace"].public.resolver
    now = [1000.0]
    resolver.state_ttl, resolver.clock = 1.0, lambda: now[0]
    product = api.product()
    batch = api.batch(product["id"], "LOT42")
    product_path, lot_path = f"/trace/01/{GTIN}", f"/trace/01/{GTIN}/10/LOT42"
    tags = {}
    for path in (product_path, lot_path):
        seen = client.get(path, headers=JSON)
        assert seen.status_code == 200 and seen.get_json()["gtin"] == GTIN
        tags[path] = seen.headers["ETag"]
    assert client.get(f"/trace/listings/{GTIN}").status_code == 200

    assert delete(api, f"/batches/{batch['id']}").status_code == 200
    # What this process read stays in use for SHOPTRACE_RESOLVER_STATE_TTL at most ...
    assert client.get(lot_path, headers=JSON).status_code == 200
    now[0] += 1.5  # ... and once it passed the lot is gone
    gone = client.get(lot_path, headers={**JSON, "If-None-Match": tags[lot_path]})
    assert gone.status_code == 404 and "ETag" not in gone.headers
    assert gone.get_json()["kind"] == "unknown"  # what an unknown code answers
    assert client.get(product_path, headers=JSON).status_code == 200  # the product stays

    assert delete(api, f"/products/{product['id']}").status_code == 200
    now[0] += 1.5
    for path in (product_path, lot_path):
        answer = client.get(path, headers={**JSON, "If-None-Match": tags[path]})
        assert answer.status_code == 404, path  # never a 304 for what is gone
    assert client.get(product_path).status_code == 404  # the page too
    assert client.get(f"/trace/listings/{GTIN}").status_code == 404


# --- the document -----------------------------------------------------------------------------


def test_the_operations_are_documented_and_answers_fit(api: Api) -> None:
    doc = api.get("/openapi.json").get_json()
    registry = Registry().with_resource("urn:openapi", Resource(doc, DRAFT202012))

    def fits(name: str, instance: Any) -> None:
        schema = {"$ref": f"urn:openapi#/components/schemas/{name}"}
        Draft202012Validator(schema, registry=registry).validate(instance)

    for path, op_id, deleted in (
        ("/products/{product_id}", "delete_product", "ProductDeleted"),
        ("/batches/{batch_id}", "delete_batch", "BatchDeleted"),
    ):
        op = doc["paths"][path]["delete"]
        assert op["operationId"] == op_id
        assert {"200", "404", "409"} <= set(op["responses"])
        assert "Idempotency-Key" in {p["name"] for p in op["parameters"]}
        assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{deleted}"
        }
    product = api.product()
    batch = api.batch(product["id"])
    fits("Problem", delete(api, f"/products/{product['id']}").get_json())
    fits("BatchDeleted", delete(api, f"/batches/{batch['id']}").get_json())
    fits("ProductDeleted", delete(api, f"/products/{product['id']}").get_json())
