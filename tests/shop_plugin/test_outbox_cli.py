"""``shoptrace outbox deliver|list`` and ``flask shoptrace outbox ...``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from shoptrace.sdk.cli import main
from shoptrace.sdk.webhooks import construct_event
from shoptrace.shop_plugin.services.outbox import enqueue_event
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import outbox
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


def _shoptrace(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), env={"SHOPTRACE_SIGNING_KEY": SIGNING_KEY})


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
    for command in ("list", "deliver"):
        behind = _shoptrace("outbox", command, "--db", f"sqlite:///{tmp_path / 'empty.db'}")
        assert behind.exit_code == 2
        assert "shoptrace db upgrade" in behind.stderr
