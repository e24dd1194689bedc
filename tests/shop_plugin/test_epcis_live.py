"""The EPCIS binding over real HTTP: a server on 127.0.0.1 in a thread, driven by requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from shoptrace.sdk.epcis import events as ev
from shoptrace.sdk.epcis import iter_document
from tests.shop_plugin.epcis_helpers import at, unit_uri
from tests.shop_plugin.helpers import add_merchant


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


def test_capture_and_query_over_http(app: Flask, server: str) -> None:
    _, key = add_merchant(app, "Live")
    auth = {"Authorization": f"Bearer {key}"}
    events = [
        ev.commission([unit_uri(f"L{i}") for i in range(10)], event_time=at(i)) for i in range(500)
    ]
    chunks = (chunk.encode("utf-8") for chunk in iter_document(events))  # sent chunked
    with requests.Session() as http:
        captured = http.post(
            server + "/capture",
            data=chunks,
            headers={**auth, "Content-Type": "application/ld+json"},
            timeout=60,
        )
        assert captured.status_code == 202, captured.text
        assert captured.headers["GS1-EPCIS-Version"] == "2.0.0"
        location = captured.headers["Location"]
        assert location.endswith("/trace/epcis/capture/" + captured.json()["captureID"])
        job = http.get(server + location.removeprefix("/trace/epcis"), headers=auth, timeout=10)
        job = job.json()
        assert (job["running"], job["success"], job["stored"]) == (False, True, 500)
        page = http.get(
            server + "/events",
            params={"MATCH_epc": unit_uri("L3"), "perPage": "2", "orderBy": "eventTime"},
            headers=auth,
            timeout=10,
        )
        assert page.status_code == 200
        listed = page.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert [e["eventTime"][11:16] for e in listed] == ["16:19", "16:18"]
        assert 'rel="next"' in page.headers["Link"]
        following = http.get(page.headers["Link"][1 : page.headers["Link"].index(">")],
                             headers=auth, timeout=10)  # fmt: skip
        assert following.status_code == 200
        event_id = listed[0]["eventID"]
        single = http.get(server + "/events/" + quote(event_id, safe=""), headers=auth, timeout=10)
        assert single.status_code == 200
        body = single.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert [e["eventID"] for e in body] == [event_id]
        bad = http.get(
            server + "/events", params={"GE_eventTime": "soon"}, headers=auth, timeout=10
        )
        assert bad.status_code == 400
        assert bad.headers["Content-Type"] == "application/problem+json"
        assert bad.json()["errors"][0]["field"] == "GE_eventTime"
        anonymous = http.get(server + "/events", timeout=10)
        assert anonymous.status_code == 401
        broken = http.post(
            server + "/capture",
            data=json.dumps({"type": "EPCISDocument"}),
            headers={**auth, "Content-Type": "application/json"},
            timeout=10,
        )
        assert broken.status_code == 400
        assert broken.json()["type"] == "epcisException:ValidationException"
