"""Every official EPCIS 2.0 JSON example is captured and queried back equal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shoptrace.sdk.epcis import document_events, document_hashes
from tests._conformance import CONFORMANCE
from tests.shop_plugin.epcis_helpers import capture, event_list, get, segment
from tests.shop_plugin.helpers import Api

EXAMPLES = CONFORMANCE / "epcis" / "JSON"
REASON = "GS1 conformance material not found at ../shared/conformance"


def _examples() -> list[Any]:
    if not EXAMPLES.is_dir():
        return [pytest.param(None, id="absent", marks=pytest.mark.skip(reason=REASON))]
    return [
        pytest.param(path, id=str(path.relative_to(EXAMPLES)))
        for path in sorted(EXAMPLES.rglob("*.jsonld"))
    ]


def _terms(context: Any) -> dict[str, Any]:
    parts = context if isinstance(context, list) else [context]
    return {k: v for part in parts if isinstance(part, dict) for k, v in part.items()}


@pytest.mark.conformance
@pytest.mark.parametrize("path", _examples())
def test_official_example_round_trips(api: Api, path: Path) -> None:
    raw = path.read_bytes()
    original = json.loads(raw)
    sent = document_events(original)
    hashes = document_hashes(original)
    response = capture(api, raw)
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert job["success"] is True and job["eventCount"] == len(sent)
    got_doc = json.loads(get(api, "/events?perPage=100").data)
    got = event_list_of(got_doc)
    unique = {h: e for h, e in zip(hashes, sent, strict=True)}
    assert len(got) == job["stored"] == len(unique)
    for event, hash_id in zip(got, unique, strict=True):
        expected = dict(unique[hash_id])
        expected.setdefault("eventID", hash_id)
        assert event.pop("recordTime").endswith("Z")
        expected.pop("recordTime", None)
        assert event == expected, path.name
        again = event_list(get(api, "/events/" + segment(event["eventID"])))
        assert len(again) == 1 and again[0]["eventID"] == event["eventID"]
    assert _terms(original["@context"]).items() <= _terms(got_doc["@context"]).items()


def event_list_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    assert doc["type"] == "EPCISQueryDocument"
    events: list[dict[str, Any]] = doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return events
