"""Tamper evidence: the per-merchant hash chain, GET /integrity and `shoptrace verify-chain`."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from shoptrace.sdk.epcis import events as ev
from shoptrace.shop_plugin.services import chain
from shoptrace.shop_plugin.store.tables import event_chains, events
from tests.shop_plugin.epcis_helpers import at, capture, document, unit_uri
from tests.shop_plugin.helpers import Api


def _capture(api: Api, count: int, start: int = 0) -> None:
    doc = [
        ev.commission([unit_uri(f"U{i}")], event_time=at(i)) for i in range(start, start + count)
    ]
    assert capture(api, document(doc)).status_code == 202


def _rows(app: Flask, merchant_id: int) -> list[Any]:
    with app.extensions["shoptrace"].store.read() as conn:
        return conn.execute(
            sa.select(events).where(events.c.merchant_id == merchant_id).order_by(events.c.seq)
        ).all()


def _change(app: Flask, seq: int, merchant_id: int, **values: Any) -> None:
    with app.extensions["shoptrace"].store.begin() as conn:
        conn.execute(
            events.update()
            .where(events.c.merchant_id == merchant_id, events.c.seq == seq)
            .values(**values)
        )


def test_each_event_extends_the_merchants_chain(app: Flask, api: Api, other_api: Api) -> None:
    _capture(api, 3)
    _capture(other_api, 1)
    rows = _rows(app, api.merchant_id)
    assert [r.seq for r in rows] == [1, 2, 3]
    previous = chain.GENESIS
    for row in rows:
        assert row.chain_hash == chain.link(previous, row.hash_id)
        previous = row.chain_hash
    report = api.get("/integrity").get_json()
    assert report["valid"] is True and report["firstBreak"] is None
    assert report["events"] == 3 and report["head"] == {"seq": 3, "hash": previous}
    assert other_api.get("/integrity").get_json()["events"] == 1


@pytest.mark.parametrize("how", ["document", "hash_id", "chain_hash", "removed", "tail"])
def test_tampering_is_found_and_the_first_broken_event_named(
    app: Flask, api: Api, how: str
) -> None:
    _capture(api, 4)
    target = _rows(app, api.merchant_id)[1]
    if how == "document":
        doc = json.loads(target.document)
        doc["epcList"] = [unit_uri("FORGED")]
        _change(app, 2, api.merchant_id, document=json.dumps(doc))
    elif how == "hash_id":
        _change(app, 2, api.merchant_id, hash_id=target.hash_id.replace("a", "b", 1) + " ")
    elif how == "chain_hash":
        _change(app, 2, api.merchant_id, chain_hash="0" * 64)
    else:
        seq = 2 if how == "removed" else 4
        with app.extensions["shoptrace"].store.begin() as conn:
            conn.exec_driver_sql(f"DELETE FROM event_epc_lists WHERE seq = {seq}")
            conn.execute(events.delete().where(events.c.seq == seq))
    report = api.get("/integrity").get_json()
    assert report["valid"] is False
    broken = report["firstBreak"]
    kinds = {"document": "changed", "hash_id": "changed", "chain_hash": "relinked"}
    assert broken["kind"] == kinds.get(how, "truncated" if how == "tail" else "removed")
    if how == "tail":
        assert broken["seq"] == 4 and "removed" in broken["reason"]
    elif how == "removed":
        assert broken["seq"] == 3 and "removed" in broken["reason"]
    else:
        assert broken["seq"] == 2 and broken["eventID"] == target.event_id
        word = "changed" if how != "chain_hash" else "chain"
        assert word in broken["reason"]


def test_verify_chain_command(app: Flask, api: Api, other_api: Api, runner: FlaskCliRunner) -> None:
    _capture(api, 2)
    _capture(other_api, 2)
    ok = runner.invoke(args=["shoptrace", "verify-chain"])
    assert ok.exit_code == 0, ok.output
    lines = ok.output.splitlines()
    assert lines[0].startswith(f"merchant {api.merchant_id}: valid, 2 events, head 2 ")
    assert lines[1].startswith(f"merchant {other_api.merchant_id}: valid, 2 events")
    _change(app, 1, other_api.merchant_id, chain_hash="f" * 64)
    bad = runner.invoke(args=["shoptrace", "verify-chain"])
    assert bad.exit_code == 1
    assert f"merchant {other_api.merchant_id}: BROKEN at position 1 (eventID ni:///" in bad.output
    only = runner.invoke(args=["shoptrace", "verify-chain", "--merchant", str(api.merchant_id)])
    assert only.exit_code == 0 and "BROKEN" not in only.output
    missing = runner.invoke(args=["shoptrace", "verify-chain", "--merchant", "999"])
    assert missing.exit_code == 2 and "999" in missing.output


def test_verify_chain_reports_progress_on_a_long_chain(
    app: Flask, api: Api, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shoptrace.shop_plugin import cli

    _capture(api, 5)
    monkeypatch.setattr(cli, "VERIFY_PAGE", 2)
    ok = runner.invoke(args=["shoptrace", "verify-chain"])
    assert ok.exit_code == 0, ok.output
    assert f"merchant {api.merchant_id}: 2 of 5 events checked" in ok.output
    assert f"merchant {api.merchant_id}: 4 of 5 events checked" in ok.output
    assert f"merchant {api.merchant_id}: valid, 5 events, head 5 " in ok.output
    _change(app, 5, api.merchant_id, chain_hash="f" * 64)
    bad = runner.invoke(args=["shoptrace", "verify-chain"])
    assert bad.exit_code == 1
    assert f"merchant {api.merchant_id}: BROKEN at position 5 (eventID ni:///" in bad.output


def test_concurrent_captures_of_one_merchant_form_one_chain(app: Flask, api: Api) -> None:
    errors: list[BaseException] = []

    def work(start: int) -> None:
        client = app.test_client()
        try:
            for batch in range(3):
                doc = [
                    ev.commission([unit_uri(f"C{start}B{batch}N{i}")], event_time=at(i))
                    for i in range(20)
                ]
                response = client.post(
                    "/trace/epcis/capture",
                    data=document(doc),
                    headers=api.headers(),
                    content_type="application/json",
                )
                assert response.status_code == 202, response.data
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = _rows(app, api.merchant_id)
    assert [r.seq for r in rows] == list(range(1, 181))
    report = api.get("/integrity").get_json()
    assert report["valid"] is True and report["head"]["seq"] == 180
    with app.extensions["shoptrace"].store.read() as conn:
        head = conn.execute(sa.select(event_chains.c.seq)).scalar_one()
    assert head == 180


# --- a page at a time -------------------------------------------------------------------------


def _pages(api: Api, size: int) -> list[dict[str, Any]]:
    """Follow the check's Link headers from the first page to the last."""
    pages: list[dict[str, Any]] = []
    response = api.get(f"/integrity?pageSize={size}")
    while True:
        assert response.status_code == 200, response.data
        report = response.get_json()
        pages.append(report)
        if report["complete"]:
            assert report["nextPageToken"] is None and "Link" not in response.headers
            return pages
        link = response.headers["Link"]
        assert link.endswith('>; rel="next"') and f"pageToken={report['nextPageToken']}" in link
        assert f"pageSize={size}" in link
        response = api.client.get(link[1 : link.index(">")], headers=api.headers())


def test_a_long_chain_is_checked_a_page_at_a_time(api: Api) -> None:
    _capture(api, 5)
    pages = _pages(api, 2)
    assert [(p["checked"]["from"], p["checked"]["through"]) for p in pages] == [
        (1, 2),
        (3, 4),
        (5, 5),
    ]
    assert [p["valid"] for p in pages] == [None, None, True]
    assert [p["events"] for p in pages] == [2, 2, 1]
    assert all(p["firstBreak"] is None for p in pages)
    whole = api.get("/integrity").get_json()
    assert whole["valid"] is True and whole["complete"] and whole["events"] == 5
    assert pages[-1]["head"] == whole["head"]


def test_a_break_on_a_later_page_is_named_there(app: Flask, api: Api) -> None:
    _capture(api, 5)
    target = _rows(app, api.merchant_id)[3]
    doc = json.loads(target.document)
    doc["epcList"] = [unit_uri("FORGED")]
    _change(app, 4, api.merchant_id, document=json.dumps(doc))
    pages = _pages(api, 2)
    assert [p["valid"] for p in pages] == [None, False]
    broken = pages[-1]["firstBreak"]
    assert broken["seq"] == 4 and broken["eventID"] == target.event_id
    assert "changed" in broken["reason"] and pages[-1]["events"] == 2


@pytest.mark.parametrize("how", ["chain_hash", "removed"])
def test_a_chain_changed_between_pages_is_a_break(app: Flask, api: Api, how: str) -> None:
    _capture(api, 4)
    first = api.get("/integrity?pageSize=2").get_json()
    assert first["valid"] is None and first["checked"]["through"] == 2
    if how == "chain_hash":
        _change(app, 2, api.merchant_id, chain_hash="e" * 64)
    else:
        with app.extensions["shoptrace"].store.begin() as conn:
            conn.exec_driver_sql(
                f"DELETE FROM event_epc_lists WHERE seq = 2 AND merchant_id = {api.merchant_id}"
            )
            conn.execute(
                events.delete().where(events.c.seq == 2, events.c.merchant_id == api.merchant_id)
            )
    report = api.get(f"/integrity?pageToken={first['nextPageToken']}").get_json()
    assert report["valid"] is False and report["complete"] and report["events"] == 0
    assert report["firstBreak"]["seq"] == 2
    assert report["firstBreak"]["kind"] == ("relinked" if how == "chain_hash" else "removed")
    word = "changed after the previous page" if how == "chain_hash" else "was removed"
    assert word in report["firstBreak"]["reason"]


def test_events_stored_between_pages_are_checked_by_the_next(api: Api) -> None:
    _capture(api, 4)
    first = api.get("/integrity?pageSize=2").get_json()
    _capture(api, 3, start=10)
    rest = api.get(f"/integrity?pageToken={first['nextPageToken']}").get_json()
    assert rest["valid"] is True and rest["checked"] == {"from": 3, "through": 7}
    assert rest["head"]["seq"] == 7 and rest["events"] == 5


def test_a_capture_during_a_check_is_not_a_break(
    app: Flask, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check covers the chain its head named when it started: events stored while it
    walks belong to the next check, and no tail looks cut off."""
    _capture(api, 3)
    walk = chain._rows

    def capture_first(*args: Any) -> Any:
        _capture(api, 2, start=20)
        return walk(*args)

    monkeypatch.setattr(chain, "_rows", capture_first)
    report = chain.verify(app.extensions["shoptrace"].store, api.merchant_id)
    assert report["valid"] is True and report["events"] == 3 and report["head"]["seq"] == 3
    monkeypatch.undo()
    assert api.get("/integrity").get_json()["head"]["seq"] == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("pageSize=0", "pageSize"),
        ("pageSize=1000001", "pageSize"),
        ("pageSize=two", "pageSize"),
        ("pageToken=not-a-token", "pageToken"),
        ("pageToken=" + chain.encode_token(10**6, chain.Head(1, "a" * 64)), "pageToken"),
        ("pageToken=djE6MTowOmFh", "pageToken"),
    ],
)
def test_bad_paging_arguments_are_named(api: Api, query: str, field: str) -> None:
    response = api.get(f"/integrity?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert [e["field"] for e in problem["errors"]] == [field]


def test_another_merchants_token_is_refused(api: Api, other_api: Api) -> None:
    _capture(api, 3)
    _capture(other_api, 3)
    token = api.get("/integrity?pageSize=1").get_json()["nextPageToken"]
    assert other_api.get(f"/integrity?pageToken={token}").status_code == 400
    assert api.get(f"/integrity?pageToken={token}").get_json()["valid"] is True
