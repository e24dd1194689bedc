"""Documents: wrapping events, reading JSON, streaming large documents out."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoptrace.sdk.epcis import documents as docs
from shoptrace.sdk.epcis import events as ev
from shoptrace.sdk.epcis.validate import EPCISValidationError, document_problems, event_problems
from shoptrace.sdk.epcis.vocab import EPCIS_CONTEXT
from tests.sdk.epcis.conftest import FIXTURES, RULES, official_examples

UNITS = [f"urn:epc:id:sgtin:9506000.013435.SN{i}" for i in range(3)]
WHEN = datetime(2024, 5, 1, 8, tzinfo=UTC)
NS = {"shop": "https://shop.example.com/ns/epcis/"}


def sample_events(count: int = 3) -> list[dict[str, Any]]:
    return [
        ev.commission([f"urn:epc:id:sgtin:9506000.013435.N{i}"], event_time=WHEN)
        for i in range(count)
    ]


def test_make_document_has_context_version_and_creation_date() -> None:
    doc = docs.make_document(
        sample_events(2), creation_date=WHEN, sender="urn:epc:id:pgln:9506000.00001"
    )
    assert doc["@context"] == EPCIS_CONTEXT
    assert doc["type"] == "EPCISDocument"
    assert doc["schemaVersion"] == "2.0"
    assert doc["creationDate"] == "2024-05-01T08:00:00.000Z"
    assert doc["sender"] == "urn:epc:id:pgln:9506000.00001"
    assert len(doc["epcisBody"]["eventList"]) == 2
    assert document_problems(doc) == []


def test_make_document_declares_extension_namespaces() -> None:
    event = ev.ship_to_customer(
        UNITS, order="https://shop.example.com/orders/1", extensions={"shop:carrier": "SF"}
    )
    doc = docs.make_document([event], namespaces=NS)
    assert doc["@context"] == [EPCIS_CONTEXT, NS]
    with pytest.raises(EPCISValidationError) as info:
        docs.make_document([event])
    assert [p for p, _ in info.value.problems] == ["/epcisBody/eventList/0/shop:carrier"]


def test_make_document_default_creation_date_is_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    doc = docs.make_document([])
    created = datetime.fromisoformat(doc["creationDate"].replace("Z", "+00:00"))
    assert before <= created <= datetime.now(UTC)


def test_standalone_event_carries_context() -> None:
    event = ev.pack("urn:epc:id:sscc:9506000.0000000017", UNITS, event_time=WHEN)
    alone = docs.standalone_event(event, namespaces=NS)
    assert alone["@context"] == [EPCIS_CONTEXT, NS]
    assert event_problems(alone) == []
    assert "@context" not in event


def test_read_document_round_trips(shop_document: dict[str, Any]) -> None:
    data = json.dumps(shop_document).encode("utf-8")
    assert docs.read_document(data) == shop_document
    assert docs.read_document(data.decode("utf-8")) == shop_document
    assert docs.read_document(json.dumps(shop_document).encode("utf-16")) == shop_document


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "not valid JSON: Expecting value at line 1 column 1"),
        (b'{"type": "EPCISDocument",\n "x": }', "line 2 column 7"),
        (b'{"quantity": NaN}', "NaN is not a JSON number"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    ],
)
def test_read_document_reports_bad_json_as_one_problem(data: bytes, fragment: str) -> None:
    with pytest.raises(EPCISValidationError) as info:
        docs.read_document(data)
    assert len(info.value.problems) == 1
    pointer, message = info.value.problems[0]
    assert pointer == ""
    assert fragment in message


def test_read_document_reports_every_rule_problem() -> None:
    data = (FIXTURES / "broken_document.jsonld").read_bytes()
    with pytest.raises(EPCISValidationError) as info:
        docs.read_document(data)
    assert [p for p, _ in info.value.problems] == [
        "/epcisBody/eventList/1/eventTime",
        "/epcisBody/eventList/1/action",
        "/epcisBody/eventList/1/bizStep",
        "/epcisBody/eventList/2/childEPCs/0",
        "/epcisBody/eventList/2/shop:carrier",
        "/epcisBody/eventList/2/parentID",
    ]
    assert docs.read_document(data, validate=False)["type"] == "EPCISDocument"
    with pytest.raises(EPCISValidationError):
        docs.read_document(b"[]", validate=False)


def test_document_events_of_both_document_types() -> None:
    assert (
        docs.document_events(RULES["bases"]["document"])
        == RULES["bases"]["document"]["epcisBody"]["eventList"]
    )
    query = RULES["bases"]["queryDocument"]
    assert docs.document_events(query) == [RULES["bases"]["TransactionEvent"]]
    with pytest.raises(EPCISValidationError) as info:
        docs.document_events({"type": "EPCISDocument"})
    assert info.value.problems[0][0] == "/epcisBody"


def test_write_document_streams_the_same_document_as_make_document() -> None:
    events = sample_events(5)
    text = io.StringIO()
    count = docs.write_document(iter(events), text, namespaces=NS, creation_date=WHEN)
    assert count == 5
    assert json.loads(text.getvalue()) == docs.make_document(
        events, namespaces=NS, creation_date=WHEN
    )
    raw = io.BytesIO()
    assert docs.write_document(events, raw, creation_date=WHEN) == 5
    assert json.loads(raw.getvalue())["epcisBody"]["eventList"] == events


def test_write_document_to_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonld"
    with path.open("wb") as fp:
        assert docs.write_document(sample_events(2), fp) == 2
    assert document_problems(json.loads(path.read_bytes())) == []


def test_iter_document_yields_one_chunk_per_event_lazily() -> None:
    pulled: list[int] = []

    def events() -> Any:
        for i, event in enumerate(sample_events(3)):
            pulled.append(i)
            yield event

    chunks = docs.iter_document(events(), creation_date=WHEN)
    assert next(chunks).endswith('"eventList": [')
    assert pulled == []
    assert next(chunks).startswith("\n{")
    assert pulled == [0]
    assert len(list(chunks)) == 3


def test_iter_document_stops_at_an_invalid_event_with_its_pointer() -> None:
    bad = {**sample_events(1)[0], "action": "MOVE"}
    written = io.StringIO()
    with pytest.raises(EPCISValidationError) as info:
        docs.write_document([*sample_events(2), bad], written)
    assert [p for p, _ in info.value.problems] == ["/epcisBody/eventList/2/action"]
    assert written.getvalue().count('"type": "ObjectEvent"') == 2


def test_iter_document_checks_the_head() -> None:
    with pytest.raises(EPCISValidationError) as info:
        list(docs.iter_document([], creation_date="today"))
    assert [p for p, _ in info.value.problems] == ["/creationDate"]
    assert "".join(docs.iter_document([], creation_date="today", validate=False))


def test_large_document_streams_without_building_it() -> None:
    event = sample_events(1)[0]
    size = 0
    for chunk in docs.iter_document((event for _ in range(20_000)), validate=False):
        size += len(chunk)
    assert size > 20_000 * len(json.dumps(event))


@settings(max_examples=25)
@given(st.lists(st.from_regex(r"[A-Z0-9]{1,12}", fullmatch=True), max_size=8, unique=True))
def test_streamed_and_built_documents_agree(serials: list[str]) -> None:
    events = [
        ev.commission([f"urn:epc:id:sgtin:9506000.013435.{s}"], event_time=WHEN) for s in serials
    ]
    streamed = "".join(docs.iter_document(events, creation_date=WHEN))
    assert json.loads(streamed) == docs.make_document(events, creation_date=WHEN)


@pytest.mark.conformance
@pytest.mark.parametrize("path", official_examples())
def test_official_examples_read(path: Path) -> None:
    doc = docs.read_document(path.read_bytes())
    assert docs.document_events(doc)
