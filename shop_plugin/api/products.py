"""Merchant API: products and their trace completeness; deleting one nothing refers to."""

from __future__ import annotations

from flask import Blueprint, url_for
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin.api.support import (
    Answer,
    json_body,
    merchant_id,
    page_args,
    paged,
    query_arg,
    read_route,
    write_route,
)
from shoptrace.shop_plugin.services import completeness, products
from shoptrace.shop_plugin.services.catalogue import CATEGORY_CODES
from shoptrace.shop_plugin.services.validation import enum, gtin, text

__all__ = ["register"]


@read_route
def list_products(conn: Connection) -> Answer:
    after, limit = page_args()
    page = products.list_products(
        conn,
        merchant_id(),
        after=after,
        limit=limit,
        gtin=query_arg("gtin", gtin()),
        category=query_arg("category", enum(CATEGORY_CODES)),
        sku=query_arg("sku", text(max_length=100)),
    )
    return paged(page, "products")


@write_route
def create_product(conn: Connection) -> Answer:
    product = products.create_product(conn, merchant_id(), json_body())
    location = url_for(".get_product", product_id=product["id"])
    return product, 201, {"Location": location}


@read_route
def get_product(conn: Connection, product_id: int) -> Answer:
    return products.get_product(conn, merchant_id(), product_id), 200, {}


@write_route
def update_product(conn: Connection, product_id: int) -> Answer:
    return products.update_product(conn, merchant_id(), product_id, json_body()), 200, {}


@write_route
def delete_product(conn: Connection, product_id: int) -> Answer:
    return products.delete_product(conn, merchant_id(), product_id), 200, {}


@read_route
def product_completeness(conn: Connection, product_id: int) -> Answer:
    return completeness.product_completeness(conn, merchant_id(), product_id), 200, {}


def register(bp: Blueprint) -> None:
    """Add the product routes to the API blueprint."""
    bp.add_url_rule("/products", view_func=list_products, methods=["GET"])
    bp.add_url_rule("/products", view_func=create_product, methods=["POST"])
    bp.add_url_rule("/products/<shoptrace_id:product_id>", view_func=get_product, methods=["GET"])
    bp.add_url_rule(
        "/products/<shoptrace_id:product_id>", view_func=update_product, methods=["PATCH"]
    )
    bp.add_url_rule(
        "/products/<shoptrace_id:product_id>", view_func=delete_product, methods=["DELETE"]
    )
    bp.add_url_rule(
        "/products/<shoptrace_id:product_id>/completeness",
        view_func=product_completeness,
        methods=["GET"],
    )
