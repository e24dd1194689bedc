"""EPCIS binding: ``POST /capture`` (documents, as capture jobs), ``GET /capture[/{id}]``."""

from __future__ import annotations

import shutil
import tempfile

from flask import Blueprint, Response, request, url_for

from shoptrace.shop_plugin.api.epcis.support import (
    check_versions,
    json_answer,
    list_link,
    page_params,
)
from shoptrace.shop_plugin.api.support import merchant_id, state
from shoptrace.shop_plugin.services import capture
from shoptrace.shop_plugin.services.errors import FieldError, InvalidInput, ServiceError
from shoptrace.shop_plugin.services.event_query import QueryParameterError
from shoptrace.shop_plugin.store.tables import CAPTURE_ERROR_BEHAVIOURS

__all__ = ["BEHAVIOUR_HEADER", "register"]

BEHAVIOUR_HEADER = "GS1-Capture-Error-Behaviour"
_MEDIA_TYPES = ("application/json", "application/ld+json")


def check_media_type() -> None:
    """415 unless the body is JSON (``application/json`` or ``application/ld+json``)."""
    if request.mimetype not in _MEDIA_TYPES:
        raise InvalidInput.one(
            "Content-Type",
            "media-type",
            "send the body as application/json or application/ld+json",
            status=415,
        )


def _error_behaviour() -> str:
    value = request.headers.get(BEHAVIOUR_HEADER, "rollback").strip().lower()
    if value not in CAPTURE_ERROR_BEHAVIOURS:
        raise ServiceError(
            f"{BEHAVIOUR_HEADER}: must be rollback or proceed",
            errors=[FieldError(BEHAVIOUR_HEADER, "enum", "must be rollback or proceed")],
        )
    return value


def capture_document() -> Response:
    st = state()
    check_versions()
    behaviour = _error_behaviour()
    check_media_type()
    request.max_content_length = st.settings.capture_max_bytes
    # The upload goes to a spool first, so the write transaction waits for no client.
    with tempfile.SpooledTemporaryFile(max_size=8 << 20) as spool:
        shutil.copyfileobj(request.stream, spool, 1 << 16)
        spool.seek(0)
        with st.store.begin() as conn:
            job = capture.capture_document(
                conn,
                merchant_id(),
                spool,
                error_behaviour=behaviour,
                max_events=st.settings.capture_max_events,
            )
    location = url_for(".get_capture", capture_id=int(job["captureID"]))
    return json_answer(job, 202, {"Location": location, BEHAVIOUR_HEADER: behaviour})


def list_captures() -> Response:
    after, limit = page_params()
    if after is not None and not (after.isascii() and after.isdigit() and len(after) < 19):
        raise QueryParameterError("nextPageToken", "page-token", "is not a token of this list")
    with state().store.read() as conn:
        page = capture.list_jobs(conn, merchant_id(), after=int(after or 0), limit=limit)
    last = page.items[-1]["captureID"] if page.next_token is not None else None
    return json_answer(page.items, 200, list_link(last))


def get_capture(capture_id: int) -> Response:
    with state().store.read() as conn:
        return json_answer(capture.get_job(conn, merchant_id(), capture_id))


def register(bp: Blueprint) -> None:
    """Add the capture routes to the EPCIS blueprint."""
    bp.add_url_rule("/capture", view_func=capture_document, methods=["POST"])
    bp.add_url_rule("/capture", view_func=list_captures, methods=["GET"])
    bp.add_url_rule("/capture/<shoptrace_id:capture_id>", view_func=get_capture, methods=["GET"])
