"""The inbound webhook routes: ``POST {prefix}/hooks/shopify|woocommerce|saleor``.

Each delivery goes the same way, whatever the platform:

1. the body is read whole, up to ``SHOPTRACE_MAX_BODY_BYTES`` (413 beyond);
2. the shop named in the platform's headers selects a connection, and the signature over the
   raw body must match its secret (or, for Saleor, its JWS keys): otherwise 401, and nothing
   is recorded (WooCommerce's unsigned creation ping is answered 200, recorded nowhere); a
   client address whose refusals reach ``SHOPTRACE_RATE_LIMIT`` gets 429 until the window
   passes, before any lookup;
3. the platform's event id (or a digest of the delivery) is looked up in ``hook_events``: a
   delivery seen before answers ``{"outcome": "duplicate"}`` and changes nothing;
4. the payload is mapped onto the order and product shapes of ``services/orders/shapes.py`` and
   applied, in the same transaction that records the delivery, so a redelivery racing the first
   finds its row or waits for it; a payload that does not map is a 422 and writes nothing;
5. topics shoptrace does not use are recorded and answered ``{"outcome": "ignored"}`` with 200,
   so the platform stops retrying them.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from shoptrace.shop_plugin.api.problems import (
    from_exception,
    from_http_exception,
    json_bytes,
    problem,
)
from shoptrace.shop_plugin.api.support import base_url, state
from shoptrace.shop_plugin.hooks import saleor, shopify, woocommerce
from shoptrace.shop_plugin.hooks.common import Adapter, Mapped, OrderChange, ProductSave
from shoptrace.shop_plugin.services import orders
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.connections import Credentials, find_connection
from shoptrace.shop_plugin.services.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    Unavailable,
)
from shoptrace.shop_plugin.store.migrate import is_up_to_date
from shoptrace.shop_plugin.store.tables import hook_events

__all__ = ["ADAPTERS", "BLUEPRINT", "HOOKS_PATH", "make_blueprint"]

BLUEPRINT = "shoptrace_hooks"
HOOKS_PATH = "/hooks"
ADAPTERS: dict[str, Adapter] = {
    adapter.platform: adapter for adapter in (shopify.ADAPTER, woocommerce.ADAPTER, saleor.ADAPTER)
}
log = logging.getLogger("shoptrace.shop_plugin.hooks")
_OUTCOME_LENGTH = 200
_TOPIC_LENGTH = 100


def _answer(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json_bytes(body), status=status, mimetype="application/json")


def _guard() -> Response | None:
    """Body limit and schema check of every webhook request."""
    st = state()
    request.max_content_length = st.settings.max_body_bytes
    if not st.schema_ok:
        if not is_up_to_date(st.store):
            return problem(503, "The trace service is being upgraded; retry the delivery later.")
        st.schema_ok = True
    return None


def _routing_problem() -> Response | None:
    """Problems (not HTML pages) for wrong methods and unknown platforms under the hooks
    path, which never reach the blueprint's views."""
    error = request.routing_exception
    if not isinstance(error, HTTPException) or (error.code or 500) < 400:
        return None
    root = state().settings.url_prefix + HOOKS_PATH
    if request.path != root and not request.path.startswith(root + "/"):
        return None
    return from_http_exception(error)


def _refused(adapter: Adapter) -> Response:
    return problem(
        401,
        "The shop is not connected, or the signature does not match its webhook secret.",
        errors=[
            FieldError(
                adapter.signature_header,
                "signature",
                "must sign the raw body with the secret of the shop's connection",
            )
        ],
    )


def _payload(raw: bytes) -> Any:
    def reject(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(raw, parse_constant=reject)
    except (ValueError, RecursionError) as exc:
        detail = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
        raise InvalidInput.one("(body)", "json", f"not valid JSON: {detail}", status=400) from None


@dataclass
class _Done:
    """What applying a delivery did: a line per change, notes, and whether any was refused."""

    results: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: bool = False

    def outcome(self) -> str:
        return "refused" if self.refused else "handled"

    def text(self) -> str:
        return "; ".join(self.results)[:_OUTCOME_LENGTH]


def _unregistered(exc: InvalidInput) -> bool:
    """``save_product`` refused to register a listing it lacks a GTIN, name or class for."""
    return bool(exc.errors) and all(
        e.rule == "required" and e.field in ("gtin", "name", "category") for e in exc.errors
    )


def _apply(
    conn: Connection,
    credentials: Credentials,
    change: OrderChange | ProductSave,
    context: orders.OrderContext,
) -> None:
    if isinstance(change, OrderChange):
        orders.apply_order(
            conn,
            credentials.merchant_id,
            change.action,
            change.order,
            units=change.units,
            source=credentials.platform,
            context=context,
        )
    else:
        orders.save_product(
            conn, credentials.merchant_id, change.product, source=credentials.platform
        )


def _perform(
    conn: Connection, credentials: Credentials, mapped: Mapped, context: orders.OrderContext
) -> _Done:
    """Apply the mapped changes, each in a savepoint: a change the order's state does not
    allow (409: cancelling a shipped order) is refused and recorded, a listing shoptrace
    cannot register yet (no GTIN or catalogue class) is skipped with a note; a change that
    breaks a rule (422) fails the whole delivery."""
    done = _Done(notes=list(mapped.notes))
    for change in mapped.changes:
        try:
            with conn.begin_nested():
                _apply(conn, credentials, change, context)
        except Conflict as exc:
            done.refused = True
            done.results.append(f"refused to record {change.describe()}: {exc.detail}")
            continue
        except InvalidInput as exc:
            if isinstance(change, ProductSave) and _unregistered(exc):
                product = change.product
                done.results.append(f"skipped product {product['id']}")
                done.notes.append(
                    f"product {product['id']}: not registered in shoptrace; register "
                    f"{'GTIN ' + product['gtin'] if product.get('gtin') else 'it'} with its "
                    "catalogue class and the next update of the listing links it"
                )
                continue
            raise
        except NotFound as exc:
            errors = exc.errors or [FieldError("(body)", exc.slug, exc.detail)]
            raise InvalidInput(errors) from None
        done.results.append(change.describe())
    return done


def _record(credentials: Credentials, topic: str, event_id: str, mapped: Mapped) -> dict[str, Any]:
    """Apply ``mapped`` once per event id, in one transaction with its ``hook_events`` row;
    the ``order_traced`` signals of fulfilled orders are sent after it committed."""
    st = state()
    context = orders.order_context(st, base_url=base_url())
    stored = topic[:_TOPIC_LENGTH]
    for attempt in range(2):
        try:
            with st.store.begin() as conn:
                seen = conn.execute(
                    sa.select(hook_events.c.outcome).where(
                        hook_events.c.merchant_id == credentials.merchant_id,
                        hook_events.c.platform == credentials.platform,
                        hook_events.c.event_id == event_id,
                    )
                ).first()
                if seen is not None:
                    return {"outcome": "duplicate", "result": seen.outcome}
                row_id = conn.execute(
                    hook_events.insert()
                    .values(
                        merchant_id=credentials.merchant_id,
                        platform=credentials.platform,
                        event_id=event_id,
                        topic=stored,
                        outcome="pending",
                        received_at=utcnow(),
                    )
                    .returning(hook_events.c.id)
                ).scalar_one()
                answer: dict[str, Any]
                if mapped.ignored is not None:
                    answer = {"outcome": "ignored", "result": f"ignored: {mapped.ignored}"}
                else:
                    done = _perform(conn, credentials, mapped, context)
                    answer = {"outcome": done.outcome(), "result": done.text()}
                    if done.notes:
                        answer["notes"] = done.notes
                conn.execute(
                    hook_events.update()
                    .where(hook_events.c.id == row_id)
                    .values(outcome=answer["result"][:_OUTCOME_LENGTH])
                )
        except IntegrityError:
            if attempt:
                raise Unavailable("the delivery met a concurrent one; retry it") from None
            context.traced.clear()
            continue  # a concurrent delivery of the same event (or order) committed first
        orders.send_order_signals(current_app._get_current_object(), context)  # type: ignore[attr-defined]
        return answer
    raise Unavailable("the delivery met a concurrent one; retry it")


_REFUSALS = "shoptrace-hooks-refused"
"""The rate-limit namespace of refused deliveries, counted per client address."""


def _too_many_refusals() -> Response | None:
    """429 once a client address has had ``SHOPTRACE_RATE_LIMIT`` deliveries refused: a
    guesser of signatures stops costing database reads, while a platform whose deliveries
    verify is never limited (only refusals count)."""
    st = state()
    if st.limiter is None:
        return None
    address = request.remote_addr or "unknown"
    for item in st.limits:
        if not st.limiter.test(item, _REFUSALS, address):
            reset = st.limiter.get_window_stats(item, _REFUSALS, address).reset_time
            wait = max(1, math.ceil(reset - time.time()))
            return problem(
                429,
                f"Too many refused deliveries from this address ({item}); retry in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
    return None


def _count_refusal() -> None:
    st = state()
    if st.limiter is not None:
        address = request.remote_addr or "unknown"
        for item in st.limits:
            st.limiter.hit(item, _REFUSALS, address)


def receive(adapter: Adapter) -> Response:
    """Verify, deduplicate, map and apply one delivery of ``adapter``'s platform."""
    st = state()
    raw = request.get_data(cache=True)
    headers = request.headers
    if adapter.is_ping(headers, raw):
        return _answer({"outcome": "ping", "platform": adapter.platform})
    limited = _too_many_refusals()
    if limited is not None:
        return limited
    shops = adapter.shops(headers)
    if not shops:
        _count_refusal()
        return problem(
            401,
            f"{adapter.shop_header} must name a connected shop.",
            errors=[FieldError(adapter.shop_header, "required", "names the shop")],
        )
    with st.store.read() as conn:
        credentials = find_connection(conn, adapter.platform, shops, signing_key=st.signing_key)
    if credentials is None or not adapter.verify(headers, raw, credentials):
        log.info("%s webhook refused: shop %s, bad signature or none", adapter.platform, shops[0])
        _count_refusal()
        return _refused(adapter)
    topic = adapter.topic(headers)
    if topic is None:
        raise InvalidInput.one(adapter.topic_header, "required", "names the webhook's topic")
    event_id = adapter.event_id(headers, raw, topic)
    if adapter.handles(topic):
        mapped = adapter.map(topic, _payload(raw), credentials.shop)
    else:
        mapped = Mapped(ignored=f"topic {topic[:60]!r} is not used")
    answer = _record(credentials, topic, event_id, mapped)
    log.info(
        "%s webhook %s from %s: %s",
        adapter.platform,
        topic[:_TOPIC_LENGTH],
        credentials.shop,
        answer["outcome"],
    )
    return _answer({"platform": adapter.platform, "topic": topic, "eventId": event_id, **answer})


def _view(adapter: Adapter) -> Callable[[], Response]:
    def view() -> Response:
        return receive(adapter)

    view.__name__ = adapter.platform
    return view


def make_blueprint() -> Blueprint:
    """The webhook routes; register with ``url_prefix=SHOPTRACE_URL_PREFIX + HOOKS_PATH``."""
    bp = Blueprint(BLUEPRINT, __name__, root_path=os.path.dirname(__file__))
    bp.before_app_request(_routing_problem)
    bp.before_request(_guard)
    bp.register_error_handler(Exception, from_exception)
    for platform, adapter in ADAPTERS.items():
        bp.add_url_rule(
            f"/{platform}", endpoint=platform, view_func=_view(adapter), methods=["POST"]
        )
    return bp
