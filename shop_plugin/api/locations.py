"""Merchant API: locations, the names (and coarse addresses) of the places events name."""

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
from shoptrace.shop_plugin.services import locations

__all__ = ["register"]


@read_route
def list_locations(conn: Connection) -> Answer:
    after, limit = page_args()
    page = locations.list_locations(
        conn,
        merchant_id(),
        after=after,
        limit=limit,
        place=query_arg("place", locations.place_check),
    )
    return paged(page, "locations")


@write_route
def create_location(conn: Connection) -> Answer:
    location = locations.create_location(conn, merchant_id(), json_body())
    return location, 201, {"Location": url_for(".get_location", location_id=location["id"])}


@read_route
def get_location(conn: Connection, location_id: int) -> Answer:
    return locations.get_location(conn, merchant_id(), location_id), 200, {}


@write_route
def update_location(conn: Connection, location_id: int) -> Answer:
    return locations.update_location(conn, merchant_id(), location_id, json_body()), 200, {}


@write_route
def delete_location(conn: Connection, location_id: int) -> Answer:
    return locations.delete_location(conn, merchant_id(), location_id), 200, {}


def register(bp: Blueprint) -> None:
    """Add the location routes to the API blueprint."""
    one = "/locations/<shoptrace_id:location_id>"
    bp.add_url_rule("/locations", view_func=list_locations, methods=["GET"])
    bp.add_url_rule("/locations", view_func=create_location, methods=["POST"])
    bp.add_url_rule(one, view_func=get_location, methods=["GET"])
    bp.add_url_rule(one, view_func=update_location, methods=["PATCH"])
    bp.add_url_rule(one, view_func=delete_location, methods=["DELETE"])
