"""Retention: how long delivered and dead webhook messages, platform hook records and
idempotency keys are kept, and the pruning that deletes older ones in small batches.

What may go, and why:

- a webhook message (outbox channel ``webhook``) that is ``delivered`` or ``dead`` is only a
  line of the merchant's delivery log once nothing will send it again; older than
  ``SHOPTRACE_OUTBOX_RETENTION_DAYS`` it is deleted (a redelivery of it is then a 404).
  A ``pending`` message never is, however old. Messages of any other channel are left
  alone: upstream EPCIS endpoints keep no messages at all (each follows the merchant's event
  sequence with its own cursor, see :mod:`.upstream`), and another channel's worker may
  still need its rows. Queuing is idempotent by key only while the message is kept.
- a ``hook_events`` row records a platform webhook already handled, so that a retry of it is
  answered ``duplicate``; platforms stop retrying within hours (Shopify: 8 tries over
  4 hours), so one older than ``SHOPTRACE_HOOK_EVENTS_RETENTION_DAYS`` protects nothing.
- an ``idempotency_keys`` row (a merchant's ``Idempotency-Key`` with the first answer to
  replay) created ``SHOPTRACE_IDEMPOTENCY_TTL`` seconds ago or earlier is already ignored:
  :func:`.idempotency.lookup` treats it as unused (and deletes it) when the key comes back,
  so deleting it first changes no answer; it only stops a key never sent again from
  keeping its stored response body forever. A key inside its TTL is never deleted.

Ages: a delivered message by ``delivered_at``; a dead one by when it died
(``next_attempt_at``, which the outbox sets to the time of the last try when a message
dies); a hook record by ``received_at``; an idempotency key by ``created_at`` (gone at the
TTL, the same bound, ``<=``, as lookup's). 0 days keeps a kind forever (and a TTL of 0, which
the setting never is, keeps the keys).

Each batch (:data:`BATCH_SIZE` rows) is one short write transaction that selects the rows
(locking them on PostgreSQL, skipping any another transaction holds) and deletes them by id,
so a big backlog never holds the write lock for long and a message being redelivered stays.
Batches walk forward from where the last one stopped (keyset), so a backlog costs one pass,
not one scan per batch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import hook_events, idempotency_keys, outbox

if TYPE_CHECKING:
    from shoptrace.shop_plugin.config import Settings

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_IDEMPOTENCY_TTL",
    "DEFAULT_RETENTION_DAYS",
    "PRUNE_EVERY",
    "ROUND_BATCHES",
    "PruneReport",
    "PruneSchedule",
    "Retention",
    "prune",
]

DEFAULT_RETENTION_DAYS = 30
DEFAULT_IDEMPOTENCY_TTL = 86_400
"""Seconds: the default of ``SHOPTRACE_IDEMPOTENCY_TTL``."""
BATCH_SIZE = 1000
"""Rows one pruning transaction deletes at most."""
PRUNE_EVERY = 3600.0
"""Seconds between the pruning passes of a worker."""
ROUND_BATCHES = 20
"""Batches a worker prunes per round before it goes back to delivering; the pass goes on at
its next round."""

_PRUNED_CHANNEL = "webhook"  # the outbox channel whose finished messages are only a log
_IN_CHUNK = 500  # ids per DELETE: within the 999 bound parameters of older SQLite builds


@dataclass(frozen=True)
class Retention:
    """Days delivered and dead webhook messages, and platform hook records, are kept (0:
    forever); seconds an idempotency key is (its TTL; 0: not pruned)."""

    outbox_days: int = DEFAULT_RETENTION_DAYS
    hook_events_days: int = DEFAULT_RETENTION_DAYS
    idempotency_ttl: int = DEFAULT_IDEMPOTENCY_TTL

    def __post_init__(self) -> None:
        for name, unit in (
            ("outbox_days", "days"),
            ("hook_events_days", "days"),
            ("idempotency_ttl", "seconds"),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number of {unit} from 0, got {value!r}")

    @classmethod
    def of(cls, settings: Settings) -> Retention:
        """The retention ``SHOPTRACE_*_RETENTION_DAYS`` and ``SHOPTRACE_IDEMPOTENCY_TTL``
        configure."""
        return cls(
            settings.outbox_retention_days,
            settings.hook_events_retention_days,
            settings.idempotency_ttl,
        )

    @property
    def prunes_anything(self) -> bool:
        return bool(self.outbox_days or self.hook_events_days or self.idempotency_ttl)


@dataclass
class PruneReport:
    """What one :func:`prune` call deleted (or, dry, would delete)."""

    retention: Retention
    dry_run: bool = False
    delivered: int = 0
    dead: int = 0
    hook_events: int = 0
    idempotency_keys: int = 0
    finished: bool = True
    """False when the batch budget or a stop request ended it with rows left to delete."""

    @property
    def deleted(self) -> int:
        return self.delivered + self.dead + self.hook_events + self.idempotency_keys

    def __str__(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        done: list[str] = []
        kept: list[str] = []
        if self.retention.outbox_days:
            done.append(
                f"{self.delivered} delivered and {self.dead} dead webhook messages older than "
                f"{self.retention.outbox_days} days"
            )
        else:
            kept.append("webhook messages (SHOPTRACE_OUTBOX_RETENTION_DAYS=0)")
        if self.retention.hook_events_days:
            done.append(
                f"{self.hook_events} platform hook records older than "
                f"{self.retention.hook_events_days} days"
            )
        else:
            kept.append("platform hook records (SHOPTRACE_HOOK_EVENTS_RETENTION_DAYS=0)")
        if self.retention.idempotency_ttl:
            done.append(
                f"{self.idempotency_keys} idempotency keys older than "
                f"{self.retention.idempotency_ttl} seconds"
            )
        else:
            kept.append("idempotency keys (idempotency_ttl=0)")
        listed = ", ".join(done[:-1]) + " and " + done[-1] if len(done) > 1 else "".join(done)
        parts = [f"{verb} {listed}"] if done else ["nothing to prune"]
        if kept:
            parts.append("kept forever: " + ", ".join(kept))
        if not self.finished:
            parts.append("more left for the next round")
        return "; ".join(parts)


@dataclass(frozen=True)
class _Kind:
    name: str
    table: sa.Table
    condition: sa.ColumnElement[bool]
    key: sa.ColumnElement[Any]
    """The walk order: the column an index of the table is in order of after the condition's
    equalities, so each batch is a range scan that stops after ``size`` rows (no sort)."""
    unique: bool
    """Whether ``key`` is unique: the next batch starts after the last key seen, else at it
    (the rows there were deleted, so none is seen twice)."""


def _kinds(retention: Retention, at: datetime) -> list[_Kind]:
    kinds = []
    if retention.outbox_days:
        cutoff = at - timedelta(days=retention.outbox_days)
        webhook = outbox.c.channel == _PRUNED_CHANNEL
        # A delivered message was sent at or after its next_attempt_at, so the redundant
        # next_attempt_at bound only lets the (status, next_attempt_at) index find them.
        delivered = sa.and_(
            outbox.c.status == "delivered",
            outbox.c.next_attempt_at < cutoff,
            outbox.c.delivered_at < cutoff,
            webhook,
        )
        dead = sa.and_(outbox.c.status == "dead", outbox.c.next_attempt_at < cutoff, webhook)
        key = outbox.c.next_attempt_at
        kinds += [
            _Kind("delivered", outbox, delivered, key, unique=False),
            _Kind("dead", outbox, dead, key, unique=False),
        ]
    if retention.hook_events_days:
        cutoff = at - timedelta(days=retention.hook_events_days)
        old = hook_events.c.received_at < cutoff
        kinds.append(
            _Kind("hook_events", hook_events, old, hook_events.c.received_at, unique=False)
        )
    if retention.idempotency_ttl:
        cutoff = at - timedelta(seconds=retention.idempotency_ttl)
        # ``<=``: the bound of idempotency.lookup, which forgets a key from this age on.
        key = idempotency_keys.c.created_at
        kinds.append(_Kind("idempotency_keys", idempotency_keys, key <= cutoff, key, unique=False))
    return kinds


def _count(store: Store, kind: _Kind) -> int:
    with store.read() as conn:
        query = sa.select(sa.func.count()).select_from(kind.table).where(kind.condition)
        return int(conn.execute(query).scalar_one())


def _delete_batch(store: Store, kind: _Kind, last: Any, size: int) -> tuple[int, int, Any]:
    """Delete the next ``size`` rows of ``kind`` from ``last`` on: (rows found, rows deleted,
    the key of the last one found)."""
    query = (
        sa.select(kind.table.c.id, kind.key.label("key"))
        .where(kind.condition)
        .order_by(kind.key)
        .limit(size)
    )
    if last is not None:
        query = query.where(kind.key > last if kind.unique else kind.key >= last)
    with store.begin() as conn:
        if conn.dialect.name == "postgresql":
            # The rows are locked until they are gone, so none can be redelivered (made
            # pending) in between; one a redelivery holds right now is skipped, and a row
            # changed before the lock is re-checked against the condition. (SQLite's write
            # transaction already excludes every other writer.)
            query = query.with_for_update(skip_locked=True, of=kind.table)
        rows = conn.execute(query).all()
        if not rows:
            return 0, 0, last
        # By id alone: the planner then takes the primary key, never a scan of the old rows.
        ids = [row.id for row in rows]
        deleted = 0
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            gone = conn.execute(kind.table.delete().where(kind.table.c.id.in_(chunk)))
            deleted += max(gone.rowcount, 0)
    return len(rows), deleted, rows[-1].key


def prune(
    store: Store,
    retention: Retention,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    max_batches: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PruneReport:
    """Delete the delivered and dead webhook messages, the platform hook records and the
    idempotency keys older than ``retention`` allows, ``batch_size`` rows per transaction
    (see the module's notes).

    ``dry_run`` only counts them. ``max_batches`` and ``should_stop`` end the pass early
    (``finished`` False): a worker's round. ``now`` fixes the clock (tests).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    report = PruneReport(retention, dry_run=dry_run)
    at = now if now is not None else utcnow()
    budget = max_batches
    for kind in _kinds(retention, at):
        if dry_run:
            setattr(report, kind.name, _count(store, kind))
            continue
        last: Any = None
        while True:
            if (budget is not None and budget <= 0) or (should_stop and should_stop()):
                report.finished = False
                return report
            found, deleted, last = _delete_batch(store, kind, last, batch_size)
            setattr(report, kind.name, getattr(report, kind.name) + deleted)
            if budget is not None and found:
                budget -= 1  # a look that finds nothing is cheap: only batches count
            if found < batch_size:
                break
    return report


class PruneSchedule:
    """Prunes for a long-running worker: a pass at most every :data:`PRUNE_EVERY` seconds
    (the first at once), each round at most ``batches`` batches, an unfinished pass going on
    at the next round. A failure is logged and tried again at the next pass."""

    def __init__(
        self,
        retention: Retention,
        *,
        log: logging.Logger,
        label: str,
        every: float = PRUNE_EVERY,
        batches: int = ROUND_BATCHES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.retention = retention
        self.every = every
        self.batches = batches
        self.clock = clock
        self.last: PruneReport | None = None
        """The report of the latest round."""
        self._log = log
        self._label = label
        self._next: float | None = None

    def __repr__(self) -> str:
        return f"PruneSchedule({self.retention!r}, every={self.every})"

    def due(self) -> bool:
        return self.retention.prunes_anything and (self._next is None or self.clock() >= self._next)

    def run_if_due(
        self, store: Store, *, should_stop: Callable[[], bool] | None = None
    ) -> PruneReport | None:
        """Prune a round if one is due; its report, or None (not due, or it failed)."""
        if not self.due():
            return None
        try:
            report = prune(store, self.retention, max_batches=self.batches, should_stop=should_stop)
        except Exception:
            self._next = self.clock() + self.every
            self._log.exception("%s: pruning failed; trying again in an hour", self._label)
            return None
        self._next = self.clock() + (self.every if report.finished else 0.0)
        self.last = report
        if report.deleted:
            self._log.info("%s: %s", self._label, report)
        return report
