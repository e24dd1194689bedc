"""The dashboard (scans per day, alerts, completeness by product) and the integrity check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from shoptrace.shop_plugin.admin import queries
from shoptrace.shop_plugin.admin.chart import bar_chart
from shoptrace.shop_plugin.admin.support import lang, merchant_id, reading, render, state
from shoptrace.shop_plugin.services import chain, completeness, products
from shoptrace.shop_plugin.services.clock import utcnow

__all__ = ["CHECK_PAGE", "VERIFY_LIMIT", "register"]

VERIFY_LIMIT = 1000
"""Chains up to this many events are checked for the dashboard; longer ones on request."""
CHECK_PAGE = 100_000
"""Events one press of "check" verifies (a few seconds); a longer chain offers to go on."""
COMPLETENESS_SHOWN = 20


def dashboard() -> Response:
    owner = merchant_id()
    with reading() as conn:
        days = queries.scans_per_day(conn, owner, today=utcnow().date())
        alerts = queries.alerts(conn, owner)
        flags = queries.recent_flags(conn, owner)
        length = queries.chain_length(conn, owner)
        page = products.list_products(conn, owner, limit=COMPLETENESS_SHOWN)
        scores: list[tuple[dict[str, Any], dict[str, Any]]] = [
            (item, completeness.product_completeness(conn, owner, item["id"]))
            for item in page.items
        ]
    report = chain.verify(state().store, owner) if length <= VERIFY_LIMIT else None
    return render(
        "dashboard.html",
        chart=bar_chart(days, lang()),
        alerts=alerts,
        flags=flags,
        chain_length=length,
        chain=report,
        scores=scores,
        more_products=page.next_token is not None,
    )


def integrity() -> Response:
    """The chain check, run on request a page of :data:`CHECK_PAGE` events at a time."""
    report = None
    if request.args.get("run"):
        owner = merchant_id()
        token = request.args.get("pageToken")
        after = chain.decode_token(owner, token) if token else None
        report = chain.verify(state().store, owner, after=after, limit=CHECK_PAGE)
    return render("integrity.html", report=report)


def register(bp: Blueprint) -> None:
    """Add the dashboard and the integrity check."""
    bp.add_url_rule("/", "dashboard", dashboard, methods=["GET"])
    bp.add_url_rule("/integrity", "integrity", integrity, methods=["GET"])
