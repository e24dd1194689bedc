"""What the public routes need at request time, built once per app by :func:`setup`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask, current_app
from jinja2 import Environment
from limits import RateLimitItem, parse_many
from limits.strategies import RateLimiter, SlidingWindowCounterRateLimiter

from shoptrace.shop_plugin.config import Settings
from shoptrace.shop_plugin.rate_limits import rate_limit_storage
from shoptrace.shop_plugin.resolver.lookup import Resolver
from shoptrace.shop_plugin.services.scans import Flag, Rule, ScanRecorder, client_key
from shoptrace.shop_plugin.signals import code_suspicious
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.widgets import environment, widget_js

__all__ = ["ResolverState", "resolver_state", "setup"]


@dataclass
class ResolverState:
    """The resolver, the scan recorder, the public rate limit and the widget script."""

    settings: Settings
    resolver: Resolver
    recorder: ScanRecorder | None
    client_key: bytes = field(repr=False)
    limiter: RateLimiter | None
    limits: list[RateLimitItem]
    env: Environment | None
    widget_bytes: bytes = field(repr=False)
    widget_etag: str


def resolver_state() -> ResolverState:
    """The resolver state of the current app."""
    public: ResolverState = current_app.extensions["shoptrace"].public
    return public


def setup(app: Flask, settings: Settings, store: Store, signing_key: str) -> ResolverState:
    """Build the public routes' state for ``app`` (nothing starts until the first scan)."""

    def report(flags: list[Flag]) -> None:
        for flag in flags:
            code_suspicious.send(
                app,
                merchant_id=flag.merchant_id,
                gtin=flag.gtin,
                lot=flag.lot,
                serial=flag.serial,
                unit_id=flag.unit_id,
                reason=flag.reason,
                clients=flag.clients,
            )

    recorder = None
    if settings.scan_recording == "background":
        rule = Rule(settings.suspicious_clients, timedelta(seconds=settings.suspicious_window))
        recorder = ScanRecorder(store, rule, on_flags=report)
    limiter = None
    limits: list[RateLimitItem] = []
    if settings.public_rate_limit:
        limiter = SlidingWindowCounterRateLimiter(
            rate_limit_storage(settings.rate_limit_storage_url)
        )
        limits = parse_many(settings.public_rate_limit)
    script = widget_js()
    return ResolverState(
        settings=settings,
        resolver=Resolver(
            store,
            signing_key,
            owner_ttl=settings.resolver_cache_ttl,
            cache_size=settings.resolver_cache_size,
            state_ttl=settings.resolver_state_ttl / 1000,
        ),
        recorder=recorder,
        client_key=client_key(signing_key),
        limiter=limiter,
        limits=limits,
        env=environment(app.jinja_loader) if app.jinja_loader is not None else None,
        widget_bytes=script,
        widget_etag=hashlib.sha256(script).hexdigest()[:32],
    )
