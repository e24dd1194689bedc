"""The Flask extension: ``ShopTrace(app)`` or ``ShopTrace().init_app(app)``.

``init_app`` validates the ``SHOPTRACE_*`` settings, opens the store (migrating the embedded
SQLite default on first start), mounts the merchant API under the URL prefix and adds the
``flask shoptrace ...`` commands. Its state lives in ``app.extensions["shoptrace"]``; the
extension object keeps no app, so one object may serve several apps.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, has_request_context, request
from limits import RateLimitItem, parse_many
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from shoptrace.shop_plugin import signals as shop_signals
from shoptrace.shop_plugin.admin import ADMIN_PATH, AdminAuth
from shoptrace.shop_plugin.admin import make_blueprint as make_admin_blueprint
from shoptrace.shop_plugin.api import API_PATH, IdConverter, epcis, make_blueprint
from shoptrace.shop_plugin.cli import shoptrace_group
from shoptrace.shop_plugin.config import OPTIONS, Settings
from shoptrace.shop_plugin.hooks.blueprint import HOOKS_PATH
from shoptrace.shop_plugin.hooks.blueprint import make_blueprint as make_hooks_blueprint
from shoptrace.shop_plugin.rate_limits import rate_limit_storage
from shoptrace.shop_plugin.resolver import ResolverState
from shoptrace.shop_plugin.resolver import make_blueprint as make_resolver_blueprint
from shoptrace.shop_plugin.resolver import setup as setup_resolver
from shoptrace.shop_plugin.services import orders
from shoptrace.shop_plugin.services.issuance import run_pending
from shoptrace.shop_plugin.services.outbox import OutboxRunner
from shoptrace.shop_plugin.services.retention import Retention
from shoptrace.shop_plugin.services.signing import resolve_signing_key
from shoptrace.shop_plugin.services.upstream import SyncRunner
from shoptrace.shop_plugin.services.webhooks import code_suspicious_receiver
from shoptrace.shop_plugin.signals import code_suspicious
from shoptrace.shop_plugin.store import Store, open_store, upgrade

__all__ = ["EXTENSION_KEY", "ShopTrace", "ShopTraceState", "state_of"]

EXTENSION_KEY = "shoptrace"
log = logging.getLogger(__name__)


@dataclass
class ShopTraceState:
    """What one app's shoptrace needs at request time."""

    settings: Settings
    store: Store
    signing_key: str = field(repr=False)
    limiter: RateLimiter | None
    limits: list[RateLimitItem]
    schema_ok: bool = False
    public: ResolverState | None = None
    """The public routes' state: resolver, scan recorder, public rate limit."""
    outbox_runner: OutboxRunner | None = None
    """The webhook delivery thread (``SHOPTRACE_OUTBOX_RUNNER=thread``), started lazily."""
    sync_runner: SyncRunner | None = None
    """The upstream push thread (``SHOPTRACE_SYNC_RUNNER=thread``), started lazily."""

    def close(self) -> None:
        """Shut this app's shoptrace down: stop the outbox and sync threads (after the round
        in hand), store the scans still waiting and close the database connections. Call it
        when the host process ends or a test is done with the app; the app serves no more."""
        for runner in (self.outbox_runner, self.sync_runner):
            if runner is not None:
                runner.stop()
        if self.public is not None and self.public.recorder is not None:
            self.public.recorder.flush()
        self.store.dispose()

    def start_job_runner(self) -> None:
        """Run pending issuance jobs in a background thread of this process."""
        thread = threading.Thread(target=self._run_jobs, name="shoptrace-issuance", daemon=True)
        thread.start()

    def _run_jobs(self) -> None:
        try:
            run_pending(self.store, self.signing_key)
        except Exception:
            log.exception("issuance job runner stopped; `shoptrace jobs run` resumes its jobs")


class ShopTrace:
    """The shoptrace Flask extension.

    ``options`` are defaults for settings the app's config does not set, named without the
    prefix in lower case: ``ShopTrace(app, url_prefix="/t")`` for ``SHOPTRACE_URL_PREFIX``.
    """

    def __init__(self, app: Flask | None = None, **options: Any) -> None:
        known = {o.key.removeprefix("SHOPTRACE_").lower() for o in OPTIONS}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"ShopTrace: unknown option {unknown[0]!r}")
        self._options = {f"SHOPTRACE_{k.upper()}": v for k, v in options.items()}
        self._admin_auth: AdminAuth | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Validate settings, open the store and mount the routes and commands on ``app``."""
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError("shoptrace is already registered on this app")
        for key, value in self._options.items():
            app.config.setdefault(key, value)
        for option in OPTIONS:
            app.config.setdefault(option.key, option.default)
        settings = Settings.from_mapping(app.config, instance_path=app.instance_path)
        signing_key = resolve_signing_key(settings)
        store = open_store(settings.database_url)
        if settings.auto_migrate:
            upgrade(store)
        limiter = None
        limits: list[RateLimitItem] = []
        if settings.rate_limit:
            limiter = MovingWindowRateLimiter(rate_limit_storage(settings.rate_limit_storage_url))
            limits = parse_many(settings.rate_limit)
        app.extensions[EXTENSION_KEY] = ShopTraceState(
            settings=settings,
            store=store,
            signing_key=signing_key,
            limiter=limiter,
            limits=limits,
            public=setup_resolver(app, settings, store, signing_key),
        )
        self._setup_outbox(app, app.extensions[EXTENSION_KEY])
        _setup_sync(app, app.extensions[EXTENSION_KEY])
        _connect_shop_signals(app)
        app.url_map.converters.setdefault("shoptrace_id", IdConverter)
        app.register_blueprint(make_blueprint(), url_prefix=settings.url_prefix + API_PATH)
        app.register_blueprint(
            epcis.make_blueprint(), url_prefix=settings.url_prefix + epcis.EPCIS_PATH
        )
        app.register_blueprint(make_resolver_blueprint(), url_prefix=settings.url_prefix)
        app.register_blueprint(make_hooks_blueprint(), url_prefix=settings.url_prefix + HOOKS_PATH)
        app.register_blueprint(
            make_admin_blueprint(lambda: self._admin_auth),
            url_prefix=settings.url_prefix + ADMIN_PATH,
        )
        app.cli.add_command(shoptrace_group)

    def admin_auth(self, callback: AdminAuth) -> AdminAuth:
        """Register who may use the merchant admin (a decorator): ``callback(request)``
        returns the id of the merchant the signed-in user manages, or None when nobody is
        signed in (``SHOPTRACE_ADMIN_AUTH``, when set, wins)."""
        self._admin_auth = callback
        return callback

    @staticmethod
    def _setup_outbox(app: Flask, shop: ShopTraceState) -> None:
        """Queue ``code.suspicious`` webhooks for flagged codes; with the ``thread`` runner,
        deliver the outbox from this process (started by the first request)."""
        receiver = code_suspicious_receiver(shop.store, base_url=shop.settings.public_base_url)
        code_suspicious.connect(receiver, sender=app, weak=False)
        if shop.settings.outbox_runner == "thread":
            runner = OutboxRunner(
                shop.store,
                shop.signing_key,
                interval=shop.settings.outbox_interval,
                max_attempts=shop.settings.outbox_max_attempts,
                timeout=shop.settings.outbox_timeout,
                retention=Retention.of(shop.settings),
            )
            runner.attach()
            app.before_request(runner.ensure_started)
            shop.outbox_runner = runner

    # --- the shop's orders and listings (shop_plugin/README.md, "Orders and listings") ------

    def order_placed(
        self, order: Mapping[str, Any], *, merchant_id: int | None = None
    ) -> dict[str, Any]:
        """The shop took ``order``; returns it as the merchant API shows it (lines matched to
        products, its trace page URL). Uses the current app; ``merchant_id`` defaults to
        ``SHOPTRACE_SHOP_MERCHANT``."""
        return _order_action(_app(), "placed", order, None, merchant_id)

    def order_fulfilled(
        self,
        order: Mapping[str, Any],
        units: Sequence[str] | None = None,
        *,
        merchant_id: int | None = None,
    ) -> dict[str, Any]:
        """The shop shipped ``order``: the scanned ``units`` (codes) are checked and bound, or
        stock is allocated first expiry first out; raises InvalidInput naming refused codes."""
        return _order_action(_app(), "fulfilled", order, units, merchant_id)

    def order_delivered(
        self, order: Mapping[str, Any], *, merchant_id: int | None = None
    ) -> dict[str, Any]:
        """``order`` reached the customer."""
        return _order_action(_app(), "delivered", order, None, merchant_id)

    def order_cancelled(
        self, order: Mapping[str, Any], *, merchant_id: int | None = None
    ) -> dict[str, Any]:
        """``order`` was cancelled before fulfilment (Conflict after it)."""
        return _order_action(_app(), "cancelled", order, None, merchant_id)

    def order_returned(
        self,
        order: Mapping[str, Any],
        units: Sequence[str] | None = None,
        *,
        merchant_id: int | None = None,
    ) -> dict[str, Any]:
        """``units`` of ``order`` came back (all of them when None): back in stock."""
        return _order_action(_app(), "returned", order, units, merchant_id)

    def product_saved(
        self, product: Mapping[str, Any], *, merchant_id: int | None = None
    ) -> dict[str, Any]:
        """A listing was created or changed; returns the product as the merchant API shows
        it."""
        return orders.save_for_shop(state_of(_app()), product, merchant_id=merchant_id)


def _setup_sync(app: Flask, shop: ShopTraceState) -> None:
    """With ``SHOPTRACE_SYNC_RUNNER=thread``, push to upstream EPCIS endpoints from this
    process (the thread starts with the first request)."""
    if shop.settings.sync_runner != "thread":
        return
    runner = SyncRunner(
        shop.store,
        shop.signing_key,
        interval=shop.settings.sync_interval,
        max_attempts=shop.settings.sync_max_attempts,
        timeout=shop.settings.sync_timeout,
    )
    runner.attach()
    app.before_request(runner.ensure_started)
    shop.sync_runner = runner


def _app() -> Flask:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return app


def _order_action(
    app: Flask, action: str, order: Any, units: Any, merchant_id: int | None
) -> dict[str, Any]:
    shop = state_of(app)
    base = None
    if has_request_context():
        base = request.url_root.rstrip("/") + shop.settings.url_prefix
    return orders.apply_for_shop(
        shop, action, order, units=units, merchant_id=merchant_id, base_url=base, sender=app
    )


_HOST_SIGNALS = (
    (shop_signals.order_placed, "placed"),
    (shop_signals.order_fulfilled, "fulfilled"),
    (shop_signals.order_delivered, "delivered"),
    (shop_signals.order_cancelled, "cancelled"),
    (shop_signals.order_returned, "returned"),
)


def _connect_shop_signals(app: Flask) -> None:
    """Receive the host-sent order and listing signals of ``app`` (receivers return what the
    ``ShopTrace.order_*`` methods return, so ``send`` hands it back)."""

    def receiver(action: str) -> Any:
        def receive(
            sender: Flask,
            *,
            order: Any,
            units: Any = None,
            merchant_id: int | None = None,
            **extra: Any,
        ) -> dict[str, Any]:
            return _order_action(sender, action, order, units, merchant_id)

        return receive

    for signal, action in _HOST_SIGNALS:
        signal.connect(receiver(action), sender=app, weak=False)

    def product(
        sender: Flask, *, product: Any, merchant_id: int | None = None, **extra: Any
    ) -> dict[str, Any]:
        return orders.save_for_shop(state_of(sender), product, merchant_id=merchant_id)

    shop_signals.product_saved.connect(product, sender=app, weak=False)


def state_of(app: Flask) -> ShopTraceState:
    """The shoptrace state of ``app`` (KeyError if the extension is not registered)."""
    shop: ShopTraceState = app.extensions[EXTENSION_KEY]
    return shop
