"""Shop orders: placed, fulfilled, delivered, cancelled, returned; and the shop's listings.

The shop reports what happens to an order (:func:`apply_order`, with one of
:data:`ORDER_ACTIONS`) as a plain dict of the shape documented in ``shop_plugin/README.md``
("Orders and listings"), from the Python API, blinker signals, a platform webhook or the
merchant API. Every action takes the full shape and places an order it does not know yet; an
action already applied changes nothing, so a redelivered event is harmless.

- **Placing** records the order and matches each line to a product: by GTIN, else the shop's
  product id (``products.shop_product_id``), else the SKU. A line that matches nothing (or
  several products) is kept as ``untraced`` with a problem the merchant reads in both
  languages; it is matched again at fulfilment, so registering the product in between is
  enough. While an order is only placed, a new report of it replaces its details and lines.
- **Fulfilment** binds lines to units (scanned at the packing station, else first expiry first
  out from stock) or, for products traced by lot, to a lot (:mod:`.allocation`), moves the
  units to ``shipped`` and captures two EPCIS events with the order as a ``po`` business
  transaction: ``retail_selling`` (the units became the customer's) and ``shipping``, with
  the destination masked to country and region. It queues the ``order.traced`` webhook;
  :func:`send_order_signals` sends the ``order_traced`` signal once the caller committed.
- **Delivery** moves the units to ``delivered`` (an ``arriving`` event); an order delivered
  before it was reported fulfilled is fulfilled first.
- **Cancelling** is for orders not fulfilled yet (409 otherwise: record a return).
- **Returns** put the units named (or all of the order's) back in stock as ``returned``, with
  a ``receiving``/``returned`` event.

Each order has a signed token (:func:`order_token`): the shopper's order page
``{base}/orders/{token}`` shows every line with its trace links and QR codes, never customer
or address data (:func:`public_order`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from shoptrace.sdk import digital_link, qr
from shoptrace.sdk.epcis import events as ev
from shoptrace.sdk.epcis.documents import standalone_event
from shoptrace.sdk.gs1 import has_valid_check_digit
from shoptrace.shop_plugin import signals
from shoptrace.shop_plugin.services.allocation import (
    MAX_CODES,
    SCANNABLE_STATUSES,
    SOLD_STATUSES,
    STOCK_STATUSES,
    Binding,
    Need,
    Refusal,
    StockUnit,
    UnitsRefused,
    allocate_fefo,
    bind_scanned,
    fefo_lot,
    find_units,
    mark_units,
    read_codes,
    selling_lot,
    unit_traced,
)
from shoptrace.shop_plugin.services.capture import capture_event
from shoptrace.shop_plugin.services.catalogue import CATEGORY_CODES
from shoptrace.shop_plugin.services.clock import iso, utcnow
from shoptrace.shop_plugin.services.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
)
from shoptrace.shop_plugin.services.outbox import enqueue_event
from shoptrace.shop_plugin.services.pagination import MAX_ID, Page, encode_token
from shoptrace.shop_plugin.services.products import create_product, get_product
from shoptrace.shop_plugin.services.validation import (
    INVALID,
    Check,
    Field,
    array,
    enum,
    i18n,
    integer,
    obj,
    text,
    url,
)
from shoptrace.shop_plugin.store.tables import (
    ORDER_SOURCES,
    batches,
    merchants,
    order_lines,
    orders,
    products,
    recalls,
    units,
)
from shoptrace.widgets import i18n as phrases

if TYPE_CHECKING:
    from shoptrace.shop_plugin.extension import ShopTraceState

__all__ = [
    "MAX_LINES",
    "ORDER_ACTIONS",
    "PROBLEM_CODES",
    "OrderContext",
    "Outcome",
    "apply_for_shop",
    "apply_order",
    "get_order",
    "get_order_row",
    "list_orders",
    "listing_lot",
    "order_context",
    "order_row_by_token",
    "order_token",
    "order_uri",
    "public_order",
    "read_token",
    "run_action",
    "save_for_shop",
    "save_product",
    "send_order_signals",
    "token_key",
]

ORDER_ACTIONS = ("placed", "fulfilled", "delivered", "cancelled", "returned")
"""What the shop reports about an order."""
MAX_LINES = 500
"""Most lines in one order."""
MAX_QUANTITY = 100_000
LINE_UNITS_SHOWN = 100
"""Units listed per line in the API's order (``unitCount`` counts them all)."""
PUBLIC_LINKS = 20
"""Trace links (with QR codes) per line on the shopper's order page."""
_CANONICAL = "https://id.gs1.org"
_TOKEN_DOMAIN = b"shoptrace order token v1\x00"
_TOKEN_LENGTH = 32
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]{32}")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


# --- context -------------------------------------------------------------------------------


@dataclass
class OrderContext:
    """What applying an order needs beyond the database, and what it owes afterwards.

    ``base_url`` is the base of the Digital Link URIs and of the order page
    (``SHOPTRACE_PUBLIC_BASE_URL``, else the request's host and prefix; None outside a
    request: events then name items on ``https://id.gs1.org`` and ``traceUrl`` is a path).
    ``traced`` collects the orders fulfilled in the transaction: call
    :func:`send_order_signals` once it committed.
    """

    signing_key: str = field(repr=False)
    base_url: str | None = None
    url_prefix: str = "/trace"
    traced: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    @property
    def token_key(self) -> bytes:
        return token_key(self.signing_key)

    @property
    def link_base(self) -> str:
        """Base of the Digital Link URIs the service writes."""
        return self.base_url or _CANONICAL

    def page_url(self, token: str) -> str:
        """The shopper's order page."""
        return f"{self.base_url or self.url_prefix}/orders/{token}"


def order_context(state: ShopTraceState, *, base_url: str | None = None) -> OrderContext:
    """The context of an app's shoptrace state; ``base_url`` (the request's) is used when
    ``SHOPTRACE_PUBLIC_BASE_URL`` is not set."""
    settings = state.settings
    return OrderContext(
        signing_key=state.signing_key,
        base_url=settings.public_base_url or base_url,
        url_prefix=settings.url_prefix,
    )


def send_order_signals(sender: Any, context: OrderContext) -> None:
    """Send ``order_traced`` for each order the context's transaction traced (call after it
    committed); the list is emptied."""
    pending, context.traced[:] = list(context.traced), []
    for merchant_id, order in pending:
        signals.order_traced.send(sender, merchant_id=merchant_id, order=order)


@dataclass(frozen=True)
class Outcome:
    """What :func:`run_action` did: the order as the API shows it, whether this call placed
    it, and whether it traced it (fulfilment bound a line)."""

    order: dict[str, Any]
    created: bool
    traced: bool


# --- the order token -----------------------------------------------------------------------


def token_key(signing_key: str) -> bytes:
    """The key of the order tokens, derived from ``SHOPTRACE_SIGNING_KEY``."""
    return hmac.digest(signing_key.encode("utf-8"), _TOKEN_DOMAIN, "sha256")


def _round(key: bytes, index: int, half: bytes) -> bytes:
    return hmac.digest(key, bytes([index]) + half, "sha256")[:4]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def order_token(key: bytes, order_id: int) -> str:
    """The order page token of ``order_id``: the id enciphered (a 4-round Feistel network
    keyed by HMAC, so tokens reveal no order count) and an HMAC-SHA256 tag, 32 URL-safe
    characters, checkable without any lookup."""
    left, right = order_id.to_bytes(8, "big")[:4], order_id.to_bytes(8, "big")[4:]
    for index in range(4):
        left, right = right, _xor(left, _round(key, index, right))
    block = left + right
    tag = hmac.digest(key, b"tag" + block, "sha256")[:16]
    return base64.urlsafe_b64encode(block + tag).decode("ascii")


def read_token(key: bytes, token: str) -> int | None:
    """The order id a token names, or None for a token this key did not make."""
    if not isinstance(token, str) or not _TOKEN_CHARS.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token)
    except (binascii.Error, ValueError):
        return None
    block, tag = raw[:8], raw[8:]
    if not hmac.compare_digest(tag, hmac.digest(key, b"tag" + block, "sha256")[:16]):
        return None
    left, right = block[:4], block[4:]
    for index in reversed(range(4)):
        left, right = _xor(right, _round(key, index, left)), left
    order_id = int.from_bytes(left + right, "big")
    return order_id if 1 <= order_id <= MAX_ID else None


def order_row_by_token(conn: Connection, key: bytes, token: str) -> Any | None:
    """The order a token names (any active merchant's: the token is the credential)."""
    order_id = read_token(key, token)
    if order_id is None:
        return None
    return conn.execute(
        sa.select(orders)
        .select_from(orders.join(merchants, merchants.c.id == orders.c.merchant_id))
        .where(orders.c.id == order_id, merchants.c.status == "active")
    ).one_or_none()


# --- input shapes --------------------------------------------------------------------------


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _shop_id(max_length: int) -> Check:
    """A shop's id: a string, or a whole number (platforms send numbers) kept as text."""
    as_text = text(max_length=max_length)

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            value = str(value)
        return as_text(value, path, errors)

    return check


def _any_gtin() -> Check:
    """A GTIN-8, -12, -13 or -14, kept as 14 digits."""

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if not isinstance(value, str):
            errors.append(FieldError(path, "type", f"must be a string, got {_json_type(value)}"))
            return INVALID
        digits = value.strip()
        if len(digits) not in (8, 12, 13, 14) or not digits.isascii() or not digits.isdigit():
            errors.append(FieldError(path, "gtin", "must be a GTIN of 8, 12, 13 or 14 digits"))
            return INVALID
        digits = digits.zfill(14)
        if not has_valid_check_digit(digits):
            errors.append(FieldError(path, "check-digit", "the GS1 check digit is wrong"))
            return INVALID
        return digits

    return check


def _moment() -> Check:
    """An ISO 8601 date-time with a UTC offset (or an aware ``datetime``), as UTC."""

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        moment: datetime | None = None
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str) and 10 < len(value) <= 40:
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError:
                moment = None
        elif not isinstance(value, str):
            errors.append(FieldError(path, "type", f"must be a string, got {_json_type(value)}"))
            return INVALID
        if moment is None:
            errors.append(
                FieldError(path, "date-time", "must be ISO 8601, e.g. 2026-04-02T10:30:00+08:00")
            )
            return INVALID
        if moment.tzinfo is None or moment.utcoffset() is None:
            errors.append(FieldError(path, "time-zone", "must carry a UTC offset or Z"))
            return INVALID
        if not 2000 <= moment.year <= 2100:
            errors.append(FieldError(path, "range", "must be between the years 2000 and 2100"))
            return INVALID
        return moment.astimezone(UTC)

    return check


def _country() -> Check:
    as_text = text(max_length=2, min_length=2)

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        found = as_text(value, path, errors)
        if found is INVALID:
            return INVALID
        if not (found.isascii() and found.isalpha()):
            errors.append(FieldError(path, "iso-3166-alpha-2", "must be two letters, e.g. CN"))
            return INVALID
        return found.upper()

    return check


_DESTINATION = obj(
    {
        "country": Field(_country()),
        "region": Field(text(max_length=100)),
        "city": Field(text(max_length=100)),
        "postcode": Field(text(max_length=20)),
    }
)
_LINE = obj(
    {
        "id": Field(_shop_id(100)),
        "sku": Field(text(max_length=100)),
        "product_id": Field(_shop_id(100)),
        "gtin": Field(_any_gtin()),
        "name": Field(text(max_length=200)),
        "quantity": Field(integer(minimum=1, maximum=MAX_QUANTITY), required=True),
    }
)


def _lines_check() -> Check:
    items = array(_LINE, max_items=MAX_LINES)

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if isinstance(value, list) and not value:
            errors.append(FieldError(path, "min-items", "must have at least one line"))
            return INVALID
        return items(value, path, errors)

    return check


_ORDER = obj(
    {
        "id": Field(_shop_id(100), required=True),
        "number": Field(text(max_length=100)),
        "customer": Field(text(max_length=200)),
        "placed_at": Field(_moment()),
        "destination": Field(_DESTINATION),
        "lines": Field(_lines_check()),
    }
)


def _name() -> Check:
    as_text = text(max_length=200)
    as_i18n = i18n(max_length=200)

    def check(value: Any, path: str, errors: list[FieldError]) -> Any:
        if isinstance(value, str):
            found = as_text(value, path, errors)
            if found is INVALID:
                return INVALID
            return {"zh-CN" if _CJK.search(found) else "en": found}
        return as_i18n(value, path, errors)

    return check


_PRODUCT = obj(
    {
        "id": Field(_shop_id(100), required=True),
        "gtin": Field(_any_gtin()),
        "sku": Field(text(max_length=100)),
        "name": Field(_name()),
        "url": Field(url()),
        "category": Field(enum(CATEGORY_CODES)),
    }
)


def _checked(value: Any, schema: Check, prefix: str) -> Any:
    errors: list[FieldError] = []
    cleaned = schema(value, prefix, errors)
    if errors:
        raise InvalidInput(errors)
    return cleaned


def _codes(value: Any) -> list[Any] | None:
    """The scanned codes: None (no scans) or a list (an empty one counts as none)."""
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise InvalidInput.one("units", "type", f"must be a list of codes, got {_json_type(value)}")
    if len(value) > MAX_CODES:
        raise InvalidInput.one("units", "max-items", f"must have at most {MAX_CODES} codes")
    return list(value) or None


# --- line problems -------------------------------------------------------------------------

_PROBLEMS: dict[str, tuple[str, str]] = {
    "unknown-gtin": (
        "No product with GTIN {gtin} is registered: register it before fulfilment.",
        "未登记商品条码（GTIN）为 {gtin} 的商品：请在发货前登记。",
    ),
    "unknown-product": (
        "No product has the shop product id {productId}: set it on the product.",
        "没有商品的店铺商品 ID 为 {productId}：请在商品上填写。",
    ),
    "unknown-sku": (
        "No product has the SKU {sku}: set it on the product.",
        "没有商品的 SKU 为 {sku}：请在商品上填写。",
    ),
    "ambiguous-product": (
        "{count} products have the shop product id {productId}: give the line's GTIN or SKU.",
        "有 {count} 个商品的店铺商品 ID 为 {productId}：请在订单行中给出商品条码（GTIN）或 SKU。",
    ),
    "ambiguous-sku": (
        "{count} products have the SKU {sku}: give the line's GTIN.",
        "有 {count} 个商品的 SKU 为 {sku}：请在订单行中给出商品条码（GTIN）。",
    ),
    "no-identifier": (
        "The line names no GTIN, SKU or product id.",
        "订单行没有商品条码（GTIN）、SKU 或商品 ID。",
    ),
    "no-stock": (
        "No unit of GTIN {gtin} was in stock (coded and registered, not recalled, lot not "
        "expired) when the order was fulfilled.",
        "发货时商品条码 {gtin} 没有可用库存单品（已赋码登记、未召回、批次未过期）。",
    ),
    "short-stock": (
        "Only {count} of {quantity} units were in stock when the order was fulfilled.",
        "发货时仅有 {count} 件库存单品，订购了 {quantity} 件。",
    ),
    "not-scanned": (
        "No unit of GTIN {gtin} was scanned at fulfilment.",
        "发货时未扫描商品条码 {gtin} 的单品。",
    ),
    "short-scan": (
        "{count} of {quantity} units were scanned at fulfilment.",
        "发货时扫描了 {count} 件，订购了 {quantity} 件。",
    ),
    "no-lot": (
        "GTIN {gtin} had no lot that is neither recalled nor expired when the order was fulfilled.",
        "发货时商品条码 {gtin} 没有未召回且未过期的批次。",
    ),
}
PROBLEM_CODES = tuple(_PROBLEMS)
"""Why a line is untraced or short, as ``problem.code`` says."""
_MATCH_PROBLEMS = frozenset(
    {
        "unknown-gtin",
        "unknown-product",
        "unknown-sku",
        "ambiguous-product",
        "ambiguous-sku",
        "no-identifier",
    }
)


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _problem_text(payload: dict[str, Any] | None) -> str | None:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload else None


def _problem_payload(stored: str | None) -> dict[str, Any] | None:
    if not stored:
        return None
    try:
        payload = json.loads(stored)
    except ValueError:
        return {"code": "other", "text": stored}
    return payload if isinstance(payload, dict) else None


def _render_problem(stored: str | None) -> dict[str, Any] | None:
    payload = _problem_payload(stored)
    if payload is None:
        return None
    code = str(payload.get("code"))
    fallback = str(payload.get("text", code))
    en, zh = _PROBLEMS.get(code, (fallback, fallback))
    values = _Blank(payload)
    return {"code": code, "message": {"en": en.format_map(values), "zh-CN": zh.format_map(values)}}


# --- matching lines to products ------------------------------------------------------------


@dataclass(frozen=True)
class _Match:
    product_id: int | None
    gtin: str | None
    problem: dict[str, Any] | None


def _by(conn: Connection, merchant_id: int, column: Any, values: set[str]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    if not values:
        return found
    rows = conn.execute(
        sa.select(products.c.id, products.c.gtin, products.c.sku, products.c.shop_product_id)
        .where(products.c.merchant_id == merchant_id, column.in_(sorted(values)))
        .order_by(products.c.id)
    )
    for row in rows:
        found.setdefault(getattr(row, column.key), []).append(row)
    return found


def _match_lines(
    conn: Connection, merchant_id: int, lines: Sequence[Mapping[str, Any]]
) -> list[_Match]:
    """The product of each line: by GTIN, else the shop's product id, else the SKU (three
    queries for the whole order)."""
    by_gtin = _by(conn, merchant_id, products.c.gtin, {x["gtin"] for x in lines if x.get("gtin")})
    by_pid = _by(
        conn,
        merchant_id,
        products.c.shop_product_id,
        {x["product_id"] for x in lines if x.get("product_id") and not x.get("gtin")},
    )
    by_sku = _by(
        conn,
        merchant_id,
        products.c.sku,
        {x["sku"] for x in lines if x.get("sku") and not x.get("gtin")},
    )
    return [_match_one(line, by_gtin, by_pid, by_sku) for line in lines]


def _match_one(
    line: Mapping[str, Any],
    by_gtin: dict[str, list[Any]],
    by_pid: dict[str, list[Any]],
    by_sku: dict[str, list[Any]],
) -> _Match:
    gtin, pid, sku = line.get("gtin"), line.get("product_id"), line.get("sku")
    ids = {k: v for k, v in (("gtin", gtin), ("productId", pid), ("sku", sku)) if v}
    if gtin:
        found = by_gtin.get(gtin)
        if found:
            return _Match(found[0].id, gtin, None)
        return _Match(None, gtin, {"code": "unknown-gtin", **ids})
    problem: dict[str, Any] | None = None
    if pid:
        candidates = by_pid.get(pid, [])
        if len(candidates) > 1 and sku:
            candidates = [c for c in candidates if c.sku == sku] or candidates
        if len(candidates) == 1:
            return _Match(candidates[0].id, candidates[0].gtin, None)
        if candidates:
            return _Match(
                None, None, {"code": "ambiguous-product", "count": len(candidates), **ids}
            )
        problem = {"code": "unknown-product", **ids}
    if sku:
        candidates = by_sku.get(sku, [])
        if len(candidates) == 1:
            return _Match(candidates[0].id, candidates[0].gtin, None)
        if candidates:
            return _Match(None, None, {"code": "ambiguous-sku", "count": len(candidates), **ids})
        return _Match(None, None, {"code": "unknown-sku", **ids})
    return _Match(None, None, problem or {"code": "no-identifier"})


def _line_values(
    lines: Sequence[Mapping[str, Any]], matches: Sequence[_Match]
) -> list[dict[str, Any]]:
    return [
        {
            "line_no": index + 1,
            "shop_line_id": line.get("id"),
            "sku": line.get("sku"),
            "gtin": match.gtin,
            "product_id": match.product_id,
            "batch_id": None,
            "name": line.get("name"),
            "quantity": line["quantity"],
            "status": "open" if match.product_id is not None else "untraced",
            "problem": _problem_text(match.problem),
        }
        for index, (line, match) in enumerate(zip(lines, matches, strict=True))
    ]


# --- reading rows --------------------------------------------------------------------------


_CONTROL_ID = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _order_row(
    conn: Connection, merchant_id: int, shop_order_id: str, *, lock: bool = False
) -> Any:
    if len(shop_order_id) > 100 or _CONTROL_ID.search(shop_order_id):
        return None  # no stored order has such an id (placing refuses it); PostgreSQL
        # would refuse the NUL character itself
    query = sa.select(orders).where(
        orders.c.merchant_id == merchant_id, orders.c.shop_order_id == shop_order_id
    )
    if lock:
        query = query.with_for_update()
    return conn.execute(query).one_or_none()


def get_order_row(conn: Connection, merchant_id: int, shop_order_id: str) -> Any | None:
    """The merchant's order row by the shop's order id, or None."""
    return _order_row(conn, merchant_id, shop_order_id)


def _line_rows(conn: Connection, merchant_id: int, order_id: int) -> list[Any]:
    return list(
        conn.execute(
            sa.select(order_lines)
            .where(order_lines.c.order_id == order_id, order_lines.c.merchant_id == merchant_id)
            .order_by(order_lines.c.line_no)
        )
    )


def _bound_units(
    conn: Connection, merchant_id: int, line_ids: Sequence[int], statuses: Sequence[str]
) -> list[Any]:
    if not line_ids:
        return []
    return list(
        conn.execute(
            sa.select(
                units.c.id,
                units.c.gtin,
                units.c.serial,
                units.c.status,
                units.c.order_line_id,
                units.c.batch_id,
                batches.c.lot,
            )
            .select_from(units.join(batches, batches.c.id == units.c.batch_id))
            .where(
                units.c.order_line_id.in_(list(line_ids)),
                units.c.merchant_id == merchant_id,
                units.c.status.in_(tuple(statuses)),
            )
            .order_by(units.c.id)
        )
    )


def _unit_counts(conn: Connection, merchant_id: int, line_ids: Sequence[int]) -> dict[int, int]:
    rows = conn.execute(
        sa.select(units.c.order_line_id, sa.func.count().label("n"))
        .where(units.c.order_line_id.in_(list(line_ids)), units.c.merchant_id == merchant_id)
        .group_by(units.c.order_line_id)
    )
    return {row.order_line_id: int(row.n) for row in rows}


def _first_units(
    conn: Connection, merchant_id: int, line_ids: Sequence[int], limit: int
) -> tuple[dict[int, list[Any]], dict[int, int]]:
    """The first ``limit`` units bound to each line (with their lot and recall pointers) and
    how many each line has: two queries, whatever the lines' sizes."""
    if not line_ids:
        return {}, {}
    rank = (
        sa.func.row_number()
        .over(partition_by=units.c.order_line_id, order_by=units.c.id)
        .label("rank")
    )
    inner = (
        sa.select(
            units.c.order_line_id,
            units.c.gtin,
            units.c.serial,
            units.c.status,
            units.c.recall_id,
            batches.c.lot,
            batches.c.recall_id.label("lot_recall_id"),
            rank,
        )
        .select_from(units.join(batches, batches.c.id == units.c.batch_id))
        .where(units.c.order_line_id.in_(list(line_ids)), units.c.merchant_id == merchant_id)
        .subquery()
    )
    found: dict[int, list[Any]] = {}
    for unit in conn.execute(
        sa.select(inner).where(inner.c.rank <= limit).order_by(inner.c.order_line_id, inner.c.rank)
    ):
        found.setdefault(unit.order_line_id, []).append(unit)
    return found, _unit_counts(conn, merchant_id, line_ids)


def _lots(conn: Connection, merchant_id: int, batch_ids: set[int]) -> dict[int, Any]:
    if not batch_ids:
        return {}
    rows = conn.execute(
        sa.select(batches.c.id, batches.c.gtin, batches.c.lot, batches.c.recall_id).where(
            batches.c.id.in_(sorted(batch_ids)), batches.c.merchant_id == merchant_id
        )
    )
    return {row.id: row for row in rows}


# --- the life cycle ------------------------------------------------------------------------


def order_uri(merchant_id: int, shop_order_id: str) -> str:
    """The URI events name the order by (a ``po`` business transaction)."""
    return f"urn:shoptrace:order:{merchant_id}:{quote(shop_order_id, safe='')}"


def _destination_uri(destination: Mapping[str, Any] | None) -> str | None:
    """The destination masked to country and region (city, postcode and customer never
    reach an event)."""
    if not destination or not destination.get("country"):
        return None
    uri = f"urn:shoptrace:destination:{destination['country']}"
    if destination.get("region"):
        uri += ":" + quote(str(destination["region"]).strip(), safe="")
    return uri


def _unit_uri(base: str, gtin: str, lot: str, serial: str) -> str:
    return digital_link.build(base, gtin, lot=lot, serial=serial)


def _lot_uri(base: str, gtin: str, lot: str) -> str:
    return digital_link.build(base, gtin, lot=lot)


def _capture(conn: Connection, merchant_id: int, event: dict[str, Any]) -> None:
    capture_event(conn, merchant_id, standalone_event(event))


def _touch(conn: Connection, row: Any, **values: Any) -> None:
    conn.execute(
        orders.update()
        .where(orders.c.id == row.id, orders.c.merchant_id == row.merchant_id)
        .values(updated_at=utcnow(), **values)
    )


def _place(
    conn: Connection, merchant_id: int, data: dict[str, Any], source: str
) -> tuple[Any, bool]:
    """Insert the order and its lines; an order another transaction placed meanwhile is
    returned instead (not created)."""
    now = utcnow()
    try:
        with conn.begin_nested():
            order_id = conn.execute(
                orders.insert()
                .values(
                    merchant_id=merchant_id,
                    source=source,
                    shop_order_id=data["id"],
                    shop_order_number=data.get("number"),
                    customer_ref=data.get("customer"),
                    status="placed",
                    destination=data.get("destination"),
                    placed_at=data.get("placed_at") or now,
                    created_at=now,
                    updated_at=now,
                )
                .returning(orders.c.id)
            ).scalar_one()
    except IntegrityError:
        row = _order_row(conn, merchant_id, data["id"], lock=True)
        if row is None:
            raise
        return row, False
    lines = data["lines"]
    values = _line_values(lines, _match_lines(conn, merchant_id, lines))
    conn.execute(
        order_lines.insert(),
        [
            {**v, "merchant_id": merchant_id, "order_id": order_id, "created_at": now}
            for v in values
        ],
    )
    return _order_row(conn, merchant_id, data["id"]), True


_LINE_FIELDS = (
    "line_no",
    "shop_line_id",
    "sku",
    "gtin",
    "product_id",
    "batch_id",
    "name",
    "quantity",
    "status",
    "problem",
)


def _refresh(conn: Connection, merchant_id: int, row: Any, data: dict[str, Any]) -> Any:
    """A placed order reported again: the details and lines given replace the stored ones
    (nothing is bound yet); the same report changes nothing."""
    changes: dict[str, Any] = {}
    for member, column in (
        ("number", "shop_order_number"),
        ("customer", "customer_ref"),
        ("destination", "destination"),
        ("placed_at", "placed_at"),
    ):
        if member in data and data[member] is not None and data[member] != getattr(row, column):
            changes[column] = data[member]
    if "lines" in data and data["lines"] is not None:
        lines = data["lines"]
        wanted = _line_values(lines, _match_lines(conn, merchant_id, lines))
        stored = [
            {k: getattr(r, k) for k in _LINE_FIELDS} for r in _line_rows(conn, merchant_id, row.id)
        ]
        if wanted != stored:
            conn.execute(
                order_lines.delete().where(
                    order_lines.c.order_id == row.id, order_lines.c.merchant_id == merchant_id
                )
            )
            now = utcnow()
            conn.execute(
                order_lines.insert(),
                [
                    {**v, "merchant_id": merchant_id, "order_id": row.id, "created_at": now}
                    for v in wanted
                ],
            )
    if changes:
        _touch(conn, row, **changes)
        return _order_row(conn, merchant_id, row.shop_order_id)
    return row


def _rematch(conn: Connection, merchant_id: int, lines: list[Any]) -> list[Any]:
    """Match again the lines that matched no product when placed (the product may have been
    registered since)."""
    retry = [
        line
        for line in lines
        if line.status == "untraced"
        and (_problem_payload(line.problem) or {}).get("code") in _MATCH_PROBLEMS
    ]
    if not retry:
        return lines
    shapes = []
    for line in retry:
        payload = _problem_payload(line.problem) or {}
        shapes.append(
            {
                "gtin": payload.get("gtin") or line.gtin,
                "product_id": payload.get("productId"),
                "sku": payload.get("sku") or line.sku,
            }
        )
    changed = False
    for line, match in zip(retry, _match_lines(conn, merchant_id, shapes), strict=True):
        if match.product_id is None:
            continue
        changed = True
        conn.execute(
            order_lines.update()
            .where(order_lines.c.id == line.id, order_lines.c.merchant_id == merchant_id)
            .values(product_id=match.product_id, gtin=match.gtin, status="open", problem=None)
        )
    return _line_rows(conn, merchant_id, lines[0].order_id) if changed else lines


def _fulfil(
    conn: Connection,
    merchant_id: int,
    row: Any,
    codes: list[Any] | None,
    context: OrderContext,
) -> bool:
    """Bind the open lines, move their units, capture the sale and the shipment; whether
    anything was bound."""
    now = utcnow()
    today = now.date()
    lines = _line_rows(conn, merchant_id, row.id)
    if lines:
        lines = _rematch(conn, merchant_id, lines)
    open_lines = [x for x in lines if x.status == "open" and x.product_id is not None]
    by_unit = unit_traced(conn, merchant_id, {x.gtin for x in open_lines if x.gtin})
    needs = [Need(x.id, x.gtin, x.product_id, x.quantity, x.gtin in by_unit) for x in open_lines]
    scanned = codes is not None
    bindings: dict[int, Binding] = {}
    if codes is not None:
        bindings = bind_scanned(conn, merchant_id, needs, codes, today)
    taken = {u.id for b in bindings.values() for u in b.units}
    shipped: list[StockUnit] = []
    lots: list[tuple[str, str, int]] = []
    for need in needs:
        binding = bindings.get(need.line_id) or Binding()
        values: dict[str, Any] = {"status": "allocated", "problem": None}
        if need.by_unit:
            chosen = binding.units
            if not scanned:
                chosen = allocate_fefo(
                    conn, merchant_id, need.product_id, need.quantity, today, taken=taken
                )
            moved = mark_units(
                conn,
                merchant_id,
                [u.id for u in chosen],
                status="shipped",
                from_statuses=SCANNABLE_STATUSES if scanned else STOCK_STATUSES,
                line_id=need.line_id,
            )
            if moved != len(chosen):
                raise Conflict("stock changed while the order was being fulfilled; retry")
            shipped.extend(chosen)
            facts = {"gtin": need.gtin, "count": len(chosen), "quantity": need.quantity}
            if not chosen:
                code = "not-scanned" if scanned else "no-stock"
                values = {"status": "untraced", "problem": _problem_text({"code": code, **facts})}
            elif len(chosen) < need.quantity:
                code = "short-scan" if scanned else "short-stock"
                values["problem"] = _problem_text({"code": code, **facts})
        else:
            lot = binding.lot or fefo_lot(conn, merchant_id, need.product_id, today)
            if lot is None:
                values = {
                    "status": "untraced",
                    "problem": _problem_text({"code": "no-lot", "gtin": need.gtin}),
                }
            else:
                values["batch_id"] = lot.id
                lots.append((lot.gtin, lot.lot, need.quantity))
        conn.execute(
            order_lines.update()
            .where(order_lines.c.id == need.line_id, order_lines.c.merchant_id == merchant_id)
            .values(**values)
        )
    base = context.link_base
    epcs = [_unit_uri(base, u.gtin, u.lot, u.serial) for u in shipped]
    quantities = [ev.quantity(_lot_uri(base, g, lot), q) for g, lot, q in lots]
    if epcs or quantities:
        po = order_uri(merchant_id, row.shop_order_id)
        _capture(
            conn,
            merchant_id,
            ev.sell(epcs, quantities=quantities, order=po, event_time=now),
        )
        _capture(
            conn,
            merchant_id,
            ev.ship_to_customer(
                epcs,
                quantities=quantities,
                order=po,
                ship_to=_destination_uri(row.destination),
                event_time=now,
            ),
        )
    _touch(conn, row, status="fulfilled", fulfilled_at=now)
    return bool(epcs or quantities)


def _deliver(conn: Connection, merchant_id: int, row: Any, context: OrderContext) -> None:
    now = utcnow()
    lines = [x for x in _line_rows(conn, merchant_id, row.id) if x.status == "allocated"]
    found = _bound_units(conn, merchant_id, [x.id for x in lines], ("shipped", "sold"))
    mark_units(
        conn,
        merchant_id,
        [u.id for u in found],
        status="delivered",
        from_statuses=("shipped", "sold"),
    )
    base = context.link_base
    lot_rows = _lots(conn, merchant_id, {x.batch_id for x in lines if x.batch_id is not None})
    epcs = [_unit_uri(base, u.gtin, u.lot, u.serial) for u in found]
    quantities = [
        ev.quantity(_lot_uri(base, lot_rows[x.batch_id].gtin, lot_rows[x.batch_id].lot), x.quantity)
        for x in lines
        if x.batch_id in lot_rows
    ]
    if epcs or quantities:
        _capture(
            conn,
            merchant_id,
            ev.object_event(
                "OBSERVE",
                epcs=epcs,
                quantities=quantities,
                biz_step="arriving",
                disposition="retail_sold",
                biz_transactions=[
                    ev.biz_transaction(order_uri(merchant_id, row.shop_order_id), "po")
                ],
                event_time=now,
            ),
        )
    _touch(conn, row, status="delivered", delivered_at=now)


def _return(
    conn: Connection,
    merchant_id: int,
    row: Any,
    codes: list[Any] | None,
    context: OrderContext,
) -> None:
    """Put the units named by ``codes`` (all the order's when None) back in stock."""
    lines = _line_rows(conn, merchant_id, row.id)
    bound = [x for x in lines if x.status == "allocated"]
    lot_rows = _lots(conn, merchant_id, {x.batch_id for x in lines if x.batch_id is not None})
    if codes is None:
        back = _bound_units(conn, merchant_id, [x.id for x in bound], SOLD_STATUSES)
        lot_lines = [x for x in bound if x.batch_id in lot_rows]
    else:
        back, lot_lines = _named_returns(conn, merchant_id, codes, lines, lot_rows)
    mark_units(
        conn, merchant_id, [u.id for u in back], status="returned", from_statuses=SOLD_STATUSES
    )
    still_out = {
        u.order_line_id
        for u in _bound_units(conn, merchant_id, [x.id for x in bound], SOLD_STATUSES)
    }
    returned_lines = {x.id for x in lot_lines}
    for line in bound:
        if line.batch_id is None and line.id not in still_out:
            returned_lines.add(line.id)
    if returned_lines:
        conn.execute(
            order_lines.update()
            .where(
                order_lines.c.id.in_(sorted(returned_lines)),
                order_lines.c.merchant_id == merchant_id,
            )
            .values(status="returned")
        )
    base = context.link_base
    epcs = [_unit_uri(base, u.gtin, u.lot, u.serial) for u in back]
    quantities = [
        ev.quantity(_lot_uri(base, lot_rows[x.batch_id].gtin, lot_rows[x.batch_id].lot), x.quantity)
        for x in lot_lines
    ]
    if epcs or quantities:
        _capture(
            conn,
            merchant_id,
            ev.receive_return(
                epcs,
                quantities=quantities,
                order=order_uri(merchant_id, row.shop_order_id),
                event_time=utcnow(),
            ),
        )
    everything = all(x.id in returned_lines for x in bound)
    if codes is None or (bound and everything):
        if row.status != "returned":
            _touch(conn, row, status="returned")
    elif epcs or quantities:
        _touch(conn, row)


def _named_returns(
    conn: Connection,
    merchant_id: int,
    codes: list[Any],
    lines: list[Any],
    lot_rows: dict[int, Any],
) -> tuple[list[Any], list[Any]]:
    """The units and lot lines the returned ``codes`` name; refusals raise."""
    scanned, refused = read_codes(codes)
    line_ids = {x.id for x in lines}
    unit_codes = [c for c in scanned if c.serial is not None]
    found = find_units(conn, [(c.gtin, c.serial or "") for c in unit_codes], lock=True)
    back: list[Any] = []
    for code in unit_codes:
        unit = found.get((code.gtin, code.serial or ""))
        reason = detail = ""
        if unit is None:
            reason, detail = "unknown-code", "no unit has this GTIN and serial number"
        elif unit.merchant_id != merchant_id:
            reason, detail = "other-merchant", "the code belongs to another merchant"
        elif unit.order_line_id not in line_ids:
            reason, detail = "not-in-order", "the unit was not shipped with this order"
        elif unit.status == "returned":
            continue
        elif unit.status not in SOLD_STATUSES:
            reason, detail = "not-in-order", f"the unit is {unit.status}, not shipped"
        else:
            back.append(unit)
        if reason:
            refused.append(Refusal(code.index, code.raw, reason, detail))
    lot_lines: list[Any] = []
    for code in scanned:
        if code.serial is not None:
            continue
        named = [
            x
            for x in lines
            if x.batch_id in lot_rows
            and (lot_rows[x.batch_id].gtin, lot_rows[x.batch_id].lot) == (code.gtin, code.lot)
        ]
        line = next((x for x in named if x.status == "allocated" and x not in lot_lines), None)
        if line is not None:
            lot_lines.append(line)
        elif not any(x.status == "returned" for x in named):
            refused.append(
                Refusal(code.index, code.raw, "not-in-order", "no line of this order has this lot")
            )
    if refused:
        refused.sort(key=lambda r: r.index)
        raise UnitsRefused(refused)
    return back, lot_lines


def _cancel(conn: Connection, merchant_id: int, row: Any) -> None:
    conn.execute(
        order_lines.update()
        .where(order_lines.c.order_id == row.id, order_lines.c.merchant_id == merchant_id)
        .values(status="cancelled")
    )
    _touch(conn, row, status="cancelled", cancelled_at=utcnow())


def run_action(
    conn: Connection,
    merchant_id: int,
    action: str,
    order: Any,
    *,
    units: Any = None,
    source: str = "api",
    context: OrderContext,
    field_prefix: str = "",
) -> Outcome:
    """:func:`apply_order`, also telling whether it placed the order and whether it traced
    it. ``field_prefix`` is put before the order's field names in errors (``order``)."""
    if action not in ORDER_ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ORDER_ACTIONS)}, got {action!r}")
    if source not in ORDER_SOURCES:
        raise ValueError(f"source must be one of {', '.join(ORDER_SOURCES)}, got {source!r}")
    data = _checked(order, _ORDER, field_prefix)
    codes = _codes(units)
    row = _order_row(conn, merchant_id, data["id"], lock=True)
    created = False
    if row is None:
        if not data.get("lines"):
            where = f"{field_prefix}.lines" if field_prefix else "lines"
            raise InvalidInput.one(
                where, "required", "an order shoptrace does not know yet needs its lines"
            )
        row, created = _place(conn, merchant_id, data, source)
    elif row.status == "placed":
        row = _refresh(conn, merchant_id, row, data)
    traced = False
    status = row.status
    name = data["id"]
    if action == "fulfilled":
        if status == "cancelled":
            raise Conflict(f"order {name} is cancelled; it cannot be fulfilled")
        if status == "placed":
            traced = _fulfil(conn, merchant_id, row, codes, context)
        elif codes is not None:
            _same_units(conn, merchant_id, row, codes)
    elif action == "delivered":
        if status == "cancelled":
            raise Conflict(f"order {name} is cancelled; it cannot be delivered")
        if status == "placed":
            traced = _fulfil(conn, merchant_id, row, codes, context)
            row = _order_row(conn, merchant_id, name)
            status = row.status
        if status == "fulfilled":
            _deliver(conn, merchant_id, row, context)
    elif action == "cancelled":
        if status in ("fulfilled", "delivered", "returned"):
            raise Conflict(
                f"order {name} is {status}; record a return for the units that come back"
            )
        if status == "placed":
            _cancel(conn, merchant_id, row)
    elif action == "returned":
        if status in ("placed", "cancelled"):
            raise Conflict(f"order {name} is {status}: nothing was shipped to return")
        _return(conn, merchant_id, row, codes, context)
    fresh = _order_row(conn, merchant_id, name)
    rendered = _render_orders(conn, merchant_id, [fresh], context)[0]
    if traced:
        enqueue_event(
            conn,
            merchant_id,
            topic="order.traced",
            data=rendered,
            key=f"order:{fresh.id}:traced",
        )
        context.traced.append((merchant_id, rendered))
    return Outcome(rendered, created, traced)


def _same_units(conn: Connection, merchant_id: int, row: Any, codes: list[Any]) -> None:
    """A fulfilment repeated with scans: fine when they are the order's own units."""
    scanned, refused = read_codes(codes)
    line_ids = [x.id for x in _line_rows(conn, merchant_id, row.id)]
    mine = {(u.gtin, u.serial) for u in _bound_units(conn, merchant_id, line_ids, SOLD_STATUSES)}
    for code in scanned:
        if code.serial is not None and (code.gtin, code.serial) not in mine:
            refused.append(
                Refusal(
                    code.index,
                    code.raw,
                    "not-in-order",
                    f"order {row.shop_order_id} is already fulfilled without this unit",
                )
            )
    if refused:
        refused.sort(key=lambda r: r.index)
        raise UnitsRefused(refused)


def apply_order(
    conn: Connection,
    merchant_id: int,
    action: str,
    order: Any,
    *,
    units: Any = None,
    source: str = "api",
    context: OrderContext,
) -> dict[str, Any]:
    """Apply ``action`` (one of :data:`ORDER_ACTIONS`) to the shop's ``order`` in the caller's
    transaction; returns the order as the API shows it.

    ``units`` are the codes scanned at fulfilment or at the returns desk. Raises
    InvalidInput (bad shape, naming fields like ``lines[2].quantity``; refused codes as
    :class:`~.allocation.UnitsRefused`) and Conflict (an action the order's state does not
    allow, such as fulfilling a cancelled order). After commit, call
    :func:`send_order_signals` for the ``order_traced`` signal.
    """
    return run_action(
        conn, merchant_id, action, order, units=units, source=source, context=context
    ).order


# --- rendering -----------------------------------------------------------------------------


def _render_orders(
    conn: Connection, merchant_id: int, rows: Sequence[Any], context: OrderContext
) -> list[dict[str, Any]]:
    """The API form of orders (lines, bound lots and units read for all at once)."""
    if not rows:
        return []
    order_ids = [r.id for r in rows]
    lines = list(
        conn.execute(
            sa.select(order_lines)
            .where(order_lines.c.order_id.in_(order_ids), order_lines.c.merchant_id == merchant_id)
            .order_by(order_lines.c.order_id, order_lines.c.line_no)
        )
    )
    line_ids = [x.id for x in lines]
    lot_rows = _lots(conn, merchant_id, {x.batch_id for x in lines if x.batch_id is not None})
    firsts, counts = _first_units(conn, merchant_id, line_ids, LINE_UNITS_SHOWN)
    base = context.link_base
    shown = {
        line_id: [
            {
                "serial": u.serial,
                "lot": u.lot,
                "status": u.status,
                "uri": _unit_uri(base, u.gtin, u.lot, u.serial),
            }
            for u in bound
        ]
        for line_id, bound in firsts.items()
    }
    by_order: dict[int, list[dict[str, Any]]] = {}
    for line in lines:
        lot = lot_rows.get(line.batch_id) if line.batch_id is not None else None
        count = counts.get(line.id, 0)
        by_order.setdefault(line.order_id, []).append(
            {
                "lineNo": line.line_no,
                "id": line.shop_line_id,
                "sku": line.sku,
                "gtin": line.gtin,
                "name": line.name,
                "quantity": line.quantity,
                "productId": line.product_id,
                "status": line.status,
                "problem": _render_problem(line.problem),
                "tracedBy": "lot" if lot is not None else "unit" if count else None,
                "lot": lot.lot if lot is not None else None,
                "unitCount": count,
                "units": shown.get(line.id, []),
            }
        )
    key = context.token_key
    out = []
    for row in rows:
        token = order_token(key, row.id)
        order_lines_ = by_order.get(row.id, [])
        out.append(
            {
                "id": row.shop_order_id,
                "number": row.shop_order_number,
                "customer": row.customer_ref,
                "source": row.source,
                "status": row.status,
                "destination": row.destination,
                "placedAt": iso(row.placed_at),
                "fulfilledAt": iso(row.fulfilled_at),
                "deliveredAt": iso(row.delivered_at),
                "cancelledAt": iso(row.cancelled_at),
                "createdAt": iso(row.created_at),
                "updatedAt": iso(row.updated_at),
                "token": token,
                "traceUrl": context.page_url(token),
                "untracedLines": sum(1 for x in order_lines_ if x["status"] == "untraced"),
                "lines": order_lines_,
            }
        )
    return out


def get_order(
    conn: Connection, merchant_id: int, shop_order_id: str, *, context: OrderContext
) -> dict[str, Any]:
    """One of the merchant's orders, by the shop's order id."""
    row = _order_row(conn, merchant_id, shop_order_id)
    if row is None:
        raise NotFound.of("order_id", f"order {shop_order_id} does not exist")
    return _render_orders(conn, merchant_id, [row], context)[0]


def list_orders(
    conn: Connection,
    merchant_id: int,
    *,
    context: OrderContext,
    after: int = 0,
    limit: int = 50,
    status: str | None = None,
    customer: str | None = None,
) -> Page:
    """The merchant's orders in the order they were recorded, optionally in one status or
    of one customer reference."""
    query = sa.select(orders).where(orders.c.merchant_id == merchant_id, orders.c.id > after)
    if status is not None:
        query = query.where(orders.c.status == status)
    if customer is not None:
        query = query.where(orders.c.customer_ref == customer)
    rows = conn.execute(query.order_by(orders.c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    token = encode_token(rows[-1].id) if more and rows else None
    return Page(_render_orders(conn, merchant_id, rows, context), token)


# --- listings (products from the shop) -----------------------------------------------------


def save_product(
    conn: Connection, merchant_id: int, product: Any, *, source: str = "api"
) -> dict[str, Any]:
    """Record a shop listing (the product shape) on the merchant's product; returns the
    product as the API shows it.

    The product is found by GTIN, else by the shop's product id (narrowed by SKU when
    several share it); the shop's product id, SKU, listing URL, name and category given are
    stored (a plain-text name in the language its characters are written in). A listing of a
    GTIN not registered yet registers it, which needs a name and a catalogue class. Saving
    the same listing again changes nothing.
    """
    if source not in ORDER_SOURCES:
        raise ValueError(f"source must be one of {', '.join(ORDER_SOURCES)}, got {source!r}")
    data = _checked(product, _PRODUCT, "")
    gtin = data.get("gtin")
    row = None
    if gtin:
        row = conn.execute(
            sa.select(products).where(
                products.c.merchant_id == merchant_id, products.c.gtin == gtin
            )
        ).one_or_none()
    else:
        found = list(
            conn.execute(
                sa.select(products)
                .where(
                    products.c.merchant_id == merchant_id,
                    products.c.shop_product_id == data["id"],
                )
                .order_by(products.c.id)
            )
        )
        if len(found) > 1 and data.get("sku"):
            found = [r for r in found if r.sku == data["sku"]]
        row = found[0] if len(found) == 1 else None
    values: dict[str, Any] = {"shop_product_id": data["id"]}
    for member, column in (("sku", "sku"), ("url", "listing_url")):
        if member in data:
            values[column] = data[member]
    name = data.get("name") or {}
    for lang, column in (("zh-CN", "name_zh"), ("en", "name_en")):
        if name.get(lang):
            values[column] = name[lang]
    if data.get("category"):
        values["category"] = data["category"]
    if row is None:
        missing = [
            FieldError(member, "required", f"to register a new product, give its {what}")
            for member, what in (
                ("gtin", "GTIN"),
                ("name", "name"),
                ("category", "catalogue class"),
            )
            if not data.get(member)
        ]
        if missing:
            raise InvalidInput(missing)
        body = {
            "gtin": gtin,
            "name": data["name"],
            "category": data["category"],
            "shopProductId": data["id"],
            "sku": data.get("sku"),
            "listingUrl": data.get("url"),
        }
        return create_product(conn, merchant_id, {k: v for k, v in body.items() if v is not None})
    changes = {k: v for k, v in values.items() if getattr(row, k) != v}
    if changes:
        conn.execute(
            products.update()
            .where(products.c.id == row.id, products.c.merchant_id == merchant_id)
            .values(updated_at=utcnow(), **changes)
        )
    return get_product(conn, merchant_id, row.id)


def listing_lot(
    conn: Connection, merchant_id: int, gtin: str, *, today: date | None = None
) -> tuple[int, str | None] | None:
    """``(product id, lot now selling)`` of the merchant's GTIN (None when not registered):
    the lot the next fulfilment takes first, None when there is none."""
    product = conn.execute(
        sa.select(products.c.id).where(
            products.c.merchant_id == merchant_id, products.c.gtin == gtin
        )
    ).first()
    if product is None:
        return None
    by_unit = bool(unit_traced(conn, merchant_id, [gtin]))
    lot = selling_lot(conn, merchant_id, product.id, today or utcnow().date(), by_unit=by_unit)
    return product.id, lot.lot if lot is not None else None


# --- the shopper's order page --------------------------------------------------------------


def _qr(code: str, label: str) -> str:
    svg = qr.svg(code, module_size=3, title=label)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _pick(zh: str | None, en: str | None, lang: str) -> str | None:
    first, second = (zh, en) if lang == "zh-CN" else (en, zh)
    return first or second


def _reason(value: Any, lang: str) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, Mapping):
        for key in ("text", "reason", "description"):
            if key in value:
                return _reason(value[key], lang)
        texts = [value.get(lang), value.get("en" if lang == "zh-CN" else "zh-CN")]
        return next((t for t in texts if isinstance(t, str) and t.strip()), None)
    return None


def public_order(
    conn: Connection, merchant_id: int, row: Any, *, base: str, lang: str
) -> dict[str, Any]:
    """What the shopper's order page shows, in ``lang``: the order number and date, each
    line's name, quantity and status, its trace links (units or lot) with QR codes, and
    recall notices. Never the customer, the address or the shop's internal ids."""
    lg = phrases.normalize_lang(lang)
    lines = _line_rows(conn, merchant_id, row.id)
    line_ids = [x.id for x in lines]
    lot_rows = _lots(conn, merchant_id, {x.batch_id for x in lines if x.batch_id is not None})
    names: dict[int, Any] = {}
    product_ids = sorted({x.product_id for x in lines if x.product_id is not None})
    if product_ids:
        names = {
            p.id: p
            for p in conn.execute(
                sa.select(
                    products.c.id, products.c.name_zh, products.c.name_en, products.c.visibility
                ).where(products.c.id.in_(product_ids), products.c.merchant_id == merchant_id)
            )
        }
    found, counts = _first_units(conn, merchant_id, line_ids, PUBLIC_LINKS)
    recall_ids = {u.recall_id or u.lot_recall_id for us in found.values() for u in us} | {
        r.recall_id for r in lot_rows.values()
    }
    recall_ids.discard(None)
    recall_rows: dict[int, Any] = {}
    if recall_ids:
        recall_rows = {
            r.id: r
            for r in conn.execute(
                sa.select(recalls.c.id, recalls.c.reason, recalls.c.created_at).where(
                    recalls.c.id.in_(sorted(recall_ids)), recalls.c.merchant_id == merchant_id
                )
            )
        }

    def recall_notice(recall_id: int | None) -> dict[str, Any]:
        notice: dict[str, Any] = {"recalled": True, "label": phrases.t("ui.recall_title", lg)}
        recall = recall_rows.get(recall_id) if recall_id is not None else None
        if recall is not None:
            if reason := _reason(recall.reason, lg):
                notice["reason"] = reason
            notice["since"] = iso(recall.created_at.date())
        notice["advice"] = phrases.t("ui.recall_advice", lg)
        return notice

    out_lines = []
    any_recall = False
    for line in lines:
        product = names.get(line.product_id) if line.product_id is not None else None
        name = None
        if product is not None and (product.visibility or {}).get("name", "public") == "public":
            name = _pick(product.name_zh, product.name_en, lg)
        name = name or line.name or phrases.t("order.item", lg)
        status = line.status
        label_key = f"order.line.{status}"
        if status == "allocated":
            label_key = f"order.status.{row.status}"
        item: dict[str, Any] = {
            "name": name,
            "quantity": line.quantity,
            "gtin": line.gtin,
            "status": status,
            "statusLabel": phrases.t(label_key, lg),
        }
        links: list[dict[str, Any]] = []
        recall_id: int | None = None
        recalled = False
        lot = lot_rows.get(line.batch_id) if line.batch_id is not None else None
        if lot is not None:
            code = _lot_uri(base, lot.gtin, lot.lot)
            hit = lot.recall_id is not None
            recalled = recalled or hit
            recall_id = recall_id or lot.recall_id
            item["lot"] = lot.lot
            links.append(
                {
                    "kind": "lot",
                    "code": code,
                    "lot": lot.lot,
                    "label": phrases.t("order.lot", lg, lot=lot.lot),
                    "recalled": hit,
                    "qr": _qr(code, phrases.t("order.qr_label", lg, code=code)),
                }
            )
        for unit in found.get(line.id, []):
            code = _unit_uri(base, unit.gtin, unit.lot, unit.serial)
            hit = unit.recall_id is not None or unit.lot_recall_id is not None
            hit = hit or unit.status == "recalled"
            recalled = recalled or hit
            recall_id = recall_id or unit.recall_id or unit.lot_recall_id
            links.append(
                {
                    "kind": "unit",
                    "code": code,
                    "lot": unit.lot,
                    "serial": unit.serial,
                    "label": phrases.t("order.unit", lg, serial=unit.serial),
                    "status": unit.status,
                    "statusLabel": phrases.status_phrase("recalled" if hit else unit.status, lg),
                    "recalled": hit,
                    "qr": _qr(code, phrases.t("order.qr_label", lg, code=code)),
                }
            )
        item["links"] = links
        more = counts.get(line.id, 0) - len(found.get(line.id, []))
        if more > 0:
            item["moreLinks"] = more
        if recalled:
            any_recall = True
            item["recall"] = recall_notice(recall_id)
        out_lines.append(item)
    body: dict[str, Any] = {
        "kind": "order",
        "lang": lg,
        "number": row.shop_order_number,
        "placedAt": iso(row.placed_at),
        "status": row.status,
        "statusLabel": phrases.t(f"order.status.{row.status}", lg),
        "lines": out_lines,
    }
    if any_recall:
        body["recall"] = {
            "recalled": True,
            "label": phrases.t("order.recall_in_order", lg),
            "advice": phrases.t("ui.recall_advice", lg),
        }
    return body


# --- the Python API's transactions ---------------------------------------------------------


def _merchant_for(shop: ShopTraceState, merchant_id: Any) -> int:
    chosen = merchant_id if merchant_id is not None else shop.settings.shop_merchant
    if chosen is None:
        raise InvalidInput.one(
            "merchant_id",
            "required",
            "pass merchant_id=, or set SHOPTRACE_SHOP_MERCHANT to the merchant the shop's own "
            "orders belong to",
        )
    if isinstance(chosen, bool) or not isinstance(chosen, int) or not 1 <= chosen <= MAX_ID:
        raise InvalidInput.one("merchant_id", "id", "must be a merchant id, a positive integer")
    return chosen


def _active(conn: Connection, merchant_id: int) -> None:
    status = conn.execute(
        sa.select(merchants.c.status).where(merchants.c.id == merchant_id)
    ).scalar_one_or_none()
    if status != "active":
        raise NotFound.of("merchant_id", f"merchant {merchant_id} does not exist or is disabled")


def apply_for_shop(
    shop: ShopTraceState,
    action: str,
    order: Any,
    *,
    units: Any = None,
    merchant_id: int | None = None,
    base_url: str | None = None,
    sender: Any = None,
    source: str = "api",
) -> dict[str, Any]:
    """:func:`apply_order` in its own transaction of ``shop``'s store, for the merchant given
    or ``SHOPTRACE_SHOP_MERCHANT``; ``order_traced`` is sent (by ``sender``) after commit."""
    chosen = _merchant_for(shop, merchant_id)
    context = order_context(shop, base_url=base_url)
    with shop.store.begin() as conn:
        _active(conn, chosen)
        result = apply_order(
            conn, chosen, action, order, units=units, source=source, context=context
        )
    send_order_signals(sender, context)
    return result


def save_for_shop(
    shop: ShopTraceState, product: Any, *, merchant_id: int | None = None, source: str = "api"
) -> dict[str, Any]:
    """:func:`save_product` in its own transaction of ``shop``'s store."""
    chosen = _merchant_for(shop, merchant_id)
    with shop.store.begin() as conn:
        _active(conn, chosen)
        return save_product(conn, chosen, product, source=source)
