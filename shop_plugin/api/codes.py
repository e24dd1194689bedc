"""Merchant API: code issuance, issuance jobs, code lists and CSV / PDF exports."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any, BinaryIO, cast

from flask import Blueprint, Response, url_for
from sqlalchemy.engine import Connection

from shoptrace.sdk import labels
from shoptrace.shop_plugin.api.support import (
    Answer,
    after_commit,
    base_url,
    id_arg,
    json_body,
    merchant_id,
    next_link,
    page_args,
    paged,
    query_arg,
    read_route,
    state,
    write_route,
)
from shoptrace.shop_plugin.config import LANGUAGES
from shoptrace.shop_plugin.services import codes, issuance
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.validation import enum

__all__ = ["register"]

_LAYOUTS = tuple(labels.LAYOUTS)


@write_route
def issue_codes(conn: Connection, batch_id: int) -> Answer:
    st = state()
    result = issuance.issue_codes(
        conn,
        merchant_id(),
        batch_id,
        json_body(),
        signing_key=st.signing_key,
        sync_limit=st.settings.sync_code_limit,
        max_count=st.settings.max_code_count,
    )
    job = result.issuance
    location = url_for(".get_issuance", issuance_id=job["id"])
    if result.serials is None:
        if st.settings.job_runner == "thread":
            after_commit(st.start_job_runner)
        return {"issuance": job}, 202, {"Location": location}
    batch = codes.check_selection(conn, merchant_id(), batch_id, None)
    prefix = codes.unit_uri_prefix(base_url(), batch.gtin, batch.lot)
    listed = [{"serial": s, "uri": prefix + s} for s in result.serials]
    return {"issuance": job, "codes": listed}, 201, {"Location": location}


@read_route
def get_issuance(conn: Connection, issuance_id: int) -> Answer:
    st = state()
    job = issuance.get_issuance(conn, merchant_id(), issuance_id)
    if st.settings.job_runner == "thread" and _stalled(job):
        st.start_job_runner()
    return job, 200, {}


def _stalled(job: dict[str, Any]) -> bool:
    """A pending job nobody took, or a running one whose worker stopped reporting."""
    if job["status"] not in ("pending", "running"):
        return False
    updated = datetime.fromisoformat(job["updatedAt"].replace("Z", "+00:00"))
    limit = 10 if job["status"] == "pending" else issuance.LEASE.total_seconds()
    return (utcnow() - updated).total_seconds() > limit


@read_route
def list_issuances(conn: Connection, batch_id: int) -> Answer:
    return {"issuances": issuance.list_issuances(conn, merchant_id(), batch_id)}, 200, {}


@read_route
def list_codes(conn: Connection, batch_id: int) -> Answer:
    after, limit = page_args()
    page = codes.list_codes(
        conn,
        merchant_id(),
        batch_id,
        base_url=base_url(),
        after=after,
        limit=limit,
        issuance_id=id_arg("issuance"),
    )
    return paged(page, "codes")


def export_csv(batch_id: int) -> Response:
    st = state()
    owner = merchant_id()
    selected = id_arg("issuance")
    with st.store.read() as conn:
        codes.check_selection(conn, owner, batch_id, selected)
    language = query_arg("lang", enum(LANGUAGES)) or st.settings.default_language
    chunks = codes.csv_chunks(
        st.store,
        owner,
        batch_id,
        base_url=base_url(),
        language=language,
        issuance_id=selected,
    )
    response = Response(chunks, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="shoptrace-batch-{batch_id}-codes.csv"'
    )
    return response


def export_pdf(batch_id: int) -> Response:
    st = state()
    layout = query_arg("layout", enum(_LAYOUTS)) or "a4-3x8"
    after, limit = page_args(maximum=st.settings.max_pdf_labels)
    out = tempfile.SpooledTemporaryFile(max_size=16 << 20)
    try:
        count, token = codes.write_pdf(
            st.store,
            merchant_id(),
            batch_id,
            cast(BinaryIO, out),
            base_url=base_url(),
            layout=layout,
            after=after,
            limit=limit,
            issuance_id=id_arg("issuance"),
        )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    response = Response(_drain(out), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="shoptrace-batch-{batch_id}-labels.pdf"'
    )
    response.headers["X-Label-Count"] = str(count)
    if token is not None:
        response.headers["Link"] = f'<{next_link(token)}>; rel="next"'
    return response


def _drain(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := handle.read(1 << 16):
            yield chunk
    finally:
        handle.close()


def register(bp: Blueprint) -> None:
    """Add the code routes to the API blueprint."""
    bp.add_url_rule(
        "/batches/<shoptrace_id:batch_id>/codes", view_func=issue_codes, methods=["POST"]
    )
    bp.add_url_rule("/batches/<shoptrace_id:batch_id>/codes", view_func=list_codes, methods=["GET"])
    bp.add_url_rule(
        "/batches/<shoptrace_id:batch_id>/codes.csv", view_func=export_csv, methods=["GET"]
    )
    bp.add_url_rule(
        "/batches/<shoptrace_id:batch_id>/codes.pdf", view_func=export_pdf, methods=["GET"]
    )
    bp.add_url_rule(
        "/batches/<shoptrace_id:batch_id>/issuances", view_func=list_issuances, methods=["GET"]
    )
    bp.add_url_rule(
        "/issuances/<shoptrace_id:issuance_id>", view_func=get_issuance, methods=["GET"]
    )
