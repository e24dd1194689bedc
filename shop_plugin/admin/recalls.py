"""Recalls: open one for lots or units, its impact and the CSV of orders to notify, close it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any

from flask import Blueprint, Response, current_app, request

from shoptrace.shop_plugin import signals
from shoptrace.shop_plugin.admin.forms import FormErrors, errors_of, gtin_text, recall_body
from shoptrace.shop_plugin.admin.support import (
    after_commit,
    base_url,
    choice_arg,
    go,
    lang,
    merchant_id,
    other_link,
    page_after,
    reading,
    render,
    state,
    writing,
)
from shoptrace.shop_plugin.services import products, recalls
from shoptrace.shop_plugin.services.errors import Conflict, InvalidInput
from shoptrace.shop_plugin.store.tables import RECALL_SEVERITIES, RECALL_STATUSES

__all__ = ["register"]

PAGE = 50
PRODUCTS_LISTED = 500


def _send(signal: Any, owner: int, recall: dict[str, Any]) -> None:
    """Send ``signal`` for ``recall`` once the transaction has committed."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    after_commit(lambda: signal.send(app, merchant_id=owner, recall=recall))


def recall_list() -> Response:
    status = choice_arg("status", RECALL_STATUSES)
    with reading() as conn:
        page = recalls.list_recalls(
            conn, merchant_id(), after=page_after(), limit=PAGE, status=status
        )
    return render(
        "recalls.html",
        recalls=page.items,
        chosen=status,
        statuses=RECALL_STATUSES,
        next_token=page.next_token,
    )


def _form_data(source: Any) -> dict[str, str]:
    """The recall form's inputs as text (from the query when opening the form, or the
    posted form)."""

    def get(name: str) -> str:
        value = source.get(name)
        return value.strip() if isinstance(value, str) else ""

    lots = source.get("lots")
    if not isinstance(lots, str):
        lots = ""
    if not lots and hasattr(source, "getlist"):
        lots = "\n".join(v for v in source.getlist("lot") if isinstance(v, str))
    units = source.get("units")
    return {
        "gtin": get("gtin"),
        "scope": get("scope") or "lots",
        "lots": lots,
        "units": units if isinstance(units, str) else "",
        "reason.zh-CN": get("reason.zh-CN"),
        "reason.en": get("reason.en"),
        "severity": get("severity"),
        "location": get("location"),
    }


def _recall_form(data: dict[str, str], errors: FormErrors, status: int = 200) -> Response:
    with reading() as conn:
        listed = products.list_products(conn, merchant_id(), limit=PRODUCTS_LISTED).items
    return render(
        "recall_form.html",
        status=status,
        switch=other_link(".new_recall") if request.method == "POST" else None,
        data=data,
        errors=errors,
        products=listed,
        severities=RECALL_SEVERITIES,
    )


def new_recall() -> Response:
    if request.method == "GET":
        data = _form_data(request.args)
        data["gtin"] = gtin_text(data["gtin"])
        return _recall_form(data, FormErrors(lang=lang()))
    owner = merchant_id()
    body = recall_body(request.form)
    settings = state().settings
    try:
        with writing() as conn:
            recall = recalls.create_recall(
                conn,
                owner,
                body,
                base_url=base_url(),
                page_size=min(settings.page_size, settings.max_page_size),
            )
            listed = ("orders", "nextPageToken")
            summary = {k: v for k, v in recall["impact"].items() if k not in listed}
            _send(signals.recall_created, owner, {**recall, "impact": summary})
    except (InvalidInput, Conflict) as exc:
        return _recall_form(_form_data(request.form), errors_of(exc, lang()), exc.status)
    return go(".recall", recall_id=recall["id"], notice="recalled")


def _recall_page(
    recall_id: int, *, errors: FormErrors | None = None, note: str = "", status: int = 200
) -> Response:
    owner = merchant_id()
    with reading() as conn:
        found = recalls.get_recall(conn, owner, recall_id)
        impact = recalls.recall_impact(conn, owner, recall_id, after=page_after(), limit=PAGE)
        product = products.get_product(conn, owner, found["productId"])
    return render(
        "recall.html",
        status=status,
        switch=other_link(".recall", recall_id=recall_id) if request.method == "POST" else None,
        recall=found,
        impact=impact,
        product=product,
        errors=errors or FormErrors(lang=lang()),
        note=note,
    )


def recall(recall_id: int) -> Response:
    return _recall_page(recall_id)


def close_recall(recall_id: int) -> Response:
    owner = merchant_id()
    raw = request.form.get("note")
    note = raw.strip() if isinstance(raw, str) else ""
    try:
        with writing() as conn:
            closed = recalls.close_recall(conn, owner, recall_id, {"note": note} if note else {})
            _send(signals.recall_closed, owner, closed)
    except (InvalidInput, Conflict) as exc:
        return _recall_page(recall_id, errors=errors_of(exc, lang()), note=note, status=exc.status)
    return go(".recall", recall_id=recall_id, notice="closed")


def recall_csv(recall_id: int) -> Response:
    out = tempfile.SpooledTemporaryFile(max_size=16 << 20)
    try:
        recalls.write_impact_csv(state().store, merchant_id(), recall_id, out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    response = Response(_drain(out), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="shoptrace-recall-{recall_id}-impact.csv"'
    )
    return response


def _drain(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := handle.read(1 << 16):
            yield chunk
    finally:
        handle.close()


def register(bp: Blueprint) -> None:
    """Add the recall pages."""
    one = "/recalls/<shoptrace_id:recall_id>"
    bp.add_url_rule("/recalls", "recalls", recall_list, methods=["GET"])
    bp.add_url_rule("/recalls/new", "new_recall", new_recall, methods=["GET", "POST"])
    bp.add_url_rule(one, "recall", recall, methods=["GET"])
    bp.add_url_rule(one + "/close", "close_recall", close_recall, methods=["POST"])
    bp.add_url_rule(one + "/impact.csv", "recall_csv", recall_csv, methods=["GET"])
