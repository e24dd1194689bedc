"""The upstream exchange on the command line: ``shoptrace sync``, ``shoptrace pull``,
``shoptrace upstreams list|resume|rewind`` and ``shoptrace epcis export|import``.

``sync`` is the push worker for ``SHOPTRACE_SYNC_RUNNER=external`` (run as many as you like:
endpoints are leased); ``--once`` pushes what is due and exits (cron). ``pull`` reads a
partner's EPCIS query interface into a merchant's store. ``epcis export`` writes a merchant's
events as one EPCISDocument, ``epcis import`` captures one: both stream, so any size fits.
``export`` and ``import`` join the SDK's ``shoptrace epcis validate|hash`` (the console
command grafts a plugin group's subcommands onto the SDK group of the same name).

Bad input (options, files, documents) prints one line to stderr and exits with status 2; a
pull that a partner stops exits with status 1, keeping the pages stored before.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO, Any, NoReturn
from urllib.parse import urlsplit

import click
import sqlalchemy as sa

from shoptrace.sdk.cli import fail
from shoptrace.sdk.epcis.cli import hash_command, validate_command
from shoptrace.shop_plugin.config import ConfigError
from shoptrace.shop_plugin.services import merchants as merchant_service
from shoptrace.shop_plugin.services import upstream as service
from shoptrace.shop_plugin.services.capture import (
    CaptureTooLarge,
    InvalidDocument,
    capture_document,
)
from shoptrace.shop_plugin.services.epcis_exchange import (
    PullError,
    pull_events,
    write_export,
)
from shoptrace.shop_plugin.services.errors import ServiceError
from shoptrace.shop_plugin.services.event_store import parse_time
from shoptrace.shop_plugin.services.signing import resolve_signing_key
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import upstream_endpoints

__all__ = ["epcis", "pull", "sync", "upstreams"]

_db_option = click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database URL (sqlite:///FILE or postgresql+psycopg://...).",
)
_merchant_option = click.option(
    "--merchant", "merchant_id", type=click.IntRange(1), required=True, help="Merchant id."
)


@contextmanager
def _store(db_url: str | None) -> Iterator[tuple[Store, Any, str]]:
    """The store, settings and signing key a command works on."""
    from shoptrace.shop_plugin.cli import _require_schema, _target

    with _target(db_url) as target:
        _require_schema(target.store)
        try:
            key = resolve_signing_key(target.settings)
        except ConfigError as exc:
            fail(str(exc))
        yield target.store, target.settings, key


def _service_error(exc: ServiceError) -> NoReturn:
    first = exc.errors[0] if exc.errors else None
    fail(f"{first.field}: {first.detail}" if first else exc.detail)


def _check_merchant(store: Store, merchant_id: int) -> None:
    with store.read() as conn:
        try:
            merchant_service.get_merchant(conn, merchant_id)
        except ServiceError as exc:
            fail(exc.detail)


def _moment(option: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = parse_time(value)
    if moment is None:
        fail(f"{option} {value!r}: give a date-time with a time zone, e.g. 2025-03-01T00:00:00Z")
    return moment


# --- sync -------------------------------------------------------------------------------------


@click.command("sync")
@_db_option
@click.option("--once", is_flag=True, help="Push what is due now, then exit.")
@click.option(
    "--interval",
    type=click.FloatRange(0.1, 3600),
    help="Seconds between polls (default SHOPTRACE_SYNC_INTERVAL).",
)
def sync(db_url: str | None, once: bool, interval: float | None) -> None:
    """Push merchants' events to their upstream EPCIS endpoints, in order, in batches;
    retry failures with backoff; an endpoint is dead after SHOPTRACE_SYNC_MAX_ATTEMPTS
    failed tries (resume it with `shoptrace upstreams resume`)."""
    with _store(db_url) as (store, settings, key):
        pause = interval if interval is not None else float(settings.sync_interval)
        while True:
            total = service.SyncReport()
            while True:
                report = service.push_due(
                    store,
                    key,
                    timeout=settings.sync_timeout,
                    max_attempts=settings.sync_max_attempts,
                )
                total.add(report)
                if not report.batches:
                    break
            if total.endpoints or once:
                click.echo(str(total))
            if once:
                return
            time.sleep(pause)


# --- upstreams ----------------------------------------------------------------------------------


@click.group("upstreams")
def upstreams() -> None:
    """Upstream EPCIS endpoints: their push state; resume or rewind one."""


@upstreams.command("list")
@_db_option
@click.option("--merchant", "merchant_id", type=click.IntRange(1), help="Only this merchant.")
@click.option("--dead", is_flag=True, help="Only dead endpoints (out of tries).")
def upstreams_list(db_url: str | None, merchant_id: int | None, dead: bool) -> None:
    """List endpoints: id, merchant, name, state, pushed/last event, backlog, tries, next
    try, last error."""
    with _store(db_url) as (store, _settings, key):
        query = sa.select(upstream_endpoints.c.merchant_id, upstream_endpoints.c.id).order_by(
            upstream_endpoints.c.id
        )
        if merchant_id is not None:
            query = query.where(upstream_endpoints.c.merchant_id == merchant_id)
        if dead:
            query = query.where(upstream_endpoints.c.dead_at.is_not(None))
        with store.read() as conn:
            rows = [
                (mid, service.get_endpoint(conn, mid, eid, key))
                for mid, eid in conn.execute(query).all()
            ]
    if not rows:
        click.echo("no dead endpoints" if dead else "no upstream endpoints")
        return
    for owner, row in rows:
        status = row["status"]
        error = " ".join((status["lastError"] or "-").split())[:120]
        click.echo(
            "\t".join(
                [
                    str(row["id"]),
                    f"merchant {owner}",
                    row["name"],
                    status["state"],
                    f"{status['pushedSeq']}/{status['headSeq']}",
                    f"backlog {status['backlog']}",
                    f"{status['attempts']} tries",
                    status["nextAttemptAt"] or "-",
                    error,
                ]
            )
        )


def _change(db_url: str | None, action: Callable[[Any, str], dict[str, Any]]) -> dict[str, Any]:
    with _store(db_url) as (store, _settings, key):
        try:
            with store.begin() as conn:
                return action(conn, key)
        except ServiceError as exc:
            _service_error(exc)


@upstreams.command("resume")
@click.argument("merchant_id", type=click.IntRange(1))
@click.argument("upstream_id", type=click.IntRange(1))
@_db_option
def upstreams_resume(merchant_id: int, upstream_id: int, db_url: str | None) -> None:
    """Give a dead (or retrying) endpoint a new round of tries, starting now."""
    row = _change(
        db_url, lambda conn, key: service.resume_endpoint(conn, merchant_id, upstream_id, key)
    )
    click.echo(f"upstream {row['id']} {row['name']!r}: {row['status']['state']}")


@upstreams.command("rewind")
@click.argument("merchant_id", type=click.IntRange(1))
@click.argument("upstream_id", type=click.IntRange(1))
@click.argument("seq", type=click.IntRange(0))
@_db_option
def upstreams_rewind(merchant_id: int, upstream_id: int, seq: int, db_url: str | None) -> None:
    """Push again every event after position SEQ (or skip to it), in order."""
    row = _change(
        db_url,
        lambda conn, key: service.rewind_endpoint(conn, merchant_id, upstream_id, seq, key),
    )
    status = row["status"]
    click.echo(
        f"upstream {row['id']} {row['name']!r}: cursor at {status['pushedSeq']}, "
        f"{status['backlog']} events to push"
    )


# --- pull ---------------------------------------------------------------------------------------


@click.command("pull")
@_merchant_option
@click.option("--url", help="The partner's EPCIS base URL (its /events is queried).")
@click.option("--token", help="Bearer token for --url (prefer --token-stdin).")
@click.option("--token-stdin", is_flag=True, help="Read the bearer token from stdin's first line.")
@click.option(
    "--upstream",
    "upstream_id",
    type=click.IntRange(1),
    help="Pull from a registered upstream endpoint (its URL and credential), resuming where "
    "the last pull ended.",
)
@click.option("--since", metavar="TIME", help="Events the partner stored from TIME on.")
@click.option(
    "--per-page", type=click.IntRange(1, 10_000), default=200, show_default=True, help="Page size."
)
@click.option(
    "--proceed",
    is_flag=True,
    help="Store the valid events of a page that has invalid ones (default: stop there).",
)
@_db_option
def pull(
    merchant_id: int,
    url: str | None,
    token: str | None,
    token_stdin: bool,
    upstream_id: int | None,
    since: str | None,
    per_page: int,
    proceed: bool,
    db_url: str | None,
) -> None:
    """Capture the events of a partner's EPCIS query interface into a merchant's store,
    page by page (events stored already are skipped)."""
    if (url is None) == (upstream_id is None):
        fail("give either --url or --upstream")
    if upstream_id is not None and (token is not None or token_stdin):
        fail("--token goes with --url; an upstream endpoint has its own credential")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            fail(f"--url {url!r}: give the EPCIS base URL, http(s):// without a ?query")
    if token_stdin:
        token = sys.stdin.readline().strip()
    if token is not None and (not token or not token.isascii() or not token.isprintable()):
        fail("--token: must be printable ASCII")
    start = _moment("--since", since)
    behaviour = "proceed" if proceed else "rollback"
    with _store(db_url) as (store, settings, key):
        _check_merchant(store, merchant_id)
        options: dict[str, Any] = {
            "per_page": per_page,
            "error_behaviour": behaviour,
            "max_events": settings.capture_max_events,
            "timeout": float(settings.sync_timeout),
        }
        try:
            if upstream_id is not None:
                report = service.pull_endpoint(
                    store, merchant_id, upstream_id, key, since=start, **options
                )
            else:
                assert url is not None
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                report = pull_events(
                    store, merchant_id, url=url, headers=headers, since=start, **options
                )
        except InvalidDocument as exc:
            where, message = exc.problems[0] if exc.problems else ("", exc.detail)
            _stopped(f"a page breaks EPCIS rules ({exc.detail}): {where or '(root)'}: {message}")
        except CaptureTooLarge as exc:
            _stopped(f"a page is too large: {exc.detail}")
        except ServiceError as exc:
            _service_error(exc)
        except PullError as exc:
            _stopped(str(exc))
    click.echo(str(report))


def _stopped(message: str) -> NoReturn:
    click.echo(f"error: pull stopped: {' '.join(message.split())}", err=True)
    sys.exit(1)


# --- epcis export / import --------------------------------------------------------------------


@click.group("epcis")
def epcis() -> None:
    """EPCIS 2.0 documents: validate them, compute event hash IDs, export and import a
    merchant's events."""


epcis.add_command(validate_command)
epcis.add_command(hash_command)


@epcis.command("export")
@_merchant_option
@click.option("--since", metavar="TIME", help="Only events stored from TIME on.")
@click.option("--until", metavar="TIME", help="Only events stored before TIME.")
@click.argument("file", metavar="FILE")
@_db_option
def export_command(
    merchant_id: int, since: str | None, until: str | None, file: str, db_url: str | None
) -> None:
    """Write a merchant's events as one EPCISDocument to FILE (- for stdout), in the order
    they were stored, as they were stored."""
    start, end = _moment("--since", since), _moment("--until", until)
    with _store(db_url) as (store, _settings, _key):
        _check_merchant(store, merchant_id)
        if file == "-":
            with click.open_file("-", "wb") as stdout:
                count = write_export(store, merchant_id, stdout, since=start, until=end)
        else:
            count = _export_to(
                file, lambda out: write_export(store, merchant_id, out, since=start, until=end)
            )
    click.echo(f"{count} events exported", err=file == "-")


def _export_to(path: str, write: Callable[[IO[bytes]], int]) -> int:
    """Write to ``path`` through a file beside it, renamed when complete (a failed export
    leaves no half document)."""
    partial = f"{path}.part"
    try:
        with open(partial, "wb") as out:
            count = write(out)
        os.replace(partial, path)
    except OSError as exc:
        fail(f"{path}: cannot write: {exc.strerror or exc}")
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return count


@epcis.command("import")
@_merchant_option
@click.option(
    "--proceed",
    is_flag=True,
    help="Store the valid events when some are invalid (default: all or nothing).",
)
@click.option(
    "--max-events",
    type=click.IntRange(1),
    default=10_000_000,
    show_default=True,
    help="Most events the document may hold.",
)
@click.argument("file", metavar="FILE")
@_db_option
def import_command(
    merchant_id: int, proceed: bool, max_events: int, file: str, db_url: str | None
) -> None:
    """Capture the EPCISDocument (or EPCISQueryDocument) in FILE (- for stdin) into a
    merchant's store; events stored already are skipped."""
    with _store(db_url) as (store, _settings, _key):
        _check_merchant(store, merchant_id)
        try:
            with click.open_file(file, "rb") as stream, store.begin() as conn:
                job = capture_document(
                    conn,
                    merchant_id,
                    stream,
                    error_behaviour="proceed" if proceed else "rollback",
                    max_events=max_events,
                )
        except OSError as exc:
            fail(f"{file}: cannot read: {exc.strerror or exc}")
        except InvalidDocument as exc:
            where, message = exc.problems[0] if exc.problems else ("", "")
            fail(f"{file}: {exc.detail}; first: {where or '(root)'}: {message}")
        except CaptureTooLarge as exc:
            fail(f"{file}: {exc.detail}")
    line = (
        f"{job['eventCount']} events read: {job['stored']} stored, "
        f"{job['duplicates']} already there"
    )
    if job["rejected"]:
        line += f", {job['rejected']} rejected"
        for error in job["errors"][:5]:
            click.echo(f"{error['pointer'] or '(root)'}: {error['detail']}", err=True)
    click.echo(line)
