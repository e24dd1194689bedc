"""Merchant API: recalls, their impact (JSON pages or CSV) and closing them."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any

from flask import Blueprint, Response, current_app, request, url_for
from sqlalchemy.engine import Connection

from shoptrace.shop_plugin import signals
from shoptrace.shop_plugin.api.support import (
    Answer,
    after_commit,
    base_url,
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
from shoptrace.shop_plugin.services import recalls
from shoptrace.shop_plugin.services.validation import enum, gtin
from shoptrace.shop_plugin.store.tables import RECALL_STATUSES

__all__ = ["register"]

_CSV = "text/csv"
_JSON = "application/json"


def _send(signal: Any, owner: int, recall: dict[str, Any]) -> None:
    """Send ``signal`` for ``recall`` once the transaction has committed."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    after_commit(lambda: signal.send(app, merchant_id=owner, recall=recall))


@write_route
def create_recall(conn: Connection) -> Answer:
    owner = merchant_id()
    recall = recalls.create_recall(
        conn,
        owner,
        json_body(),
        base_url=base_url(),
        page_size=min(state().settings.page_size, state().settings.max_page_size),
    )
    listed = ("orders", "nextPageToken")
    summary = {k: v for k, v in recall["impact"].items() if k not in listed}
    _send(signals.recall_created, owner, {**recall, "impact": summary})
    headers = {"Location": url_for(".get_recall", recall_id=recall["id"])}
    token = recall["impact"]["nextPageToken"]
    if token is not None:
        impact = url_for(".recall_impact", recall_id=recall["id"], pageToken=token, _external=True)
        headers["Link"] = f'<{impact}>; rel="next"'
    return recall, 201, headers


@read_route
def list_recalls(conn: Connection) -> Answer:
    after, limit = page_args()
    page = recalls.list_recalls(
        conn,
        merchant_id(),
        after=after,
        limit=limit,
        status=query_arg("status", enum(RECALL_STATUSES)),
        gtin=query_arg("gtin", gtin()),
    )
    return paged(page, "recalls")


@read_route
def get_recall(conn: Connection, recall_id: int) -> Answer:
    return recalls.get_recall(conn, merchant_id(), recall_id), 200, {}


def _wants_csv() -> bool:
    """``?format=csv`` (or ``json``) wins; else the Accept header's preference."""
    chosen = query_arg("format", enum(("json", "csv")))
    if chosen is not None:
        return bool(chosen == "csv")
    best = request.accept_mimetypes.best_match([_JSON, _CSV], default=_JSON)
    return best == _CSV


def recall_impact(recall_id: int) -> Response:
    if _wants_csv():
        return _impact_csv(recall_id)
    return _impact_json(recall_id)


@read_route
def _impact_json(conn: Connection, recall_id: int) -> Answer:
    after, limit = page_args()
    impact = recalls.recall_impact(conn, merchant_id(), recall_id, after=after, limit=limit)
    headers = {}
    if impact["nextPageToken"] is not None:
        headers["Link"] = f'<{next_link(impact["nextPageToken"])}>; rel="next"'
    return impact, 200, headers


def _impact_csv(recall_id: int) -> Response:
    out = tempfile.SpooledTemporaryFile(max_size=16 << 20)
    try:
        recalls.write_impact_csv(state().store, merchant_id(), recall_id, out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    response = Response(_drain(out), mimetype=_CSV)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="shoptrace-recall-{recall_id}-impact.csv"'
    )
    response.headers["Vary"] = "Accept"
    return response


def _drain(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := handle.read(1 << 16):
            yield chunk
    finally:
        handle.close()


@write_route
def close_recall(conn: Connection, recall_id: int) -> Answer:
    owner = merchant_id()
    body = json_body() if request.get_data(cache=True) else None
    recall = recalls.close_recall(conn, owner, recall_id, body)
    _send(signals.recall_closed, owner, recall)
    return recall, 200, {}


def register(bp: Blueprint) -> None:
    """Add the recall routes to the API blueprint."""
    bp.add_url_rule("/recalls", view_func=list_recalls, methods=["GET"])
    bp.add_url_rule("/recalls", view_func=create_recall, methods=["POST"])
    bp.add_url_rule("/recalls/<shoptrace_id:recall_id>", view_func=get_recall, methods=["GET"])
    bp.add_url_rule(
        "/recalls/<shoptrace_id:recall_id>/impact", view_func=recall_impact, methods=["GET"]
    )
    bp.add_url_rule(
        "/recalls/<shoptrace_id:recall_id>/close", view_func=close_recall, methods=["POST"]
    )
