"""The resolver's views: parse the code, find it, answer in the asked form.

Forms: the trace page (HTML, the default link, served in place), the public trace JSON, the
RFC 9264 linkset, a 307 to another link type (300 when several fit, 404 when the item has
none), the iframe embed. Unknown codes get 404 with the "possible counterfeit" page or JSON.
Answers carry an ETag from the item's state (304 for a match) and are cached under it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from flask import Request, Response, request

from shoptrace.sdk.digital_link import DigitalLink
from shoptrace.sdk.errors import InvalidDigitalLink
from shoptrace.shop_plugin.resolver import linkset as ls
from shoptrace.shop_plugin.resolver.lookup import Item, Missing, public_path
from shoptrace.shop_plugin.resolver.negotiation import (
    JSON,
    LINKSET_TYPE,
    Asked,
    asked,
    request_link,
    wants_json,
)
from shoptrace.shop_plugin.resolver.state import ResolverState, resolver_state
from shoptrace.shop_plugin.services import public_trace
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.scans import Scan, client_class, client_id
from shoptrace.widgets import render_embed, render_trace_page, render_unknown_page

__all__ = ["description", "embed", "problem", "resolve", "widget"]

_VERSION = "1"
_HTML = "text/html"
_NONE = "'none'"
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
_CONTEXT_LINK = (
    f'<{ls.CONTEXT}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
)
_VERDICTS = {"forged-serial": "forged", "unknown-serial": "unknown"}
_RECORDED_FORMS = frozenset({"html", "json", "embed"})
ALLOW = "GET, HEAD, OPTIONS"
PUBLIC_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "ETag, Link, Location, Content-Language, Retry-After"),
    ("X-Content-Type-Options", "nosniff"),
    ("Vary", "Accept, Accept-Language"),
)
"""What every public answer carries: CORS (GS1-Conformant Resolver), no sniffing, and what
the resolver's answers vary by."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A finished answer the cache keeps: body, media type and the headers it needs."""

    body: bytes
    mimetype: str
    headers: tuple[tuple[str, str], ...]


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """An RFC 7807 problem (the resolver's errors are machine-readable too)."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json"
    )
    response.headers.update(headers or {})
    return response


def _json(body: Any) -> bytes:
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body, separators=(",", ":")).encode("ascii")


def _base(st: ResolverState, req: Request) -> str:
    return st.settings.public_base_url or req.url_root.rstrip("/") + st.settings.url_prefix


def _csp(html: str, *, framed: bool) -> str:
    """A policy for the server-rendered pages: no script at all, the one inline style by hash."""
    styles = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _STYLE.findall(html)
    )
    ancestors = "*" if framed else _NONE
    return (
        f"default-src 'none'; style-src {styles or _NONE}; img-src data:; "
        f"form-action 'none'; frame-ancestors {ancestors}"
    )


def _etag(*parts: str) -> str:
    return hashlib.blake2b("|".join((_VERSION, *parts)).encode(), digest_size=12).hexdigest()


def _preflight() -> Response:
    response = Response(status=204)
    response.headers["Allow"] = ALLOW
    response.headers["Access-Control-Allow-Methods"] = ALLOW
    response.headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language, If-None-Match"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _linkset_header(own: str) -> str:
    return f'<{own}?linkType=linkset>; rel="linkset"; type="{LINKSET_TYPE}"'


def _record(
    st: ResolverState, req: Request, link: DigitalLink, found: Item | Missing, form: str
) -> None:
    """Hand the scan of a unit code to the recorder (a buffer append; it writes later)."""
    if st.recorder is None or req.method != "GET" or form not in _RECORDED_FORMS:
        return
    if link.serial is None or link.primary_key[0] != "01":
        return
    if isinstance(found, Missing):
        verdict = _VERDICTS.get(found.reason)
        if verdict is None or found.merchant_id is None:
            return
        merchant_id, unit_id, status, lot = found.merchant_id, None, None, link.lot
    else:
        verdict, merchant_id, unit_id = "genuine", found.merchant_id, found.unit_id
        status, lot = found.unit_status, found.lot
    agent = req.headers.get("User-Agent")
    st.recorder.submit(
        Scan(
            merchant_id=merchant_id,
            gtin=link.primary_key[1],
            lot=lot,
            serial=link.serial,
            unit_id=unit_id,
            verdict=verdict,
            unit_status=status,
            client_class=client_class(agent),
            client_id=client_id(st.client_key, req.remote_addr, agent),
            at=utcnow(),
        )
    )


def _unknown(st: ResolverState, req: Request, missing: Missing, ask: Asked, form: str) -> Response:
    """404 for a code nobody here issued: the "possible counterfeit" page, embed or JSON."""
    code = _base(st, req) + public_path(missing.link)
    body = public_trace.unknown_trace(code, lang=ask.lang)
    if form == "embed":
        response = Response(
            render_embed(body, lang=ask.lang, env=st.env), 404, mimetype="text/html"
        )
        response.headers["Content-Security-Policy"] = _csp(response.get_data(True), framed=True)
    elif form == "html":
        html = render_unknown_page(body, lang=ask.lang, env=st.env)
        response = Response(html, 404, mimetype="text/html")
        response.headers["Content-Security-Policy"] = _csp(html, framed=False)
    else:
        response = Response(_json(body), 404, mimetype=JSON)
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Content-Language"] = body["lang"]
    return response


def _respond(st: ResolverState, req: Request, tag: str, make: Any, max_age: int | None) -> Response:
    """The cached answer under ``tag`` (made by ``make()`` on a miss), or 304 for a match."""
    headers = [
        ("ETag", f'"{tag}"'),
        ("Cache-Control", "public, no-cache" if max_age is None else f"public, max-age={max_age}"),
        *PUBLIC_HEADERS,
    ]
    if "If-None-Match" in req.headers and req.if_none_match.contains_weak(tag):
        return Response(status=304, headers=headers)
    answer = st.resolver.answers.get(tag)
    if answer is None:
        answer = st.resolver.answers.put(tag, make())
    return Response(answer.body, 200, [*headers, *answer.headers], mimetype=answer.mimetype)


def _trace(
    st: ResolverState,
    req: Request,
    item: Item,
    ask: Asked,
    form: str,
    base: str,
    *,
    recall_status: bool = False,
) -> Response:
    """The trace page, JSON or embed; ``recall_status`` (the ``gs1:recallStatus`` link) says
    "not recalled" outright where the plain trace leaves the recall out."""
    own = base + public_path(item.link)
    shown = form + ("+recall" if recall_status else "")
    tag = _etag(shown, ask.lang, base, public_path(item.link), item.version, item.scans)

    def make() -> Answer:
        content = st.resolver.content(item, base=base, lang=ask.lang)
        body = public_trace.with_scans(
            content.body, first_scan_at=item.first_scan_at, scan_count=item.scan_count
        )
        if recall_status:
            body = public_trace.not_recalled(body, ask.lang)
        common = (("Content-Language", ask.lang), ("Link", _linkset_header(own)))
        if form == "json":
            return Answer(_json(body), JSON, common)
        if form == "embed":
            html = render_embed(body, lang=ask.lang, env=st.env)
        else:
            html = render_trace_page(body, lang=ask.lang, env=st.env)
        csp = ("Content-Security-Policy", _csp(html, framed=form == "embed"))
        return Answer(html.encode("utf-8"), _HTML, (*common, csp))

    return _respond(st, req, tag, make, None if item.kind == "unit" else 60)


def _levels(st: ResolverState, item: Item, ask: Asked, base: str) -> list[ls.Level]:
    content = st.resolver.content(item, base=base, lang=ask.lang)
    return ls.levels(item, content, base, ask.lang)


def _linkset(st: ResolverState, req: Request, item: Item, ask: Asked, base: str) -> Response:
    tag = _etag("linkset", ask.lang, base, public_path(item.link), item.version)

    def make() -> Answer:
        body = ls.linkset(_levels(st, item, ask, base), ask.lang)
        return Answer(_json(body), LINKSET_TYPE, (("Link", _CONTEXT_LINK),))

    return _respond(st, req, tag, make, 60)


def _redirect(st: ResolverState, req: Request, item: Item, ask: Asked, base: str) -> Response:
    assert ask.rel is not None
    found = _levels(st, item, ask, base)
    index, links = ls.pick(found, ask.rel, ask.lang)
    own = base + public_path(item.link)
    if not links:
        return problem(
            404,
            f"This item has no link of type {ask.rel}; its linkset lists the ones it has.",
            {"Link": _linkset_header(own)},
        )
    if index == 0 and ask.rel in ls.IN_PLACE:
        form = "json" if wants_json(req) else "html"
        return _trace(st, req, item, ask, form, base, recall_status=ask.rel == ls.RECALL)
    if len(links) > 1:
        body = {"linkset": [{"anchor": found[index].anchor, ask.rel: [x.target() for x in links]}]}
        response = Response(_json(body), 300, mimetype=LINKSET_TYPE)
    else:
        target = links[0].href
        query = req.query_string.decode("latin-1")
        if query:
            target += ("&" if "?" in target else "?") + query
        response = Response(status=307)
        response.headers["Location"] = target
    response.headers["Link"] = _linkset_header(own)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _answer(*, embedded: bool) -> Response:
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    if req.method == "OPTIONS":
        return _preflight()
    st = resolver_state()
    try:
        link = request_link(req, st.settings.url_prefix, below="/embed" if embedded else "")
    except InvalidDigitalLink as exc:
        return problem(400, f"Not a valid GS1 Digital Link URI: {exc}")
    if link.stem or (embedded and link.primary_key[0] != "01"):
        return problem(
            400,
            "The path must be a GS1 primary key and its qualifiers only, such as "
            "/01/{gtin}/10/{lot}/21/{serial}"
            + (" (the embed takes GTIN codes)" if embedded else ""),
        )
    ask = asked(req, link, st.settings.default_language)
    form = "embed" if embedded else ask.form
    found = st.resolver.find(link)
    _record(st, req, link, found, form)
    if isinstance(found, Missing):
        return _unknown(st, req, found, ask, form)
    base = _base(st, req)
    if form == "linkset":
        return _linkset(st, req, found, ask, base)
    if form == "link":
        return _redirect(st, req, found, ask, base)
    return _trace(st, req, found, ask, form, base)


def resolve(key: str, rest: str) -> Response:
    """``/{key}/...``: the resolver."""
    return _answer(embedded=False)


def embed(key: str, rest: str) -> Response:
    """``/embed/01/...``: the compact trace for an iframe (framing allowed)."""
    return _answer(embedded=True)


def description() -> Response:
    """``/.well-known/gs1resolver``: the resolver description file."""
    if request.method == "OPTIONS":
        return _preflight()
    st = resolver_state()
    body = ls.description_file(_base(st, request), name="shoptrace resolver")
    response = Response(_json(body), mimetype=JSON)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def widget() -> Response:
    """``/widget.js``: the widget script, cached long and revalidated by its ETag."""
    if request.method == "OPTIONS":
        return _preflight()
    st = resolver_state()
    headers = {
        "ETag": f'"{st.widget_etag}"',
        "Cache-Control": "public, max-age=86400, stale-while-revalidate=604800",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if request.if_none_match.contains_weak(st.widget_etag):
        response = Response(status=304)
    else:
        response = Response(st.widget_bytes, mimetype="text/javascript")
    response.headers.update(headers)
    return response
