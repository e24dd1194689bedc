"""Whole documents and the command line: ``shoptrace epcis export|import`` (a round trip keeps
every hash ID), ``shoptrace pull`` from a live shoptrace, ``shoptrace sync`` and
``shoptrace upstreams ...``, with their exit codes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from werkzeug.serving import make_server

from shoptrace.sdk.cli import main
from shoptrace.sdk.epcis import events as ev
from shoptrace.sdk.epcis import standalone_event, validate_document
from shoptrace.shop_plugin.services import chain
from shoptrace.shop_plugin.services.clock import utcnow
from shoptrace.shop_plugin.services.event_store import format_time
from shoptrace.shop_plugin.store.engine import Store
from shoptrace.shop_plugin.store.tables import events, upstream_endpoints
from tests.shop_plugin.epcis_helpers import EPCIS, at, capture, document, supply_chain, unit_uri
from tests.shop_plugin.helpers import SIGNING_KEY, Api, add_merchant
from tests.shop_plugin.receiver import Receiver


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPTRACE_SYNC_LOCAL_URLS": "true", "SHOPTRACE_PUBLIC_RATE_LIMIT": ""}


@pytest.fixture
def store(app: Flask) -> Store:
    shop_store: Store = app.extensions["shoptrace"].store
    return shop_store


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(path="/epcis", default=202, refusal=b"platform down")
    yield server
    server.close()


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/trace/epcis"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


def _shoptrace(*args: str, **env: str) -> Any:
    return CliRunner().invoke(
        main, list(args), env={"SHOPTRACE_SIGNING_KEY": SIGNING_KEY, **env}, input=None
    )


def _rows(store: Store, merchant_id: int) -> list[tuple[str, str]]:
    """(eventID, hash ID) of the merchant's events in chain order."""
    with store.read() as conn:
        return [
            (row.event_id, row.hash_id)
            for row in conn.execute(
                sa.select(events.c.event_id, events.c.hash_id)
                .where(events.c.merchant_id == merchant_id)
                .order_by(events.c.seq)
            )
        ]


def _history(api: Api) -> int:
    """A varied history: a supply chain, an extension namespace, a standalone event with
    its own @context and a shop order's shipment. Returns the number of events."""
    chain_events = supply_chain(["E1", "E2", "E3"])
    assert capture(api, document(chain_events)).status_code == 202
    graded = ev.commission(
        [unit_uri("X1")],
        ilmd={"cbvmda:lotNumber": "LOT42", "acme:grade": "A"},
        extensions={"acme:inspector": "Li Si"},
        event_time=at(50),
    )
    namespaced = document([graded], namespaces={"acme": "https://ns.acme.example/epcis/"})
    assert capture(api, namespaced).status_code == 202
    single = standalone_event(ev.inspect([unit_uri("X1")], passed=True, event_time=at(51)))
    response = api.client.post(EPCIS + "/events", json=single, headers=api.headers())
    assert response.status_code == 201, response.get_json()
    shipped = ev.ship_to_customer(
        [unit_uri("X1")],
        order=f"urn:shoptrace:order:{api.merchant_id}:B-7",
        ship_to="urn:shoptrace:destination:CN:Zhejiang",
        event_time=at(52),
    )
    assert capture(api, document([shipped])).status_code == 202
    return len(chain_events) + 3


def test_export_then_import_keeps_every_event_and_hash_id(
    app: Flask, store: Store, api: Api, db_url: str, tmp_path: Path
) -> None:
    count = _history(api)
    target_id, _ = add_merchant(app, "Archive")
    path = tmp_path / "export.json"
    exported = _shoptrace(
        "epcis", "export", "--merchant", str(api.merchant_id), str(path), "--db", db_url
    )
    assert exported.exit_code == 0, exported.output
    assert exported.output == f"{count} events exported\n"
    assert not (tmp_path / "export.json.part").exists()
    doc = json.loads(path.read_text(encoding="utf-8"))
    validate_document(doc)
    assert doc["type"] == "EPCISDocument"
    assert len(doc["epcisBody"]["eventList"]) == count
    assert "https://ns.acme.example/epcis/" in json.dumps(doc["@context"])
    stored_texts = []
    with store.read() as conn:
        stored_texts = list(
            conn.execute(
                sa.select(events.c.document)
                .where(events.c.merchant_id == api.merchant_id)
                .order_by(events.c.seq)
            ).scalars()
        )
    assert [json.loads(t) for t in stored_texts] == doc["epcisBody"]["eventList"]

    imported = _shoptrace(
        "epcis", "import", "--merchant", str(target_id), str(path), "--db", db_url
    )
    assert imported.exit_code == 0, imported.output
    assert imported.output == f"{count} events read: {count} stored, 0 already there\n"
    assert _rows(store, target_id) == _rows(store, api.merchant_id)
    assert chain.verify(store, target_id)["valid"]
    again = _shoptrace("epcis", "import", "--merchant", str(target_id), str(path), "--db", db_url)
    assert again.exit_code == 0
    assert again.output == f"{count} events read: 0 stored, {count} already there\n"
    assert len(_rows(store, target_id)) == count


def test_export_to_stdout_and_by_record_time(store: Store, api: Api, db_url: str) -> None:
    assert capture(api, document(supply_chain(["T1"])[:3])).status_code == 202
    time.sleep(0.01)
    middle = utcnow()
    time.sleep(0.01)
    assert (
        capture(
            api, document([ev.commission([unit_uri("T9")]), ev.commission([unit_uri("T8")])])
        ).status_code
        == 202
    )
    merchant = str(api.merchant_id)
    later = _shoptrace(
        "epcis",
        "export",
        "--merchant",
        merchant,
        "--since",
        format_time(middle),
        "-",
        "--db",
        db_url,
    )
    assert later.exit_code == 0, later.output
    assert later.stderr == "2 events exported\n"
    listed = json.loads(later.stdout)["epcisBody"]["eventList"]
    assert [e["epcList"] for e in listed] == [[unit_uri("T9")], [unit_uri("T8")]]
    earlier = _shoptrace(
        "epcis",
        "export",
        "--merchant",
        merchant,
        "--until",
        format_time(middle),
        "-",
        "--db",
        db_url,
    )
    assert len(json.loads(earlier.stdout)["epcisBody"]["eventList"]) == 3
    none = _shoptrace(
        "epcis",
        "export",
        "--merchant",
        merchant,
        "--since",
        "2099-01-01T00:00:00Z",
        "-",
        "--db",
        db_url,
    )
    assert json.loads(none.stdout)["epcisBody"]["eventList"] == []


def test_the_host_apps_flask_command_exports_too(app: Flask, api: Api, tmp_path: Path) -> None:
    _history(api)
    path = tmp_path / "out.json"
    result = app.test_cli_runner().invoke(
        args=["shoptrace", "epcis", "export", "--merchant", str(api.merchant_id), str(path)]
    )
    assert result.exit_code == 0, result.output
    validate_document(json.loads(path.read_text(encoding="utf-8")))
    listed = app.test_cli_runner().invoke(args=["shoptrace", "epcis", "--help"])
    console = _shoptrace("epcis", "--help")
    for name in ("validate", "hash", "export", "import"):
        assert f"  {name}" in listed.output
        assert f"  {name}" in console.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", "1 problem found; nothing was stored; first: "),
        (b'{"type": "EPCISDocument"}', "nothing was stored"),
        (
            json.dumps(
                {
                    "@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                    "type": "EPCISDocument",
                    "schemaVersion": "2.0",
                    "creationDate": "2025-01-01T00:00:00Z",
                    "epcisBody": {
                        "eventList": [{"type": "ObjectEvent", "eventTime": "soon", "action": "ADD"}]
                    },
                }
            ).encode(),
            "/epcisBody/eventList/0",
        ),
    ],
)
def test_a_bad_document_imports_nothing_and_exits_2(
    store: Store, api: Api, db_url: str, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    result = _shoptrace(
        "epcis", "import", "--merchant", str(api.merchant_id), str(path), "--db", db_url
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {path}: ")
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert _rows(store, api.merchant_id) == []


def test_import_from_stdin_and_with_proceed(store: Store, api: Api, db_url: str) -> None:
    good = ev.commission([unit_uri("G1")], event_time=at(1))
    bad = {"type": "ObjectEvent", "eventTime": "2025-01-01T00:00:00Z", "action": "JUMP"}
    body = document([good], validate=False)
    doc = json.loads(body)
    doc["epcisBody"]["eventList"].append(bad)
    text = json.dumps(doc)
    merchant = str(api.merchant_id)
    result = CliRunner().invoke(
        main,
        ["epcis", "import", "--merchant", merchant, "--proceed", "-", "--db", db_url],
        input=text,
        env={"SHOPTRACE_SIGNING_KEY": SIGNING_KEY},
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "2 events read: 1 stored, 0 already there, 1 rejected\n"
    assert result.stderr.startswith("/epcisBody/eventList/1")
    assert len(_rows(store, api.merchant_id)) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["epcis", "import", "--merchant", "{m}", "{missing}"], "cannot read"),
        (["epcis", "import", "--merchant", "999", "{missing}"], "merchant 999 does not exist"),
        (["epcis", "export", "--merchant", "999", "-"], "merchant 999 does not exist"),
        (["epcis", "export", "--merchant", "{m}", "--since", "yesterday", "-"], "--since"),
        (["epcis", "export", "--merchant", "{m}", "/nonexistent-dir/x.json"], "cannot write"),
        (["pull", "--merchant", "{m}"], "give either --url or --upstream"),
        (["pull", "--merchant", "{m}", "--url", "x", "--upstream", "1"], "either --url"),
        (["pull", "--merchant", "{m}", "--upstream", "1", "--token", "t"], "--token goes"),
        (["pull", "--merchant", "{m}", "--url", "ftp://x/epcis"], "--url"),
        (["pull", "--merchant", "{m}", "--url", "https://x/e?a=1"], "without a ?query"),
        (["pull", "--merchant", "{m}", "--url", "https://x/e", "--since", "now"], "--since"),
        (["pull", "--merchant", "999", "--url", "https://x/e"], "merchant 999 does not exist"),
        (["pull", "--merchant", "{m}", "--upstream", "999"], "upstream endpoint 999"),
        (["upstreams", "resume", "{m}", "999"], "upstream endpoint 999 does not exist"),
        (["upstreams", "rewind", "{m}", "999", "0"], "upstream endpoint 999 does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    api: Api, db_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    filled = [
        a.replace("{m}", str(api.merchant_id)).replace("{missing}", str(tmp_path / "none.json"))
        for a in args
    ]
    result = _shoptrace(*filled, "--db", db_url)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr


# --- pull ---------------------------------------------------------------------------------------


def test_pull_from_a_live_shoptrace_into_another_merchant(
    app: Flask, store: Store, api: Api, db_url: str, server: str
) -> None:
    count = _history(api)
    partner_id, _key = add_merchant(app, "Partner")
    args = ["pull", "--merchant", str(partner_id), "--url", server, "--per-page", "5"]
    pulled = _shoptrace(*args, "--token", api.key, "--db", db_url)
    assert pulled.exit_code == 0, pulled.output
    pages = -(-count // 5)
    assert pulled.output.startswith(
        f"{count} events in {pages} pages: {count} stored, 0 already there; pulled up to "
    )
    assert _rows(store, partner_id) == _rows(store, api.merchant_id)
    again = _shoptrace(*args, "--token", api.key, "--db", db_url)
    assert again.exit_code == 0
    assert f"{count} stored" not in again.output and f"0 stored, {count} already" in again.output
    # A token on stdin, and only what the partner stored since a moment.
    since = utcnow()
    time.sleep(0.01)
    assert capture(api, document([ev.commission([unit_uri("N1")])])).status_code == 202
    fresh = CliRunner().invoke(
        main,
        [*args, "--token-stdin", "--since", format_time(since), "--db", db_url],
        input=api.key + "\n",
        env={"SHOPTRACE_SIGNING_KEY": SIGNING_KEY},
    )
    assert fresh.exit_code == 0, fresh.output
    assert fresh.output.startswith("1 events in 1 pages: 1 stored, 0 already there")
    assert _rows(store, partner_id) == _rows(store, api.merchant_id)


def test_pull_from_a_registered_endpoint_resumes_where_it_ended(
    app: Flask, store: Store, api: Api, db_url: str, server: str
) -> None:
    _history(api)
    partner_id, partner_key = add_merchant(app, "Partner")
    partner = Api(api.client, partner_key, partner_id)
    endpoint = partner.post(
        "/upstreams",
        {
            "name": "Acme",
            "url": server,
            "kind": "partner",
            "backfill": False,
            "auth": {"type": "bearer", "token": api.key},
        },
    ).get_json()
    args = ["pull", "--merchant", str(partner_id), "--upstream", str(endpoint["id"])]
    first = _shoptrace(*args, "--db", db_url)
    assert first.exit_code == 0, first.output
    assert _rows(store, partner_id) == _rows(store, api.merchant_id)
    shown = partner.get(f"/upstreams/{endpoint['id']}").get_json()["status"]
    assert shown["pulledUntil"] is not None
    assert capture(api, document([ev.commission([unit_uri("N2")])])).status_code == 202
    second = _shoptrace(*args, "--db", db_url)
    assert second.exit_code == 0, second.output
    assert ": 1 stored," in second.output
    assert _rows(store, partner_id) == _rows(store, api.merchant_id)
    later = partner.get(f"/upstreams/{endpoint['id']}").get_json()["status"]["pulledUntil"]
    assert later >= shown["pulledUntil"]


def test_a_refused_pull_exits_1_and_keeps_nothing_half_done(
    app: Flask, store: Store, api: Api, db_url: str, server: str
) -> None:
    _history(api)
    partner_id, _ = add_merchant(app, "Partner")
    refused = _shoptrace(
        "pull", "--merchant", str(partner_id), "--url", server, "--token", "wrong", "--db", db_url
    )
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: pull stopped: the partner answered HTTP 401")
    assert "wrong" not in refused.stderr
    gone = _shoptrace(
        "pull", "--merchant", str(partner_id), "--url", "http://127.0.0.1:9/epcis", "--db", db_url
    )
    assert gone.exit_code == 1
    assert gone.stderr == "error: pull stopped: connection refused\n"
    assert _rows(store, partner_id) == []


# --- sync and upstreams -------------------------------------------------------------------------


def test_sync_once_pushes_and_upstreams_commands_show_resume_and_rewind(
    app: Flask, store: Store, api: Api, db_url: str, receiver: Receiver
) -> None:
    assert capture(api, document(supply_chain(["C1"])[:4])).status_code == 202
    endpoint = api.post(
        "/upstreams", {"name": "National", "url": receiver.url, "kind": "national"}
    ).get_json()
    receiver.statuses = [503]
    failed = _shoptrace("sync", "--once", "--db", db_url, SHOPTRACE_SYNC_MAX_ATTEMPTS="1")
    assert failed.exit_code == 0, failed.output
    assert failed.output == "0 events pushed in 0 documents to 1 endpoints, 0 to retry, 1 dead\n"
    dead = _shoptrace("upstreams", "list", "--dead", "--db", db_url)
    assert dead.exit_code == 0
    line = dead.output.strip().split("\t")
    assert line[:6] == [
        str(endpoint["id"]),
        f"merchant {api.merchant_id}",
        "National",
        "dead",
        "0/4",
        "backlog 4",
    ]
    assert line[-1] == "HTTP 503: platform down"
    merchant, upstream = str(api.merchant_id), str(endpoint["id"])
    resumed = _shoptrace("upstreams", "resume", merchant, upstream, "--db", db_url)
    assert resumed.output == f"upstream {upstream} 'National': pending\n"
    pushed = _shoptrace("sync", "--once", "--db", db_url)
    assert pushed.output == "4 events pushed in 1 documents to 1 endpoints, 0 to retry, 0 dead\n"
    assert _shoptrace("upstreams", "list", "--dead", "--db", db_url).output == "no dead endpoints\n"
    rewound = _shoptrace("upstreams", "rewind", merchant, upstream, "1", "--db", db_url)
    assert rewound.output == f"upstream {upstream} 'National': cursor at 1, 3 events to push\n"
    assert _shoptrace("sync", "--once", "--db", db_url).output.startswith("3 events pushed")
    assert len(receiver.accepted) == 7
    with store.read() as conn:
        row = conn.execute(sa.select(upstream_endpoints)).one()
    assert (row.pushed_seq, row.dead_at, row.attempts) == (4, None, 0)
    beyond = _shoptrace("upstreams", "rewind", merchant, upstream, "40", "--db", db_url)
    assert beyond.exit_code == 2 and "seq: must be from 0 to 4" in beyond.stderr
    nothing = _shoptrace("sync", "--once", "--db", db_url)
    assert nothing.output.startswith("0 events pushed in 0 documents to 0 endpoints")


def _query_document(events_: list[Any]) -> dict[str, Any]:
    return {
        "@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-01-01T00:00:00Z",
        "epcisBody": {
            "queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events_}}
        },
    }


def test_a_partner_sending_nonsense_stops_the_pull_with_exit_1(
    app: Flask, store: Store, api: Api, db_url: str
) -> None:
    base = "https://partner.example.com/epcis"
    good = json.loads(document([ev.commission([unit_uri("R1")], event_time=at(1))]))
    good_event = {**good["epcisBody"]["eventList"][0], "recordTime": "2025-03-01T09:00:00Z"}
    bad_event = {"type": "ObjectEvent", "eventTime": "later", "action": "ADD"}
    cases = [
        ({"body": "not json"}, "not an EPCIS document"),
        ({"json": {"hello": 1}}, "not an EPCIS document"),
        ({"json": _query_document([bad_event])}, "a page breaks EPCIS rules"),
        (
            {
                "json": _query_document([good_event]),
                "headers": {"Link": '<https://evil.example.com/epcis/events?p=2>; rel="next"'},
            },
            "leaves its host",
        ),
        ({"status": 503, "body": "maintenance"}, "the partner answered HTTP 503: maintenance"),
    ]
    for answer, message in cases:
        with responses.RequestsMock() as mocked:
            mocked.get(base + "/events", **answer)
            result = _shoptrace(
                "pull", "--merchant", str(api.merchant_id), "--url", base, "--db", db_url
            )
        assert result.exit_code == 1, (answer, result.output)
        assert result.stderr.startswith("error: pull stopped: ")
        assert message in result.stderr and result.stderr.count("\n") == 1
    # The page before the bad link was stored; --proceed keeps the valid events of a page.
    assert len(_rows(store, api.merchant_id)) == 1
    with responses.RequestsMock() as mocked:
        mocked.get(base + "/events", json=_query_document([bad_event, good_event]))
        kept = _shoptrace(
            "pull", "--merchant", str(api.merchant_id), "--url", base, "--proceed", "--db", db_url
        )
        sent = mocked.calls[0].request
    assert kept.exit_code == 0, kept.output
    assert kept.output.startswith("2 events in 1 pages: 0 stored, 1 already there, 1 rejected")
    assert "orderBy=recordTime" in sent.url and "orderDirection=ASC" in sent.url
