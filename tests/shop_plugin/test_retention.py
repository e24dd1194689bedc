"""Retention: old delivered and dead webhook messages, platform hook records and idempotency
keys past their TTL are pruned in small batches, pending messages, other channels' rows and
keys inside their TTL never are; the outbox runner prunes at most once an hour, a backlog a
few batches per round."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask

from shoptrace.sdk.cli import main
from shoptrace.shop_plugin import ConfigError, Settings
from shoptrace.shop_plugin.services import idempotency
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.outbox import OutboxRunner
from shoptrace.shop_plugin.services.retention import (
    BATCH_SIZE,
    DEFAULT_IDEMPOTENCY_TTL,
    PruneSchedule,
    Retention,
    prune,
)
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import hook_events, idempotency_keys, outbox, products
from tests.shop_plugin.helpers import GTIN, GTIN2, SIGNING_KEY, Api, count_rows, make_app

NOW = datetime.fromisoformat("2026-06-01T12:00:00+00:00")
OLD = NOW - timedelta(days=31)
YOUNG = NOW - timedelta(days=29)
TTL = 3600  # seconds: a short SHOPTRACE_IDEMPOTENCY_TTL
KEYS_ONLY = Retention(outbox_days=0, hook_events_days=0, idempotency_ttl=TTL)
FINGERPRINT = "f" * 64
GTIN3 = "09506000134376"


@pytest.fixture
def store(app: Flask) -> Store:
    shop_store: Store = app.extensions["shoptrace"].store
    return shop_store


class Rows:
    """Writes outbox and hook_events rows of one merchant as they look after their life."""

    def __init__(self, store: Store, merchant_id: int) -> None:
        self.store = store
        self.merchant_id = merchant_id
        self.n = 0

    def message(
        self,
        status: str,
        at: datetime,
        *,
        channel: str = "webhook",
        created: datetime | None = None,
    ) -> int:
        """A message ``status`` since ``at``: delivered at it, died at it, or due at it."""
        self.n += 1
        values: dict[str, Any] = {
            "merchant_id": self.merchant_id,
            "channel": channel,
            "endpoint_id": 1,
            "topic": "recall.created",
            "message_key": f"k{self.n}",
            "payload": "{}",
            "status": status,
            "attempts": 0 if status == "pending" else 1,
            "next_attempt_at": at,
            "created_at": created or at,
            "delivered_at": at if status == "delivered" else None,
        }
        with self.store.begin() as conn:
            return int(
                conn.execute(outbox.insert().values(**values).returning(outbox.c.id)).scalar_one()
            )

    def many(self, status: str, at: datetime, count: int) -> None:
        rows = []
        for _ in range(count):
            self.n += 1
            rows.append(
                {
                    "merchant_id": self.merchant_id,
                    "channel": "webhook",
                    "endpoint_id": 1,
                    "topic": "recall.created",
                    "message_key": f"k{self.n}",
                    "payload": "{}",
                    "status": status,
                    "attempts": 1,
                    "next_attempt_at": at,
                    "created_at": at,
                    "delivered_at": at if status == "delivered" else None,
                }
            )
        with self.store.begin() as conn:
            conn.execute(outbox.insert(), rows)

    def hook(self, at: datetime) -> int:
        self.n += 1
        with self.store.begin() as conn:
            return int(
                conn.execute(
                    hook_events.insert()
                    .values(
                        merchant_id=self.merchant_id,
                        platform="shopify",
                        event_id=f"e{self.n}",
                        topic="orders/create",
                        outcome="handled",
                        received_at=at,
                    )
                    .returning(hook_events.c.id)
                ).scalar_one()
            )

    def key(self, at: datetime, count: int = 1) -> list[int]:
        """``count`` idempotency keys with their stored answers, created at ``at``."""
        values = []
        for _ in range(count):
            self.n += 1
            values.append(
                {
                    "merchant_id": self.merchant_id,
                    "key": f"key-{self.n}",
                    "method": "POST",
                    "path": "/trace/api/v1/products",
                    "fingerprint": FINGERPRINT,
                    "status_code": 201,
                    "response_body": '{"id": 1}',
                    "response_headers": {},
                    "created_at": at,
                }
            )
        with self.store.begin() as conn:
            return [
                int(conn.execute(idempotency_keys.insert().values(**row)).inserted_primary_key[0])
                for row in values
            ]


@pytest.fixture
def rows(store: Store, api: Api) -> Rows:
    return Rows(store, api.merchant_id)


def _ids(store: Store, table: sa.Table) -> list[int]:
    with store.read() as conn:
        return list(conn.execute(sa.select(table.c.id).order_by(table.c.id)).scalars())


def test_prune_deletes_only_what_the_retention_let_go(store: Store, rows: Rows) -> None:
    gone = [
        rows.message("delivered", OLD),
        rows.message("dead", OLD),
    ]
    kept = [
        rows.message("pending", NOW - timedelta(days=400)),  # however old: never
        rows.message("delivered", YOUNG, created=NOW - timedelta(days=90)),  # redelivered lately
        rows.message("dead", YOUNG, created=NOW - timedelta(days=90)),  # died lately
        rows.message("delivered", OLD, channel="upstream"),  # another channel's row
        rows.message("dead", OLD, channel="upstream"),
    ]
    old_hook, young_hook = rows.hook(OLD), rows.hook(YOUNG)
    report = prune(store, Retention(), now=NOW)
    assert (report.delivered, report.dead, report.hook_events, report.finished) == (1, 1, 1, True)
    assert str(report) == (
        "deleted 1 delivered and 1 dead webhook messages older than 30 days, "
        "1 platform hook records older than 30 days and "
        "0 idempotency keys older than 86400 seconds"
    )
    assert _ids(store, outbox) == kept and not set(gone) & set(_ids(store, outbox))
    assert _ids(store, hook_events) == [young_hook] != [old_hook]
    # A second pass finds nothing.
    again = prune(store, Retention(), now=NOW)
    assert again.deleted == 0 and _ids(store, outbox) == kept


def test_a_delivered_message_is_aged_by_its_delivery_not_its_last_schedule(
    store: Store, rows: Rows
) -> None:
    # Due long ago, but the worker only got to it lately (it was down, or behind).
    late = rows.message("delivered", OLD)
    with store.begin() as conn:
        conn.execute(outbox.update().where(outbox.c.id == late).values(delivered_at=YOUNG))
    assert prune(store, Retention(), now=NOW).delivered == 0
    assert _ids(store, outbox) == [late]


def test_dry_run_counts_and_deletes_nothing(store: Store, rows: Rows) -> None:
    rows.message("delivered", OLD)
    rows.message("dead", OLD)
    rows.message("pending", OLD)
    rows.hook(OLD)
    report = prune(store, Retention(), now=NOW, dry_run=True)
    assert (report.delivered, report.dead, report.hook_events) == (1, 1, 1)
    assert str(report).startswith("would delete 1 delivered and 1 dead webhook messages")
    assert len(_ids(store, outbox)) == 3 and len(_ids(store, hook_events)) == 1


def test_zero_days_keeps_a_kind_forever(store: Store, rows: Rows) -> None:
    rows.message("delivered", NOW - timedelta(days=3000))
    rows.hook(OLD)
    report = prune(store, Retention(outbox_days=0, hook_events_days=7), now=NOW)
    assert (report.delivered, report.hook_events) == (0, 1)
    assert str(report) == (
        "deleted 1 platform hook records older than 7 days and "
        "0 idempotency keys older than 86400 seconds; "
        "kept forever: webhook messages (SHOPTRACE_OUTBOX_RETENTION_DAYS=0)"
    )
    assert len(_ids(store, outbox)) == 1
    nothing = prune(store, Retention(0, 0, 0), now=NOW)
    assert nothing.deleted == 0 and str(nothing) == (
        "nothing to prune; kept forever: webhook messages (SHOPTRACE_OUTBOX_RETENTION_DAYS=0), "
        "platform hook records (SHOPTRACE_HOOK_EVENTS_RETENTION_DAYS=0), "
        "idempotency keys (idempotency_ttl=0)"
    )
    with pytest.raises(ValueError, match="outbox_days"):
        Retention(outbox_days=-1)
    with pytest.raises(ValueError, match="idempotency_ttl must be a whole number of seconds"):
        Retention(idempotency_ttl=-1)


def test_a_backlog_goes_in_small_transactions(store: Store, rows: Rows) -> None:
    rows.many("delivered", OLD, 10)
    rows.many("dead", OLD, 4)
    rows.message("pending", OLD)
    commits: list[int] = []
    deleted_per_commit: list[int] = []
    pending = 0

    def on_delete(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        nonlocal pending
        if statement.lstrip().upper().startswith("DELETE"):
            pending += cursor.rowcount

    def on_commit(_conn: Any) -> None:
        nonlocal pending
        commits.append(1)
        deleted_per_commit.append(pending)
        pending = 0

    sa.event.listen(store.engine, "after_cursor_execute", on_delete)
    sa.event.listen(store.engine, "commit", on_commit)
    try:
        report = prune(store, Retention(), now=NOW, batch_size=3)
    finally:
        sa.event.remove(store.engine, "after_cursor_execute", on_delete)
        sa.event.remove(store.engine, "commit", on_commit)
    assert (report.delivered, report.dead) == (10, 4)
    assert max(deleted_per_commit) == 3 and sum(deleted_per_commit) == 14
    assert len(commits) >= 6  # 4 + 2 batches with rows, each its own transaction
    assert len(_ids(store, outbox)) == 1


def test_a_batch_budget_leaves_the_rest_for_the_next_round(store: Store, rows: Rows) -> None:
    rows.many("delivered", OLD, 7)
    first = prune(store, Retention(), now=NOW, batch_size=3, max_batches=2)
    assert (first.delivered, first.finished) == (6, False)
    assert str(first).endswith("; more left for the next round")
    second = prune(store, Retention(), now=NOW, batch_size=3, max_batches=2)
    assert (second.delivered, second.finished) == (1, True)
    stopped = prune(store, Retention(), now=NOW, should_stop=lambda: True)
    assert (stopped.deleted, stopped.finished) == (0, False)


def test_a_message_being_redelivered_while_pruning_stays(store: Store, rows: Rows) -> None:
    # Another transaction puts an old delivered message back to pending and commits while a
    # prune runs: SQLite's prune waits for it, PostgreSQL's skips the row it holds; neither
    # deletes a message that is pending by the time it is gone.
    target = rows.message("delivered", OLD)
    other = rows.message("delivered", OLD)
    reports: list[Any] = []
    pruning = threading.Thread(target=lambda: reports.append(prune(store, Retention(), now=NOW)))
    with store.begin() as conn:
        conn.execute(
            outbox.update()
            .where(outbox.c.id == target)
            .values(status="pending", attempts=0, delivered_at=None, next_attempt_at=NOW)
        )
        pruning.start()
        time.sleep(0.3)  # the prune meets the open transaction; it commits at the block's end
    pruning.join(30)
    assert not pruning.is_alive()
    assert reports[0].delivered == 1
    assert _ids(store, outbox) == [target] != [other]
    with store.read() as conn:
        assert conn.execute(sa.select(outbox.c.status)).scalar_one() == "pending"


# --- idempotency keys ----------------------------------------------------------------------


def _key_names(store: Store) -> list[str]:
    with store.read() as conn:
        query = sa.select(idempotency_keys.c.key).order_by(idempotency_keys.c.id)
        return list(conn.execute(query).scalars())


def test_keys_past_their_ttl_go_and_keys_inside_it_stay(store: Store, rows: Rows) -> None:
    ttl = timedelta(seconds=TTL)
    gone = [
        *rows.key(NOW - ttl - timedelta(days=400)),
        *rows.key(NOW - ttl - timedelta(seconds=1)),
        *rows.key(NOW - ttl),  # exactly the TTL: lookup forgets it already
    ]
    kept = [
        *rows.key(NOW - ttl + timedelta(seconds=1)),
        *rows.key(NOW),
    ]
    report = prune(store, KEYS_ONLY, now=NOW)
    assert (report.idempotency_keys, report.deleted, report.finished) == (3, 3, True)
    assert str(report) == (
        "deleted 3 idempotency keys older than 3600 seconds; kept forever: webhook messages "
        "(SHOPTRACE_OUTBOX_RETENTION_DAYS=0), platform hook records "
        "(SHOPTRACE_HOOK_EVENTS_RETENTION_DAYS=0)"
    )
    assert _ids(store, idempotency_keys) == kept and not set(gone) & set(kept)
    again = prune(store, KEYS_ONLY, now=NOW)
    assert again.idempotency_keys == 0 and _ids(store, idempotency_keys) == kept
    # A TTL of 0 prunes no key, however old.
    assert prune(store, Retention(idempotency_ttl=0), now=NOW + 1000 * ttl).idempotency_keys == 0
    assert _ids(store, idempotency_keys) == kept


def test_prune_deletes_exactly_the_keys_lookup_forgets(
    store: Store, rows: Rows, monkeypatch: pytest.MonkeyPatch
) -> None:
    for seconds in (0, 1, TTL - 1, TTL, TTL + 1, 10 * TTL):
        rows.key(NOW - timedelta(seconds=seconds))
    monkeypatch.setattr(idempotency, "utcnow", lambda: NOW)
    forgotten = []
    with store.engine.connect() as conn:
        transaction = conn.begin()
        for name in _key_names(store):
            if idempotency.lookup(conn, rows.merchant_id, name, FINGERPRINT, ttl=TTL) is None:
                forgotten.append(name)
        transaction.rollback()
    assert len(forgotten) == 3
    before = _key_names(store)
    prune(store, KEYS_ONLY, now=NOW)
    assert _key_names(store) == [name for name in before if name not in forgotten]


def test_expired_keys_go_in_batches_and_the_dry_run_only_counts(store: Store, rows: Rows) -> None:
    old = NOW - timedelta(seconds=TTL + 60)
    rows.key(old, 5)  # one created_at: batches go on at the same key (not unique)
    for minutes in range(4):
        rows.key(old - timedelta(minutes=minutes))
    fresh = rows.key(NOW - timedelta(seconds=10), 2)
    dry = prune(store, KEYS_ONLY, now=NOW, dry_run=True)
    assert (dry.idempotency_keys, dry.deleted) == (9, 9)
    assert str(dry).startswith("would delete 9 idempotency keys older than 3600 seconds;")
    assert len(_ids(store, idempotency_keys)) == 11
    deleted_per_commit: list[int] = []
    pending = 0

    def on_delete(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        nonlocal pending
        if statement.lstrip().upper().startswith("DELETE"):
            pending += cursor.rowcount

    def on_commit(_conn: Any) -> None:
        nonlocal pending
        deleted_per_commit.append(pending)
        pending = 0

    sa.event.listen(store.engine, "after_cursor_execute", on_delete)
    sa.event.listen(store.engine, "commit", on_commit)
    try:
        first = prune(store, KEYS_ONLY, now=NOW, batch_size=2, max_batches=3)
        assert (first.idempotency_keys, first.finished) == (6, False)
        assert len(_ids(store, idempotency_keys)) == 5
        rest = prune(store, KEYS_ONLY, now=NOW, batch_size=2)
    finally:
        sa.event.remove(store.engine, "after_cursor_execute", on_delete)
        sa.event.remove(store.engine, "commit", on_commit)
    assert (rest.idempotency_keys, rest.finished) == (3, True)
    # 3 + 2 batches with rows, each its own transaction of at most 2 deletes.
    assert [n for n in deleted_per_commit if n] == [2, 2, 2, 2, 1]
    assert _ids(store, idempotency_keys) == fresh


def test_a_key_sent_again_while_pruning_keeps_its_new_answer(store: Store, rows: Rows) -> None:
    # A request reuses an expired key (lookup deletes the old row, reserve writes a new one)
    # and commits while a prune runs: SQLite's prune waits for it, PostgreSQL's skips the row
    # the request holds; neither touches the new answer.
    old = utcnow() - timedelta(seconds=2 * TTL)
    [reused] = rows.key(old)
    [name] = _key_names(store)
    [other] = rows.key(old)
    reports: list[Any] = []
    pruning = threading.Thread(target=lambda: reports.append(prune(store, KEYS_ONLY)))
    with store.begin() as conn:
        assert idempotency.lookup(conn, rows.merchant_id, name, FINGERPRINT, ttl=TTL) is None
        new = idempotency.reserve(conn, rows.merchant_id, name, "POST", "/p", FINGERPRINT)
        idempotency.store_answer(conn, new, idempotency.Stored(201, "{}", {}))
        pruning.start()
        time.sleep(0.3)  # the prune meets the open transaction; it commits at the block's end
    pruning.join(30)
    assert not pruning.is_alive()
    assert reports[0].idempotency_keys == 1
    assert _ids(store, idempotency_keys) == [new] and new not in (reused, other)


def test_a_fresh_key_still_replays_after_a_prune(app: Flask, api: Api, store: Store) -> None:
    ttl = app.extensions["shoptrace"].settings.idempotency_ttl
    body = {"gtin": GTIN, "name": {"en": "Apples"}, "category": "food"}
    fresh = {"Idempotency-Key": "fresh"}
    first = api.post("/products", body, headers=fresh)
    stale = api.post("/products", {**body, "gtin": GTIN2}, headers={"Idempotency-Key": "stale"})
    assert first.status_code == stale.status_code == 201
    with store.begin() as conn:
        conn.execute(
            idempotency_keys.update()
            .where(idempotency_keys.c.key == "stale")
            .values(created_at=utcnow() - timedelta(seconds=ttl + 60))
        )
    report = prune(store, Retention.of(app.extensions["shoptrace"].settings))
    assert report.idempotency_keys == 1
    assert _key_names(store) == ["fresh"]
    again = api.post("/products", body, headers=fresh)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert count_rows(app, products) == 2  # the replay wrote nothing
    # The pruned key is free, as lookup would have made it: another request, not a 422.
    pears = {**body, "gtin": GTIN3, "name": {"en": "Pears"}}
    reused = api.post("/products", pears, headers={"Idempotency-Key": "stale"})
    assert reused.status_code == 201 and "Idempotent-Replayed" not in reused.headers
    assert _key_names(store) == ["fresh", "stale"] and count_rows(app, products) == 3


def test_the_cli_prunes_expired_keys_with_the_configured_ttl(
    store: Store, rows: Rows, db_url: str
) -> None:
    old = rows.key(utcnow() - timedelta(hours=2))
    young = rows.key(utcnow() - timedelta(minutes=10))
    env = {"SHOPTRACE_SIGNING_KEY": SIGNING_KEY, "SHOPTRACE_IDEMPOTENCY_TTL": "3600"}

    def shoptrace(*args: str) -> Any:
        result = CliRunner().invoke(main, ["outbox", "prune", *args, "--db", db_url], env=env)
        assert result.exit_code == 0, result.output
        return result

    dry = shoptrace("--dry-run", "--outbox-days", "0", "--hook-events-days", "0")
    assert dry.output == (
        "would delete 1 idempotency keys older than 3600 seconds; kept forever: webhook "
        "messages (SHOPTRACE_OUTBOX_RETENTION_DAYS=0), platform hook records "
        "(SHOPTRACE_HOOK_EVENTS_RETENTION_DAYS=0)\n"
    )
    assert _ids(store, idempotency_keys) == old + young
    done = shoptrace()
    assert done.output.endswith(" and 1 idempotency keys older than 3600 seconds\n")
    assert done.output.startswith("deleted 0 delivered and 0 dead webhook messages")
    assert _ids(store, idempotency_keys) == young


# --- the runner ----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _runner(store: Store, clock: Clock, retention: Retention | None = None) -> OutboxRunner:
    runner = OutboxRunner(store, SIGNING_KEY, interval=60, retention=retention)
    if runner.pruning is not None:
        runner.pruning.clock = clock
    return runner


def test_the_runner_prunes_at_most_once_an_hour(
    store: Store, rows: Rows, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    old = utcnow() - timedelta(days=31)
    rows.message("delivered", old)
    rows.hook(old)
    runner = _runner(store, clock, Retention())
    with caplog.at_level(logging.INFO, logger="shoptrace.shop_plugin.services.outbox"):
        runner.run_once()
    assert _ids(store, outbox) == [] and _ids(store, hook_events) == []
    assert "outbox runner: deleted 1 delivered and 0 dead webhook messages" in caplog.text
    rows.message("dead", old)
    clock.now += 3599
    runner.run_once()
    assert len(_ids(store, outbox)) == 1  # not yet: the last pass was less than an hour ago
    clock.now += 2
    runner.run_once()
    assert _ids(store, outbox) == []
    assert runner.pruning is not None and runner.pruning.last is not None
    assert runner.pruning.last.dead == 1


def test_a_runner_without_retention_never_prunes(store: Store, rows: Rows, clock: Clock) -> None:
    rows.message("delivered", utcnow() - timedelta(days=400))
    runner = _runner(store, clock)
    assert runner.pruning is None
    runner.run_once()
    assert len(_ids(store, outbox)) == 1
    forever = _runner(store, clock, Retention(0, 0))
    forever.run_once()
    assert len(_ids(store, outbox)) == 1


def test_the_runner_prunes_a_backlog_a_few_batches_per_round(
    store: Store, rows: Rows, clock: Clock
) -> None:
    old = utcnow() - timedelta(days=31)
    rows.many("delivered", old, 2 * BATCH_SIZE + 5)
    runner = _runner(store, clock, Retention())
    assert runner.pruning is not None
    runner.pruning.batches = 1
    left = []
    for _ in range(4):
        runner.run_once()  # the same instant: an unfinished pass goes on at the next round
        left.append(len(_ids(store, outbox)))
    assert left == [BATCH_SIZE + 5, 5, 0, 0]
    assert runner.pruning.last is not None and runner.pruning.last.finished


def test_a_pruning_failure_is_logged_and_tried_again_an_hour_later(
    store: Store, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    schedule = PruneSchedule(
        Retention(), log=logging.getLogger("test.prune"), label="worker", clock=clock
    )
    broken = Store(sa.create_engine("sqlite:////nonexistent-dir/none.db"))
    with caplog.at_level(logging.ERROR, logger="test.prune"):
        assert schedule.run_if_due(broken) is None
    assert "worker: pruning failed; trying again in an hour" in caplog.text
    assert not schedule.due()
    clock.now += 3600
    assert schedule.due()
    assert schedule.run_if_due(store) is not None


# --- settings ------------------------------------------------------------------------------


def _settings(**config: Any) -> Settings:
    return Settings.from_mapping(config, instance_path="/srv/instance")


def test_the_retention_settings_default_to_30_days_and_are_checked() -> None:
    settings = _settings()
    assert (settings.outbox_retention_days, settings.hook_events_retention_days) == (30, 30)
    assert Retention.of(settings) == Retention(30, 30) == Retention()
    custom = _settings(SHOPTRACE_OUTBOX_RETENTION_DAYS="0", SHOPTRACE_HOOK_EVENTS_RETENTION_DAYS=7)
    assert Retention.of(custom) == Retention(outbox_days=0, hook_events_days=7)
    for key, value in (
        ("SHOPTRACE_OUTBOX_RETENTION_DAYS", "-1"),
        ("SHOPTRACE_HOOK_EVENTS_RETENTION_DAYS", "a month"),
        ("SHOPTRACE_OUTBOX_RETENTION_DAYS", True),
    ):
        with pytest.raises(ConfigError, match=key):
            _settings(**{key: value})


def test_idempotency_keys_are_pruned_at_the_configured_ttl() -> None:
    settings = _settings()
    assert settings.idempotency_ttl == DEFAULT_IDEMPOTENCY_TTL == Retention().idempotency_ttl
    assert Retention.of(settings).idempotency_ttl == DEFAULT_IDEMPOTENCY_TTL
    short = Retention.of(
        _settings(SHOPTRACE_IDEMPOTENCY_TTL="600", SHOPTRACE_OUTBOX_RETENTION_DAYS=0)
    )
    assert short == Retention(outbox_days=0, hook_events_days=30, idempotency_ttl=600)
    # Keys expire even with the other kinds kept forever, so a worker still prunes.
    keys_only = Retention.of(
        _settings(SHOPTRACE_OUTBOX_RETENTION_DAYS=0, SHOPTRACE_HOOK_EVENTS_RETENTION_DAYS=0)
    )
    assert keys_only.prunes_anything and not Retention(0, 0, 0).prunes_anything


def test_the_apps_outbox_thread_prunes_with_the_configured_retention(
    db_url: str, tmp_path: Any
) -> None:
    app = make_app(
        db_url,
        tmp_path / "instance",
        SHOPTRACE_OUTBOX_RUNNER="thread",
        SHOPTRACE_OUTBOX_RETENTION_DAYS=7,
        SHOPTRACE_HOOK_EVENTS_RETENTION_DAYS=0,
        SHOPTRACE_IDEMPOTENCY_TTL=600,
    )
    shop = app.extensions["shoptrace"]
    try:
        runner = shop.outbox_runner
        assert runner is not None and runner.pruning is not None
        assert runner.pruning.retention == Retention(
            outbox_days=7, hook_events_days=0, idempotency_ttl=600
        )
    finally:
        shop.close()
