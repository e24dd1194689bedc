"""The admin blueprint: who may use it, CSRF, security headers, error pages, the routes.

Every request asks the host's auth callback (``SHOPTRACE_ADMIN_AUTH`` or
``@shoptrace.admin_auth``) which merchant the signed-in user manages; without a callback the
admin answers 404, so it is never open by default. A visitor the callback returns None for is
sent to ``SHOPTRACE_ADMIN_LOGIN_URL`` (or gets a 401 page); a merchant that does not exist or
is disabled gets a 403 page. Every POST must carry the form token of :mod:`.csrf`: a missing or
wrong one is a 400 before the view runs, so nothing changes.
"""

from __future__ import annotations

import importlib
import logging
import os
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from flask import Blueprint, Response, g, request, url_for
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from shoptrace.shop_plugin.admin import (
    catalogue,
    csrf,
    dashboard,
    integrations,
    locations,
    orders,
    phrases,
    recalls,
)
from shoptrace.shop_plugin.admin.forms import FormErrors
from shoptrace.shop_plugin.admin.support import PATH_SAFE, lang, render, state, t
from shoptrace.shop_plugin.services.errors import Conflict, InvalidInput, ServiceError
from shoptrace.shop_plugin.services.pagination import MAX_ID
from shoptrace.shop_plugin.store.migrate import is_up_to_date
from shoptrace.shop_plugin.store.tables import merchants
from shoptrace.widgets import i18n

__all__ = ["ADMIN_PATH", "BLUEPRINT", "AdminAuth", "make_blueprint"]

BLUEPRINT = "shoptrace_admin"
ADMIN_PATH = "/admin"
AdminAuth = Callable[[Any], Any]
"""``callback(request) -> merchant id | None``: the merchant the signed-in user manages."""
log = logging.getLogger("shoptrace.shop_plugin.admin")

NAV = (
    ("dashboard", "nav.dashboard"),
    ("products", "nav.products"),
    ("locations", "nav.locations"),
    ("orders", "nav.orders"),
    ("recalls", "nav.recalls"),
    ("integrity", "nav.integrity"),
    ("webhooks", "nav.webhooks"),
    ("connections", "nav.connections"),
    ("upstreams", "nav.upstreams"),
)
_SECTIONS = {
    "dashboard": "dashboard",
    "products": "products",
    "product": "products",
    "new_product": "products",
    "edit_product": "products",
    "delete_product": "products",
    "new_batch": "products",
    "batch": "products",
    "edit_batch": "products",
    "delete_batch": "products",
    "issue_codes": "products",
    "issuance": "products",
    "issuance_status": "products",
    "labels": "products",
    "codes_csv": "products",
    "locations": "locations",
    "new_location": "locations",
    "edit_location": "locations",
    "delete_location": "locations",
    "orders": "orders",
    "order": "orders",
    "fulfil_order": "orders",
    "recalls": "recalls",
    "recall": "recalls",
    "new_recall": "recalls",
    "close_recall": "recalls",
    "recall_csv": "recalls",
    "integrity": "integrity",
    "webhooks": "webhooks",
    "webhook": "webhooks",
    "webhook_action": "webhooks",
    "redeliver": "webhooks",
    "connections": "connections",
    "upstreams": "upstreams",
    "resume_upstream": "upstreams",
}


def _import(path: str) -> Any:
    module, sep, name = path.partition(":")
    if not sep:
        module, _, name = path.rpartition(".")
    found: Any = importlib.import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    if not callable(found):
        raise TypeError(f"SHOPTRACE_ADMIN_AUTH: {path} is not callable")
    return found


def _merchant_of(answer: Any) -> int | None:
    """The callback's answer as a merchant id (an int, or digits as text), else None."""
    if isinstance(answer, str) and answer.isascii() and answer.isdigit() and len(answer) < 20:
        answer = int(answer)
    if isinstance(answer, bool) or not isinstance(answer, int) or not 1 <= answer <= MAX_ID:
        if answer is not None:
            log.warning("the admin auth callback returned %r, not a merchant id", type(answer))
        return None
    return answer


def _login(login_url: str | None) -> Response:
    if login_url is None:
        return render("error.html", status=401, message=t("error.401"), code=401)
    wanted = request.script_root + quote(request.path, safe=PATH_SAFE)
    if request.query_string:
        wanted += "?" + request.query_string.decode("latin-1")
    joiner = "&" if "?" in login_url else "?"
    return Response(
        status=302, headers={"Location": f"{login_url}{joiner}{urlencode({'next': wanted})}"}
    )


def make_blueprint(registered: Callable[[], AdminAuth | None]) -> Blueprint:
    """The admin; register with ``url_prefix=SHOPTRACE_URL_PREFIX + ADMIN_PATH``.

    ``registered()`` gives the callback set with ``@shoptrace.admin_auth`` (the setting
    ``SHOPTRACE_ADMIN_AUTH`` wins)."""
    bp = Blueprint(
        BLUEPRINT,
        __name__,
        root_path=os.path.dirname(__file__),
        template_folder="templates",
    )
    imported: dict[str, Any] = {}

    def callback() -> AdminAuth | None:
        configured = state().settings.admin_auth
        if isinstance(configured, str):
            if configured not in imported:
                imported[configured] = _import(configured)
            found: AdminAuth = imported[configured]
            return found
        return configured if configured is not None else registered()

    def guard() -> Response | None:
        st = state()
        request.max_content_length = st.settings.max_body_bytes
        request.max_form_memory_size = st.settings.max_body_bytes
        g.shoptrace_admin_lang = i18n.negotiate(
            request.args.get("lang"),
            request.headers.get("Accept-Language"),
            st.settings.default_language,
        )
        g.shoptrace_admin_nonce = secrets.token_urlsafe(16)
        g.shoptrace_admin_merchant = None
        check = callback()
        if check is None:
            # Never open by default, and nothing on the page says an admin is here.
            return Response(NotFound().get_body(), 404, content_type="text/html; charset=utf-8")
        if not st.schema_ok:
            if not is_up_to_date(st.store):
                return render("error.html", status=503, message=t("error.503"), code=503)
            st.schema_ok = True
        merchant_id = _merchant_of(check(request))
        if merchant_id is None:
            return _login(st.settings.admin_login_url)
        with st.store.read() as conn:
            row = conn.execute(
                sa.select(merchants.c.id, merchants.c.name, merchants.c.status).where(
                    merchants.c.id == merchant_id
                )
            ).one_or_none()
        if row is None or row.status != "active":
            return render("error.html", status=403, message=t("error.403"), code=403)
        g.shoptrace_admin_merchant = {"id": row.id, "name": row.name}
        key = csrf.csrf_key(st.signing_key)
        cookie = request.cookies.get(csrf.COOKIE)
        g.shoptrace_admin_new_cookie = None
        if not cookie or len(cookie) > 100:
            cookie = csrf.new_cookie_value()
            g.shoptrace_admin_new_cookie = cookie
        g.shoptrace_admin_token = csrf.make_token(key, cookie, row.id, int(time.time()))
        if request.method == "POST":
            token = request.form.get(csrf.FIELD)
            if not csrf.valid(
                key, request.cookies.get(csrf.COOKIE), token, row.id, int(time.time())
            ):
                return render("error.html", status=400, message=t("error.csrf"), code=400)
        return None

    def headers(response: Response) -> Response:
        nonce = g.get("shoptrace_admin_nonce", "")
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
            "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Language"] = g.get("shoptrace_admin_lang") or "en"
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        new_cookie = g.get("shoptrace_admin_new_cookie")
        if new_cookie:
            response.set_cookie(
                csrf.COOKIE,
                new_cookie,
                path=request.script_root + state().settings.url_prefix + ADMIN_PATH,
                secure=request.is_secure,
                httponly=True,
                samesite="Lax",
            )
        return response

    def context() -> dict[str, Any]:
        lg = g.get("shoptrace_admin_lang") or "en"
        merchant = g.get("shoptrace_admin_merchant")
        endpoint = (request.endpoint or "").rpartition(".")[2]
        section = _SECTIONS.get(endpoint)

        def translate(key: str, **args: object) -> str:
            return phrases.t(key, lg, **args)

        def label(key: str, fallback: Any, **args: object) -> str:
            """A phrase for a stored value (a status, a reason), the value itself if none."""
            return phrases.t(key, lg, **args) if key in phrases.PHRASES else str(fallback or "")

        def link(endpoint: str, **values: Any) -> str:
            return url_for(endpoint, lang=lg, **values)

        def csrf_field() -> Markup:
            token = g.get("shoptrace_admin_token") or ""
            return Markup('<input type="hidden" name="{}" value="{}">').format(
                csrf.FIELD, escape(token)
            )

        def page_url(token: str) -> str:
            kept = ("pageToken", "notice", "lang")
            args = [(k, v) for k, v in request.args.items(multi=True) if k not in kept]
            args += [("lang", lg), ("pageToken", token)]
            return f"{request.script_root}{quote(request.path, safe=PATH_SAFE)}?{urlencode(args)}"

        nav = []
        if merchant is not None:
            nav = [
                (url_for("." + name, lang=lg), translate(key), name == section) for name, key in NAV
            ]
        return {
            "t": translate,
            "label": label,
            "lang": lg,
            "other_lang": "en" if lg == "zh-CN" else "zh-CN",
            "link": link,
            "page_url": page_url,
            "csrf_field": csrf_field,
            "nonce": g.get("shoptrace_admin_nonce", ""),
            "merchant": merchant,
            "nav": nav,
            "home_url": state().settings.admin_home_url,
            "account_url": state().settings.admin_account_url,
            "fmt_time": lambda value: i18n.format_datetime(value, lg),
            "fmt_date": lambda value: i18n.format_date(value, lg),
            "category_label": lambda code: phrases.category_label(code, lg),
            "unit_status": lambda status: i18n.status_phrase(status, lg) or status or "",
            "severity_label": lambda level: i18n.recall_severity_phrase(level, lg) or level or "",
            "texts": _texts(lg),
        }

    def error(exc: Exception) -> Response:
        if isinstance(exc, ServiceError):
            status = exc.status
            shown = t(f"error.{status}") if f"error.{status}" in phrases.PHRASES else exc.detail
            details = []
            if isinstance(exc, InvalidInput | Conflict):
                details = FormErrors(exc.errors, lang()).all() or [("", exc.detail)]
            return render("error.html", status=status, message=shown, code=status, details=details)
        if isinstance(exc, HTTPException):
            status = exc.code or 500
            key = f"error.{status}"
            message = t(key) if key in phrases.PHRASES else (exc.description or "")
            response = render("error.html", status=status, message=message, code=status)
            if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
                response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
            return response
        log.exception("unhandled error in %s %s", request.method, request.path)
        return render("error.html", status=500, message=t("error.500"), code=500)

    bp.before_request(guard)
    bp.after_request(headers)
    bp.context_processor(context)
    bp.register_error_handler(Exception, error)
    for module in (dashboard, catalogue, locations, orders, recalls, integrations):
        module.register(bp)
    return bp


def _texts(lg: str) -> Callable[[Any], str]:
    """``{"zh-CN": ..., "en": ...}`` as one text in the page language (else the other)."""

    def pick(value: Any) -> str:
        if isinstance(value, str):
            return value
        if not isinstance(value, dict):
            return ""
        other = "en" if lg == "zh-CN" else "zh-CN"
        found = value.get(lg) or value.get(other)
        return found if isinstance(found, str) else ""

    return pick
