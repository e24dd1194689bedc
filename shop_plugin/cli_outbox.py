"""``shoptrace outbox deliver|list|prune``: deliver outbound webhooks, look at what waits,
delete what the retention period let go.

With ``SHOPTRACE_OUTBOX_RUNNER=external`` run ``shoptrace outbox deliver`` as a worker (as
many as you like: messages are leased, so no two workers send one; each also prunes once an
hour); ``--once`` delivers what is due and exits (cron). ``shoptrace outbox list`` shows
pending and dead messages; ``--dead`` only the dead letters. ``shoptrace outbox prune``
deletes delivered and dead webhook messages and platform hook records older than
``SHOPTRACE_OUTBOX_RETENTION_DAYS`` / ``SHOPTRACE_HOOK_EVENTS_RETENTION_DAYS``, and
idempotency keys older than ``SHOPTRACE_IDEMPOTENCY_TTL`` (cron, or with the runner
``off``); ``--dry-run`` counts them.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import click
import sqlalchemy as sa

from shoptrace.sdk.cli import fail
from shoptrace.shop_plugin.config import ConfigError
from shoptrace.shop_plugin.services.clock import iso
from shoptrace.shop_plugin.services.outbox import deliver_due
from shoptrace.shop_plugin.services.retention import PruneSchedule, Retention, prune
from shoptrace.shop_plugin.services.signing import resolve_signing_key
from shoptrace.shop_plugin.store.tables import outbox as outbox_table

__all__ = ["outbox"]

log = logging.getLogger(__name__)

_db_option = click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database URL (sqlite:///FILE or postgresql+psycopg://...).",
)


class _OneLineErrors(click.Command):
    """A command whose bad or unknown options are one ``error:`` line and status 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            fail(f"shoptrace outbox {self.name}: {exc.format_message()}")


@click.group("outbox")
def outbox() -> None:
    """Outbound webhooks: deliver them, list what waits or died, prune old ones."""


@outbox.command("deliver")
@_db_option
@click.option("--once", is_flag=True, help="Deliver the messages due now, then exit.")
@click.option(
    "--interval",
    type=click.FloatRange(0.1, 3600),
    help="Seconds between polls (default SHOPTRACE_OUTBOX_INTERVAL).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 100_000),
    default=1000,
    show_default=True,
    help="Most messages sent per poll.",
)
def outbox_deliver(db_url: str | None, once: bool, interval: float | None, limit: int) -> None:
    """Send due webhook messages, retrying failures with backoff; dead-letter after the last
    try (SHOPTRACE_OUTBOX_MAX_ATTEMPTS). A worker (without --once) also prunes old messages,
    hook records and expired idempotency keys once an hour (SHOPTRACE_OUTBOX_RETENTION_DAYS,
    SHOPTRACE_IDEMPOTENCY_TTL)."""
    from shoptrace.shop_plugin.cli import _require_schema, _target

    with _target(db_url) as target:
        _require_schema(target.store)
        try:
            key = resolve_signing_key(target.settings)
        except ConfigError as exc:
            fail(str(exc))
        settings = target.settings
        pause = interval if interval is not None else float(settings.outbox_interval)
        pruning = PruneSchedule(Retention.of(settings), log=log, label="outbox deliver")
        while True:
            report = deliver_due(
                target.store,
                key,
                limit=limit,
                timeout=settings.outbox_timeout,
                max_attempts=settings.outbox_max_attempts,
            )
            if report.leased or once:
                click.echo(str(report))
            if once:
                return
            pruned = pruning.run_if_due(target.store)
            if pruned is not None and pruned.deleted:
                click.echo(str(pruned))
            if report.leased < limit:
                time.sleep(pause)


@outbox.command("list")
@_db_option
@click.option("--dead", is_flag=True, help="Only dead letters (messages out of tries).")
@click.option("--merchant", "merchant_id", type=click.IntRange(1), help="Only this merchant.")
@click.option(
    "--limit", type=click.IntRange(1, 100_000), default=100, show_default=True, help="Most rows."
)
def outbox_list(db_url: str | None, dead: bool, merchant_id: int | None, limit: int) -> None:
    """List pending and dead messages (oldest first): id, merchant, endpoint, topic, status,
    tries, next try, last answer."""
    from shoptrace.shop_plugin.cli import _require_schema, _target

    statuses = ["dead"] if dead else ["pending", "dead"]
    with _target(db_url) as target:
        _require_schema(target.store)
        query = (
            sa.select(outbox_table)
            .where(outbox_table.c.status.in_(statuses))
            .order_by(outbox_table.c.id)
            .limit(limit)
        )
        if merchant_id is not None:
            query = query.where(outbox_table.c.merchant_id == merchant_id)
        with target.store.read() as conn:
            rows = conn.execute(query).all()
    if not rows:
        click.echo("no dead messages" if dead else "no pending or dead messages")
        return
    for row in rows:
        upcoming = iso(row.next_attempt_at) if row.status == "pending" else "-"
        answer = row.last_error or (f"HTTP {row.last_status}" if row.last_status else "-")
        click.echo(
            "\t".join(
                [
                    str(row.id),
                    f"merchant {row.merchant_id}",
                    f"{row.channel} {row.endpoint_id}",
                    row.topic,
                    row.status,
                    f"{row.attempts} tries",
                    upcoming or "-",
                    " ".join(answer.split())[:120],
                ]
            )
        )


@outbox.command("prune", cls=_OneLineErrors)
@_db_option
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@click.option(
    "--outbox-days",
    type=click.IntRange(0, 36_500),
    metavar="DAYS",
    help="Keep delivered and dead webhook messages this long (default "
    "SHOPTRACE_OUTBOX_RETENTION_DAYS; 0: forever).",
)
@click.option(
    "--hook-events-days",
    type=click.IntRange(0, 36_500),
    metavar="DAYS",
    help="Keep platform hook records this long (default SHOPTRACE_HOOK_EVENTS_RETENTION_DAYS; "
    "0: forever).",
)
def outbox_prune(
    db_url: str | None, dry_run: bool, outbox_days: int | None, hook_events_days: int | None
) -> None:
    """Delete delivered and dead webhook messages and platform hook records older than the
    retention period, and idempotency keys past SHOPTRACE_IDEMPOTENCY_TTL, 1000 rows per
    transaction; pending messages always stay. Prints one line: what was (or, with
    --dry-run, would be) deleted."""
    from shoptrace.shop_plugin.cli import _require_schema, _target

    with _target(db_url) as target:
        _require_schema(target.store)
        configured = Retention.of(target.settings)
        retention = dataclasses.replace(
            configured,
            outbox_days=configured.outbox_days if outbox_days is None else outbox_days,
            hook_events_days=(
                configured.hook_events_days if hook_events_days is None else hook_events_days
            ),
        )
        report = prune(target.store, retention, dry_run=dry_run)
    click.echo(str(report))
