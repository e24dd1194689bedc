"""Public routes beside the resolver: the shopper's order page and the listing summary.

``/orders/{token}``: the order the signed token names (the shop puts the link on its
confirmation page and e-mail), as a page or, with ``Accept: application/json``, as JSON:
every line with its name, quantity, status, trace links and QR codes, and recall notices.
A token this service did not make is a plain 404. Answers are private (``no-cache``, not
indexed, no referrer).

``/listings/{gtin}``: what the badge on a listing shows: the product, the lot now selling
(the one the next fulfilment takes first) with its origin, dates and journey, public
certifications and trace completeness; the public trace JSON of that lot, ``kind`` set to
``listing``. Cached and revalidated like the resolver's answers.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request
from jinja2 import Environment

from shoptrace.sdk import digital_link
from shoptrace.sdk.gs1 import has_valid_check_digit
from shoptrace.shop_plugin.resolver import views
from shoptrace.shop_plugin.resolver.lookup import Missing
from shoptrace.shop_plugin.resolver.negotiation import JSON, wants_json
from shoptrace.shop_plugin.resolver.state import ResolverState, resolver_state
from shoptrace.shop_plugin.services import orders, public_trace
from shoptrace.widgets import environment, i18n, negotiate
from shoptrace.widgets.render import safe_url

__all__ = ["ORDER_PAGE", "LineView", "LinkView", "OrderView", "listing", "order_page", "order_view"]

ORDER_PAGE = "shoptrace/order.html"
_QR_PREFIX = "data:image/svg+xml;base64,"


@dataclass(frozen=True)
class LinkView:
    """One trace link of a line: a unit or the lot, with its QR code."""

    label: str
    code: str
    qr: str | None
    status: str | None
    recalled: bool


@dataclass(frozen=True)
class LineView:
    """One order line as the page shows it."""

    name: str
    quantity: str
    status: str
    gtin: str | None
    lot: str | None
    links: tuple[LinkView, ...]
    more: str | None
    note: str | None
    recall_label: str | None
    recall_lines: tuple[str, ...]


@dataclass(frozen=True)
class OrderView:
    """What the order page shows; every text is plain (the template escapes it)."""

    lang: str
    title: str
    placed: str | None
    status: str
    lines: tuple[LineView, ...]
    recall_label: str | None
    recall_advice: str | None
    kind: str = "order"
    unknown: bool = False


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def order_view(body: Mapping[str, Any], *, lang: str) -> OrderView:
    """The public order JSON as the page shows it."""
    lg = i18n.normalize_lang(lang)
    number = _text(body.get("number"))
    placed = _text(body.get("placedAt"))
    lines = []
    for line in body.get("lines") or []:
        links = tuple(
            LinkView(
                label=_text(link.get("label")) or "",
                code=code,
                qr=qr
                if isinstance(qr := link.get("qr"), str) and qr.startswith(_QR_PREFIX)
                else None,
                status=_text(link.get("statusLabel")),
                recalled=link.get("recalled") is True,
            )
            for link in line.get("links") or []
            if (code := safe_url(link.get("code"))) is not None
        )
        more = line.get("moreLinks")
        recall = line.get("recall") or {}
        recall_lines = [_text(recall.get("reason"))]
        if since := _text(recall.get("since")):
            recall_lines.append(i18n.t("ui.recall_since", lg, date=i18n.format_date(since, lg)))
        recall_lines.append(_text(recall.get("advice")))
        lines.append(
            LineView(
                name=_text(line.get("name")) or i18n.t("order.item", lg),
                quantity=i18n.t("order.quantity", lg, count=line.get("quantity")),
                status=_text(line.get("statusLabel")) or "",
                gtin=_text(line.get("gtin")),
                lot=_text(line.get("lot")),
                links=links,
                more=i18n.t("order.more_units", lg, count=more) if more else None,
                note=i18n.t("order.no_trace", lg) if line.get("status") == "untraced" else None,
                recall_label=_text(recall.get("label")) if recall else None,
                recall_lines=tuple(x for x in recall_lines if x) if recall else (),
            )
        )
    recall = body.get("recall") or {}
    return OrderView(
        lang=lg,
        title=i18n.t("order.number", lg, number=number) if number else i18n.t("order.yours", lg),
        placed=i18n.t("order.placed_on", lg, date=i18n.format_date(placed, lg)) if placed else None,
        status=_text(body.get("statusLabel")) or "",
        lines=tuple(lines),
        recall_label=_text(recall.get("label")),
        recall_advice=_text(recall.get("advice")),
    )


@functools.cache
def _package_environment() -> Environment:
    return environment()


def _render(st: ResolverState, body: Mapping[str, Any], lang: str) -> str:
    view = order_view(body, lang=lang)

    def translate(key: str, **args: object) -> str:
        return i18n.t(key, view.lang, **args)

    template = (st.env or _package_environment()).get_template(ORDER_PAGE)
    return template.render(
        view=view,
        lang=view.lang,
        other_lang="en" if view.lang == "zh-CN" else "zh-CN",
        t=translate,
        csp_nonce=None,
    )


def order_page(token: str) -> Response:
    """``/orders/{token}``: the shopper's order page (HTML) or its JSON."""
    if request.method == "OPTIONS":
        return views._preflight()
    st = resolver_state()
    shop = current_app.extensions["shoptrace"]
    lang = negotiate(
        request.args.get("lang"),
        request.headers.get("Accept-Language"),
        st.settings.default_language,
    )
    base = views._base(st, request)
    with shop.store.read() as conn:
        row = orders.order_row_by_token(conn, orders.token_key(shop.signing_key), token)
        if row is None:
            return views.problem(404, "No order has this link.")
        body = orders.public_order(conn, row.merchant_id, row, base=base, lang=lang)
    if wants_json(request):
        response = Response(views._json(body), mimetype=JSON)
    else:
        html = _render(st, body, lang)
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = views._csp(html, framed=False)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Language"] = body["lang"]
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Vary"] = "Accept, Accept-Language"
    return response


def _gtin(value: str) -> str | None:
    digits = value.strip()
    if len(digits) not in (8, 12, 13, 14) or not digits.isascii() or not digits.isdigit():
        return None
    digits = digits.zfill(14)
    return digits if has_valid_check_digit(digits) else None


def _listing_body(content: Mapping[str, Any], gtin: str, lot: str | None) -> dict[str, Any]:
    batch = content.get("batch") if lot else None
    body = {
        "kind": "listing",
        "lang": content.get("lang"),
        "code": content.get("code"),
        "gtin": gtin,
        "lot": lot,
        "product": content.get("product"),
        "batch": batch,
        "origin": (batch or {}).get("origin"),
        "certifications": content.get("certifications"),
        "completeness": content.get("completeness"),
        "timeline": content.get("timeline") if lot else None,
        "recall": content.get("recall"),
    }
    return {k: v for k, v in body.items() if v not in (None, [], {})}


def listing(gtin: str) -> Response:
    """``/listings/{gtin}``: the listing summary JSON for the badge."""
    if request.method == "OPTIONS":
        return views._preflight()
    st = resolver_state()
    shop = current_app.extensions["shoptrace"]
    digits = _gtin(gtin)
    if digits is None:
        return views.problem(400, "The path must end in a GTIN of 8, 12, 13 or 14 digits.")
    lang = negotiate(
        request.args.get("lang"),
        request.headers.get("Accept-Language"),
        st.settings.default_language,
    )
    base = views._base(st, request)
    owners = {o.merchant_id for o in st.resolver.owners(digits)}
    preferred = st.settings.shop_merchant
    merchant_id = preferred if preferred in owners else min(owners, default=None)
    found = None
    if merchant_id is not None:
        with shop.store.read() as conn:
            found = orders.listing_lot(conn, merchant_id, digits)
    if found is None:
        unknown = public_trace.unknown_trace(f"{base}/01/{digits}", lang=lang)
        response = Response(views._json(unknown), 404, mimetype=JSON)
        response.headers["Cache-Control"] = "public, max-age=60"
        response.headers["Content-Language"] = unknown["lang"]
        return response
    _product_id, lot = found
    product_path = f"/01/{digits}"
    path = product_path + (f"/10/{digital_link.escape(lot)}" if lot else "")
    item = st.resolver.find(digital_link.parse("https://resolver.invalid" + path))
    if isinstance(item, Missing) or item.merchant_id != merchant_id:
        lot, path = None, product_path
        item = st.resolver.find(digital_link.parse("https://resolver.invalid" + path))
    if isinstance(item, Missing):
        return views.problem(404, "This product is not traced here.")
    found_item = item
    tag = views._etag("listing", lang, base, path, found_item.version)

    def make() -> views.Answer:
        content = st.resolver.content(found_item, base=base, lang=lang)
        body = _listing_body(content.body, digits, lot)
        return views.Answer(views._json(body), JSON, (("Content-Language", lang),))

    return views._respond(st, request, tag, make, 60)
