"""``shoptrace outbox deliver|list`` and ``flask shoptrace outbox ...``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from shoptrace.sdk.cli import main
from shoptrace.sdk.webhooks import construct_event
from shoptrace.shop_plugin import cli_outbox
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.outbox import enqueue_event
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import hook_events, outbox
from tests.shop_plugin.helpers import SIGNING_KEY, Api
from tests.shop_plugin.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPTRACE_WEBHOOK_LOCAL_URLS": "true"}


def _shoptrace(*args: str, **env: str) -> Any:
    return CliRunner().invoke(main, list(args), env={"SHOPTRACE_SIGNING_KEY": SIGNING_KEY, **env})


def _queue(app: Flask, api: Api, url: str, count: int = 1) -> dict[str, Any]:
    hook = api.post("/webhooks", {"url": url, "topics": ["recall.closed"]}).get_json()
    store: Store = app.extensions["shoptrace"].store
    with store.begin() as conn:
        for n in range(count):
            enqueue_event(
                conn, api.merchant_id, topic="recall.closed", data={"id": n}, key=f"r:{n}:closed"
            )
    return dict(hook)


def test_the_outbox_commands_are_there() -> None:
    listed = _shoptrace("--help")
    assert "  outbox" in listed.output
    help_text = _shoptrace("outbox", "--help")
    assert help_text.exit_code == 0
    assert "deliver" in help_text.output and "list" in help_text.output
    assert "prune" in help_text.output


def test_deliver_once_sends_what_is_due(
    app: Flask, api: Api, db_url: str, receiver: Receiver
) -> None:
    hook = _queue(app, api, receiver.url, count=2)
    empty = _shoptrace("outbox", "list", "--db", db_url)
    assert empty.exit_code == 0
    assert empty.output.count("\tpending\t") == 2 and "recall.closed" in empty.output
    result = _shoptrace("outbox", "deliver", "--once", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 delivered, 0 to retry, 0 dead"
    assert len(receiver.requests) == 2
    first = receiver.requests[0]
    event = construct_event(first["body"], first["headers"]["ShopTrace-Signature"], hook["secret"])
    assert event["type"] == "recall.closed"
    again = _shoptrace("outbox", "deliver", "--once", "--db", db_url)
    assert again.output.strip() == "0 delivered, 0 to retry, 0 dead"
    assert _shoptrace("outbox", "list", "--db", db_url).output.strip() == (
        "no pending or dead messages"
    )


def test_list_dead_shows_the_dead_letters(app: Flask, api: Api, db_url: str) -> None:
    hook = _queue(app, api, "http://127.0.0.1:9/nothing-listens")
    with app.extensions["shoptrace"].store.begin() as conn:
        conn.execute(
            outbox.update().values(
                status="dead", attempts=8, last_status=None, last_error="connection refused"
            )
        )
    assert _shoptrace("outbox", "list", "--dead", "--merchant", "999", "--db", db_url).output == (
        "no dead messages\n"
    )
    listed = _shoptrace("outbox", "list", "--dead", "--db", db_url)
    assert listed.exit_code == 0
    [line] = listed.output.strip().splitlines()
    fields = line.split("\t")
    assert fields[1:] == [
        f"merchant {api.merchant_id}",
        f"webhook {hook['id']}",
        "recall.closed",
        "dead",
        "8 tries",
        "-",
        "connection refused",
    ]


def test_flask_shoptrace_outbox_runs_in_the_host_app(
    app: Flask, api: Api, receiver: Receiver
) -> None:
    _queue(app, api, receiver.url)
    result = app.test_cli_runner().invoke(args=["shoptrace", "outbox", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 delivered" in result.output
    assert len(receiver.requests) == 1


def test_bad_options_and_an_old_schema_exit_with_status_2(db_url: str, tmp_path: Path) -> None:
    result = _shoptrace("outbox", "deliver", "--once", "--limit", "0", "--db", db_url)
    assert result.exit_code == 2
    for command in ("list", "deliver", "prune"):
        behind = _shoptrace("outbox", command, "--db", f"sqlite:///{tmp_path / 'empty.db'}")
        assert behind.exit_code == 2
        assert "shoptrace db upgrade" in behind.stderr


def _age(app: Flask, api: Api, url: str) -> None:
    """Three messages, 40 days old: one delivered, one dead, one still pending; and a platform
    hook record as old."""
    _queue(app, api, url, count=3)
    old = utcnow() - timedelta(days=40)
    store: Store = app.extensions["shoptrace"].store
    with store.begin() as conn:
        ids = list(conn.execute(outbox.select().order_by(outbox.c.id)).scalars())
        for message_id, status in zip(ids, ("delivered", "dead", "pending"), strict=True):
            conn.execute(
                outbox.update()
                .where(outbox.c.id == message_id)
                .values(
                    status=status,
                    next_attempt_at=old,
                    created_at=old,
                    delivered_at=old if status == "delivered" else None,
                )
            )
        conn.execute(
            hook_events.insert().values(
                merchant_id=api.merchant_id,
                platform="woocommerce",
                event_id="d1",
                topic="order.created",
                outcome="handled",
                received_at=old,
            )
        )


def _statuses(app: Flask) -> list[str]:
    with app.extensions["shoptrace"].store.read() as conn:
        return [row.status for row in conn.execute(outbox.select().order_by(outbox.c.id))]


def _hook_count(app: Flask) -> int:
    with app.extensions["shoptrace"].store.read() as conn:
        return len(conn.execute(hook_events.select()).all())


def test_prune_deletes_old_delivered_and_dead_messages_and_hook_records(
    app: Flask, api: Api, db_url: str
) -> None:
    _age(app, api, "http://127.0.0.1:9/nothing-listens")
    dry = _shoptrace("outbox", "prune", "--dry-run", "--db", db_url)
    assert dry.exit_code == 0, dry.output
    assert dry.output == (
        "would delete 1 delivered and 1 dead webhook messages older than 30 days, "
        "1 platform hook records older than 30 days and "
        "0 idempotency keys older than 86400 seconds\n"
    )
    assert _statuses(app) == ["delivered", "dead", "pending"] and _hook_count(app) == 1
    kept = _shoptrace("outbox", "prune", "--db", db_url, SHOPTRACE_OUTBOX_RETENTION_DAYS="60")
    assert kept.exit_code == 0, kept.output
    assert kept.output.startswith("deleted 0 delivered and 0 dead webhook messages older than 60")
    assert _statuses(app) == ["delivered", "dead", "pending"] and _hook_count(app) == 0
    done = _shoptrace("outbox", "prune", "--db", db_url)
    assert done.exit_code == 0, done.output
    assert done.output.startswith("deleted 1 delivered and 1 dead webhook messages")
    assert _statuses(app) == ["pending"]  # a pending message is never pruned


def test_prune_options_override_the_settings(app: Flask, api: Api, db_url: str) -> None:
    _age(app, api, "http://127.0.0.1:9/nothing-listens")
    result = _shoptrace(
        "outbox", "prune", "--outbox-days", "0", "--hook-events-days", "90", "--db", db_url
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        "deleted 0 platform hook records older than 90 days and "
        "0 idempotency keys older than 86400 seconds; "
        "kept forever: webhook messages (SHOPTRACE_OUTBOX_RETENTION_DAYS=0)\n"
    )
    assert _statuses(app) == ["delivered", "dead", "pending"] and _hook_count(app) == 1
    flask = app.test_cli_runner().invoke(
        args=["shoptrace", "outbox", "prune", "--outbox-days", "7"]
    )
    assert flask.exit_code == 0, flask.output
    assert "deleted 1 delivered and 1 dead webhook messages older than 7 days" in flask.output


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--outbox-days", "-1"], {}, "--outbox-days"),
        (["--hook-events-days", "soon"], {}, "--hook-events-days"),
        (["--dry-run=yes"], {}, "--dry-run"),
        (["--nope"], {}, "--nope"),
        (["extra"], {}, "extra"),
        ([], {"SHOPTRACE_OUTBOX_RETENTION_DAYS": "-5"}, "SHOPTRACE_OUTBOX_RETENTION_DAYS"),
    ],
)
def test_prune_refuses_bad_options_in_one_line_with_status_2(
    db_url: str, args: list[str], env: dict[str, str], says: str
) -> None:
    result = _shoptrace("outbox", "prune", *args, "--db", db_url, **env)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and says in line


class _Stop(Exception):
    pass


def test_a_deliver_worker_prunes_too(
    app: Flask, api: Api, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _age(app, api, "http://127.0.0.1:9/nothing-listens")

    def stop(_seconds: float) -> None:
        raise _Stop

    # The command's own view of ``time`` only: other threads keep the real sleep.
    monkeypatch.setattr(cli_outbox, "time", SimpleNamespace(sleep=stop))
    with app.extensions["shoptrace"].store.begin() as conn:  # nothing due to send
        later = utcnow() + timedelta(days=1)
        conn.execute(
            outbox.update().where(outbox.c.status == "pending").values(next_attempt_at=later)
        )
    result = _shoptrace("outbox", "deliver", "--db", db_url)
    assert isinstance(result.exception, _Stop)
    assert result.output == (
        "deleted 1 delivered and 1 dead webhook messages older than 30 days, "
        "1 platform hook records older than 30 days and "
        "0 idempotency keys older than 86400 seconds\n"
    )
    assert _statuses(app) == ["pending"] and _hook_count(app) == 0
