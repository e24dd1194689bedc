"""Commands of the trace service: ``shoptrace serve|db|merchants|jobs|verify-chain|outbox``,
``connections``, ``sync|pull|upstreams`` and ``epcis export|import``.

They reach the ``shoptrace`` console command through the ``shoptrace.commands`` entry points
and a host app's ``flask shoptrace ...`` through :data:`shoptrace_group`. The database is the
one of ``--db URL``, else of the Flask app the command runs in, else
``$SHOPTRACE_DATABASE_URL``, else the embedded SQLite under ``./instance`` (or
``$SHOPTRACE_INSTANCE_PATH``). Bad input prints one line to stderr and exits with status 2.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import click
from flask import current_app
from flask.cli import ScriptInfo
from werkzeug.serving import run_simple

from shoptrace.sdk.cli import fail
from shoptrace.shop_plugin.cli_connections import connections
from shoptrace.shop_plugin.cli_outbox import outbox
from shoptrace.shop_plugin.cli_sync import epcis, pull, sync, upstreams
from shoptrace.shop_plugin.config import ConfigError, Settings, from_environ
from shoptrace.shop_plugin.services import chain
from shoptrace.shop_plugin.services import merchants as merchant_service
from shoptrace.shop_plugin.services.errors import ServiceError
from shoptrace.shop_plugin.services.issuance import run_pending
from shoptrace.shop_plugin.services.signing import resolve_signing_key
from shoptrace.shop_plugin.store import (
    Store,
    current_revision,
    head_revision,
    is_up_to_date,
    open_store,
    upgrade,
)

__all__ = ["db", "jobs", "merchants", "serve", "shoptrace_group", "verify_chain"]

db_option = click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database URL (sqlite:///FILE or postgresql+psycopg://...).",
)


@dataclass
class _Target:
    settings: Settings
    store: Store
    owned: bool


def _flask_app() -> Any:
    """The Flask app this command runs in (``flask shoptrace ...``), or None."""
    if current_app:
        return current_app._get_current_object()  # type: ignore[attr-defined]
    ctx = click.get_current_context(silent=True)
    info = ctx.find_object(ScriptInfo) if ctx is not None else None
    return info.load_app() if info is not None else None


@contextmanager
def _target(db_url: str | None, *, migrate: bool = True) -> Iterator[_Target]:
    """The settings and store a command works on; a store it opened is closed after."""
    app = _flask_app()
    try:
        if app is not None and "shoptrace" in app.extensions and db_url is None:
            shop = app.extensions["shoptrace"]
            yield _Target(shop.settings, shop.store, owned=False)
            return
        from shoptrace.shop_plugin.app import default_instance_path

        config: dict[str, Any] = from_environ()
        if db_url is not None:
            config["SHOPTRACE_DATABASE_URL"] = db_url
        settings = Settings.from_mapping(config, instance_path=default_instance_path())
    except ConfigError as exc:
        fail(str(exc))
    store = open_store(settings.database_url)
    try:
        if migrate and settings.auto_migrate:
            upgrade(store)
        yield _Target(settings, store, owned=True)
    finally:
        store.dispose()


def _require_schema(store: Store) -> None:
    if not is_up_to_date(store):
        fail("the database schema is not up to date: run `shoptrace db upgrade` first")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@db_option
@click.option("--debug/--no-debug", default=False, help="Flask debug mode (never in production).")
def serve(host: str, port: int, db_url: str | None, debug: bool) -> None:
    """Run the trace service (development server; use gunicorn in production)."""
    from shoptrace.shop_plugin.app import create_app

    app = _flask_app()
    if app is None or db_url is not None:
        config = {"SHOPTRACE_DATABASE_URL": db_url} if db_url else {}
        try:
            app = create_app(**config)
        except ConfigError as exc:
            fail(str(exc))
    state = app.extensions["shoptrace"]
    click.echo(
        f"shoptrace: {state.store!r}, API at http://{host}:{port}"
        f"{state.settings.url_prefix}/api/v1",
        err=True,
    )
    # run_simple, not app.run: inside `flask shoptrace serve` Flask ignores app.run().
    run_simple(host, port, app, use_debugger=debug, use_reloader=False, threaded=True)


@click.group("db")
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@db_option
@click.option("--revision", default="head", show_default=True, help="Target migration.")
def db_upgrade(db_url: str | None, revision: str) -> None:
    """Migrate the database to the newest schema (or REVISION)."""
    with _target(db_url, migrate=False) as target:
        before = current_revision(target.store)
        after = upgrade(target.store, revision)
        click.echo(f"database at {after} (was {before or 'empty'})")


@db.command("current")
@db_option
def db_current(db_url: str | None) -> None:
    """Print the migration the database is at and the newest one."""
    with _target(db_url, migrate=False) as target:
        click.echo(f"current: {current_revision(target.store) or 'empty'}")
        click.echo(f"head: {head_revision()}")


@click.group("merchants")
def merchants() -> None:
    """Merchants and their API keys."""


def _echo_key(info: dict[str, Any], key: str) -> None:
    """The key goes last on stdout, alone, so scripts can take it with `tail -n 1`."""
    click.echo(f"API key {info['prefix']} (shown once, store it now):")
    click.echo(key)


@merchants.command("create")
@click.argument("name")
@db_option
def merchants_create(name: str, db_url: str | None) -> None:
    """Create merchant NAME and print its first API key as the last line."""
    with _target(db_url) as target:
        _require_schema(target.store)
        try:
            with target.store.begin() as conn:
                merchant, key = merchant_service.create_merchant(conn, name)
                info = merchant_service.list_keys(conn, merchant["id"])[0]
        except ServiceError as exc:
            fail(f"{exc.detail}: {exc.errors[0].detail}" if exc.errors else exc.detail)
    click.echo(f"merchant {merchant['id']} {merchant['name']!r} created")
    _echo_key(info, key)


@merchants.command("list")
@db_option
def merchants_list(db_url: str | None) -> None:
    """List merchants."""
    with _target(db_url) as target:
        _require_schema(target.store)
        with target.store.read() as conn:
            rows = merchant_service.list_merchants(conn)
    for row in rows:
        click.echo(f"{row['id']}\t{row['status']}\t{row['createdAt']}\t{row['name']}")


@merchants.group("keys")
def keys() -> None:
    """API keys: list (by prefix), create, rotate, revoke."""


def _run(db_url: str | None, action: Any) -> Any:
    with _target(db_url) as target:
        _require_schema(target.store)
        try:
            with target.store.begin() as conn:
                return action(conn)
        except ServiceError as exc:
            fail(exc.errors[0].detail if exc.errors else exc.detail)


@keys.command("list")
@click.argument("merchant_id", type=click.IntRange(1))
@db_option
def keys_list(merchant_id: int, db_url: str | None) -> None:
    """List MERCHANT_ID's keys by prefix; secrets are never stored."""
    rows = _run(db_url, lambda conn: merchant_service.list_keys(conn, merchant_id))
    for row in rows:
        ends = row["revokedAt"] or row["expiresAt"] or "-"
        click.echo(f"{row['prefix']}\t{row['status']}\t{row['createdAt']}\t{ends}")


@keys.command("create")
@click.argument("merchant_id", type=click.IntRange(1))
@click.option("--label", help="A note to tell keys apart.")
@db_option
def keys_create(merchant_id: int, label: str | None, db_url: str | None) -> None:
    """Add an API key to MERCHANT_ID; print it as the last line."""
    info, key = _run(
        db_url, lambda conn: merchant_service.create_key(conn, merchant_id, label=label)
    )
    _echo_key(info, key)


@keys.command("rotate")
@click.argument("prefix")
@click.option(
    "--grace",
    type=click.IntRange(0, 30 * 86400),
    default=0,
    show_default=True,
    help="Seconds the old key keeps working.",
)
@db_option
def keys_rotate(prefix: str, grace: int, db_url: str | None) -> None:
    """Replace key PREFIX by a new one; print the new key as the last line."""
    info, key = _run(
        db_url,
        lambda conn: merchant_service.rotate_key(conn, prefix, grace=timedelta(seconds=grace)),
    )
    click.echo(f"key {prefix} ends {'now' if not grace else f'in {grace} s'}")
    _echo_key(info, key)


@keys.command("revoke")
@click.argument("prefix")
@db_option
def keys_revoke(prefix: str, db_url: str | None) -> None:
    """Revoke key PREFIX at once."""
    info = _run(db_url, lambda conn: merchant_service.revoke_key(conn, prefix))
    click.echo(f"key {info['prefix']} {info['status']}")


@click.group("jobs")
def jobs() -> None:
    """Background jobs (large code issuances)."""


@jobs.command("run")
@db_option
@click.option("--once", is_flag=True, help="Run the jobs waiting now, then exit.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls.")
def jobs_run(db_url: str | None, once: bool, interval: float) -> None:
    """Run issuance jobs: those pending and those a stopped worker left."""
    with _target(db_url) as target:
        _require_schema(target.store)
        try:
            key = resolve_signing_key(target.settings)
        except ConfigError as exc:
            fail(str(exc))
        while True:
            finished = run_pending(target.store, key)
            if finished:
                click.echo(f"{finished} job(s) finished")
            if once:
                return
            time.sleep(interval)


@click.command("verify-chain")
@click.option(
    "--merchant", "merchant_id", type=click.IntRange(1), help="Only this merchant (default: all)."
)
@db_option
def verify_chain(merchant_id: int | None, db_url: str | None) -> None:
    """Recompute each merchant's event hash chain; exit 1 naming the first event that breaks
    it."""
    with _target(db_url) as target:
        _require_schema(target.store)
        with target.store.read() as conn:
            if merchant_id is None:
                ids = [m["id"] for m in merchant_service.list_merchants(conn)]
            else:
                try:
                    ids = [merchant_service.get_merchant(conn, merchant_id)["id"]]
                except ServiceError as exc:
                    fail(exc.detail)
        broken = 0
        for mid in ids:
            report = _verify_whole(target.store, mid)
            head = report["head"]
            if report["valid"]:
                click.echo(
                    f"merchant {mid}: valid, {report['events']} events, "
                    f"head {head['seq']} {head['hash']}"
                )
                continue
            broken += 1
            first = report["firstBreak"]
            click.echo(
                f"merchant {mid}: BROKEN at position {first['seq']} "
                f"(eventID {first['eventID'] or '-'}): {first['reason']}"
            )
    if broken:
        raise SystemExit(1)


VERIFY_PAGE = 100_000
"""Events ``verify-chain`` checks between two progress lines (on standard error)."""


def _verify_whole(store: Store, merchant_id: int) -> dict[str, Any]:
    """The merchant's whole chain checked a page at a time, with a progress line per page."""
    report = chain.verify(store, merchant_id, limit=VERIFY_PAGE)
    events = report["events"]
    while not report["complete"]:
        click.echo(
            f"merchant {merchant_id}: {report['checked']['through']:,} of "
            f"{report['head']['seq']:,} events checked",
            err=True,
        )
        after = chain.decode_token(merchant_id, report["nextPageToken"])
        report = chain.verify(store, merchant_id, after=after, limit=VERIFY_PAGE)
        events += report["events"]
    return {**report, "events": events}


@click.group("shoptrace")
def shoptrace_group() -> None:
    """shoptrace trace service: database, merchants, jobs, chain verification, outbox,
    upstream exchange."""


for _command in (
    serve,
    db,
    merchants,
    jobs,
    verify_chain,
    outbox,
    connections,
    sync,
    pull,
    upstreams,
    epcis,
):
    shoptrace_group.add_command(_command)
