"""Configuration of the trace service: every ``SHOPTRACE_*`` key, its default and its check.

The keys are documented in one table, in ``shop_plugin/README.md`` (a test keeps it in step
with :data:`OPTIONS`). :meth:`Settings.from_mapping` validates them all at start-up and names
the key in its message, so a wrong value stops the app before it serves a request.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from shoptrace.sdk import digital_link
from shoptrace.sdk.errors import InvalidDigitalLink

__all__ = ["LANGUAGES", "OPTIONS", "ConfigError", "Option", "Settings", "from_environ"]

LANGUAGES = ("zh-CN", "en")
EMBEDDED_DB_FILE = "shoptrace.db"


class ConfigError(ValueError):
    """A ``SHOPTRACE_*`` setting is missing or wrong; the message names the key."""


@dataclass(frozen=True)
class Option:
    """One configuration key: its default, the parser that checks it, and what it does."""

    key: str
    default: Any
    parse: Callable[[str, Any], Any]
    doc: str


def _text(key: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{key}: must be a string, got {type(value).__name__}")
    return value


def _int(low: int, high: int) -> Callable[[str, Any], int]:
    def parse(key: str, value: Any) -> int:
        # ASCII digits only: "²" passes isdigit() but int() refuses it, and "٥٠" is no setting.
        digits = value.strip().removeprefix("-") if isinstance(value, str) else ""
        if digits.isascii() and digits.isdigit() and len(digits) <= 19:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"{key}: must be a whole number from {low} to {high}, got {value!r}")
        return value

    return parse


def _bool_or_none(key: str, value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no"):
        return value.lower() in ("1", "true", "yes", "on")
    raise ConfigError(f"{key}: must be true or false, got {value!r}")


def _flag(key: str, value: Any) -> bool:
    return bool(_bool_or_none(key, value))


def _merchant(key: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    return _int(1, 2**63 - 1)(key, value)


def _choice(*choices: str) -> Callable[[str, Any], str]:
    def parse(key: str, value: Any) -> str:
        if value not in choices:
            raise ConfigError(f"{key}: must be one of {', '.join(choices)}, got {value!r}")
        return str(value)

    return parse


def _database_url(key: str, raw: Any) -> str | None:
    value = _text(key, raw)
    if value is None:
        return None
    try:
        url = make_url(value)
    except ArgumentError:
        raise ConfigError(f"{key}: not a database URL: {value!r}") from None
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"{key}: use sqlite:///FILE or postgresql+psycopg://..., got a {backend} URL"
        )
    if backend == "postgresql" and url.get_driver_name() != "psycopg":
        raise ConfigError(f"{key}: PostgreSQL goes through psycopg 3: postgresql+psycopg://...")
    if backend == "sqlite" and (url.database or ":memory:") == ":memory:":
        raise ConfigError(f"{key}: SQLite needs a file, sqlite:///path/to/shoptrace.db")
    return value


def _prefix(key: str, value: Any) -> str:
    if (
        not isinstance(value, str)
        or not value.startswith("/")
        or value.endswith("/")
        or "//" in value
        or any(c in value for c in "?#<> \\")
        or not value.isprintable()
    ):
        raise ConfigError(
            f"{key}: must be a path like /trace, starting and not ending with '/', got {value!r}"
        )
    return value


def _base_url(key: str, raw: Any) -> str | None:
    value = _text(key, raw)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"{key}: must be an absolute http(s) URL without query, such as "
            f"https://shop.example.com/trace, got {value!r}"
        )
    value = value.rstrip("/")
    try:
        digital_link.build(value, "09506000134352")
    except InvalidDigitalLink as exc:
        raise ConfigError(f"{key}: not usable in a Digital Link URI: {exc}") from None
    return value


def _is_utf8(value: str) -> bool:
    """Whether ``value`` has a UTF-8 form: bytes an environment variable holds that are not
    UTF-8 arrive as lone surrogates, which neither a key nor a URL can carry."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _signing_key(key: str, raw: Any) -> str | None:
    value = _text(key, raw)
    if value is not None and not _is_utf8(value):
        raise ConfigError(f"{key}: must be UTF-8 text (it holds a lone surrogate)")
    if value is not None and len(value.encode("utf-8")) < 32:
        raise ConfigError(
            f"{key}: must be at least 32 characters of secret (for example the output of "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return value


def _rate_limit(key: str, raw: Any) -> str | None:
    value = _text(key, raw)
    if value is None:
        return None
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(
            f"{key}: not a rate limit such as '600 per minute', got {value!r}"
        ) from None
    return value


_IMPORT_PATH = re.compile(
    r"[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*[:.][A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*"
)


def _callback(key: str, value: Any) -> Callable[..., Any] | str | None:
    """A function, or its import path (``package.module:function``), imported at first use
    (a host module may name itself while it is still being imported)."""
    if value is None or value == "":
        return None
    if callable(value):
        found: Callable[..., Any] = value
        return found
    if isinstance(value, str) and _IMPORT_PATH.fullmatch(value.strip()):
        return value.strip()
    raise ConfigError(
        f"{key}: must be a function or its import path such as 'myshop.auth:admin_merchant', "
        f"got {value!r}"
    )


def _login_url(key: str, raw: Any) -> str | None:
    value = _text(key, raw)
    if value is None:
        return None
    parts = urlsplit(value)
    local = value.startswith("/") and not value.startswith("//") and not parts.netloc
    remote = parts.scheme in ("http", "https") and bool(parts.netloc)
    if not (local or remote) or parts.fragment or any(c.isspace() or ord(c) < 32 for c in value):
        raise ConfigError(
            f"{key}: must be a path such as /login or an absolute http(s) URL, got {value!r}"
        )
    return value


OPTIONS: tuple[Option, ...] = (
    Option(
        "SHOPTRACE_DATABASE_URL",
        None,
        _database_url,
        "Database: `sqlite:///FILE` or `postgresql+psycopg://user:pw@host/db`. Unset: the "
        "embedded SQLite file `shoptrace.db` in the app's instance folder, migrated on first "
        "start.",
    ),
    Option(
        "SHOPTRACE_URL_PREFIX",
        "/trace",
        _prefix,
        "Path every shoptrace route sits under.",
    ),
    Option(
        "SHOPTRACE_PUBLIC_BASE_URL",
        None,
        _base_url,
        "Base of the Digital Link URIs in codes and labels, e.g. "
        "`https://shop.example.com/trace`. Unset: the request's host and the URL prefix.",
    ),
    Option(
        "SHOPTRACE_SIGNING_KEY",
        None,
        _signing_key,
        "Master secret (32+ characters) the per-merchant check-tag keys are derived from. "
        "Required with PostgreSQL; with SQLite, unset means one is generated once into "
        "`shoptrace-signing.key` in the instance folder. Changing it invalidates issued tags.",
    ),
    Option(
        "SHOPTRACE_DEFAULT_LANGUAGE",
        "zh-CN",
        _choice(*LANGUAGES),
        "Language of texts the service writes when a request does not choose one (`lang`), "
        "such as the product name in CSV exports: `zh-CN` or `en`.",
    ),
    Option(
        "SHOPTRACE_SHOP_MERCHANT",
        None,
        _merchant,
        "Id of the merchant the host shop's own orders and listings belong to: what the "
        "`ShopTrace.order_*`/`product_saved` methods and the host-sent signals act for when "
        "they are given no `merchant_id`. Unset: they need one.",
    ),
    Option(
        "SHOPTRACE_RATE_LIMIT",
        "600 per minute",
        _rate_limit,
        "Merchant API limit per API key (per client address before authentication), and of "
        "refused platform webhook deliveries per client address; empty disables it.",
    ),
    Option(
        "SHOPTRACE_RATE_LIMIT_STORAGE_URL",
        "memory://",
        _text,
        "Where rate-limit counters live (`limits` storage URL), for the API and the public "
        "routes. `memory://` counts per process; use `redis://host:6379` when several "
        "processes serve.",
    ),
    Option(
        "SHOPTRACE_PUBLIC_RATE_LIMIT",
        "300 per minute",
        _rate_limit,
        "Limit per client address on the public routes (resolver, trace pages, embed, widget "
        "script); empty disables it. Behind a proxy, let the app see client addresses "
        "(werkzeug's `ProxyFix`).",
    ),
    Option(
        "SHOPTRACE_RESOLVER_CACHE_TTL",
        300,
        _int(1, 86_400),
        "Seconds the resolver keeps, per GTIN, the merchants that own it and their check-tag "
        "keys (so serials with a wrong tag are refused without a database read).",
    ),
    Option(
        "SHOPTRACE_RESOLVER_STATE_TTL",
        1000,
        _int(0, 60_000),
        "Milliseconds a process reuses what it read of a code's state (unit status and scan "
        "counters, the merchant's latest event, product and batch versions) before reading "
        "it again: new events and scans show in answers and ETags within this delay. 0 reads "
        "it for every request.",
    ),
    Option(
        "SHOPTRACE_RESOLVER_CACHE_SIZE",
        2048,
        _int(0, 1_000_000),
        "Public answers (trace JSON, pages, linksets) each process keeps, keyed by their ETag "
        "so new events and scans never serve stale ones; 0 disables the cache.",
    ),
    Option(
        "SHOPTRACE_SCAN_RECORDING",
        "background",
        _choice("background", "off"),
        "Scans of unit codes: `background` records them in a thread of the process, in "
        "batches, after the answer; `off` records none (and flags nothing).",
    ),
    Option(
        "SHOPTRACE_SUSPICIOUS_CLIENTS",
        10,
        _int(0, 1_000_000),
        "Distinct clients scanning a delivered unit within `SHOPTRACE_SUSPICIOUS_WINDOW` that "
        "flag it as suspicious (`code_suspicious` signal); 0 turns this rule off. Forged and "
        "unknown serials of a merchant's GTIN are flagged at their first scan.",
    ),
    Option(
        "SHOPTRACE_SUSPICIOUS_WINDOW",
        2_592_000,
        _int(60, 10 * 365 * 86_400),
        "Seconds of scans the distinct-clients rule looks back over.",
    ),
    Option(
        "SHOPTRACE_AUTO_MIGRATE",
        None,
        _bool_or_none,
        "Run the Alembic migrations at start-up. Unset: only for the embedded SQLite default; "
        "otherwise run `shoptrace db upgrade`.",
    ),
    Option(
        "SHOPTRACE_MAX_BODY_BYTES",
        1_048_576,
        _int(1024, 1 << 30),
        "Largest request body the API reads; larger ones get 413.",
    ),
    Option("SHOPTRACE_PAGE_SIZE", 50, _int(1, 10_000), "Default page size of list endpoints."),
    Option("SHOPTRACE_MAX_PAGE_SIZE", 500, _int(1, 10_000), "Largest `pageSize` accepted."),
    Option(
        "SHOPTRACE_SYNC_CODE_LIMIT",
        1000,
        _int(1, 100_000),
        "Code issuances up to this count are done in the request (201 with the codes); larger "
        "ones become a job (202) whose progress is polled.",
    ),
    Option(
        "SHOPTRACE_MAX_CODE_COUNT",
        1_000_000,
        _int(1, 100_000_000),
        "Largest `count` of one code issuance.",
    ),
    Option(
        "SHOPTRACE_MAX_PDF_LABELS",
        2400,
        _int(1, 100_000),
        "Most labels in one PDF response; larger selections are paged with `Link: rel=next`.",
    ),
    Option(
        "SHOPTRACE_JOB_RUNNER",
        "thread",
        _choice("thread", "external"),
        "Who runs issuance jobs: `thread` starts a background thread in the process that "
        "accepted the job; `external` leaves them to `shoptrace jobs run` workers.",
    ),
    Option(
        "SHOPTRACE_CAPTURE_MAX_BYTES",
        67_108_864,
        _int(1024, 1 << 34),
        "Largest EPCIS document `POST /epcis/capture` accepts (read as a stream, never held "
        "whole); larger ones get 413 (`GS1-EPCIS-Capture-File-Size-Limit`).",
    ),
    Option(
        "SHOPTRACE_CAPTURE_MAX_EVENTS",
        100_000,
        _int(1, 10_000_000),
        "Most events in one captured document; more get 413 (`GS1-EPCIS-Capture-Limit`).",
    ),
    Option(
        "SHOPTRACE_IDEMPOTENCY_TTL",
        86_400,
        _int(60, 30 * 86_400),
        "Seconds an `Idempotency-Key` and its first answer are kept for replay (older ones are "
        "pruned with the outbox retention).",
    ),
    Option(
        "SHOPTRACE_OUTBOX_RUNNER",
        "thread",
        _choice("thread", "external", "off"),
        "Who delivers outbound webhooks: `thread` polls the outbox in a background thread of "
        "each app process (started by its first request, woken after each commit that queues "
        "a message); `external` leaves it to `shoptrace outbox deliver` workers; `off` sends "
        "nothing (messages wait).",
    ),
    Option(
        "SHOPTRACE_OUTBOX_INTERVAL",
        5,
        _int(1, 3600),
        "Seconds between the `thread` runner's polls for messages due (retries).",
    ),
    Option(
        "SHOPTRACE_OUTBOX_MAX_ATTEMPTS",
        8,
        _int(1, 50),
        "Tries of one webhook message before it is dead-lettered (backoff 30 s, 2 min, "
        "8 min, ... up to 12 h between tries).",
    ),
    Option(
        "SHOPTRACE_OUTBOX_TIMEOUT",
        10,
        _int(1, 120),
        "Seconds a webhook endpoint has to answer one delivery.",
    ),
    Option(
        "SHOPTRACE_OUTBOX_RETENTION_DAYS",
        30,
        _int(0, 36_500),
        "Days delivered and dead webhook messages stay in the delivery log (and can be sent "
        "again); older ones are pruned hourly by the `thread` outbox runner and by "
        "`shoptrace outbox deliver` workers, or by `shoptrace outbox prune` (cron). Pending "
        "messages are never pruned. 0 keeps them forever.",
    ),
    Option(
        "SHOPTRACE_HOOK_EVENTS_RETENTION_DAYS",
        30,
        _int(0, 36_500),
        "Days the record of each platform webhook handled (which answers a platform's retry "
        "`duplicate`) is kept; pruned with the outbox. Keep it longer than the platforms "
        "retry (Shopify: 4 hours). 0 keeps them forever.",
    ),
    Option(
        "SHOPTRACE_WEBHOOK_LOCAL_URLS",
        "false",
        _flag,
        "Allow webhook endpoints on this machine or a private network (`localhost`, "
        "`127.0.0.1`, `::1`, 10/8, 172.16/12, 192.168/16 ...) and plain `http://` to them: "
        "for a shop on the same host and for tests. Off: endpoints must be `https://` URLs "
        "on public hosts.",
    ),
    Option(
        "SHOPTRACE_SYNC_RUNNER",
        "thread",
        _choice("thread", "external", "off"),
        "Who pushes events to the merchants' upstream EPCIS endpoints: `thread` polls in a "
        "background thread of each app process (started by its first request); `external` "
        "leaves it to `shoptrace sync` workers; `off` pushes nothing (events wait).",
    ),
    Option(
        "SHOPTRACE_SYNC_INTERVAL",
        5,
        _int(1, 3600),
        "Seconds between the `thread` runner's looks for events to push and retries due.",
    ),
    Option(
        "SHOPTRACE_SYNC_MAX_ATTEMPTS",
        10,
        _int(1, 50),
        "Failed tries of one batch of events before its upstream endpoint is dead (it stops "
        "until resumed); backoff 30 s, 2 min, 8 min, ... up to 12 h between tries.",
    ),
    Option(
        "SHOPTRACE_SYNC_TIMEOUT",
        30,
        _int(1, 300),
        "Seconds an upstream endpoint has to answer one pushed document.",
    ),
    Option(
        "SHOPTRACE_SYNC_LOCAL_URLS",
        "false",
        _flag,
        "Allow upstream endpoints on this machine or a private network, over `http://` too "
        "(a platform's test instance, tests). Off: `https://` URLs on public hosts only.",
    ),
    Option(
        "SHOPTRACE_ADMIN_AUTH",
        None,
        _callback,
        "Who may use the merchant admin under `SHOPTRACE_URL_PREFIX` + `/admin`: a function "
        "(or its import path, `package.module:function`) that takes the request and returns "
        "the id of the merchant the signed-in user manages, or None when nobody is signed in. "
        "`@shoptrace.admin_auth` registers one too. Unset: the admin answers 404.",
    ),
    Option(
        "SHOPTRACE_ADMIN_LOGIN_URL",
        None,
        _login_url,
        "Where the admin sends a visitor the `SHOPTRACE_ADMIN_AUTH` function returns None for "
        "(`next` in the query names the page asked for): a path such as `/login` or an "
        "absolute URL. Unset: such visitors get a 401 page.",
    ),
    Option(
        "SHOPTRACE_ADMIN_HOME_URL",
        None,
        _login_url,
        "The host shop's own page the admin's header links back to (\"Back to the shop\"): a "
        "path such as `/admin` or an absolute URL. Unset: no such link.",
    ),
    Option(
        "SHOPTRACE_ADMIN_ACCOUNT_URL",
        None,
        _login_url,
        "The host's page where the signed-in user sees their account and signs out, which the "
        'admin\'s header links to ("Account / sign out"). Unset: no such link.',
    ),
)

_BY_KEY = {option.key: option for option in OPTIONS}


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one app (or one CLI run)."""

    database_url: str
    embedded: bool
    url_prefix: str
    public_base_url: str | None
    signing_key: str | None
    default_language: str
    shop_merchant: int | None
    rate_limit: str | None
    rate_limit_storage_url: str
    auto_migrate: bool
    max_body_bytes: int
    page_size: int
    max_page_size: int
    sync_code_limit: int
    max_code_count: int
    max_pdf_labels: int
    job_runner: str
    idempotency_ttl: int
    capture_max_bytes: int
    capture_max_events: int
    public_rate_limit: str | None
    resolver_cache_ttl: int
    resolver_state_ttl: int
    resolver_cache_size: int
    scan_recording: str
    suspicious_clients: int
    suspicious_window: int
    outbox_runner: str
    outbox_interval: int
    outbox_max_attempts: int
    outbox_timeout: int
    outbox_retention_days: int
    hook_events_retention_days: int
    webhook_local_urls: bool
    sync_runner: str
    sync_interval: int
    sync_max_attempts: int
    sync_timeout: int
    sync_local_urls: bool
    admin_auth: Callable[..., Any] | str | None
    admin_login_url: str | None
    admin_home_url: str | None
    admin_account_url: str | None
    instance_path: str

    @classmethod
    def from_mapping(
        cls, config: Mapping[str, Any], *, instance_path: str | os.PathLike[str]
    ) -> Settings:
        """Validate the ``SHOPTRACE_*`` keys of ``config`` (missing ones take their default)."""
        unknown = sorted(k for k in config if k.startswith("SHOPTRACE_") and k not in _BY_KEY)
        if unknown:
            raise ConfigError(
                f"{unknown[0]}: not a shoptrace setting; known keys are listed in "
                "shop_plugin/README.md"
            )
        values = {
            option.key: option.parse(option.key, config.get(option.key, option.default))
            for option in OPTIONS
        }
        instance = str(Path(instance_path))
        url = values["SHOPTRACE_DATABASE_URL"]
        embedded = url is None
        if embedded:
            url = f"sqlite:///{Path(instance, EMBEDDED_DB_FILE).resolve()}"
        if values["SHOPTRACE_PAGE_SIZE"] > values["SHOPTRACE_MAX_PAGE_SIZE"]:
            raise ConfigError("SHOPTRACE_PAGE_SIZE: must not exceed SHOPTRACE_MAX_PAGE_SIZE")
        if values["SHOPTRACE_SYNC_CODE_LIMIT"] > values["SHOPTRACE_MAX_CODE_COUNT"]:
            raise ConfigError("SHOPTRACE_SYNC_CODE_LIMIT: must not exceed SHOPTRACE_MAX_CODE_COUNT")
        if values["SHOPTRACE_SIGNING_KEY"] is None and make_url(url).get_backend_name() != "sqlite":
            raise ConfigError(
                "SHOPTRACE_SIGNING_KEY: required with a server database, so every process "
                "derives the same check-tag keys"
            )
        auto = values["SHOPTRACE_AUTO_MIGRATE"]
        return cls(
            database_url=url,
            embedded=embedded,
            url_prefix=values["SHOPTRACE_URL_PREFIX"],
            public_base_url=values["SHOPTRACE_PUBLIC_BASE_URL"],
            signing_key=values["SHOPTRACE_SIGNING_KEY"],
            default_language=values["SHOPTRACE_DEFAULT_LANGUAGE"],
            shop_merchant=values["SHOPTRACE_SHOP_MERCHANT"],
            rate_limit=values["SHOPTRACE_RATE_LIMIT"],
            rate_limit_storage_url=values["SHOPTRACE_RATE_LIMIT_STORAGE_URL"] or "memory://",
            auto_migrate=embedded if auto is None else auto,
            max_body_bytes=values["SHOPTRACE_MAX_BODY_BYTES"],
            page_size=values["SHOPTRACE_PAGE_SIZE"],
            max_page_size=values["SHOPTRACE_MAX_PAGE_SIZE"],
            sync_code_limit=values["SHOPTRACE_SYNC_CODE_LIMIT"],
            max_code_count=values["SHOPTRACE_MAX_CODE_COUNT"],
            max_pdf_labels=values["SHOPTRACE_MAX_PDF_LABELS"],
            job_runner=values["SHOPTRACE_JOB_RUNNER"],
            idempotency_ttl=values["SHOPTRACE_IDEMPOTENCY_TTL"],
            capture_max_bytes=values["SHOPTRACE_CAPTURE_MAX_BYTES"],
            capture_max_events=values["SHOPTRACE_CAPTURE_MAX_EVENTS"],
            public_rate_limit=values["SHOPTRACE_PUBLIC_RATE_LIMIT"],
            resolver_cache_ttl=values["SHOPTRACE_RESOLVER_CACHE_TTL"],
            resolver_state_ttl=values["SHOPTRACE_RESOLVER_STATE_TTL"],
            resolver_cache_size=values["SHOPTRACE_RESOLVER_CACHE_SIZE"],
            scan_recording=values["SHOPTRACE_SCAN_RECORDING"],
            suspicious_clients=values["SHOPTRACE_SUSPICIOUS_CLIENTS"],
            suspicious_window=values["SHOPTRACE_SUSPICIOUS_WINDOW"],
            outbox_runner=values["SHOPTRACE_OUTBOX_RUNNER"],
            outbox_interval=values["SHOPTRACE_OUTBOX_INTERVAL"],
            outbox_max_attempts=values["SHOPTRACE_OUTBOX_MAX_ATTEMPTS"],
            outbox_timeout=values["SHOPTRACE_OUTBOX_TIMEOUT"],
            outbox_retention_days=values["SHOPTRACE_OUTBOX_RETENTION_DAYS"],
            hook_events_retention_days=values["SHOPTRACE_HOOK_EVENTS_RETENTION_DAYS"],
            webhook_local_urls=values["SHOPTRACE_WEBHOOK_LOCAL_URLS"],
            sync_runner=values["SHOPTRACE_SYNC_RUNNER"],
            sync_interval=values["SHOPTRACE_SYNC_INTERVAL"],
            sync_max_attempts=values["SHOPTRACE_SYNC_MAX_ATTEMPTS"],
            sync_timeout=values["SHOPTRACE_SYNC_TIMEOUT"],
            sync_local_urls=values["SHOPTRACE_SYNC_LOCAL_URLS"],
            admin_auth=values["SHOPTRACE_ADMIN_AUTH"],
            admin_login_url=values["SHOPTRACE_ADMIN_LOGIN_URL"],
            admin_home_url=values["SHOPTRACE_ADMIN_HOME_URL"],
            admin_account_url=values["SHOPTRACE_ADMIN_ACCOUNT_URL"],
            instance_path=instance,
        )


def from_environ(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The ``SHOPTRACE_*`` settings found in the environment (for the standalone service)."""
    environ = os.environ if environ is None else environ
    return {key: environ[key] for key in _BY_KEY if key in environ}
