"""EPCIS binding: ``GET /events`` (queries), ``POST /events`` (one event),
``GET /events/{eventID}``."""

from __future__ import annotations

from flask import Blueprint, Response

from shoptrace.shop_plugin.api.epcis.capture import check_media_type
from shoptrace.shop_plugin.api.epcis.support import (
    check_versions,
    event_location,
    json_answer,
    path_value,
    query_answer,
    query_params,
)
from shoptrace.shop_plugin.api.support import json_body, merchant_id, state
from shoptrace.shop_plugin.services import capture, event_query
from shoptrace.shop_plugin.services.clock import utcnow

__all__ = ["register"]


def query_events() -> Response:
    check_versions()
    query = query_params()
    with state().store.read() as conn:
        return query_answer(conn, query)


def capture_event() -> Response:
    check_versions()
    check_media_type()
    event = json_body()
    with state().store.begin() as conn:
        result = capture.capture_event(conn, merchant_id(), event)
    status = 201 if result.created else 200
    return json_answer(result.document, status, {"Location": event_location(result.event_id)})


def get_event(event_id: str) -> Response:
    check_versions()
    path_value("eventID", event_id)
    with state().store.read() as conn:
        page = event_query.event_by_id(conn, merchant_id(), event_id)
        text = event_query.query_document(conn, merchant_id(), page, created=utcnow())
    return json_answer(text)


def register(bp: Blueprint) -> None:
    """Add the event routes to the EPCIS blueprint."""
    bp.add_url_rule("/events", view_func=query_events, methods=["GET"])
    bp.add_url_rule("/events", view_func=capture_event, methods=["POST"])
    bp.add_url_rule(
        "/events/<path:event_id>", view_func=get_event, methods=["GET"], merge_slashes=False
    )
