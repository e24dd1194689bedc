"""Every operation of the merchant API's OpenAPI document has a client method."""

from __future__ import annotations

from shoptrace.sdk.client import TraceClient
from shoptrace.shop_plugin.api.openapi import document
from tests.sdk.client.conftest import BASE, KEY

OPERATIONS = {
    "list_categories": "categories.list",
    "list_products": "products.list",
    "create_product": "products.create",
    "get_product": "products.get",
    "update_product": "products.update",
    "delete_product": "products.delete",
    "product_completeness": "products.completeness",
    "list_batches": "batches.list",
    "create_batch": "batches.create",
    "get_batch": "batches.get",
    "update_batch": "batches.update",
    "delete_batch": "batches.delete",
    "batch_completeness": "batches.completeness",
    "issue_codes": "codes.issue",
    "list_codes": "codes.list",
    "export_csv": "codes.csv",
    "export_pdf": "codes.labels",
    "list_issuances": "codes.issuances",
    "get_issuance": "codes.get_issuance",
    "batch_downstream": "traces.downstream",
    "get_trace": "traces.get",
    "integrity": "integrity.verify",
    "list_orders": "orders.list",
    "place_order": "orders.place",
    "get_order": "orders.get",
    "fulfil_order": "orders.fulfil",
    "deliver_order": "orders.deliver",
    "cancel_order": "orders.cancel",
    "return_order": "orders.return_",
    "list_recalls": "recalls.list",
    "create_recall": "recalls.create",
    "get_recall": "recalls.get",
    "recall_impact": "recalls.impact",
    "close_recall": "recalls.close",
    "list_webhooks": "webhook_endpoints.list",
    "create_webhook": "webhook_endpoints.create",
    "get_webhook": "webhook_endpoints.get",
    "update_webhook": "webhook_endpoints.update",
    "delete_webhook": "webhook_endpoints.delete",
    "rotate_webhook_secret": "webhook_endpoints.rotate_secret",
    "test_webhook": "webhook_endpoints.test",
    "list_webhook_deliveries": "webhook_endpoints.deliveries",
    "get_webhook_delivery": "webhook_endpoints.get_delivery",
    "redeliver_webhook_delivery": "webhook_endpoints.redeliver",
    "list_upstreams": "upstreams.list",
    "create_upstream": "upstreams.create",
    "get_upstream": "upstreams.get",
    "update_upstream": "upstreams.update",
    "delete_upstream": "upstreams.delete",
    "resume_upstream": "upstreams.resume",
    "rewind_upstream": "upstreams.rewind",
    "list_connections": "connections.list",
    "create_connection": "connections.create",
    "get_connection": "connections.get",
    "update_connection": "connections.update",
    "delete_connection": "connections.delete",
    "list_locations": "locations.list",
    "create_location": "locations.create",
    "get_location": "locations.get",
    "update_location": "locations.update",
    "delete_location": "locations.delete",
}
NOT_IN_CLIENT = {
    "openapi": "the document itself",
}


def test_every_operation_has_a_client_method() -> None:
    doc = document("/trace")
    operations = {op["operationId"] for item in doc["paths"].values() for op in item.values()}
    missing = operations - set(OPERATIONS) - set(NOT_IN_CLIENT)
    assert not missing, f"operations without a client method: {sorted(missing)}"
    client = TraceClient(KEY, base_url=BASE)
    for operation, dotted in OPERATIONS.items():
        service, method = dotted.split(".")
        assert callable(getattr(getattr(client, service), method)), operation
    assert set(OPERATIONS) <= operations, sorted(set(OPERATIONS) - operations)
