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
            conn.exec_driver_sql(f"DELETE FROM event_epcs WHERE seq = {seq}")
            conn.execute(events.delete().where(events.c.seq == seq))
    report = api.get("/integrity").get_json()
    assert report["valid"] is False
    broken = report["firstBreak"]
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
