"""The demo shop's Flask app: ``create_app()`` builds it, seeds it on first start.

Installing shoptrace takes these lines (the rest of the shop does not know about it)::

    from shoptrace.shop_plugin import ShopTrace

    shoptrace = ShopTrace()
    app.config["SHOPTRACE_SHOP_MERCHANT"] = merchant_id  # the shop's own orders
    shoptrace.init_app(app)  # trace pages, API, EPCIS, widget under /trace

    shoptrace.order_placed(order)  # at checkout, and order_fulfilled(...) when packed
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, abort, render_template, request, send_from_directory, session
from jinja2 import ChoiceLoader, FileSystemLoader
from werkzeug.exceptions import HTTPException

from examples.demo_shop import cart, catalogue, i18n, merchant, orders, sales, tracing
from examples.demo_shop.db import EXTENSION_KEY, Shop, open_shop
from examples.demo_shop.seed import MerchantSetup, prepare_merchant, seed
from shoptrace.shop_plugin.config import from_environ
from shoptrace.shop_plugin.signals import recall_created
from shoptrace.widgets.render import templates_path

__all__ = [
    "DEFAULT_PORT",
    "create_app",
    "csrf_token",
    "default_instance_path",
    "login_of",
    "setup_of",
]

HERE = Path(__file__).resolve().parent
DEFAULT_PORT = 5000
SECRET_FILE = "demo-shop-secret.key"
SETUP_KEY = "demo_shop.setup"
SEEDED_KEY = "demo_shop.seeded"
LOGIN_KEY = "demo_shop.merchant_login"


def default_instance_path() -> Path:
    """``$DEMO_INSTANCE_PATH``, else ``instance/`` beside this file (git ignores it)."""
    return Path(os.environ.get("DEMO_INSTANCE_PATH") or HERE / "instance").resolve()


def port() -> int:
    """``$DEMO_PORT``, else 5000."""
    value = os.environ.get("DEMO_PORT", "")
    return int(value) if value.isdigit() and 0 < int(value) < 65536 else DEFAULT_PORT


def _secret(instance: Path) -> str:
    """The session-signing secret, generated once into the instance folder."""
    path = instance / SECRET_FILE
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def create_app(instance_path: str | os.PathLike[str] | None = None, **config: Any) -> Flask:
    """Build the shop with shoptrace inside; seed both on first start.

    ``config`` overrides any setting: ``DEMO_BASE_URL`` (where shoppers reach the shop, and
    so what trace codes and QR codes point at; default ``$DEMO_BASE_URL``, else
    ``http://127.0.0.1:$DEMO_PORT``), ``DEMO_SEED`` (default true) and any ``SHOPTRACE_*``
    key (which may also come from the environment).
    """
    instance = Path(instance_path).resolve() if instance_path else default_instance_path()
    app = Flask(
        __name__,
        root_path=str(HERE),
        instance_path=str(instance),
        static_folder="static",
        static_url_path="/static",
        template_folder="templates",
    )
    app.config.update(
        SECRET_KEY=None,
        DEMO_BASE_URL=os.environ.get("DEMO_BASE_URL") or f"http://127.0.0.1:{port()}",
        DEMO_SEED=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        # A little more than shoptrace's default: every listing's badge asks once.
        SHOPTRACE_PUBLIC_RATE_LIMIT="1200 per minute",
    )
    app.config.update(from_environ())
    app.config.update(config)
    app.config["DEMO_BASE_URL"] = str(app.config["DEMO_BASE_URL"]).rstrip("/")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret(instance)
    # Codes on packs must not depend on how a visitor reached the shop: fix their base.
    app.config.setdefault("SHOPTRACE_PUBLIC_BASE_URL", app.config["DEMO_BASE_URL"] + "/trace")

    # -- shoptrace: the merchant first, so the plugin knows whose orders the shop sends --
    setup = prepare_merchant(
        {k: v for k, v in app.config.items() if k.startswith("SHOPTRACE_")}, str(instance)
    )
    app.config[tracing.MERCHANT_KEY] = setup.merchant_id
    app.config.setdefault("SHOPTRACE_SHOP_MERCHANT", setup.merchant_id)
    # The merchant admin (/trace/admin): strangers go to the shop's merchant sign-in, and
    # merchant.admin_merchant (registered with @shoptrace.admin_auth) says who is signed in;
    # its header links back to the shop and to the sign-in page, where the merchant signs out.
    app.config.setdefault("SHOPTRACE_ADMIN_LOGIN_URL", merchant.LOGIN_PATH)
    app.config.setdefault("SHOPTRACE_ADMIN_HOME_URL", "/")
    app.config.setdefault("SHOPTRACE_ADMIN_ACCOUNT_URL", merchant.LOGIN_PATH)
    tracing.shoptrace.init_app(app)

    shop = open_shop(instance)
    app.extensions[EXTENSION_KEY] = shop
    app.extensions[SETUP_KEY] = setup
    app.extensions[LOGIN_KEY] = merchant.prepare_login(shop, instance, setup.merchant_id)
    # Templates: the shop's own, then shoptrace's (for its Jinja2 macros).
    app.jinja_loader = ChoiceLoader(
        [FileSystemLoader(str(HERE / "templates")), FileSystemLoader(str(templates_path()))]
    )
    for module in (catalogue, cart, orders, merchant):
        app.register_blueprint(module.blueprint)
    _wire_requests(app)
    _follow_recalls(app, shop)
    if app.config["DEMO_SEED"]:
        app.extensions[SEEDED_KEY] = seed(app, shop)
    return app


def setup_of(app: Flask) -> MerchantSetup:
    """The demo merchant (and its API key, on the start that created it)."""
    setup: MerchantSetup = app.extensions[SETUP_KEY]
    return setup


def login_of(app: Flask) -> merchant.MerchantLogin:
    """The demo merchant's account for the admin: e-mail and password."""
    login: merchant.MerchantLogin = app.extensions[LOGIN_KEY]
    return login


def csrf_token() -> str:
    """The session's form token (made on first use)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        session["csrf"] = token
    return token


def _wire_requests(app: Flask) -> None:
    prefix = app.config.get("SHOPTRACE_URL_PREFIX") or "/trace"

    def _own(path: str) -> bool:
        return not (path == prefix or path.startswith(prefix + "/"))

    @app.before_request
    def _language_and_forms() -> None:
        if not _own(request.path):
            return
        asked = request.args.get("lang")
        if asked in i18n.LANGS:
            session["lang"] = asked
        if request.method == "POST":
            sent = request.form.get("csrf", "")
            if not sent or not secrets.compare_digest(sent, session.get("csrf") or ""):
                abort(400, description="csrf")

    @app.after_request
    def _headers(response: Any) -> Any:
        if _own(request.path):
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
            response.headers.setdefault("X-Frame-Options", "DENY")
            if response.mimetype == "text/html":
                response.headers["Content-Language"] = i18n.current_lang()
        return response

    @app.get("/favicon.ico")
    def _favicon() -> Any:
        # Pages without an icon link (shoptrace's trace pages and admin) ask for this one.
        return send_from_directory(
            HERE / "static" / "img", "logo.svg", mimetype="image/svg+xml", max_age=86400
        )

    @app.context_processor
    def _globals() -> dict[str, Any]:
        lang = i18n.current_lang()
        return {
            "lang": lang,
            "other_lang": "en" if lang == "zh-CN" else "zh-CN",
            "t": lambda key, **args: i18n.t(key, lang, **args),
            "csrf_token": csrf_token,
            "cart_count": cart.count(),
            "trace_base": tracing.base_url(),
            "money": money,
            "customer_email": session.get("email"),
            "admin_url": merchant.admin_url(lang),
        }

    # The <noscript> links of the badges point at the same service as the widget.
    app.jinja_env.globals["shoptrace_base_url"] = app.config["SHOPTRACE_PUBLIC_BASE_URL"]
    app.jinja_env.filters["china_time"] = china_time

    @app.errorhandler(HTTPException)
    def _error(exc: HTTPException) -> Any:
        if not _own(request.path):
            return exc
        lang = i18n.current_lang()
        code = exc.code or 500
        if code == 400 and exc.description == "csrf":
            message, detail = i18n.t("error.csrf", lang), ""
        elif code == 404:
            message = i18n.t("error.not_found", lang)
            detail = i18n.t("error.not_found_detail", lang)
        else:
            message, detail = f"{code} {exc.name}", i18n.t("error.method", lang)
        return render_template("demo_shop/error.html", message=message, detail=detail), code


def _follow_recalls(app: Flask, shop: Shop) -> None:
    """When the merchant recalls lots (``POST /trace/api/v1/recalls``), hold their packs back
    from sale: shoptrace sends ``recall_created`` after its transaction committed."""

    def held(sender: Flask, *, merchant_id: int, recall: dict[str, Any], **extra: Any) -> None:
        if merchant_id != sender.config[tracing.MERCHANT_KEY] or recall.get("scope") != "lots":
            return
        reason = recall.get("reason")
        if isinstance(reason, str):
            reason = {"zh-CN": reason, "en": reason}
        for lot in recall.get("lots") or []:
            sales.hold_lot(shop, str(recall["gtin"]), str(lot), reason)

    recall_created.connect(held, sender=app, weak=False)


def china_time(moment: datetime | None) -> str:
    """A stored (naive UTC) time as China Standard Time: ``2026-11-29 20:51``."""
    if moment is None:
        return ""
    return moment.replace(tzinfo=UTC).astimezone(sales.CHINA).strftime("%Y-%m-%d %H:%M")


def money(cents: int) -> str:
    """A price in yuan: ``¥368.00``."""
    return f"¥{cents // 100:,}.{cents % 100:02d}"
