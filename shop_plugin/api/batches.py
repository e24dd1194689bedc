"""Merchant API: batches and their trace completeness; deleting one nothing refers to."""

from __future__ import annotations

from flask import Blueprint, url_for
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.api.support import (
    Answer,
    id_arg,
    json_body,
    merchant_id,
    page_args,
    paged,
    query_arg,
    read_route,
    write_route,
)
from shoptrace.shop_plugin.services import batches, completeness
from shoptrace.shop_plugin.services.validation import gs1

__all__ = ["register"]


@read_route
def list_batches(conn: Connection) -> Answer:
    after, limit = page_args()
    page = batches.list_batches(
        conn,
        merchant_id(),
        after=after,
        limit=limit,
        product_id=id_arg("productId"),
        lot=query_arg("lot", gs1("10")),
    )
    return paged(page, "batches")


@write_route
def create_batch(conn: Connection) -> Answer:
    batch = batches.create_batch(conn, merchant_id(), json_body())
    return batch, 201, {"Location": url_for(".get_batch", batch_id=batch["id"])}


@read_route
def get_batch(conn: Connection, batch_id: int) -> Answer:
    return batches.get_batch(conn, merchant_id(), batch_id), 200, {}


@write_route
def update_batch(conn: Connection, batch_id: int) -> Answer:
    return batches.update_batch(conn, merchant_id(), batch_id, json_body()), 200, {}


@write_route
def delete_batch(conn: Connection, batch_id: int) -> Answer:
    return batches.delete_batch(conn, merchant_id(), batch_id), 200, {}


@read_route
def batch_completeness(conn: Connection, batch_id: int) -> Answer:
    return completeness.batch_completeness(conn, merchant_id(), batch_id), 200, {}


def register(bp: Blueprint) -> None:
    """Add the batch routes to the API blueprint."""
    bp.add_url_rule("/batches", view_func=list_batches, methods=["GET"])
    bp.add_url_rule("/batches", view_func=create_batch, methods=["POST"])
    bp.add_url_rule("/batches/<shoptrace_id:batch_id>", view_func=get_batch, methods=["GET"])
    bp.add_url_rule("/batches/<shoptrace_id:batch_id>", view_func=update_batch, methods=["PATCH"])
    bp.add_url_rule("/batches/<shoptrace_id:batch_id>", view_func=delete_batch, methods=["DELETE"])
    bp.add_url_rule(
        "/batches/<shoptrace_id:batch_id>/completeness",
        view_func=batch_completeness,
        methods=["GET"],
    )
