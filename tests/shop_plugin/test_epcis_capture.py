"""EPCIS capture: POST /capture as capture jobs, error behaviours, POST /events, bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from shoptrace.sdk.epcis import EPCIS_CONTEXT, event_hash
from shoptrace.sdk.epcis import events as ev
from shoptrace.shop_plugin.store.tables import capture_jobs, event_epcs, events
from tests.shop_plugin.epcis_helpers import (
    CASE,
    EPCIS,
    FACTORY,
    at,
    canonical_unit,
    capture,
    document,
    event_list,
    get,
    unit_uri,
)
from tests.shop_plugin.helpers import Api, count_rows


def _stored(app: Flask) -> list[Any]:
    with app.extensions["shoptrace"].store.read() as conn:
        return conn.execute(sa.select(events).order_by(events.c.seq)).all()


def test_capture_answers_202_with_the_location_of_a_finished_job(app: Flask, api: Api) -> None:
    doc = [ev.commission([unit_uri("A1"), unit_uri("A2")], event_time=at(1))]
    response = capture(api, document(doc))
    assert response.status_code == 202
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
    assert response.headers["GS1-CBV-Version"] == "2.0.0"
    location = response.headers["Location"]
    assert location == f"{EPCIS}/capture/{response.get_json()['captureID']}"
    job = get(api, location).get_json()
    assert job == response.get_json()
    assert job["running"] is False and job["success"] is True
    assert job["captureErrorBehaviour"] == "rollback"
    assert (job["eventCount"], job["stored"], job["duplicates"], job["errors"]) == (1, 1, 0, [])
    listed = get(api, "/capture").get_json()
    assert [j["captureID"] for j in listed] == [job["captureID"]]


def test_capture_sets_event_id_record_time_and_indexes_epcs_canonically(
    app: Flask, api: Api
) -> None:
    event = ev.pack(CASE, [unit_uri("A1"), "urn:epc:id:sgtin:9506000.013435.A2"], event_time=at(3))
    capture(api, document([event]))
    [row] = _stored(app)
    stored = json.loads(row.document)
    assert row.hash_id == event_hash(event) == stored["eventID"] == row.event_id
    assert stored["recordTime"].endswith("Z") and row.record_time is not None
    assert {k: v for k, v in stored.items() if k not in ("eventID", "recordTime")} == event
    with app.extensions["shoptrace"].store.read() as conn:
        index = set(conn.execute(sa.select(event_epcs.c.epc, event_epcs.c.role)).all())
    assert index == {
        ("https://id.gs1.org/00/095060000000000015", "parent"),
        (canonical_unit("A1"), "child"),
        (canonical_unit("A2"), "child"),
    }


def test_capture_is_idempotent_by_event_hash_id(app: Flask, api: Api) -> None:
    first = ev.commission([unit_uri("A1")], event_time=at(1))
    second = ev.commission([unit_uri("A2")], event_time=at(2))
    capture(api, document([first]))
    # The same event again (in URN spelling, another eventID) plus a new one, twice in the list.
    again = dict(first, epcList=["urn:epc:id:sgtin:9506000.013435.A1"], eventID="urn:uuid:x-1")
    job = capture(api, document([again, second, second])).get_json()
    assert (job["stored"], job["duplicates"], job["success"]) == (1, 2, True)
    assert [r.seq for r in _stored(app)] == [1, 2]


def test_an_invalid_document_is_refused_whole_listing_every_problem(app: Flask, api: Api) -> None:
    good = ev.commission([unit_uri("A1")], event_time=at(1))
    bad_time = dict(good, eventTime="yesterday")
    bad_epc = dict(good, epcList=["not an epc"], eventTime="2025-03-01T08:00:00Z")
    response = capture(api, document([good, bad_time, good, bad_epc], validate=False))
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "epcisException:ValidationException"
    fields = [e["field"] for e in problem["errors"]]
    assert "/epcisBody/eventList/1/eventTime" in fields
    assert any(f.startswith("/epcisBody/eventList/3/epcList/0") for f in fields)
    assert all(e["detail"] for e in problem["errors"])
    assert count_rows(app, events) == 0 and count_rows(app, capture_jobs) == 0
    assert count_rows(app, event_epcs) == 0


def test_proceed_stores_the_valid_events_and_reports_the_others(app: Flask, api: Api) -> None:
    good = ev.commission([unit_uri("A1")], event_time=at(1))
    bad = dict(good, action="SOMETIMES")
    response = capture(
        api, document([good, bad], validate=False), **{"GS1-Capture-Error-Behaviour": "proceed"}
    )
    assert response.status_code == 202
    job = response.get_json()
    assert job["captureErrorBehaviour"] == "proceed" and job["success"] is False
    assert (job["eventCount"], job["stored"], job["rejected"]) == (2, 1, 1)
    assert job["errors"][0]["pointer"] == "/epcisBody/eventList/1/action"
    assert job["errors"][0]["type"] == "epcisException:ValidationException"
    assert count_rows(app, events) == 1


def test_an_event_id_naming_another_event_is_a_problem(app: Flask, api: Api) -> None:
    capture(api, document([ev.commission([unit_uri("A1")], event_time=at(1), event_id="urn:x:1")]))
    clash = ev.commission([unit_uri("A2")], event_time=at(2), event_id="urn:x:1")
    response = capture(api, document([clash]))
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {
            "field": "/epcisBody/eventList/0/eventID",
            "rule": "epcis",
            "detail": "eventID urn:x:1 already names another event",
        }
    ]
    assert count_rows(app, events) == 1


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        (b"", "(root)", "must be a JSON object"),
        (b"[]", "(root)", "must be a JSON object"),
        (b'{"type": "EPCISDocument", "epcisBody": {"eventList": [{]}}', "/epcisBody", "character"),
        (b'{"a": 1} trailing', "(root)", "extra data"),
        (b"\xff\xfe{}", "(root)", "UTF-8"),
        (b'{"type": "EPCISDocument"}', "/epcisBody", "no epcisBody"),
        (b'{"a": NaN}', "/a", "NaN"),
    ],
)
def test_malformed_documents_get_400_naming_where(
    app: Flask, api: Api, body: bytes, field: str, fragment: str
) -> None:
    response = capture(api, body)
    assert response.status_code == 400
    error = response.get_json()["errors"][0]
    assert error["field"].startswith(field) and fragment in error["detail"]
    assert count_rows(app, events) == 0


def test_the_document_frame_is_checked_with_the_events(api: Api) -> None:
    raw = json.loads(document([ev.commission([unit_uri("A1")], event_time=at(1))]))
    del raw["schemaVersion"]
    raw["epcisBody"]["eventList"][0]["bizStep"] = 7
    problem = capture(api, json.dumps(raw)).get_json()
    fields = {e["field"] for e in problem["errors"]}
    assert {"/schemaVersion", "/epcisBody/eventList/0/bizStep"} <= fields


def test_events_before_the_context_are_held_until_it_comes(app: Flask, api: Api) -> None:
    raw = json.loads(document([ev.commission([unit_uri("A1")], event_time=at(1))]))
    reordered = {"epcisBody": raw.pop("epcisBody"), **raw}
    assert list(reordered)[0] == "epcisBody"
    assert capture(api, json.dumps(reordered)).get_json()["stored"] == 1


def test_capture_limits_and_headers(api: Api) -> None:
    doc = document([ev.commission([unit_uri(f"A{i}")], event_time=at(i)) for i in range(3)])
    assert (
        capture(api, doc, **{"GS1-Capture-Error-Behaviour": "sometimes"}).get_json()["errors"][0][
            "field"
        ]
        == "GS1-Capture-Error-Behaviour"
    )
    wrong_type = api.client.post(
        EPCIS + "/capture", data=doc, headers=api.headers(), content_type="text/plain"
    )
    assert wrong_type.status_code == 415
    assert wrong_type.get_json()["type"] == "epcisException:UnsupportedMediaTypeException"
    old = capture(api, doc, **{"GS1-EPCIS-Version": "1.2"})
    assert old.status_code == 406
    assert old.get_json()["type"] == "epcisException:NotAcceptableException"
    malformed = capture(api, doc, **{"GS1-CBV-Version": "two"})
    assert malformed.status_code == 400
    assert malformed.get_json()["errors"][0]["field"] == "GS1-CBV-Version"


@pytest.mark.parametrize(
    "app_config",
    [{"SHOPTRACE_CAPTURE_MAX_EVENTS": 2, "SHOPTRACE_CAPTURE_MAX_BYTES": 4096}],
    indirect=False,
)
def test_documents_over_the_limits_get_413_and_store_nothing(app: Flask, api: Api) -> None:
    three = document([ev.commission([unit_uri(f"A{i}")], event_time=at(i)) for i in range(3)])
    response = capture(api, three)
    assert response.status_code == 413
    assert response.get_json()["type"] == "epcisException:CaptureLimitExceededException"
    big = document([ev.commission([unit_uri(f"A{i}{'X' * 15}") for i in range(60)])])
    assert len(big) > 4096
    too_big = capture(api, big)
    assert too_big.status_code == 413
    assert too_big.get_json()["errors"][0]["rule"] == "max-bytes"
    assert count_rows(app, events) == 0 and count_rows(app, capture_jobs) == 0


def test_post_events_stores_one_event(app: Flask, api: Api) -> None:
    event = dict(
        ev.commission([unit_uri("A1")], event_time=at(1)),
        **{"@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"},
    )
    created = api.client.post(EPCIS + "/events", json=event, headers=api.headers())
    assert created.status_code == 201
    body = created.get_json()
    assert body["eventID"] == event_hash(event)
    assert created.headers["Location"].startswith(EPCIS + "/events/ni%3A%2F%2F%2Fsha-256")
    fetched = event_list(get(api, created.headers["Location"]))
    assert fetched == [body]
    again = api.client.post(EPCIS + "/events", json=event, headers=api.headers())
    assert again.status_code == 200 and again.get_json() == body
    clash = dict(event, eventID=body["eventID"], epcList=[unit_uri("A2")])
    conflict = api.client.post(EPCIS + "/events", json=clash, headers=api.headers())
    assert conflict.status_code == 409
    assert conflict.get_json()["type"] == "epcisException:ResourceAlreadyExistsException"
    assert count_rows(app, events) == 1


def test_post_events_refuses_an_event_without_its_context(app: Flask, api: Api) -> None:
    event = ev.commission([unit_uri("A1")], event_time=at(1), read_point=FACTORY)
    response = api.client.post(EPCIS + "/events", json=event, headers=api.headers())
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "/@context"
    not_json = api.client.post(
        EPCIS + "/events", data=b"{", headers=api.headers(), content_type="application/json"
    )
    assert not_json.status_code == 400
    assert not_json.get_json()["errors"][0]["rule"] == "json"
    assert count_rows(app, events) == 0


def test_the_binding_wants_an_api_key(api: Api) -> None:
    response = api.client.get(EPCIS + "/events")
    assert response.status_code == 401
    assert response.get_json()["type"] == "epcisException:SecurityException"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_event_time_outside_the_calendar_in_utc_is_a_problem_not_a_500(api: Api) -> None:
    event = ev.commission([unit_uri("EDGE1")], event_time=at(0))
    event["eventTime"] = "9999-12-31T23:59:59-05:00"
    response = capture(api, document([event]))
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert any("/eventList/0" in e["field"] and "9999" in e["detail"] for e in body["errors"]), body


def test_text_that_is_not_unicode_is_a_problem_not_a_500(app: Flask, api: Api) -> None:
    event = ev.commission([unit_uri("EDGE2")], event_time=at(0))
    event["example:note"] = "\ud800"  # a lone surrogate: JSON can write it, UTF-8 cannot
    body = json.dumps(
        {
            "@context": [EPCIS_CONTEXT, {"example": "https://ns.example.com/"}],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2025-01-01T00:00:00Z",
            "epcisBody": {"eventList": [event]},
        }
    )
    response = capture(api, body)
    assert response.status_code == 400, response.get_json()
    errors = response.get_json()["errors"]
    assert any("/eventList/0" in e["field"] and "Unicode" in e["detail"] for e in errors), errors
    assert _stored(app) == []


@pytest.mark.parametrize(
    ("member", "value", "pointer"),
    [
        ("epcList", ["urn:epc:id:sgtin:\u0669506000.013435.B5"], "/epcList/0"),
        ("eventTime", "\u0662\u0660\u0662\u0664-05-01T10:00:00Z", "/eventTime"),
        ("eventTimeZoneOffset", "+\u0660\u0668:00", "/eventTimeZoneOffset"),
    ],
)
def test_digits_of_other_scripts_are_a_problem_not_a_500(
    app: Flask, api: Api, member: str, value: Any, pointer: str
) -> None:
    """RFC 3339 times and GS1 keys take ASCII digits only (a regular expression's \\d took
    an Arabic-Indic digit into a GS1 key's check digit, which crashed)."""
    event = ev.commission([unit_uri("EDGE3")], event_time=at(0))
    event[member] = value
    body = {
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-01-01T00:00:00Z",
        "epcisBody": {"eventList": [event]},
    }
    response = capture(api, json.dumps(body))
    assert response.status_code == 400, response.get_json()
    errors = response.get_json()["errors"]
    assert any(e["field"].endswith("/eventList/0" + pointer) for e in errors), errors
    assert _stored(app) == []
